#include "domain/process.hpp"
#include "domain/validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace waiver::domain {
namespace {

using K = Refusal::Kind;
using Strings = std::vector<std::string>;

// ---- people ----------------------------------------------------------------------------------

const std::string kPolicy = "access-control";
const std::string kDept = "Engineering";

Actor person(std::string email, std::set<Role> roles = {}, std::string department = "Sales") {
  Actor a;
  a.email = std::move(email);
  a.name = a.email;
  a.department = std::move(department);
  a.roles = std::move(roles);
  return a;
}

Actor requester() { return person("ana@example.com", {}, kDept); }
Actor colleague() { return person("bob@example.com", {}, kDept); }  // same department, no role
Actor head() {
  auto a = person("head@example.com", {}, kDept);
  a.heads = {kDept};
  return a;
}
Actor other_head() {
  auto a = person("sales.head@example.com");
  a.heads = {"Sales"};
  return a;
}
Actor owner() {
  auto a = person("owner@example.com");
  a.owns = {kPolicy};
  return a;
}
Actor maintainer() {
  auto a = person("maint@example.com");
  a.maintains = {kPolicy};
  return a;
}
Actor sec() { return person("sec@example.com", {Role::security_compliance}); }
Actor sec2() { return person("sec2@example.com", {Role::security_compliance}); }
Actor dpo() { return person("dpo@example.com"); }
Actor legal() { return person("legal@example.com", {Role::legal}); }
Actor ceo() { return person("ceo@example.com", {Role::ceo}); }
Actor ceo2() { return person("ceo2@example.com", {Role::ceo}); }
Actor cfo() { return person("cfo@example.com", {Role::cfo}); }
Actor both_execs() { return person("exec@example.com", {Role::ceo, Role::cfo}); }
Actor auditor() { return person("audit@example.com", {Role::auditor}); }
Actor expert() { return person("expert@example.com"); }

User as_user(const Actor& a) { return User{a.email, a.name, a.department, a.roles}; }

// ---- time ------------------------------------------------------------------------------------

Date day(const char* text) {
  auto d = parse_date(text);
  if (!d) throw std::invalid_argument(text);
  return *d;
}
Instant at(const char* text) {
  auto t = parse_instant(text);
  if (!t) throw std::invalid_argument(text);
  return *t;
}

const Instant kCreated = at("2026-01-02T09:00:00Z");
const Instant kSubmitted = at("2026-01-05T10:00:00Z");
const Instant kFirst = at("2026-01-06T10:00:00Z");
const Instant kSlots = at("2026-01-07T10:00:00Z");
const Instant kDecided = at("2026-01-08T10:00:00Z");
const ProcessSettings kSettings{};

// ---- requests at each point of the process ---------------------------------------------------

void must(const Result<void>& r) {
  if (!r) throw std::runtime_error("setup step refused: " + r.error().detail);
}

RequestContent content() {
  RequestContent c;
  c.title = "Legacy VPN without MFA";
  c.policy_id = kPolicy;
  c.requirement = "AC-7";
  c.type = ExceptionType::technology;
  c.data_classification = DataClassification::RED;
  c.description = "The old VPN cannot do MFA.";
  c.justification = "Replacement is scheduled.";
  c.resources = "vpn-01";
  c.scope = "Engineering";
  c.likelihood = 2;
  c.impact = 3;
  c.compensating_controls = {{"IP allow-list", "ops@example.com", ControlStatus::implemented, ""}};
  c.start_on = day("2026-01-01");
  c.end_on = day("2026-03-01");
  c.links = {"https://tickets.example.com/VPN-1"};
  return c;
}

ApprovalSlot make_slot(std::string name, Status stage, Strings eligible) {
  ApprovalSlot s;
  s.slot = std::move(name);
  s.stage = stage;
  s.eligible = std::move(eligible);
  return s;
}

std::vector<ApprovalSlot> slots() {
  return {make_slot("department", Status::department_review, {"head@example.com"}),
          make_slot("compliance", Status::policy_review, {"sec@example.com", "sec2@example.com"}),
          make_slot("data_owner", Status::policy_review, {"dpo@example.com", "sec2@example.com"}),
          make_slot("owner", Status::policy_review, {"owner@example.com"})};
}

ExceptionRequest draft() {
  ExceptionRequest r;
  r.id = 7;
  r.ref = "EXC-2026-0007";
  r.requester = requester().email;
  r.requester_name = "Ana Diaz";
  r.department = kDept;
  r.content = content();
  r.created_at = r.updated_at = kCreated;
  return r;
}

ExceptionRequest in_department_review() {
  auto r = draft();
  must(submit(r, requester(), slots(), 90, 3, kSubmitted));
  return r;
}

SlotDecision approve() { return SlotDecision{}; }
SlotDecision reject() { return SlotDecision{.decision = Decision::reject, .comment = "no"}; }
SlotDecision changes() { return SlotDecision{.decision = Decision::request_changes}; }
SlotDecision compliance_ok() {
  return SlotDecision{.implications = Implications::current, .frameworks = {"SOC 2"}};
}
SlotDecision owner_ok() {
  SlotDecision d;
  d.risk_level = RiskLevel::medium;
  d.compensating_controls =
      std::vector<CompensatingControl>{{"Monitoring", "", {}, ""}, {"Quarterly access review"}};
  d.end_on = day("2026-02-15");
  return d;
}

ExceptionRequest in_policy_review() {
  auto r = in_department_review();
  must(decide(r, head(), "department", approve(), kFirst));
  return r;
}

ExceptionRequest awaiting_owner() {
  auto r = in_policy_review();
  must(decide(r, sec(), "compliance", compliance_ok(), kSlots));
  must(decide(r, dpo(), "data_owner", approve(), kSlots));
  return r;
}

ExceptionRequest active() {
  auto r = awaiting_owner();
  must(decide(r, owner(), "owner", owner_ok(), kDecided));
  return r;
}

ExceptionRequest denied() {
  auto r = in_policy_review();
  auto d = reject();
  d.risk_level = RiskLevel::high;
  must(decide(r, owner(), "owner", d, kDecided));
  return r;
}

ExceptionRequest in_appeal_legal() {
  auto r = denied();
  must(appeal(r, requester(), "The risk is lower than assessed.", kDecided, kSettings));
  return r;
}

ExceptionRequest in_appeal_executive() {
  auto r = in_appeal_legal();
  must(legal_opinion(r, legal(), "No legal obstacle.", kDecided));
  return r;
}

// ---- expectations ----------------------------------------------------------------------------

#define EXPECT_OK(expr)                                                         \
  do {                                                                          \
    const auto& r_ = (expr);                                                    \
    EXPECT_TRUE(r_) << "refused: " << (r_ ? std::string() : r_.error().detail); \
  } while (0)

template <typename T>
void expect_refused(const Result<T>& r, K kind, const std::string& field = "") {
  ASSERT_FALSE(r) << "expected a refusal";
  EXPECT_EQ(r.error().kind, kind) << r.error().detail;
  if (kind == K::invalid) {
    ASSERT_FALSE(r.error().errors.empty()) << r.error().detail;
    const bool named = std::any_of(r.error().errors.begin(), r.error().errors.end(),
                                   [&](const FieldError& e) { return e.field == field; });
    EXPECT_TRUE(named) << "no error on " << field << "; first: " << r.error().errors[0].field;
  }
}

// A refused action leaves the request as it was.
template <typename F>
void expect_unchanged_after(ExceptionRequest r, K kind, F action, const std::string& field = "") {
  const auto before = r;
  expect_refused(action(r), kind, field);
  EXPECT_EQ(r.status, before.status);
  EXPECT_EQ(r.content, before.content);
  EXPECT_EQ(r.approvals, before.approvals);
  EXPECT_EQ(r.appeal, before.appeal);
  EXPECT_EQ(r.invitations, before.invitations);
}

// ================================================================================== edit

TEST(Edit, OnlyTheRequester) {
  for (const auto& a : {head(), owner(), sec(), colleague()})
    expect_unchanged_after(draft(), K::forbidden, [&](ExceptionRequest& r) { return edit(r, a, content()); });
  // "who" comes before "when": a stranger on an active request is still forbidden.
  expect_unchanged_after(active(), K::forbidden,
                         [](ExceptionRequest& r) { return edit(r, head(), content()); });
}

TEST(Edit, OnlyDraftOrChangesRequested) {
  for (auto r : {in_department_review(), in_policy_review(), active(), denied()})
    expect_unchanged_after(r, K::conflict,
                           [](ExceptionRequest& x) { return edit(x, requester(), content()); });
}

TEST(Edit, InvalidContentNamesTheField) {
  auto c = content();
  c.title.clear();
  expect_unchanged_after(
      draft(), K::invalid, [&](ExceptionRequest& r) { return edit(r, requester(), c); }, "title");
  c = content();
  c.impact = 9;
  expect_unchanged_after(
      draft(), K::invalid, [&](ExceptionRequest& r) { return edit(r, requester(), c); }, "impact");
}

TEST(Edit, ReplacesTheContentAndKeepsTheState) {
  auto r = draft();
  auto c = content();
  c.title = "Renamed";
  c.justification.clear();  // a draft may be incomplete
  EXPECT_OK(edit(r, requester(), c));
  EXPECT_EQ(r.status, Status::draft);
  EXPECT_EQ(r.content, c);

  auto back = in_department_review();
  must(decide(back, head(), "department", changes(), kFirst));
  ASSERT_EQ(back.status, Status::changes_requested);
  EXPECT_OK(edit(back, requester(), c));
  EXPECT_EQ(back.status, Status::changes_requested);
  EXPECT_EQ(back.content.title, "Renamed");
}

// ================================================================================== submit

TEST(Submit, OnlyTheRequester) {
  expect_unchanged_after(draft(), K::forbidden,
                         [](ExceptionRequest& r) { return submit(r, head(), slots(), 90, 1, kSubmitted); });
}

TEST(Submit, OnlyFromDraftOrChangesRequested) {
  for (auto r : {in_department_review(), in_policy_review(), active(), denied()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
      return submit(x, requester(), slots(), 90, 1, kSubmitted);
    });
}

TEST(Submit, IncompleteContentNamesEachField) {
  auto r = draft();
  r.content.justification.clear();
  r.content.type.reset();
  auto result = submit(r, requester(), slots(), 90, 1, kSubmitted);
  expect_refused(result, K::invalid, "justification");
  expect_refused(result, K::invalid, "type");
  EXPECT_EQ(r.status, Status::draft);
  EXPECT_TRUE(r.approvals.empty());

  // end_on beyond the matrix's maximum: 2026-01-01 + 59 days is too far for max_days 30.
  expect_unchanged_after(
      draft(), K::invalid,
      [](ExceptionRequest& x) { return submit(x, requester(), slots(), 30, 1, kSubmitted); }, "end_on");
}

TEST(Submit, MovesToDepartmentReviewWithTheApprovals) {
  auto r = draft();
  EXPECT_OK(submit(r, requester(), slots(), 90, 3, kSubmitted));
  EXPECT_EQ(r.status, Status::department_review);
  EXPECT_EQ(r.approvals, slots());
  EXPECT_EQ(r.max_days, 90);
  EXPECT_EQ(r.matrix_version, 3);
  EXPECT_EQ(r.submitted_at, kSubmitted);
}

TEST(Submit, ResubmitReplacesEarlierDecisions) {
  auto r = in_policy_review();
  must(decide(r, sec(), "compliance", compliance_ok(), kSlots));
  must(decide(r, dpo(), "data_owner", changes(), kSlots));
  ASSERT_EQ(r.status, Status::changes_requested);
  ASSERT_TRUE(r.implications);
  const Instant later = at("2026-01-20T08:00:00Z");
  EXPECT_OK(submit(r, requester(), slots(), 60, 4, later));
  EXPECT_EQ(r.status, Status::department_review);
  EXPECT_EQ(r.approvals, slots());  // every slot pending again
  EXPECT_FALSE(r.implications);
  EXPECT_TRUE(r.frameworks.empty());
  EXPECT_EQ(r.max_days, 60);
  EXPECT_EQ(r.matrix_version, 4);
  EXPECT_EQ(r.submitted_at, later);
}

// ================================================================================== decide

TEST(Decide, UnknownSlotIsNotFound) {
  expect_unchanged_after(in_department_review(), K::not_found, [](ExceptionRequest& r) {
    return decide(r, head(), "nonexistent", approve(), kFirst);
  });
}

TEST(Decide, RequesterCannotApproveOwnRequest) {
  auto r = in_department_review();
  r.approvals[0].eligible.push_back(requester().email);  // even if listed by mistake
  expect_unchanged_after(r, K::forbidden, [](ExceptionRequest& x) {
    return decide(x, requester(), "department", approve(), kFirst);
  });
}

TEST(Decide, OnlyAnEligibleApprover) {
  for (const auto& a : {colleague(), owner(), sec(), maintainer(), other_head()})
    expect_unchanged_after(in_department_review(), K::forbidden, [&](ExceptionRequest& r) {
      return decide(r, a, "department", approve(), kFirst);
    });
  expect_unchanged_after(in_policy_review(), K::forbidden, [](ExceptionRequest& r) {
    return decide(r, legal(), "compliance", compliance_ok(), kSlots);
  });
}

TEST(Decide, DepartmentApproveMovesToPolicyReview) {
  auto r = in_department_review();
  auto d = approve();
  d.comment = "fine by me";
  EXPECT_OK(decide(r, head(), "department", d, kFirst));
  EXPECT_EQ(r.status, Status::policy_review);
  const auto* s = r.find_slot("department");
  EXPECT_EQ(s->status, SlotStatus::approved);
  EXPECT_EQ(s->by, head().email);
  EXPECT_EQ(s->at, kFirst);
  EXPECT_EQ(s->comment, "fine by me");
  EXPECT_EQ(r.find_slot("compliance")->status, SlotStatus::pending);
}

TEST(Decide, RejectDenies) {
  auto r = in_department_review();
  EXPECT_OK(decide(r, head(), "department", reject(), kFirst));
  EXPECT_EQ(r.status, Status::denied);
  EXPECT_EQ(r.denied_at, kFirst);
  EXPECT_EQ(r.decided_at, kFirst);
  EXPECT_EQ(r.find_slot("department")->status, SlotStatus::rejected);

  auto p = in_policy_review();  // any slot of policy_review
  EXPECT_OK(decide(p, dpo(), "data_owner", reject(), kSlots));
  EXPECT_EQ(p.status, Status::denied);
  EXPECT_EQ(p.denied_at, kSlots);
}

TEST(Decide, RequestChangesSendsBackToTheRequester) {
  auto r = in_department_review();
  EXPECT_OK(decide(r, head(), "department", changes(), kFirst));
  EXPECT_EQ(r.status, Status::changes_requested);
  EXPECT_EQ(r.find_slot("department")->status, SlotStatus::changes_requested);
  EXPECT_FALSE(r.denied_at);

  auto p = in_policy_review();
  EXPECT_OK(decide(p, sec(), "compliance", changes(), kSlots));
  EXPECT_EQ(p.status, Status::changes_requested);
}

TEST(Decide, SlotsOnlyInTheirStage) {
  // policy_review slots while in department_review
  expect_unchanged_after(in_department_review(), K::conflict, [](ExceptionRequest& r) {
    return decide(r, sec(), "compliance", compliance_ok(), kFirst);
  });
  expect_unchanged_after(in_department_review(), K::conflict,
                         [](ExceptionRequest& r) { return decide(r, owner(), "owner", reject(), kFirst); });
  // nothing after the decision
  expect_unchanged_after(denied(), K::conflict, [](ExceptionRequest& r) {
    return decide(r, sec(), "compliance", compliance_ok(), kSlots);
  });
}

TEST(Decide, AnAlreadyFilledSlotIsAConflict) {
  // The department head again, once the request moved on.
  expect_unchanged_after(in_policy_review(), K::conflict, [](ExceptionRequest& r) {
    return decide(r, head(), "department", approve(), kSlots);
  });
  // Another eligible member on a slot someone else filled.
  auto r = in_policy_review();
  must(decide(r, sec(), "compliance", compliance_ok(), kSlots));
  expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
    return decide(x, sec2(), "compliance", compliance_ok(), kSlots);
  });
  // The same person on the same slot.
  expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
    return decide(x, sec(), "compliance", compliance_ok(), kSlots);
  });
}

