#include "app/oidc.hpp"

#include <sodium.h>

#include <cmath>
#include <vector>

#include "app/jws.hpp"

namespace waiver::app {
namespace {

constexpr std::int64_t kMetadataSeconds = 24LL * 3600;

Error refused(std::string detail) { return Error::make(Error::Kind::unauthorized, std::move(detail)); }

std::string text_of(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool list_has(const json& object, const char* name, const char* value) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_array()) return false;
  for (const auto& v : *it)
    if (v == value) return true;
  return false;
}

std::optional<std::int64_t> seconds_of(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (std::isfinite(v) && std::abs(v) < 1e15) return static_cast<std::int64_t>(std::floor(v));
  }
  return std::nullopt;
}

std::string sha256(const std::string& text) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return digest;
}

bool equal_text(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? '?' : '&') + query;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + form_escape(k) + "=" + form_escape(v);
  return out;
}

// The provider's reason in an OAuth error answer, if it gave one.
std::string oauth_error(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  std::string out = text_of(j, "error");
  if (const std::string d = text_of(j, "error_description"); !d.empty()) out += ": " + d.substr(0, 200);
  return out;
}

// The checks of OpenID Connect Core 3.1.3.7 after the signature.
Outcome<void> check_claims(const OidcConfig& c, const json& claims, domain::Instant now,
                           const std::string& nonce) {
  if (text_of(claims, "iss") != c.issuer)
    return tl::unexpected(refused("the ID token comes from another issuer"));
  const auto& aud = claims.contains("aud") ? claims.at("aud") : json();
  bool ours = false;
  std::size_t audiences = 0;
  if (aud.is_string()) {
    ours = aud == c.client_id;
    audiences = 1;
  } else if (aud.is_array()) {
    audiences = aud.size();
    for (const auto& a : aud) ours = ours || a == c.client_id;
  }
  if (!ours) return tl::unexpected(refused("the ID token is meant for another client (aud)"));
  if (claims.contains("azp") ? text_of(claims, "azp") != c.client_id : audiences > 1)
    return tl::unexpected(refused("the ID token was issued to another party (azp)"));
  const auto exp = seconds_of(claims, "exp");
  if (!exp || now.seconds >= *exp + c.leeway_seconds)
    return tl::unexpected(refused("the ID token has expired"));
  const auto iat = seconds_of(claims, "iat");
  if (!iat || *iat > now.seconds + c.leeway_seconds || *iat < now.seconds - c.max_token_age_seconds)
    return tl::unexpected(refused("the ID token's issue time (iat) is not plausible"));
  if (claims.contains("nbf")) {
    const auto nbf = seconds_of(claims, "nbf");
    if (!nbf || *nbf > now.seconds + c.leeway_seconds)
      return tl::unexpected(refused("the ID token is not valid yet (nbf)"));
  }
  if (nonce.empty() || !equal_text(text_of(claims, "nonce"), nonce))
    return tl::unexpected(refused("the ID token's nonce does not match this sign-in"));
  if (text_of(claims, "sub").empty()) return tl::unexpected(refused("the ID token names no subject (sub)"));
  return {};
}

}  // namespace

std::string pkce_challenge(const std::string& code_verifier) {
  return base64url_encode(sha256(code_verifier));
}

std::string random_url_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return base64url_encode(raw);
}

std::string form_escape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
        ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

OidcClient::OidcClient(OidcConfig config, WebClient& web) : config_(std::move(config)), web_(web) {}

Outcome<json> OidcClient::fetch_json(const std::string& url, const char* what) {
  auto r = web_.send({"GET", url, {{"Accept", "application/json"}}, ""});
  if (r.status == 0)
    return tl::unexpected(refused(std::string("the provider's ") + what + " cannot be reached: " + r.error));
  if (r.status != 200)
    return tl::unexpected(
        refused(std::string("the provider's ") + what + " answered " + std::to_string(r.status)));
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object())
    return tl::unexpected(refused(std::string("the provider's ") + what + " is not a JSON object"));
  return j;
}

