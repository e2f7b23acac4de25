// What the use cases need from the outside world: a store with units of work, and a clock.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/exception_request.hpp"
#include "domain/matrix.hpp"
#include "domain/organisation.hpp"

namespace waiver::app {

using domain::ExceptionRequest;
using domain::Id;
using domain::Instant;

// One audit event as the use cases record it; the store adds id, chain and hash.
struct AuditRecord {
  Instant at;
  std::string actor;  // email, or "system"
  std::string action;
  std::string entity_type;  // exception, user, token, organisation
  std::string entity_id;
  std::string ref;
  std::string before;  // JSON text, empty when not applicable
  std::string after;
  std::string data;
};

struct AuditEvent {
  Id id = 0;
  AuditRecord record;
  std::string prev_hash;
  std::string hash;
};

struct ListFilter {
  std::vector<domain::Status> status;
  std::string policy;
  std::string department;
  std::string requester;
  std::optional<domain::RiskLevel> risk_level;
  std::optional<int> within_days;       // active and ending within that many days of today
  std::optional<domain::Date> ends_by;  // set from within_days by the use case
  std::string q;
  int limit = 50;
  std::optional<Id> before_id;  // cursor: items with a smaller id
  // The order: newest first by id unless `sort` names a column of kSortColumns; the id breaks ties.
  std::string sort;
  bool ascending = false;
  // The cursor of a sorted listing: the sort key and the id of the last item of the page before.
  std::optional<std::string> after_key;
  std::optional<Id> after_id;
  // An email: only requests where this person may act now (fill a slot, give the legal opinion or
  // a disposition).
  std::string waiting_for;
};

inline constexpr const char* kSortColumns[] = {"created_at", "updated_at", "submitted_at", "ref",
                                               "title",      "status",     "risk_level",   "end_on"};

struct StoredMatrix {
  domain::Matrix matrix;
  std::int64_t version = 0;
};

struct ApiToken {
  Id id = 0;
  std::string user;  // email
  std::string name;
  std::optional<Instant> expires_at;
  std::optional<Instant> last_used_at;
};

struct ApiTokenInfo {
  Id id = 0;
  std::string user;  // email
  std::string name;
  Instant created_at;
  std::optional<Instant> expires_at;
  std::optional<Instant> last_used_at;
  std::optional<Instant> revoked_at;
};

// A signed-in browser session; only the SHA-256 of the cookie value is stored.
struct Session {
  std::string id_hash;
  std::string user;    // email
  std::string method;  // password | oidc
  std::string csrf_token;
  std::string address;
  Instant created_at;
  Instant last_seen_at;
  Instant expires_at;  // the absolute limit
};

// An OpenID Connect sign-in under way: kept from the redirect to the callback, used once.
struct OidcState {
  std::string state_hash;
  std::string nonce;
  std::string code_verifier;
  std::string return_to;
  Instant created_at;
};

// A signed statement "the chain had `events` events ending in `head` at `at`" (Ed25519 over
// app::checkpoint_message); kept off the chain, so that making one does not move the head.
struct AuditCheckpoint {
  Id id = 0;
  std::int64_t events = 0;
  std::string head;
  Instant at;
  std::string public_key;  // hex, the key that signed it (verify trusts only the key it is given)
  std::string signature;   // hex
};

struct AuditHead {
  std::int64_t events = 0;
  std::string hash;
};

struct VerifyResult {
  bool ok = true;
  std::int64_t events = 0;
  std::string head;
  std::optional<Id> first_bad;
  std::string reason;
  // The stored checkpoints the chain was found to pass through (all of them when ok).
  std::vector<AuditCheckpoint> checkpoints;
  std::optional<Id> bad_checkpoint;  // the checkpoint the chain does not pass through
};

// A notification waiting for delivery, written in the same transaction as the change behind it.
struct OutboxMessage {
  Id id = 0;
  Instant created_at;
  std::string channel;                    // email | webhook
  std::string target;                     // an email address, or a webhook's id
  std::string event;                      // exception.submit, reminder.expiry, ...
  std::string ref;                        // the request's reference, when there is one
  std::optional<std::string> dedupe_key;  // at most one message per key, ever
  std::string subject;
  std::string body;  // email: JSON {text, html, message_id, thread}; webhook: the JSON payload
  int attempts = 0;
  Instant next_attempt_at;
  std::optional<Instant> delivered_at;
  std::optional<Instant> failed_at;  // gave up after the last attempt allowed
  std::string last_error;
};

struct OutboxFilter {
  std::string state;  // queued | retrying | failed | delivered; empty: every message
  int limit = 100;
  std::optional<Id> before_id;
};

struct OutboxCounts {
  std::int64_t queued = 0;    // no attempt yet
  std::int64_t retrying = 0;  // failed at least once, will be tried again
  std::int64_t failed = 0;    // given up: an admin must retry
  std::int64_t delivered = 0;
};

struct Webhook {
  Id id = 0;
  std::string url;
  std::string secret;
  std::string events = "*";     // a comma list of event names, or *
  std::string format = "json";  // json | slack
  Instant created_at;
  std::string created_by;
  std::optional<Instant> disabled_at;
};

struct JobRun {
  std::string name;
  Instant last_run_at;
  std::int64_t runs = 0;  // by every instance
};

struct PoolStats {
  std::size_t size = 0;    // connections of this instance
  std::size_t in_use = 0;  // held by a unit of work now
};

// The first answer to a POST with an Idempotency-Key; no status while it is not recorded (the
// change committed, the answer not yet, or never: the process died in between).
struct IdempotentAnswer {
  std::string request_hash;
  Instant created_at;
  std::optional<int> status;
  std::string content_type;
  std::string headers;  // JSON [[name, value], ...]
  std::string body;
};

// A unit of work: everything done through it commits together or not at all.
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;

