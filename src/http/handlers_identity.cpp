// Handlers for signing in and out, API tokens, and the administration of users and departments.
#include <cctype>

#include "app/request_json.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"

namespace waiver::http {
namespace {

json session_json(const domain::Actor& a, const std::string& csrf, const std::string& via,
                  std::optional<domain::Instant> expires) {
  json roles = json::array();
  for (auto r : a.roles) roles.push_back(std::string(domain::to_string(r)));
  return {{"email", a.email},
          {"name", a.name},
          {"roles", roles},
          {"via", via},
          {"csrf_token", csrf.empty() ? json(nullptr) : json(csrf)},
          {"expires_at", expires ? json(domain::format_instant(*expires)) : json(nullptr)}};
}

json token_json(const app::ApiTokenInfo& t) {
  auto opt = [](const std::optional<domain::Instant>& i) {
    return i ? json(domain::format_instant(*i)) : json(nullptr);
  };
  return {{"id", t.id},
          {"user", t.user},
          {"name", t.name},
          {"created_at", domain::format_instant(t.created_at)},
          {"expires_at", opt(t.expires_at)},
          {"last_used_at", opt(t.last_used_at)},
          {"revoked_at", opt(t.revoked_at)}};
}

std::optional<app::Id> token_id(const HttpRequest& req) {
  const auto& v = req.params.at("id");
  if (v.empty() || v.size() > 18 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stoll(v);
}

HttpResponse items(const std::vector<json>& list) {
  json out = json::array();
  for (const auto& x : list) out.push_back(x);
  return json_response(200, {{"items", out}});
}

}  // namespace

HttpResponse sign_in(Context& ctx, const HttpRequest& req) {
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  app::BodyReader in(*body, {"email", "password"});
  const std::string email = in.text("email");
  const std::string password = in.text("password");
  if (auto r = in.refusal("the body is invalid")) return problem(app::Error::from(*r));
  auto s = app::sign_in_with_password(ctx.services, email, password, req.remote_address,
                                      req.cookie(kSessionCookie).value_or(""));
  if (!s) return problem(s.error());
  auto r = json_response(200, session_json(s->actor, s->csrf_token, "session", s->expires_at));
  set_session_cookie(r, ctx, *s);
  return r;
}

HttpResponse current_session(Context& ctx, const HttpRequest& req) {
  if (req.header("authorization")) {
    auto actor = authenticate(ctx, req);
    if (!actor) return problem(actor.error());
    return json_response(200, session_json(*actor, "", "token", std::nullopt));
  }
  auto cookie = req.cookie(kSessionCookie);
  if (!cookie) return problem(app::Error::Kind::unauthorized, "not signed in");
  auto caller = app::caller_for_session(ctx.services, *cookie);
  if (!caller) return problem(caller.error());
  return json_response(200, session_json(caller->actor, caller->csrf_token, "session", caller->expires_at));
}

HttpResponse sign_out(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);  // the CSRF check applies to signing out too
  if (!actor) return problem(actor.error());
  if (auto cookie = req.cookie(kSessionCookie)) {
    if (auto ok = app::sign_out(ctx.services, *cookie); !ok) return problem(ok.error());
  }
  HttpResponse r;
  r.status = 204;
  clear_session_cookie(r, ctx);
  return r;
}

HttpResponse list_tokens(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto tokens = app::list_tokens(ctx.services, *actor, req.query_value("user").value_or(""));
  if (!tokens) return problem(tokens.error());
  std::vector<json> out;
  for (const auto& t : *tokens) out.push_back(token_json(t));
  return items(out);
}

HttpResponse create_token(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  auto t = app::issue_token(ctx.services, *actor, *body);
  if (!t) return problem(t.error());
  json out = token_json(t->info);
  out["token"] = t->secret;
  return json_response(201, out);
}

HttpResponse change_token(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  auto id = token_id(req);
  if (!id) return problem(app::Error::Kind::not_found, "no such token of yours");
  auto t = app::change_token(ctx.services, *actor, *id, *body);
  if (!t) return problem(t.error());
  return json_response(200, token_json(*t));
}

HttpResponse revoke_token(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto id = token_id(req);
  if (!id) return problem(app::Error::Kind::not_found, "no such token of yours");
  auto t = app::revoke_token(ctx.services, *actor, *id);
  if (!t) return problem(t.error());
  return json_response(200, token_json(*t));
}

HttpResponse list_users(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto users = app::list_users(ctx.services, *actor);
  if (!users) return problem(users.error());
  return items(*users);
}

HttpResponse create_user(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::create_user(ctx.services, *actor, *body), 201);
}

HttpResponse get_user(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  return answer(app::get_user(ctx.services, *actor, req.params.at("email")));
}

HttpResponse update_user(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::update_user(ctx.services, *actor, req.params.at("email"), *body));
}

HttpResponse reset_password(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  auto ok = app::reset_password(ctx.services, *actor, req.params.at("email"), *body);
  if (!ok) return problem(ok.error());
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse list_departments(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto deps = app::list_departments(ctx.services, *actor);
  if (!deps) return problem(deps.error());
  return items(*deps);
}

HttpResponse create_department(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::save_department(ctx.services, *actor, "", *body, true), 201);
}

HttpResponse update_department(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::save_department(ctx.services, *actor, req.params.at("name"), *body, false));
}

}  // namespace waiver::http
