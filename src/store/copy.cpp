#include "store/copy.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>

#include "store/audit_chain.hpp"
#include "store/dialect.hpp"
#include "store/exception_rows.hpp"
#include "store/soci_types.hpp"

namespace waiver::store {
namespace {

// ---- The schema as the copy sees it ----------------------------------------------------------
//
// Each column is read and written with its own C++ type: integers as long long on both engines
// (through soci::row an INTEGER is int on SQLite and long long on PostgreSQL), text as
// std::string, NULL through an indicator. Before copying, the columns of every table on both
// sides are compared with this list, and the source's tables with the list of tables: a
// migration that adds a column or a table makes the copy refuse until this list knows it,
// instead of leaving data behind.

enum class Kind { text, integer };

struct Column {
  std::string name;
  Kind kind;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  // A unique key, read in this order: the copy pages through the table by it (keyset paging).
  std::vector<std::string> key;
  // An integer column referring to this table's own integer key (exceptions.parent_id), or empty.
  std::string self_reference = {};
};

Column T(std::string name) { return {std::move(name), Kind::text}; }
Column I(std::string name) { return {std::move(name), Kind::integer}; }

// In an order where every foreign key points to a table already copied.
const std::vector<Table>& schema() {
  static const std::vector<Table> kTables = {
      {"users",
       {T("email"), T("name"), T("department"), T("roles"), T("password_hash"), T("created_at"),
        T("disabled_at")},
       {"email"}},
      {"departments", {T("name"), T("head_email")}, {"name"}},
      {"policies", {T("id"), T("title"), T("kind"), T("owner_email"), T("reminder_days")}, {"id"}},
      {"policy_maintainers", {T("policy_id"), T("email")}, {"policy_id", "email"}},
      {"matrix_versions", {I("version"), T("document"), T("created_at")}, {"version"}},
      {"api_tokens",
       {I("id"), T("user_email"), T("name"), T("token_hash"), T("created_at"), T("expires_at"),
        T("revoked_at"), T("last_used_at")},
       {"id"}},
      {"ref_counters", {I("year"), I("last")}, {"year"}},
      {"exceptions",
       {I("id"),
        T("ref"),
        T("status"),
        T("requester_email"),
        T("department"),
        T("policy_id"),
        T("title"),
        T("requirement"),
        T("type"),
        T("data_classification"),
        T("description"),
        T("alternative"),
        T("justification"),
        T("resources"),
        T("scope"),
        I("likelihood"),
        I("impact"),
        T("controls_json"),
        T("start_on"),
        T("end_on"),
        T("links_json"),
        I("max_days"),
        I("matrix_version"),
        T("approvals_json"),
        T("implications"),
        T("frameworks_json"),
        T("risk_level"),
        T("decision_end_on"),
        T("action_plan"),
        T("appeal_json"),
        T("invitations_json"),
        T("closed_reason"),
        I("parent_id"),
        I("version"),
        T("created_at"),
        T("updated_at"),
        T("submitted_at"),
        T("decided_at"),
        T("denied_at")},
       {"id"},
       "parent_id"},
      {"exception_access", {I("exception_id"), T("email")}, {"email", "exception_id"}},
      {"exception_notes", {I("id"), I("exception_id"), T("kind"), T("by_email"), T("body"), T("at")}, {"id"}},
      {"sessions",
       {T("id_hash"), T("user_email"), T("method"), T("csrf_token"), T("address"), T("created_at"),
        T("last_seen_at"), T("expires_at")},
       {"id_hash"}},
      {"sign_in_failures", {I("id"), T("key"), T("at")}, {"id"}},
      {"oidc_states",
       {T("state_hash"), T("nonce"), T("code_verifier"), T("return_to"), T("created_at")},
       {"state_hash"}},
      {"outbox",
       {I("id"), T("created_at"), T("channel"), T("target"), T("event"), T("ref"), T("dedupe_key"),
        T("subject"), T("body"), I("attempts"), T("next_attempt_at"), T("claimed_by"), T("claimed_until"),
        T("delivered_at"), T("failed_at"), T("last_error")},
       {"id"}},
      {"webhooks",
       {I("id"), T("url"), T("secret"), T("events"), T("format"), T("created_at"), T("created_by"),
        T("disabled_at")},
       {"id"}},
      {"calendar_feeds", {T("user_email"), T("token_hash"), T("created_at")}, {"user_email"}},
      {"job_runs", {T("name"), T("last_run_at"), I("runs")}, {"name"}},
      {"audit_events",
       {I("id"), T("at"), T("actor"), T("action"), T("entity_type"), T("entity_id"), T("ref"), T("before"),
        T("after"), T("data"), T("prev_hash"), T("hash")},
       {"id"}},
      {"idempotency_keys",
       {T("scope"), T("idem_key"), T("request_hash"), T("created_at"), I("status"), T("content_type"),
        T("headers"), T("body")},
       {"scope", "idem_key"}},
      {"audit_checkpoints",
       {I("id"), I("events"), T("head"), T("at"), T("public_key"), T("signature")},
       {"id"}},
      // Last: PostgreSQL's migration creates the head row (0 events) up front; it is replaced.
      {"audit_head", {I("id"), I("events"), T("hash")}, {"id"}},
  };
  return kTables;
}

// Tables of the store that are not data: each database keeps its own migration history.
// The text search index (SQLite's exceptions_search and its shadow tables) is derived: it is
// rebuilt on a SQLite target (PostgreSQL's trigram index follows its table).
bool is_bookkeeping(const std::string& table) {
  return table == "schema_migrations" || table.starts_with("sqlite_") ||
         table.starts_with("exceptions_search");
}

// ---- Where the engines differ, for the copy only ---------------------------------------------

bool is_postgresql(const DatabaseUrl& url) { return url.engine == DatabaseUrl::Engine::postgresql; }

// The source is read in one snapshot, so that every table is copied as of one instant. SQLite's
// read transaction is one already (WAL: writers go on meanwhile); PostgreSQL needs REPEATABLE READ.
const char* begin_snapshot(bool postgresql) {
  return postgresql ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
}

std::string table_names_sql(bool postgresql) {
  return postgresql ? "SELECT CAST(table_name AS TEXT) FROM information_schema.tables "
                      "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                    : "SELECT name FROM sqlite_master WHERE type = 'table'";
}

std::string column_names_sql(bool postgresql, const std::string& table) {
  return postgresql ? "SELECT CAST(column_name AS TEXT) FROM information_schema.columns "
                      "WHERE table_schema = current_schema() AND table_name = '" +
                          table + "'"
                    : "SELECT name FROM pragma_table_info('" + table + "')";
}

// PostgreSQL only: identity columns draw from a sequence, which explicit ids do not move; set
// it past the largest id copied, so that the next request gets the next id. setval() is strict:
// for a table whose `id` has no sequence (audit_events, audit_head) it does nothing. SQLite
// needs nothing: a new INTEGER PRIMARY KEY is always the largest plus one.
std::string reset_identity_sql(const std::string& table) {
  return "SELECT setval(pg_get_serial_sequence('" + table +
         "', 'id'), COALESCE(MAX(\"id\"), 0) + 1, false) FROM \"" + table + "\"";
}

// ---- Helpers ---------------------------------------------------------------------------------

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  std::string out;
  for (char c : text)
    if (!(c == ' ' && (out.empty() || out.back() == ' '))) out += c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string quoted(const std::string& identifier) { return "\"" + identifier + "\""; }

std::string joined(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::set<std::string> strings(soci::session& s, const std::string& sql) {
  std::set<std::string> out;
  soci::rowset<std::string> rs = s.prepare << sql;
  for (const auto& v : rs) out.insert(v);
  return out;
}

// The columns of `t` in the database must be exactly those the copy knows.
void check_columns(soci::session& s, bool postgresql, const Table& t, const std::string& side) {
  const auto actual = strings(s, column_names_sql(postgresql, t.name));
  std::set<std::string> known;
  for (const auto& c : t.columns) known.insert(c.name);
  std::vector<std::string> unknown, missing;
  std::set_difference(actual.begin(), actual.end(), known.begin(), known.end(), std::back_inserter(unknown));
  std::set_difference(known.begin(), known.end(), actual.begin(), actual.end(), std::back_inserter(missing));
  if (actual.empty()) throw Failure("the " + side + " has no table " + t.name);
  if (!unknown.empty() || !missing.empty())
    throw Failure("the " + side + "'s table " + t.name + " does not have the columns this waiver copies" +
                  (unknown.empty() ? "" : " (unknown: " + joined(unknown) + ")") +
                  (missing.empty() ? "" : " (missing: " + joined(missing) + ")"));
}

// The source may hold no table the copy does not know, and both sides exactly the columns it knows.
void check_schema(soci::session& s, bool postgresql, const std::string& side) {
  if (side == "source") {
    std::set<std::string> known;
    for (const auto& t : schema()) known.insert(t.name);
    for (const auto& name : strings(s, table_names_sql(postgresql)))
      if (!is_bookkeeping(name) && !known.contains(name))
        throw Failure("the source has a table this waiver does not copy: " + name);
  }
  for (const auto& t : schema()) check_columns(s, postgresql, t, side);
}

// One row of a table, bound by reference to both the read and the insert statement.
struct RowBuffer {
  explicit RowBuffer(const Table& t)
      : text(t.columns.size()), integer(t.columns.size()), ind(t.columns.size(), soci::i_ok) {}
  std::vector<std::string> text;
  std::vector<long long> integer;
  std::vector<soci::indicator> ind;
};

std::size_t index_of(const Table& t, const std::string& column) {
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].name == column) return i;
  throw std::logic_error("no column " + column + " in " + t.name);
}

// SELECT the columns of one page, in key order, after the key of the previous page's last row
// when `after` is given.
soci::statement select_page(soci::session& s, const Table& t, RowBuffer& row, RowBuffer* after,
                            const std::vector<std::size_t>& key, std::size_t batch) {
  std::vector<std::string> cols, keys, marks;
  for (const auto& c : t.columns) cols.push_back(quoted(c.name));
  for (std::size_t k = 0; k < key.size(); ++k) {
    keys.push_back(quoted(t.columns[key[k]].name));
    marks.push_back(":k" + std::to_string(k));
  }
  std::string sql = "SELECT " + joined(cols) + " FROM " + quoted(t.name);
  if (after) sql += " WHERE (" + joined(keys) + ") > (" + joined(marks) + ")";
  sql += " ORDER BY " + joined(keys) + " LIMIT " + std::to_string(batch);
  soci::statement st(s);
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i].kind == Kind::integer)
      st.exchange(soci::into(row.integer[i], row.ind[i]));
    else
      st.exchange(soci::into(row.text[i], row.ind[i]));
  }
  if (after)
    for (auto k : key) {
      if (t.columns[k].kind == Kind::integer)
        st.exchange(soci::use(after->integer[k]));
      else
        st.exchange(soci::use(after->text[k]));
    }
  st.alloc();
  st.prepare(sql);
  st.define_and_bind();
  return st;
}

