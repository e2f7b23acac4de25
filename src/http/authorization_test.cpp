// The authorization table: every route of http::routes() against every persona, with the answer
// each must get (2xx, 401, 403 or 404), driven through http::dispatch() over a real store.
// Each cell gets fresh fixtures, prepared through the use cases: the request in the state where
// the endpoint makes sense, a token, a user or a department of its own.
//
// A route without a row fails EveryRouteHasARow, so no endpoint ships without a rule. On a
// mismatch the whole table is printed, each wrong cell as "got!want".
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "app/catalog.hpp"
#include "app/identity.hpp"
#include "app/notification_admin.hpp"
#include "app/services.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::http {
namespace {

using nlohmann::json;

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

// ---- the personas ------------------------------------------------------------------------------

enum class P {
  requester,   // ana, Engineering: the requester of the requests under test
  colleague,   // bob, Engineering, not its head
  outsider,    // eve, Sales
  head,        // head of Engineering
  maintainer,  // maintainer of the policy access-control
  owner,       // owner of the policy access-control
  compliance,  // role security_compliance
  legal,       // role legal
  ceo,
  cfo,
  auditor,
  admin,
  anonymous,  // no credentials at all
};

constexpr std::array kPersonas{P::requester, P::colleague,  P::outsider, P::head, P::maintainer,
                               P::owner,     P::compliance, P::legal,    P::ceo,  P::cfo,
                               P::auditor,   P::admin,      P::anonymous};

const char* label(P p) {
  switch (p) {
    case P::requester: return "requester";
    case P::colleague: return "colleague";
    case P::outsider: return "other-dept";
    case P::head: return "head";
    case P::maintainer: return "maintainer";
    case P::owner: return "owner";
    case P::compliance: return "sec-compl";
    case P::legal: return "legal";
    case P::ceo: return "ceo";
    case P::cfo: return "cfo";
    case P::auditor: return "auditor";
    case P::admin: return "admin";
    case P::anonymous: return "anonymous";
  }
  return "?";
}

const char* email(P p) {
  switch (p) {
    case P::requester: return "ana@x.test";
    case P::colleague: return "bob@x.test";
    case P::outsider: return "eve@x.test";
    case P::head: return "head@x.test";
    case P::maintainer: return "maint@x.test";
    case P::owner: return "owner@x.test";
    case P::compliance: return "sec@x.test";
    case P::legal: return "legal@x.test";
    case P::ceo: return "ceo@x.test";
    case P::cfo: return "cfo@x.test";
    case P::auditor: return "aud@x.test";
    case P::admin: return "admin@x.test";
    case P::anonymous: return "";
  }
  return "";
}

constexpr const char* kSalesHead = "sales.head@x.test";  // heads Sales; not a column
constexpr const char* kExpert = "expert@x.test";         // invited as an expert; not a column

json organisation_file() {
  auto user = [](const char* mail, const char* name, const char* department, json roles = json::array()) {
    json u{{"email", mail}, {"name", name}, {"roles", roles}};
    if (*department) u["department"] = department;
    return u;
  };
  return {
      {"users",
       {user(email(P::requester), "Ana", "Engineering"), user(email(P::colleague), "Bob", "Engineering"),
        user(email(P::outsider), "Eve", "Sales"), user(email(P::head), "Hana Head", "Engineering"),
        user(kSalesHead, "Sal Head", "Sales"), user(email(P::maintainer), "Max Maint", ""),
        user(email(P::owner), "Olga Owner", ""),
        user(email(P::compliance), "Sam Sec", "", {"security_compliance"}),
        user(email(P::legal), "Lina Legal", "", {"legal"}), user(email(P::ceo), "Cora Ceo", "", {"ceo"}),
        user(email(P::cfo), "Finn Cfo", "", {"cfo"}), user(email(P::auditor), "Aldo Audit", "", {"auditor"}),
        user(email(P::admin), "Ada Admin", "", {"admin"}), user(kExpert, "Ezra Expert", "")}},
      {"departments",
       {{{"name", "Engineering"}, {"head", email(P::head)}}, {{"name", "Sales"}, {"head", kSalesHead}}}},
      {"policies",
       {{{"id", "access-control"},
         {"title", "Access Management Policy"},
         {"kind", "policy"},
         {"owner", email(P::owner)},
         {"maintainers", {email(P::maintainer)}}}}},
      {"matrix",
       {{"default", {{"first_approval", "department_head"}, {"max_days", 90}}},
        {"rules",
         {{{"when", {{"type", "technology"}}}, {"set", {{"first_approval", "maintainers"}}}},
          {{"when", {{"data_classification", "RED"}}},
           {"require", {{{"slot", "legal"}, {"role", "legal"}}}}}}}}}};
}

// ---- expected answers --------------------------------------------------------------------------

constexpr int k2xx = 200;  // any 2xx
constexpr int k401 = 401;
constexpr int k403 = 403;
constexpr int k404 = 404;

int class_of(int status) { return status >= 200 && status < 300 ? k2xx : status; }
std::string text_of(int answer) { return answer == k2xx ? "2xx" : std::to_string(answer); }

using Expected = std::map<P, int>;

// Everyone, anonymous included.
Expected everyone(int answer) {
  Expected e;
  for (auto p : kPersonas) e[p] = answer;
  return e;
}

// Every signed-in person; anonymous gets 401.
Expected signed_in(int answer = k2xx) {
  auto e = everyone(answer);
  e[P::anonymous] = k401;
  return e;
}

// `allowed` get 2xx, every other signed-in person `otherwise`.
Expected only(std::set<P> allowed, int otherwise = k403) {
  auto e = signed_in(otherwise);
  for (auto p : allowed) e[p] = k2xx;
  return e;
}

// On a request of the requester (Engineering, policy access-control): `allowed` get 2xx; those
// who may not even see it (the colleague, the other department) 404; the rest 403.
Expected on_request(std::set<P> allowed) {
  auto e = only(allowed);
  for (auto p : {P::colleague, P::outsider})
    if (!allowed.contains(p)) e[p] = k404;
  return e;
}

// Everyone who may see the request.
const std::set<P> kSeeTheRequest{P::requester, P::head, P::maintainer, P::owner,   P::compliance,
                                 P::legal,     P::ceo,  P::cfo,        P::auditor, P::admin};

std::set<P> but(std::set<P> s, P p) {
  s.erase(p);
  return s;
}

// ---- the rows ----------------------------------------------------------------------------------

enum class Auth {
  token,                 // Authorization: Bearer <the persona's token>
  session,               // the persona's session cookie with its X-CSRF-Token
  session_without_csrf,  // the cookie alone
  none,                  // nothing (the persona is in the body, e.g. signing in)
};

struct Call {
  std::string path;  // under /api/v1
  json body = nullptr;
  std::vector<std::pair<std::string, std::string>> query = {};
};

struct Row {
  std::string method;  // as in routes()
  std::string route;   // the OpenAPI path, as in routes()
  std::string when;    // the situation the call is made in
  Auth auth;
  std::function<Call(P)> call;  // prepares fresh fixtures for one cell and names the call
  Expected expected;

