// Handlers for the outbox and webhooks (admins) and the calendar feed.
#include <algorithm>
#include <cctype>

#include "app/notification_admin.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"

namespace waiver::http {
namespace {

std::optional<app::Id> id_param(const HttpRequest& req) {
  const auto& v = req.params.at("id");
  if (v.empty() || v.size() > 18 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stoll(v);
}

bool digits(const std::string& v, std::size_t max) {
  return !v.empty() && v.size() <= max &&
         std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
}

app::Outcome<app::OutboxFilter> outbox_filter(const HttpRequest& req) {
  domain::FieldErrors errors;
  for (const auto& [k, v] : req.query)
    if (k != "state" && k != "limit" && k != "cursor") errors.push_back({k, "is not a filter of the outbox"});
  app::OutboxFilter f;
  f.state = req.query_value("state").value_or("");
  if (auto l = req.query_value("limit"); l && !l->empty()) {
    if (!digits(*l, 3) || std::stoi(*l) < 1 || std::stoi(*l) > 200)
      errors.push_back({"limit", "must be a whole number from 1 to 200"});
    else
      f.limit = std::stoi(*l);
  }
  if (auto c = req.query_value("cursor"); c && !c->empty()) {
    if (!digits(*c, 18))
      errors.push_back({"cursor", "is not a cursor this server gave"});
    else
      f.before_id = std::stoll(*c);
  }
  if (!errors.empty()) return app::fail(app::Error{app::Error::Kind::invalid, "invalid query", errors});
  return f;
}

json feed_json(const app::CalendarFeed& f) {
  json j{{"exists", f.created_at.has_value()},
         {"created_at", f.created_at ? json(domain::format_instant(*f.created_at)) : json(nullptr)}};
  if (!f.url.empty()) j["url"] = f.url;
  return j;
}

}  // namespace

HttpResponse list_outbox(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto filter = outbox_filter(req);
  if (!filter) return problem(filter.error());
  app::OutboxFilter probe = *filter;
  probe.limit = filter->limit + 1;
  auto page = app::list_outbox(ctx.services, *actor, probe);
  if (!page) return problem(page.error());
  json items = json::array();
  json next = nullptr;
  for (std::size_t i = 0; i < page->size(); ++i) {
    if (static_cast<int>(i) == filter->limit) {
      next = std::to_string((*page)[i - 1].id);
      break;
    }
    items.push_back(app::outbox_json((*page)[i]));
  }
  return json_response(200, {{"items", items}, {"next_cursor", next}});
}

HttpResponse retry_outbox(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto id = id_param(req);
  if (!id) return problem(app::Error::make(app::Error::Kind::not_found, "no such delivery"));
  auto m = app::retry_delivery(ctx.services, *actor, *id);
  if (!m) return problem(m.error());
  return json_response(200, app::outbox_json(*m));
}

HttpResponse list_webhooks(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto hooks = app::list_webhooks(ctx.services, *actor);
  if (!hooks) return problem(hooks.error());
  json items = json::array();
  for (const auto& h : *hooks) items.push_back(app::webhook_json(h, false));
  return json_response(200, {{"items", items}});
}

HttpResponse create_webhook(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  auto w = app::create_webhook(ctx.services, *actor, *body);
  if (!w) return problem(w.error());
  return json_response(201, app::webhook_json(*w, true));
}

HttpResponse delete_webhook(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto id = id_param(req);
  if (!id) return problem(app::Error::make(app::Error::Kind::not_found, "no such webhook"));
  if (auto ok = app::delete_webhook(ctx.services, *actor, *id); !ok) return problem(ok.error());
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

HttpResponse my_calendar(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto f = app::calendar_feed_status(ctx.services, *actor);
  if (!f) return problem(f.error());
  return json_response(200, feed_json(*f));
}

HttpResponse rotate_calendar(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, true);
  if (!body) return problem(body.error());
  if (!body->empty())
    return problem(
        app::Error{app::Error::Kind::invalid, "the body must be empty", {{"body", "takes no fields"}}});
  auto f = app::rotate_calendar_feed(ctx.services, *actor);
  if (!f) return problem(f.error());
  return json_response(201, feed_json(*f));
}

HttpResponse calendar_feed(Context& ctx, const HttpRequest& req) {
  std::string secret = req.params.at("feed");
  if (secret.ends_with(".ics")) secret.resize(secret.size() - 4);
  auto ics = app::calendar_feed(ctx.services, secret);
  if (!ics) return problem(ics.error());
  HttpResponse r;
  r.content_type = "text/calendar; charset=utf-8";
  r.body = *ics;
  r.headers.emplace_back("Cache-Control", "private, max-age=300");
  return r;
}

}  // namespace waiver::http
