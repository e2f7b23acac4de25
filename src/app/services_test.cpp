// The use cases against a real SQLite store and a settable clock: the process step by step,
// each step with exactly one audit event, and the jobs, appeals, paging and tokens.
#include "app/services.hpp"
#include "testing/support.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>

#include "app/use_cases_fixture.hpp"
#include "store/sql_store.hpp"

namespace waiver::app {
namespace {

using namespace waiver::app::testing;
using domain::Status;
using K = Error::Kind;

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

// ---- the process -----------------------------------------------------------------------------

// The last audit event of a request, checked to be the only one the step added.
json only_new_event(const std::vector<AuditEvent>& events, std::size_t before, const std::string& action) {
  EXPECT_EQ(events.size(), before + 1) << "one step, one audit event";
  if (events.empty()) return json::object();
  const auto& e = events.back();
  EXPECT_EQ(e.record.action, action);
  EXPECT_EQ(e.record.entity_type, "exception");
  return {{"before", e.record.before.empty() ? json() : json::parse(e.record.before)},
          {"after", e.record.after.empty() ? json() : json::parse(e.record.after)},
          {"actor", e.record.actor},
          {"data", e.record.data.empty() ? json() : json::parse(e.record.data)}};
}

TEST_F(UseCases, TheProcessFromDraftToActiveWritesOneAuditEventPerStep) {
  const auto id = create();
  auto e = only_new_event(events(id), 0, "create");
  EXPECT_TRUE(e["before"].is_null());
  EXPECT_EQ(e["after"]["status"], "draft");
  EXPECT_EQ(e["after"]["ref"], stored(id).ref);
  EXPECT_EQ(e["actor"], "ana@x.test");

  struct Step {
    std::function<Outcome<RequestView>()> act;
    std::string action, from, to, actor;
  };
  std::vector<Step> steps{
      {[&] { return run(submit_request, "ana", id); }, "submit", "draft", "department_review", "ana"},
      {[&] {
         return decide("eng.head", id, "department", {{"decision", "approve"}, {"comment", "ok"}});
       },
       "decide", "department_review", "policy_review", "eng.head"},
      {[&] {
         return decide("sec", id, "compliance",
                       {{"decision", "approve"}, {"implications", "current"}, {"frameworks", {"SOC 2"}}});
       },
       "decide", "policy_review", "policy_review", "sec"},
      {[&] { return decide("owner", id, "owner", owner_approval()); }, "decide", "policy_review", "active",
       "owner"},
  };
  for (const auto& step : steps) {
    SCOPED_TRACE(step.action + " -> " + step.to);
    const auto count = events(id).size();
    const auto version = stored(id).version;
    auto v = ok(step.act());
    EXPECT_EQ(v.request.status, *domain::from_string<Status>(step.to));
    EXPECT_EQ(v.request.version, version + 1);
    auto ev = only_new_event(events(id), count, step.action);
    EXPECT_EQ(ev["before"]["status"], step.from);
    EXPECT_EQ(ev["after"]["status"], step.to);
    EXPECT_EQ(ev["before"]["version"], version);
    EXPECT_EQ(ev["after"]["version"], version + 1);
    EXPECT_EQ(ev["actor"], step.actor + "@x.test");
    auto verified = store_->verify_audit();
    EXPECT_TRUE(verified.ok) << verified.reason;
  }
  const auto r = stored(id);
  EXPECT_EQ(r.status, Status::active);
  EXPECT_EQ(r.risk_level, domain::RiskLevel::medium);
  EXPECT_EQ(r.decision_end_on, domain::parse_date("2026-04-30"));
  ASSERT_EQ(r.content.compensating_controls.size(), 1u);
  EXPECT_EQ(r.content.compensating_controls[0].description, "Weekly log review");  // the owner's controls
  EXPECT_EQ(r.frameworks, std::vector<std::string>{"SOC 2"});
  ASSERT_EQ(r.approvals.size(), 3u);
  for (const auto& slot : r.approvals) EXPECT_EQ(slot.status, domain::SlotStatus::approved) << slot.slot;
  // The owner's decide event holds the request as approved.
  auto last = json::parse(events(id).back().record.after);
  EXPECT_EQ(last["risk_level"], "medium");
  EXPECT_EQ(last["decision_end_on"], "2026-04-30");
}

TEST_F(UseCases, ARefusedStepChangesNothingAndWritesNoEvent) {
  const auto id = active_request();
  const auto before = stored(id);
  const auto count = all_events();
  auto stranger = run(close_exception, "stranger", id, {{"reason", "x"}});
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().kind, K::not_found);
  auto wrong_state = run(submit_request, "ana", id);
  ASSERT_FALSE(wrong_state);
  EXPECT_EQ(wrong_state.error().kind, K::conflict);
  auto invalid = run(close_exception, "ana", id, {{"reason", " "}});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().kind, K::invalid);
  EXPECT_EQ(stored(id).version, before.version);
  EXPECT_EQ(stored(id).status, Status::active);
  EXPECT_EQ(all_events(), count);
}

