#include "store/sql_store.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "app/idempotency.hpp"
#include "app/organisation_json.hpp"
#include "app/percent_encoding.hpp"
#include "app/request_json.hpp"
#include "store/audit_chain.hpp"
#include "store/checkpoint_rows.hpp"
#include "store/dialect.hpp"
#include "store/exception_rows.hpp"
#include "store/idempotency_rows.hpp"
#include "store/migrations.hpp"
#include "store/outbox_rows.hpp"
#include "store/soci_types.hpp"
#include "store/statement_cache.hpp"

namespace waiver::store {
namespace {

using app::AuditEvent;
using app::AuditRecord;
using domain::format_instant;
using nlohmann::json;

std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < sql.size()) {
    auto end = sql.find(";\n", start);
    if (end == std::string_view::npos) end = sql.size();
    auto stmt = std::string(sql.substr(start, end - start));
    if (stmt.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(stmt);
    start = end + 2;
  }
  return out;
}

std::string roles_text(const std::set<domain::Role>& roles) {
  std::string out;
  for (auto r : roles) {
    if (!out.empty()) out += ",";
    out += domain::to_string(r);
  }
  return out;
}

std::set<domain::Role> roles_from(const std::string& text) {
  std::set<domain::Role> out;
  for (const auto& piece : split_commas(text))
    if (auto r = domain::from_string<domain::Role>(piece)) out.insert(*r);
  return out;
}

app::ApiTokenInfo token_from(const soci::row& r) {
  auto at = [&](const char* name) -> std::optional<domain::Instant> {
    auto t = opt_text_at(r, name);
    return t ? domain::parse_instant(*t) : std::nullopt;
  };
  return {*int_at(r, "id"),   text_at(r, "user_email"),
          text_at(r, "name"), at("created_at").value_or(domain::Instant{}),
          at("expires_at"),   at("last_used_at"),
          at("revoked_at")};
}

class SqlUnitOfWork final : public app::UnitOfWork {
 public:
  SqlUnitOfWork(soci::connection_pool& pool, std::vector<StatementCache>& caches, const Dialect& dialect,
                std::unique_lock<std::mutex> writer, std::atomic<std::size_t>* in_use = nullptr)
      : pool_(pool),
        pos_(pool.lease()),
        sql_(pool.at(pos_)),
        cache_(caches.at(pos_)),
        d_(dialect),
        writer_(std::move(writer)),
        in_use_(in_use) {
    if (in_use_) ++*in_use_;
    try {
      begin();
    } catch (...) {
      if (in_use_) --*in_use_;
      pool_.give_back(pos_);
      throw;
    }
  }
  ~SqlUnitOfWork() override {
    if (in_use_) --*in_use_;
    if (!done_) {
      try {
        cache_.exec(sql_, "ROLLBACK");
      } catch (...) {
      }
    }
    pool_.give_back(pos_);
  }

  // Starts the transaction; a PostgreSQL connection lost since its last use (the server
  // restarted) is opened again once before giving up.
  void begin() {
    const char* statement = writer_.owns_lock() ? d_.begin_write : d_.begin_read;
    try {
      cache_.exec(sql_, statement);
    } catch (const soci::soci_error&) {
      if (!d_.postgresql) throw;
      cache_.clear();  // its statements died with the old connection
      sql_.reconnect();
      sql_ << "SET client_min_messages TO WARNING";
      cache_.exec(sql_, statement);
    }
  }

  void commit() override {
    // The unit of work of a change (it wrote audit events) claims the request's Idempotency-Key,
    // if any, in its own transaction: a retry that raced it finds the key taken and undoes itself.
    if (auto* c = app::current_idempotency_claim(); c && appended_ && !c->claimed && writer_.owns_lock()) {
      if (!idempotency_rows::claim(sql_, c->scope, c->key, c->request_hash, c->at, c->expired_before)) {
        c->taken = true;
        throw std::runtime_error("the Idempotency-Key was claimed by another request meanwhile");
      }
      c->claimed = true;
    }
    if (deferred_search_) index_deferred_search();
    cache_.exec(sql_, "COMMIT");
    done_ = true;
    // The next writer need not wait while this one builds its answer from what it committed.
    if (writer_.owns_lock()) writer_.unlock();
  }

  // SQLite's FTS5 index flushes its pending terms at every statement of the transaction once a
  // row was added to it, so an import of N rows wrote N small segments and merged them (half of
  // an import's time). insert() leaves the new rows out of the index for the transaction, and
  // they are indexed in one statement before COMMIT.
  void expect_many_inserts() override {
    if (d_.postgresql || deferred_search_ || !writer_.owns_lock()) return;
    long long max_id = 0;
    soci::indicator max_ind = soci::i_null;
    sql_ << "SELECT MAX(id) FROM exceptions", soci::into(max_id, max_ind);
    deferred_search_ = DeferredSearch{max_ind == soci::i_null ? 0 : max_id};
  }

  void index_deferred_search() {
    const long long after = deferred_search_->after_id;
    sql_ << "INSERT INTO exceptions_search (rowid, ref, title, requirement, description) "
            "SELECT id, ref, title, requirement, description FROM exceptions WHERE id > :after",
        soci::use(after, "after");
    deferred_search_.reset();
  }

  // SQLite: a new request's words into the search index (migration 11: no trigger does it).
  void index_for_search(const domain::ExceptionRequest& r) {
    struct Words {
      long long id = 0;
      std::string ref, title, requirement, description;
    };
    cache_.with<Words>(
        sql_,
        "INSERT INTO exceptions_search (rowid, ref, title, requirement, description) "
        "VALUES (:id, :ref, :title, :requirement, :description)",
        [](auto& prep, Words& v) {
          prep, soci::use(v.id, "id"), soci::use(v.ref, "ref"), soci::use(v.title, "title"),
              soci::use(v.requirement, "requirement"), soci::use(v.description, "description");
        },
        [&](Words& v, soci::statement& st) {
          v.id = r.id;
          v.ref = r.ref;
          v.title = r.content.title;
          v.requirement = r.content.requirement;
          v.description = r.content.description;
          st.execute(true);
        });
  }

  std::optional<domain::User> user(const std::string& email) override {
    std::optional<domain::User> out;
    cached("SELECT email, name, department, roles FROM users WHERE email = :email", {email},
           [&](const soci::row& r) {
             out = domain::User{text_at(r, "email"), text_at(r, "name"), text_at(r, "department"),
                                roles_from(text_at(r, "roles"))};
           });
    return out;
  }

