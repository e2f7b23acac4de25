// Sign-in, sessions, throttling and tokens, against a real SQLite store and a settable clock.
#include "app/identity.hpp"

#include <gtest/gtest.h>

#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::app {
namespace {

using K = Error::Kind;

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

class SettableClock final : public Clock {
 public:
  Instant now() const override { return t_; }
  void advance_minutes(int m) { t_.seconds += m * 60LL; }

 private:
  Instant t_ = *domain::parse_instant("2026-05-04T08:00:00Z");
};

class Identity : public ::testing::Test {
 protected:
  void SetUp() override {
    json org = {{"users",
                 {{{"email", "ana@x.test"}, {"name", "Ana"}},
                  {{"email", "bob@x.test"}, {"name", "Bob"}},
                  {{"email", "root@x.test"}, {"name", "Root"}, {"roles", {"admin"}}}}}};
    ASSERT_TRUE(import_organisation(s_, org, "test"));
    ASSERT_TRUE(set_password(s_, "ana@x.test", "correct horse battery", "test"));
    ASSERT_TRUE(set_password(s_, "bob@x.test", "another long secret", "test"));
  }
  domain::Actor actor(const std::string& email) { return *store_->begin_read()->actor(email); }
  int events(const std::string& action) {
    int n = 0;
    store_->export_audit([&](const AuditEvent& e) { n += e.record.action == action; });
    return n;
  }

  waiver::testing::TempDir dir_{"waiver-identity"};
  std::unique_ptr<Store> store_ =
      store::open_store({store::DatabaseUrl::Engine::sqlite, dir_.file("w.db").string()});
  SettableClock clock_;
  Services s_{*store_, clock_, {}, {}};
};

TEST_F(Identity, ARightPasswordStartsASessionThatIdentifiesTheUser) {
  auto in = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  ASSERT_TRUE(in) << in.error().detail;
  EXPECT_EQ(in->cookie_value.size(), 64u);
  auto caller = caller_for_session(s_, in->cookie_value);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->actor.email, "ana@x.test");
  EXPECT_EQ(caller->csrf_token, in->csrf_token);
  EXPECT_EQ(events("sign_in"), 1);
}

TEST_F(Identity, AWrongPasswordAndAnUnknownEmailGetTheSameAnswer) {
  auto wrong = sign_in_with_password(s_, "ana@x.test", "not it", "10.0.0.1", "");
  auto unknown = sign_in_with_password(s_, "nobody@x.test", "not it", "10.0.0.1", "");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().kind, K::unauthorized);
  EXPECT_EQ(unknown.error().kind, K::unauthorized);
  EXPECT_EQ(wrong.error().detail, unknown.error().detail);
  EXPECT_EQ(events("sign_in_failed"), 2);
}

TEST_F(Identity, SigningInAgainEndsTheSessionOfThePreviousCookie) {
  auto first = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  auto second =
      sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", first->cookie_value);
  ASSERT_TRUE(second);
  EXPECT_NE(first->cookie_value, second->cookie_value);
  EXPECT_FALSE(caller_for_session(s_, first->cookie_value));
  EXPECT_TRUE(caller_for_session(s_, second->cookie_value));
}

TEST_F(Identity, ASessionEndsAfterItsIdleTimeAndAfterItsAbsoluteTime) {
  auto in = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  clock_.advance_minutes(59);
  EXPECT_TRUE(caller_for_session(s_, in->cookie_value));  // and this use resets the idle time
  clock_.advance_minutes(59);
  EXPECT_TRUE(caller_for_session(s_, in->cookie_value));
  clock_.advance_minutes(61);
  EXPECT_FALSE(caller_for_session(s_, in->cookie_value)) << "idle for more than an hour";

  auto again = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  for (int i = 0; i < 12; ++i) {
    clock_.advance_minutes(55);
    EXPECT_TRUE(caller_for_session(s_, again->cookie_value)) << i;
  }
  clock_.advance_minutes(59);  // 12 × 55 + 59 = 719 minutes: still within the twelve hours
  EXPECT_TRUE(caller_for_session(s_, again->cookie_value));
  clock_.advance_minutes(2);
  EXPECT_FALSE(caller_for_session(s_, again->cookie_value)) << "past twelve hours after sign-in";
}

TEST_F(Identity, SignOutEndsTheSession) {
  auto in = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  ASSERT_TRUE(sign_out(s_, in->cookie_value));
  EXPECT_FALSE(caller_for_session(s_, in->cookie_value));
}

TEST_F(Identity, FailuresPerAccountAreThrottledEvenForTheRightPassword) {
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(sign_in_with_password(s_, "ana@x.test", "nope", "10.0.0.1", ""));
  auto blocked = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().kind, K::too_many_requests);
  EXPECT_EQ(blocked.error().retry_after_seconds, 15 * 60);
  EXPECT_TRUE(sign_in_with_password(s_, "bob@x.test", "another long secret", "10.0.0.2", ""))
      << "another account is not affected";
  clock_.advance_minutes(16);
  EXPECT_TRUE(sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", ""))
      << "the window has passed";
}

