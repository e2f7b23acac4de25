#include "store/backup.hpp"

#include <filesystem>
#include <stdexcept>

#include "store/copy.hpp"

namespace waiver::store {
namespace {

std::string sql_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

BackupReport backup_database(const DatabaseUrl& from, const std::string& file) {
  namespace fs = std::filesystem;
  const fs::path path = fs::absolute(file);
  if (fs::exists(path)) throw std::runtime_error(file + " exists already: a backup never overwrites a file");
  const DatabaseUrl to{DatabaseUrl::Engine::sqlite, path.string()};
  try {
    if (from.engine == DatabaseUrl::Engine::sqlite) {
      if (fs::equivalent(fs::absolute(from.target), path))
        throw std::runtime_error("the backup cannot be the database itself");
      // VACUUM INTO writes the database as one read transaction sees it: consistent while writers
      // go on (WAL), and compact.
      auto s = open_session(from);
      *s << "VACUUM INTO " + sql_literal(path.string());
    } else {
      copy_database(from, to);
    }
    auto copy = open_store(to, {1, false});
    BackupReport report{path.string(), copy->verify_audit()};
    if (!report.verified.ok)
      throw std::runtime_error("the backup's audit chain does not verify at event " +
                               std::to_string(report.verified.first_bad.value_or(0)) + ": " +
                               report.verified.reason);
    return report;
  } catch (...) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path.string() + suffix, ec);
    throw;
  }
}

}  // namespace waiver::store