  std::optional<domain::Actor> actor(const std::string& email) override {
    // The person and what they head, own and maintain, in one statement (each request
    // authenticates): the row of kind 'u' is the user, the others one name each.
    // Read into typed variables: no soci::row.
    struct Rows {
      std::string email, kind, value, department, roles;
    };
    domain::Actor a{email, {}, {}, {}, {}, {}, {}};
    bool found = false;
    cache_.with<Rows>(
        sql_,
        "SELECT 'u' AS k, name AS v, COALESCE(department, '') AS d, COALESCE(roles, '') AS r "
        "FROM users WHERE email = :e0 "
        "UNION ALL SELECT 'h', name, '', '' FROM departments WHERE head_email = :e1 "
        "UNION ALL SELECT 'o', id, '', '' FROM policies WHERE owner_email = :e2 "
        "UNION ALL SELECT 'm', policy_id, '', '' FROM policy_maintainers WHERE email = :e3",
        [](auto& prep, Rows& v) {
          prep, soci::into(v.kind), soci::into(v.value), soci::into(v.department), soci::into(v.roles),
              soci::use(v.email, "e0"), soci::use(v.email, "e1"), soci::use(v.email, "e2"),
              soci::use(v.email, "e3");
        },
        [&](Rows& v, soci::statement& st) {
          v.email = email;
          for (bool got = st.execute(true); got; got = st.fetch()) {
            if (v.kind == "u") {
              found = true;
              a.name = v.value;
              a.department = v.department;
              a.roles = roles_from(v.roles);
              continue;
            }
            auto& into = v.kind == "h" ? a.heads : v.kind == "o" ? a.owns : a.maintains;
            into.insert(v.value);
          }
        });
    if (!found) return std::nullopt;
    return a;
  }

  // Prepared once per connection: every notification of a change reads its request's policy.
  std::optional<domain::Policy> policy(const std::string& id) override {
    std::optional<domain::Policy> out;
    cached("SELECT id, title, kind, owner_email, reminder_days FROM policies WHERE id = :id", {id},
           [&](const soci::row& r) {
             domain::Policy p{text_at(r, "id"),
                              text_at(r, "title"),
                              domain::from_string<domain::PolicyKind>(text_at(r, "kind"))
                                  .value_or(domain::PolicyKind::policy),
                              text_at(r, "owner_email"),
                              {},
                              {}};
             for (const auto& day : split_commas(text_at(r, "reminder_days")))
               p.reminder_days.push_back(std::stoi(day));
             out = std::move(p);
           });
    if (!out) return std::nullopt;
    cached("SELECT email FROM policy_maintainers WHERE policy_id = :id ORDER BY email", {id},
           [&](const soci::row& r) { out->maintainers.push_back(text_at(r, "email")); });
    return out;
  }

  std::optional<domain::Department> department(const std::string& name) override {
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT name, head_email FROM departments WHERE name = :name",
         soci::use(name, "name"));
    for (const auto& r : rs) return domain::Department{text_at(r, "name"), text_at(r, "head_email")};
    return std::nullopt;
  }

  std::vector<std::string> role_members(domain::Role role) override {
    // Roles are a short comma list; the pattern is anchored on commas, and the _ in role
    // names is escaped so that it matches itself only.
    std::string name(domain::to_string(role));
    std::string escaped;
    for (char c : name) escaped += c == '_' ? std::string("\\_") : std::string(1, c);
    const std::string pattern = "%," + escaped + ",%";
    std::vector<std::string> out;
    soci::rowset<std::string> rs =
        (sql_.prepare
             << "SELECT email FROM users WHERE ',' || roles || ',' LIKE :p ESCAPE '\\' ORDER BY email",
         soci::use(pattern, "p"));
    for (const auto& e : rs) out.push_back(e);
    return out;
  }

  std::vector<std::string> user_emails() override {
    std::vector<std::string> out;
    soci::rowset<std::string> rs = (sql_.prepare << "SELECT email FROM users ORDER BY email");
    for (const auto& e : rs) out.push_back(e);
    return out;
  }

  std::optional<app::StoredMatrix> matrix() override {
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT version, document FROM matrix_versions ORDER BY version DESC LIMIT 1");
    for (const auto& r : rs) {
      auto m = app::matrix_from_json(json::parse(text_at(r, "document")));
      if (!m) throw std::runtime_error("the stored matrix is invalid");
      return app::StoredMatrix{*m, *int_at(r, "version")};
    }
    return std::nullopt;
  }

  domain::Organisation organisation() override {
    domain::Organisation org;
    {
      soci::rowset<soci::row> rs =
          (sql_.prepare << "SELECT email, name, department, roles FROM users ORDER BY email");
      for (const auto& r : rs)
        org.users.push_back({text_at(r, "email"), text_at(r, "name"), text_at(r, "department"),
                             roles_from(text_at(r, "roles"))});
    }
    {
      soci::rowset<soci::row> rs = (sql_.prepare << "SELECT name, head_email FROM departments ORDER BY name");
      for (const auto& r : rs) org.departments.push_back({text_at(r, "name"), text_at(r, "head_email")});
    }
    std::vector<std::string> ids;
    {
      soci::rowset<std::string> rs = (sql_.prepare << "SELECT id FROM policies ORDER BY id");
      for (const auto& id : rs) ids.push_back(id);
    }
    for (const auto& id : ids) org.policies.push_back(*policy(id));
    if (auto m = matrix()) org.matrix = m->matrix;
    return org;
  }