soci::statement insert_row(soci::session& s, const Table& t, RowBuffer& row) {
  std::vector<std::string> cols, marks;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    cols.push_back(quoted(t.columns[i].name));
    marks.push_back(":c" + std::to_string(i));
  }
  soci::statement st(s);
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i].kind == Kind::integer)
      st.exchange(soci::use(row.integer[i], row.ind[i]));
    else
      st.exchange(soci::use(row.text[i], row.ind[i]));
  }
  st.alloc();
  st.prepare("INSERT INTO " + quoted(t.name) + " (" + joined(cols) + ") VALUES (" + joined(marks) + ")");
  st.define_and_bind();
  return st;
}

// Copies one table page by page: at most `batch` rows are held at once (libpq keeps a page).
std::int64_t copy_table(const Table& t, soci::session& source, soci::session& target, std::size_t batch) {
  std::vector<std::size_t> key;
  for (const auto& k : t.key) key.push_back(index_of(t, k));
  RowBuffer row(t), last(t), seen(t);  // seen: the key of the last row copied
  soci::statement first = select_page(source, t, row, nullptr, key, batch);
  soci::statement next = select_page(source, t, row, &last, key, batch);
  soci::statement insert = insert_row(target, t, row);

  // A row that refers to one not yet copied (a later id) is inserted without the reference,
  // which is set once the whole table is there. Extensions are newer than their parents, so
  // this does not happen in practice; it keeps the copy right if it ever does.
  const bool self = !t.self_reference.empty();
  const std::size_t ref = self ? index_of(t, t.self_reference) : 0;
  const std::size_t own = self ? key.front() : 0;
  std::vector<std::pair<long long, long long>> deferred;  // (id, reference)

  std::int64_t copied = 0;
  soci::statement* page = &first;
  for (;;) {
    std::size_t in_page = 0;
    page->execute(false);
    while (page->fetch()) {
      ++in_page;
      if (self && row.ind[ref] == soci::i_ok && row.integer[ref] >= row.integer[own]) {
        deferred.emplace_back(row.integer[own], row.integer[ref]);
        row.ind[ref] = soci::i_null;
      }
      insert.execute(true);
      for (auto k : key) {
        seen.integer[k] = row.integer[k];
        seen.text[k] = row.text[k];
      }
    }
    // Only now: with SOCI's SQLite backend, a bound value changed while its query is being
    // fetched changes the rows that follow (seen: rows skipped on a two-column key).
    for (auto k : key) {
      last.integer[k] = seen.integer[k];
      last.text[k] = seen.text[k];
    }
    copied += static_cast<std::int64_t>(in_page);
    if (in_page < batch) break;
    page = &next;
  }
  for (auto [id, reference] : deferred)
    target << "UPDATE " + quoted(t.name) + " SET " + quoted(t.self_reference) + " = :r WHERE " +
                  quoted(t.columns[own].name) + " = :id",
        soci::use(reference, "r"), soci::use(id, "id");
  return copied;
}

