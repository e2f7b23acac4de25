// The store on PostgreSQL, with two stores on one database standing for two server instances.
// WAIVER_TEST_POSTGRES_URL names a server where the tests may create databases; `make test`
// starts a throw-away cluster for them (scripts/pg-cluster.sh) and runs them with ctest -L postgresql.
#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "app/services.hpp"
#include "store/postgresql_test_database.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::store {
namespace {

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

class Clock final : public app::Clock {
 public:
  domain::Instant now() const override { return *domain::parse_instant("2026-09-01T10:00:00Z"); }
};

class OnPostgresql : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.available()) << "WAIVER_TEST_POSTGRES_URL is not set: run these through make test, "
                                    "which starts a throw-away PostgreSQL cluster";
    a_ = db_.open();
    b_ = db_.open();
    app::Services s{*a_, clock_, {}};
    nlohmann::json org = {{"users",
                           {{{"email", "ana@x.test"}, {"name", "Ana"}, {"department", "Eng"}},
                            {{"email", "head@x.test"}, {"name", "Head"}, {"department", "Eng"}},
                            {{"email", "owner@x.test"}, {"name", "Owner"}},
                            {{"email", "sec@x.test"}, {"name", "Sec"}, {"roles", {"security_compliance"}}}}},
                          {"departments", {{{"name", "Eng"}, {"head", "head@x.test"}}}},
                          {"policies", {{{"id", "p"}, {"title", "P"}, {"owner", "owner@x.test"}}}}};
    ASSERT_TRUE(app::import_organisation(s, org, "test"));
  }
  domain::Actor actor(app::Store& st, const std::string& email) { return *st.begin_read()->actor(email); }

  PostgresDatabase db_;
  std::unique_ptr<app::Store> a_, b_;
  Clock clock_;
};

TEST_F(OnPostgresql, MigratingTwiceIsHarmlessAndTheSchemaIsCurrent) {
  auto again = db_.open();
  EXPECT_TRUE(again->verify_audit().ok);
}

TEST_F(OnPostgresql, ReferencesStayUniqueWhenTwoInstancesCreateAtOnce) {
  std::vector<std::thread> threads;
  std::mutex m;
  std::set<std::string> refs;
  int made = 0;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      app::Store& st = t % 2 ? *a_ : *b_;
      app::Services s{st, clock_, {}};
      const auto ana = actor(st, "ana@x.test");
      for (int i = 0; i < 10; ++i) {
        auto v = app::create_request(s, ana, {{"title", "t"}, {"policy_id", "p"}});
        std::lock_guard lock(m);
        if (v) {
          refs.insert(v->request.ref);
          ++made;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(made, 80);
  EXPECT_EQ(refs.size(), 80u);
  EXPECT_TRUE(refs.contains("EXC-2026-0001"));
  EXPECT_TRUE(refs.contains("EXC-2026-0080"));
  const auto verified = a_->verify_audit();
  EXPECT_TRUE(verified.ok) << verified.reason;
  EXPECT_GE(verified.events, 81);
}

TEST_F(OnPostgresql, TwoApproversRacingForOneSlotOnTwoInstancesOneWins) {
  app::Services sa{*a_, clock_, {}}, sb{*b_, clock_, {}};
  const auto ana = actor(*a_, "ana@x.test");
  auto draft = app::create_request(sa, ana,
                                   {{"title", "t"},
                                    {"policy_id", "p"},
                                    {"requirement", "r"},
                                    {"type", "access"},
                                    {"data_classification", "GREEN"},
                                    {"description", "d"},
                                    {"justification", "j"},
                                    {"resources", "r"},
                                    {"scope", "s"},
                                    {"likelihood", 1},
                                    {"impact", 1},
                                    {"compensating_controls", {{{"description", "c"}}}},
                                    {"start_on", "2026-09-01"},
                                    {"end_on", "2026-10-01"}});
  ASSERT_TRUE(draft);
  const std::string id = std::to_string(draft->request.id);
  ASSERT_TRUE(app::submit_request(sa, ana, {id, std::nullopt, nlohmann::json::object()}));
  const auto head_a = actor(*a_, "head@x.test");
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      auto r = app::decide_slot(t % 2 ? sa : sb, head_a, {id, std::nullopt, {{"decision", "approve"}}},
                                "department");
      (r ? ok : refused)++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 5);
  auto now = app::get_request(sb, ana, id);
  EXPECT_EQ(now->request.status, domain::Status::policy_review);
  int decisions = 0;
  a_->export_audit([&](const app::AuditEvent& e) { decisions += e.record.action == "decide"; });
  EXPECT_EQ(decisions, 1);
  EXPECT_TRUE(b_->verify_audit().ok);
}

TEST_F(OnPostgresql, AnEditedEventIsDetected) {
  app::Services s{*a_, clock_, {}};
  ASSERT_TRUE(app::create_request(s, actor(*a_, "ana@x.test"), {{"title", "t"}, {"policy_id", "p"}}));
  ASSERT_TRUE(a_->verify_audit().ok);
  db_.raw().once << "UPDATE audit_events SET actor = 'mallory@x.test' WHERE id = 2";
  const auto verified = b_->verify_audit();
  EXPECT_FALSE(verified.ok);
  EXPECT_EQ(verified.first_bad, 2);
}

}  // namespace
}  // namespace waiver::store