  std::string name() const { return method + " " + route + (when.empty() ? "" : " [" + when + "]"); }
};

template <typename T>
T must(app::Outcome<T> o, const std::string& what) {
  if (!o) throw std::runtime_error(what + ": " + o.error().detail);
  return std::move(*o);
}
void must(app::Outcome<void> o, const std::string& what) {
  if (!o) throw std::runtime_error(what + ": " + o.error().detail);
}

class FixedClock final : public app::Clock {
 public:
  domain::Instant now() const override { return *domain::parse_instant("2026-03-01T09:00:00Z"); }
};

enum class State {
  draft,
  department_review,
  policy_review,  // the department slot approved
  owner_review,   // policy_review with every slot but the owner's approved
  active,
  denied,  // rejected by the first approver
  appeal_legal,
  appeal_executive,
};

class AuthorizationTable : public ::testing::Test {
 protected:
  void SetUp() override {
    must(app::import_organisation(services_, organisation_file(), "test"), "import");
    for (auto p : kPersonas)
      if (p != P::anonymous)
        tokens_[p] = must(app::create_token(services_, email(p), "table", "test"), "token");
  }

  domain::Actor actor(const std::string& mail) {
    auto uow = store_->begin_read();
    auto a = uow->actor(mail);
    if (!a) throw std::runtime_error("no actor " + mail);
    return *a;
  }
  std::string serial(const std::string& prefix) { return prefix + std::to_string(++serial_); }