// The first table of the target holding a row, or empty. The head row PostgreSQL creates with
// the schema (0 events) does not count.
std::string first_nonempty_table(soci::session& target) {
  for (const auto& t : schema()) {
    const std::string sql = t.name == "audit_head" ? "SELECT 1 FROM audit_head WHERE events > 0"
                                                   : "SELECT 1 FROM " + quoted(t.name) + " LIMIT 1";
    int one = 0;
    soci::statement st = (target.prepare << sql, soci::into(one));
    if (st.execute(true)) return t.name;
  }
  return "";
}

struct Head {
  long long events = 0;
  std::string hash = kGenesisHash;
};

Head read_head(soci::session& s) {
  Head h;
  soci::indicator ind = soci::i_null;
  s << "SELECT events, hash FROM audit_head WHERE id = 1", soci::into(h.events, ind), soci::into(h.hash);
  if (ind == soci::i_null || h.events == 0) h = Head{};
  return h;
}

// The chain as this session sees it (inside its transaction), page by page.
app::VerifyResult verify_chain(soci::session& s, std::size_t batch) {
  ChainVerifier verifier;
  long long last = 0, seen = 0;
  for (;;) {
    std::size_t in_page = 0;
    soci::rowset<soci::row> rs =
        (s.prepare << "SELECT * FROM audit_events WHERE id > :last ORDER BY id LIMIT " +
                          std::to_string(batch),
         soci::use(last, "last"));
    for (const auto& r : rs) {
      auto e = event_from_row(r);
      verifier.feed(e);
      seen = e.id;
      ++in_page;
    }
    if (in_page < batch) break;
    last = seen;
  }
  const Head h = read_head(s);
  return verifier.finish(h.events, h.hash);
}