TEST(Decide, OnePersonCannotFillTwoSlots) {
  auto r = in_policy_review();
  must(decide(r, sec2(), "compliance", compliance_ok(), kSlots));  // sec2 is eligible for both
  expect_unchanged_after(r, K::forbidden, [](ExceptionRequest& x) {
    return decide(x, sec2(), "data_owner", approve(), kSlots);
  });
  EXPECT_OK(decide(r, dpo(), "data_owner", approve(), kSlots));
}

TEST(Decide, ComplianceApproveNeedsImplications) {
  expect_unchanged_after(
      in_policy_review(), K::invalid,
      [](ExceptionRequest& r) { return decide(r, sec(), "compliance", approve(), kSlots); }, "implications");
  for (auto imp : {Implications::current, Implications::planned})
    expect_unchanged_after(
        in_policy_review(), K::invalid,
        [&](ExceptionRequest& r) {
          return decide(r, sec(), "compliance", SlotDecision{.implications = imp}, kSlots);
        },
        "frameworks");
  expect_unchanged_after(
      in_policy_review(), K::invalid,
      [](ExceptionRequest& r) {
        auto d = compliance_ok();
        d.frameworks.push_back(std::string(kMaxShort + 1, 'f'));
        return decide(r, sec(), "compliance", d, kSlots);
      },
      "frameworks.1");
}

