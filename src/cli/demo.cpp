#include "cli/demo.hpp"

#include <stdexcept>

#include "cli/embedded.hpp"
#include "cli/yaml_json.hpp"

namespace waiver::cli {
namespace {

using nlohmann::json;

class DemoClock final : public app::Clock {
 public:
  explicit DemoClock(domain::Instant t) : t_(t) {}
  domain::Instant now() const override { return t_; }
  void set(domain::Instant t) { t_ = t; }
  void advance_days(int days) { t_.seconds += days * 86400LL; }

 private:
  domain::Instant t_;
};

class Demo {
 public:
  Demo(app::Store& store, domain::Instant now) : now_(now), clock_(now), s_{store, clock_, {}} {}

  domain::Actor actor(const std::string& who) {
    auto uow = s_.store.begin_read();
    auto a = uow->actor(who + "@example.com");
    if (!a) throw std::runtime_error("demo: no user " + who);
    return *a;
  }

  template <typename T>
  T must(app::Outcome<T> r, const char* step) {
    if (!r)
      throw std::runtime_error(std::string("demo: ") + step + ": " + r.error().detail +
                               (r.error().errors.empty() ? ""
                                                         : " (" + r.error().errors[0].field + ": " +
                                                               r.error().errors[0].message + ")"));
    return std::move(*r);
  }

  // Starts a request `days_ago` days before now, lasting `days`.
  std::string draft(const std::string& who, const json& fields, int days_ago, int days) {
    clock_.set(domain::Instant{now_.seconds - days_ago * 86400LL});
    const auto start = domain::date_of(clock_.now());
    json body = {
        {"requirement", "The requirement of the policy that cannot be met as written."},
        {"description", "What is requested, in the requester's words."},
        {"alternative", "No lesser alternative meets the need."},
        {"justification", "A business need that the standard tooling does not cover."},
        {"resources", "The team maintains the alternative; two engineers are assigned."},
        {"scope", "One system, five people."},
        {"likelihood", 2},
        {"impact", 3},
        {"data_classification", "ORANGE"},
        {"compensating_controls",
         json::array({{{"description", "Quarterly access review"}, {"owner", who + "@example.com"}}})},
        {"start_on", domain::format_date(start)},
        {"end_on", domain::format_date(domain::add_days(start, days))}};
    for (const auto& [k, v] : fields.items()) body[k] = v;
    auto v = must(app::create_request(s_, actor(who), body), "create");
    return std::to_string(v.request.id);
  }

  app::RequestView run(const std::string& who, const std::string& id,
                       app::Outcome<app::RequestView> (*use_case)(app::Services&, const domain::Actor&,
                                                                  const app::ActionInput&),
                       const json& body = json::object()) {
    clock_.advance_days(1);
    return must(use_case(s_, actor(who), {id, std::nullopt, body}), "action");
  }

  app::RequestView decide(const std::string& who, const std::string& id, const std::string& slot,
                          const json& body) {
    clock_.advance_days(1);
    return must(app::decide_slot(s_, actor(who), {id, std::nullopt, body}, slot), "decide");
  }

  // Submit, department (or maintainers) and compliance approvals: the request waits for its owner.
  void to_policy_review(const std::string& id, const std::string& first) {
    run(requester_of(id), id, app::submit_request);
    decide(first, id, "department", {{"decision", "approve"}, {"comment", "Needed for the team's work."}});
    decide("sec", id, "compliance",
           {{"decision", "approve"}, {"implications", "current"}, {"frameworks", {"SOC 2", "ISO 27001"}}});
  }

  void approve(const std::string& id, const std::string& owner, int days,
               const std::string& risk = "medium") {
    auto v = must(app::get_request(s_, actor(owner), id), "get");
    const auto end = domain::add_days(*v.request.content.start_on, days);
    json body = {
        {"decision", "approve"},
        {"risk_level", risk},
        {"end_on", domain::format_date(end)},
        {"compensating_controls",
         json::array({{{"description", "Audit logging with weekly review"}, {"status", "implemented"}},
                      {{"description", "MFA on the alternative system"}, {"status", "verified"}}})},
        {"comment", "Approved with the controls listed."}};
    if (risk == "high" || risk == "critical")
      body["action_plan"] = "Replace the alternative by the standard tool within the period.";
    decide(owner, id, "owner", body);
  }