  // Organisation
  virtual std::optional<domain::User> user(const std::string& email) = 0;
  virtual std::optional<domain::Actor> actor(const std::string& email) = 0;
  virtual std::optional<domain::Policy> policy(const std::string& id) = 0;
  virtual std::optional<domain::Department> department(const std::string& name) = 0;
  virtual std::vector<std::string> role_members(domain::Role role) = 0;
  virtual std::vector<std::string> user_emails() = 0;
  virtual std::optional<StoredMatrix> matrix() = 0;
  virtual domain::Organisation organisation() = 0;
  // Creates or updates users, departments and policies by key; stores the matrix as a new
  // version when it differs. Returns a summary for the audit trail.
  virtual std::string import_organisation(const domain::Organisation& org) = 0;
  virtual void set_password_hash(const std::string& email, const std::string& hash) = 0;

  // Tokens: only the SHA-256 of a token is stored.
  virtual Id add_token(const std::string& email, const std::string& name, const std::string& token_hash,
                       Instant now) = 0;
  virtual std::optional<ApiToken> token_by_hash(const std::string& token_hash, Instant now) = 0;
  virtual std::vector<ApiTokenInfo> tokens(const std::string& user) = 0;  // empty user: all
  virtual std::optional<ApiTokenInfo> token(Id id) = 0;
  virtual void set_token_expiry(Id id, std::optional<Instant> expires_at) = 0;
  virtual void revoke_token(Id id, Instant at) = 0;
  virtual void touch_token(Id id, Instant at) = 0;

  // People and departments, one at a time (the administration API)
  virtual void save_user(const domain::User& user) = 0;
  virtual void save_department(const domain::Department& department) = 0;
  virtual bool is_disabled(const std::string& email) = 0;
  virtual void set_disabled(const std::string& email, std::optional<Instant> at) = 0;
  virtual std::optional<std::string> password_hash(const std::string& email) = 0;

  // Sessions
  virtual void add_session(const Session& session) = 0;
  virtual std::optional<Session> session(const std::string& id_hash) = 0;
  virtual void touch_session(const std::string& id_hash, Instant at) = 0;
  virtual void delete_session(const std::string& id_hash) = 0;
  virtual void delete_sessions_of(const std::string& email) = 0;

  // Sign-in throttling: failures counted per key ("account:…", "address:…").
  virtual int failures_since(const std::string& key, Instant since) = 0;
  virtual Id add_failure(const std::string& key, Instant at) = 0;
  virtual void remove_failure(Id id) = 0;
  virtual void clear_failures(const std::string& key) = 0;

  // Single sign-on
  virtual void put_oidc_state(const OidcState& state) = 0;
  // Returns and deletes the state, so that a callback cannot be replayed.
  virtual std::optional<OidcState> take_oidc_state(const std::string& state_hash) = 0;

  // Requests
  virtual std::optional<ExceptionRequest> find(Id id) = 0;
  virtual std::optional<ExceptionRequest> find_by_ref(const std::string& ref) = 0;
  // Assigns id and ref (EXC-YYYY-NNNN, the year of `created_at`).
  virtual void insert(ExceptionRequest& r) = 0;
  // Many inserts follow (an import): the store may defer their secondary indexing (the text
  // search) to commit(), where it is done in one pass. Reads in this unit of work may then not
  // find the new requests by text.
  virtual void expect_many_inserts() {}
  // Writes `r` if the stored version is `r.version - 1`; false when someone else changed it.
  // `before` is the request as read at that version: only what differs from it is written.
  virtual bool update(const ExceptionRequest& r, const ExceptionRequest& before) = 0;
  // Makes other writers that lock the same request (on any instance) wait until this unit of work
  // ends: a check of what is stored that no versioned update covers must lock first, then read.
  // PostgreSQL locks the row; SQLite has one writer at a time already.
  virtual void lock(Id id) = 0;
  virtual void add_note(Id request, const std::string& kind, const domain::Note& note) = 0;
  // The request's notes of every kind (input, review), each kind in the order they were added.
  virtual std::map<std::string, std::vector<domain::Note>> notes(Id request) = 0;
  virtual std::vector<ExceptionRequest> list(const ListFilter& filter, const domain::Actor& reader) = 0;
  virtual std::vector<Id> due_for_expiry(domain::Date today) = 0;