  // A complete request of `requester`, brought into `state` through the use cases; its id.
  std::string request_in(State state, const std::string& requester = email(P::requester),
                         const std::string& type = "access", const std::string& classification = "ORANGE") {
    const json body{{"title", serial("Request ")},
                    {"policy_id", "access-control"},
                    {"requirement", "Access only through the admin tool"},
                    {"type", type},
                    {"data_classification", classification},
                    {"description", "Read-only SQL access"},
                    {"alternative", "Ask SRE"},
                    {"justification", "Incidents take longer"},
                    {"resources", "SRE maintains the role"},
                    {"scope", "1 database"},
                    {"likelihood", 2},
                    {"impact", 3},
                    {"compensating_controls", {{{"description", "Query logging"}}}},
                    {"start_on", "2026-04-01"},
                    {"end_on", "2026-05-01"}};
    const auto who = actor(requester);
    const auto id = std::to_string(must(app::create_request(services_, who, body), "create").request.id);
    if (state == State::draft) return id;
    must(app::submit_request(services_, who, {id, std::nullopt, json::object()}), "submit");
    if (state == State::department_review) return id;
    const std::string first = type == "technology"        ? email(P::maintainer)
                              : who.department == "Sales" ? kSalesHead
                                                          : email(P::head);
    auto decide = [&](const std::string& by, const std::string& slot, json d) {
      must(app::decide_slot(services_, actor(by), {id, std::nullopt, d}, slot), "decide " + slot);
    };
    if (state == State::denied || state == State::appeal_legal || state == State::appeal_executive) {
      decide(first, "department", {{"decision", "reject"}, {"comment", "No"}});
      if (state == State::denied) return id;
      must(app::appeal_denial(services_, who, {id, std::nullopt, {{"reason", "The contract needs it"}}}),
           "appeal");
      if (state == State::appeal_legal) return id;
      must(app::give_legal_opinion(services_, actor(email(P::legal)),
                                   {id, std::nullopt, {{"opinion", "Low legal risk"}}}),
           "legal opinion");
      return id;
    }
    decide(first, "department", {{"decision", "approve"}});
    if (state == State::policy_review) return id;
    decide(email(P::compliance), "compliance", {{"decision", "approve"}, {"implications", "none"}});
    if (classification == "RED") decide(email(P::legal), "legal", {{"decision", "approve"}});
    if (state == State::owner_review) return id;
    decide(email(P::owner), "owner", owner_approval());
    return id;
  }

  static json owner_approval() {
    return {{"decision", "approve"},
            {"risk_level", "low"},
            {"compensating_controls", {{{"description", "Query logging"}, {"status", "implemented"}}}},
            {"end_on", "2026-05-01"}};
  }

  // A token of `mail`'s, made by themselves; its id.
  std::string token_of(const std::string& mail) {
    return std::to_string(
        must(app::issue_token(services_, actor(mail), {{"name", serial("cell ")}}), "token").info.id);
  }

  std::string new_user() {
    const auto mail = serial("temp") + "@x.test";
    must(app::create_user(services_, actor(email(P::admin)), {{"email", mail}, {"name", "Temp"}}), "user");
    return mail;
  }

  std::string new_department() {
    const auto name = serial("Dept");
    must(app::save_department(services_, actor(email(P::admin)), "", {{"name", name}}, true), "department");
    return name;
  }

  std::string new_policy() {
    const auto id = serial("policy-");
    must(app::save_policy(services_, actor(email(P::admin)), "",
                          {{"id", id}, {"title", "Temp"}, {"owner", email(P::owner)}}, true),
         "policy");
    return id;
  }

  std::string undelivered_message() {
    auto uow = store_->begin_write();
    app::OutboxMessage m;
    m.created_at = clock_.now();
    m.channel = "email";
    m.target = email(P::requester);
    m.event = "exception.submit";
    m.body = "{}";
    m.next_attempt_at = clock_.now();
    uow->enqueue(m);
    auto newest = uow->outbox({"", 1, std::nullopt});
    uow->commit();
    return std::to_string(newest.at(0).id);
  }

  std::string new_webhook() {
    auto w = must(app::create_webhook(services_, actor(email(P::admin)), {{"url", "http://127.0.0.1:9/h"}}),
                  "webhook");
    return std::to_string(w.id);
  }

  // The secret part of a person's calendar feed address, with its .ics.
  std::string feed_of(const std::string& mail) {
    auto f = must(app::rotate_calendar_feed(services_, actor(mail)), "calendar feed");
    return f.url.substr(f.url.rfind('/') + 1);
  }

  void give_password(P p) {
    if (p == P::anonymous || with_password_.contains(p)) return;
    must(app::set_password(services_, email(p), password(p), "test"), "password");
    with_password_.insert(p);
  }
  static std::string password(P p) { return std::string("pw-of-") + label(p) + "-long-enough"; }

  std::vector<Row> rows();