TEST_F(UseCases, SubmittingAnIncompleteRequestNamesEachMissingField) {
  const auto id = create({{"title", "Just a title"}, {"policy_id", "access-control"}});
  auto r = run(submit_request, "ana", id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::invalid);
  std::set<std::string> fields;
  for (const auto& e : r.error().errors) fields.insert(e.field);
  for (const char* f : {"requirement", "type", "data_classification", "description", "justification",
                        "resources", "scope", "likelihood", "impact", "start_on", "end_on"})
    EXPECT_TRUE(fields.contains(f)) << f;
  EXPECT_EQ(stored(id).status, Status::draft);
  EXPECT_EQ(events(id).size(), 1u);
}

TEST_F(UseCases, TheOwnerApprovesOnlyAfterTheOtherSlots) {
  const auto id = create();
  ok(run(submit_request, "ana", id));
  ok(decide("eng.head", id, "department", {{"decision", "approve"}}));
  auto early = decide("owner", id, "owner", owner_approval());
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().kind, K::conflict);
  EXPECT_EQ(stored(id).status, Status::policy_review);
}

TEST_F(UseCases, AStaleIfMatchIsRefusedAndChangesNothing) {
  const auto id = create();
  ok(run(edit_request, "ana", id, {{"title", "Second title"}}, 1));
  const auto count = events(id).size();
  auto stale = run(edit_request, "ana", id, {{"title", "Third title"}}, 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, K::precondition_failed);
  auto stale_submit = run(submit_request, "ana", id, json::object(), 1);
  ASSERT_FALSE(stale_submit);
  EXPECT_EQ(stale_submit.error().kind, K::precondition_failed);
  EXPECT_EQ(stored(id).content.title, "Second title");
  EXPECT_EQ(stored(id).version, 2);
  EXPECT_EQ(stored(id).status, Status::draft);
  EXPECT_EQ(events(id).size(), count);
  EXPECT_EQ(ok(run(edit_request, "ana", id, {{"title", "Third title"}}, 2)).request.version, 3);
}