// Why a verification does not match the source, or empty.
std::string mismatch(const app::VerifyResult& r, const Head& expected) {
  if (!r.ok)
    return "the audit chain does not verify at event " + std::to_string(r.first_bad.value_or(0)) + ": " +
           r.reason;
  if (r.events != expected.events || r.head != expected.hash)
    return "the audit chain has " + std::to_string(r.events) + " events ending in " + r.head +
           ", the source " + std::to_string(expected.events) + " ending in " + expected.hash;
  return "";
}

void roll_back(soci::session& s) {
  try {
    s << "ROLLBACK";
  } catch (...) {
  }
}

}  // namespace

std::unique_ptr<soci::session> open_session(const DatabaseUrl& url) {
  if (is_postgresql(url)) {
    auto s = std::make_unique<soci::session>(*soci::factory_postgresql(), url.target);
    *s << "SET client_min_messages TO WARNING";
    return s;
  }
  auto s = std::make_unique<soci::session>(*soci::factory_sqlite3(), "db=" + url.target + " timeout=30");
  *s << "PRAGMA busy_timeout = 30000";
  *s << "PRAGMA foreign_keys = ON";
  return s;
}

const std::vector<std::string>& copied_tables() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out;
    for (const auto& t : schema()) out.push_back(t.name);
    return out;
  }();
  return kNames;
}