TEST(Decide, ComplianceApproveRecordsTheAssessment) {
  auto r = in_policy_review();
  EXPECT_OK(decide(r, sec(), "compliance", SlotDecision{.implications = Implications::none}, kSlots));
  EXPECT_EQ(r.status, Status::policy_review);
  EXPECT_EQ(r.implications, Implications::none);
  EXPECT_TRUE(r.frameworks.empty());
  EXPECT_EQ(r.find_slot("compliance")->status, SlotStatus::approved);

  auto s = in_policy_review();
  EXPECT_OK(decide(s, sec(), "compliance", compliance_ok(), kSlots));
  EXPECT_EQ(s.implications, Implications::current);
  EXPECT_EQ(s.frameworks, Strings{"SOC 2"});
}

TEST(Decide, CommentIsChecked) {
  expect_unchanged_after(
      in_department_review(), K::invalid,
      [](ExceptionRequest& r) {
        auto d = approve();
        d.comment = std::string(kMaxText + 1, 'c');
        return decide(r, head(), "department", d, kFirst);
      },
      "comment");
}

TEST(Decide, OwnerApproveWaitsForTheOtherRequiredSlots) {
  expect_unchanged_after(in_policy_review(), K::conflict,
                         [](ExceptionRequest& r) { return decide(r, owner(), "owner", owner_ok(), kSlots); });
  auto r = in_policy_review();
  must(decide(r, sec(), "compliance", compliance_ok(), kSlots));
  expect_unchanged_after(r, K::conflict,
                         [](ExceptionRequest& x) { return decide(x, owner(), "owner", owner_ok(), kSlots); });
  // Even when the decision itself is incomplete, the state answers first.
  expect_unchanged_after(r, K::conflict,
                         [](ExceptionRequest& x) { return decide(x, owner(), "owner", approve(), kSlots); });
}