  HttpResponse run(const Row& row, P p, Call& call) {
    call = row.call(p);
    HttpRequest req;
    req.method = row.method;
    req.path = "/api/v1" + call.path;
    for (const auto& [k, v] : call.query) req.query.emplace(k, v);
    if (!call.body.is_null()) {
      req.body = call.body.dump();
      req.headers["content-type"] = "application/json";
    }
    req.remote_address = "192.0.2.10";
    if (p != P::anonymous) switch (row.auth) {
        case Auth::token: req.headers["authorization"] = "Bearer " + tokens_.at(p); break;
        case Auth::session:
        case Auth::session_without_csrf: {
          auto s = must(app::start_session(services_, email(p), "test", "192.0.2.10", ""), "session");
          req.headers["cookie"] = std::string(kSessionCookie) + "=" + s.cookie_value;
          if (row.auth == Auth::session) req.headers["x-csrf-token"] = s.csrf_token;
          break;
        }
        case Auth::none: break;
      }
    return dispatch(ctx_, req);
  }

  waiver::testing::TempDir dir_{"waiver-authz"};
  std::unique_ptr<app::Store> store_ = store::open_store(
      store::DatabaseUrl{store::DatabaseUrl::Engine::sqlite, dir_.file("authz.db").string()});
  FixedClock clock_;
  app::Services services_{*store_, clock_, {}};
  Context ctx_{services_, {}};
  std::map<P, std::string> tokens_;
  std::set<P> with_password_;
  int serial_ = 0;
};

std::vector<Row> AuthorizationTable::rows() {
  const std::string ana = email(P::requester);
  auto at = [](const std::string& id, const std::string& tail = "") { return "/exceptions/" + id + tail; };
  auto in = [this, at](State s, const std::string& tail, json body, std::string type = "access",
                       std::string classification = "ORANGE") {
    return [=, this](P) {
      return Call{at(request_in(s, email(P::requester), type, classification), tail), body};
    };
  };
  auto fixed = [](std::string path, json body = nullptr,
                  std::vector<std::pair<std::string, std::string>> query = {}) {
    return [=](P) { return Call{path, body, query}; };
  };
  const json full_preview{
      {"policy_id", "access-control"}, {"type", "access"}, {"data_classification", "ORANGE"}};
  const json expiry{{"expires_at", "2027-01-01T00:00:00Z"}};

  return {
      // The service
      {"GET", "/health", "", Auth::token, fixed("/health"), everyone(k2xx)},
      {"GET", "/ready", "", Auth::token, fixed("/ready"), everyone(k2xx)},
      {"GET", "/metrics", "", Auth::token, fixed("/metrics"), everyone(k2xx)},
      {"GET", "/openapi.json", "", Auth::token, fixed("/openapi.json"), everyone(k2xx)},
      {"GET", "/me", "", Auth::token, fixed("/me"), signed_in()},
      {"GET", "/oidc/login", "single sign-on not configured", Auth::token, fixed("/oidc/login"),
       everyone(k404)},
      {"GET", "/oidc/callback", "single sign-on not configured", Auth::token,
       fixed("/oidc/callback", nullptr, {{"code", "c"}, {"state", "s"}}), everyone(k404)},

      // The register and requests
      {"GET", "/exceptions", "", Auth::token, fixed("/exceptions"), signed_in()},
      {"POST", "/exceptions", "", Auth::token,
       fixed("/exceptions", {{"title", "Mine"}, {"policy_id", "access-control"}}), signed_in()},
      {"POST", "/exceptions", "session cookie with X-CSRF-Token", Auth::session,
       fixed("/exceptions", {{"title", "Mine"}, {"policy_id", "access-control"}}), signed_in()},
      {"POST", "/exceptions", "session cookie without X-CSRF-Token", Auth::session_without_csrf,
       fixed("/exceptions", {{"title", "Mine"}, {"policy_id", "access-control"}}), signed_in(k403)},
      {"GET", "/exceptions/export", "", Auth::token,
       fixed("/exceptions/export", nullptr, {{"format", "csv"}}), signed_in()},
      {"GET", "/exceptions/{id}", "department_review", Auth::token, in(State::department_review, "", nullptr),
       on_request(kSeeTheRequest)},
      {"GET", "/exceptions/{id}", "active", Auth::token, in(State::active, "", nullptr),
       on_request(kSeeTheRequest)},
      {"PATCH", "/exceptions/{id}", "draft", Auth::token, in(State::draft, "", {{"title", "Changed"}}),
       on_request({P::requester})},
      {"POST", "/exceptions/{id}/submit", "draft", Auth::token, in(State::draft, "/submit", json::object()),
       on_request({P::requester})},
      {"POST", "/exceptions/{id}/approvals/{slot}", "department slot, department_review", Auth::token,
       in(State::department_review, "/approvals/department", {{"decision", "approve"}}),
       on_request({P::head})},
      {"POST", "/exceptions/{id}/approvals/{slot}", "department slot, technology: maintainers", Auth::token,
       in(State::department_review, "/approvals/department", {{"decision", "approve"}}, "technology"),
       on_request({P::maintainer})},
      {"POST", "/exceptions/{id}/approvals/{slot}", "compliance slot, policy_review", Auth::token,
       in(State::policy_review, "/approvals/compliance", {{"decision", "approve"}, {"implications", "none"}}),
       on_request({P::compliance})},
      {"POST", "/exceptions/{id}/approvals/{slot}", "legal slot (RED), policy_review", Auth::token,
       in(State::policy_review, "/approvals/legal", {{"decision", "approve"}}, "access", "RED"),
       on_request({P::legal})},
      {"POST", "/exceptions/{id}/approvals/{slot}", "owner slot, others approved", Auth::token,
       in(State::owner_review, "/approvals/owner", owner_approval()), on_request({P::owner})},
      {"POST", "/exceptions/{id}/invitations", "department_review", Auth::token,
       in(State::department_review, "/invitations", {{"email", kExpert}, {"note", "Please look"}}),
       on_request({P::owner, P::compliance})},
      {"POST", "/exceptions/{id}/inputs", "department_review", Auth::token,
       in(State::department_review, "/inputs", {{"body", "A comment"}}),
       on_request(but(kSeeTheRequest, P::auditor))},
      {"POST", "/exceptions/{id}/withdraw", "department_review", Auth::token,
       in(State::department_review, "/withdraw", {{"reason", "Not needed"}}), on_request({P::requester})},
      {"POST", "/exceptions/{id}/appeal", "denied", Auth::token,
       in(State::denied, "/appeal", {{"reason", "The contract needs it"}}),
       on_request({P::requester, P::head})},
      {"POST", "/exceptions/{id}/legal-opinion", "appeal_legal", Auth::token,
       in(State::appeal_legal, "/legal-opinion", {{"opinion", "Low risk"}}), on_request({P::legal})},
      {"POST", "/exceptions/{id}/disposition", "appeal_executive", Auth::token,
       in(State::appeal_executive, "/disposition", {{"decision", "grant"}}), on_request({P::ceo, P::cfo})},
      {"POST", "/exceptions/{id}/extensions", "active", Auth::token,
       in(State::active, "/extensions", {{"end_on", "2026-06-30"}, {"justification", "Migration slipped"}}),
       on_request({P::requester})},
      {"POST", "/exceptions/{id}/reviews", "active", Auth::token,
       in(State::active, "/reviews", {{"notes", "Logs reviewed"}}), on_request({P::owner, P::compliance})},
      {"POST", "/exceptions/{id}/close", "active", Auth::token,
       in(State::active, "/close", {{"reason", "No longer needed"}}), on_request({P::requester, P::owner})},
      {"POST", "/exceptions/{id}/revoke", "active", Auth::token,
       in(State::active, "/revoke", {{"reason", "Controls missing"}}), on_request({P::owner, P::compliance})},
      {"GET", "/exceptions/{id}/events", "department_review", Auth::token,
       in(State::department_review, "/events", nullptr), on_request(kSeeTheRequest)},
      {"POST", "/matrix/preview", "", Auth::token, fixed("/matrix/preview", full_preview), signed_in()},
      {"GET", "/matrix", "", Auth::token, fixed("/matrix"), signed_in()},
      {"PUT", "/matrix", "a valid matrix", Auth::token,
       fixed("/matrix", {{"yaml", "default: {first_approval: department_head, max_days: 120}\n"}}),
       only({P::admin})},
      {"GET", "/policies", "", Auth::token, fixed("/policies"), signed_in()},
      {"POST", "/policies", "a new id", Auth::token,
       [this](P) {
         return Call{"/policies",
                     {{"id", serial("new-policy-")}, {"title", "New"}, {"owner", email(P::owner)}}};
       },
       only({P::admin})},
      {"PATCH", "/policies/{id}", "a policy of its own", Auth::token,
       [this](P) {
         return Call{"/policies/" + new_policy(), {{"title", "Renamed"}}};
       },
       only({P::admin})},
      {"GET", "/audit/verify", "", Auth::token, fixed("/audit/verify"),
       only({P::auditor, P::admin, P::compliance})},
      {"GET", "/audit/checkpoints", "", Auth::token, fixed("/audit/checkpoints"),
       only({P::auditor, P::admin, P::compliance})},

      // Signing in
      {"POST", "/session", "own password; anonymous: unknown email", Auth::none,
       [this](P p) {
         give_password(p);
         return Call{"/session", p == P::anonymous
                                     ? json{{"email", "nobody@x.test"}, {"password", "whatever-it-is"}}
                                     : json{{"email", email(p)}, {"password", password(p)}}};
       },
       signed_in()},
      {"GET", "/session/options", "", Auth::none, fixed("/session/options"), everyone(k2xx)},
      {"GET", "/session", "session cookie", Auth::session, fixed("/session"), signed_in()},
      {"GET", "/session", "token", Auth::token, fixed("/session"), signed_in()},
      {"DELETE", "/session", "session cookie with X-CSRF-Token", Auth::session, fixed("/session"),
       signed_in()},
      {"DELETE", "/session", "session cookie without X-CSRF-Token", Auth::session_without_csrf,
       fixed("/session"), signed_in(k403)},

      // Tokens: one's own; someone else's only for admins (404 for a token, 403 for a listing)
      {"GET", "/tokens", "one's own", Auth::token, fixed("/tokens"), signed_in()},
      {"GET", "/tokens", "?user=the requester", Auth::token, fixed("/tokens", nullptr, {{"user", ana}}),
       only({P::requester, P::admin})},
      {"POST", "/tokens", "for oneself", Auth::token, fixed("/tokens", {{"name", "ci"}}), signed_in()},
      {"POST", "/tokens", "for the requester", Auth::token, fixed("/tokens", {{"name", "ci"}, {"user", ana}}),
       only({P::requester, P::admin})},
      {"PATCH", "/tokens/{id}", "one's own", Auth::token,
       [this, expiry](P p) {
         return Call{"/tokens/" + token_of(p == P::anonymous ? email(P::requester) : email(p)), expiry};
       },
       signed_in()},
      {"PATCH", "/tokens/{id}", "the requester's", Auth::token,
       [this, expiry, ana](P) {
         return Call{"/tokens/" + token_of(ana), expiry};
       },
       only({P::requester, P::admin}, k404)},
      {"DELETE", "/tokens/{id}", "one's own", Auth::token,
       [this](P p) {
         return Call{"/tokens/" + token_of(p == P::anonymous ? email(P::requester) : email(p))};
       },
       signed_in()},
      {"DELETE", "/tokens/{id}", "the requester's", Auth::token,
       [this, ana](P) { return Call{"/tokens/" + token_of(ana)}; }, only({P::requester, P::admin}, k404)},

      // Administration: admins only
      {"GET", "/users", "", Auth::token, fixed("/users"), only({P::admin})},
      {"POST", "/users", "a new email", Auth::token,
       [this](P) {
         return Call{"/users", {{"email", serial("new") + "@x.test"}, {"name", "New"}}};
       },
       only({P::admin})},
      {"GET", "/users/{email}", "the requester", Auth::token, fixed("/users/" + ana), only({P::admin})},
      {"PATCH", "/users/{email}", "a user of its own", Auth::token,
       [this](P) {
         return Call{"/users/" + new_user(), {{"name", "Renamed"}}};
       },
       only({P::admin})},
      {"PUT", "/users/{email}/password", "a user of its own", Auth::token,
       [this](P) {
         return Call{"/users/" + new_user() + "/password", {{"password", "a long new password"}}};
       },
       only({P::admin})},
      {"GET", "/departments", "", Auth::token, fixed("/departments"), only({P::admin})},
      {"POST", "/departments", "a new name", Auth::token,
       [this](P) {
         return Call{"/departments", {{"name", serial("New department ")}}};
       },
       only({P::admin})},
      {"PATCH", "/departments/{name}", "a department of its own", Auth::token,
       [this](P) {
         return Call{"/departments/" + new_department(), {{"head", email(P::head)}}};
       },
       only({P::admin})},
      {"GET", "/outbox", "", Auth::token, fixed("/outbox"), only({P::admin})},
      {"POST", "/outbox/{id}/retry", "an undelivered message", Auth::token,
       [this](P) { return Call{"/outbox/" + undelivered_message() + "/retry"}; }, only({P::admin})},
      {"GET", "/webhooks", "", Auth::token, fixed("/webhooks"), only({P::admin})},
      {"POST", "/webhooks", "a receiver on loopback", Auth::token,
       fixed("/webhooks", {{"url", "http://127.0.0.1:9/hook"}}), only({P::admin})},
      {"DELETE", "/webhooks/{id}", "a webhook of its own", Auth::token,
       [this](P) { return Call{"/webhooks/" + new_webhook()}; }, only({P::admin})},
      {"GET", "/me/calendar", "", Auth::token, fixed("/me/calendar"), signed_in()},
      {"POST", "/me/calendar", "", Auth::token, fixed("/me/calendar"), signed_in()},
      {"GET", "/calendar/{feed}", "the requester's feed, by its secret address", Auth::token,
       [this](P) { return Call{"/calendar/" + feed_of(email(P::requester))}; }, everyone(k2xx)},
  };
}

// The route dispatch() takes for (method, path): the first in the table whose pattern matches.
std::string route_taken(const std::string& method, const std::string& path) {
  for (const auto& r : routes()) {
    if (method != r.method) continue;
    const std::regex pattern(
        "^" + std::regex_replace(std::string(r.openapi), std::regex(R"(\{[a-z_]+\})"), "[^/]+") + "$");
    if (std::regex_match(path, pattern)) return r.openapi;
  }
  return "(none)";
}

TEST_F(AuthorizationTable, EveryRouteHasARow) {
  const auto table = rows();
  std::vector<std::string> missing;
  for (const auto& r : routes()) {
    const bool found = std::any_of(table.begin(), table.end(), [&](const Row& row) {
      return row.method == r.method && row.route == r.openapi;
    });
    if (!found) missing.push_back(std::string(r.method) + " " + r.openapi);
  }
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  EXPECT_TRUE(missing.empty()) << "routes without a row in the authorization table "
                                  "(add one to AuthorizationTable::rows(), with the answer of each persona):"
                               << list;
  for (const auto& row : table) {
    const bool routed = std::any_of(routes().begin(), routes().end(), [&](const Route& r) {
      return row.method == r.method && row.route == r.openapi;
    });
    EXPECT_TRUE(routed) << row.name() << " is in the table but not in routes()";
    for (auto p : kPersonas)
      EXPECT_TRUE(row.expected.contains(p)) << row.name() << " has no answer for " << label(p);
  }
}

TEST_F(AuthorizationTable, EveryEndpointAnswersEachPersonaAsTheTableSays) {
  const auto table = rows();
  constexpr int kCell = 11;
  std::size_t first = 22;
  for (const auto& row : table) first = std::max(first, row.name().size() + 2);
  const int kFirst = static_cast<int>(first);
  std::ostringstream out;
  out << std::left << std::setw(kFirst) << "endpoint [situation]";
  for (auto p : kPersonas) out << std::setw(kCell) << label(p);
  out << "\n";
  std::vector<std::string> wrong;
  for (const auto& row : table) {
    out << std::setw(kFirst) << row.name();
    for (auto p : kPersonas) {
      const int want = row.expected.count(p) ? row.expected.at(p) : 0;
      std::string cell;
      try {
        Call call;
        const auto answer = run(row, p, call);
        const int got = class_of(answer.status);
        const auto taken = route_taken(row.method, call.path);
        if (taken != row.route) {
          cell = "ROUTE!";
          wrong.push_back(row.name() + " / " + label(p) + ": " + call.path + " is routed to " + taken);
        } else if (got != want) {
          cell = text_of(got) + "!" + text_of(want);
          std::string detail = answer.body;
          if (auto j = json::parse(answer.body, nullptr, false); j.is_object() && j.contains("detail"))
            detail = j.at("detail").dump();
          wrong.push_back(row.name() + " / " + label(p) + ": got " + std::to_string(answer.status) +
                          ", want " + text_of(want) + " — " + detail.substr(0, 200));
        } else {
          cell = text_of(got);
        }
      } catch (const std::exception& e) {
        cell = "ERROR";
        wrong.push_back(row.name() + " / " + label(p) + ": preparing the cell failed: " + e.what());
      }
      out << std::setw(kCell) << cell;
    }
    out << "\n";
  }
  if (!wrong.empty()) {
    std::string list;
    for (const auto& w : wrong) list += "\n  " + w;
    ADD_FAILURE() << wrong.size() << " cell(s) of the authorization table differ (shown as got!want):\n\n"
                  << out.str() << "\nThe differences:" << list;
  }
  // The size of the table, in the XML report.
  RecordProperty("rows", static_cast<int>(table.size()));
  RecordProperty("personas", static_cast<int>(kPersonas.size()));
}

// ---- least privilege across departments -------------------------------------------------------

TEST_F(AuthorizationTable, ARequesterNeverSeesAnotherDepartmentsRequests) {
  struct Seen {
    std::string id, ref;
  };
  auto requests_of = [&](const std::string& mail) {
    std::vector<Seen> out;
    for (auto s : {State::draft, State::department_review, State::policy_review, State::active, State::denied,
                   State::appeal_legal, State::appeal_executive}) {
      const auto id = request_in(s, mail);
      auto v = must(app::get_request(services_, actor(mail), id), "read");
      out.push_back({id, v.request.ref});
    }
    return out;
  };
  const auto eves = requests_of(email(P::outsider));   // Sales
  const auto anas = requests_of(email(P::requester));  // Engineering
  // bob (Engineering, not its head) has one of his own, so his register is not empty by accident.
  const auto bobs = request_in(State::department_review, email(P::colleague));

  auto send = [&](P p, const std::string& path, std::vector<std::pair<std::string, std::string>> query = {}) {
    HttpRequest req;
    req.method = "GET";
    req.path = "/api/v1" + path;
    for (auto& [k, v] : query) req.query.emplace(k, v);
    req.headers["authorization"] = "Bearer " + tokens_.at(p);
    return dispatch(ctx_, req);
  };
  auto register_ids = [&](P p, std::vector<std::pair<std::string, std::string>> query) {
    query.emplace_back("limit", "200");
    auto r = send(p, "/exceptions", query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> ids;
    const auto page = json::parse(r.body);  // kept: the loop must not run over a temporary
    for (const auto& item : page.at("items")) ids.insert(std::to_string(item.at("id").get<long long>()));
    return ids;
  };
  const std::string all_states =
      "draft,department_review,policy_review,changes_requested,active,denied,withdrawn,appeal_legal,"
      "appeal_executive,denied_final,expired,revoked,closed,superseded";

  struct Case {
    P viewer;
    const std::vector<Seen>& others;  // requests of another department
    std::string department, requester;
    const std::vector<Seen>& own;
  };
  const std::vector<Seen> none;
  for (const auto& c : {Case{P::requester, eves, "Sales", email(P::outsider), anas},
                        Case{P::colleague, eves, "Sales", email(P::outsider), none},
                        Case{P::colleague, anas, "Engineering", email(P::requester), none},
                        Case{P::outsider, anas, "Engineering", email(P::requester), none}}) {
    SCOPED_TRACE(std::string(label(c.viewer)) + " and the requests of " + c.requester);
    // The register, whatever the filters.
    const std::vector<std::vector<std::pair<std::string, std::string>>> queries{
        {},
        {{"status", all_states}},
        {{"department", c.department}},
        {{"requester", c.requester}},
        {{"policy", "access-control"}},
        {{"q", c.others.front().ref}},
        {{"status", "active"}, {"expiring_within_days", "365"}}};
    for (const auto& q : queries) {
      const auto ids = register_ids(c.viewer, q);
      for (const auto& o : c.others) EXPECT_FALSE(ids.contains(o.id)) << o.ref << " listed";
    }
    const auto own_ids = register_ids(c.viewer, {});
    for (const auto& o : c.own) EXPECT_TRUE(own_ids.contains(o.id)) << "own " << o.ref << " missing";
    // The export.
    auto csv = send(c.viewer, "/exceptions/export", {{"format", "csv"}});
    ASSERT_EQ(csv.status, 200) << csv.body;
    for (const auto& o : c.others) EXPECT_EQ(csv.body.find(o.ref), std::string::npos) << o.ref << " exported";
    EXPECT_EQ(csv.body.find(c.requester), std::string::npos);
    // By id, by reference, and the events.
    for (const auto& o : c.others) {
      EXPECT_EQ(send(c.viewer, "/exceptions/" + o.id).status, 404) << o.ref;
      EXPECT_EQ(send(c.viewer, "/exceptions/" + o.ref).status, 404) << o.ref;
      EXPECT_EQ(send(c.viewer, "/exceptions/" + o.id + "/events").status, 404) << o.ref;
      EXPECT_EQ(send(c.viewer, "/exceptions/" + o.ref + "/events").status, 404) << o.ref;
    }
  }

  // Not vacuous: those who may see them do, in the register and in the export.
  for (auto [viewer, theirs] : std::vector<std::pair<P, const std::vector<Seen>*>>{{P::outsider, &eves},
                                                                                   {P::requester, &anas},
                                                                                   {P::head, &anas},
                                                                                   {P::auditor, &eves},
                                                                                   {P::auditor, &anas}}) {
    SCOPED_TRACE(label(viewer));
    const auto ids = register_ids(viewer, {});
    auto csv = send(viewer, "/exceptions/export", {{"format", "csv"}});
    for (const auto& o : *theirs) {
      EXPECT_TRUE(ids.contains(o.id)) << o.ref;
      EXPECT_NE(csv.body.find(o.ref), std::string::npos) << o.ref;
      EXPECT_EQ(send(viewer, "/exceptions/" + o.id + "/events").status, 200) << o.ref;
    }
  }
  EXPECT_TRUE(register_ids(P::colleague, {}).contains(bobs));
}

}  // namespace
}  // namespace waiver::http