Outcome<ProviderMetadata> OidcClient::metadata(domain::Instant now) {
  {
    std::lock_guard lock(mutex_);
    if (metadata_ && now.seconds - metadata_at_.seconds < kMetadataSeconds) return *metadata_;
  }
  std::string base = config_.issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto doc = fetch_json(base + "/.well-known/openid-configuration", "discovery document");
  auto unavailable = [](std::string detail) {
    return tl::unexpected(Error::make(Error::Kind::unavailable, "single sign-on: " + std::move(detail)));
  };
  if (!doc) return unavailable(doc.error().detail);
  ProviderMetadata m{text_of(*doc, "issuer"), text_of(*doc, "authorization_endpoint"),
                     text_of(*doc, "token_endpoint"), text_of(*doc, "jwks_uri"),
                     text_of(*doc, "userinfo_endpoint")};
  if (m.issuer != config_.issuer)
    return unavailable("the discovery document names the issuer '" + m.issuer + "', not '" + config_.issuer +
                       "'");
  if (m.authorization_endpoint.empty() || m.token_endpoint.empty() || m.jwks_uri.empty())
    return unavailable("the discovery document lacks an endpoint");
  if (doc->contains("code_challenge_methods_supported") &&
      !list_has(*doc, "code_challenge_methods_supported", "S256"))
    return unavailable("the provider does not take PKCE with S256");
  if (doc->contains("token_endpoint_auth_methods_supported") &&
      !list_has(*doc, "token_endpoint_auth_methods_supported", "client_secret_basic")) {
    if (!list_has(*doc, "token_endpoint_auth_methods_supported", "client_secret_post"))
      return unavailable("the provider takes neither client_secret_basic nor client_secret_post");
    m.secret_in_body = true;
  }
  std::lock_guard lock(mutex_);
  metadata_ = m;
  metadata_at_ = now;
  return m;
}

Outcome<std::string> OidcClient::authorize_url(domain::Instant now, const std::string& state,
                                               const std::string& nonce, const std::string& code_challenge) {
  auto m = metadata(now);
  if (!m) return tl::unexpected(m.error());
  return with_query(m->authorization_endpoint, form({{"response_type", "code"},
                                                     {"client_id", config_.client_id},
                                                     {"redirect_uri", config_.redirect_url},
                                                     {"scope", "openid email profile"},
                                                     {"state", state},
                                                     {"nonce", nonce},
                                                     {"code_challenge", code_challenge},
                                                     {"code_challenge_method", "S256"}}));
}

