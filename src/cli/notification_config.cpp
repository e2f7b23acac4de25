#include "cli/notification_config.hpp"

#include "cli/environment.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace waiver::cli {
namespace {

int whole(const std::string& where, const std::string& text) {
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  throw std::runtime_error(where + " must be a whole number, not '" + text + "'");
}

std::vector<int> day_list(const std::string& where, const std::string& text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" ["));
    item.erase(item.find_last_not_of(" ]") + 1);
    if (!item.empty()) out.push_back(whole(where, item));
    start = end + 1;
  }
  for (int d : out)
    if (d < 1 || d > 366) throw std::runtime_error(where + ": each day must be from 1 to 366");
  return out;
}

struct IntKey {
  const char* key;
  int NotificationSetup::*direct;
  int app::NotificationSettings::*inner;
  int min, max;
};

const std::vector<IntKey>& int_keys() {
  static const std::vector<IntKey> k{
      {"approval_reminder_hours", nullptr, &app::NotificationSettings::approval_reminder_hours, 1, 24 * 365},
      {"escalation_hours", nullptr, &app::NotificationSettings::escalation_hours, 1, 24 * 365},
      {"digest_weekday", nullptr, &app::NotificationSettings::digest_weekday, 1, 7},
      {"outbox_max_attempts", nullptr, &app::NotificationSettings::max_attempts, 1, 10000},
      {"max_extensions", nullptr, &app::NotificationSettings::max_extensions, 0, 100},
      {"jobs_interval_seconds", &NotificationSetup::jobs_interval_seconds, nullptr, 1, 86400},
      {"delivery_interval_seconds", &NotificationSetup::delivery_interval_seconds, nullptr, 1, 3600},
  };
  return k;
}

int& slot(NotificationSetup& n, const IntKey& k) {
  return k.direct ? n.*(k.direct) : n.notifications.*(k.inner);
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

bool read_notification_setting(NotificationSetup& n, const std::string& file, const std::string& key,
                               const nlohmann::json& v) {
  const std::string where = file + ": " + key;
  auto text = [&] {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return std::string();
    return v.dump();
  };
  if (key == "smtp_url")
    n.smtp.url = text();
  else if (key == "smtp_starttls")
    n.smtp.starttls = text();
  else if (key == "smtp_timeout_seconds")
    n.smtp.timeout_seconds = whole(where, text());
  else if (key == "mail_from")
    n.mail_from = text();
  else if (key == "reminder_days")
    n.notifications.reminder_days = day_list(where, text());
  else {
    for (const auto& k : int_keys())
      if (key == k.key) {
        slot(n, k) = whole(where, text());
        return true;
      }
    return false;
  }
  return true;
}

void finish_notification_setup(NotificationSetup& n, const std::string& base_url, const std::string& listen) {
  if (auto v = env("WAIVER_SMTP_URL")) n.smtp.url = *v;
  if (auto v = env("WAIVER_SMTP_STARTTLS")) n.smtp.starttls = *v;
  if (auto v = env("WAIVER_MAIL_FROM")) n.mail_from = *v;
  if (auto v = env("WAIVER_REMINDER_DAYS"))
    n.notifications.reminder_days = day_list("WAIVER_REMINDER_DAYS", *v);
  for (const auto& k : int_keys()) {
    const std::string name = "WAIVER_" + upper(k.key);
    if (auto v = env(name.c_str())) slot(n, k) = whole(name, *v);
    if (slot(n, k) < k.min || slot(n, k) > k.max)
      throw std::runtime_error(std::string(k.key) + " must be from " + std::to_string(k.min) + " to " +
                               std::to_string(k.max));
  }
  if (!n.smtp.url.empty() && !n.smtp.url.starts_with("smtp://") && !n.smtp.url.starts_with("smtps://"))
    throw std::runtime_error("smtp_url must start with smtp:// or smtps://");
  if (n.smtp.starttls != "opportunistic" && n.smtp.starttls != "required" && n.smtp.starttls != "off")
    throw std::runtime_error("smtp_starttls must be opportunistic, required or off");
  if (n.notifications.reminder_days.empty()) throw std::runtime_error("reminder_days needs at least one day");
  n.notifications.base_url = base_url.empty() ? "http://" + listen : base_url;
}

}  // namespace waiver::cli
