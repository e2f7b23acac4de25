// What every handler does the same way: authenticate, read the body, answer in JSON.
#pragma once
#include <nlohmann/json.hpp>

#include "app/identity.hpp"
#include "app/services.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"

namespace waiver::http {

using nlohmann::json;

// The caller, by Bearer token or by session cookie; a cookie-authenticated write must carry
// the session's X-CSRF-Token (403 otherwise).
app::Outcome<domain::Actor> authenticate(Context& ctx, const HttpRequest& req);
// The same, a token read in `reading`, which the handler goes on reading in for its answer.
app::Outcome<domain::Actor> authenticate(Context& ctx, const HttpRequest& req, app::Reading& reading);

// Set-Cookie for a new session (HttpOnly, SameSite=Lax, Path=/, Secure over TLS), and to end one.
void set_session_cookie(HttpResponse& r, const Context& ctx, const app::SignedIn& s);
void clear_session_cookie(HttpResponse& r, const Context& ctx);

// The body as a JSON object: 413 past the size limit, 400 when malformed, too deep or not an
// object. An empty body reads as {} when `empty_ok`.
app::Outcome<json> json_body(Context& ctx, const HttpRequest& req, bool empty_ok);

// The version named by If-Match, if any; an unreadable one never matches.
std::optional<std::int64_t> if_match(const HttpRequest& req);

HttpResponse json_response(int status, const json& body);
HttpResponse view_response(int status, const app::RequestView& view);

template <typename T>
HttpResponse answer(const app::Outcome<T>& outcome, int status = 200) {
  if (!outcome) return problem(outcome.error());
  if constexpr (std::is_same_v<T, app::RequestView>)
    return view_response(status, *outcome);
  else
    return json_response(status, *outcome);
}

}  // namespace waiver::http
