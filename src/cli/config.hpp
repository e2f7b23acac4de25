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
};

// Reads `path` (a missing default file is fine; a missing named file is an error), then the
// environment. Throws std::runtime_error with a one-line reason.
Config load_config(const std::optional<std::string>& path);

}  // namespace waiver::cli
