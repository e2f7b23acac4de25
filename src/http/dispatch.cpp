// Matching a plain request against the route table, and the safety net around every handler.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "app/percent_encoding.hpp"
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

}  // namespace

HttpResponse dispatch(Context& ctx, HttpRequest& req) {
  constexpr std::string_view kBase = "/api/v1";
  try {
    if (!req.path.starts_with(kBase))
      return problem(app::Error::Kind::not_found, "no such resource: the API lives under /api/v1");
    if (req.malformed_query)
      return problem(app::Error::Kind::bad_request, "the query string is malformed (bad percent-encoding)");
    const std::string_view rest = std::string_view(req.path).substr(kBase.size());
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
    if (!allowed.empty()) {
      // problem() knows no 405: its body's status and title are set to match the answer.
      auto r =
          problem(app::Error::Kind::bad_request, "method " + req.method + " is not allowed on " + req.path);
      auto body = nlohmann::json::parse(r.body);
      body["status"] = 405;
      body["title"] = "Method not allowed";
      body["type"] = "https://waiver.dev/problems/method-not-allowed";
      r.status = 405;
      r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      r.headers.emplace_back("Allow", allowed);
      return r;
    }
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
