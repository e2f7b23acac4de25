// Who is calling: sign-in with a password, browser sessions, API tokens, and the
// administration of users and departments.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "app/error.hpp"
#include "app/ports.hpp"
#include "app/secrets.hpp"
#include "app/services.hpp"

namespace waiver::app {

// A caller and how they proved it.
struct Caller {
  domain::Actor actor;
  std::string via;                    // token | session
  std::string csrf_token;             // for a session: what cookie-authenticated writes must send back
  std::optional<Instant> expires_at;  // for a session: its absolute end
};

Outcome<Caller> caller_for_session(Services& s, const std::string& cookie_value);

struct SignedIn {
  std::string cookie_value;  // given to the browser once; only its hash is stored
  std::string csrf_token;
  Instant expires_at;  // the absolute limit
  domain::Actor actor;
};

// Same answer and about the same time for an unknown email and a wrong password; throttled per
// account and per address (429 with retry_after_seconds). `previous_cookie` is ended (rotation).
Outcome<SignedIn> sign_in_with_password(Services& s, const std::string& email, const std::string& password,
                                        const std::string& address, const std::string& previous_cookie);

// Starts a session for a user whose identity was proven elsewhere (single sign-on).
Outcome<SignedIn> start_session(Services& s, const std::string& email, const std::string& method,
                                const std::string& address, const std::string& previous_cookie);

Outcome<void> sign_out(Services& s, const std::string& cookie_value);

// Prepares what sign-in needs, so that the first sign-in takes no longer than the others.
void prepare_sign_in();

// API tokens: for oneself, and for anyone by admins.
struct NewToken {
  ApiTokenInfo info;
  std::string secret;  // shown once
};
Outcome<std::vector<ApiTokenInfo>> list_tokens(Services& s, const domain::Actor& a, const std::string& user);
Outcome<NewToken> issue_token(Services& s, const domain::Actor& a, const json& body);
Outcome<ApiTokenInfo> change_token(Services& s, const domain::Actor& a, Id id, const json& body);
Outcome<ApiTokenInfo> revoke_token(Services& s, const domain::Actor& a, Id id);

// Users and departments (admins).
Outcome<std::vector<json>> list_users(Services& s, const domain::Actor& a);
Outcome<json> get_user(Services& s, const domain::Actor& a, const std::string& email);
Outcome<json> create_user(Services& s, const domain::Actor& a, const json& body);
Outcome<json> update_user(Services& s, const domain::Actor& a, const std::string& email, const json& body);
Outcome<void> reset_password(Services& s, const domain::Actor& a, const std::string& email, const json& body);
Outcome<std::vector<json>> list_departments(Services& s, const domain::Actor& a);
Outcome<json> save_department(Services& s, const domain::Actor& a, const std::string& name, const json& body,
                              bool create);

}  // namespace waiver::app