TEST_F(Identity, FailuresPerAddressAreThrottledAcrossAccounts) {
  for (int i = 0; i < 20; ++i)
    EXPECT_FALSE(sign_in_with_password(s_, "user" + std::to_string(i) + "@x.test", "nope", "10.9.9.9", ""));
  auto blocked = sign_in_with_password(s_, "bob@x.test", "another long secret", "10.9.9.9", "");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().kind, K::too_many_requests);
  EXPECT_TRUE(sign_in_with_password(s_, "bob@x.test", "another long secret", "10.0.0.3", ""));
}

TEST_F(Identity, ADisabledUserCanNeitherSignInNorKeepASessionNorUseAToken) {
  auto in = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  auto token = issue_token(s_, actor("ana@x.test"), {{"name", "laptop"}});
  ASSERT_TRUE(token);
  ASSERT_TRUE(actor_for_token(s_, token->secret));
  ASSERT_TRUE(update_user(s_, actor("root@x.test"), "ana@x.test", {{"disabled", true}}));
  EXPECT_FALSE(caller_for_session(s_, in->cookie_value));
  EXPECT_FALSE(sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", ""));
  EXPECT_FALSE(actor_for_token(s_, token->secret));
}

TEST_F(Identity, TokensAreListedWithoutSecretsRevokedAndExpired) {
  auto mine = issue_token(s_, actor("ana@x.test"), {{"name", "ci"}, {"expires_at", "2026-05-04T09:00:00Z"}});
  ASSERT_TRUE(mine) << mine.error().detail;
  EXPECT_TRUE(mine->secret.starts_with("wvr_"));
  ASSERT_TRUE(actor_for_token(s_, mine->secret));
  auto listed = list_tokens(s_, actor("ana@x.test"), "");
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->front().last_used_at.has_value());
  clock_.advance_minutes(61);
  EXPECT_FALSE(actor_for_token(s_, mine->secret)) << "expired";

  auto other = issue_token(s_, actor("ana@x.test"), {{"name", "other"}});
  auto bobs_view = revoke_token(s_, actor("bob@x.test"), other->info.id);
  ASSERT_FALSE(bobs_view);
  EXPECT_EQ(bobs_view.error().kind, K::not_found);
  EXPECT_FALSE(list_tokens(s_, actor("bob@x.test"), "ana@x.test"));
  ASSERT_TRUE(revoke_token(s_, actor("root@x.test"), other->info.id));
  EXPECT_FALSE(actor_for_token(s_, other->secret)) << "revoked";
  EXPECT_EQ(events("token_revoke"), 1);
}

TEST_F(Identity, OnlyAdminsCreateTokensForOthersAndManageUsers) {
  auto refused = issue_token(s_, actor("bob@x.test"), {{"name", "x"}, {"user", "ana@x.test"}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, K::forbidden);
  EXPECT_TRUE(issue_token(s_, actor("root@x.test"), {{"name", "x"}, {"user", "ana@x.test"}}));
  auto not_admin = update_user(s_, actor("bob@x.test"), "ana@x.test", {{"roles", {"admin"}}});
  ASSERT_FALSE(not_admin);
  EXPECT_EQ(not_admin.error().kind, K::forbidden);
}

TEST_F(Identity, ARoleChangeIsAnAuditEventWithBeforeAndAfter) {
  ASSERT_TRUE(update_user(s_, actor("root@x.test"), "bob@x.test", {{"roles", {"auditor"}}}));
  std::string before, after;
  store_->export_audit([&](const AuditEvent& e) {
    if (e.record.action == "role_change") {
      before = e.record.before;
      after = e.record.after;
    }
  });
  EXPECT_EQ(json::parse(before)["roles"], json::array());
  EXPECT_EQ(json::parse(after)["roles"], json::array({"auditor"}));
  EXPECT_TRUE(actor("bob@x.test").has(domain::Role::auditor));
}

TEST_F(Identity, AdminsCannotLockThemselvesOut) {
  auto r = update_user(s_, actor("root@x.test"), "root@x.test", {{"disabled", true}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::conflict);
}

TEST_F(Identity, APasswordResetEndsThatPersonsSessions) {
  auto in = sign_in_with_password(s_, "ana@x.test", "correct horse battery", "10.0.0.1", "");
  ASSERT_TRUE(
      reset_password(s_, actor("root@x.test"), "ana@x.test", {{"password", "a brand new passphrase"}}));
  EXPECT_FALSE(caller_for_session(s_, in->cookie_value));
  EXPECT_TRUE(sign_in_with_password(s_, "ana@x.test", "a brand new passphrase", "10.0.0.1", ""));
}

}  // namespace
}  // namespace waiver::app
