// The notification settings of the configuration: mail (smtp_url, mail_from, smtp_starttls),
// reminders, delivery and the scheduler. Each key of waiver.yaml has a WAIVER_* variable, which
// wins (WAIVER_SMTP_URL, WAIVER_MAIL_FROM, WAIVER_REMINDER_DAYS=30,14,7,1, ...).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "app/delivery.hpp"
#include "app/notify.hpp"
#include "net/curl_mailer.hpp"

namespace waiver::cli {

struct NotificationSetup {
  net::SmtpSettings smtp;                               // smtp_url, smtp_starttls, smtp_timeout_seconds
  std::string mail_from = "Waiver <waiver@localhost>";  // mail_from
  app::NotificationSettings notifications;              // reminder_days, approval_reminder_hours, ...
  int jobs_interval_seconds = 60;                       // how often `serve` runs the scheduled jobs
  int delivery_interval_seconds = 5;                    // how often `serve` looks for due deliveries
};

// Takes one key of the configuration file if it is a notification key (false otherwise).
// Throws std::runtime_error naming the file and key when the value is wrong.
bool read_notification_setting(NotificationSetup& n, const std::string& file, const std::string& key,
                               const nlohmann::json& value);

// The environment over the file, then the checks. Throws std::runtime_error.
void finish_notification_setup(NotificationSetup& n, const std::string& base_url, const std::string& listen);

}  // namespace waiver::cli
