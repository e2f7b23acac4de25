// OpenID Connect, the relying party's side of the authorization code flow with PKCE: discovery,
// the provider's keys (JWKS, cached, fetched again for an unknown key id), the authorization
// URL, the code exchange, the ID token's checks and the userinfo endpoint.
#pragma once
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/error.hpp"
#include "app/web_client.hpp"
#include "domain/time.hpp"

namespace waiver::app {

using nlohmann::json;

struct OidcConfig {
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string redirect_url;
  std::int64_t leeway_seconds = 60;           // clock skew allowed for exp, iat and nbf
  std::int64_t max_token_age_seconds = 3600;  // an older iat is refused
};

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;  // may be empty
  bool secret_in_body = false;    // client_secret_post, when the provider does not take Basic
};

struct ProviderTokens {
  std::string id_token;
  std::string access_token;  // may be empty
};

// PKCE (RFC 7636): the S256 challenge of a code verifier.
std::string pkce_challenge(const std::string& code_verifier);
// `bytes` random bytes, base64url: a code verifier takes 32 (43 characters).
std::string random_url_token(std::size_t bytes);
// application/x-www-form-urlencoded, every byte but the unreserved ones escaped.
std::string form_escape(const std::string& text);

// One configured provider. Safe to share between threads; the network is never used while the
// cache is locked. Every failure is an `unauthorized` error, but discovery's, which is
// `unavailable` (the provider cannot be reached or answers nonsense).
class OidcClient {
 public:
  OidcClient(OidcConfig config, WebClient& web);

  const OidcConfig& config() const { return config_; }

  // Discovery ({issuer}/.well-known/openid-configuration), kept for a day.
  Outcome<ProviderMetadata> metadata(domain::Instant now);

  Outcome<std::string> authorize_url(domain::Instant now, const std::string& state, const std::string& nonce,
                                     const std::string& code_challenge);

  Outcome<ProviderTokens> exchange_code(domain::Instant now, const std::string& code,
                                        const std::string& code_verifier);

  // The claims of a valid ID token: signature by a key of the provider (RS256 or ES256), iss, aud
  // (and azp), exp, iat, nbf, nonce and, when given an access token and the token has one, at_hash.
  Outcome<json> verify_id_token(domain::Instant now, const std::string& id_token, const std::string& nonce,
                                const std::string& access_token = "");

  // The userinfo endpoint's claims for `subject` (refused when they name another subject).
  Outcome<json> userinfo(domain::Instant now, const std::string& access_token, const std::string& subject);

 private:
  Outcome<json> fetch_json(const std::string& url, const char* what);
  Outcome<json> keys(bool refresh, bool& fetched);  // the cached set, or a new one

  OidcConfig config_;
  WebClient& web_;
  std::mutex mutex_;
  std::optional<ProviderMetadata> metadata_;
  domain::Instant metadata_at_;
  json jwks_;  // null until fetched
};

}  // namespace waiver::app
