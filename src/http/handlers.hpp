// One handler per endpoint: parse, call the use case, map the result.
#pragma once
#include <nlohmann/json.hpp>

#include "app/ports.hpp"
#include "http/routes.hpp"

namespace waiver::http {

HttpResponse health(Context&, const HttpRequest&);
HttpResponse ready(Context&, const HttpRequest&);
HttpResponse metrics(Context&, const HttpRequest&);
HttpResponse openapi(Context&, const HttpRequest&);
HttpResponse me(Context&, const HttpRequest&);
HttpResponse oidc_login(Context&, const HttpRequest&);
HttpResponse oidc_callback(Context&, const HttpRequest&);
HttpResponse create_exception(Context&, const HttpRequest&);
HttpResponse list_exceptions(Context&, const HttpRequest&);
HttpResponse export_exceptions(Context&, const HttpRequest&);
HttpResponse get_exception(Context&, const HttpRequest&);
HttpResponse edit_exception(Context&, const HttpRequest&);
HttpResponse exception_events(Context&, const HttpRequest&);
HttpResponse submit_exception(Context&, const HttpRequest&);
HttpResponse decide_slot(Context&, const HttpRequest&);
HttpResponse invite_expert(Context&, const HttpRequest&);
HttpResponse add_input(Context&, const HttpRequest&);
HttpResponse withdraw_exception(Context&, const HttpRequest&);
HttpResponse appeal_exception(Context&, const HttpRequest&);
HttpResponse legal_opinion(Context&, const HttpRequest&);
HttpResponse disposition(Context&, const HttpRequest&);
HttpResponse extend_exception(Context&, const HttpRequest&);
HttpResponse review_exception(Context&, const HttpRequest&);
HttpResponse close_exception(Context&, const HttpRequest&);
HttpResponse revoke_exception(Context&, const HttpRequest&);
HttpResponse matrix_preview(Context&, const HttpRequest&);
HttpResponse audit_verify(Context&, const HttpRequest&);
HttpResponse audit_checkpoints(Context&, const HttpRequest&);
HttpResponse sign_in(Context&, const HttpRequest&);
HttpResponse current_session(Context&, const HttpRequest&);
HttpResponse sign_out(Context&, const HttpRequest&);
HttpResponse list_tokens(Context&, const HttpRequest&);
HttpResponse create_token(Context&, const HttpRequest&);
HttpResponse change_token(Context&, const HttpRequest&);
HttpResponse revoke_token(Context&, const HttpRequest&);
HttpResponse list_users(Context&, const HttpRequest&);
HttpResponse create_user(Context&, const HttpRequest&);
HttpResponse get_user(Context&, const HttpRequest&);
HttpResponse update_user(Context&, const HttpRequest&);
HttpResponse reset_password(Context&, const HttpRequest&);
HttpResponse list_departments(Context&, const HttpRequest&);
HttpResponse create_department(Context&, const HttpRequest&);
HttpResponse update_department(Context&, const HttpRequest&);
HttpResponse list_outbox(Context&, const HttpRequest&);
HttpResponse retry_outbox(Context&, const HttpRequest&);
HttpResponse list_webhooks(Context&, const HttpRequest&);
HttpResponse create_webhook(Context&, const HttpRequest&);
HttpResponse delete_webhook(Context&, const HttpRequest&);
HttpResponse my_calendar(Context&, const HttpRequest&);
HttpResponse rotate_calendar(Context&, const HttpRequest&);
HttpResponse calendar_feed(Context&, const HttpRequest&);
HttpResponse list_policies(Context&, const HttpRequest&);
HttpResponse create_policy(Context&, const HttpRequest&);
HttpResponse update_policy(Context&, const HttpRequest&);
HttpResponse get_matrix(Context&, const HttpRequest&);
HttpResponse put_matrix(Context&, const HttpRequest&);
HttpResponse session_options(Context&, const HttpRequest&);

// An audit event as JSON; with `parsed`, before/after/data are JSON values instead of the
// stored text (the text is what the hash covers: `waiver audit export` prints it as stored).
nlohmann::json event_json(const app::AuditEvent& e, bool parsed);

}  // namespace waiver::http
