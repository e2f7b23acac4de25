#include "store/outbox_rows.hpp"

#include <algorithm>
#include <limits>

#include "store/soci_types.hpp"

namespace waiver::store::outbox_rows {
namespace {

using app::Id;
using app::OutboxMessage;
using domain::format_instant;
using domain::Instant;

const char* kColumns =
    "id, created_at, channel, target, event, ref, dedupe_key, subject, body, attempts, next_attempt_at, "
    "delivered_at, failed_at, last_error";

std::optional<Instant> instant_at(const soci::row& r, const char* name) {
  auto t = opt_text_at(r, name);
  return t ? domain::parse_instant(*t) : std::nullopt;
}

OutboxMessage message_from(const soci::row& r) {
  OutboxMessage m;
  m.id = *int_at(r, "id");
  m.created_at = instant_at(r, "created_at").value_or(Instant{});
  m.channel = text_at(r, "channel");
  m.target = text_at(r, "target");
  m.event = text_at(r, "event");
  m.ref = text_at(r, "ref");
  m.dedupe_key = opt_text_at(r, "dedupe_key");
  m.subject = text_at(r, "subject");
  m.body = text_at(r, "body");
  m.attempts = static_cast<int>(int_at(r, "attempts").value_or(0));
  m.next_attempt_at = instant_at(r, "next_attempt_at").value_or(Instant{});
  m.delivered_at = instant_at(r, "delivered_at");
  m.failed_at = instant_at(r, "failed_at");
  m.last_error = text_at(r, "last_error");
  return m;
}

std::vector<OutboxMessage> messages(soci::rowset<soci::row>& rs) {
  std::vector<OutboxMessage> out;
  for (const auto& r : rs) out.push_back(message_from(r));
  return out;
}

// The states as SQL conditions.
std::string state_condition(const std::string& state) {
  if (state == "queued") return "delivered_at IS NULL AND failed_at IS NULL AND attempts = 0";
  if (state == "retrying") return "delivered_at IS NULL AND failed_at IS NULL AND attempts > 0";
  if (state == "failed") return "delivered_at IS NULL AND failed_at IS NOT NULL";
  if (state == "delivered") return "delivered_at IS NOT NULL";
  return "1 = 1";
}

}  // namespace

bool enqueue(soci::session& sql, StatementCache& cache, const OutboxMessage& m) {
  struct Row {
    std::string created, channel, target, event, ref, subject, body, next;
    std::optional<std::string> key;
  };
  bool added = false;
  cache.with<Row>(
      sql,
      "INSERT INTO outbox (created_at, channel, target, event, ref, dedupe_key, subject, body, attempts, "
      "next_attempt_at) VALUES (:created, :channel, :target, :event, :ref, :key, :subject, :body, 0, :next) "
      "ON CONFLICT (dedupe_key) DO NOTHING",
      [](auto& prep, Row& v) {
        prep, soci::use(v.created, "created"), soci::use(v.channel, "channel"), soci::use(v.target, "target"),
            soci::use(v.event, "event"), soci::use(v.ref, "ref"), soci::use(v.key, "key"),
            soci::use(v.subject, "subject"), soci::use(v.body, "body"), soci::use(v.next, "next");
      },
      [&](Row& v, soci::statement& st) {
        v = {format_instant(m.created_at),      m.channel,   m.target, m.event, m.ref, m.subject, m.body,
             format_instant(m.next_attempt_at), m.dedupe_key};
        st.execute(true);
        added = st.get_affected_rows() > 0;
      });
  return added;
}

std::string claim_due_sql(const Dialect& d) {
  // SQLite holds the write lock already; PostgreSQL skips rows another instance is claiming.
  return "UPDATE outbox SET claimed_by = :worker, claimed_until = :until WHERE id IN ("
         "SELECT id FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL "
         "AND next_attempt_at <= :now AND (claimed_until IS NULL OR claimed_until < :now2) "
         "ORDER BY id LIMIT :lim" +
         std::string(d.skip_locked) + ") RETURNING " + kColumns;
}

std::vector<OutboxMessage> claim_due(soci::session& sql, const Dialect& d, Instant now,
                                     const std::string& worker, Instant lease_until, int limit) {
  const std::string n = format_instant(now), until = format_instant(lease_until);
  const long long lim = limit;
  soci::rowset<soci::row> rs =
      (sql.prepare << claim_due_sql(d), soci::use(worker, "worker"), soci::use(until, "until"),
       soci::use(n, "now"), soci::use(n, "now2"), soci::use(lim, "lim"));
  auto out = messages(rs);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

void mark_delivered(soci::session& sql, Id id, const std::string& worker, Instant at) {
  const std::string t = format_instant(at);
  const long long i = id;
  sql << "UPDATE outbox SET delivered_at = :at, attempts = attempts + 1, claimed_by = NULL, "
         "claimed_until = NULL, last_error = '' WHERE id = :id AND claimed_by = :worker",
      soci::use(t, "at"), soci::use(i, "id"), soci::use(worker, "worker");
}

void mark_attempt_failed(soci::session& sql, Id id, const std::string& worker, const std::string& error,
                         Instant next_attempt, std::optional<Instant> give_up_at) {
  const std::string next = format_instant(next_attempt);
  const std::optional<std::string> failed =
      give_up_at ? std::optional<std::string>(format_instant(*give_up_at)) : std::nullopt;
  const long long i = id;
  const std::string message = error.substr(0, 1000);
  sql << "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next, failed_at = :failed, "
         "last_error = :error, claimed_by = NULL, claimed_until = NULL WHERE id = :id AND claimed_by = "
         ":worker",
      soci::use(next, "next"), soci::use(failed, "failed"), soci::use(message, "error"), soci::use(i, "id"),
      soci::use(worker, "worker");
}

std::vector<OutboxMessage> list(soci::session& sql, const app::OutboxFilter& f) {
  const long long before = f.before_id.value_or(std::numeric_limits<long long>::max());
  const long long lim = f.limit;
  soci::rowset<soci::row> rs =
      (sql.prepare << std::string("SELECT ") + kColumns + " FROM outbox WHERE " + state_condition(f.state) +
                          " AND id < :before ORDER BY id DESC LIMIT :lim",
       soci::use(before, "before"), soci::use(lim, "lim"));
  return messages(rs);
}

std::optional<OutboxMessage> find(soci::session& sql, Id id) {
  const long long i = id;
  soci::rowset<soci::row> rs =
      (sql.prepare << std::string("SELECT ") + kColumns + " FROM outbox WHERE id = :id", soci::use(i, "id"));
  for (const auto& r : rs) return message_from(r);
  return std::nullopt;
}

bool retry(soci::session& sql, Id id, Instant now) {
  const std::string n = format_instant(now);
  const long long i = id;
  soci::statement st =
      (sql.prepare << "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = :now, "
                      "claimed_by = NULL, claimed_until = NULL "
                      "WHERE id = :id AND delivered_at IS NULL",
       soci::use(n, "now"), soci::use(i, "id"));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

app::OutboxCounts counts(soci::session& sql) {
  app::OutboxCounts c;
  long long queued = 0, retrying = 0, failed = 0, delivered = 0;
  sql << "SELECT "
         "COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL AND attempts = 0 THEN 1 ELSE 0 "
         "END), 0), "
         "COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 "
         "END), 0), "
         "COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
         "COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM outbox",
      soci::into(queued), soci::into(retrying), soci::into(failed), soci::into(delivered);
  c.queued = queued;
  c.retrying = retrying;
  c.failed = failed;
  c.delivered = delivered;
  return c;
}

std::vector<app::Webhook> webhooks(soci::session& sql, bool with_disabled) {
  std::vector<app::Webhook> out;
  soci::rowset<soci::row> rs =
      (sql.prepare << std::string(
                          "SELECT id, url, secret, events, format, created_at, created_by, disabled_at "
                          "FROM webhooks") +
                          (with_disabled ? "" : " WHERE disabled_at IS NULL") + " ORDER BY id");
  for (const auto& r : rs)
    out.push_back({*int_at(r, "id"), text_at(r, "url"), text_at(r, "secret"), text_at(r, "events"),
                   text_at(r, "format"), instant_at(r, "created_at").value_or(Instant{}),
                   text_at(r, "created_by"), instant_at(r, "disabled_at")});
  return out;
}

Id add_webhook(soci::session& sql, const app::Webhook& w) {
  const std::string created = format_instant(w.created_at);
  long long id = 0;
  sql << "INSERT INTO webhooks (url, secret, events, format, created_at, created_by) "
         "VALUES (:url, :secret, :events, :format, :created, :by) RETURNING id",
      soci::use(w.url, "url"), soci::use(w.secret, "secret"), soci::use(w.events, "events"),
      soci::use(w.format, "format"), soci::use(created, "created"), soci::use(w.created_by, "by"),
      soci::into(id);
  return id;
}

bool disable_webhook(soci::session& sql, Id id, Instant at) {
  const std::string t = format_instant(at);
  const long long i = id;
  soci::statement st =
      (sql.prepare << "UPDATE webhooks SET disabled_at = :at WHERE id = :id AND disabled_at IS NULL",
       soci::use(t, "at"), soci::use(i, "id"));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

void set_calendar_feed(soci::session& sql, const std::string& email, const std::string& token_hash,
                       Instant at) {
  const std::string t = format_instant(at);
  sql << "INSERT INTO calendar_feeds (user_email, token_hash, created_at) VALUES (:email, :hash, :at) "
         "ON CONFLICT (user_email) DO UPDATE SET token_hash = excluded.token_hash, created_at = "
         "excluded.created_at",
      soci::use(email, "email"), soci::use(token_hash, "hash"), soci::use(t, "at");
}

std::optional<std::string> calendar_feed_owner(soci::session& sql, const std::string& token_hash) {
  soci::rowset<std::string> rs =
      (sql.prepare << "SELECT user_email FROM calendar_feeds WHERE token_hash = :hash",
       soci::use(token_hash, "hash"));
  for (const auto& e : rs) return e;
  return std::nullopt;
}

std::optional<Instant> calendar_feed_created(soci::session& sql, const std::string& email) {
  soci::rowset<std::string> rs =
      (sql.prepare << "SELECT created_at FROM calendar_feeds WHERE user_email = :email",
       soci::use(email, "email"));
  for (const auto& t : rs) return domain::parse_instant(t);
  return std::nullopt;
}

void record_job_run(soci::session& sql, const std::string& name, Instant at) {
  const std::string t = format_instant(at);
  sql << "INSERT INTO job_runs (name, last_run_at, runs) VALUES (:name, :at, 1) "
         "ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, runs = job_runs.runs + 1",
      soci::use(name, "name"), soci::use(t, "at");
}

std::vector<app::JobRun> job_runs(soci::session& sql) {
  std::vector<app::JobRun> out;
  soci::rowset<soci::row> rs = (sql.prepare << "SELECT name, last_run_at, runs FROM job_runs ORDER BY name");
  for (const auto& r : rs)
    out.push_back({text_at(r, "name"), instant_at(r, "last_run_at").value_or(Instant{}),
                   int_at(r, "runs").value_or(0)});
  return out;
}

}  // namespace waiver::store::outbox_rows
