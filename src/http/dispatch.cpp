// Matching a plain request against the route table, and the safety net around every handler.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "app/percent_encoding.hpp"
#include "app/secrets.hpp"
#include "http/idempotency.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace waiver::http {
namespace {

// Matches "/exceptions/:id/approvals/:slot" against a path, filling params.
bool match(std::string_view pattern, std::string_view path, std::map<std::string, std::string>& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pe = std::min(pattern.find('/'), pattern.size());
    const auto se = std::min(path.find('/'), path.size());
    const auto p = pattern.substr(0, pe);
    const auto s = path.substr(0, se);
    if (!p.empty() && p.front() == ':') {
      auto value = app::percent_decoded(s);
      if (s.empty() || !value || value->empty()) return false;
      params[std::string(p.substr(1))] = *value;
    } else if (p != s) {
      return false;
    }
    pattern.remove_prefix(pe);
    path.remove_prefix(se);
  }
  return true;
}

// Health, readiness and metrics are polled by machines and cost nothing: never throttled.
bool exempt_from_rate_limits(std::string_view rest) {
  return rest == "/health" || rest == "/ready" || rest == "/metrics";
}

// 429 when the client's address or its credential (Bearer token or session cookie, valid or not:
// the check comes before authentication) has used up its window.
std::optional<HttpResponse> throttled(RateLimits& limits, const HttpRequest& req) {
  const auto now = RateLimiter::Clock::now();
  auto refuse = [](const char* what, int seconds) {
    app::Error e = app::Error::make(app::Error::Kind::too_many_requests,
                                    std::string("too many requests from this ") + what + "; try again in " +
                                        std::to_string(seconds) + " s");
    e.retry_after_seconds = seconds;
    return problem(e);
  };
  if (limits.per_address.enabled())
    if (int wait = limits.per_address.hit(req.remote_address, now)) return refuse("address", wait);
  if (limits.per_token.enabled()) {
    std::optional<std::string> credential = req.header("authorization");
    if (!credential) credential = req.cookie(kSessionCookie);
    // Only a hash is kept: the limiter never holds a secret, and keys have one size.
    if (credential)
      if (int wait = limits.per_token.hit(app::sha256_hex(*credential), now)) return refuse("token", wait);
  }
  return std::nullopt;
}

}  // namespace

HttpResponse dispatch(Context& ctx, HttpRequest& req) {
  constexpr std::string_view kBase = "/api/v1";
  try {
    if (!req.path.starts_with(kBase))
      return problem(app::Error::Kind::not_found, "no such resource: the API lives under /api/v1");
    const std::string_view rest = std::string_view(req.path).substr(kBase.size());
    if (ctx.rate_limits && !exempt_from_rate_limits(rest))
      if (auto refused = throttled(*ctx.rate_limits, req)) return *refused;
    if (req.malformed_query)
      return problem(app::Error::Kind::bad_request, "the query string is malformed (bad percent-encoding)");
    std::string allowed;  // the methods the path has, for 405
    for (const auto& route : routes()) {
      if (!match(route.pattern, rest, req.params)) continue;
      if (req.method == route.method) {
        req.route = route.openapi;
        if (req.method == "POST" && req.header("idempotency-key")) return idempotent(ctx, req, route.handler);
        return route.handler(ctx, req);
      }
      if (allowed.find(route.method) == std::string::npos)
        allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
    }
    if (!allowed.empty()) return method_not_allowed(req.method, req.path, allowed);
    return problem(app::Error::Kind::not_found, "no such resource: " + req.path);
  } catch (const std::exception& e) {
    std::string reason = e.what();
    std::replace(reason.begin(), reason.end(), '"', '\'');
    spdlog::error("event=handler_failed request_id={} method={} path=\"{}\" reason=\"{}\"", req.request_id,
                  req.method, req.path, reason);
    return problem(app::Error::Kind::unavailable, "the server could not complete the request; try again");
  } catch (...) {
    spdlog::error("event=handler_failed request_id={} method={} path=\"{}\" reason=\"unknown exception\"",
                  req.request_id, req.method, req.path);
    return problem(app::Error::Kind::unavailable, "the server could not complete the request; try again");
  }
}

}  // namespace waiver::http