  std::string import_organisation(const domain::Organisation& org) override {
    const std::string now = format_instant(domain::Instant{std::time(nullptr)});
    int matrix_changed = 0;
    for (const auto& u : org.users) save_user(u);
    for (const auto& d : org.departments) save_department(d);
    for (const auto& p : org.policies) {
      const std::string kind(domain::to_string(p.kind));
      std::string days;
      for (int d : p.reminder_days) days += (days.empty() ? "" : ",") + std::to_string(d);
      sql_ << "INSERT INTO policies (id, title, kind, owner_email, reminder_days) "
              "VALUES (:id, :title, :kind, :owner, :days) "
              "ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind, "
              "owner_email = excluded.owner_email, reminder_days = excluded.reminder_days",
          soci::use(p.id, "id"), soci::use(p.title, "title"), soci::use(kind, "kind"),
          soci::use(p.owner, "owner"), soci::use(days, "days");
      sql_ << "DELETE FROM policy_maintainers WHERE policy_id = :id", soci::use(p.id, "id");
      for (const auto& m : p.maintainers)
        sql_ << "INSERT INTO policy_maintainers (policy_id, email) VALUES (:id, :email) "
                "ON CONFLICT DO NOTHING",
            soci::use(p.id, "id"), soci::use(m, "email");
    }
    if (org.matrix) {
      const std::string doc = app::to_json(*org.matrix).dump();
      auto current = matrix();
      if (!current || app::to_json(current->matrix).dump() != doc) {
        const long long version = current ? current->version + 1 : 1;
        sql_ << "INSERT INTO matrix_versions (version, document, created_at) VALUES (:v, :doc, :now)",
            soci::use(version, "v"), soci::use(doc, "doc"), soci::use(now, "now");
        matrix_changed = static_cast<int>(version);
      }
    }
    json summary{{"users", org.users.size()},
                 {"departments", org.departments.size()},
                 {"policies", org.policies.size()}};
    if (matrix_changed) summary["matrix_version"] = matrix_changed;
    return summary.dump();
  }

  void set_password_hash(const std::string& email, const std::string& hash) override {
    sql_ << "UPDATE users SET password_hash = :h WHERE email = :email", soci::use(hash, "h"),
        soci::use(email, "email");
  }

  app::Id add_token(const std::string& email, const std::string& name, const std::string& token_hash,
                    domain::Instant now) override {
    long long id = 0;
    const std::string at = format_instant(now);
    sql_ << "INSERT INTO api_tokens (user_email, name, token_hash, created_at) "
            "VALUES (:email, :name, :hash, :now) RETURNING id",
        soci::use(email, "email"), soci::use(name, "name"), soci::use(token_hash, "hash"),
        soci::use(at, "now"), soci::into(id);
    return id;
  }

  std::optional<app::ApiToken> token_by_hash(const std::string& token_hash, domain::Instant now) override {
    // A join on the user's key, not `IN (SELECT … FROM users)`: that form made SQLite list every
    // enabled user on each authenticated request (44 % of a GET's time at 686 users).
    // Read into typed variables (every authenticated request): no soci::row, no lookup by name.
    struct Token {
      std::string hash, now, email, name;
      long long id = 0;
      std::optional<std::string> expires_at, last_used_at;
    };
    std::optional<app::ApiToken> out;
    cache_.with<Token>(
        sql_,
        "SELECT t.id, t.user_email, t.name, t.expires_at, t.last_used_at FROM api_tokens t "
        "JOIN users u ON u.email = t.user_email AND u.disabled_at IS NULL "
        "WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > "
        ":now)",
        [](auto& prep, Token& v) {
          prep, soci::into(v.id), soci::into(v.email), soci::into(v.name), soci::into(v.expires_at),
              soci::into(v.last_used_at), soci::use(v.hash, "hash"), soci::use(v.now, "now");
        },
        [&](Token& v, soci::statement& st) {
          v.hash = token_hash;
          v.now = format_instant(now);
          if (!execute_one(st)) return;  // token_hash is unique: one row at most
          app::ApiToken t{v.id, v.email, v.name, std::nullopt};
          if (v.expires_at) t.expires_at = domain::parse_instant(*v.expires_at);
          if (v.last_used_at) t.last_used_at = domain::parse_instant(*v.last_used_at);
          out = std::move(t);
        });
    return out;
  }

