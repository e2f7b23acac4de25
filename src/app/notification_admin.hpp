// Use cases around notifications: the outbox and webhooks for admins, the calendar feed for
// everyone.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "app/services.hpp"

namespace waiver::app {

json outbox_json(const OutboxMessage& m);
json webhook_json(const Webhook& w, bool with_secret);

// The outbox (admins): what waits, what failed and why, what was delivered; retry a message.
Outcome<std::vector<OutboxMessage>> list_outbox(Services& s, const domain::Actor& a, const OutboxFilter& f);
Outcome<OutboxMessage> retry_delivery(Services& s, const domain::Actor& a, Id id);
// Every failed message made due again; returns how many.
Outcome<int> retry_failed_deliveries(Services& s, const domain::Actor& a);

// Webhooks (admins). The secret is shown once, when the webhook is created.
Outcome<std::vector<Webhook>> list_webhooks(Services& s, const domain::Actor& a);
Outcome<Webhook> create_webhook(Services& s, const domain::Actor& a, const json& body);
Outcome<void> delete_webhook(Services& s, const domain::Actor& a, Id id);

// The calendar feed of the end dates a person can see, at a secret address.
struct CalendarFeed {
  std::optional<Instant> created_at;
  std::string url;  // only when just created or rotated
};
Outcome<CalendarFeed> calendar_feed_status(Services& s, const domain::Actor& a);
Outcome<CalendarFeed> rotate_calendar_feed(Services& s, const domain::Actor& a);
// The iCalendar text for a feed's secret; not_found when no feed has it.
Outcome<std::string> calendar_feed(Services& s, const std::string& secret);

// RFC 5545 text of the active exceptions' end dates, one all-day event each.
std::string ical_end_dates(const std::vector<domain::ExceptionRequest>& requests,
                           const NotificationSettings& n, Instant now);

}  // namespace waiver::app
