#include "app/identity.hpp"

#include <sodium.h>

#include <algorithm>
#include <regex>

#include "app/request_json.hpp"
#include "domain/validation.hpp"

namespace waiver::app {
namespace {

using domain::Actor;
using domain::Role;

AuditRecord access_event(const std::string& actor, const std::string& action, const std::string& entity_type,
                         const std::string& entity_id, Instant at, json data) {
  AuditRecord e;
  e.at = at;
  e.actor = actor;
  e.action = action;
  e.entity_type = entity_type;
  e.entity_id = entity_id;
  if (!data.is_null()) e.data = data.dump();
  return e;
}

// A hash to verify against when the account is unknown, so both answers take the same time.
const std::string& dummy_hash() {
  static const std::string kHash = [] {
    char out[crypto_pwhash_STRBYTES];
    const std::string pw = random_hex(16);
    if (crypto_pwhash_str(out, pw.c_str(), pw.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
      return std::string();
    return std::string(out);
  }();
  return kHash;
}

json user_json(const domain::User& u, bool disabled) {
  json roles = json::array();
  for (auto r : u.roles) roles.push_back(std::string(domain::to_string(r)));
  return {{"email", u.email},
          {"name", u.name},
          {"department", u.department.empty() ? json(nullptr) : json(u.department)},
          {"roles", roles},
          {"disabled", disabled}};
}

Outcome<void> admin_only(const Actor& a) {
  if (!a.has(Role::admin)) return fail(Error::Kind::forbidden, "only admins manage users and departments");
  return {};
}

bool looks_like_email(const std::string& s) {
  static const std::regex kEmail(R"(^[^@\s]+@[^@\s]+$)");
  return s.size() <= 254 && std::regex_match(s, kEmail);
}

// Reads {name, department, roles, disabled} into `u`; returns the new disabled flag if given.
Outcome<std::optional<bool>> read_user_fields(UnitOfWork& uow, domain::User& u, const json& body,
                                              std::set<std::string> allowed) {
  BodyReader in(body, std::move(allowed));
  if (in.has("email")) u.email = in.text("email");
  if (in.has("name")) u.name = in.text("name");
  if (in.has("department")) u.department = in.text("department");
  std::optional<bool> disabled;
  if (in.has("disabled")) {
    if (!body.at("disabled").is_boolean())
      in.errors().push_back({"disabled", "must be true or false"});
    else
      disabled = body.at("disabled").get<bool>();
  }
  if (in.has("roles")) {
    u.roles.clear();
    auto names = in.strings("roles");
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto r = domain::from_string<Role>(names[i]);
      if (!r)
        in.errors().push_back(
            {"roles." + std::to_string(i), "must be one of: " + domain::allowed_values<Role>()});
      else
        u.roles.insert(*r);
    }
  }
  if (!looks_like_email(u.email)) in.errors().push_back({"email", "is not an email address"});
  if (u.name.find_first_not_of(" \t") == std::string::npos) in.errors().push_back({"name", "is required"});
  domain::check_text(in.errors(), "name", u.name, domain::kMaxShort);
  if (!u.department.empty() && !uow.department(u.department))
    in.errors().push_back({"department", "is not a known department"});
  if (auto r = in.refusal("the user is invalid")) return fail(Error::from(*r));
  return disabled;
}

Outcome<std::optional<Instant>> read_expiry(BodyReader& in, const std::string& key, Instant now) {
  if (!in.has(key) || in.is_null(key)) return std::optional<Instant>{};
  const std::string text = in.text(key);
  auto t = domain::parse_instant(text);
  if (!t) {
    in.errors().push_back({key, "must be an instant like 2027-01-31T00:00:00Z or a date"});
    return std::optional<Instant>{};
  }
  if (*t <= now) in.errors().push_back({key, "must be in the future"});
  return std::optional<Instant>{*t};
}

}  // namespace

Outcome<Caller> caller_for_session(Services& s, const std::string& cookie_value) {
  if (cookie_value.size() != 64)
    return fail(Error::Kind::unauthorized, "the session is unknown or has ended");
  const std::string id = sha256_hex(cookie_value);
  const Instant now = s.clock.now();
  std::optional<Session> session;
  std::optional<Actor> actor;
  {
    auto uow = s.store.begin_read();
    session = uow->session(id);
    if (session && !uow->is_disabled(session->user)) actor = uow->actor(session->user);
  }
  const auto idle = static_cast<std::int64_t>(s.identity.session_idle_minutes) * 60;
  if (!session || !actor || now >= session->expires_at || now.seconds >= session->last_seen_at.seconds + idle)
    return fail(Error::Kind::unauthorized, "the session is unknown or has ended; sign in again");
  if (now.seconds - session->last_seen_at.seconds >= 60) {  // keep idle time with one write a minute
    auto uow = s.store.begin_write();
    uow->touch_session(id, now);
    uow->commit();
  }
  return Caller{*actor, "session", session->csrf_token, session->expires_at};
}

Outcome<SignedIn> start_session(Services& s, const std::string& email, const std::string& method,
                                const std::string& address, const std::string& previous_cookie) {
  const Instant now = s.clock.now();
  auto uow = s.store.begin_write();
  if (uow->is_disabled(email)) return fail(Error::Kind::unauthorized, "this account is disabled");
  auto actor = uow->actor(email);
  if (!actor) return fail(Error::Kind::unauthorized, "no such user");
  if (!previous_cookie.empty()) uow->delete_session(sha256_hex(previous_cookie));  // rotation
  SignedIn out;
  out.cookie_value = random_hex(32);
  out.csrf_token = random_hex(32);
  out.expires_at = Instant{now.seconds + static_cast<std::int64_t>(s.identity.session_absolute_hours) * 3600};
  out.actor = *actor;
  uow->add_session(
      {sha256_hex(out.cookie_value), email, method, out.csrf_token, address, now, now, out.expires_at});
  uow->clear_failures("account:" + email);
  uow->append(access_event(email, "sign_in", "user", email, now, {{"method", method}, {"address", address}}));
  uow->commit();
  return out;
}

Outcome<SignedIn> sign_in_with_password(Services& s, const std::string& email, const std::string& password,
                                        const std::string& address, const std::string& previous_cookie) {
  if (email.empty() || password.empty() || email.size() > 254 || password.size() > 1024)
    return fail(Error{Error::Kind::invalid,
                      "email and password are required",
                      {{email.empty() || email.size() > 254 ? "email" : "password", "is required"}}});
  const Instant now = s.clock.now();
  const Instant since{now.seconds - s.identity.throttle_window_minutes * 60LL};
  const std::string account = "account:" + email, from = "address:" + address;
  std::optional<std::string> hash;
  Id account_attempt = 0, address_attempt = 0;
  {
    // Every attempt counts as a failure until it is proven right, so attempts made in parallel
    // cannot all pass the limit before any of them is recorded.
    auto uow = s.store.begin_write();
    if (uow->failures_since(account, since) >= s.identity.max_failures_per_account ||
        uow->failures_since(from, since) >= s.identity.max_failures_per_address) {
      Error e = Error::make(Error::Kind::too_many_requests, "too many failed sign-ins; wait and try again");
      e.retry_after_seconds = s.identity.throttle_window_minutes * 60;
      return fail(e);
    }
    account_attempt = uow->add_failure(account, now);
    address_attempt = uow->add_failure(from, now);
    hash = uow->password_hash(email);
    uow->commit();
  }
  // Verified outside any transaction: Argon2id takes tens of milliseconds on purpose.
  const std::string& against = hash ? *hash : dummy_hash();
  const bool ok = crypto_pwhash_str_verify(against.c_str(), password.c_str(), password.size()) == 0 && hash;
  if (!ok) {
    auto uow = s.store.begin_write();
    uow->append(access_event(email, "sign_in_failed", "user", email, now, {{"address", address}}));
    uow->commit();
    return fail(Error::Kind::unauthorized, "the email or the password is wrong");
  }
  {
    auto uow = s.store.begin_write();
    uow->remove_failure(account_attempt);
    uow->remove_failure(address_attempt);
    uow->commit();
  }
  return start_session(s, email, "password", address, previous_cookie);
}

void prepare_sign_in() { dummy_hash(); }

Outcome<void> sign_out(Services& s, const std::string& cookie_value) {
  const std::string id = sha256_hex(cookie_value);
  auto uow = s.store.begin_write();
  auto session = uow->session(id);
  if (!session) return {};
  uow->delete_session(id);
  uow->append(access_event(session->user, "sign_out", "user", session->user, s.clock.now(), nullptr));
  uow->commit();
  return {};
}

Outcome<std::vector<ApiTokenInfo>> list_tokens(Services& s, const Actor& a, const std::string& user) {
  if (!a.has(Role::admin) && !user.empty() && user != a.email)
    return fail(Error::Kind::forbidden, "only admins see other people's tokens");
  auto uow = s.store.begin_read();
  return uow->tokens(a.has(Role::admin) ? user : a.email);
}

Outcome<NewToken> issue_token(Services& s, const Actor& a, const json& body) {
  const Instant now = s.clock.now();
  BodyReader in(body, {"name", "expires_at", "user"});
  std::string name = in.text("name");
  std::string user = in.has("user") ? in.text("user") : a.email;
  auto expires = read_expiry(in, "expires_at", now);
  if (name.find_first_not_of(" \t") == std::string::npos) in.errors().push_back({"name", "is required"});
  domain::check_text(in.errors(), "name", name, domain::kMaxShort);
  if (auto r = in.refusal("the token is invalid")) return fail(Error::from(*r));
  if (user != a.email && !a.has(Role::admin))
    return fail(Error::Kind::forbidden, "only admins create tokens for others");
  auto uow = s.store.begin_write();
  if (!uow->user(user))
    return fail(Error{Error::Kind::invalid, "unknown user", {{"user", "is not a known user"}}});
  const std::string secret = "wvr_" + random_hex(32);
  const Id id = uow->add_token(user, name, sha256_hex(secret), now);
  if (*expires) uow->set_token_expiry(id, *expires);
  uow->append(access_event(a.email, "token_create", "token", std::to_string(id), now,
                           {{"user", user}, {"name", name}}));
  auto info = uow->token(id);
  uow->commit();
  return NewToken{*info, secret};
}

namespace {

// The token if the caller may manage it; 404 otherwise (others' tokens are not even named).
Outcome<ApiTokenInfo> manageable_token(UnitOfWork& uow, const Actor& a, Id id) {
  auto t = uow.token(id);
  if (!t || (t->user != a.email && !a.has(Role::admin)))
    return fail(Error::Kind::not_found, "no such token of yours");
  return *t;
}

}  // namespace

Outcome<ApiTokenInfo> change_token(Services& s, const Actor& a, Id id, const json& body) {
  const Instant now = s.clock.now();
  BodyReader in(body, {"expires_at"});
  if (!in.has("expires_at"))
    in.errors().push_back({"expires_at", "is required (an instant, or null for none)"});
  auto expires = read_expiry(in, "expires_at", Instant{now.seconds - 1});
  if (auto r = in.refusal("the change is invalid")) return fail(Error::from(*r));
  auto uow = s.store.begin_write();
  auto t = manageable_token(*uow, a, id);
  if (!t) return fail(t.error());
  if (t->revoked_at) return fail(Error::Kind::conflict, "the token is revoked");
  uow->set_token_expiry(id, *expires);
  uow->append(
      access_event(a.email, "token_expiry", "token", std::to_string(id), now,
                   {{"expires_at", *expires ? json(domain::format_instant(**expires)) : json(nullptr)}}));
  auto info = uow->token(id);
  uow->commit();
  return *info;
}

Outcome<ApiTokenInfo> revoke_token(Services& s, const Actor& a, Id id) {
  const Instant now = s.clock.now();
  auto uow = s.store.begin_write();
  auto t = manageable_token(*uow, a, id);
  if (!t) return fail(t.error());
  if (t->revoked_at) return *t;
  uow->revoke_token(id, now);
  uow->append(access_event(a.email, "token_revoke", "token", std::to_string(id), now, {{"user", t->user}}));
  auto info = uow->token(id);
  uow->commit();
  return *info;
}

Outcome<std::vector<json>> list_users(Services& s, const Actor& a) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  auto uow = s.store.begin_read();
  std::vector<json> out;
  for (const auto& u : uow->organisation().users) out.push_back(user_json(u, uow->is_disabled(u.email)));
  return out;
}

Outcome<json> get_user(Services& s, const Actor& a, const std::string& email) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  auto uow = s.store.begin_read();
  auto u = uow->user(email);
  if (!u) return fail(Error::Kind::not_found, "no user " + email);
  return user_json(*u, uow->is_disabled(email));
}

