// Single sign-on, the two steps: send the browser to the provider, then take it back with a code,
// check the ID token, match (or create) the user by email, apply roles from a claim and start a
// session. Sign-ins and refusals are audit events.
#pragma once
#include <map>
#include <string>

#include "app/error.hpp"
#include "app/identity.hpp"
#include "app/oidc.hpp"
#include "app/services.hpp"

namespace waiver::app {

struct OidcUserPolicy {
  bool create_users = false;                    // unknown emails become users on first sign-in
  std::string default_department;               // for created users (when it exists)
  std::string roles_claim;                      // empty: roles are left as they are
  std::map<std::string, std::string> role_map;  // claim value -> role name; empty: values are role names
};

// A path on this server: one leading '/', not '//' or '/\', printable, at most 2,000 characters.
bool is_local_path(const std::string& path);

struct OidcStart {
  std::string redirect_url;  // the provider's authorization URL
  std::string state;         // also bound to the browser by the caller (a cookie)
};

// Records the state, nonce and PKCE verifier, and gives the authorization URL. `return_to` must
// be a local path (422 otherwise); discovery failures are `unavailable`.
Outcome<OidcStart> begin_oidc_sign_in(Services& s, OidcClient& client, const std::string& return_to);

struct OidcCallback {
  std::string state;
  std::string code;
  std::string error;   // the provider's error parameter, if any
  std::string issuer;  // the provider's iss parameter (RFC 9207), if any
  std::string address;
  std::string previous_cookie;
};

struct OidcSignedIn {
  SignedIn session;
  std::string return_to;
};

// Takes the state (used once), exchanges the code, checks the ID token and starts a session.
// Every failure is `unauthorized`; nothing is created on a failure.
Outcome<OidcSignedIn> finish_oidc_sign_in(Services& s, OidcClient& client, const OidcUserPolicy& policy,
                                          const OidcCallback& callback);

}  // namespace waiver::app
