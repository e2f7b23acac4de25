#include "cli/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cli/yaml_json.hpp"

namespace waiver::cli {
namespace {

int to_int(const std::string& name, const std::string& text) {
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  throw std::runtime_error(name + " must be a whole number, not '" + text + "'");
}

// The whole-number settings that share one way of reading, by name.
int* int_setting(Config& c, const std::string& key) {
  if (key == "db_pool_size") return &c.db_pool_size;
  if (key == "session_idle_minutes") return &c.session_idle_minutes;
  if (key == "session_absolute_hours") return &c.session_absolute_hours;
  if (key == "throttle_window_minutes") return &c.throttle_window_minutes;
  if (key == "max_failures_per_account") return &c.max_failures_per_account;
  if (key == "max_failures_per_address") return &c.max_failures_per_address;
  if (key == "audit_checkpoint_seconds") return &c.audit_checkpoint_seconds;
  if (key == "idempotency_hours") return &c.idempotency_hours;
  if (key == "rate_limit_window_seconds") return &c.rate_limit_window_seconds;
  if (key == "rate_limit_per_token") return &c.rate_limit_per_token;
  if (key == "rate_limit_per_address") return &c.rate_limit_per_address;
  if (key == "max_connections") return &c.max_connections;
  if (key == "read_timeout_seconds") return &c.read_timeout_seconds;
  if (key == "write_timeout_seconds") return &c.write_timeout_seconds;
  if (key == "handler_timeout_seconds") return &c.handler_timeout_seconds;
  if (key == "shutdown_grace_seconds") return &c.shutdown_grace_seconds;
  return nullptr;
}

// The settings above that may be 0 (a rate limit of 0 is no limit).
bool zero_allowed(const std::string& key) { return key.starts_with("rate_limit_per_"); }

}  // namespace

Config load_config(const std::optional<std::string>& path) {
  Config c;
  const std::string file = path.value_or("waiver.yaml");
  std::ifstream in(file);
  if (!in && path) throw std::runtime_error("cannot read the configuration file " + file);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    auto j = yaml_to_json(text.str());
    if (!j.is_null() && !j.is_object())
      throw std::runtime_error(file + ": the configuration must be a mapping");
    if (j.is_object())
      for (const auto& item : j.items()) {
        // Not a structured binding: clang 14 (the sanitizer and fuzz builds) cannot capture one.
        const std::string& key = item.key();
        const auto& v = item.value();
        auto str = [&] { return v.is_string() ? v.get<std::string>() : v.dump(); };
        if (key == "db")
          c.db = str();
        else if (key == "listen")
          c.listen = str();
        else if (key == "base_url")
          c.base_url = str();
        else if (key == "threads")
          c.threads = to_int(file + ": threads", str());
        else if (key == "appeal_window_days")
          c.appeal_window_days = to_int(file + ": appeal_window_days", str());
        else if (key == "log_level")
          c.log_level = str();
        else if (key == "log_format")
          c.log_format = str();
        else if (key == "web_root")
          c.web_root = str();
        else if (key == "audit_signing_key")
          c.audit_signing_key = str();
        else if (int* n = int_setting(c, key))
          *n = to_int(file + ": " + key, str());
        else if (read_oidc_setting(c.oidc, file, key, v))
          continue;
        else if (read_notification_setting(c.notify, file, key, v))
          continue;
        else
          throw std::runtime_error(file + ": unknown setting '" + key + "'");
      }
  }
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  if (auto v = env("WAIVER_DB")) c.db = *v;
  if (auto v = env("WAIVER_LISTEN")) c.listen = *v;
  if (auto v = env("WAIVER_BASE_URL")) c.base_url = *v;
  if (auto v = env("WAIVER_THREADS")) c.threads = to_int("WAIVER_THREADS", *v);
  if (auto v = env("WAIVER_APPEAL_WINDOW_DAYS"))
    c.appeal_window_days = to_int("WAIVER_APPEAL_WINDOW_DAYS", *v);
  if (auto v = env("WAIVER_LOG_LEVEL")) c.log_level = *v;
  if (auto v = env("WAIVER_LOG_FORMAT")) c.log_format = *v;
  if (c.log_format != "json" && c.log_format != "text")
    throw std::runtime_error("log_format must be json or text, not '" + c.log_format + "'");
  if (auto v = env("WAIVER_WEB_ROOT")) c.web_root = *v;
  if (auto v = env("WAIVER_AUDIT_SIGNING_KEY")) c.audit_signing_key = *v;
  for (const char* key :
       {"db_pool_size", "session_idle_minutes", "session_absolute_hours", "throttle_window_minutes",
        "max_failures_per_account", "max_failures_per_address", "audit_checkpoint_seconds",
        "idempotency_hours", "rate_limit_window_seconds", "rate_limit_per_token", "rate_limit_per_address",
        "max_connections", "read_timeout_seconds", "write_timeout_seconds", "handler_timeout_seconds",
        "shutdown_grace_seconds"}) {
    std::string name = "WAIVER_" + std::string(key);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
    if (auto v = env(name.c_str())) *int_setting(c, key) = to_int(name, *v);
    if (*int_setting(c, key) < (zero_allowed(key) ? 0 : 1))
      throw std::runtime_error(std::string(key) + " must be at least " + (zero_allowed(key) ? "0" : "1"));
  }
  finish_oidc_setup(c.oidc);
  finish_notification_setup(c.notify, c.base_url, c.listen);
  if (c.threads < 1 || c.threads > 256) throw std::runtime_error("threads must be between 1 and 256");
  if (c.appeal_window_days < 0) throw std::runtime_error("appeal_window_days cannot be negative");
  return c;
}

}  // namespace waiver::cli