  std::vector<app::ApiTokenInfo> tokens(const std::string& user) override {
    std::vector<app::ApiTokenInfo> out;
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT id, user_email, name, created_at, expires_at, last_used_at, revoked_at "
                         "FROM api_tokens WHERE :user1 = '' OR user_email = :user2 ORDER BY id",
         soci::use(user, "user1"), soci::use(user, "user2"));
    for (const auto& r : rs) out.push_back(token_from(r));
    return out;
  }

  std::optional<app::ApiTokenInfo> token(app::Id id) override {
    const long long key = id;
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT id, user_email, name, created_at, expires_at, last_used_at, revoked_at "
                         "FROM api_tokens WHERE id = :id",
         soci::use(key, "id"));
    for (const auto& r : rs) return token_from(r);
    return std::nullopt;
  }

  void set_token_expiry(app::Id id, std::optional<domain::Instant> expires_at) override {
    const long long key = id;
    const std::optional<std::string> at =
        expires_at ? std::optional<std::string>(format_instant(*expires_at)) : std::nullopt;
    sql_ << "UPDATE api_tokens SET expires_at = :at WHERE id = :id", soci::use(at, "at"),
        soci::use(key, "id");
  }

  void revoke_token(app::Id id, domain::Instant at) override {
    const long long key = id;
    const std::string when = format_instant(at);
    sql_ << "UPDATE api_tokens SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL",
        soci::use(when, "at"), soci::use(key, "id");
  }

  void touch_token(app::Id id, domain::Instant at) override {
    const long long key = id;
    const std::string when = format_instant(at);
    sql_ << "UPDATE api_tokens SET last_used_at = :at WHERE id = :id", soci::use(when, "at"),
        soci::use(key, "id");
  }

  void save_user(const domain::User& u) override {
    const std::string roles = roles_text(u.roles);
    const std::optional<std::string> dep =
        u.department.empty() ? std::nullopt : std::optional<std::string>(u.department);
    const std::string now = format_instant(domain::Instant{std::time(nullptr)});
    sql_ << "INSERT INTO users (email, name, department, roles, created_at) "
            "VALUES (:email, :name, :department, :roles, :now) "
            "ON CONFLICT (email) DO UPDATE SET name = excluded.name, "
            "department = excluded.department, roles = excluded.roles",
        soci::use(u.email, "email"), soci::use(u.name, "name"), soci::use(dep, "department"),
        soci::use(roles, "roles"), soci::use(now, "now");
  }

  void save_department(const domain::Department& d) override {
    const std::optional<std::string> head =
        d.head.empty() ? std::nullopt : std::optional<std::string>(d.head);
    sql_ << "INSERT INTO departments (name, head_email) VALUES (:name, :head) "
            "ON CONFLICT (name) DO UPDATE SET head_email = excluded.head_email",
        soci::use(d.name, "name"), soci::use(head, "head");
  }

  bool is_disabled(const std::string& email) override {
    bool disabled = false;
    cached("SELECT 1 FROM users WHERE email = :email AND disabled_at IS NOT NULL", {email},
           [&](const soci::row&) { disabled = true; });
    return disabled;
  }

  void set_disabled(const std::string& email, std::optional<domain::Instant> at) override {
    const std::optional<std::string> when =
        at ? std::optional<std::string>(format_instant(*at)) : std::nullopt;
    sql_ << "UPDATE users SET disabled_at = :at WHERE email = :email", soci::use(when, "at"),
        soci::use(email, "email");
  }

  std::optional<std::string> password_hash(const std::string& email) override {
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT password_hash FROM users WHERE email = :email AND disabled_at IS NULL",
         soci::use(email, "email"));
    for (const auto& r : rs) return opt_text_at(r, "password_hash");
    return std::nullopt;
  }

  void add_session(const app::Session& x) override {
    const std::string created = format_instant(x.created_at), seen = format_instant(x.last_seen_at),
                      expires = format_instant(x.expires_at);
    sql_ << "INSERT INTO sessions (id_hash, user_email, method, csrf_token, address, created_at, "
            "last_seen_at, expires_at) VALUES (:id, :user, :method, :csrf, :address, :created, :seen, "
            ":expires)",
        soci::use(x.id_hash, "id"), soci::use(x.user, "user"), soci::use(x.method, "method"),
        soci::use(x.csrf_token, "csrf"), soci::use(x.address, "address"), soci::use(created, "created"),
        soci::use(seen, "seen"), soci::use(expires, "expires");
  }

  std::optional<app::Session> session(const std::string& id_hash) override {
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT * FROM sessions WHERE id_hash = :id", soci::use(id_hash, "id"));
    for (const auto& r : rs) {
      auto at = [&](const char* name) {
        return domain::parse_instant(text_at(r, name)).value_or(domain::Instant{});
      };
      return app::Session{text_at(r, "id_hash"),    text_at(r, "user_email"), text_at(r, "method"),
                          text_at(r, "csrf_token"), text_at(r, "address"),    at("created_at"),
                          at("last_seen_at"),       at("expires_at")};
    }
    return std::nullopt;
  }

  void touch_session(const std::string& id_hash, domain::Instant at) override {
    const std::string when = format_instant(at);
    sql_ << "UPDATE sessions SET last_seen_at = :at WHERE id_hash = :id", soci::use(when, "at"),
        soci::use(id_hash, "id");
  }

  void delete_session(const std::string& id_hash) override {
    sql_ << "DELETE FROM sessions WHERE id_hash = :id", soci::use(id_hash, "id");
  }

  void delete_sessions_of(const std::string& email) override {
    sql_ << "DELETE FROM sessions WHERE user_email = :email", soci::use(email, "email");
  }

  int failures_since(const std::string& key, domain::Instant since) override {
    int n = 0;
    const std::string when = format_instant(since);
    sql_ << "SELECT COUNT(*) FROM sign_in_failures WHERE key = :key AND at >= :since", soci::use(key, "key"),
        soci::use(when, "since"), soci::into(n);
    return n;
  }

  app::Id add_failure(const std::string& key, domain::Instant at) override {
    const std::string when = format_instant(at);
    const std::string old = format_instant(domain::Instant{at.seconds - 86400});
    sql_ << "DELETE FROM sign_in_failures WHERE at < :old", soci::use(old, "old");
    long long id = 0;
    sql_ << "INSERT INTO sign_in_failures (key, at) VALUES (:key, :at) RETURNING id", soci::use(key, "key"),
        soci::use(when, "at"), soci::into(id);
    return id;
  }

  void remove_failure(app::Id id) override {
    const long long key = id;
    sql_ << "DELETE FROM sign_in_failures WHERE id = :id", soci::use(key, "id");
  }

  void clear_failures(const std::string& key) override {
    sql_ << "DELETE FROM sign_in_failures WHERE key = :key", soci::use(key, "key");
  }

  void put_oidc_state(const app::OidcState& x) override {
    const std::string created = format_instant(x.created_at);
    const std::string old = format_instant(domain::Instant{x.created_at.seconds - 3600});
    sql_ << "DELETE FROM oidc_states WHERE created_at < :old", soci::use(old, "old");
    sql_ << "INSERT INTO oidc_states (state_hash, nonce, code_verifier, return_to, created_at) "
            "VALUES (:state, :nonce, :verifier, :return_to, :created)",
        soci::use(x.state_hash, "state"), soci::use(x.nonce, "nonce"), soci::use(x.code_verifier, "verifier"),
        soci::use(x.return_to, "return_to"), soci::use(created, "created");
  }

  std::optional<app::OidcState> take_oidc_state(const std::string& state_hash) override {
    std::optional<app::OidcState> out;
    {
      soci::rowset<soci::row> rs = (sql_.prepare << "SELECT * FROM oidc_states WHERE state_hash = :state",
                                    soci::use(state_hash, "state"));
      for (const auto& r : rs)
        out = app::OidcState{text_at(r, "state_hash"), text_at(r, "nonce"), text_at(r, "code_verifier"),
                             text_at(r, "return_to"),
                             domain::parse_instant(text_at(r, "created_at")).value_or(domain::Instant{})};
    }
    if (out) sql_ << "DELETE FROM oidc_states WHERE state_hash = :state", soci::use(state_hash, "state");
    return out;
  }

  std::optional<domain::ExceptionRequest> find(app::Id id) override {
    const long long key = id;
    return find_one(find_sql(false), key);
  }

  std::optional<domain::ExceptionRequest> find_by_ref(const std::string& ref) override {
    return find_one(find_sql(true), ref);
  }

  void insert(domain::ExceptionRequest& r) override {
    struct Counter {
      long long year = 0, seq = 0;
    };
    const long long year = domain::year_of(domain::date_of(r.created_at));
    long long seq = 0;
    cache_.with<Counter>(
        sql_,
        "INSERT INTO ref_counters (year, last) VALUES (:y, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = ref_counters.last + 1 RETURNING last",
        [](auto& prep, Counter& v) { prep, soci::use(v.year, "y"), soci::into(v.seq); },
        [&](Counter& v, soci::statement& st) {
          v.year = year;
          execute_one(st);
          seq = v.seq;
        });
    char ref[32];
    std::snprintf(ref, sizeof ref, "EXC-%04lld-%04lld", year, seq);
    r.ref = ref;
    struct Insert {
      ExceptionRow row;
      long long id = 0;
    };
    const bool returning = d_.returning_id;
    cache_.with<Insert>(
        sql_, insert_exception_sql(returning),
        [returning](auto& prep, Insert& v) {
          bind_row(prep, v.row);
          if (returning) prep, soci::into(v.id);
        },
        [&](Insert& v, soci::statement& st) {
          v.row = to_row(r);
          if (returning) {
            execute_one(st);
            r.id = v.id;
          } else {
            st.execute(true);
            long long id = 0;
            sql_.get_last_insert_id("exceptions", id);  // SQLite: sqlite3_last_insert_rowid
            r.id = id;
          }
        });
    if (!d_.postgresql && !deferred_search_) index_for_search(r);
    write_access(r);
  }

  bool update(const domain::ExceptionRequest& r, const domain::ExceptionRequest& before) override {
    struct Update {
      ExceptionRow row;
      long long id = 0, previous = 0;
    };
    ExceptionRow row = to_row(r);
    // Only the columns that changed: the indexes of the others (15 on `exceptions`) are left alone,
    // which is most of the pages an approval writes.
    const std::uint64_t changed = changed_columns(row, to_row(before));
    bool updated = false;
    cache_.with<Update>(
        sql_, update_exception_sql(changed),
        [changed](auto& prep, Update& v) {
          bind_row(prep, v.row, changed);
          prep, soci::use(v.id, "id"), soci::use(v.previous, "previous");
        },
        [&](Update& v, soci::statement& st) {
          v.row = std::move(row);
          v.id = r.id;
          v.previous = r.version - 1;
          st.execute(true);
          updated = st.get_affected_rows() == 1;
        });
    if (!updated) return false;
    if (access_of(r) != access_of(before)) write_access(r);
    return true;
  }

  void lock(app::Id id) override {
    cached(std::string("SELECT id FROM exceptions WHERE id = :id") + d_.lock_row, {std::to_string(id)},
           [](const soci::row&) {});
  }

  void add_note(app::Id request, const std::string& kind, const domain::Note& note) override {
    const long long id = request;
    without_notes_.erase(request);
    const std::string at = format_instant(note.at);
    sql_ << "INSERT INTO exception_notes (exception_id, kind, by_email, body, at) "
            "VALUES (:id, :kind, :by, :body, :at)",
        soci::use(id, "id"), soci::use(kind, "kind"), soci::use(note.by, "by"), soci::use(note.body, "body"),
        soci::use(at, "at");
  }

  std::map<std::string, std::vector<domain::Note>> notes(app::Id request) override {
    std::map<std::string, std::vector<domain::Note>> out;
    if (without_notes_.contains(request)) return out;  // find() saw none, and none was added since
    cached("SELECT kind, by_email, body, at FROM exception_notes WHERE exception_id = :id ORDER BY id",
           {std::to_string(request)}, [&](const soci::row& r) {
             out[text_at(r, "kind")].push_back(
                 {text_at(r, "by_email"), text_at(r, "body"),
                  domain::parse_instant(text_at(r, "at")).value_or(domain::Instant{})});
           });
    return out;
  }

  std::vector<domain::ExceptionRequest> list(const app::ListFilter& f, const domain::Actor& reader) override {
    // Prepared once per connection and filter shape: its values are parameters, in order of
    // appearance (list_query binds the texts first, then the numbers).
    ListQuery q = list_query(f, reader, d_);
    struct List {
      std::vector<std::string> values;
      std::vector<long long> numbers;
      RequestRow out;
    };
    std::vector<domain::ExceptionRequest> out;
    cache_.with<List>(
        sql_, q.sql,
        [&q](auto& prep, List& v) {
          // Sized before binding: soci keeps the addresses of the elements.
          v.values.resize(q.values.size());
          v.numbers.resize(q.numbers.size());
          for (auto& x : v.values) prep, soci::use(x);
          for (auto& x : v.numbers) prep, soci::use(x);
          bind_request_row(prep, v.out);
        },
        [&](List& v, soci::statement& st) {
          std::copy(q.values.begin(), q.values.end(), v.values.begin());
          std::copy(q.numbers.begin(), q.numbers.end(), v.numbers.begin());
          for (bool got = st.execute(true); got; got = st.fetch()) out.push_back(request_from(v.out));
        });
    return out;
  }

  std::vector<app::Id> due_for_expiry(domain::Date today) override {
    const std::string d = domain::format_date(today);
    std::vector<app::Id> out;
    soci::rowset<long long> rs =
        (sql_.prepare
             << "SELECT id FROM exceptions WHERE status = 'active' AND decision_end_on < :d ORDER BY id",
         soci::use(d, "d"));
    for (auto id : rs) out.push_back(id);
    return out;
  }

  std::vector<app::Id> ids_in_status(const std::vector<domain::Status>& statuses) override {
    std::vector<app::Id> out;
    for (auto status : statuses) {
      const std::string st(domain::to_string(status));
      soci::rowset<long long> rs =
          (sql_.prepare << "SELECT id FROM exceptions WHERE status = :s ORDER BY id", soci::use(st, "s"));
      for (auto id : rs) out.push_back(id);
    }
    return out;
  }

  std::vector<app::Id> active_ending_by(domain::Date last) override {
    const std::string d = domain::format_date(last);
    std::vector<app::Id> out;
    soci::rowset<long long> rs =
        (sql_.prepare
             << "SELECT id FROM exceptions WHERE status = 'active' AND decision_end_on <= :d ORDER BY id",
         soci::use(d, "d"));
    for (auto id : rs) out.push_back(id);
    return out;
  }

  bool enqueue(const app::OutboxMessage& m) override { return outbox_rows::enqueue(sql_, cache_, m); }
  std::vector<app::OutboxMessage> claim_due(domain::Instant now, const std::string& worker,
                                            domain::Instant lease_until, int limit) override {
    return outbox_rows::claim_due(sql_, d_, now, worker, lease_until, limit);
  }
  void mark_delivered(app::Id id, const std::string& worker, domain::Instant at) override {
    outbox_rows::mark_delivered(sql_, id, worker, at);
  }
  void mark_attempt_failed(app::Id id, const std::string& worker, const std::string& error,
                           domain::Instant next_attempt, std::optional<domain::Instant> give_up_at) override {
    outbox_rows::mark_attempt_failed(sql_, id, worker, error, next_attempt, give_up_at);
  }
  std::vector<app::OutboxMessage> outbox(const app::OutboxFilter& f) override {
    return outbox_rows::list(sql_, f);
  }
  std::optional<app::OutboxMessage> outbox_message(app::Id id) override {
    return outbox_rows::find(sql_, id);
  }
  bool retry_outbox(app::Id id, domain::Instant now) override { return outbox_rows::retry(sql_, id, now); }
  app::OutboxCounts outbox_counts() override { return outbox_rows::counts(sql_); }

  std::vector<app::Webhook> webhooks(bool with_disabled) override {
    return outbox_rows::webhooks(sql_, with_disabled);
  }
  app::Id add_webhook(const app::Webhook& w) override { return outbox_rows::add_webhook(sql_, w); }
  bool disable_webhook(app::Id id, domain::Instant at) override {
    return outbox_rows::disable_webhook(sql_, id, at);
  }

  void set_calendar_feed(const std::string& email, const std::string& token_hash,
                         domain::Instant at) override {
    outbox_rows::set_calendar_feed(sql_, email, token_hash, at);
  }
  std::optional<std::string> calendar_feed_owner(const std::string& token_hash) override {
    return outbox_rows::calendar_feed_owner(sql_, token_hash);
  }
  std::optional<domain::Instant> calendar_feed_created(const std::string& email) override {
    return outbox_rows::calendar_feed_created(sql_, email);
  }

  void lock_jobs() override {
    if (*d_.job_lock) sql_ << d_.job_lock;
  }
  void record_job_run(const std::string& name, domain::Instant at) override {
    outbox_rows::record_job_run(sql_, name, at);
  }
  std::vector<app::JobRun> job_runs() override { return outbox_rows::job_runs(sql_); }

  void append(const AuditRecord& rec) override {
    appended_ = true;
    struct Head {
      long long events = 0;
      std::string hash;
      soci::indicator ind = soci::i_null;
    };
    long long events = 0;
    std::string head = kGenesisHash;
    cache_.with<Head>(
        sql_, std::string("SELECT events, hash FROM audit_head WHERE id = 1") + d_.lock_row,
        [](auto& prep, Head& v) { prep, soci::into(v.events, v.ind), soci::into(v.hash); },
        [&](Head& v, soci::statement& st) {
          if (execute_one(st) && v.ind != soci::i_null) {
            events = v.events;
            head = v.hash;
          }
        });
    AuditEvent e{events + 1, with_valid_utf8(rec), head, {}};
    e.hash = chain_hash(e);
    struct Event {
      long long id = 0;
      std::string at, actor, action, etype, eid, ref, before, after, data, prev, hash;
    };
    cache_.with<Event>(
        sql_,
        "INSERT INTO audit_events (id, at, actor, action, entity_type, entity_id, ref, before, after, "
        "data, prev_hash, hash) VALUES (:id, :at, :actor, :action, :etype, :eid, :ref, :before, "
        ":after, :data, :prev, :hash)",
        [](auto& prep, Event& v) {
          prep, soci::use(v.id, "id"), soci::use(v.at, "at"), soci::use(v.actor, "actor"),
              soci::use(v.action, "action"), soci::use(v.etype, "etype"), soci::use(v.eid, "eid"),
              soci::use(v.ref, "ref"), soci::use(v.before, "before"), soci::use(v.after, "after"),
              soci::use(v.data, "data"), soci::use(v.prev, "prev"), soci::use(v.hash, "hash");
        },
        [&](Event& v, soci::statement& st) {
          const auto& r = e.record;  // as hashed: invalid UTF-8 replaced
          v = Event{e.id,          format_instant(r.at),
                    r.actor,       r.action,
                    r.entity_type, r.entity_id,
                    r.ref,         r.before,
                    r.after,       r.data,
                    e.prev_hash,   e.hash};
          st.execute(true);
        });
    struct NewHead {
      long long events = 0;
      std::string hash;
    };
    cache_.with<NewHead>(
        sql_,
        "INSERT INTO audit_head (id, events, hash) VALUES (1, :n, :h) "
        "ON CONFLICT (id) DO UPDATE SET events = excluded.events, hash = excluded.hash",
        [](auto& prep, NewHead& v) { prep, soci::use(v.events, "n"), soci::use(v.hash, "h"); },
        [&](NewHead& v, soci::statement& st) {
          v.events = e.id;
          v.hash = e.hash;
          st.execute(true);
        });
  }

  std::vector<AuditEvent> events_of(const std::string& type, const std::string& id) override {
    std::vector<AuditEvent> out;
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT * FROM audit_events WHERE entity_type = :t AND entity_id = :id ORDER BY id",
         soci::use(type, "t"), soci::use(id, "id"));
    for (const auto& r : rs) out.push_back(event_from_row(r));
    return out;
  }

  app::AuditHead audit_head() override { return checkpoint_rows::head(sql_); }
  app::Id add_checkpoint(const app::AuditCheckpoint& c) override { return checkpoint_rows::add(sql_, c); }
  std::vector<app::AuditCheckpoint> checkpoints() override { return checkpoint_rows::all(sql_); }

  std::optional<app::IdempotentAnswer> idempotent_answer(const std::string& scope,
                                                         const std::string& key) override {
    return idempotency_rows::find(sql_, scope, key);
  }
  bool claim_idempotency_key(const std::string& scope, const std::string& key,
                             const std::string& request_hash, domain::Instant at,
                             domain::Instant expired_before) override {
    return idempotency_rows::claim(sql_, scope, key, request_hash, at, expired_before);
  }
  void record_idempotent_answer(const std::string& scope, const std::string& key,
                                const app::IdempotentAnswer& answer) override {
    idempotency_rows::record(sql_, scope, key, answer);
  }
  void purge_idempotency_keys(domain::Instant expired_before) override {
    idempotency_rows::purge(sql_, expired_before);
  }

  soci::session& session() { return sql_; }

 private:
  // The query of find (by id) or find_by_ref: the request and whether it has notes, built once
  // per dialect.
  const std::string& find_sql(bool by_ref) const {
    static const auto make = [](const Dialect& d, const char* column) {
      return select_exceptions(
                 d,
                 "CASE WHEN EXISTS (SELECT 1 FROM exception_notes n WHERE n.exception_id = e.id) "
                 "THEN 1 ELSE 0 END AS has_notes") +
             " WHERE e." + column + " = :key";
    };
    static const std::array<std::string, 4> kSql{make(sqlite_dialect(), "id"), make(sqlite_dialect(), "ref"),
                                                 make(postgresql_dialect(), "id"),
                                                 make(postgresql_dialect(), "ref")};
    return kSql[(d_.postgresql ? 2 : 0) + (by_ref ? 1 : 0)];
  }

  // One request by its key, with whether it has notes: most have none, and a request read alone is
  // then shown with its notes (notes() answers from without_notes_ instead of a query).
  template <typename Key>
  std::optional<domain::ExceptionRequest> find_one(const std::string& sql, const Key& key) {
    struct Find {
      RequestRow out;
      long long has_notes = 1;
      Key key{};
    };
    std::optional<domain::ExceptionRequest> out;
    cache_.with<Find>(
        sql_, sql,
        [](auto& prep, Find& v) {
          bind_request_row(prep, v.out);
          prep, soci::into(v.has_notes), soci::use(v.key, "key");
        },
        [&](Find& v, soci::statement& st) {
          v.key = key;
          if (!execute_one(st)) return;
          out = request_from(v.out);
          if (v.has_notes == 0) without_notes_.insert(out->id);
        });
    return out;
  }

  // Who may see a request besides its readers by role: its requester, approvers and invitees.
  static std::set<std::string> access_of(const domain::ExceptionRequest& r) {
    std::set<std::string> people{r.requester};
    for (const auto& s : r.approvals) {
      people.insert(s.eligible.begin(), s.eligible.end());
      if (!s.by.empty()) people.insert(s.by);
    }
    for (const auto& i : r.invitations) people.insert(i.email);
    return people;
  }

  void write_access(const domain::ExceptionRequest& r) {
    const std::set<std::string> people = access_of(r);
    struct Access {
      long long id = 0;
      std::string email;
    };
    cache_.with<Access>(
        sql_, "DELETE FROM exception_access WHERE exception_id = :id",
        [](auto& prep, Access& v) { prep, soci::use(v.id, "id"); },
        [&](Access& v, soci::statement& st) {
          v.id = r.id;
          st.execute(true);
        });
    for (const auto& p : people) {
      cache_.with<Access>(
          sql_, "INSERT INTO exception_access (exception_id, email) VALUES (:id, :email)",
          [](auto& prep, Access& v) { prep, soci::use(v.id, "id"), soci::use(v.email, "email"); },
          [&](Access& v, soci::statement& st) {
            v.id = r.id;
            v.email = p;
            st.execute(true);
          });
    }
  }

  // A query prepared once per connection (store/statement_cache.hpp): for those every request runs.
  template <typename F>
  void cached(const std::string& text, const std::vector<std::string>& values, F&& each) {
    cache_.run(sql_, text, values, std::forward<F>(each));
  }

  soci::connection_pool& pool_;
  std::size_t pos_;
  soci::session& sql_;
  StatementCache& cache_;
  const Dialect& d_;
  std::unique_lock<std::mutex> writer_;
  std::atomic<std::size_t>* in_use_ = nullptr;
  bool done_ = false;
  bool appended_ = false;  // wrote audit events: the unit of work of a change
  struct DeferredSearch {
    long long after_id = 0;  // rows above it are not in the search index yet
  };
  std::optional<DeferredSearch> deferred_search_;
  // Requests find() or find_by_ref() read with no notes, in this unit of work (one transaction);
  // add_note takes a request out.
  std::unordered_set<app::Id> without_notes_;
};

