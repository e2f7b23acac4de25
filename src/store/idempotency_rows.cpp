#include "store/idempotency_rows.hpp"

#include "store/soci_types.hpp"

namespace waiver::store::idempotency_rows {

std::optional<app::IdempotentAnswer> find(soci::session& sql, const std::string& scope,
                                          const std::string& key) {
  soci::rowset<soci::row> rs =
      (sql.prepare
           << "SELECT request_hash, created_at, status, content_type, headers, body FROM idempotency_keys "
              "WHERE scope = :scope AND idem_key = :key",
       soci::use(scope, "scope"), soci::use(key, "key"));
  for (const auto& r : rs) {
    app::IdempotentAnswer a;
    a.request_hash = text_at(r, "request_hash");
    a.created_at = domain::parse_instant(text_at(r, "created_at")).value_or(domain::Instant{});
    if (auto s = int_at(r, "status")) a.status = static_cast<int>(*s);
    a.content_type = text_at(r, "content_type");
    a.headers = text_at(r, "headers");
    a.body = text_at(r, "body");
    return a;
  }
  return std::nullopt;
}

bool claim(soci::session& sql, const std::string& scope, const std::string& key,
           const std::string& request_hash, domain::Instant at, domain::Instant expired_before) {
  const std::string when = domain::format_instant(at), old = domain::format_instant(expired_before);
  sql << "DELETE FROM idempotency_keys WHERE scope = :scope AND idem_key = :key AND created_at < :old",
      soci::use(scope, "scope"), soci::use(key, "key"), soci::use(old, "old");
  // On PostgreSQL a racing claim of the same key waits for the other transaction, then does nothing.
  soci::statement st =
      (sql.prepare << "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at) "
                      "VALUES (:scope, :key, :hash, :at) ON CONFLICT (scope, idem_key) DO NOTHING",
       soci::use(scope, "scope"), soci::use(key, "key"), soci::use(request_hash, "hash"),
       soci::use(when, "at"));
  st.execute(true);
  return st.get_affected_rows() == 1;
}

void record(soci::session& sql, const std::string& scope, const std::string& key,
            const app::IdempotentAnswer& a) {
  const std::string when = domain::format_instant(a.created_at);
  const int status = a.status.value_or(0);
  sql << "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at, status, content_type, "
         "headers, "
         "body) VALUES (:scope, :key, :hash, :at, :status, :type, :headers, :body) "
         "ON CONFLICT (scope, idem_key) DO UPDATE SET status = excluded.status, "
         "content_type = excluded.content_type, headers = excluded.headers, body = excluded.body "
         "WHERE idempotency_keys.status IS NULL AND idempotency_keys.request_hash = excluded.request_hash",
      soci::use(scope, "scope"), soci::use(key, "key"), soci::use(a.request_hash, "hash"),
      soci::use(when, "at"), soci::use(status, "status"), soci::use(a.content_type, "type"),
      soci::use(a.headers, "headers"), soci::use(a.body, "body");
}

void purge(soci::session& sql, domain::Instant expired_before) {
  const std::string old = domain::format_instant(expired_before);
  sql << "DELETE FROM idempotency_keys WHERE created_at < :old", soci::use(old, "old");
}

}  // namespace waiver::store::idempotency_rows
