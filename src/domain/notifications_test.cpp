#include "domain/notifications.hpp"

#include <gtest/gtest.h>

namespace waiver::domain {
namespace {

Instant at(const char* text) { return *parse_instant(text); }
Date day(const char* text) { return *parse_date(text); }

ApprovalSlot slot(std::string name, Status stage, std::vector<std::string> eligible) {
  ApprovalSlot s;
  s.slot = std::move(name);
  s.stage = stage;
  s.eligible = std::move(eligible);
  return s;
}

ExceptionRequest submitted() {
  ExceptionRequest r;
  r.id = 7;
  r.ref = "EXC-2026-0007";
  r.requester = "ana@example.com";
  r.status = Status::department_review;
  r.submitted_at = at("2026-01-05T10:00:00Z");
  r.approvals = {slot("department", Status::department_review, {"head@example.com"}),
                 slot("compliance", Status::policy_review, {"sec@example.com", "sec2@example.com"}),
                 slot("owner", Status::policy_review, {"owner@example.com"})};
  return r;
}

void fill(ExceptionRequest& r, const std::string& name, const std::string& by, const char* when) {
  auto* s = r.find_slot(name);
  s->status = SlotStatus::approved;
  s->by = by;
  s->at = at(when);
}

const Audience kAudience{
    "owner@example.com", {"legal@example.com"}, {"ceo@example.com", "cfo@example.com"}, ""};

std::vector<std::string> recipients(const std::vector<Notice>& notices) {
  std::vector<std::string> out;
  for (const auto& n : notices) out.push_back(n.to + ":" + std::string(to_string(n.kind)));
  return out;
}

using Strings = std::vector<std::string>;

TEST(Notifications, SubmitTellsTheFirstApproverOnly) {
  ExceptionRequest before = submitted();
  before.status = Status::draft;
  const ExceptionRequest after = submitted();
  EXPECT_EQ(recipients(notices_for({before, after, "submit", "ana@example.com", ""}, kAudience)),
            (Strings{"head@example.com:action_needed"}));
}

TEST(Notifications, FirstApprovalOpensThePolicyStageButNotTheOwnerYet) {
  const ExceptionRequest before = submitted();
  ExceptionRequest after = before;
  fill(after, "department", "head@example.com", "2026-01-06T10:00:00Z");
  after.status = Status::policy_review;
  EXPECT_EQ(recipients(notices_for({before, after, "decide", "head@example.com", "department"}, kAudience)),
            (Strings{"ana@example.com:decided", "sec@example.com:action_needed",
                     "sec2@example.com:action_needed"}));
}

TEST(Notifications, TheOwnerIsToldWhenEveryOtherSlotIsApproved) {
  ExceptionRequest before = submitted();
  fill(before, "department", "head@example.com", "2026-01-06T10:00:00Z");
  before.status = Status::policy_review;
  ExceptionRequest after = before;
  fill(after, "compliance", "sec@example.com", "2026-01-07T10:00:00Z");
  EXPECT_EQ(recipients(notices_for({before, after, "decide", "sec@example.com", "compliance"}, kAudience)),
            (Strings{"ana@example.com:decided", "owner@example.com:action_needed"}));
  EXPECT_EQ(waiting_since(after, *after.find_slot("owner")), at("2026-01-07T10:00:00Z"));
  EXPECT_EQ(waiting_since(before, *before.find_slot("compliance")), at("2026-01-06T10:00:00Z"));
}

TEST(Notifications, AppealGoesToLegalThenToBothExecutives) {
  ExceptionRequest r = submitted();
  r.status = Status::appeal_legal;
  auto appeal = notices_for({std::nullopt, r, "appeal", "ana@example.com", ""}, kAudience);
  EXPECT_EQ(recipients(appeal), (Strings{"legal@example.com:appeal_to_legal"}));
  r.status = Status::appeal_executive;
  auto opinion = notices_for({std::nullopt, r, "legal_opinion", "legal@example.com", ""}, kAudience);
  EXPECT_EQ(recipients(opinion),
            (Strings{"ceo@example.com:appeal_to_executives", "cfo@example.com:appeal_to_executives",
                     "ana@example.com:status_changed"}));
  auto first = notices_for({std::nullopt, r, "disposition", "ceo@example.com", ""}, kAudience);
  EXPECT_TRUE(first.empty());
  r.status = Status::denied_final;
  auto second = notices_for({std::nullopt, r, "disposition", "cfo@example.com", ""}, kAudience);
  EXPECT_EQ(recipients(second), (Strings{"ana@example.com:status_changed"}));
}

TEST(Notifications, WithdrawTellsThoseWhoWereWaitingAndNeverTheActor) {
  const ExceptionRequest before = submitted();
  ExceptionRequest after = before;
  after.status = Status::withdrawn;
  EXPECT_EQ(recipients(notices_for({before, after, "withdraw", "ana@example.com", ""}, kAudience)),
            (Strings{"head@example.com:withdrawn"}));
  ExceptionRequest active = before;
  active.status = Status::expired;
  EXPECT_EQ(recipients(notices_for({before, active, "expire", "system", ""}, kAudience)),
            (Strings{"ana@example.com:status_changed", "owner@example.com:status_changed"}));
  EXPECT_EQ(recipients(notices_for({before, active, "close", "owner@example.com", ""}, kAudience)),
            (Strings{"ana@example.com:status_changed"}));
}

TEST(Notifications, ExpiryThresholdsAreEachDueOnceFromTheSmallestReached) {
  ExceptionRequest r = submitted();
  r.status = Status::active;
  r.decision_end_on = day("2027-01-31");
  const std::vector<int> t{30, 14, 7, 1};
  EXPECT_EQ(expiry_threshold_due(r, day("2026-12-31"), t), std::nullopt);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-01"), t), 30);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-16"), t), 30);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-17"), t), 14);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-26"), t), 7);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-30"), t), 1);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-31"), t), 1);
  EXPECT_EQ(expiry_threshold_due(r, day("2027-02-01"), t), std::nullopt);
  r.status = Status::expired;
  EXPECT_EQ(expiry_threshold_due(r, day("2027-01-30"), t), std::nullopt);
}

}  // namespace
}  // namespace waiver::domain