// Before SQLite's first connection: no allocation statistics (each malloc took a global mutex),
// and no mutex per connection, which the pool already leases to one thread at a time. Refused
// (and harmless) if SQLite was already initialised.
void configure_sqlite_once() {
  static const bool done = [] {
    sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    return true;
  }();
  (void)done;
}

class SqlStore final : public app::Store {
 public:
  SqlStore(const DatabaseUrl& url, const StoreOptions& options)
      : pool_(options.pool_size),
        caches_(options.pool_size),
        size_(options.pool_size),
        d_(url.engine == DatabaseUrl::Engine::postgresql ? postgresql_dialect() : sqlite_dialect()) {
    for (std::size_t i = 0; i < options.pool_size; ++i) {
      auto& s = pool_.at(i);
      if (d_.postgresql) {
        s.open(*soci::factory_postgresql(), url.target);
        s << "SET client_min_messages TO WARNING";
        continue;
      }
      configure_sqlite_once();
      s.open(*soci::factory_sqlite3(), "db=" + url.target + " timeout=30");
      s << "PRAGMA busy_timeout = 30000";
      s << "PRAGMA foreign_keys = ON";
      if (i == 0) {
        std::string mode;
        s << "PRAGMA journal_mode = WAL", soci::into(mode);
      }
      s << "PRAGMA synchronous = FULL";
      if (options.sqlite_cache_kib > 0)
        s << "PRAGMA cache_size = -" + std::to_string(options.sqlite_cache_kib);
      if (options.sqlite_temp_in_memory) s << "PRAGMA temp_store = MEMORY";
    }
    if (options.migrate) migrate();
  }