TEST_F(UseCases, AnApprovedExtensionSupersedesItsParent) {
  const auto parent = active_request();
  auto ext =
      ok(run(request_extension, "ana", parent, {{"end_on", "2026-06-30"}, {"justification", "More time"}}));
  EXPECT_EQ(ext.request.status, Status::draft);
  EXPECT_EQ(ext.request.parent_id, parent);
  EXPECT_EQ(ext.request.content.start_on, domain::parse_date("2026-04-30"));
  EXPECT_EQ(ext.request.content.end_on, domain::parse_date("2026-06-30"));
  EXPECT_EQ(stored(parent).extension_ids, std::vector<domain::Id>{ext.request.id});
  EXPECT_EQ(events(parent).back().record.action, "extend");
  const auto id = ext.request.id;
  ok(run(submit_request, "ana", id));
  ok(decide("eng.head", id, "department", {{"decision", "approve"}}));
  ok(decide("sec", id, "compliance", {{"decision", "approve"}, {"implications", "none"}}));
  EXPECT_EQ(stored(parent).status, Status::active);
  const auto parent_events = events(parent).size();
  ok(decide("owner", id, "owner", owner_approval("2026-06-30")));
  EXPECT_EQ(stored(id).status, Status::active);
  EXPECT_EQ(stored(parent).status, Status::superseded);
  auto e = only_new_event(events(parent), parent_events, "supersede");
  EXPECT_EQ(e["before"]["status"], "active");
  EXPECT_EQ(e["after"]["status"], "superseded");
  EXPECT_EQ(e["data"]["by_extension"], stored(id).ref);
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(UseCases, ExtendIsOfferedOnlyWhenAnExtensionWouldBeAccepted) {
  const auto parent = active_request();
  auto offers_extend = [&](domain::Id id) {
    const auto actions = ok(get_request(s_, actor("ana"), std::to_string(id))).allowed_actions;
    return std::find(actions.begin(), actions.end(), "extend") != actions.end();
  };
  EXPECT_TRUE(offers_extend(parent));
  auto ext =
      ok(run(request_extension, "ana", parent, {{"end_on", "2026-06-30"}, {"justification", "More time"}}));
  EXPECT_FALSE(offers_extend(parent)) << "one extension is under way";
  EXPECT_FALSE(run(request_extension, "ana", parent, {{"end_on", "2026-07-30"}, {"justification", "Again"}}));
  ok(run(withdraw_request, "ana", ext.request.id, {{"reason", "Not needed"}}));
  EXPECT_TRUE(offers_extend(parent)) << "the extension was withdrawn";
  s_.notifications.max_extensions = 0;
  EXPECT_FALSE(offers_extend(parent)) << "the line is at its limit";
  EXPECT_FALSE(run(request_extension, "ana", parent, {{"end_on", "2026-07-30"}, {"justification", "Again"}}));
}

TEST_F(UseCases, ExpiryTakesOnlyActiveRequestsPastTheirEndDateAndOnce) {
  const auto ending = active_request();  // ends 2026-04-30
  auto later_body = complete_request("Later");
  later_body["end_on"] = "2026-05-20";
  const auto later = active_request(later_body);
  auto past_draft = complete_request("Draft with a past end");
  past_draft["end_on"] = "2026-03-02";
  const auto draft = create(past_draft);
  const auto count = all_events();

  EXPECT_EQ(ok(expire_due(s_, *domain::parse_instant("2026-04-30T23:59:59Z"))), 0);
  EXPECT_EQ(stored(ending).status, Status::active);  // valid through its end date
  EXPECT_EQ(all_events(), count);

  EXPECT_EQ(ok(expire_due(s_, *domain::parse_instant("2026-05-01T00:00:00Z"))), 1);
  EXPECT_EQ(stored(ending).status, Status::expired);
  EXPECT_EQ(stored(later).status, Status::active);
  EXPECT_EQ(stored(draft).status, Status::draft);
  auto e = only_new_event(events(ending), events(ending).size() - 1, "expire");
  EXPECT_EQ(e["actor"], "system");
  EXPECT_EQ(e["after"]["status"], "expired");
  EXPECT_EQ(all_events(), count + 1);

  EXPECT_EQ(ok(expire_due(s_, *domain::parse_instant("2026-05-02T00:00:00Z"))), 0);
  EXPECT_EQ(all_events(), count + 1);
  EXPECT_EQ(ok(expire_due(s_, *domain::parse_instant("2026-05-21T00:00:00Z"))), 1);
  EXPECT_EQ(stored(later).status, Status::expired);
  EXPECT_TRUE(store_->verify_audit().ok);
}

class Appeals : public UseCases {
 protected:
  domain::Id denied() {
    const auto id = create();
    ok(run(submit_request, "ana", id));
    ok(decide("eng.head", id, "department", {{"decision", "reject"}, {"comment", "No."}}));
    EXPECT_EQ(stored(id).status, Status::denied);
    ok(run(appeal_denial, "ana", id, {{"reason", "It is needed."}}));
    ok(run(give_legal_opinion, "legal", id, {{"opinion", "No legal objection."}}));
    EXPECT_EQ(stored(id).status, Status::appeal_executive);
    return id;
  }
};

TEST_F(Appeals, GrantedByTheCeoAndTheCfoMakesTheRequestActive) {
  const auto id = denied();
  auto first = ok(run(record_disposition, "ceo", id, {{"decision", "grant"}}));
  EXPECT_EQ(first.request.status, Status::appeal_executive);
  const auto count = events(id).size();
  auto second = ok(run(record_disposition, "cfo", id, {{"decision", "grant"}, {"comment", "Fine."}}));
  EXPECT_EQ(second.request.status, Status::active);
  EXPECT_EQ(second.request.decision_end_on, domain::parse_date("2026-04-30"));
  ASSERT_EQ(second.request.appeal.dispositions.size(), 2u);
  EXPECT_EQ(second.request.appeal.dispositions[0].role, domain::Role::ceo);
  EXPECT_EQ(second.request.appeal.dispositions[1].role, domain::Role::cfo);
  auto e = only_new_event(events(id), count, "disposition");
  EXPECT_EQ(e["after"]["status"], "active");
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(Appeals, UpheldByEitherExecutiveIsDeniedForGood) {
  const auto id = denied();
  ok(run(record_disposition, "ceo", id, {{"decision", "grant"}}));
  auto r = ok(run(record_disposition, "cfo", id, {{"decision", "uphold"}}));
  EXPECT_EQ(r.request.status, Status::denied_final);
  EXPECT_FALSE(r.request.decision_end_on);
}

TEST_F(Appeals, OneExecutiveRecordsOnce) {
  const auto id = denied();
  ok(run(record_disposition, "ceo", id, {{"decision", "grant"}}));
  auto again = run(record_disposition, "ceo", id, {{"decision", "grant"}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, K::forbidden);
  EXPECT_EQ(stored(id).status, Status::appeal_executive);
}

// ---- reading ---------------------------------------------------------------------------------

TEST_F(UseCases, ListRequestsPagesWithNextBefore) {
  std::vector<domain::Id> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(create(complete_request("Request " + std::to_string(i))));
  ListFilter f;
  f.limit = 2;
  std::vector<domain::Id> seen;
  int pages = 0;
  for (;;) {
    auto page = ok(list_requests(s_, actor("ana"), f));
    ++pages;
    EXPECT_LE(page.items.size(), 2u);
    for (const auto& v : page.items) {
      seen.push_back(v.request.id);
      EXPECT_FALSE(v.detailed);
    }
    if (!page.next_before) break;
    EXPECT_EQ(*page.next_before, page.items.back().request.id);
    f.before_id = page.next_before;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<domain::Id>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  f = {};
  f.limit = 5;
  EXPECT_FALSE(ok(list_requests(s_, actor("ana"), f)).next_before);
  EXPECT_TRUE(ok(list_requests(s_, actor("stranger"), f)).items.empty());
}

// Pages read through one Reading (an export) show the register as it was when the first was read.
TEST_F(UseCases, PagesReadInOneReadingSeeOneMoment) {
  std::vector<domain::Id> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(create(complete_request("Request " + std::to_string(i))));
  ListFilter f;
  f.limit = 1;
  Reading reading(s_.store);
  auto first = ok(list_requests(s_, reading, actor("ana"), f));
  ASSERT_EQ(first.items.at(0).request.id, ids[2]);
  ok(run(edit_request, "ana", ids[0], {{"title", "Renamed meanwhile"}}));
  f.limit = 5;
  f.before_id = first.next_before;
  auto rest = ok(list_requests(s_, reading, actor("ana"), f));
  ASSERT_EQ(rest.items.size(), 2u);
  EXPECT_EQ(rest.items.at(1).request.content.title, "Request 0");
  reading.end();
  EXPECT_EQ(ok(list_requests(s_, reading, actor("ana"), f)).items.at(1).request.content.title,
            "Renamed meanwhile");
}

TEST_F(UseCases, ExpiringWithinDaysCountsFromTheClocksDay) {
  const auto id = active_request();  // ends 2026-04-30
  clock_.set("2026-04-20T12:00:00Z");
  ListFilter f;
  f.within_days = 9;
  EXPECT_TRUE(ok(list_requests(s_, actor("sec"), f)).items.empty());
  f.within_days = 10;
  auto page = ok(list_requests(s_, actor("sec"), f));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].request.id, id);
}

TEST_F(UseCases, AStrangerCannotSeeARequestAndARefWorksAsAnId) {
  const auto id = create();
  auto hidden = get_request(s_, actor("stranger"), std::to_string(id));
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().kind, K::not_found);
  auto by_ref = ok(get_request(s_, actor("ana"), stored(id).ref));
  EXPECT_EQ(by_ref.request.id, id);
  EXPECT_EQ(ok(get_request(s_, actor("aud"), std::to_string(id))).request.id, id);
  EXPECT_FALSE(get_request(s_, actor("ana"), "12abc"));
  EXPECT_FALSE(get_request(s_, actor("ana"), "99999"));
}

// ---- administration --------------------------------------------------------------------------

TEST_F(UseCases, ACreatedTokenAuthenticatesItsUser) {
  const auto count = all_events();
  auto token = ok(create_token(s_, "ana@x.test", "laptop", "test"));
  EXPECT_TRUE(token.starts_with("wvr_"));
  EXPECT_EQ(all_events(), count + 1);
  auto a = ok(actor_for_token(s_, token));
  EXPECT_EQ(a.email, "ana@x.test");
  EXPECT_EQ(a.department, "Engineering");
  for (const std::string& bad :
       {std::string("wvr_unknown"), std::string(), token + "x", std::string(300, 'a')}) {
    auto r = actor_for_token(s_, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, K::unauthorized);
  }
  auto nobody = create_token(s_, "nobody@x.test", "x", "test");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().kind, K::not_found);
}

