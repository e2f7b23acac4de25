#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace waiver::http {
namespace {

const char* title_of(app::Error::Kind kind) {
  using K = app::Error::Kind;
  switch (kind) {
    case K::bad_request: return "Malformed request";
    case K::unauthorized: return "Not signed in";
    case K::forbidden: return "Not allowed";
    case K::not_found: return "Not found";
    case K::conflict: return "Not allowed in the current state";
    case K::precondition_failed: return "The request has changed";
    case K::too_large: return "Too large";
    case K::invalid: return "Invalid content";
    case K::too_many_requests: return "Too many requests";
    case K::unavailable: return "Service unavailable";
  }
  return "Error";
}

const char* slug_of(app::Error::Kind kind) {
  using K = app::Error::Kind;
  switch (kind) {
    case K::bad_request: return "bad-request";
    case K::unauthorized: return "unauthorized";
    case K::forbidden: return "forbidden";
    case K::not_found: return "not-found";
    case K::conflict: return "conflict";
    case K::precondition_failed: return "precondition-failed";
    case K::too_large: return "too-large";
    case K::invalid: return "invalid";
    case K::too_many_requests: return "too-many-requests";
    case K::unavailable: return "unavailable";
  }
  return "error";
}

}  // namespace

int status_of(app::Error::Kind kind) {
  using K = app::Error::Kind;
  switch (kind) {
    case K::bad_request: return 400;
    case K::unauthorized: return 401;
    case K::forbidden: return 403;
    case K::not_found: return 404;
    case K::conflict: return 409;
    case K::precondition_failed: return 412;
    case K::too_large: return 413;
    case K::invalid: return 422;
    case K::too_many_requests: return 429;
    case K::unavailable: return 503;
  }
  return 500;
}

HttpResponse problem(const app::Error& error) {
  nlohmann::json body{{"type", std::string("https://waiver.dev/problems/") + slug_of(error.kind)},
                      {"title", title_of(error.kind)},
                      {"status", status_of(error.kind)},
                      {"detail", error.detail}};
  if (!error.errors.empty()) {
    // A body can hold many thousands of bad items: the answer names the first ones only, so that
    // it stays small whatever the request (no amplification).
    nlohmann::json errors = nlohmann::json::array();
    for (std::size_t i = 0; i < error.errors.size() && i < kMaxProblemErrors; ++i)
      errors.push_back({{"field", error.errors[i].field}, {"message", error.errors[i].message}});
    body["errors"] = errors;
    if (error.errors.size() > kMaxProblemErrors)
      body["detail"] = error.detail + " (" + std::to_string(error.errors.size()) + " errors; the first " +
                       std::to_string(kMaxProblemErrors) + " are listed)";
  }
  HttpResponse r;
  r.status = status_of(error.kind);
  r.content_type = "application/problem+json";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (error.kind == app::Error::Kind::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (error.retry_after_seconds > 0)
    r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  return r;
}

HttpResponse problem(app::Error::Kind kind, std::string detail) {
  return problem(app::Error::make(kind, std::move(detail)));
}

HttpResponse method_not_allowed(const std::string& method, const std::string& path,
                                const std::string& allowed) {
  auto r = problem(app::Error::Kind::bad_request, "method " + method + " is not allowed on " + path);
  auto body = nlohmann::json::parse(r.body);
  body["status"] = 405;
  body["title"] = "Method not allowed";
  body["type"] = "https://waiver.dev/problems/method-not-allowed";
  r.status = 405;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

}  // namespace waiver::http
