// Turning steps and reminders into outbox messages: a mail per person told, a call per webhook
// that wants the event. Written in the caller's unit of work, so in the change's transaction.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/mail.hpp"
#include "app/ports.hpp"
#include "domain/notifications.hpp"

namespace waiver::app {

struct NotificationSettings {
  std::string base_url = "http://127.0.0.1:8080";  // links in mails and feeds
  std::vector<int> reminder_days{30, 14, 7, 1};    // before an end date, unless the policy sets its own
  int approval_reminder_hours = 72;                // a slot waiting this long: its approvers are reminded
  int escalation_hours = 72;                       // and this much longer: the policy owner is told
  int digest_weekday = 1;                          // ISO weekday (1 = Monday) of the weekly digest
  int max_attempts = 48;                           // deliveries tried before giving up
  int max_extensions = 3;                          // times one exception can be extended
};

std::string request_link(const NotificationSettings& n, const domain::ExceptionRequest& r);

// Queues what a step of the process causes: the mails of `notices_for` and the webhook calls.
void notify_step(UnitOfWork& uow, const NotificationSettings& n, const domain::Step& step,
                 const nlohmann::json& data, Instant now);

// Queues one mail; false when `dedupe_key` was used before (nothing queued).
bool queue_mail(UnitOfWork& uow, const std::string& to, const std::string& event, const std::string& ref,
                const MailContent& content, const std::string& thread_host,
                const std::optional<std::string>& dedupe_key, Instant now);

// Queues a call to each enabled webhook that wants `event`; `dedupe_key`, when set, is made
// unique per webhook.
void queue_webhooks(UnitOfWork& uow, const NotificationSettings& n, const std::string& event,
                    const domain::ExceptionRequest& r, const std::string& previous_status,
                    const std::string& actor, const nlohmann::json& data,
                    const std::optional<std::string>& dedupe_key, Instant now);

// The host part of Message-IDs: the base URL's host.
std::string mail_host(const NotificationSettings& n);

// Whether a webhook's event list (a comma list of names, `prefix.*` or `*`) takes `event`.
bool webhook_wants(const std::string& events, const std::string& event);

}  // namespace waiver::app
