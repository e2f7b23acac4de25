#include "store/migrations.hpp"

#include <array>

namespace waiver::store {
namespace {

constexpr std::string_view kInitial = R"sql(
CREATE TABLE users (
  email TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  department TEXT,
  roles TEXT NOT NULL DEFAULT '',
  password_hash TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE departments (
  name TEXT PRIMARY KEY,
  head_email TEXT REFERENCES users(email)
);
CREATE TABLE policies (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  kind TEXT NOT NULL,
  owner_email TEXT NOT NULL REFERENCES users(email)
);
CREATE TABLE policy_maintainers (
  policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  email TEXT NOT NULL REFERENCES users(email),
  PRIMARY KEY (policy_id, email)
);
CREATE INDEX policy_maintainers_email ON policy_maintainers(email);
CREATE TABLE matrix_versions (
  version INTEGER PRIMARY KEY,
  document TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_email TEXT NOT NULL REFERENCES users(email),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  last_used_at TEXT
);
CREATE TABLE ref_counters (
  year INTEGER PRIMARY KEY,
  last INTEGER NOT NULL
);
CREATE TABLE exceptions (
  id INTEGER PRIMARY KEY,
  ref TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  requester_email TEXT NOT NULL REFERENCES users(email),
  department TEXT,
  policy_id TEXT NOT NULL REFERENCES policies(id),
  title TEXT NOT NULL,
  requirement TEXT NOT NULL DEFAULT '',
  type TEXT,
  data_classification TEXT,
  description TEXT NOT NULL DEFAULT '',
  alternative TEXT NOT NULL DEFAULT '',
  justification TEXT NOT NULL DEFAULT '',
  resources TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL DEFAULT '',
  likelihood INTEGER,
  impact INTEGER,
  controls_json TEXT NOT NULL DEFAULT '[]',
  start_on TEXT,
  end_on TEXT,
  links_json TEXT NOT NULL DEFAULT '[]',
  max_days INTEGER NOT NULL DEFAULT 0,
  matrix_version INTEGER NOT NULL DEFAULT 0,
  approvals_json TEXT NOT NULL DEFAULT '[]',
  implications TEXT,
  frameworks_json TEXT NOT NULL DEFAULT '[]',
  risk_level TEXT,
  decision_end_on TEXT,
  action_plan TEXT NOT NULL DEFAULT '',
  appeal_json TEXT,
  invitations_json TEXT NOT NULL DEFAULT '[]',
  closed_reason TEXT NOT NULL DEFAULT '',
  parent_id INTEGER REFERENCES exceptions(id),
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  submitted_at TEXT,
  decided_at TEXT,
  denied_at TEXT
);
CREATE INDEX exceptions_status ON exceptions(status);
CREATE INDEX exceptions_policy ON exceptions(policy_id);
CREATE INDEX exceptions_department ON exceptions(department);
CREATE INDEX exceptions_requester ON exceptions(requester_email);
CREATE INDEX exceptions_end ON exceptions(status, decision_end_on);
CREATE INDEX exceptions_parent ON exceptions(parent_id);
CREATE TABLE exception_access (
  exception_id INTEGER NOT NULL REFERENCES exceptions(id),
  email TEXT NOT NULL,
  PRIMARY KEY (email, exception_id)
) WITHOUT ROWID;
CREATE TABLE exception_notes (
  id INTEGER PRIMARY KEY,
  exception_id INTEGER NOT NULL REFERENCES exceptions(id),
  kind TEXT NOT NULL,
  by_email TEXT NOT NULL,
  body TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX exception_notes_exception ON exception_notes(exception_id, kind);
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  ref TEXT NOT NULL DEFAULT '',
  before TEXT NOT NULL DEFAULT '',
  after TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events(entity_type, entity_id);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  events INTEGER NOT NULL,
  hash TEXT NOT NULL
)
)sql";

constexpr std::string_view kSignIn = R"sql(
ALTER TABLE users ADD COLUMN disabled_at TEXT;
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_email TEXT NOT NULL REFERENCES users(email),
  method TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_email);
CREATE TABLE sign_in_failures (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures(key, at);
CREATE TABLE oidc_states (
  state_hash TEXT PRIMARY KEY,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  return_to TEXT NOT NULL DEFAULT '/',
  created_at TEXT NOT NULL
)
)sql";

constexpr std::string_view kNotifications = R"sql(
ALTER TABLE policies ADD COLUMN reminder_days TEXT NOT NULL DEFAULT '';
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL,
  channel TEXT NOT NULL,
  target TEXT NOT NULL,
  event TEXT NOT NULL,
  ref TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT UNIQUE,
  subject TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_by TEXT,
  claimed_until TEXT,
  delivered_at TEXT,
  failed_at TEXT,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(delivered_at, failed_at, next_attempt_at);
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '*',
  format TEXT NOT NULL DEFAULT 'json',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  disabled_at TEXT
);
CREATE TABLE calendar_feeds (
  user_email TEXT PRIMARY KEY REFERENCES users(email),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE job_runs (
  name TEXT PRIMARY KEY,
  last_run_at TEXT NOT NULL,
  runs BIGINT NOT NULL DEFAULT 0
)
)sql";

