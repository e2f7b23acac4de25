// The route table: every endpoint of the API with its handler. The server registers these,
// and a test compares them with the OpenAPI document.
#pragma once
#include <map>
#include <memory>
#include <span>
#include <string>

#include "app/services.hpp"
#include "http/message.hpp"
#include "http/metrics.hpp"
#include "http/rate_limit.hpp"

namespace waiver::http {

struct Limits {
  std::size_t max_body = 1024 * 1024;  // bytes; more is 413
  int max_json_depth = 32;             // deeper is 400
};

// Single sign-on settings (off when issuer is empty).
struct OidcSettings {
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string redirect_url;                     // the callback: <base>/api/v1/oidc/callback
  bool create_users = false;                    // create unknown users on first sign-in
  std::string default_department;               // for created users
  std::string roles_claim;                      // a claim holding group names, e.g. "groups"
  std::map<std::string, std::string> role_map;  // claim value -> role name
};

struct Context {
  app::Services& services;
  Limits limits;
  bool secure_cookies = false;  // served over TLS (base URL https://): cookies get Secure
  OidcSettings oidc = {};
  std::shared_ptr<Metrics> metrics = std::make_shared<Metrics>();
  int idempotency_hours = 24;               // how long an Idempotency-Key and its first answer are kept
  std::shared_ptr<RateLimits> rate_limits;  // none: no request rate limits (unit tests)
};

inline constexpr const char* kSessionCookie = "waiver_session";

using Handler = HttpResponse (*)(Context&, const HttpRequest&);

struct Route {
  const char* method;   // GET, POST, PATCH
  const char* pattern;  // the server's pattern, under /api/v1, e.g. /exceptions/:id
  const char* openapi;  // the same path as the OpenAPI document writes it, e.g. /exceptions/{id}
  Handler handler;
};

std::span<const Route> routes();

// The OpenAPI document served at /api/v1/openapi.json (embedded at build time).
const std::string& openapi_document();

}  // namespace waiver::http
