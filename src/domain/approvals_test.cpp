#include "domain/approvals.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace waiver::domain {
namespace {

using Emails = std::vector<std::string>;

ApprovalContext context() {
  ApprovalContext ctx;
  ctx.requester = "ana@example.com";
  ctx.department_head = "head@example.com";
  ctx.policy.id = "access-control";
  ctx.policy.owner = "owner@example.com";
  ctx.policy.maintainers = {"maint2@example.com", "maint1@example.com"};
  ctx.members[Role::security_compliance] = {"sec@example.com"};
  ctx.members[Role::legal] = {"legal@example.com"};
  ctx.known_users = {"ana@example.com", "head@example.com", "owner@example.com", "dpo@example.com",
                     "sec@example.com"};
  return ctx;
}

MatrixOutcome outcome(FirstApproval first = FirstApproval::department_head,
                      std::vector<RequiredSlot> require = {}) {
  return {first, 90, std::move(require)};
}

std::vector<std::string> names(const std::vector<ApprovalSlot>& slots) {
  std::vector<std::string> out;
  for (const auto& s : slots) out.push_back(s.slot);
  return out;
}

const ApprovalSlot& slot(const std::vector<ApprovalSlot>& slots, const std::string& name) {
  for (const auto& s : slots)
    if (s.slot == name) return s;
  throw std::runtime_error("no slot " + name);
}

// The refusal is 422 with exactly these fields.
void expect_refused(const Result<std::vector<ApprovalSlot>>& result, FieldErrors::size_type n,
                    const std::vector<std::string>& fields) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, Refusal::Kind::invalid);
  ASSERT_EQ(result.error().errors.size(), n);
  for (std::size_t i = 0; i < fields.size(); ++i) EXPECT_EQ(result.error().errors[i].field, fields[i]);
}

TEST(Approvals, DefaultSlotsInOrderWithTheirStages) {
  auto slots = compute_approvals(outcome(), context());
  ASSERT_TRUE(slots);
  EXPECT_EQ(names(*slots), (Emails{"department", "compliance", "owner"}));
  EXPECT_EQ(slot(*slots, "department").stage, Status::department_review);
  EXPECT_EQ(slot(*slots, "compliance").stage, Status::policy_review);
  EXPECT_EQ(slot(*slots, "owner").stage, Status::policy_review);
  for (const auto& s : *slots) {
    EXPECT_TRUE(s.required);
    EXPECT_EQ(s.status, SlotStatus::pending);
    EXPECT_TRUE(s.by.empty());
    EXPECT_FALSE(s.at);
  }
}

TEST(Approvals, DepartmentHeadFillsTheDepartmentSlotByDefault) {
  auto slots = compute_approvals(outcome(), context());
  ASSERT_TRUE(slots);
  EXPECT_EQ(slot(*slots, "department").eligible, Emails{"head@example.com"});
}

TEST(Approvals, MaintainersFillTheDepartmentSlotWhenTheMatrixSaysSo) {
  auto slots = compute_approvals(outcome(FirstApproval::maintainers), context());
  ASSERT_TRUE(slots);
  EXPECT_EQ(slot(*slots, "department").eligible, (Emails{"maint1@example.com", "maint2@example.com"}));
}

TEST(Approvals, MaintainersFillTheDepartmentSlotWhenTheRequesterHeadsTheDepartment) {
  auto ctx = context();
  ctx.department_head = ctx.requester;
  auto slots = compute_approvals(outcome(), ctx);
  ASSERT_TRUE(slots);
  EXPECT_EQ(slot(*slots, "department").eligible, (Emails{"maint1@example.com", "maint2@example.com"}));
}

TEST(Approvals, MaintainersFillTheDepartmentSlotWhenThereIsNoHead) {
  auto ctx = context();
  ctx.department_head.clear();
  auto slots = compute_approvals(outcome(), ctx);
  ASSERT_TRUE(slots);
  EXPECT_EQ(slot(*slots, "department").eligible, (Emails{"maint1@example.com", "maint2@example.com"}));
}

TEST(Approvals, ComplianceFromRoleMembers) {
  auto ctx = context();
  ctx.members[Role::security_compliance] = {"sec2@example.com", "sec@example.com", "sec@example.com"};
  auto slots = compute_approvals(outcome(), ctx);
  ASSERT_TRUE(slots);
  EXPECT_EQ(slot(*slots, "compliance").eligible, (Emails{"sec2@example.com", "sec@example.com"}));
}

TEST(Approvals, MatrixSlotsByRoleAndByUserBeforeTheOwner) {
  auto slots = compute_approvals(
      outcome(FirstApproval::department_head,
              {{"legal", Role::legal, ""}, {"data_owner", std::nullopt, "dpo@example.com"}}),
      context());
  ASSERT_TRUE(slots);
  EXPECT_EQ(names(*slots), (Emails{"department", "compliance", "legal", "data_owner", "owner"}));
  EXPECT_EQ(slot(*slots, "legal").eligible, Emails{"legal@example.com"});
  EXPECT_EQ(slot(*slots, "legal").stage, Status::policy_review);
  EXPECT_EQ(slot(*slots, "data_owner").eligible, Emails{"dpo@example.com"});
  EXPECT_EQ(slot(*slots, "data_owner").stage, Status::policy_review);
  EXPECT_EQ(slot(*slots, "owner").eligible, Emails{"owner@example.com"});
  EXPECT_EQ(slots->back().slot, "owner");
}

