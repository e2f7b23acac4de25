// Handlers for the actions on a request: each reads the body and If-Match, calls its use case.
#include "http/handler_support.hpp"
#include "http/handlers.hpp"

namespace waiver::http {
namespace {

using UseCase = app::Outcome<app::RequestView> (*)(app::Services&, const domain::Actor&,
                                                   const app::ActionInput&);

HttpResponse run(Context& ctx, const HttpRequest& req, UseCase use_case, int status = 200) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, true);
  if (!body) return problem(body.error());
  return answer(use_case(ctx.services, *actor, {req.params.at("id"), if_match(req), *body}), status);
}

}  // namespace

HttpResponse submit_exception(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::submit_request);
}
HttpResponse invite_expert(Context& ctx, const HttpRequest& req) { return run(ctx, req, app::invite_expert); }
HttpResponse add_input(Context& ctx, const HttpRequest& req) { return run(ctx, req, app::add_input); }
HttpResponse withdraw_exception(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::withdraw_request);
}
HttpResponse appeal_exception(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::appeal_denial);
}
HttpResponse legal_opinion(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::give_legal_opinion);
}
HttpResponse disposition(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::record_disposition);
}
HttpResponse extend_exception(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::request_extension, 201);
}
HttpResponse review_exception(Context& ctx, const HttpRequest& req) { return run(ctx, req, app::add_review); }
HttpResponse close_exception(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::close_exception);
}
HttpResponse revoke_exception(Context& ctx, const HttpRequest& req) {
  return run(ctx, req, app::revoke_exception);
}

HttpResponse decide_slot(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::decide_slot(ctx.services, *actor, {req.params.at("id"), if_match(req), *body},
                                 req.params.at("slot")));
}

}  // namespace waiver::http