TEST(Decide, SlotsThatAreNotRequiredDoNotHoldTheOwnerBack) {
  auto r = in_policy_review();
  r.find_slot("data_owner")->required = false;
  must(decide(r, sec(), "compliance", compliance_ok(), kSlots));
  EXPECT_OK(decide(r, owner(), "owner", owner_ok(), kDecided));
  EXPECT_EQ(r.status, Status::active);
}

TEST(Decide, OwnerMayRejectOrRequestChangesAtAnyPointOfPolicyReview) {
  auto r = in_policy_review();
  auto d = reject();
  d.risk_level = RiskLevel::critical;
  EXPECT_OK(decide(r, owner(), "owner", d, kSlots));
  EXPECT_EQ(r.status, Status::denied);
  EXPECT_EQ(r.denied_at, kSlots);
  EXPECT_EQ(r.risk_level, RiskLevel::critical);  // kept for a later appeal

  auto c = in_policy_review();
  EXPECT_OK(decide(c, owner(), "owner", changes(), kSlots));
  EXPECT_EQ(c.status, Status::changes_requested);
}

TEST(Decide, OwnerApproveNeedsRiskControlsAndEndDate) {
  const auto r = awaiting_owner();
  auto refused_on = [&](const std::string& field, auto change) {
    auto d = owner_ok();
    change(d);
    expect_unchanged_after(
        r, K::invalid, [&](ExceptionRequest& x) { return decide(x, owner(), "owner", d, kDecided); }, field);
  };
  refused_on("risk_level", [](SlotDecision& d) { d.risk_level.reset(); });
  refused_on("compensating_controls", [](SlotDecision& d) { d.compensating_controls.reset(); });
  refused_on("compensating_controls",
             [](SlotDecision& d) { d.compensating_controls = std::vector<CompensatingControl>{}; });
  refused_on("compensating_controls.0.description",
             [](SlotDecision& d) { (*d.compensating_controls)[0].description = " "; });
  refused_on("end_on", [](SlotDecision& d) { d.end_on.reset(); });
  refused_on("end_on", [](SlotDecision& d) { d.end_on = day("2025-12-31"); });  // before start
  refused_on("end_on", [](SlotDecision& d) { d.end_on = day("2026-04-02"); });  // 91 days
  for (auto level : {RiskLevel::high, RiskLevel::critical})
    refused_on("action_plan", [&](SlotDecision& d) { d.risk_level = level; });
  refused_on("action_plan", [](SlotDecision& d) {
    d.risk_level = RiskLevel::high;
    d.action_plan = " \n ";
  });
}

TEST(Decide, OwnerApproveMakesTheRequestActive) {
  auto r = awaiting_owner();
  auto d = owner_ok();
  d.end_on = day("2026-04-01");  // exactly max_days after start_on
  EXPECT_OK(decide(r, owner(), "owner", d, kDecided));
  EXPECT_EQ(r.status, Status::active);
  EXPECT_EQ(r.risk_level, RiskLevel::medium);
  EXPECT_EQ(r.decision_end_on, day("2026-04-01"));
  EXPECT_EQ(r.decided_at, kDecided);
  EXPECT_FALSE(r.denied_at);
  // The owner's controls replace the request's.
  EXPECT_EQ(r.content.compensating_controls, *d.compensating_controls);
  EXPECT_EQ(r.find_slot("owner")->status, SlotStatus::approved);
  EXPECT_EQ(r.find_slot("owner")->by, owner().email);

  auto high = awaiting_owner();
  auto h = owner_ok();
  h.risk_level = RiskLevel::high;
  h.action_plan = "Replace the VPN by March.";
  EXPECT_OK(decide(high, owner(), "owner", h, kDecided));
  EXPECT_EQ(high.status, Status::active);
  EXPECT_EQ(high.action_plan, "Replace the VPN by March.");
  EXPECT_EQ(high.risk_level, RiskLevel::high);
}

// ================================================================================== withdraw

TEST(Withdraw, OnlyTheRequester) {
  for (const auto& a : {head(), owner(), sec()})
    expect_unchanged_after(in_department_review(), K::forbidden,
                           [&](ExceptionRequest& r) { return withdraw(r, a, ""); });
}

TEST(Withdraw, OnlyBeforeADecision) {
  for (auto r : {active(), denied(), in_appeal_legal()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) { return withdraw(x, requester(), ""); });
}

TEST(Withdraw, ReasonIsChecked) {
  expect_unchanged_after(
      draft(), K::invalid, [](ExceptionRequest& r) { return withdraw(r, requester(), "bad\x01"); }, "reason");
}

TEST(Withdraw, FromEveryUndecidedState) {
  auto changes_requested = in_department_review();
  must(decide(changes_requested, head(), "department", changes(), kFirst));
  for (auto r : {draft(), changes_requested, in_department_review(), in_policy_review()}) {
    const auto from = r.status;
    EXPECT_OK(withdraw(r, requester(), "no longer needed"));
    EXPECT_EQ(r.status, Status::withdrawn) << to_string(from);
    EXPECT_EQ(r.closed_reason, "no longer needed");
  }
  auto r = draft();
  EXPECT_OK(withdraw(r, requester(), ""));  // the reason is optional
  EXPECT_EQ(r.status, Status::withdrawn);
}

// ================================================================================== appeal

TEST(Appeal, OnlyTheRequesterOrTheirDepartmentHead) {
  for (const auto& a : {colleague(), owner(), sec(), other_head(), ceo()})
    expect_unchanged_after(denied(), K::forbidden,
                           [&](ExceptionRequest& r) { return appeal(r, a, "reason", kDecided, kSettings); });
}

TEST(Appeal, OnlyWhenDenied) {
  for (auto r : {in_policy_review(), active(), in_appeal_legal()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
      return appeal(x, requester(), "reason", kDecided, kSettings);
    });
}

TEST(Appeal, OnlyWithinTheWindow) {
  const Instant last = Instant{kDecided.seconds + 30 * 86400};
  expect_unchanged_after(denied(), K::conflict, [&](ExceptionRequest& r) {
    return appeal(r, requester(), "reason", Instant{last.seconds + 1}, kSettings);
  });
  auto r = denied();
  EXPECT_OK(appeal(r, requester(), "reason", last, kSettings));
  // A configured window.
  const ProcessSettings ten{.appeal_window_days = 10};
  expect_unchanged_after(denied(), K::conflict, [&](ExceptionRequest& x) {
    return appeal(x, requester(), "reason", Instant{kDecided.seconds + 11 * 86400}, ten);
  });
  auto s = denied();
  EXPECT_OK(appeal(s, requester(), "reason", Instant{kDecided.seconds + 10 * 86400}, ten));
}