  std::unique_ptr<app::UnitOfWork> begin_write() override {
    return std::make_unique<SqlUnitOfWork>(pool_, caches_, d_, std::unique_lock<std::mutex>(writer_),
                                           &in_use_);
  }
  std::unique_ptr<app::UnitOfWork> begin_read() override {
    return std::make_unique<SqlUnitOfWork>(pool_, caches_, d_, std::unique_lock<std::mutex>(), &in_use_);
  }
  app::PoolStats pool_stats() const override { return {size_, in_use_.load()}; }

  std::string readiness() override {
    try {
      auto uow = begin_read();  // reconnects if it must
      auto& sql = static_cast<SqlUnitOfWork&>(*uow).session();
      int current = 0;
      soci::indicator ind = soci::i_null;
      sql << "SELECT MAX(version) FROM schema_migrations", soci::into(current, ind);
      const auto all = d_.postgresql ? postgresql_migrations() : sqlite_migrations();
      long long applied = 0;
      sql << "SELECT COUNT(*) FROM schema_migrations", soci::into(applied);
      if (ind == soci::i_null || current != all.back().version ||
          applied != static_cast<long long>(all.size()))
        return "the database schema is at version " + std::to_string(ind == soci::i_null ? 0 : current) +
               ", this build needs " + std::to_string(all.back().version) + ": run waiver init";
      return "";
    } catch (const std::exception& e) {
      return std::string("the database does not answer: ") + e.what();
    }
  }

