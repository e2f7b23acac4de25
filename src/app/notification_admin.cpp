#include "app/notification_admin.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "app/request_json.hpp"
#include "app/secrets.hpp"

namespace waiver::app {
namespace {

using domain::Actor;
using domain::Role;

Outcome<void> admin_only(const Actor& a, const char* what) {
  if (!a.has(Role::admin)) return fail(Error::Kind::forbidden, std::string("only admins manage ") + what);
  return {};
}

json opt_instant(const std::optional<Instant>& t) {
  return t ? json(domain::format_instant(*t)) : json(nullptr);
}

std::string state_of(const OutboxMessage& m) {
  if (m.delivered_at) return "delivered";
  if (m.failed_at) return "failed";
  return m.attempts > 0 ? "retrying" : "queued";
}

void audit(UnitOfWork& uow, const Actor& a, const std::string& action, const std::string& type,
           const std::string& id, const json& data, Instant now) {
  AuditRecord e;
  e.at = now;
  e.actor = a.email;
  e.action = action;
  e.entity_type = type;
  e.entity_id = id;
  e.data = data.dump();
  uow.append(e);
}

std::string ical_text(const std::string& v) {
  std::string out;
  for (char c : v) switch (c) {
      case '\\': out += "\\\\"; break;
      case ';': out += "\\;"; break;
      case ',': out += "\\,"; break;
      case '\n': out += "\\n"; break;
      case '\r': break;
      default: out += c;
    }
  return out;
}

// Content lines of at most 75 octets, continued with CRLF and a space, never inside a UTF-8
// sequence.
void ical_line(std::string& out, const std::string& line) {
  std::size_t i = 0, limit = 75;
  while (line.size() - i > limit) {
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(line[i + n]) & 0xC0) == 0x80) --n;
    out += line.substr(i, n) + "\r\n ";
    i += n;
    limit = 74;  // the leading space counts
  }
  out += line.substr(i) + "\r\n";
}

std::string ical_date(domain::Date d) {
  std::string s = domain::format_date(d);
  s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
  return s;
}

std::string ical_stamp(Instant t) {
  std::string s = domain::format_instant(t);  // 2026-11-27T18:55:40Z
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '-' || c == ':'; }), s.end());
  return s;
}

std::string feed_url(const NotificationSettings& n, const std::string& secret) {
  std::string base = n.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/v1/calendar/" + secret + ".ics";
}

}  // namespace

json outbox_json(const OutboxMessage& m) {
  return {{"id", m.id},
          {"state", state_of(m)},
          {"channel", m.channel},
          {"target", m.target},
          {"event", m.event},
          {"ref", m.ref},
          {"subject", m.subject},
          {"attempts", m.attempts},
          {"created_at", domain::format_instant(m.created_at)},
          {"next_attempt_at",
           m.delivered_at || m.failed_at ? json(nullptr) : json(domain::format_instant(m.next_attempt_at))},
          {"delivered_at", opt_instant(m.delivered_at)},
          {"failed_at", opt_instant(m.failed_at)},
          {"last_error", m.last_error}};
}

json webhook_json(const Webhook& w, bool with_secret) {
  json j{{"id", w.id},
         {"url", w.url},
         {"events", w.events},
         {"format", w.format},
         {"created_at", domain::format_instant(w.created_at)},
         {"created_by", w.created_by}};
  if (with_secret) j["secret"] = w.secret;
  return j;
}

Outcome<std::vector<OutboxMessage>> list_outbox(Services& s, const Actor& a, const OutboxFilter& f) {
  if (auto ok = admin_only(a, "deliveries"); !ok) return fail(ok.error());
  static const std::set<std::string> kStates{"", "queued", "retrying", "failed", "delivered"};
  if (!kStates.contains(f.state))
    return fail(Error{Error::Kind::invalid,
                      "unknown state",
                      {{"state", "must be one of queued, retrying, failed, delivered"}}});
  auto uow = s.store.begin_read();
  return uow->outbox(f);
}

