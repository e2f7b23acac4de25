// Handlers for the rest: health, the OpenAPI document, the caller, the matrix preview, audit.
#include "http/handler_support.hpp"
#include "http/handlers.hpp"

namespace waiver::http {

HttpResponse health(Context&, const HttpRequest&) { return json_response(200, {{"status", "ok"}}); }

HttpResponse ready(Context& ctx, const HttpRequest&) {
  const std::string reason = ctx.services.store.readiness();
  if (!reason.empty()) return problem(app::Error::Kind::unavailable, reason);
  return json_response(200, {{"status", "ready"}});
}

HttpResponse metrics(Context& ctx, const HttpRequest&) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.metrics->render(ctx.services);
  return r;
}

HttpResponse openapi(Context&, const HttpRequest&) {
  HttpResponse r;
  r.body = openapi_document();
  return r;
}

HttpResponse me(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  json roles = json::array();
  for (auto r : actor->roles) roles.push_back(std::string(domain::to_string(r)));
  return json_response(200,
                       {{"email", actor->email},
                        {"name", actor->name},
                        {"department", actor->department.empty() ? json(nullptr) : json(actor->department)},
                        {"roles", roles},
                        {"heads", actor->heads},
                        {"owns", actor->owns},
                        {"maintains", actor->maintains}});
}

HttpResponse matrix_preview(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::preview_matrix(ctx.services, *actor, *body));
}

HttpResponse audit_verify(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  if (!actor->has(domain::Role::auditor) && !actor->has(domain::Role::admin) &&
      !actor->has(domain::Role::security_compliance))
    return problem(app::Error::Kind::forbidden,
                   "only auditors, admins and security compliance verify the audit trail");
  const auto result = ctx.services.store.verify_audit();
  json body{{"ok", result.ok}, {"events", result.events}, {"head", result.head}};
  if (!result.ok) body["first_bad"] = {{"id", *result.first_bad}, {"reason", result.reason}};
  return json_response(200, body);
}

HttpResponse audit_checkpoints(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  if (!actor->has(domain::Role::auditor) && !actor->has(domain::Role::admin) &&
      !actor->has(domain::Role::security_compliance))
    return problem(app::Error::Kind::forbidden,
                   "only auditors, admins and security compliance read the audit checkpoints");
  json items = json::array();
  for (const auto& c : ctx.services.store.begin_read()->checkpoints())
    items.push_back({{"id", c.id},
                     {"events", c.events},
                     {"head", c.head},
                     {"at", domain::format_instant(c.at)},
                     {"public_key", c.public_key},
                     {"signature", c.signature}});
  return json_response(200, {{"items", items}});
}

nlohmann::json event_json(const app::AuditEvent& e, bool parsed) {
  auto value = [&](const std::string& text) -> json {
    if (!parsed) return text;
    if (text.empty()) return nullptr;
    return json::parse(text, nullptr, false);
  };
  const auto& r = e.record;
  return {{"id", e.id},
          {"at", domain::format_instant(r.at)},
          {"actor", r.actor},
          {"action", r.action},
          {"entity_type", r.entity_type},
          {"entity_id", r.entity_id},
          {"ref", r.ref},
          {"before", value(r.before)},
          {"after", value(r.after)},
          {"data", value(r.data)},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

}  // namespace waiver::http