constexpr std::string_view kAuditCheckpoints = R"sql(
CREATE TABLE audit_checkpoints (
  id INTEGER PRIMARY KEY,
  events BIGINT NOT NULL,
  head TEXT NOT NULL,
  at TEXT NOT NULL,
  public_key TEXT NOT NULL,
  signature TEXT NOT NULL
)
)sql";

constexpr std::string_view kRegisterSort = R"sql(
CREATE INDEX IF NOT EXISTS exceptions_created ON exceptions(created_at, id);
CREATE INDEX IF NOT EXISTS exceptions_updated ON exceptions(updated_at, id);
CREATE INDEX IF NOT EXISTS exceptions_submitted ON exceptions(COALESCE(submitted_at, ''), id);
CREATE INDEX IF NOT EXISTS exceptions_title ON exceptions(title, id);
CREATE INDEX IF NOT EXISTS exceptions_status_id ON exceptions(status, id);
CREATE INDEX IF NOT EXISTS exceptions_risk ON exceptions((CASE risk_level WHEN 'low' THEN '1' WHEN 'medium' THEN '2' WHEN 'high' THEN '3' WHEN 'critical' THEN '4' ELSE '0' END), id);
CREATE INDEX IF NOT EXISTS exceptions_end_on ON exceptions(COALESCE(decision_end_on, end_on, ''), id)
)sql";

constexpr std::string_view kIdempotencyKeys = R"sql(
CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  status INTEGER,
  content_type TEXT,
  headers TEXT,
  body TEXT,
  PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at)
)sql";

// Rewriting who may see a request deleted its rows by a full scan (the key starts with email).
// The register filtered by status and policy (a policy owner's view) read every request of that
// status to find the policy's.
constexpr std::string_view kAccessByRequest = R"sql(
CREATE INDEX exception_access_exception ON exception_access(exception_id);
CREATE INDEX exceptions_status_policy ON exceptions(status, policy_id, id)
)sql";

