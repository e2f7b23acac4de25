// Handlers for reading and writing exception requests: create, read, list, edit, events, export.
#include "http/handlers.hpp"

#include <cctype>

#include "app/request_text.hpp"
#include "http/csv.hpp"
#include "http/handler_support.hpp"
#include "http/xlsx.hpp"

namespace waiver::http {
namespace {

std::string hex_of(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> text_of_hex(const std::string& h) {
  if (h.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < h.size(); i += 2) {
    int v = 0;
    for (char c : h.substr(i, 2)) {
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out += static_cast<char>(v);
  }
  return out;
}

// The cursor of a sorted listing names its order, so that it is never used with another:
// s.<column>.<asc|desc>.<the sort key in hex>.<id>. The default order's cursor is the id alone.
std::string sorted_cursor(const app::ListFilter& f, const std::string& key, app::Id id) {
  return "s." + f.sort + "." + (f.ascending ? "asc" : "desc") + "." + hex_of(key) + "." + std::to_string(id);
}

bool read_sorted_cursor(const std::string& c, app::ListFilter& f) {
  if (c.size() > 1200) return false;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto dot = c.find('.', start);
    parts.push_back(c.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 5 || parts[0] != "s" || parts[1] != f.sort ||
      parts[2] != (f.ascending ? "asc" : "desc"))
    return false;
  auto key = text_of_hex(parts[3]);
  const auto& id = parts[4];
  if (!key || id.empty() || id.size() > 18 ||
      !std::all_of(id.begin(), id.end(), [](unsigned char ch) { return std::isdigit(ch); }))
    return false;
  f.after_key = *key;
  f.after_id = std::stoll(id);
  return true;
}

app::Outcome<app::ListFilter> list_filter(const HttpRequest& req, const domain::Actor& caller) {
  app::ListFilter f;
  domain::FieldErrors errors;
  static const std::set<std::string> kKnown{
      "status", "policy", "department", "requester", "risk_level", "expiring_within_days", "q",
      "limit",  "cursor", "format",     "sort",      "order",      "waiting_for"};
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
  if (auto s = req.query_value("sort"); s && !s->empty()) {
    if (std::none_of(std::begin(app::kSortColumns), std::end(app::kSortColumns),
                     [&](const char* c) { return *s == c; })) {
      std::string names;
      for (const char* c : app::kSortColumns) names += (names.empty() ? "" : ", ") + std::string(c);
      errors.push_back({"sort", "must be one of: " + names});
    } else {
      f.sort = *s;
    }
  }
  if (auto o = req.query_value("order"); o && !o->empty()) {
    if (*o != "asc" && *o != "desc")
      errors.push_back({"order", "must be asc or desc"});
    else if (f.sort.empty())
      errors.push_back({"order", "needs sort (the default order is newest first)"});
    else
      f.ascending = *o == "asc";
  }
  if (auto w = req.query_value("waiting_for"); w && !w->empty()) {
    if (*w != "me")
      errors.push_back({"waiting_for", "must be me"});
    else
      f.waiting_for = caller.email;
  }
  if (auto c = req.query_value("cursor"); c && !c->empty() && !f.sort.empty()) {
    if (!read_sorted_cursor(*c, f))
      errors.push_back({"cursor", "is not a cursor this server gave for this sort"});
  } else if (c && !c->empty()) {
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

// The caller and the request in one read transaction (app::Reading).
HttpResponse get_exception(Context& ctx, const HttpRequest& req) {
  app::Reading reading(ctx.services.store);
  auto actor = authenticate(ctx, req, reading);
  if (!actor) return problem(actor.error());
  auto view = app::get_request(ctx.services, reading, *actor, req.params.at("id"));
  reading.end();
  return answer(view);
}

HttpResponse list_exceptions(Context& ctx, const HttpRequest& req) {
  app::Reading reading(ctx.services.store);
  auto actor = authenticate(ctx, req, reading);
  if (!actor) return problem(actor.error());
  auto filter = list_filter(req, *actor);
  if (!filter) return problem(filter.error());
  auto page = app::list_requests(ctx.services, reading, *actor, *filter);
  reading.end();
  if (!page) return problem(page.error());
  // Written as text, item by item (request_text.hpp): a page of 50 as a json tree spent most of
  // its time building and freeing the tree.
  HttpResponse r;
  r.body.reserve(page->items.size() * 2048 + 64);
  r.body += "{\"items\":[";
  for (std::size_t i = 0; i < page->items.size(); ++i) {
    if (i) r.body += ',';
    app::append_json(r.body, page->items[i]);
  }
  r.body += "],\"next_cursor\":";
  if (!page->next_before)
    r.body += "null";
  else
    app::append_json_string(r.body, filter->sort.empty() ? std::to_string(*page->next_before)
                                                         : sorted_cursor(*filter, page->next_key.value_or(""),
                                                                         *page->next_before));
  r.body += '}';
  return r;
}

// Every page of the export is read in one read transaction (app::Reading): the file is the
// register as it was at one moment, even while others change it.
HttpResponse export_exceptions(Context& ctx, const HttpRequest& req) {
  app::Reading reading(ctx.services.store);
  auto actor = authenticate(ctx, req, reading);
  if (!actor) return problem(actor.error());
  const std::string format = req.query_value("format").value_or("csv");
  if (format != "csv" && format != "xlsx")
    return problem(
        app::Error{app::Error::Kind::invalid, "unknown format", {{"format", "must be csv or xlsx"}}});
  auto filter = list_filter(req, *actor);
  if (!filter) return problem(filter.error());
  filter->limit = 200;
  std::vector<app::RequestView> all;
  for (;;) {
    auto page = app::list_requests(ctx.services, reading, *actor, *filter);
    if (!page) return problem(page.error());
    for (auto& v : page->items) all.push_back(std::move(v));
    if (!page->next_before) break;
    filter->before_id = page->next_before;
    filter->after_key = page->next_key;
    filter->after_id = page->next_before;
  }
  reading.end();
  HttpResponse r;
  if (format == "xlsx") {
    auto file = register_xlsx(all);
    if (!file) return problem(app::Error::Kind::unavailable, "the XLSX file could not be written");
    r.content_type = kXlsxContentType;
    r.body = std::move(*file);
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"waiver-register.xlsx\"");
    return r;
  }
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
