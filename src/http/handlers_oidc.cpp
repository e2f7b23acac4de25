// Single sign-on: GET /oidc/login sends the browser to the provider, GET /oidc/callback brings
// it back signed in. The state is also kept in a short-lived cookie, so a callback only
// completes in the browser that started it (no sign-in forced on someone else's browser).
#include <sodium.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "app/oidc_sign_in.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "net/curl_web_client.hpp"

namespace waiver::http {
namespace {

constexpr const char* kStateCookie = "waiver_oidc_state";
constexpr int kStateCookieSeconds = 600;

// One client per provider configuration, for the life of the process: it caches discovery and keys.
app::OidcClient& client_for(const OidcSettings& o) {
  static std::mutex mutex;
  static net::CurlWebClient web;
  static std::map<std::string, std::unique_ptr<app::OidcClient>> clients;
  std::lock_guard lock(mutex);
  auto& client = clients[o.issuer + '\n' + o.client_id + '\n' + o.client_secret + '\n' + o.redirect_url];
  if (!client)
    client = std::make_unique<app::OidcClient>(
        app::OidcConfig{o.issuer, o.client_id, o.client_secret, o.redirect_url}, web);
  return *client;
}

std::string state_cookie(const Context& ctx, const std::string& value, int max_age) {
  return std::string(kStateCookie) + "=" + value +
         "; Path=/api/v1/oidc; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age) +
         (ctx.secure_cookies ? "; Secure" : "");
}

HttpResponse redirect(const std::string& location) {
  HttpResponse r;
  r.status = 302;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", location);
  return r;
}

bool same_text(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

HttpResponse not_configured() {
  return problem(app::Error::Kind::not_found, "single sign-on is not configured on this server");
}

}  // namespace

HttpResponse oidc_login(Context& ctx, const HttpRequest& req) {
  if (ctx.oidc.issuer.empty()) return not_configured();
  auto start =
      app::begin_oidc_sign_in(ctx.services, client_for(ctx.oidc), req.query_value("return_to").value_or("/"));
  if (!start) return problem(start.error());
  auto r = redirect(start->redirect_url);
  r.headers.emplace_back("Set-Cookie", state_cookie(ctx, start->state, kStateCookieSeconds));
  return r;
}

HttpResponse oidc_callback(Context& ctx, const HttpRequest& req) {
  if (ctx.oidc.issuer.empty()) return not_configured();
  const std::string state = req.query_value("state").value_or("");
  const std::string bound = req.cookie(kStateCookie).value_or("");
  auto refused = [&](app::Error e) {
    e.kind = app::Error::Kind::unauthorized;  // whatever went wrong, the answer is "not signed in"
    auto r = problem(e);
    r.headers.emplace_back("Set-Cookie", state_cookie(ctx, "", 0));
    return r;
  };
  if (state.empty() || !same_text(state, bound))
    return refused(app::Error::make(app::Error::Kind::unauthorized,
                                    "this sign-in was not started in this browser, or has already ended"));
  const app::OidcUserPolicy policy{ctx.oidc.create_users, ctx.oidc.default_department, ctx.oidc.roles_claim,
                                   ctx.oidc.role_map};
  auto done = app::finish_oidc_sign_in(
      ctx.services, client_for(ctx.oidc), policy,
      {state, req.query_value("code").value_or(""), req.query_value("error").value_or(""),
       req.query_value("iss").value_or(""), req.remote_address, req.cookie(kSessionCookie).value_or("")});
  if (!done) return refused(done.error());
  auto r = redirect(done->return_to);
  r.headers.emplace_back("Set-Cookie", state_cookie(ctx, "", 0));
  set_session_cookie(r, ctx, done->session);
  return r;
}

}  // namespace waiver::http