  std::string requester_of(const std::string& id) {
    auto uow = s_.store.begin_read();
    const std::string email = uow->find(std::stoll(id))->requester;
    return email.substr(0, email.find('@'));
  }

  void at_now() { clock_.set(now_); }
  app::Services& services() { return s_; }

 private:
  domain::Instant now_;
  DemoClock clock_;
  app::Services s_;
};

}  // namespace

std::vector<DemoLogin> load_demo(app::Store& store, domain::Instant now) {
  Demo d(store, now);
  auto imported =
      app::import_organisation(d.services(), yaml_to_json(demo_organisation_yaml()), "waiver init --demo");
  if (!imported) throw std::runtime_error("demo: the organisation does not load: " + imported.error().detail);

  // draft
  d.draft("lee",
          {{"title", "Personal password manager for build secrets"},
           {"policy_id", "access-control"},
           {"type", "access"}},
          2, 60);
  // department_review
  auto id = d.draft("raj",
                    {{"title", "CRM export to a personal spreadsheet"},
                     {"policy_id", "data-classification"},
                     {"type", "process"}},
                    6, 30);
  d.run("raj", id, app::submit_request);
  // policy_review, RED data: legal and the data owner are added by the matrix
  id = d.draft("ana",
               {{"title", "Production database read access for incident analysis"},
                {"policy_id", "access-control"},
                {"type", "access"},
                {"data_classification", "RED"}},
               10, 60);
  d.to_policy_review(id, "eng.head");
  d.decide("legal", id, "legal", {{"decision", "approve"}, {"comment", "No contractual objection."}});
  // changes_requested
  id = d.draft("lee",
               {{"title", "Unmanaged Linux laptop for kernel work"},
                {"policy_id", "endpoint-management"},
                {"type", "device"}},
               12, 200);
  d.run("lee", id, app::submit_request);
  d.decide("eng.head", id, "department",
           {{"decision", "request_changes"}, {"comment", "Say which disk encryption you will use."}});
  // active (technology: the maintainers approve first), one expiring soon
  id = d.draft("ana",
               {{"title", "Self-hosted CI runner outside the standard fleet"},
                {"policy_id", "change-management"},
                {"type", "technology"}},
               80, 90);
  d.to_policy_review(id, "maint");
  d.approve(id, "owner", 90, "high");
  id = d.draft("raj",
               {{"title", "Shared demo account for a trade show"},
                {"policy_id", "access-control"},
                {"type", "access"}},
               30, 45);
  d.to_policy_review(id, "sales.head");
  d.approve(id, "owner", 45, "low");
  // superseded by an approved extension
  const auto parent = d.draft("lee",
                              {{"title", "Legacy TLS 1.1 endpoint for a partner integration"},
                               {"policy_id", "cryptography"},
                               {"type", "configuration"}},
                              100, 90);
  d.to_policy_review(parent, "maint");
  d.approve(parent, "owner", 90, "medium");
  auto ext = d.run("lee", parent, app::request_extension,
                   {{"end_on", domain::format_date(domain::add_days(domain::date_of(now), 60))},
                    {"justification", "The partner moves to TLS 1.3 next quarter."}});
  const auto ext_id = std::to_string(ext.request.id);
  d.to_policy_review(ext_id, "maint");
  d.approve(ext_id, "owner", 80, "medium");
  // expired: ended before today
  id = d.draft("raj",
               {{"title", "Temporary admin rights for a migration"},
                {"policy_id", "access-control"},
                {"type", "access"}},
               150, 30);
  d.to_policy_review(id, "sales.head");
  d.approve(id, "owner", 30, "medium");
  // revoked and closed
  id = d.draft("ana",
               {{"title", "Browser extension for API testing"},
                {"policy_id", "endpoint-management"},
                {"type", "device"}},
               60, 120);
  d.to_policy_review(id, "eng.head");
  d.approve(id, "devices.owner", 120, "low");
  d.run("sec", id, app::revoke_exception,
        {{"reason", "The extension was found to exfiltrate page content."}});
  id = d.draft("lee",
               {{"title", "Local admin for a driver update"},
                {"policy_id", "endpoint-management"},
                {"type", "device"}},
               40, 30);
  d.to_policy_review(id, "eng.head");
  d.approve(id, "devices.owner", 30, "low");
  d.run("lee", id, app::close_exception, {{"reason", "The driver ships in the standard image now."}});
  // withdrawn
  id = d.draft("raj",
               {{"title", "Personal phone for customer calls"},
                {"policy_id", "endpoint-management"},
                {"type", "device"}},
               20, 100);
  d.run("raj", id, app::submit_request);
  d.run("raj", id, app::withdraw_request, {{"reason", "A company phone arrived."}});
  // denied (still appealable)
  id = d.draft(
      "ana",
      {{"title", "Disable MFA for a service account"}, {"policy_id", "access-control"}, {"type", "access"}},
      8, 60);
  d.to_policy_review(id, "eng.head");
  d.decide("owner", id, "owner", {{"decision", "reject"}, {"comment", "Use a workload identity instead."}});
  // appeal_legal
  id = d.draft("raj",
               {{"title", "Customer data on a partner's file share"},
                {"policy_id", "data-classification"},
                {"type", "process"}},
               14, 30);
  d.to_policy_review(id, "sales.head");
  d.decide("owner", id, "owner", {{"decision", "reject"}, {"comment", "The share is outside our controls."}});
  d.run("raj", id, app::appeal_denial, {{"reason", "The contract with the customer requires this share."}});
  // appeal_executive, the CEO has granted
  id = d.draft("lee",
               {{"title", "Open source licence scanner in a personal cloud account"},
                {"policy_id", "change-management"},
                {"type", "process"}},
               18, 60);
  d.to_policy_review(id, "eng.head");
  d.decide("owner", id, "owner",
           {{"decision", "reject"}, {"comment", "Personal accounts are out of scope for our audits."}});
  d.run("eng.head", id, app::appeal_denial, {{"reason", "The scanner is needed for a release this month."}});
  d.run("legal", id, app::give_legal_opinion,
        {{"opinion", "Low legal risk if no source code leaves the company."}});
  d.run("ceo", id, app::record_disposition, {{"decision", "grant"}, {"comment", "Time-boxed, acceptable."}});
  // denied_final
  id = d.draft(
      "ana",
      {{"title", "Skip code review for hotfixes"}, {"policy_id", "change-management"}, {"type", "process"}},
      40, 30);
  d.to_policy_review(id, "eng.head");
  d.decide("owner", id, "owner", {{"decision", "reject"}, {"comment", "Review is a SOX control."}});
  d.run("ana", id, app::appeal_denial, {{"reason", "Hotfixes are urgent."}});
  d.run("legal", id, app::give_legal_opinion, {{"opinion", "Removing the control breaks a SOX commitment."}});
  d.run("ceo", id, app::record_disposition, {{"decision", "grant"}});
  d.run("cfo", id, app::record_disposition, {{"decision", "uphold"}, {"comment", "SOX first."}});

  d.at_now();
  if (auto expired = app::expire_due(d.services(), now); !expired)
    throw std::runtime_error("demo: expiry failed");

  std::vector<DemoLogin> logins;
  for (const auto& [who, role] :
       std::vector<std::pair<std::string, std::string>>{{"ana", "requester (Engineering)"},
                                                        {"eng.head", "department head (Engineering)"},
                                                        {"maint", "policy maintainer"},
                                                        {"owner", "policy owner"},
                                                        {"sec", "security compliance"},
                                                        {"legal", "legal"},
                                                        {"ceo", "CEO"},
                                                        {"cfo", "CFO"},
                                                        {"auditor", "auditor"},
                                                        {"admin", "admin"}}) {
    auto token = app::create_token(d.services(), who + "@example.com", "demo", "waiver init --demo");
    if (!token) throw std::runtime_error("demo: cannot create a token");
    logins.push_back({who + "@example.com", role, *token});
  }
  return logins;
}

}  // namespace waiver::cli
