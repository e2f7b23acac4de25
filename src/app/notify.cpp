#include "app/notify.hpp"

#include "app/request_json.hpp"
#include "app/secrets.hpp"

namespace waiver::app {

using nlohmann::json;

std::string request_link(const NotificationSettings& n, const domain::ExceptionRequest& r) {
  std::string base = n.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/requests/" + r.ref;  // the request page of the web interface
}

std::string mail_host(const NotificationSettings& n) {
  std::string host = n.base_url;
  if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
  host = host.substr(0, host.find_first_of("/:?#"));
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  return host.empty() ? "waiver.invalid" : host;
}

bool webhook_wants(const std::string& events, const std::string& event) {
  std::size_t start = 0;
  while (start <= events.size()) {
    auto end = events.find(',', start);
    if (end == std::string::npos) end = events.size();
    std::string item = events.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item == "*" || item == event) return true;
    if (item.size() > 2 && item.ends_with(".*") && event.starts_with(item.substr(0, item.size() - 1)))
      return true;
    start = end + 1;
  }
  return false;
}

bool queue_mail(UnitOfWork& uow, const std::string& to, const std::string& event, const std::string& ref,
                const MailContent& content, const std::string& thread_host,
                const std::optional<std::string>& dedupe_key, Instant now) {
  if (uow.is_disabled(to)) return false;
  OutboxMessage m;
  m.created_at = now;
  m.channel = "email";
  m.target = to;
  m.event = event;
  m.ref = ref;
  m.dedupe_key = dedupe_key;
  m.subject = content.subject;
  m.body = json{{"text", content.text},
                {"html", content.html},
                {"message_id", "<" + (ref.empty() ? std::string("waiver") : ref) + "." + random_hex(8) + "@" +
                                   thread_host + ">"},
                {"thread", ref.empty() ? "" : "<" + ref + "@" + thread_host + ">"}}
               .dump();
  m.next_attempt_at = now;
  return uow.enqueue(m);
}

void queue_webhooks(UnitOfWork& uow, const NotificationSettings& n, const std::string& event,
                    const domain::ExceptionRequest& r, const std::string& previous_status,
                    const std::string& actor, const json& data, const std::optional<std::string>& dedupe_key,
                    Instant now) {
  const auto hooks = uow.webhooks(false);
  if (hooks.empty()) return;
  json exception{{"id", r.id},
                 {"ref", r.ref},
                 {"title", r.content.title},
                 {"status", domain::to_string(r.status)},
                 {"policy_id", r.content.policy_id},
                 {"requester", r.requester},
                 {"url", request_link(n, r)}};
  if (!previous_status.empty()) exception["previous_status"] = previous_status;
  if (r.decision_end_on) exception["end_on"] = domain::format_date(*r.decision_end_on);
  if (r.risk_level) exception["risk_level"] = domain::to_string(*r.risk_level);
  for (const auto& h : hooks) {
    if (!webhook_wants(h.events, event)) continue;
    json body;
    if (h.format == "slack") {
      std::string text = "*" + r.ref + "* " + r.content.title + ": " + event + ", now *" +
                         std::string(domain::to_string(r.status)) + "* (" + actor + ") <" +
                         request_link(n, r) + "|open>";
      body = json{{"text", text}};
    } else {
      body = json{{"event", event},
                  {"occurred_at", domain::format_instant(now)},
                  {"actor", actor},
                  {"exception", exception},
                  {"data", data.is_null() ? json::object() : data}};
    }
    OutboxMessage m;
    m.created_at = now;
    m.channel = "webhook";
    m.target = std::to_string(h.id);
    m.event = event;
    m.ref = r.ref;
    if (dedupe_key) m.dedupe_key = *dedupe_key + ":webhook:" + std::to_string(h.id);
    m.subject = event;
    m.body = body.dump();
    m.next_attempt_at = now;
    uow.enqueue(m);
  }
}

void notify_step(UnitOfWork& uow, const NotificationSettings& n, const domain::Step& step, const json& data,
                 Instant now) {
  const domain::ExceptionRequest& r = step.after;
  domain::Audience audience;
  if (auto p = uow.policy(r.content.policy_id)) audience.policy_owner = p->owner;
  if (step.action == "appeal") audience.legal = uow.role_members(domain::Role::legal);
  if (step.action == "legal_opinion") {
    audience.executives = uow.role_members(domain::Role::ceo);
    for (const auto& e : uow.role_members(domain::Role::cfo)) audience.executives.push_back(e);
  }
  if (step.action == "invite" && data.is_object() && data.contains("email"))
    audience.invitee = data.at("email").get<std::string>();
  const std::string host = mail_host(n);
  const std::string link = request_link(n, r);
  for (const auto& notice : domain::notices_for(step, audience))
    queue_mail(uow, notice.to, "exception." + step.action, r.ref, compose(notice, r, link), host,
               std::nullopt, now);
  const std::string previous = step.before && step.before->status != r.status
                                   ? std::string(domain::to_string(step.before->status))
                                   : "";
  queue_webhooks(uow, n, "exception." + step.action, r, previous, step.actor, data, std::nullopt, now);
}

}  // namespace waiver::app