// The token and the answer are read in one transaction (one pooled connection), except when the
// token's last use is due to be written: then the read is ended before the write, so that no
// thread holds a read connection while it waits for the writer's.
TEST_F(UseCases, ATokenAndTheAnswerShareOneReadUnlessTheTokenIsTouched) {
  auto token = ok(create_token(s_, "ana@x.test", "laptop", "test"));
  const auto id = create();
  auto last_used = [&] { return store_->begin_read()->tokens("ana@x.test").at(0).last_used_at; };
  {
    Reading reading(s_.store);
    ok(actor_for_token(s_, reading, token));  // first use: written
    EXPECT_EQ(store_->pool_stats().in_use, 0u);
    EXPECT_EQ(last_used()->seconds, clock_.now().seconds);
  }
  clock_.advance_seconds(30);
  {
    Reading reading(s_.store);
    auto a = ok(actor_for_token(s_, reading, token));  // a moment later: nothing to write
    EXPECT_EQ(store_->pool_stats().in_use, 1u);
    EXPECT_EQ(ok(get_request(s_, reading, a, std::to_string(id))).request.id, id);
    EXPECT_EQ(store_->pool_stats().in_use, 1u);
  }
  EXPECT_EQ(store_->pool_stats().in_use, 0u);
  EXPECT_EQ(last_used()->seconds, clock_.now().seconds - 30);
  clock_.advance_seconds(60);
  {
    Reading reading(s_.store);
    ok(actor_for_token(s_, reading, token));  // a minute on: written again
    EXPECT_EQ(last_used()->seconds, clock_.now().seconds);
  }
}