  app::VerifyResult verify_audit() override {
    ChainVerifier verifier;
    long long events = 0;
    std::string head = kGenesisHash;
    export_audit([&](const AuditEvent& e) { verifier.feed(e); },
                 [&](soci::session& sql) { verifier.expect(checkpoint_rows::all(sql)); },
                 [&](soci::session& sql) {
                   soci::indicator ind = soci::i_null;
                   sql << "SELECT events, hash FROM audit_head WHERE id = 1", soci::into(events, ind),
                       soci::into(head);
                   if (ind == soci::i_null) {
                     events = 0;
                     head = kGenesisHash;
                   }
                 });
    return verifier.finish(events, head);
  }

  void export_audit(const std::function<void(const AuditEvent&)>& sink) override {
    export_audit(
        sink, [](soci::session&) {}, [](soci::session&) {});
  }

 private:
  void export_audit(const std::function<void(const AuditEvent&)>& sink,
                    const std::function<void(soci::session&)>& first,
                    const std::function<void(soci::session&)>& also) {
    auto uow = begin_read();  // one snapshot for the checkpoints, the events and the head
    auto& sql = static_cast<SqlUnitOfWork&>(*uow).session();
    if (*d_.snapshot) sql << d_.snapshot;
    first(sql);
    // In pages: PostgreSQL's client would otherwise hold the whole trail in memory.
    constexpr int kPage = 1000;
    long long after = 0;
    for (;;) {
      long long last = after;
      int n = 0;
      {
        soci::rowset<soci::row> rs =
            (sql.prepare << "SELECT * FROM audit_events WHERE id > :after ORDER BY id LIMIT 1000",
             soci::use(after, "after"));
        for (const auto& r : rs) {
          auto e = event_from_row(r);
          last = e.id;
          ++n;
          sink(e);
        }
      }
      if (n < kPage) break;
      after = last;  // changed only once the page is read: SOCI reads the bound value lazily
    }
    also(sql);
  }

