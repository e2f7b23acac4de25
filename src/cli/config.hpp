// Configuration: waiver.yaml (or --config FILE), each setting overridable by an environment
// variable, then by a command-line flag.
#pragma once
#include <optional>
#include <string>

#include "cli/notification_config.hpp"
#include "cli/oidc_config.hpp"

namespace waiver::cli {

struct Config {
  std::string db = "sqlite://waiver.db";  // WAIVER_DB
  std::string listen = "127.0.0.1:8080";  // WAIVER_LISTEN
  std::string base_url;                   // WAIVER_BASE_URL
  int threads = 4;                        // WAIVER_THREADS
  int appeal_window_days = 30;            // WAIVER_APPEAL_WINDOW_DAYS
  std::string log_level = "info";         // WAIVER_LOG_LEVEL
  std::string log_format = "json";        // WAIVER_LOG_FORMAT: json (JSON Lines) | text
  OidcSetup oidc;                         // oidc_* keys, WAIVER_OIDC_*
  int db_pool_size = 8;                   // WAIVER_DB_POOL_SIZE: connections per instance
  int session_idle_minutes = 60;          // WAIVER_SESSION_IDLE_MINUTES
  int session_absolute_hours = 12;        // WAIVER_SESSION_ABSOLUTE_HOURS
  int throttle_window_minutes = 15;       // WAIVER_THROTTLE_WINDOW_MINUTES
  int max_failures_per_account = 5;       // WAIVER_MAX_FAILURES_PER_ACCOUNT
  int max_failures_per_address = 20;      // WAIVER_MAX_FAILURES_PER_ADDRESS
  NotificationSetup notify;               // smtp_url, mail_from, reminder_days, ... (WAIVER_SMTP_URL, ...)
  std::string web_root;                   // WAIVER_WEB_ROOT: the built web interface; empty: the default
  std::string audit_signing_key;          // WAIVER_AUDIT_SIGNING_KEY: file of the Ed25519 key for checkpoints
  int idempotency_hours = 24;             // WAIVER_IDEMPOTENCY_HOURS: how long an Idempotency-Key is kept
  int audit_checkpoint_seconds = 3600;    // WAIVER_AUDIT_CHECKPOINT_SECONDS: how often serve signs
  // Abuse limits of `serve` (docs/security.md). Rate limits: requests per window; 0 turns one off.
  int rate_limit_window_seconds = 60;  // WAIVER_RATE_LIMIT_WINDOW_SECONDS
  int rate_limit_per_token = 3000;     // WAIVER_RATE_LIMIT_PER_TOKEN: per API token or session
  int rate_limit_per_address = 30000;  // WAIVER_RATE_LIMIT_PER_ADDRESS: per client IP address
  int max_connections = 512;           // WAIVER_MAX_CONNECTIONS: more wait to be accepted
  int read_timeout_seconds = 30;       // WAIVER_READ_TIMEOUT_SECONDS: to read a whole request
  int write_timeout_seconds = 30;      // WAIVER_WRITE_TIMEOUT_SECONDS: to write a response
  int handler_timeout_seconds = 60;    // WAIVER_HANDLER_TIMEOUT_SECONDS: to produce a response
  int shutdown_grace_seconds = 30;     // WAIVER_SHUTDOWN_GRACE_SECONDS: SIGTERM waits this long at most
};

// Reads `path` (a missing default file is fine; a missing named file is an error), then the
// environment. Throws std::runtime_error with a one-line reason.
Config load_config(const std::optional<std::string>& path);

}  // namespace waiver::cli