TEST(Appeal, ReasonIsRequired) {
  for (const char* reason : {"", "   ", "x\x02"})
    expect_unchanged_after(
        denied(), K::invalid,
        [&](ExceptionRequest& r) { return appeal(r, requester(), reason, kDecided, kSettings); }, "reason");
}

TEST(Appeal, MovesToAppealLegal) {
  auto r = denied();
  const Instant when = at("2026-01-10T12:00:00Z");
  EXPECT_OK(appeal(r, requester(), "Please reconsider.", when, kSettings));
  EXPECT_EQ(r.status, Status::appeal_legal);
  EXPECT_EQ(r.appeal.reason, "Please reconsider.");
  EXPECT_EQ(r.appeal.by, requester().email);
  EXPECT_EQ(r.appeal.at, when);

  auto h = denied();
  EXPECT_OK(appeal(h, head(), "On behalf of my team.", when, kSettings));
  EXPECT_EQ(h.status, Status::appeal_legal);
  EXPECT_EQ(h.appeal.by, head().email);
}

// ================================================================================== legal opinion

TEST(LegalOpinion, OnlyLegalAndNotTheRequester) {
  for (const auto& a : {sec(), ceo(), owner(), requester()})
    expect_unchanged_after(in_appeal_legal(), K::forbidden,
                           [&](ExceptionRequest& r) { return legal_opinion(r, a, "opinion", kDecided); });
  auto r = in_appeal_legal();
  auto lawyer_requester = requester();
  lawyer_requester.roles = {Role::legal};
  expect_unchanged_after(r, K::forbidden, [&](ExceptionRequest& x) {
    return legal_opinion(x, lawyer_requester, "opinion", kDecided);
  });
}

TEST(LegalOpinion, OnlyInAppealLegal) {
  for (auto r : {denied(), in_appeal_executive(), active()})
    expect_unchanged_after(
        r, K::conflict, [](ExceptionRequest& x) { return legal_opinion(x, legal(), "opinion", kDecided); });
}

TEST(LegalOpinion, OpinionIsRequired) {
  expect_unchanged_after(
      in_appeal_legal(), K::invalid,
      [](ExceptionRequest& r) { return legal_opinion(r, legal(), " ", kDecided); }, "opinion");
}

TEST(LegalOpinion, MovesToAppealExecutive) {
  auto r = in_appeal_legal();
  EXPECT_OK(legal_opinion(r, legal(), "No legal obstacle.", kSlots));
  EXPECT_EQ(r.status, Status::appeal_executive);
  EXPECT_EQ(r.appeal.legal_opinion, "No legal obstacle.");
  EXPECT_EQ(r.appeal.legal_by, legal().email);
  EXPECT_EQ(r.appeal.legal_at, kSlots);
  EXPECT_EQ(r.appeal.reason, "The risk is lower than assessed.");  // the appeal is kept
}

// ================================================================================== dispose

const Instant kDisposed = at("2026-01-15T10:00:00Z");

TEST(Dispose, OnlyTheCeoOrCfoAndNotTheRequester) {
  for (const auto& a : {legal(), sec(), owner(), head(), auditor()})
    expect_unchanged_after(in_appeal_executive(), K::forbidden, [&](ExceptionRequest& r) {
      return dispose(r, a, Disposition::grant, "", std::nullopt, kDisposed);
    });
  auto exec_requester = requester();
  exec_requester.roles = {Role::ceo};
  expect_unchanged_after(in_appeal_executive(), K::forbidden, [&](ExceptionRequest& r) {
    return dispose(r, exec_requester, Disposition::grant, "", std::nullopt, kDisposed);
  });
  // Asking to record under a role one does not hold.
  expect_unchanged_after(in_appeal_executive(), K::forbidden, [](ExceptionRequest& r) {
    return dispose(r, ceo(), Disposition::grant, "", Role::cfo, kDisposed);
  });
  // A role that records no disposition at all.
  expect_unchanged_after(
      in_appeal_executive(), K::invalid,
      [](ExceptionRequest& r) {
        return dispose(r, both_execs(), Disposition::grant, "", Role::legal, kDisposed);
      },
      "as");
}

TEST(Dispose, OnlyInAppealExecutive) {
  for (auto r : {in_appeal_legal(), denied(), active()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
      return dispose(x, ceo(), Disposition::grant, "", std::nullopt, kDisposed);
    });
}

TEST(Dispose, CommentIsChecked) {
  expect_unchanged_after(
      in_appeal_executive(), K::invalid,
      [](ExceptionRequest& r) {
        return dispose(r, ceo(), Disposition::grant, "\x03", std::nullopt, kDisposed);
      },
      "comment");
}

TEST(Dispose, StaysInAppealExecutiveAfterOne) {
  for (auto first : {Disposition::grant, Disposition::uphold}) {
    auto r = in_appeal_executive();
    EXPECT_OK(dispose(r, ceo(), first, "my view", std::nullopt, kDisposed));
    EXPECT_EQ(r.status, Status::appeal_executive);
    ASSERT_EQ(r.appeal.dispositions.size(), 1u);
    EXPECT_EQ(r.appeal.dispositions[0],
              (ExecutiveDisposition{Role::ceo, ceo().email, first, "my view", kDisposed}));
    EXPECT_FALSE(r.decision_end_on);
  }
}

