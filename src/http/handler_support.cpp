#include "http/handler_support.hpp"

#include <sodium.h>

#include <cctype>

#include "app/json_input.hpp"
#include "app/request_text.hpp"

namespace waiver::http {
app::Outcome<domain::Actor> authenticate(Context& ctx, const HttpRequest& req) {
  app::Reading reading(ctx.services.store);
  return authenticate(ctx, req, reading);
}

app::Outcome<domain::Actor> authenticate(Context& ctx, const HttpRequest& req, app::Reading& reading) {
  if (auto h = req.header("authorization")) {
    const std::string& value = *h;
    if (value.size() < 7 || !std::equal(value.begin(), value.begin() + 7, "Bearer ",
                                        [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return app::fail(app::Error::Kind::unauthorized, "the Authorization header must be Bearer TOKEN");
    std::string token = value.substr(7);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
    return app::actor_for_token(ctx.services, reading, token);
  }
  auto cookie = req.cookie(kSessionCookie);
  if (!cookie)
    return app::fail(app::Error::Kind::unauthorized,
                     "sign in (POST /api/v1/session) or send Authorization: Bearer TOKEN");
  auto caller = app::caller_for_session(ctx.services, *cookie);
  if (!caller) return app::fail(caller.error());
  // A cookie comes with every request the browser makes: writes must prove they come from our page.
  if (req.method != "GET" && req.method != "HEAD") {
    auto sent = req.header("x-csrf-token");
    const auto& expected = caller->csrf_token;
    if (!sent || sent->size() != expected.size() ||
        sodium_memcmp(sent->data(), expected.data(), expected.size()) != 0)
      return app::fail(app::Error::Kind::forbidden,
                       "a write with the session cookie needs the X-CSRF-Token header of the session");
  }
  return caller->actor;
}

void set_session_cookie(HttpResponse& r, const Context& ctx, const app::SignedIn& s) {
  const auto max_age = s.expires_at.seconds - ctx.services.clock.now().seconds;
  r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + s.cookie_value +
                                           "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                           std::to_string(max_age) + (ctx.secure_cookies ? "; Secure" : ""));
}

void clear_session_cookie(HttpResponse& r, const Context& ctx) {
  r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) +
                                           "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" +
                                           (ctx.secure_cookies ? "; Secure" : ""));
}

app::Outcome<json> json_body(Context& ctx, const HttpRequest& req, bool empty_ok) {
  const app::JsonLimits limits{ctx.limits.max_body, ctx.limits.max_json_depth};
  if (req.body.size() <= limits.max_bytes && req.body.find_first_not_of(" \t\r\n") != std::string::npos)
    if (auto ct = req.header("content-type"); ct && ct->find("json") == std::string::npos)
      return app::fail(app::Error::Kind::bad_request,
                       "the body must be JSON (Content-Type: application/json)");
  return app::parse_json_object(req.body, limits, empty_ok);
}

std::optional<std::int64_t> if_match(const HttpRequest& req) {
  auto h = req.header("if-match");
  if (!h) return std::nullopt;
  std::string v = *h;
  if (v.starts_with("W/")) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;  // never a version
  return std::stoll(v);
}

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse view_response(int status, const app::RequestView& view) {
  HttpResponse r;
  r.status = status;
  app::append_json(r.body, view);
  r.headers.emplace_back("ETag", "\"" + std::to_string(view.request.version) + "\"");
  if (status == 201)
    r.headers.emplace_back("Location", "/api/v1/exceptions/" + std::to_string(view.request.id));
  return r;
}

std::optional<std::string> HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> HttpRequest::cookie(const std::string& name) const {
  auto h = header("cookie");
  if (!h) return std::nullopt;
  std::string_view rest = *h;
  while (!rest.empty()) {
    auto end = rest.find(';');
    auto pair = rest.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::query_value(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

}  // namespace waiver::http