Outcome<json> create_user(Services& s, const Actor& a, const json& body) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  domain::User u;
  auto disabled = read_user_fields(*uow, u, body, {"email", "name", "department", "roles"});
  if (!disabled) return fail(disabled.error());
  if (uow->user(u.email)) return fail(Error::Kind::conflict, u.email + " already exists");
  uow->save_user(u);
  const json after = user_json(u, false);
  auto e = access_event(a.email, "user_create", "user", u.email, s.clock.now(), nullptr);
  e.after = after.dump();
  uow->append(e);
  uow->commit();
  return after;
}

Outcome<json> update_user(Services& s, const Actor& a, const std::string& email, const json& body) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  auto current = uow->user(email);
  if (!current) return fail(Error::Kind::not_found, "no user " + email);
  domain::User u = *current;
  auto disabled = read_user_fields(*uow, u, body, {"name", "department", "roles", "disabled"});
  if (!disabled) return fail(disabled.error());
  if (email == a.email && ((*disabled && **disabled) || !u.roles.contains(Role::admin)))
    return fail(Error::Kind::conflict, "admins cannot disable themselves or drop their own admin role");
  const bool was_disabled = uow->is_disabled(email);
  const json before = user_json(*current, was_disabled);
  uow->save_user(u);
  const bool now_disabled = disabled->value_or(was_disabled);
  if (now_disabled != was_disabled) {
    uow->set_disabled(email, now_disabled ? std::optional<Instant>(s.clock.now()) : std::nullopt);
    if (now_disabled) {  // disabling ends every session and token: re-enabling does not revive them
      uow->delete_sessions_of(email);
      for (const auto& t : uow->tokens(email))
        if (!t.revoked_at) uow->revoke_token(t.id, s.clock.now());
    }
  }
  const json after = user_json(u, now_disabled);
  auto e = access_event(a.email, u.roles != current->roles ? "role_change" : "user_update", "user", email,
                        s.clock.now(), nullptr);
  e.before = before.dump();
  e.after = after.dump();
  uow->append(e);
  uow->commit();
  return after;
}