TEST(Dispose, BothGrantMakesTheRequestActive) {
  auto r = in_appeal_executive();
  must(dispose(r, ceo(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_OK(dispose(r, cfo(), Disposition::grant, "", std::nullopt, kSlots));
  EXPECT_EQ(r.status, Status::active);
  ASSERT_EQ(r.appeal.dispositions.size(), 2u);
  EXPECT_EQ(r.appeal.dispositions[1].role, Role::cfo);
  EXPECT_EQ(r.decided_at, kSlots);
  EXPECT_EQ(r.decision_end_on, day("2026-03-01"));  // the requested end, within max_days
  EXPECT_EQ(r.risk_level, RiskLevel::high);         // what the owner recorded on rejecting
  EXPECT_EQ(r.content.compensating_controls, content().compensating_controls);
}

TEST(Dispose, GrantedEndIsCappedAtMaxDays) {
  auto r = in_appeal_executive();
  r.max_days = 30;
  must(dispose(r, cfo(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_OK(dispose(r, ceo(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_EQ(r.status, Status::active);
  EXPECT_EQ(r.decision_end_on, day("2026-01-31"));  // start_on + 30
}

TEST(Dispose, OneUpholdMakesItDeniedFinal) {
  for (auto [a, b] : {std::pair{Disposition::uphold, Disposition::grant},
                      std::pair{Disposition::grant, Disposition::uphold},
                      std::pair{Disposition::uphold, Disposition::uphold}}) {
    auto r = in_appeal_executive();
    must(dispose(r, ceo(), a, "", std::nullopt, kDisposed));
    EXPECT_OK(dispose(r, cfo(), b, "", std::nullopt, kDisposed));
    EXPECT_EQ(r.status, Status::denied_final);
    EXPECT_FALSE(r.decision_end_on);
    EXPECT_EQ(r.decided_at, kDisposed);
  }
}

TEST(Dispose, TheSamePersonCannotRecordBothEvenWithBothRoles) {
  auto r = in_appeal_executive();
  must(dispose(r, both_execs(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_EQ(r.appeal.dispositions[0].role, Role::ceo);
  expect_unchanged_after(r, K::forbidden, [](ExceptionRequest& x) {
    return dispose(x, both_execs(), Disposition::grant, "", std::nullopt, kDisposed);
  });
  expect_unchanged_after(r, K::forbidden, [](ExceptionRequest& x) {
    return dispose(x, both_execs(), Disposition::grant, "", Role::cfo, kDisposed);
  });
  EXPECT_OK(dispose(r, cfo(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_EQ(r.status, Status::active);
}

TEST(Dispose, ARoleCannotRecordTwice) {
  auto r = in_appeal_executive();
  must(dispose(r, ceo(), Disposition::grant, "", std::nullopt, kDisposed));
  expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
    return dispose(x, ceo2(), Disposition::uphold, "", std::nullopt, kDisposed);
  });
  expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
    return dispose(x, both_execs(), Disposition::uphold, "", Role::ceo, kDisposed);
  });
}

TEST(Dispose, SomeoneWithBothRolesTakesTheOneNotYetRecorded) {
  auto r = in_appeal_executive();
  must(dispose(r, ceo(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_OK(dispose(r, both_execs(), Disposition::grant, "", std::nullopt, kDisposed));
  ASSERT_EQ(r.appeal.dispositions.size(), 2u);
  EXPECT_EQ(r.appeal.dispositions[1].role, Role::cfo);
  EXPECT_EQ(r.appeal.dispositions[1].by, both_execs().email);
  EXPECT_EQ(r.status, Status::active);
}

// ================================================================================== invite

TEST(Invite, OnlyTheOwnerOrSecurityCompliance) {
  for (const auto& a : {requester(), head(), maintainer(), legal(), auditor()})
    expect_unchanged_after(in_policy_review(), K::forbidden,
                           [&](ExceptionRequest& r) { return invite(r, a, as_user(expert()), "", kSlots); });
}

TEST(Invite, OnlyWhileUnderReviewOrAppeal) {
  for (auto r : {draft(), active(), denied()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) {
      return invite(x, owner(), as_user(expert()), "", kSlots);
    });
}

TEST(Invite, InvalidOrRepeatedInvitations) {
  expect_unchanged_after(
      in_policy_review(), K::invalid,
      [](ExceptionRequest& r) { return invite(r, owner(), as_user(requester()), "", kSlots); }, "email");
  expect_unchanged_after(
      in_policy_review(), K::invalid,
      [](ExceptionRequest& r) {
        return invite(r, owner(), as_user(expert()), std::string(kMaxText + 1, 'n'), kSlots);
      },
      "note");
  auto r = in_policy_review();
  must(invite(r, owner(), as_user(expert()), "", kSlots));
  expect_unchanged_after(r, K::conflict,
                         [](ExceptionRequest& x) { return invite(x, sec(), as_user(expert()), "", kSlots); });
}

TEST(Invite, RecordsTheInvitationInEveryReviewState) {
  for (auto r : {in_department_review(), in_policy_review(), in_appeal_legal(), in_appeal_executive()}) {
    const auto status = r.status;
    EXPECT_FALSE(can_see(expert(), r));
    EXPECT_OK(invite(r, sec(), as_user(expert()), "network expert", kSlots));
    EXPECT_EQ(r.status, status);
    ASSERT_EQ(r.invitations.size(), 1u);
    EXPECT_EQ(r.invitations[0], (Invitation{expert().email, "network expert", sec().email, kSlots}));
    EXPECT_TRUE(r.is_invited(expert().email));
    EXPECT_TRUE(can_see(expert(), r));
  }
  auto r = in_policy_review();
  EXPECT_OK(invite(r, owner(), as_user(expert()), "", kSlots));
}

// ================================================================================== comment

TEST(Comment, AuditorOnlyActorIsRefused) {
  expect_refused(comment(active(), auditor(), "looks fine"), K::forbidden);
  // The auditor role alongside another reason to take part is fine.
  auto audit_admin = person("aa@example.com", {Role::auditor, Role::admin});
  EXPECT_OK(comment(active(), audit_admin, "note"));
  auto audit_maint = maintainer();
  audit_maint.roles = {Role::auditor};
  EXPECT_OK(comment(active(), audit_maint, "note"));
}

TEST(Comment, OnlyOnLiveRequests) {
  auto withdrawn = draft();
  must(withdraw(withdrawn, requester(), ""));
  auto closed = active();
  must(close(closed, requester(), "done"));
  for (const auto& r : {withdrawn, closed}) expect_refused(comment(r, requester(), "hello"), K::conflict);
}

TEST(Comment, BodyIsRequired) {
  expect_refused(comment(active(), requester(), " "), K::invalid, "body");
  expect_refused(comment(active(), requester(), std::string(kMaxText + 1, 'b')), K::invalid, "body");
}

TEST(Comment, ParticipantsAndRolesMayComment) {
  for (auto r : {draft(), in_policy_review(), denied(), in_appeal_executive(), active()}) {
    EXPECT_OK(comment(r, requester(), "hello"));
    EXPECT_OK(comment(r, sec(), "hello"));
  }
  auto r = in_policy_review();
  must(invite(r, owner(), as_user(expert()), "", kSlots));
  EXPECT_OK(comment(r, expert(), "my input"));
}

// ================================================================================== review

TEST(Review, OnlyTheOwnerOrSecurityCompliance) {
  for (const auto& a : {requester(), head(), legal(), maintainer()})
    expect_refused(review(active(), a, "checked"), K::forbidden);
}

TEST(Review, OnlyWhenActive) {
  for (const auto& r : {in_policy_review(), denied(), draft()})
    expect_refused(review(r, owner(), "checked"), K::conflict);
}

TEST(Review, NotesAreRequired) { expect_refused(review(active(), owner(), ""), K::invalid, "notes"); }

TEST(Review, AcceptedOnAnActiveRequest) {
  EXPECT_OK(review(active(), owner(), "Controls verified."));
  EXPECT_OK(review(active(), sec(), "Controls verified."));
}

// ================================================================================== close

TEST(Close, OnlyTheRequesterOrTheOwner) {
  for (const auto& a : {sec(), head(), maintainer(), colleague()})
    expect_unchanged_after(active(), K::forbidden, [&](ExceptionRequest& r) { return close(r, a, "done"); });
}

TEST(Close, OnlyWhenActive) {
  for (auto r : {in_policy_review(), denied(), draft()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) { return close(x, requester(), "done"); });
}

TEST(Close, ReasonIsRequired) {
  expect_unchanged_after(
      active(), K::invalid, [](ExceptionRequest& r) { return close(r, requester(), ""); }, "reason");
}

TEST(Close, MovesToClosed) {
  for (const auto& a : {requester(), owner()}) {
    auto r = active();
    EXPECT_OK(close(r, a, "VPN replaced"));
    EXPECT_EQ(r.status, Status::closed);
    EXPECT_EQ(r.closed_reason, "VPN replaced");
  }
}

// ================================================================================== revoke

TEST(Revoke, OnlyTheOwnerOrSecurityCompliance) {
  for (const auto& a : {requester(), head(), maintainer(), legal()})
    expect_unchanged_after(active(), K::forbidden,
                           [&](ExceptionRequest& r) { return revoke(r, a, "breach"); });
}

TEST(Revoke, OnlyWhenActive) {
  for (auto r : {in_policy_review(), denied()})
    expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) { return revoke(x, sec(), "breach"); });
}

TEST(Revoke, ReasonIsRequired) {
  expect_unchanged_after(
      active(), K::invalid, [](ExceptionRequest& r) { return revoke(r, owner(), "  "); }, "reason");
}

TEST(Revoke, MovesToRevoked) {
  for (const auto& a : {owner(), sec()}) {
    auto r = active();
    EXPECT_OK(revoke(r, a, "breach"));
    EXPECT_EQ(r.status, Status::revoked);
    EXPECT_EQ(r.closed_reason, "breach");
  }
}

// ================================================================================== extension

const Instant kExtended = at("2026-02-10T10:00:00Z");

TEST(Extension, OnlyTheRequester) {
  for (const auto& a : {owner(), head(), sec()})
    expect_refused(extension_of(active(), a, day("2026-03-15"), "more time", kExtended), K::forbidden);
}

TEST(Extension, ParentMustBeActive) {
  for (const auto& r : {in_policy_review(), denied(), draft()})
    expect_refused(extension_of(r, requester(), day("2026-03-15"), "more time", kExtended), K::conflict);
  auto closed = active();
  must(close(closed, requester(), "done"));
  expect_refused(extension_of(closed, requester(), day("2026-03-15"), "more time", kExtended), K::conflict);
}

TEST(Extension, EndMustBeLaterThanTheParentsEnd) {
  const auto parent = active();  // decided end 2026-02-15
  expect_refused(extension_of(parent, requester(), std::nullopt, "more time", kExtended), K::invalid,
                 "end_on");
  expect_refused(extension_of(parent, requester(), day("2026-02-15"), "more time", kExtended), K::invalid,
                 "end_on");
  expect_refused(extension_of(parent, requester(), day("2026-02-01"), "more time", kExtended), K::invalid,
                 "end_on");
  EXPECT_TRUE(extension_of(parent, requester(), day("2026-02-16"), "more time", kExtended));
}

TEST(Extension, JustificationIsRequired) {
  expect_refused(extension_of(active(), requester(), day("2026-03-15"), " ", kExtended), K::invalid,
                 "justification");
  expect_refused(extension_of(active(), requester(), day("2026-03-15"), "a\x01", kExtended), K::invalid,
                 "justification");
}

TEST(Extension, ANewDraftCopyingTheParent) {
  const auto parent = active();
  auto ext = extension_of(parent, requester(), day("2026-04-30"), "Vendor delayed.", kExtended);
  ASSERT_TRUE(ext) << ext.error().detail;
  EXPECT_EQ(ext->status, Status::draft);
  EXPECT_EQ(ext->parent_id, parent.id);
  EXPECT_EQ(ext->requester, parent.requester);
  EXPECT_EQ(ext->requester_name, parent.requester_name);
  EXPECT_EQ(ext->department, parent.department);
  EXPECT_EQ(ext->content.start_on, parent.decision_end_on);  // the parent's end date
  EXPECT_EQ(ext->content.end_on, day("2026-04-30"));
  EXPECT_EQ(ext->content.justification, "Vendor delayed.");
  // Everything else is the parent's, with its decided controls.
  auto expected = parent.content;
  expected.start_on = day("2026-02-15");
  expected.end_on = day("2026-04-30");
  expected.justification = "Vendor delayed.";
  EXPECT_EQ(ext->content, expected);
  EXPECT_EQ(ext->content.compensating_controls, *owner_ok().compensating_controls);
  EXPECT_TRUE(ext->approvals.empty());
  EXPECT_FALSE(ext->risk_level);
  EXPECT_FALSE(ext->decision_end_on);
  EXPECT_EQ(ext->created_at, kExtended);
  EXPECT_EQ(parent.status, Status::active);
}

// ================================================================================== expiry

TEST(Expiry, ValidThroughTheEndDateExpiresTheNextDay) {
  auto r = active();  // decided end 2026-02-15
  EXPECT_FALSE(is_past_end(r, at("2026-02-15T00:00:00Z")));
  EXPECT_FALSE(is_past_end(r, at("2026-02-15T23:59:59Z")));
  expect_unchanged_after(r, K::conflict,
                         [](ExceptionRequest& x) { return expire(x, at("2026-02-15T23:59:59Z")); });
  EXPECT_TRUE(is_past_end(r, at("2026-02-16T00:00:00Z")));
  EXPECT_OK(expire(r, at("2026-02-16T00:00:00Z")));
  EXPECT_EQ(r.status, Status::expired);
  EXPECT_FALSE(is_past_end(r, at("2026-03-01T00:00:00Z")));  // no longer active
}

TEST(Expiry, OnlyActiveRequestsExpire) {
  for (auto r : {denied(), in_policy_review()}) {
    r.decision_end_on = day("2026-01-10");
    EXPECT_FALSE(is_past_end(r, at("2027-01-01T00:00:00Z")));
    expect_unchanged_after(r, K::conflict,
                           [](ExceptionRequest& x) { return expire(x, at("2027-01-01T00:00:00Z")); });
  }
}

TEST(Supersede, ActiveParentBecomesSuperseded) {
  auto r = active();
  EXPECT_OK(supersede(r));
  EXPECT_EQ(r.status, Status::superseded);
  expect_unchanged_after(r, K::conflict, [](ExceptionRequest& x) { return supersede(x); });
  expect_unchanged_after(draft(), K::conflict, [](ExceptionRequest& x) { return supersede(x); });
}

// ================================================================================== allowed actions

Strings actions(const Actor& a, const ExceptionRequest& r, Instant now = kDecided) {
  return allowed_actions(a, r, now, kSettings);
}

TEST(AllowedActions, RequesterOnADraft) {
  EXPECT_EQ(actions(requester(), draft()), (Strings{"edit", "submit", "withdraw", "comment"}));
  EXPECT_EQ(actions(colleague(), draft()), Strings{});
}

TEST(AllowedActions, DepartmentReview) {
  const auto r = in_department_review();
  EXPECT_EQ(actions(requester(), r), (Strings{"withdraw", "comment"}));
  EXPECT_EQ(actions(head(), r), (Strings{"decide:department", "comment"}));
  EXPECT_EQ(actions(owner(), r), (Strings{"invite", "comment"}));
  EXPECT_EQ(actions(sec(), r), (Strings{"invite", "comment"}));
}

TEST(AllowedActions, PolicyReview) {
  const auto r = in_policy_review();
  EXPECT_EQ(actions(head(), r), Strings{"comment"});  // filled its slot already
  EXPECT_EQ(actions(sec(), r), (Strings{"decide:compliance", "invite", "comment"}));
  EXPECT_EQ(actions(sec2(), r), (Strings{"decide:compliance", "decide:data_owner", "invite", "comment"}));
  EXPECT_EQ(actions(owner(), r), (Strings{"decide:owner", "invite", "comment"}));
  EXPECT_EQ(actions(dpo(), r), (Strings{"decide:data_owner", "comment"}));

  auto s = r;
  must(decide(s, sec2(), "compliance", compliance_ok(), kSlots));
  EXPECT_EQ(actions(sec2(), s), (Strings{"invite", "comment"}));  // one slot per person
  EXPECT_EQ(actions(sec(), s), (Strings{"invite", "comment"}));   // slot taken
}

TEST(AllowedActions, Active) {
  const auto r = active();
  EXPECT_EQ(actions(requester(), r), (Strings{"comment", "extend", "close"}));
  EXPECT_EQ(actions(owner(), r), (Strings{"comment", "review", "close", "revoke"}));
  EXPECT_EQ(actions(sec(), r), (Strings{"comment", "review", "revoke"}));
  EXPECT_EQ(actions(auditor(), r), Strings{});
  EXPECT_EQ(actions(colleague(), r), Strings{});
}

TEST(AllowedActions, DeniedAndTheAppealWindow) {
  const auto r = denied();
  EXPECT_EQ(actions(requester(), r), (Strings{"comment", "appeal"}));
  EXPECT_EQ(actions(head(), r), (Strings{"comment", "appeal"}));
  const Instant late{kDecided.seconds + 31 * 86400};
  EXPECT_EQ(actions(requester(), r, late), Strings{"comment"});
  EXPECT_EQ(actions(owner(), r), Strings{"comment"});
}

TEST(AllowedActions, Appeal) {
  const auto legal_stage = in_appeal_legal();
  EXPECT_EQ(actions(legal(), legal_stage), (Strings{"comment", "legal_opinion"}));
  EXPECT_EQ(actions(ceo(), legal_stage), Strings{"comment"});
  EXPECT_EQ(actions(sec(), legal_stage), (Strings{"invite", "comment"}));

  auto r = in_appeal_executive();
  EXPECT_EQ(actions(legal(), r), Strings{"comment"});
  EXPECT_EQ(actions(ceo(), r), (Strings{"comment", "disposition"}));
  EXPECT_EQ(actions(cfo(), r), (Strings{"comment", "disposition"}));
  must(dispose(r, ceo(), Disposition::grant, "", std::nullopt, kDisposed));
  EXPECT_EQ(actions(ceo(), r), Strings{"comment"});   // recorded already
  EXPECT_EQ(actions(ceo2(), r), Strings{"comment"});  // the CEO's disposition is in
  EXPECT_EQ(actions(cfo(), r), (Strings{"comment", "disposition"}));
  EXPECT_EQ(actions(both_execs(), r), (Strings{"comment", "disposition"}));
}

// Every action allowed_actions offers is one the matching function accepts.
TEST(AllowedActions, OfferedDispositionIsAccepted) {
  auto r = in_appeal_executive();
  must(dispose(r, ceo(), Disposition::grant, "", std::nullopt, kDisposed));
  for (const auto& a : {ceo2(), cfo(), both_execs(), ceo()}) {
    auto copy = r;
    const auto offered = actions(a, copy);
    const bool offers = std::find(offered.begin(), offered.end(), "disposition") != offered.end();
    EXPECT_EQ(offers, dispose(copy, a, Disposition::grant, "", std::nullopt, kDisposed).has_value())
        << a.email;
  }
}

// ================================================================================== visibility

TEST(CanSee, ParticipantsAndRegisterRoles) {
  const auto r = in_policy_review();
  EXPECT_TRUE(can_see(requester(), r));
  EXPECT_FALSE(can_see(colleague(), r));  // same department, no part in it
  EXPECT_TRUE(can_see(head(), r));
  EXPECT_FALSE(can_see(other_head(), r));
  EXPECT_TRUE(can_see(owner(), r));
  EXPECT_TRUE(can_see(maintainer(), r));
  EXPECT_TRUE(can_see(dpo(), r));  // eligible for a slot
  EXPECT_FALSE(can_see(expert(), r));
  for (auto role : {Role::security_compliance, Role::legal, Role::ceo, Role::cfo, Role::auditor, Role::admin})
    EXPECT_TRUE(can_see(person("someone@example.com", {role}), r)) << to_string(role);

  // Owner and maintainer of another policy see nothing.
  auto other_owner = person("other.owner@example.com");
  other_owner.owns = {"crypto"};
  other_owner.maintains = {"crypto"};
  EXPECT_FALSE(can_see(other_owner, r));
}

TEST(CanSee, WhoFilledASlotAndInvitedExperts) {
  auto r = in_policy_review();
  auto filler = person("former@example.com");
  r.approvals[0].by = filler.email;  // filled, and no longer listed as eligible
  r.approvals[0].eligible.clear();
  EXPECT_TRUE(can_see(filler, r));
  EXPECT_FALSE(can_see(expert(), r));
  must(invite(r, owner(), as_user(expert()), "", kSlots));
  EXPECT_TRUE(can_see(expert(), r));
}

}  // namespace
}  // namespace waiver::domain