  void migrate() {
    std::unique_lock<std::mutex> lock(writer_);
    auto& sql = pool_.at(0);
    sql << d_.begin_write;
    try {
      if (*d_.migration_lock) sql << d_.migration_lock;
      sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
             "name TEXT NOT NULL, applied_at TEXT NOT NULL)";
      int current = 0;
      soci::indicator ind = soci::i_null;
      sql << "SELECT MAX(version) FROM schema_migrations", soci::into(current, ind);
      if (ind == soci::i_null) current = 0;
      const auto all = d_.postgresql ? postgresql_migrations() : sqlite_migrations();
      if (current > all.back().version)
        throw std::runtime_error("the database schema (version " + std::to_string(current) +
                                 ") is newer than this waiver knows (" + std::to_string(all.back().version) +
                                 ")");
      // Every migration not yet recorded, in order: one numbered below the newest applied (two
      // branches that each added one) is applied too, not skipped.
      std::set<int> applied;
      {
        soci::rowset<int> rs = (sql.prepare << "SELECT version FROM schema_migrations");
        for (int v : rs) applied.insert(v);
      }
      for (const auto& m : all) {
        if (applied.contains(m.version)) continue;
        for (const auto& stmt : split_statements(m.sql)) sql << stmt;
        const std::string now = format_instant(domain::Instant{std::time(nullptr)});
        const std::string name(m.name);
        sql << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
            soci::use(m.version, "v"), soci::use(name, "n"), soci::use(now, "t");
      }
      sql << "COMMIT";
    } catch (...) {
      try {
        sql << "ROLLBACK";
      } catch (...) {
      }
      throw;
    }
  }

  soci::connection_pool pool_;
  std::vector<StatementCache> caches_;  // one per pooled connection, by position
  std::size_t size_;
  const Dialect& d_;
  std::mutex writer_;
  std::atomic<std::size_t> in_use_{0};
};

}  // namespace

namespace {

// A libpq connection-string value, quoted.
std::string conninfo_value(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// postgresql://[user[:password]@]host[:port]/dbname → a libpq connection string.
tl::expected<std::string, std::string> postgresql_conninfo(const std::string& url) {
  const auto bad = [&](const std::string& why) {
    return tl::unexpected<std::string>("the PostgreSQL URL " + why +
                                       ": use postgresql://user:password@host:port/dbname");
  };
  std::string_view rest(url);
  rest.remove_prefix(rest.find("://") + 3);
  if (auto q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  std::string user, password;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    auto colon = credentials.find(':');
    auto u = app::percent_decoded(credentials.substr(0, colon));
    auto p = colon == std::string_view::npos ? std::optional<std::string>("")
                                             : app::percent_decoded(credentials.substr(colon + 1));
    if (!u || !p) return bad("has a broken %-encoding");
    user = *u;
    password = *p;
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) return bad("names no database");
  auto hostport = rest.substr(0, slash);
  auto db = app::percent_decoded(rest.substr(slash + 1));
  if (!db) return bad("has a broken %-encoding");
  std::string host(hostport), port;
  if (auto colon = hostport.rfind(':');
      colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    host = std::string(hostport.substr(0, colon));
    port = std::string(hostport.substr(colon + 1));
    if (port.empty() ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
      return bad("has a bad port");
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) return bad("names no host");
  std::string out = "host=" + conninfo_value(host) + " dbname=" + conninfo_value(*db);
  if (!port.empty()) out += " port=" + port;
  if (!user.empty()) out += " user=" + conninfo_value(user);
  if (!password.empty()) out += " password=" + conninfo_value(password);
  return out + " connect_timeout=10";
}

}  // namespace

tl::expected<DatabaseUrl, std::string> parse_database_url(const std::string& url) {
  if (url.starts_with("sqlite://")) {
    std::string path = url.substr(9);
    if (path.empty()) return tl::unexpected<std::string>("the SQLite URL names no file: " + url);
    return DatabaseUrl{DatabaseUrl::Engine::sqlite, path};
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto conninfo = postgresql_conninfo(url);
    if (!conninfo) return tl::unexpected<std::string>(conninfo.error());
    return DatabaseUrl{DatabaseUrl::Engine::postgresql, *conninfo};
  }
  return tl::unexpected<std::string>("unknown database URL '" + url +
                                     "': use sqlite:///abs/path.db, sqlite://relative.db or "
                                     "postgresql://user:password@host:port/dbname");
}

std::unique_ptr<app::Store> open_store(const DatabaseUrl& url, const StoreOptions& options) {
  try {
    return std::make_unique<SqlStore>(url, options);
  } catch (const soci::soci_error& e) {
    const std::string where = url.engine == DatabaseUrl::Engine::sqlite ? url.target : "on PostgreSQL";
    throw std::runtime_error("cannot open the database " + where + ": " + e.get_error_message());
  }
}

}  // namespace waiver::store
