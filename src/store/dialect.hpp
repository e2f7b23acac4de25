// Where SQLite and PostgreSQL differ, one named place per difference; everything else is the
// same SQL on both.
#pragma once
#include <string>

namespace waiver::store {

struct Dialect {
  bool postgresql = false;
  // SQLite takes the write lock at BEGIN IMMEDIATE, so writers queue instead of failing later;
  // PostgreSQL locks rows as they are written.
  const char* begin_write = "BEGIN IMMEDIATE";
  const char* begin_read = "BEGIN";
  // Appends to the audit chain lock its head row, so that instances on one PostgreSQL database
  // append in one global order. SQLite has one writer at a time already.
  const char* lock_row = "";
  // A comma list of ids from a subquery.
  const char* id_list = "group_concat(x.id)";
  // Taken in the migration transaction, so that two instances starting together migrate once.
  const char* migration_lock = "";
  // Claiming outbox messages: PostgreSQL instances skip the rows another one is claiming.
  const char* skip_locked = "";
  // Scheduled jobs of several instances run one after the other (SQLite: the write lock).
  const char* job_lock = "";
  // Reading the whole audit trail in one snapshot (verify, export): SQLite's read transaction is
  // one already; PostgreSQL's READ COMMITTED would let appends made meanwhile into later pages
  // and the head.
  const char* snapshot = "";
  // Whether an INSERT reads its new row's id by RETURNING. SQLite runs RETURNING as a trigger, and
  // a statement with a trigger on a table with foreign keys keeps a statement journal (the ~70 KiB
  // of pages a request's insert changes, written to a temporary file past 64 KiB: 37 writes a
  // request). SQLite gives the id by sqlite3_last_insert_rowid instead.
  bool returning_id = false;
};

inline const Dialect& sqlite_dialect() {
  static const Dialect kSqlite{};
  return kSqlite;
}

inline const Dialect& postgresql_dialect() {
  static const Dialect kPostgresql{true,
                                   "BEGIN",
                                   "BEGIN",
                                   " FOR UPDATE",
                                   "string_agg(CAST(x.id AS TEXT), ',')",
                                   "SELECT pg_advisory_xact_lock(72240)",
                                   " FOR UPDATE SKIP LOCKED",
                                   "SELECT pg_advisory_xact_lock(72241)",
                                   "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                                   true};
  return kPostgresql;
}

}  // namespace waiver::store