Outcome<ProviderTokens> OidcClient::exchange_code(domain::Instant now, const std::string& code,
                                                  const std::string& code_verifier) {
  auto m = metadata(now);
  if (!m) return tl::unexpected(refused(m.error().detail));
  std::vector<std::pair<std::string, std::string>> fields{{"grant_type", "authorization_code"},
                                                          {"code", code},
                                                          {"redirect_uri", config_.redirect_url},
                                                          {"code_verifier", code_verifier}};
  WebRequest req{"POST",
                 m->token_endpoint,
                 {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
                 ""};
  if (m->secret_in_body || config_.client_secret.empty()) {
    fields.emplace_back("client_id", config_.client_id);
    if (!config_.client_secret.empty()) fields.emplace_back("client_secret", config_.client_secret);
  } else {  // RFC 6749 2.3.1: each part form-encoded, then Basic
    req.headers.emplace_back(
        "Authorization", "Basic " + [&] {
          const std::string pair = form_escape(config_.client_id) + ":" + form_escape(config_.client_secret);
          std::string b64(sodium_base64_ENCODED_LEN(pair.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
          sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(pair.data()),
                            pair.size(), sodium_base64_VARIANT_ORIGINAL);
          b64.resize(b64.size() - 1);
          return b64;
        }());
  }
  req.body = form(fields);
  auto r = web_.send(req);
  if (r.status == 0)
    return tl::unexpected(refused("the provider's token endpoint cannot be reached: " + r.error));
  if (r.status != 200) {
    const std::string why = oauth_error(r.body);
    return tl::unexpected(refused("the provider refused the code (" +
                                  (why.empty() ? "status " + std::to_string(r.status) : why) + ")"));
  }
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || text_of(j, "id_token").empty())
    return tl::unexpected(refused("the provider's token answer holds no ID token"));
  return ProviderTokens{text_of(j, "id_token"), text_of(j, "access_token")};
}

Outcome<json> OidcClient::keys(bool refresh, bool& fetched) {
  fetched = false;
  std::string uri;
  {
    std::lock_guard lock(mutex_);
    if (!refresh && !jwks_.is_null()) return jwks_;
    if (!metadata_) return tl::unexpected(refused("the provider's metadata is unknown"));
    uri = metadata_->jwks_uri;
  }
  auto j = fetch_json(uri, "key set (JWKS)");
  if (!j) return j;
  if (!j->contains("keys") || !j->at("keys").is_array())
    return tl::unexpected(refused("the provider's key set (JWKS) has no keys"));
  std::lock_guard lock(mutex_);
  jwks_ = *j;
  fetched = true;
  return jwks_;
}

Outcome<json> OidcClient::verify_id_token(domain::Instant now, const std::string& id_token,
                                          const std::string& nonce, const std::string& access_token) {
  auto jws = parse_jws(id_token);
  if (!jws) return tl::unexpected(refused("the ID token cannot be read: " + jws.error()));
  const std::string alg = text_of(jws->header, "alg");
  if (!supported_algorithm(alg))
    return tl::unexpected(refused("the ID token's signing algorithm '" + alg + "' is not accepted"));
  if (jws->header.contains("crit"))
    return tl::unexpected(refused("the ID token names critical extensions (crit) this server does not know"));
  if (auto m = metadata(now); !m) return tl::unexpected(refused(m.error().detail));
  json key;
  auto found = KeyLookup::unknown_kid;
  for (bool refresh : {false, true}) {  // a key id not seen yet: the provider may have new keys
    bool fetched = false;
    auto set = keys(refresh, fetched);
    if (!set) return tl::unexpected(set.error());
    found = find_key(*set, *jws, key);
    if (found != KeyLookup::unknown_kid || fetched) break;
  }
  if (found != KeyLookup::found)
    return tl::unexpected(refused("no key of the provider may verify the ID token"));
  if (auto ok = verify_signature(*jws, key); !ok)
    return tl::unexpected(refused("the ID token: " + ok.error()));
  if (auto ok = check_claims(config_, jws->payload, now, nonce); !ok) return tl::unexpected(ok.error());
  if (jws->payload.contains("at_hash") && !access_token.empty()) {
    const std::string digest = sha256(access_token);  // RS256 and ES256 both hash with SHA-256
    if (text_of(jws->payload, "at_hash") != base64url_encode(digest.substr(0, digest.size() / 2)))
      return tl::unexpected(refused("the ID token does not belong to the access token (at_hash)"));
  }
  return jws->payload;
}

Outcome<json> OidcClient::userinfo(domain::Instant now, const std::string& access_token,
                                   const std::string& subject) {
  auto m = metadata(now);
  if (!m) return tl::unexpected(refused(m.error().detail));
  if (m->userinfo_endpoint.empty()) return tl::unexpected(refused("the provider has no userinfo endpoint"));
  auto r = web_.send({"GET",
                      m->userinfo_endpoint,
                      {{"Accept", "application/json"}, {"Authorization", "Bearer " + access_token}},
                      ""});
  if (r.status != 200)
    return tl::unexpected(refused("the provider's userinfo endpoint answered " +
                                  (r.status == 0 ? r.error : std::to_string(r.status))));
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return tl::unexpected(refused("the provider's userinfo is not a JSON object"));
  if (text_of(j, "sub") != subject)
    return tl::unexpected(refused("the provider's userinfo names another subject"));
  return j;
}

}  // namespace waiver::app