CopyReport copy_database(const DatabaseUrl& from, const DatabaseUrl& to, const CopyOptions& options) {
  const std::size_t batch = std::max<std::size_t>(options.batch, 1);
  const bool source_pg = is_postgresql(from), target_pg = is_postgresql(to);
  std::string stage = "opening the source";
  try {
    // The source is only read. A missing SQLite file would be created empty by opening it.
    if (!source_pg && !std::filesystem::exists(from.target))
      throw Failure("the source database " + from.target + " does not exist");
    {
      auto source_store = open_store(from, {.pool_size = 1, .migrate = false});
      if (auto why = source_store->readiness(); !why.empty()) throw Failure("the source: " + why);
    }
    auto source = open_session(from);
    stage = "reading the source's schema";
    check_schema(*source, source_pg, "source");

    // One snapshot of the source for the check of its chain and for every table copied.
    // The chains are read page by page here rather than through Store::verify_audit, which
    // holds the whole trail in memory on PostgreSQL (libpq keeps a query's whole result).
    *source << begin_snapshot(source_pg);
    CopyReport report;
    Head expected;
    try {
      stage = "verifying the source's audit chain";
      const auto origin = verify_chain(*source, batch);
      if (!origin.ok)
        throw Failure("the source's audit chain does not verify at event " +
                      std::to_string(origin.first_bad.value_or(0)) + ": " + origin.reason +
                      "; nothing was copied");
      expected = {origin.events, origin.head};

      stage = "opening the target";
      open_store(to, {.pool_size = 1, .migrate = true});  // creates or migrates the schema
      auto target = open_session(to);
      stage = "reading the target's schema";
      check_schema(*target, target_pg, "target");

      *target << (target_pg ? postgresql_dialect() : sqlite_dialect()).begin_write;
      try {
        stage = "checking that the target is empty";
        if (auto t = first_nonempty_table(*target); !t.empty())
          throw Failure("the target is not empty (table " + t +
                        " has rows): waiver copy needs a new, empty database; nothing was copied");
        for (const auto& t : schema()) {
          stage = "copying table " + t.name;
          // The target's head row (PostgreSQL: made with the schema) gives way to the source's.
          if (t.name == "audit_head") *target << "DELETE FROM audit_head";
          report.tables.push_back({t.name, copy_table(t, *source, *target, batch)});
        }
        // A SQLite source without events may have no head row; PostgreSQL's store expects one.
        if (report.tables.back().rows == 0)
          *target << "INSERT INTO audit_head (id, events, hash) VALUES (1, 0, :h)",
              soci::use(kGenesisHash, "h");
        if (target_pg) {
          stage = "moving the identity sequences past the copied ids";
          for (const auto& t : schema()) {
            const bool has_id = std::any_of(t.columns.begin(), t.columns.end(), [](const Column& c) {
              return c.name == "id" && c.kind == Kind::integer;
            });
            if (!has_id) continue;
            long long next = 0;
            soci::indicator ind = soci::i_null;
            *target << reset_identity_sql(t.name), soci::into(next, ind);
          }
        } else {
          // The store indexes a new request for search as it inserts it (no trigger since
          // migration 11): the copied requests are indexed here, in one pass.
          stage = "indexing the copied requests for text search";
          *target << "INSERT INTO exceptions_search (exceptions_search) VALUES ('rebuild')";
        }
        stage = "verifying the audit chain on the target before committing";
        if (auto why = mismatch(verify_chain(*target, batch), expected); !why.empty())
          throw Failure("the copy was rolled back: " + why);
        stage = "committing on the target";
        *target << "COMMIT";
      } catch (...) {
        roll_back(*target);
        throw;
      }
    } catch (...) {
      roll_back(*source);
      throw;
    }
    roll_back(*source);  // ends the read snapshot

    // Once more as any reader of the target will see it, in a new connection.
    stage = "verifying the audit chain on the target after committing";
    auto check = open_session(to);
    *check << begin_snapshot(target_pg);
    const auto arrived = verify_chain(*check, batch);
    roll_back(*check);
    if (auto why = mismatch(arrived, expected); !why.empty())
      throw Failure("the copy was committed but " + why + ": do not use the target");
    report.events = arrived.events;
    report.head = arrived.head;
    return report;
  } catch (const Failure&) {
    throw;
  } catch (const soci::soci_error& e) {
    throw std::runtime_error(stage + ": " + one_line(e.get_error_message()));
  } catch (const std::exception& e) {
    throw std::runtime_error(stage + ": " + one_line(e.what()));
  }
}

std::string format_copy_report(const CopyReport& report) {
  std::ostringstream out;
  std::size_t width = 0;
  for (const auto& t : report.tables) width = std::max(width, t.name.size());
  for (const auto& t : report.tables)
    out << "  " << t.name << std::string(width - t.name.size() + 2, ' ') << t.rows << "\n";
  out << "audit chain verified on the target: " << report.events << " events, head " << report.head << "\n";
  return out.str();
}

}  // namespace waiver::store
