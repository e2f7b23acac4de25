// The SQL of the outbox, webhooks, calendar feeds and job bookkeeping, shared by both engines;
// the unit of work forwards to these.
#pragma once
#include <soci/soci.h>

#include "app/ports.hpp"
#include "store/dialect.hpp"
#include "store/statement_cache.hpp"

namespace waiver::store::outbox_rows {

// Prepared once per connection: every change that notifies anyone writes one or more.
bool enqueue(soci::session& sql, StatementCache& cache, const app::OutboxMessage& m);
// Claims the next `limit` messages due, oldest first: it walks the waiting messages in id order
// (index outbox_waiting) and stops at the limit, so a backlog drains in time linear in its size.
std::string claim_due_sql(const Dialect& d);
std::vector<app::OutboxMessage> claim_due(soci::session& sql, const Dialect& d, domain::Instant now,
                                          const std::string& worker, domain::Instant lease_until, int limit);
void mark_delivered(soci::session& sql, app::Id id, const std::string& worker, domain::Instant at);
void mark_attempt_failed(soci::session& sql, app::Id id, const std::string& worker, const std::string& error,
                         domain::Instant next_attempt, std::optional<domain::Instant> give_up_at);
std::vector<app::OutboxMessage> list(soci::session& sql, const app::OutboxFilter& f);
std::optional<app::OutboxMessage> find(soci::session& sql, app::Id id);
bool retry(soci::session& sql, app::Id id, domain::Instant now);
app::OutboxCounts counts(soci::session& sql);

std::vector<app::Webhook> webhooks(soci::session& sql, bool with_disabled);
app::Id add_webhook(soci::session& sql, const app::Webhook& w);
bool disable_webhook(soci::session& sql, app::Id id, domain::Instant at);

void set_calendar_feed(soci::session& sql, const std::string& email, const std::string& token_hash,
                       domain::Instant at);
std::optional<std::string> calendar_feed_owner(soci::session& sql, const std::string& token_hash);
std::optional<domain::Instant> calendar_feed_created(soci::session& sql, const std::string& email);

void record_job_run(soci::session& sql, const std::string& name, domain::Instant at);
std::vector<app::JobRun> job_runs(soci::session& sql);

}  // namespace waiver::store::outbox_rows
