#include "app/oidc_sign_in.hpp"

#include <algorithm>
#include <regex>

#include "app/secrets.hpp"

namespace waiver::app {
namespace {

constexpr std::int64_t kStateSeconds = 600;  // from the redirect to the callback
constexpr std::size_t kMaxName = 200;

std::string text_of(const json& object, const std::string& name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool looks_like_email(const std::string& s) {
  static const std::regex pattern(R"(^[^@\s]+@[^@\s]+$)");
  return s.size() <= 254 && std::regex_match(s, pattern);
}

// At most `max` bytes, not cutting a UTF-8 sequence.
std::string clip(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

std::string display_name(const json& claims, const std::string& email) {
  std::string name = text_of(claims, "name");
  if (name.find_first_not_of(" \t") == std::string::npos) {
    name = text_of(claims, "given_name");
    const std::string family = text_of(claims, "family_name");
    if (!family.empty()) name += (name.empty() ? "" : " ") + family;
  }
  if (name.find_first_not_of(" \t") == std::string::npos) name = email.substr(0, email.find('@'));
  return clip(name, kMaxName);
}

json role_names(const std::set<domain::Role>& roles) {
  json out = json::array();
  for (auto r : roles) out.push_back(std::string(domain::to_string(r)));
  return out;
}

// The roles the claim grants: its values (a string or a list of strings) through the map.
std::set<domain::Role> claimed_roles(const OidcUserPolicy& p, const json& claims) {
  std::vector<std::string> values;
  if (auto it = claims.find(p.roles_claim); it != claims.end()) {
    if (it->is_string()) values.push_back(it->get<std::string>());
    if (it->is_array())
      for (const auto& v : *it)
        if (v.is_string()) values.push_back(v.get<std::string>());
  }
  std::set<domain::Role> out;
  for (const auto& v : values) {
    std::string name = v;
    if (!p.role_map.empty()) {
      auto m = p.role_map.find(v);
      if (m == p.role_map.end()) continue;
      name = m->second;
    }
    if (auto r = domain::from_string<domain::Role>(name)) out.insert(*r);
  }
  return out;
}

bool verified(const json& claims) {
  auto it = claims.find("email_verified");
  if (it == claims.end()) return true;  // the provider does not say: its email is the account's
  return *it == true || *it == "true";
}

AuditRecord event(Instant at, const std::string& actor, const std::string& action, const std::string& email,
                  const json& data) {
  AuditRecord e;
  e.at = at;
  e.actor = actor;
  e.action = action;
  e.entity_type = "user";
  e.entity_id = email;
  e.data = data.dump();
  return e;
}

}  // namespace

bool is_local_path(const std::string& path) {
  if (path.empty() || path.size() > 2000 || path[0] != '/') return false;
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
  return std::all_of(path.begin(), path.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

Outcome<OidcStart> begin_oidc_sign_in(Services& s, OidcClient& client, const std::string& return_to) {
  if (!is_local_path(return_to))
    return fail(Error{Error::Kind::invalid,
                      "return_to must be a path on this server",
                      {{"return_to", "must be a local path starting with a single '/'"}}});
  const Instant now = s.clock.now();
  const std::string state = random_hex(32);
  const std::string nonce = random_url_token(32);
  const std::string verifier = random_url_token(32);
  auto url = client.authorize_url(now, state, nonce, pkce_challenge(verifier));
  if (!url) return fail(url.error());
  auto uow = s.store.begin_write();
  uow->put_oidc_state({sha256_hex(state), nonce, verifier, return_to, now});
  uow->commit();
  return OidcStart{*url, state};
}

Outcome<OidcSignedIn> finish_oidc_sign_in(Services& s, OidcClient& client, const OidcUserPolicy& policy,
                                          const OidcCallback& cb) {
  const Instant now = s.clock.now();
  if (cb.state.empty() || cb.state.size() > 256)
    return fail(Error::Kind::unauthorized, "the callback carries no sign-in state");
  std::optional<OidcState> taken;
  {
    auto uow = s.store.begin_write();
    taken = uow->take_oidc_state(sha256_hex(cb.state));
    uow->commit();  // used now, whatever follows: a callback cannot be replayed
  }
  if (!taken) return fail(Error::Kind::unauthorized, "this sign-in is unknown, expired or already used");

  // Refusals from here on are audit events: a real sign-in through the provider failed.
  std::string email;
  auto refuse = [&](const std::string& reason) -> tl::unexpected<Error> {
    auto uow = s.store.begin_write();
    uow->append(event(now, email.empty() ? "anonymous" : email, "sign_in_failed", email,
                      {{"method", "oidc"}, {"reason", reason}, {"address", cb.address}}));
    uow->commit();
    return fail(Error::Kind::unauthorized, "single sign-on refused: " + reason);
  };
  if (now.seconds - taken->created_at.seconds > kStateSeconds) return refuse("the sign-in took too long");
  if (!cb.issuer.empty() && cb.issuer != client.config().issuer)
    return refuse("the answer comes from another issuer (iss)");  // a mix-up between providers
  if (!cb.error.empty()) return refuse("the provider answered " + clip(cb.error, 100));
  if (cb.code.empty()) return refuse("the callback carries no code");

  auto tokens = client.exchange_code(now, cb.code, taken->code_verifier);
  if (!tokens) return refuse(tokens.error().detail);
  auto claims = client.verify_id_token(now, tokens->id_token, taken->nonce, tokens->access_token);
  if (!claims) return refuse(claims.error().detail);
  // With the code flow, providers may keep email and groups for the userinfo endpoint.
  const bool lacking =
      !claims->contains("email") || (!policy.roles_claim.empty() && !claims->contains(policy.roles_claim));
  if (auto m = client.metadata(now);
      lacking && m && !m->userinfo_endpoint.empty() && !tokens->access_token.empty()) {
    auto info = client.userinfo(now, tokens->access_token, text_of(*claims, "sub"));
    if (!info) return refuse(info.error().detail);
    for (const auto& [k, v] : info->items())
      if (!claims->contains(k)) (*claims)[k] = v;
  }

  const std::string claimed = text_of(*claims, "email");
  if (!looks_like_email(claimed)) return refuse("the provider gives no email address");
  email = lower(claimed);
  if (!verified(*claims)) return refuse("the provider has not verified the email address");

  {
    auto uow = s.store.begin_write();
    auto user = uow->user(email);
    if (!user && claimed != email) {  // stored with capitals, as the provider writes it
      user = uow->user(claimed);
      if (user) email = claimed;
    }
    if (user && uow->is_disabled(email)) {
      uow.reset();
      return refuse("this account is disabled");
    }
    if (!user && !policy.create_users) {
      uow.reset();
      return refuse("no user has this email address");
    }
    const json who{{"method", "oidc"}, {"issuer", client.config().issuer}, {"sub", text_of(*claims, "sub")}};
    if (!user) {
      domain::User created{email, display_name(*claims, email), "", {}};
      if (!policy.default_department.empty() && uow->department(policy.default_department))
        created.department = policy.default_department;
      if (!policy.roles_claim.empty()) created.roles = claimed_roles(policy, *claims);
      uow->save_user(created);
      json data = who;
      data["user"] = {{"email", created.email},
                      {"name", created.name},
                      {"department", created.department.empty() ? json(nullptr) : json(created.department)},
                      {"roles", role_names(created.roles)}};
      uow->append(event(now, "system", "user_create", email, data));
    } else if (!policy.roles_claim.empty()) {
      const auto roles = claimed_roles(policy, *claims);
      if (roles != user->roles) {
        json data = who;
        data["before"] = role_names(user->roles);
        data["after"] = role_names(roles);
        user->roles = roles;
        uow->save_user(*user);
        uow->append(event(now, "system", "role_change", email, data));
      }
    }
    uow->commit();
  }
  auto session = start_session(s, email, "oidc", cb.address, cb.previous_cookie);
  if (!session) return refuse(session.error().detail);
  return OidcSignedIn{*session, taken->return_to};
}

}  // namespace waiver::app