  // The outbox. `enqueue` is false, and writes nothing, when the message's dedupe key is taken.
  virtual bool enqueue(const OutboxMessage& m) = 0;
  // Takes up to `limit` due messages for `worker` until `lease_until`; another worker (another
  // instance) skips them meanwhile.
  virtual std::vector<OutboxMessage> claim_due(Instant now, const std::string& worker, Instant lease_until,
                                               int limit) = 0;
  virtual void mark_delivered(Id id, const std::string& worker, Instant at) = 0;
  // One more failed attempt; `give_up_at` set when it was the last one allowed.
  virtual void mark_attempt_failed(Id id, const std::string& worker, const std::string& error,
                                   Instant next_attempt, std::optional<Instant> give_up_at) = 0;
  virtual std::vector<OutboxMessage> outbox(const OutboxFilter& filter) = 0;
  virtual std::optional<OutboxMessage> outbox_message(Id id) = 0;
  // Makes an undelivered message due now, with a new allowance of attempts; false if delivered.
  virtual bool retry_outbox(Id id, Instant now) = 0;
  virtual OutboxCounts outbox_counts() = 0;

  // Webhooks, configured by admins
  virtual std::vector<Webhook> webhooks(bool with_disabled) = 0;
  virtual Id add_webhook(const Webhook& w) = 0;
  virtual bool disable_webhook(Id id, Instant at) = 0;

  // Calendar feeds: only the SHA-256 of a feed's secret is stored.
  virtual void set_calendar_feed(const std::string& email, const std::string& token_hash, Instant at) = 0;
  virtual std::optional<std::string> calendar_feed_owner(const std::string& token_hash) = 0;
  virtual std::optional<Instant> calendar_feed_created(const std::string& email) = 0;

  // Jobs: `lock_jobs` makes jobs of other instances wait until this unit of work ends.
  virtual void lock_jobs() = 0;
  virtual void record_job_run(const std::string& name, Instant at) = 0;
  virtual std::vector<JobRun> job_runs() = 0;
  virtual std::vector<Id> ids_in_status(const std::vector<domain::Status>& statuses) = 0;
  virtual std::vector<Id> active_ending_by(domain::Date last) = 0;

  // Audit
  virtual void append(const AuditRecord& event) = 0;
  virtual std::vector<AuditEvent> events_of(const std::string& entity_type, const std::string& entity_id) = 0;
  virtual AuditHead audit_head() = 0;
  virtual Id add_checkpoint(const AuditCheckpoint& c) = 0;
  virtual std::vector<AuditCheckpoint> checkpoints() = 0;  // oldest first

  // Idempotency keys, per scope (caller). `claim_idempotency_key` is false, and writes nothing,
  // when the key is held by a claim made at or after `expired_before`.
  virtual std::optional<IdempotentAnswer> idempotent_answer(const std::string& scope,
                                                            const std::string& key) = 0;
  virtual bool claim_idempotency_key(const std::string& scope, const std::string& key,
                                     const std::string& request_hash, Instant at, Instant expired_before) = 0;
  virtual void record_idempotent_answer(const std::string& scope, const std::string& key,
                                        const IdempotentAnswer& answer) = 0;
  virtual void purge_idempotency_keys(Instant expired_before) = 0;

  // Ends the transaction, and lets the next writer in: what is read through this unit of work
  // afterwards is read as committed, each read on its own; nothing may be written after it.
  virtual void commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // A unit of work that may write: serialised with other writers.
  virtual std::unique_ptr<UnitOfWork> begin_write() = 0;
  // A unit of work that only reads.
  virtual std::unique_ptr<UnitOfWork> begin_read() = 0;
  virtual VerifyResult verify_audit() = 0;
  // Empty when the database answers and its schema is the one this build knows; else why not.
  virtual std::string readiness() = 0;
  // Calls `sink` with each event in order.
  virtual void export_audit(const std::function<void(const AuditEvent&)>& sink) = 0;
  virtual PoolStats pool_stats() const = 0;
};

// One read transaction for the steps of one answer (who is calling, then what they read), opened
// when first needed: one BEGIN, one snapshot and one pooled connection instead of one per step.
// A step that must write ends it first (end()), so that no thread holds a read connection while
// it waits for the writer's; the next read opens another.
class Reading {
 public:
  explicit Reading(Store& store) : store_(store) {}
  UnitOfWork& uow() {
    if (!uow_) uow_ = store_.begin_read();
    return *uow_;
  }
  void end() { uow_.reset(); }

 private:
  Store& store_;
  std::unique_ptr<UnitOfWork> uow_;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

}  // namespace waiver::app