TEST_F(UseCases, SetPasswordRefusesShortPasswords) {
  const auto count = all_events();
  auto short_one = set_password(s_, "ana@x.test", "elevenchars", "test");
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().kind, K::invalid);
  ASSERT_EQ(short_one.error().errors.size(), 1u);
  EXPECT_EQ(short_one.error().errors[0].field, "password");
  EXPECT_EQ(all_events(), count);
  EXPECT_TRUE(set_password(s_, "ana@x.test", "twelve chars", "test"));
  EXPECT_EQ(all_events(), count + 1);
  auto unknown = set_password(s_, "nobody@x.test", "long enough password", "test");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, K::not_found);
}

TEST_F(UseCases, AnInvalidOrganisationFileIsRefusedNamingTheFieldAndImportsNothing) {
  auto file = organisation_file();
  file["users"].push_back({{"email", "new@x.test"}, {"name", "New"}});
  file["policies"][0]["owner"] = "ghost@x.test";
  const auto count = all_events();
  auto r = import_organisation(s_, file, "test");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::invalid);
  ASSERT_EQ(r.error().errors.size(), 1u);
  EXPECT_EQ(r.error().errors[0].field, "policies.0.owner");
  EXPECT_FALSE(store_->begin_read()->user("new@x.test"));
  EXPECT_EQ(all_events(), count);
}

TEST_F(UseCases, ExportGivesBackTheImportedOrganisation) {
  auto exported = ok(export_organisation(s_));
  EXPECT_EQ(exported["users"].size(), organisation_file()["users"].size());
  EXPECT_EQ(exported["policies"][0]["owner"], "owner@x.test");
  EXPECT_EQ(exported["matrix"]["default"]["max_days"], 90);
  // Importing the export changes nothing, not even the matrix version.
  auto summary = ok(import_organisation(s_, exported, "test"));
  EXPECT_EQ(summary.find("matrix_version"), std::string::npos) << summary;
  EXPECT_EQ(ok(export_organisation(s_)), exported);
}

}  // namespace
}  // namespace waiver::app
