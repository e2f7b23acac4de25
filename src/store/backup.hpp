// `waiver backup FILE`: a consistent copy of a live database into a new SQLite file, taken while
// the server serves. SQLite: VACUUM INTO (one read snapshot, WAL included). PostgreSQL: the copy
// machinery of `waiver copy` (one REPEATABLE READ snapshot) into a SQLite file, which
// `waiver copy --from sqlite:///FILE --to postgresql://…` restores. The backup's audit chain is
// verified before the command succeeds.
#pragma once
#include <string>

#include "store/sql_store.hpp"

namespace waiver::store {

struct BackupReport {
  std::string file;
  app::VerifyResult verified;  // the backup's own audit chain
};

// Throws std::runtime_error with a one-line reason; a failed backup leaves no file behind.
BackupReport backup_database(const DatabaseUrl& from, const std::string& file);

}  // namespace waiver::store
