// `waiver copy`: a whole installation from one database to another (SQLite to PostgreSQL and
// back), every table with its ids, in one transaction on the target, the audit chain verified
// on arrival.
#pragma once
#include <soci/soci.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/sql_store.hpp"

namespace waiver::store {

// A plain SOCI session on the database (SQLite: foreign keys on, busy timeout), outside any
// store: for bulk work and tests that need SQL the store does not offer.
std::unique_ptr<soci::session> open_session(const DatabaseUrl& url);

// The tables of the current schema in an order that satisfies every foreign key.
const std::vector<std::string>& copied_tables();

struct CopiedTable {
  std::string name;
  std::int64_t rows = 0;
};

struct CopyReport {
  std::vector<CopiedTable> tables;  // in copy order
  std::int64_t events = 0;          // audit events, verified on the target
  std::string head;                 // the chain's last hash, the same on both
};

struct CopyOptions {
  std::size_t batch = 500;  // rows read per query; at most this many are held at once
};

// Copies `from` into `to`. The source must be at this build's schema and its audit chain must
// verify; it is only read, in one snapshot. The target is created or migrated, and must hold
// no row in any table. Everything is written in one transaction, the chain is verified on the
// target before and after the commit, and its event count and head must equal the source's.
// Throws std::runtime_error with a one-line reason; except for a failed check after the commit
// (said so in the reason), a failure leaves no row in the target.
CopyReport copy_database(const DatabaseUrl& from, const DatabaseUrl& to, const CopyOptions& options = {});

// The report as printed by `waiver copy`: one line per table, then the chain.
std::string format_copy_report(const CopyReport& report);

}  // namespace waiver::store
