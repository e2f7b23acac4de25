// The store over SOCI: SQLite today (WAL, foreign keys on); PostgreSQL follows on the same code.
#pragma once
#include <memory>
#include <string>

#include "app/ports.hpp"

namespace waiver::store {

struct DatabaseUrl {
  enum class Engine { sqlite, postgresql } engine = Engine::sqlite;
  std::string target;  // a file path for SQLite, a connection string for PostgreSQL
};

// sqlite:///abs/path.db, sqlite://relative.db, postgresql://user@host:port/dbname.
tl::expected<DatabaseUrl, std::string> parse_database_url(const std::string& url);

struct StoreOptions {
  std::size_t pool_size = 8;
  bool migrate = true;  // run pending migrations on open
  // SQLite's page cache per connection, in KiB; 0 keeps SQLite's 2 MiB. A one-shot command (an
  // import of a whole register in one transaction) gains from a large one: pages do not spill.
  std::size_t sqlite_cache_kib = 0;
  // SQLite's temporary storage in memory (PRAGMA temp_store = MEMORY). A statement inside a
  // transaction may keep the pages it changes in a statement journal, so that it alone can be
  // undone; past 64 KiB SQLite writes that journal to a temporary file. The import's last
  // statement, which indexes all its rows for search, wrote one (an import of 100 k: 1 s of 11).
  // A one-shot command sets it; `serve` does not (a large sort would grow its memory).
  bool sqlite_temp_in_memory = false;
};

// Opens (creating the file if needed) and migrates. Throws std::runtime_error with a one-line
// reason when the database cannot be opened or migrated.
std::unique_ptr<app::Store> open_store(const DatabaseUrl& url, const StoreOptions& options = {});

// The current schema version and the newest this build knows.
struct SchemaState {
  int current = 0;
  int latest = 0;
};

}  // namespace waiver::store
