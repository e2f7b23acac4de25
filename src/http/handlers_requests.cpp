// Handlers for reading and writing exception requests: create, read, list, edit, events, export.
#include "http/handlers.hpp"

#include <cctype>

#include "http/csv.hpp"
#include "http/handler_support.hpp"

namespace waiver::http {
namespace {

app::Outcome<app::ListFilter> list_filter(const HttpRequest& req) {
  app::ListFilter f;
  domain::FieldErrors errors;
  static const std::set<std::string> kKnown{
      "status", "policy", "department", "requester", "risk_level", "expiring_within_days",
      "q",      "limit",  "cursor",     "format"};
  for (const auto& [k, v] : req.query)
    if (!kKnown.contains(k)) errors.push_back({k, "is not a filter of the register"});
  if (auto s = req.query_value("status"); s && !s->empty()) {
    std::size_t start = 0;
    while (start <= s->size()) {
      auto end = s->find(',', start);
      if (end == std::string::npos) end = s->size();
      auto st = domain::from_string<domain::Status>(s->substr(start, end - start));
      if (!st)
        errors.push_back({"status", "must be states among: " + domain::allowed_values<domain::Status>()});
      else
        f.status.push_back(*st);
      start = end + 1;
    }
  }
  f.policy = req.query_value("policy").value_or("");
  f.department = req.query_value("department").value_or("");
  f.requester = req.query_value("requester").value_or("");
  f.q = req.query_value("q").value_or("");
  if (f.q.size() > 200) errors.push_back({"q", "is longer than 200 characters"});
  if (auto r = req.query_value("risk_level"); r && !r->empty()) {
    f.risk_level = domain::from_string<domain::RiskLevel>(*r);
    if (!f.risk_level)
      errors.push_back({"risk_level", "must be one of: " + domain::allowed_values<domain::RiskLevel>()});
  }
  auto number = [&](const char* name, long long lo, long long hi) -> std::optional<long long> {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (v->size() > 9 ||
        !std::all_of(v->begin(), v->end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoll(*v) < lo || std::stoll(*v) > hi) {
      errors.push_back(
          {name, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)});
      return std::nullopt;
    }
    return std::stoll(*v);
  };
  if (auto n = number("limit", 1, 200)) f.limit = static_cast<int>(*n);
  if (auto n = number("expiring_within_days", 0, 36500)) f.within_days = static_cast<int>(*n);
  if (auto c = req.query_value("cursor"); c && !c->empty()) {
    if (c->size() > 18 ||
        !std::all_of(c->begin(), c->end(), [](unsigned char ch) { return std::isdigit(ch); }))
      errors.push_back({"cursor", "is not a cursor this server gave"});
    else
      f.before_id = std::stoll(*c);
  }
  if (!errors.empty()) return app::fail(app::Error{app::Error::Kind::invalid, "invalid query", errors});
  return f;
}

}  // namespace

HttpResponse create_exception(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::create_request(ctx.services, *actor, *body), 201);
}

HttpResponse get_exception(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  return answer(app::get_request(ctx.services, *actor, req.params.at("id")));
}

HttpResponse list_exceptions(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto filter = list_filter(req);
  if (!filter) return problem(filter.error());
  auto page = app::list_requests(ctx.services, *actor, *filter);
  if (!page) return problem(page.error());
  json items = json::array();
  for (const auto& v : page->items) items.push_back(app::to_json(v));
  return json_response(
      200, {{"items", items},
            {"next_cursor", page->next_before ? json(std::to_string(*page->next_before)) : json(nullptr)}});
}

HttpResponse export_exceptions(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  const std::string format = req.query_value("format").value_or("csv");
  if (format == "xlsx")
    return problem(app::Error{app::Error::Kind::invalid,
                              "XLSX export comes with a later version; use format=csv",
                              {{"format", "xlsx is not available yet; use csv"}}});
  if (format != "csv")
    return problem(app::Error{app::Error::Kind::invalid, "unknown format", {{"format", "must be csv"}}});
  auto filter = list_filter(req);
  if (!filter) return problem(filter.error());
  filter->limit = 200;
  std::vector<app::RequestView> all;
  for (;;) {
    auto page = app::list_requests(ctx.services, *actor, *filter);
    if (!page) return problem(page.error());
    for (auto& v : page->items) all.push_back(std::move(v));
    if (!page->next_before) break;
    filter->before_id = page->next_before;
  }
  HttpResponse r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = register_csv(all);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"waiver-register.csv\"");
  return r;
}

HttpResponse edit_exception(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::edit_request(ctx.services, *actor, {req.params.at("id"), if_match(req), *body}));
}

HttpResponse exception_events(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto events = app::request_events(ctx.services, *actor, req.params.at("id"));
  if (!events) return problem(events.error());
  json items = json::array();
  for (const auto& e : *events) items.push_back(event_json(e, true));
  return json_response(200, {{"items", items}});
}

}  // namespace waiver::http
