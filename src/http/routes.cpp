#include "http/routes.hpp"

#include <array>

#include "http/handlers.hpp"

namespace waiver::http {
namespace {

// Fixed paths come before patterns that would also match them (/exceptions/export).
constexpr std::array kRoutes{
    Route{"GET", "/health", "/health", health},
    Route{"GET", "/ready", "/ready", ready},
    Route{"GET", "/metrics", "/metrics", metrics},
    Route{"GET", "/openapi.json", "/openapi.json", openapi},
    Route{"GET", "/me", "/me", me},
    Route{"GET", "/oidc/login", "/oidc/login", oidc_login},
    Route{"GET", "/oidc/callback", "/oidc/callback", oidc_callback},
    Route{"GET", "/exceptions", "/exceptions", list_exceptions},
    Route{"POST", "/exceptions", "/exceptions", create_exception},
    Route{"GET", "/exceptions/export", "/exceptions/export", export_exceptions},
    Route{"GET", "/exceptions/:id", "/exceptions/{id}", get_exception},
    Route{"PATCH", "/exceptions/:id", "/exceptions/{id}", edit_exception},
    Route{"POST", "/exceptions/:id/submit", "/exceptions/{id}/submit", submit_exception},
    Route{"POST", "/exceptions/:id/approvals/:slot", "/exceptions/{id}/approvals/{slot}", decide_slot},
    Route{"POST", "/exceptions/:id/invitations", "/exceptions/{id}/invitations", invite_expert},
    Route{"POST", "/exceptions/:id/inputs", "/exceptions/{id}/inputs", add_input},
    Route{"POST", "/exceptions/:id/withdraw", "/exceptions/{id}/withdraw", withdraw_exception},
    Route{"POST", "/exceptions/:id/appeal", "/exceptions/{id}/appeal", appeal_exception},
    Route{"POST", "/exceptions/:id/legal-opinion", "/exceptions/{id}/legal-opinion", legal_opinion},
    Route{"POST", "/exceptions/:id/disposition", "/exceptions/{id}/disposition", disposition},
    Route{"POST", "/exceptions/:id/extensions", "/exceptions/{id}/extensions", extend_exception},
    Route{"POST", "/exceptions/:id/reviews", "/exceptions/{id}/reviews", review_exception},
    Route{"POST", "/exceptions/:id/close", "/exceptions/{id}/close", close_exception},
    Route{"POST", "/exceptions/:id/revoke", "/exceptions/{id}/revoke", revoke_exception},
    Route{"GET", "/exceptions/:id/events", "/exceptions/{id}/events", exception_events},
    Route{"POST", "/matrix/preview", "/matrix/preview", matrix_preview},
    Route{"GET", "/matrix", "/matrix", get_matrix},
    Route{"PUT", "/matrix", "/matrix", put_matrix},
    Route{"GET", "/policies", "/policies", list_policies},
    Route{"POST", "/policies", "/policies", create_policy},
    Route{"PATCH", "/policies/:id", "/policies/{id}", update_policy},
    Route{"GET", "/audit/verify", "/audit/verify", audit_verify},
    Route{"GET", "/audit/checkpoints", "/audit/checkpoints", audit_checkpoints},
    Route{"GET", "/session/options", "/session/options", session_options},
    Route{"POST", "/session", "/session", sign_in},
    Route{"GET", "/session", "/session", current_session},
    Route{"DELETE", "/session", "/session", sign_out},
    Route{"GET", "/tokens", "/tokens", list_tokens},
    Route{"POST", "/tokens", "/tokens", create_token},
    Route{"PATCH", "/tokens/:id", "/tokens/{id}", change_token},
    Route{"DELETE", "/tokens/:id", "/tokens/{id}", revoke_token},
    Route{"GET", "/users", "/users", list_users},
    Route{"POST", "/users", "/users", create_user},
    Route{"GET", "/users/:email", "/users/{email}", get_user},
    Route{"PATCH", "/users/:email", "/users/{email}", update_user},
    Route{"PUT", "/users/:email/password", "/users/{email}/password", reset_password},
    Route{"GET", "/departments", "/departments", list_departments},
    Route{"POST", "/departments", "/departments", create_department},
    Route{"PATCH", "/departments/:name", "/departments/{name}", update_department},
    Route{"GET", "/outbox", "/outbox", list_outbox},
    Route{"POST", "/outbox/:id/retry", "/outbox/{id}/retry", retry_outbox},
    Route{"GET", "/webhooks", "/webhooks", list_webhooks},
    Route{"POST", "/webhooks", "/webhooks", create_webhook},
    Route{"DELETE", "/webhooks/:id", "/webhooks/{id}", delete_webhook},
    Route{"GET", "/me/calendar", "/me/calendar", my_calendar},
    Route{"POST", "/me/calendar", "/me/calendar", rotate_calendar},
    Route{"GET", "/calendar/:feed", "/calendar/{feed}", calendar_feed},
};

}  // namespace

std::span<const Route> routes() { return kRoutes; }

}  // namespace waiver::http
