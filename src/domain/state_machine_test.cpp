#include "domain/state_machine.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

namespace waiver::domain {
namespace {

using S = Status;
using A = Action;

// The lifecycle as docs/api.md and the contract describe it, written out here on its own so
// that any change to the table in state_machine.cpp fails a test.
std::map<std::pair<S, A>, S> expected_table() {
  std::map<std::pair<S, A>, S> t;
  auto add = [&](S from, A a, S to) { t[{from, a}] = to; };
  // Before submit, and back with the requester after request_changes.
  for (S s : {S::draft, S::changes_requested}) {
    add(s, A::edit, s);
    add(s, A::submit, S::department_review);
    add(s, A::withdraw, S::withdrawn);
    add(s, A::comment, s);
  }
  add(S::department_review, A::approve_first, S::policy_review);
  add(S::policy_review, A::approve_slot, S::policy_review);
  add(S::policy_review, A::approve_owner, S::active);
  for (S s : {S::department_review, S::policy_review}) {
    add(s, A::reject, S::denied);
    add(s, A::request_changes, S::changes_requested);
    add(s, A::withdraw, S::withdrawn);
    add(s, A::invite, s);
    add(s, A::comment, s);
  }
  add(S::denied, A::appeal, S::appeal_legal);
  add(S::denied, A::comment, S::denied);
  add(S::appeal_legal, A::legal_opinion, S::appeal_executive);
  add(S::appeal_executive, A::dispose, S::appeal_executive);
  add(S::appeal_executive, A::dispose_granted, S::active);
  add(S::appeal_executive, A::dispose_upheld, S::denied_final);
  for (S s : {S::appeal_legal, S::appeal_executive}) {
    add(s, A::invite, s);
    add(s, A::comment, s);
  }
  add(S::active, A::extend, S::active);
  add(S::active, A::review, S::active);
  add(S::active, A::comment, S::active);
  add(S::active, A::close, S::closed);
  add(S::active, A::revoke, S::revoked);
  add(S::active, A::expire, S::expired);
  add(S::active, A::supersede, S::superseded);
  return t;
}

TEST(StateMachine, EveryStatusActionPairMatchesTheExpectedTable) {
  const auto table = expected_table();
  std::size_t allowed = 0;
  for (std::size_t si = 0; si < enum_count<Status>(); ++si) {
    for (std::size_t ai = 0; ai < enum_count<Action>(); ++ai) {
      const auto s = static_cast<Status>(si);
      const auto a = static_cast<Action>(ai);
      const auto it = table.find({s, a});
      const std::optional<Status> want = it == table.end() ? std::nullopt : std::optional<Status>(it->second);
      const auto got = next_status(s, a);
      EXPECT_EQ(got, want) << to_string(s) << " --" << to_string(a) << "--> got "
                           << (got ? to_string(*got) : "(refused)") << ", want "
                           << (want ? to_string(*want) : "(refused)");
      if (got) ++allowed;
    }
  }
  EXPECT_EQ(allowed, table.size());
  EXPECT_EQ(transitions().size(), table.size());
}

TEST(StateMachine, TransitionListHasNoDuplicatePairs) {
  std::set<std::pair<S, A>> seen;
  for (const auto& t : transitions())
    EXPECT_TRUE(seen.insert({t.from, t.action}).second)
        << to_string(t.from) << " / " << to_string(t.action) << " listed twice";
}

TEST(StateMachine, TerminalStatesHaveNoOutgoingTransitions) {
  const std::set<S> terminal{S::withdrawn, S::denied_final, S::expired, S::revoked, S::closed, S::superseded};
  for (std::size_t si = 0; si < enum_count<Status>(); ++si) {
    const auto s = static_cast<Status>(si);
    EXPECT_EQ(is_terminal(s), terminal.contains(s)) << to_string(s);
    if (!is_terminal(s)) continue;
    for (std::size_t ai = 0; ai < enum_count<Action>(); ++ai)
      EXPECT_FALSE(next_status(s, static_cast<Action>(ai)))
          << to_string(s) << " / " << to_string(static_cast<Action>(ai));
  }
}

TEST(StateMachine, EveryNonTerminalStateHasAnOutgoingTransition) {
  for (std::size_t si = 0; si < enum_count<Status>(); ++si) {
    const auto s = static_cast<Status>(si);
    if (is_terminal(s)) continue;
    bool leaves = false;  // to a different state
    for (std::size_t ai = 0; ai < enum_count<Action>(); ++ai) {
      auto to = next_status(s, static_cast<Action>(ai));
      if (to && *to != s) leaves = true;
    }
    EXPECT_TRUE(leaves) << to_string(s) << " is a dead end";
  }
}

TEST(StateMachine, EveryStateIsReachableFromDraft) {
  std::set<S> reached{S::draft};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& t : transitions())
      if (reached.contains(t.from) && reached.insert(t.to).second) grew = true;
  }
  for (std::size_t si = 0; si < enum_count<Status>(); ++si)
    EXPECT_TRUE(reached.contains(static_cast<Status>(si))) << to_string(static_cast<Status>(si));
}

TEST(StateMachine, UndecidedStatesAreExactlyThoseThatCanBeWithdrawn) {
  for (std::size_t si = 0; si < enum_count<Status>(); ++si) {
    const auto s = static_cast<Status>(si);
    EXPECT_EQ(is_undecided(s), next_status(s, A::withdraw).has_value()) << to_string(s);
  }
}

TEST(Vocabulary, NamesRoundTrip) {
  for (std::size_t si = 0; si < enum_count<Status>(); ++si)
    EXPECT_EQ(from_string<Status>(to_string(static_cast<Status>(si))), static_cast<Status>(si));
  EXPECT_EQ(to_string(S::appeal_executive), "appeal_executive");
  EXPECT_EQ(to_string(A::dispose_upheld), "dispose_upheld");
  EXPECT_EQ(from_string<DataClassification>("RED"), DataClassification::RED);
  EXPECT_FALSE(from_string<DataClassification>("red"));
  EXPECT_FALSE(from_string<Role>("root"));
  EXPECT_EQ(from_string<Role>("security_compliance"), Role::security_compliance);
  EXPECT_EQ(enum_count<Status>(), 14u);
  EXPECT_EQ(enum_count<Action>(), 21u);
  EXPECT_EQ(allowed_values<RiskLevel>(), "low, medium, high, critical");
}

}  // namespace
}  // namespace waiver::domain