TEST(Approvals, TheRequesterIsNeverEligible) {
  auto ctx = context();
  ctx.requester = "maint1@example.com";
  ctx.members[Role::security_compliance] = {"maint1@example.com", "sec@example.com"};
  ctx.members[Role::legal] = {"maint1@example.com", "legal@example.com"};
  auto slots = compute_approvals(outcome(FirstApproval::maintainers, {{"legal", Role::legal, ""}}), ctx);
  ASSERT_TRUE(slots);
  for (const auto& s : *slots)
    EXPECT_EQ(std::count(s.eligible.begin(), s.eligible.end(), "maint1@example.com"), 0) << s.slot;
  EXPECT_EQ(slot(*slots, "department").eligible, Emails{"maint2@example.com"});
  EXPECT_EQ(slot(*slots, "compliance").eligible, Emails{"sec@example.com"});
  EXPECT_EQ(slot(*slots, "legal").eligible, Emails{"legal@example.com"});
}

TEST(Approvals, RequesterWhoIsTheOnlyMaintainerLeavesTheDepartmentSlotEmpty) {
  auto ctx = context();
  ctx.requester = "solo@example.com";
  ctx.department_head = "solo@example.com";  // heads the department: maintainers decide
  ctx.policy.maintainers = {"solo@example.com"};
  auto r = compute_approvals(outcome(), ctx);
  expect_refused(r, 1, {"approvals.department"});
}

TEST(Approvals, NoMaintainersAndNoHeadIsRefused) {
  auto ctx = context();
  ctx.department_head.clear();
  ctx.policy.maintainers.clear();
  expect_refused(compute_approvals(outcome(), ctx), 1, {"approvals.department"});
}

TEST(Approvals, UnknownUserSlotIsRefused) {
  auto r = compute_approvals(
      outcome(FirstApproval::department_head, {{"data_owner", std::nullopt, "ghost@example.com"}}),
      context());
  expect_refused(r, 1, {"approvals.data_owner"});
}

TEST(Approvals, UserSlotNamingTheRequesterIsRefused) {
  auto r = compute_approvals(
      outcome(FirstApproval::department_head, {{"data_owner", std::nullopt, "ana@example.com"}}), context());
  expect_refused(r, 1, {"approvals.data_owner"});
}

TEST(Approvals, RoleWithoutMembersIsRefused) {
  auto r = compute_approvals(outcome(FirstApproval::department_head, {{"cfo", Role::cfo, ""}}), context());
  expect_refused(r, 1, {"approvals.cfo"});
}

TEST(Approvals, NoOwnerIsRefused) {
  auto ctx = context();
  ctx.policy.owner.clear();
  expect_refused(compute_approvals(outcome(), ctx), 1, {"approvals.owner"});
}

TEST(Approvals, RequesterWhoOwnsThePolicyIsRefused) {
  auto ctx = context();
  ctx.policy.owner = ctx.requester;
  expect_refused(compute_approvals(outcome(), ctx), 1, {"approvals.owner"});
}

TEST(Approvals, EveryEmptySlotIsNamed) {
  auto ctx = context();
  ctx.policy.owner.clear();
  ctx.members.erase(Role::security_compliance);
  expect_refused(compute_approvals(outcome(), ctx), 2, {"approvals.compliance", "approvals.owner"});
}

TEST(Approvals, OnePersonOnlyEligibleForTwoSlotsIsRefused) {
  auto ctx = context();
  ctx.members[Role::legal] = {"sec@example.com"};  // also the only compliance member
  auto r = compute_approvals(outcome(FirstApproval::department_head, {{"legal", Role::legal, ""}}), ctx);
  expect_refused(r, 1, {"approvals.legal"});
  EXPECT_NE(r.error().errors[0].message.find("distinct"), std::string::npos);
}

TEST(Approvals, OwnerWhoIsAlsoTheDepartmentHeadIsRefused) {
  auto ctx = context();
  ctx.policy.owner = ctx.department_head;
  expect_refused(compute_approvals(outcome(), ctx), 1, {"approvals.owner"});
}

TEST(Approvals, DistinctPeopleFoundWhenAGreedyChoiceWouldFail) {
  // compliance: {a, b}; legal: {a}. Taking a for compliance first must be undone.
  auto ctx = context();
  ctx.members[Role::security_compliance] = {"a@example.com", "b@example.com"};
  ctx.members[Role::legal] = {"a@example.com"};
  auto slots = compute_approvals(outcome(FirstApproval::department_head, {{"legal", Role::legal, ""}}), ctx);
  ASSERT_TRUE(slots) << slots.error().detail;
  EXPECT_EQ(slot(*slots, "compliance").eligible, (Emails{"a@example.com", "b@example.com"}));
}

TEST(Approvals, ThreeSlotsSharingTwoPeopleIsRefused) {
  auto ctx = context();
  ctx.members[Role::security_compliance] = {"a@example.com", "b@example.com"};
  ctx.members[Role::legal] = {"a@example.com", "b@example.com"};
  ctx.members[Role::cfo] = {"b@example.com", "a@example.com"};
  auto r = compute_approvals(
      outcome(FirstApproval::department_head, {{"legal", Role::legal, ""}, {"finance", Role::cfo, ""}}), ctx);
  expect_refused(r, 1, {"approvals.finance"});
}

}  // namespace
}  // namespace waiver::domain
