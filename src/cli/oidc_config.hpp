// The single sign-on settings of the configuration: oidc_* keys of waiver.yaml, and the
// WAIVER_OIDC_* environment variables, which win. Off while the issuer is empty.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "http/routes.hpp"

namespace waiver::cli {

struct OidcSetup {
  std::string issuer;                           // oidc_issuer, WAIVER_OIDC_ISSUER
  std::string client_id;                        // oidc_client_id, WAIVER_OIDC_CLIENT_ID
  std::string client_secret;                    // oidc_client_secret, WAIVER_OIDC_CLIENT_SECRET
  std::string redirect_url;                     // oidc_redirect_url, WAIVER_OIDC_REDIRECT_URL
  bool create_users = false;                    // oidc_create_users
  std::string default_department;               // oidc_default_department
  std::string roles_claim;                      // oidc_roles_claim
  std::map<std::string, std::string> role_map;  // oidc_role_map: claim value -> role
};

// Takes one key of the configuration file if it is an oidc_* key (false otherwise). Throws
// std::runtime_error naming the file and key when the value is wrong.
bool read_oidc_setting(OidcSetup& o, const std::string& file, const std::string& key,
                       const nlohmann::json& value);

// The environment over the file, then the checks: a client id with an issuer, an https issuer
// (http only on loopback), role names that exist. Throws std::runtime_error.
void finish_oidc_setup(OidcSetup& o);

// What the HTTP layer needs. The callback defaults to <base_url>/api/v1/oidc/callback, else
// http://<listen>/api/v1/oidc/callback.
http::OidcSettings oidc_settings(const OidcSetup& o, const std::string& base_url, const std::string& listen);

}  // namespace waiver::cli
