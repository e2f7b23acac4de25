#include "cli/oidc_config.hpp"

#include "cli/environment.hpp"

#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "domain/vocabulary.hpp"

namespace waiver::cli {
namespace {

std::string text(const std::string& where, const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  throw std::runtime_error(where + " must be text");
}

// The host of an http(s) URL, without brackets or port.
std::string host_of(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return "";
  std::string rest = url.substr(start + 3, url.find_first_of("/?#", start + 3) - start - 3);
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (rest.starts_with("[")) return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

bool loopback(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1";
}

}  // namespace

bool read_oidc_setting(OidcSetup& o, const std::string& file, const std::string& key,
                       const nlohmann::json& v) {
  const std::string where = file + ": " + key;
  if (key == "oidc_issuer")
    o.issuer = text(where, v);
  else if (key == "oidc_client_id")
    o.client_id = text(where, v);
  else if (key == "oidc_client_secret")
    o.client_secret = text(where, v);
  else if (key == "oidc_redirect_url")
    o.redirect_url = text(where, v);
  else if (key == "oidc_default_department")
    o.default_department = text(where, v);
  else if (key == "oidc_roles_claim")
    o.roles_claim = text(where, v);
  else if (key == "oidc_create_users") {
    if (!v.is_boolean()) throw std::runtime_error(where + " must be true or false");
    o.create_users = v.get<bool>();
  } else if (key == "oidc_role_map") {
    if (v.is_null()) return true;
    if (!v.is_object()) throw std::runtime_error(where + " must be a mapping of claim values to roles");
    o.role_map.clear();
    for (const auto& [claim, role] : v.items()) o.role_map[claim] = text(where + "." + claim, role);
  } else {
    return false;
  }
  return true;
}

void finish_oidc_setup(OidcSetup& o) {
  if (auto v = env("WAIVER_OIDC_ISSUER")) o.issuer = *v;
  if (auto v = env("WAIVER_OIDC_CLIENT_ID")) o.client_id = *v;
  if (auto v = env("WAIVER_OIDC_CLIENT_SECRET")) o.client_secret = *v;
  if (auto v = env("WAIVER_OIDC_REDIRECT_URL")) o.redirect_url = *v;
  for (const auto& [claim, role] : o.role_map)
    if (!domain::from_string<domain::Role>(role))
      throw std::runtime_error("oidc_role_map." + claim + ": '" + role +
                               "' is not a role (one of: " + domain::allowed_values<domain::Role>() + ")");
  if (o.issuer.empty()) return;
  if (!(o.issuer.starts_with("https://") || (o.issuer.starts_with("http://") && loopback(host_of(o.issuer)))))
    throw std::runtime_error("WAIVER_OIDC_ISSUER must be an https:// URL (http:// only on loopback), not '" +
                             o.issuer + "'");
  if (o.client_id.empty())
    throw std::runtime_error("WAIVER_OIDC_CLIENT_ID is required with WAIVER_OIDC_ISSUER");
  if (!o.redirect_url.empty() && !o.redirect_url.starts_with("https://") &&
      !o.redirect_url.starts_with("http://"))
    throw std::runtime_error("WAIVER_OIDC_REDIRECT_URL must be an http(s) URL, not '" + o.redirect_url + "'");
}

http::OidcSettings oidc_settings(const OidcSetup& o, const std::string& base_url, const std::string& listen) {
  if (o.issuer.empty()) return {};
  std::string redirect = o.redirect_url;
  if (redirect.empty()) {
    std::string base = base_url.empty() ? "http://" + listen : base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    redirect = base + "/api/v1/oidc/callback";
  }
  return {o.issuer,       o.client_id,          o.client_secret, redirect,
          o.create_users, o.default_department, o.roles_claim,   o.role_map};
}

}  // namespace waiver::cli
