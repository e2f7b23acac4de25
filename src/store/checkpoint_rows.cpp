#include "store/checkpoint_rows.hpp"

#include "store/audit_chain.hpp"
#include "store/soci_types.hpp"

namespace waiver::store::checkpoint_rows {

app::AuditHead head(soci::session& sql) {
  app::AuditHead h{0, kGenesisHash};
  long long events = 0;
  std::string hash;
  soci::indicator ind = soci::i_null;
  sql << "SELECT events, hash FROM audit_head WHERE id = 1", soci::into(events, ind), soci::into(hash);
  if (ind != soci::i_null) h = {events, hash};
  return h;
}

app::Id add(soci::session& sql, const app::AuditCheckpoint& c) {
  long long id = 0;
  const long long events = c.events;
  const std::string at = domain::format_instant(c.at);
  sql << "INSERT INTO audit_checkpoints (events, head, at, public_key, signature) "
         "VALUES (:events, :head, :at, :key, :sig) RETURNING id",
      soci::use(events, "events"), soci::use(c.head, "head"), soci::use(at, "at"),
      soci::use(c.public_key, "key"), soci::use(c.signature, "sig"), soci::into(id);
  return id;
}

std::vector<app::AuditCheckpoint> all(soci::session& sql) {
  std::vector<app::AuditCheckpoint> out;
  soci::rowset<soci::row> rs =
      (sql.prepare
       << "SELECT id, events, head, at, public_key, signature FROM audit_checkpoints ORDER BY id");
  for (const auto& r : rs)
    out.push_back({*int_at(r, "id"), *int_at(r, "events"), text_at(r, "head"),
                   domain::parse_instant(text_at(r, "at")).value_or(domain::Instant{}),
                   text_at(r, "public_key"), text_at(r, "signature")});
  return out;
}

}  // namespace waiver::store::checkpoint_rows