Outcome<void> reset_password(Services& s, const Actor& a, const std::string& email, const json& body) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  BodyReader in(body, {"password"});
  const std::string password = in.text("password");
  if (auto r = in.refusal("the body is invalid")) return fail(Error::from(*r));
  {
    auto uow = s.store.begin_read();
    if (!uow->user(email)) return fail(Error::Kind::not_found, "no user " + email);
  }
  if (auto ok = set_password(s, email, password, a.email); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  uow->delete_sessions_of(email);  // a reset ends every session of that person
  uow->commit();
  return {};
}

Outcome<std::vector<json>> list_departments(Services& s, const Actor& a) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  auto uow = s.store.begin_read();
  std::vector<json> out;
  for (const auto& d : uow->organisation().departments)
    out.push_back({{"name", d.name}, {"head", d.head.empty() ? json(nullptr) : json(d.head)}});
  return out;
}

Outcome<json> save_department(Services& s, const Actor& a, const std::string& name, const json& body,
                              bool create) {
  if (auto ok = admin_only(a); !ok) return fail(ok.error());
  BodyReader in(body, create ? std::set<std::string>{"name", "head"} : std::set<std::string>{"head"});
  const std::string new_name = create ? in.text("name") : name;
  const bool head_given = in.has("head");
  const std::string head = in.text("head");
  if (new_name.find_first_not_of(" \t") == std::string::npos) in.errors().push_back({"name", "is required"});
  domain::check_text(in.errors(), "name", new_name, domain::kMaxShort);
  if (auto r = in.refusal("the department is invalid")) return fail(Error::from(*r));
  auto uow = s.store.begin_write();
  auto current = uow->department(new_name);
  if (create && current) return fail(Error::Kind::conflict, "the department " + new_name + " already exists");
  if (!create && !current) return fail(Error::Kind::not_found, "no department " + new_name);
  // A PATCH merges: a missing head keeps the current one, null clears it.
  domain::Department d{new_name, head_given ? head : (current ? current->head : "")};
  if (!d.head.empty() && !uow->user(d.head))
    return fail(Error{Error::Kind::invalid, "unknown head", {{"head", "is not a known user"}}});
  uow->save_department(d);
  auto department_json = [](const domain::Department& x) {
    return json{{"name", x.name}, {"head", x.head.empty() ? json(nullptr) : json(x.head)}};
  };
  const json after = department_json(d);
  auto e = access_event(a.email, create ? "department_create" : "department_update", "department", d.name,
                        s.clock.now(), nullptr);
  if (current) e.before = department_json(*current).dump();
  e.after = after.dump();
  uow->append(e);
  uow->commit();
  return after;
}

}  // namespace waiver::app