// Text search in the register: a full-text index of words. A search reads it for the requests
// where the text begins at a word, then checks the text on those only, instead of LIKE '%q%' over
// every request. Prefixes of 2 to 6 characters have their own index entries, so that a prefix is
// read newest first and stops at the page, instead of merging every word it begins (a search
// truncates its last word to 6 characters; the literal check does the rest). External content: the text stays
// in `exceptions`; triggers keep the index in step (trigger bodies on one line: the migration is split at
// ";\n").
constexpr std::string_view kSearch = R"sql(
CREATE VIRTUAL TABLE exceptions_search USING fts5(ref, title, requirement, description, content='exceptions', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6');
CREATE TRIGGER exceptions_search_insert AFTER INSERT ON exceptions BEGIN INSERT INTO exceptions_search (rowid, ref, title, requirement, description) VALUES (new.id, new.ref, new.title, new.requirement, new.description); END;
CREATE TRIGGER exceptions_search_delete AFTER DELETE ON exceptions BEGIN INSERT INTO exceptions_search (exceptions_search, rowid, ref, title, requirement, description) VALUES ('delete', old.id, old.ref, old.title, old.requirement, old.description); END;
CREATE TRIGGER exceptions_search_update AFTER UPDATE ON exceptions WHEN old.ref IS NOT new.ref OR old.title IS NOT new.title OR old.requirement IS NOT new.requirement OR old.description IS NOT new.description BEGIN INSERT INTO exceptions_search (exceptions_search, rowid, ref, title, requirement, description) VALUES ('delete', old.id, old.ref, old.title, old.requirement, old.description); INSERT INTO exceptions_search (rowid, ref, title, requirement, description) VALUES (new.id, new.ref, new.title, new.requirement, new.description); END;
INSERT INTO exceptions_search (exceptions_search) VALUES ('rebuild')
)sql";

// Every authenticated request reads what its caller heads and owns (SqlUnitOfWork::actor), which
// scanned both tables.
constexpr std::string_view kCallerRoles = R"sql(
CREATE INDEX departments_head ON departments(head_email);
CREATE INDEX policies_owner ON policies(owner_email)
)sql";

// A request's notes are read in the order they were written (SqlUnitOfWork::notes); the index was
// on (exception_id, kind), so every read sorted them.
constexpr std::string_view kNotesInOrder = R"sql(
DROP INDEX exception_notes_exception;
CREATE INDEX exception_notes_exception ON exception_notes(exception_id, id)
)sql";

// A new request's words are indexed for search by the store's insert (SqlUnitOfWork::insert), not
// by a trigger: an INSERT whose trigger writes to a virtual table, on a table with foreign keys,
// keeps a statement journal, and a request's (its row and 15 indexes, about 70 KiB) passed the
// 64 KiB SQLite keeps in memory: every new request wrote about 45 pages to a temporary file.
constexpr std::string_view kSearchByTheStore = R"sql(
DROP TRIGGER IF EXISTS exceptions_search_insert
)sql";

// Delivery claims the oldest waiting messages (outbox_rows::claim_due_sql). The index on
// (delivered_at, failed_at, next_attempt_at) found every due message and sorted them all by id
// for each batch of 20: a backlog of 88,000 (the first jobs run after importing a register of
// 1 M queues 19,000 expiry reminders) drained at about 340 messages/s, holding the writer. The
// waiting ones indexed by id are read in order and the walk stops at the batch; the failed ones
// have an index of their own for `waiver outbox list --state failed`.
constexpr std::string_view kOutboxWaiting = R"sql(
DROP INDEX outbox_due;
CREATE INDEX outbox_waiting ON outbox(id) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_failed ON outbox(id) WHERE delivered_at IS NULL AND failed_at IS NOT NULL
)sql";

constexpr std::array kMigrations{
    Migration{1, "initial schema", kInitial},
    Migration{2, "sign-in: sessions, throttling, single sign-on", kSignIn},
    Migration{3, "notifications: outbox, webhooks, calendar feeds, reminders", kNotifications},
    Migration{4, "signed checkpoints of the audit chain", kAuditCheckpoints},
    Migration{5, "indexes for sorting the register", kRegisterSort},
    Migration{6, "idempotency keys of POST requests", kIdempotencyKeys},
    Migration{7, "indexes: who may see a request, by request; the register by status and policy",
              kAccessByRequest},
    Migration{8, "a full-text index for text search in the register", kSearch},
    Migration{9, "indexes: the departments a person heads, the policies they own", kCallerRoles},
    Migration{10, "index: a request's notes in the order they were written", kNotesInOrder},
    Migration{11, "search: a new request indexed by the store instead of a trigger", kSearchByTheStore},
    Migration{12, "outbox: the waiting messages indexed in the order they are sent", kOutboxWaiting},
};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kMigrations; }

}  // namespace waiver::store