Outcome<OutboxMessage> retry_delivery(Services& s, const Actor& a, Id id) {
  if (auto ok = admin_only(a, "deliveries"); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  auto m = uow->outbox_message(id);
  if (!m) return fail(Error::Kind::not_found, "no delivery " + std::to_string(id));
  const Instant now = s.clock.now();
  if (!uow->retry_outbox(id, now)) return fail(Error::Kind::conflict, "the message was delivered already");
  audit(*uow, a, "delivery_retry", "outbox", std::to_string(id),
        json{{"event", m->event}, {"target", m->target}}, now);
  auto after = uow->outbox_message(id);
  uow->commit();
  if (s.on_queued) s.on_queued();
  return *after;
}

Outcome<int> retry_failed_deliveries(Services& s, const Actor& a) {
  if (auto ok = admin_only(a, "deliveries"); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  const Instant now = s.clock.now();
  int count = 0;
  std::optional<Id> before;
  for (;;) {
    auto page = uow->outbox({"failed", 500, before});
    if (page.empty()) break;
    for (const auto& m : page)
      if (uow->retry_outbox(m.id, now)) ++count;
    before = page.back().id;
  }
  if (count > 0) audit(*uow, a, "delivery_retry", "outbox", "failed", json{{"messages", count}}, now);
  uow->commit();
  if (s.on_queued) s.on_queued();
  return count;
}

Outcome<std::vector<Webhook>> list_webhooks(Services& s, const Actor& a) {
  if (auto ok = admin_only(a, "webhooks"); !ok) return fail(ok.error());
  auto uow = s.store.begin_read();
  return uow->webhooks(false);
}

Outcome<Webhook> create_webhook(Services& s, const Actor& a, const json& body) {
  if (auto ok = admin_only(a, "webhooks"); !ok) return fail(ok.error());
  BodyReader in(body, {"url", "events", "format"});
  Webhook w;
  w.url = in.text("url");
  if (in.has("events")) {
    auto list = in.strings("events");
    w.events.clear();
    for (const auto& e : list) w.events += (w.events.empty() ? "" : ",") + e;
  }
  if (in.has("format")) w.format = in.text("format");
  static const std::regex kUrl(R"(^https?://[^\s/?#@]+(:[0-9]{1,5})?(/[^\s]*)?$)");
  if (w.url.empty())
    in.errors().push_back({"url", "is required"});
  else if (w.url.size() > 2000 || !std::regex_match(w.url, kUrl))
    in.errors().push_back({"url", "must be an http:// or https:// address"});
  static const std::regex kEvent(R"(^(\*|[a-z_]+\.(\*|[a-z_]+))$)");
  if (w.events.empty()) in.errors().push_back({"events", "needs at least one event name, or *"});
  for (std::size_t start = 0; start < w.events.size();) {
    auto end = w.events.find(',', start);
    if (end == std::string::npos) end = w.events.size();
    if (!std::regex_match(w.events.substr(start, end - start), kEvent))
      in.errors().push_back({"events", "holds names like exception.submit, exception.* or *"});
    start = end + 1;
  }
  if (w.format != "json" && w.format != "slack") in.errors().push_back({"format", "must be json or slack"});
  if (auto r = in.refusal("the webhook is invalid")) return fail(Error::from(*r));
  const Instant now = s.clock.now();
  w.secret = "whsec_" + random_hex(24);
  w.created_at = now;
  w.created_by = a.email;
  auto uow = s.store.begin_write();
  w.id = uow->add_webhook(w);
  audit(*uow, a, "webhook_create", "webhook", std::to_string(w.id), webhook_json(w, false), now);
  uow->commit();
  return w;
}

Outcome<void> delete_webhook(Services& s, const Actor& a, Id id) {
  if (auto ok = admin_only(a, "webhooks"); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  const Instant now = s.clock.now();
  if (!uow->disable_webhook(id, now)) return fail(Error::Kind::not_found, "no webhook " + std::to_string(id));
  audit(*uow, a, "webhook_delete", "webhook", std::to_string(id), json::object(), now);
  uow->commit();
  return {};
}

Outcome<CalendarFeed> calendar_feed_status(Services& s, const Actor& a) {
  auto uow = s.store.begin_read();
  return CalendarFeed{uow->calendar_feed_created(a.email), ""};
}

Outcome<CalendarFeed> rotate_calendar_feed(Services& s, const Actor& a) {
  const std::string secret = "cal_" + random_hex(24);
  const Instant now = s.clock.now();
  auto uow = s.store.begin_write();
  uow->set_calendar_feed(a.email, sha256_hex(secret), now);
  audit(*uow, a, "calendar_feed_rotate", "user", a.email, json::object(), now);
  uow->commit();
  return CalendarFeed{now, feed_url(s.notifications, secret)};
}

Outcome<std::string> calendar_feed(Services& s, const std::string& secret) {
  if (secret.empty() || secret.size() > 100) return fail(Error::Kind::not_found, "no such calendar feed");
  auto uow = s.store.begin_read();
  auto owner = uow->calendar_feed_owner(sha256_hex(secret));
  if (!owner || uow->is_disabled(*owner)) return fail(Error::Kind::not_found, "no such calendar feed");
  auto actor = uow->actor(*owner);
  if (!actor) return fail(Error::Kind::not_found, "no such calendar feed");
  ListFilter f;
  f.status = {domain::Status::active};
  f.limit = 5000;
  return ical_end_dates(uow->list(f, *actor), s.notifications, s.clock.now());
}

std::string ical_end_dates(const std::vector<domain::ExceptionRequest>& requests,
                           const NotificationSettings& n, Instant now) {
  const std::string host = mail_host(n);
  std::string out;
  for (const char* line :
       {"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Waiver//Policy exception register//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Waiver: exception end dates"})
    ical_line(out, line);
  for (const auto& r : requests) {
    if (!r.decision_end_on) continue;
    ical_line(out, "BEGIN:VEVENT");
    ical_line(out, "UID:" + r.ref + "-end@" + host);
    ical_line(out, "DTSTAMP:" + ical_stamp(now));
    ical_line(out, "DTSTART;VALUE=DATE:" + ical_date(*r.decision_end_on));
    ical_line(out, "DTEND;VALUE=DATE:" + ical_date(domain::add_days(*r.decision_end_on, 1)));
    ical_line(out, "SUMMARY:" + ical_text(r.ref + " ends: " + r.content.title));
    ical_line(out, "DESCRIPTION:" + ical_text("The exception " + r.ref + " (" + r.content.policy_id +
                                              ") is valid through this day. Requester: " + r.requester +
                                              ". " + request_link(n, r)));
    ical_line(out, "URL:" + request_link(n, r));
    ical_line(out, "TRANSP:TRANSPARENT");
    ical_line(out, "END:VEVENT");
  }
  ical_line(out, "END:VCALENDAR");
  return out;
}

}  // namespace waiver::app
