// The SQLite store: ids and references, optimistic updates, the full mapping of a request,
// the register's filters and visibility, the organisation import, migrations and transactions.
#include "store/sql_store.hpp"
#include "store/migrations.hpp"
#include "store/outbox_rows.hpp"
#include "testing/support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "app/request_json.hpp"

namespace waiver::store {
namespace {

namespace fs = std::filesystem;
using domain::Date;
using domain::ExceptionRequest;
using domain::Instant;
using domain::Status;

// A temporary folder of this suite's own.
class TempDir : public waiver::testing::TempDir {
 public:
  TempDir() : waiver::testing::TempDir("waiver-store") {}
};

long long scalar(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_busy_timeout(h, 10000);
  sqlite3_stmt* st = nullptr;
  long long out = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

Date date(const char* text) { return *domain::parse_date(text); }
Instant instant(const char* text) { return *domain::parse_instant(text); }

domain::User user(std::string email, std::string department = "", std::set<domain::Role> roles = {}) {
  return domain::User{email, "Name of " + email, std::move(department), std::move(roles)};
}

// Two departments, two policies and a person for each way of seeing a request.
domain::Organisation organisation() {
  domain::Organisation org;
  for (const char* e : {"ana@x.test", "head@x.test", "owner@x.test", "maint@x.test", "eli@x.test",
                        "inv@x.test", "filler@x.test", "stranger@x.test"})
    org.users.push_back(user(e, "Engineering"));
  org.users.push_back(user("bob@x.test", "Sales"));
  org.users.push_back(user("owner2@x.test", "Sales"));
  org.users.push_back(user("sec@x.test", "Security", {domain::Role::security_compliance}));
  org.users.push_back(user("aud@x.test", "Finance", {domain::Role::auditor}));
  org.departments = {{"Engineering", "head@x.test"}, {"Sales", ""}};
  org.policies = {{"p1", "Policy one", domain::PolicyKind::policy, "owner@x.test", {"maint@x.test"}},
                  {"p2", "Policy two", domain::PolicyKind::standard, "owner2@x.test", {}}};
  org.matrix = domain::Matrix{};
  return org;
}

ExceptionRequest request(const std::string& requester, const std::string& department,
                         const std::string& policy, const std::string& title,
                         Instant created = instant("2026-03-01T10:00:00Z")) {
  ExceptionRequest r;
  r.requester = requester;
  r.department = department;
  r.content.policy_id = policy;
  r.content.title = title;
  r.created_at = created;
  r.updated_at = created;
  return r;
}

class SqlStore : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
    auto uow = store_->begin_write();
    uow->import_organisation(organisation());
    uow->commit();
  }

  ExceptionRequest insert(ExceptionRequest r) {
    auto uow = store_->begin_write();
    uow->insert(r);
    uow->commit();
    return r;
  }
  std::optional<ExceptionRequest> find(domain::Id id) { return store_->begin_read()->find(id); }
  domain::Actor actor(const std::string& email) { return *store_->begin_read()->actor(email); }

  TempDir dir_;
  fs::path db_ = dir_.file("store.db");
  std::unique_ptr<app::Store> store_;
};

// ---- ids and references ----------------------------------------------------------------------

TEST_F(SqlStore, InsertAssignsIdsAndYearlyReferences) {
  auto a = insert(request("ana@x.test", "Engineering", "p1", "a"));
  auto b = insert(request("ana@x.test", "Engineering", "p1", "b"));
  auto c = insert(request("ana@x.test", "Engineering", "p1", "c", instant("2027-01-01T00:00:00Z")));
  auto d = insert(request("ana@x.test", "Engineering", "p1", "d", instant("2026-12-31T23:59:59Z")));
  auto e = insert(request("ana@x.test", "Engineering", "p1", "e", instant("2027-06-01T00:00:00Z")));
  EXPECT_GT(a.id, 0);
  EXPECT_GT(b.id, a.id);
  EXPECT_EQ(a.ref, "EXC-2026-0001");
  EXPECT_EQ(b.ref, "EXC-2026-0002");
  EXPECT_EQ(c.ref, "EXC-2027-0001");
  EXPECT_EQ(d.ref, "EXC-2026-0003");
  EXPECT_EQ(e.ref, "EXC-2027-0002");
  EXPECT_EQ(find(c.id)->ref, "EXC-2027-0001");
}

TEST_F(SqlStore, ConcurrentInsertsGetDistinctContiguousReferences) {
  constexpr int kThreads = 8, kEach = 25;
  std::mutex m;
  std::vector<std::string> refs;
  std::set<domain::Id> ids;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        try {
          auto r =
              request("ana@x.test", "Engineering", "p1", "t" + std::to_string(t) + "." + std::to_string(i));
          auto uow = store_->begin_write();
          uow->insert(r);
          uow->commit();
          std::lock_guard lock(m);
          refs.push_back(r.ref);
          ids.insert(r.id);
        } catch (...) {
          ++failures;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(refs.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(ids.size(), refs.size());
  std::sort(refs.begin(), refs.end());
  for (int n = 1; n <= kThreads * kEach; ++n) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "EXC-2026-%04d", n);
    EXPECT_EQ(refs[n - 1], expected);
  }
  EXPECT_EQ(scalar(db_, "SELECT COUNT(DISTINCT ref) FROM exceptions"), kThreads * kEach);
}

// Two stores on one file have no lock in common: SQLite's write lock alone keeps refs unique,
// as with two server processes.
TEST_F(SqlStore, InsertsThroughTwoStoresOnOneFileGetDistinctReferences) {
  auto second = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
  constexpr int kThreads = 4, kEach = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      app::Store& s = t % 2 ? *second : *store_;
      for (int i = 0; i < kEach; ++i) {
        try {
          auto r = request("ana@x.test", "Engineering", "p1", "x");
          auto uow = s.begin_write();
          uow->insert(r);
          uow->append(
              {r.created_at, "ana@x.test", "create", "exception", std::to_string(r.id), r.ref, "", "", ""});
          uow->commit();
        } catch (...) {
          ++failures;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(scalar(db_, "SELECT COUNT(DISTINCT ref) FROM exceptions"), kThreads * kEach);
  EXPECT_EQ(scalar(db_, "SELECT MAX(last) FROM ref_counters"), kThreads * kEach);
  auto v = store_->verify_audit();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.events, kThreads * kEach);
}

// ---- optimistic updates ----------------------------------------------------------------------

TEST_F(SqlStore, UpdateWritesTheNextVersionAndRefusesAStaleOne) {
  auto r = insert(request("ana@x.test", "Engineering", "p1", "original"));
  ASSERT_EQ(r.version, 1);

  auto fresh = r;
  fresh.version = 2;
  fresh.content.title = "changed";
  {
    auto uow = store_->begin_write();
    EXPECT_TRUE(uow->update(fresh, r));
    uow->commit();
  }
  auto stale = r;
  stale.version = 2;  // also based on version 1
  stale.content.title = "stale";
  auto ahead = r;
  ahead.version = 5;
  ahead.content.title = "ahead";
  {
    auto uow = store_->begin_write();
    EXPECT_FALSE(uow->update(stale, r));
    EXPECT_FALSE(uow->update(ahead, r));
    uow->commit();
  }
  auto stored = find(r.id);
  EXPECT_EQ(stored->content.title, "changed");
  EXPECT_EQ(stored->version, 2);
}

// ---- the full mapping ------------------------------------------------------------------------

ExceptionRequest everything() {
  auto r = request("ana@x.test", "Engineering", "p1", "Every field set");
  auto& c = r.content;
  c.requirement = "req";
  c.type = domain::ExceptionType::configuration;
  c.data_classification = domain::DataClassification::ORANGE;
  c.description = "desc ünïcode";
  c.alternative = "alt";
  c.justification = "just";
  c.resources = "res";
  c.scope = "scope";
  c.likelihood = 2;
  c.impact = 5;
  c.compensating_controls = {{"MFA", "maint@x.test", domain::ControlStatus::verified, "https://e.test/1"},
                             {"Logging", "", domain::ControlStatus::planned, ""}};
  c.start_on = date("2026-03-01");
  c.end_on = date("2026-05-30");
  c.links = {"https://a.test", "http://b.test/x?y=1"};
  r.status = Status::active;
  r.max_days = 90;
  r.matrix_version = 3;
  r.approvals = {{"department",
                  Status::department_review,
                  true,
                  domain::SlotStatus::approved,
                  {"head@x.test"},
                  "head@x.test",
                  instant("2026-03-02T09:00:00Z"),
                  "fine"},
                 {"legal",
                  Status::policy_review,
                  true,
                  domain::SlotStatus::pending,
                  {"eli@x.test", "inv@x.test"},
                  "",
                  std::nullopt,
                  ""},
                 {"owner",
                  Status::policy_review,
                  false,
                  domain::SlotStatus::changes_requested,
                  {"owner@x.test"},
                  "owner@x.test",
                  instant("2026-03-04T09:00:00Z"),
                  "again"}};
  r.implications = domain::Implications::planned;
  r.frameworks = {"SOC 2", "ISO 27001"};
  r.risk_level = domain::RiskLevel::critical;
  r.decision_end_on = date("2026-05-01");
  r.action_plan = "plan";
  r.appeal.reason = "because";
  r.appeal.by = "ana@x.test";
  r.appeal.at = instant("2026-03-05T00:00:00Z");
  r.appeal.legal_opinion = "fine by law";
  r.appeal.legal_by = "eli@x.test";
  r.appeal.legal_at = instant("2026-03-06T00:00:00Z");
  r.appeal.dispositions = {
      {domain::Role::ceo, "ceo@x.test", domain::Disposition::grant, "ok", instant("2026-03-07T00:00:00Z")},
      {domain::Role::cfo, "cfo@x.test", domain::Disposition::uphold, "", instant("2026-03-08T00:00:00Z")}};
  r.invitations = {{"inv@x.test", "please look", "owner@x.test", instant("2026-03-03T00:00:00Z")}};
  r.closed_reason = "closed because";
  r.version = 7;
  r.updated_at = instant("2026-03-09T12:34:56Z");
  r.submitted_at = instant("2026-03-01T11:00:00Z");
  r.decided_at = instant("2026-03-08T00:00:00Z");
  r.denied_at = instant("2026-03-04T00:00:00Z");
  return r;
}

void expect_same(const ExceptionRequest& got, const ExceptionRequest& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.ref, want.ref);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.requester, want.requester);
  EXPECT_EQ(got.department, want.department);
  EXPECT_TRUE(got.content == want.content) << app::to_json(got).dump(1) << "\n" << app::to_json(want).dump(1);
  EXPECT_EQ(got.max_days, want.max_days);
  EXPECT_EQ(got.matrix_version, want.matrix_version);
  EXPECT_EQ(got.approvals, want.approvals);
  EXPECT_EQ(got.implications, want.implications);
  EXPECT_EQ(got.frameworks, want.frameworks);
  EXPECT_EQ(got.risk_level, want.risk_level);
  EXPECT_EQ(got.decision_end_on, want.decision_end_on);
  EXPECT_EQ(got.action_plan, want.action_plan);
  EXPECT_EQ(got.appeal, want.appeal);
  EXPECT_EQ(got.invitations, want.invitations);
  EXPECT_EQ(got.closed_reason, want.closed_reason);
  EXPECT_EQ(got.parent_id, want.parent_id);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.updated_at, want.updated_at);
  EXPECT_EQ(got.submitted_at, want.submitted_at);
  EXPECT_EQ(got.decided_at, want.decided_at);
  EXPECT_EQ(got.denied_at, want.denied_at);
}

TEST_F(SqlStore, FindAndFindByRefReturnEveryFieldAsWritten) {
  auto parent = insert(everything());
  auto child = everything();
  child.parent_id = parent.id;
  child.appeal = {};
  child.content.likelihood.reset();
  child.content.type.reset();
  child.content.start_on.reset();
  child.risk_level.reset();
  child.submitted_at.reset();
  child = insert(child);

  auto by_id = find(parent.id);
  ASSERT_TRUE(by_id);
  expect_same(*by_id, parent);
  EXPECT_EQ(by_id->requester_name, "Name of ana@x.test");
  EXPECT_EQ(by_id->extension_ids, std::vector<domain::Id>{child.id});

  auto by_ref = store_->begin_read()->find_by_ref(child.ref);
  ASSERT_TRUE(by_ref);
  expect_same(*by_ref, child);
  EXPECT_TRUE(by_ref->extension_ids.empty());

  EXPECT_FALSE(find(999));
  EXPECT_FALSE(store_->begin_read()->find_by_ref("EXC-2026-9999"));
}

// Only the columns that differ from `before` are written (the indexes of the others are left
// alone): a column `before` and `r` agree on keeps what is stored.
TEST_F(SqlStore, UpdateWritesOnlyWhatDiffersFromBefore) {
  auto stored = insert(request("ana@x.test", "Engineering", "p1", "original"));
  auto before = stored;
  before.content.scope = "not what is stored";
  auto r = before;
  r.content.title = "changed";
  r.status = domain::Status::withdrawn;
  r.version = stored.version + 1;
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->update(r, before));
    uow->commit();
  }
  auto now = find(stored.id);
  EXPECT_EQ(now->content.title, "changed");
  EXPECT_EQ(now->status, domain::Status::withdrawn);
  EXPECT_EQ(now->version, stored.version + 1);
  EXPECT_EQ(now->content.scope, stored.content.scope);
}

TEST_F(SqlStore, UpdateRoundTripsEveryField) {
  auto r = insert(request("ana@x.test", "Engineering", "p1", "bare"));
  auto full = everything();
  full.id = r.id;
  full.ref = r.ref;
  full.created_at = r.created_at;
  full.version = r.version + 1;
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->update(full, r));
    uow->commit();
  }
  expect_same(*find(r.id), full);
  // And back to empty optionals.
  auto bare = request("ana@x.test", "Engineering", "p1", "bare again");
  bare.id = r.id;
  bare.ref = r.ref;
  bare.version = full.version + 1;
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->update(bare, full));
    uow->commit();
  }
  expect_same(*find(r.id), bare);
}

TEST_F(SqlStore, NotesAreKeptPerKindInOrder) {
  auto r = insert(request("ana@x.test", "Engineering", "p1", "noted"));
  {
    auto uow = store_->begin_write();
    uow->add_note(r.id, "input", {"bob@x.test", "first", instant("2026-03-02T00:00:00Z")});
    uow->add_note(r.id, "review", {"owner@x.test", "looked", instant("2026-03-03T00:00:00Z")});
    uow->add_note(r.id, "input", {"ana@x.test", "second", instant("2026-03-04T00:00:00Z")});
    uow->commit();
  }
  auto other = insert(request("ana@x.test", "Engineering", "p1", "not noted"));
  auto notes = store_->begin_read()->notes(r.id);
  EXPECT_EQ(notes.size(), 2u);
  const auto& inputs = notes["input"];
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0], (domain::Note{"bob@x.test", "first", instant("2026-03-02T00:00:00Z")}));
  EXPECT_EQ(inputs[1].body, "second");
  ASSERT_EQ(notes["review"].size(), 1u);
  EXPECT_EQ(notes["review"][0].body, "looked");
  EXPECT_TRUE(store_->begin_read()->notes(other.id).empty());
}

// find() notes whether a request has notes, so that notes() need not ask; a note added in the same
// unit of work, or found with the request, is still read.
TEST_F(SqlStore, NotesAfterFindAreThoseStoredAndThoseAddedSince) {
  auto r = insert(request("ana@x.test", "Engineering", "p1", "noted later"));
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->find(r.id));
    EXPECT_TRUE(uow->notes(r.id).empty());
    uow->add_note(r.id, "input", {"bob@x.test", "first", instant("2026-03-02T00:00:00Z")});
    ASSERT_EQ(uow->notes(r.id)["input"].size(), 1u);
    ASSERT_TRUE(uow->find(r.id));  // found again with its note
    uow->add_note(r.id, "review", {"owner@x.test", "looked", instant("2026-03-03T00:00:00Z")});
    EXPECT_EQ(uow->notes(r.id).size(), 2u);
    uow->commit();
  }
  auto uow = store_->begin_read();
  ASSERT_TRUE(uow->find(r.id));
  auto notes = uow->notes(r.id);
  ASSERT_EQ(notes["input"].size(), 1u);
  EXPECT_EQ(notes["input"][0].body, "first");
  EXPECT_EQ(notes["review"].size(), 1u);
}

// ---- the register ----------------------------------------------------------------------------

class Register : public SqlStore {
 protected:
  void SetUp() override {
    SqlStore::SetUp();
    r1_ = insert(request("ana@x.test", "Engineering", "p1", "Alpha 100% sure"));

    auto r2 = request("bob@x.test", "Sales", "p2", "Beta under_score");
    r2.status = Status::active;
    r2.risk_level = domain::RiskLevel::high;
    r2.decision_end_on = date("2026-03-20");
    r2.approvals = {{"department",
                     Status::department_review,
                     true,
                     domain::SlotStatus::pending,
                     {"eli@x.test"},
                     "",
                     std::nullopt,
                     ""}};
    r2_ = insert(r2);

    auto r3 = request("bob@x.test", "Sales", "p2", "Gamma 1000 items");
    r3.status = Status::policy_review;
    r3.content.requirement = "a needle here";
    r3.invitations = {{"inv@x.test", "", "owner2@x.test", instant("2026-03-02T00:00:00Z")}};
    r3.approvals = {{"compliance",
                     Status::policy_review,
                     true,
                     domain::SlotStatus::approved,
                     {"sec@x.test"},
                     "filler@x.test",
                     instant("2026-03-02T00:00:00Z"),
                     ""}};
    r3_ = insert(r3);

    auto r4 = request("ana@x.test", "Engineering", "p2", "Delta");
    r4.status = Status::active;
    r4.risk_level = domain::RiskLevel::low;
    r4.decision_end_on = date("2026-06-01");
    r4.content.description = "the NEEDLE in the description";
    r4_ = insert(r4);
  }

  std::vector<domain::Id> ids(app::ListFilter f, const std::string& reader = "sec@x.test") {
    std::vector<domain::Id> out;
    for (const auto& r : store_->begin_read()->list(f, actor(reader))) out.push_back(r.id);
    return out;
  }
  using Ids = std::vector<domain::Id>;

  ExceptionRequest r1_, r2_, r3_, r4_;
};

TEST_F(Register, ListsNewestFirstWithoutFilters) {
  EXPECT_EQ(ids({}), (Ids{r4_.id, r3_.id, r2_.id, r1_.id}));
}

TEST_F(Register, FiltersByStatusList) {
  app::ListFilter f;
  f.status = {Status::active};
  EXPECT_EQ(ids(f), (Ids{r4_.id, r2_.id}));
  f.status = {Status::draft, Status::policy_review};
  EXPECT_EQ(ids(f), (Ids{r3_.id, r1_.id}));
  f.status = {Status::expired};
  EXPECT_EQ(ids(f), Ids{});
}

TEST_F(Register, FiltersByPolicyDepartmentRequesterAndRisk) {
  app::ListFilter f;
  f.policy = "p1";
  EXPECT_EQ(ids(f), Ids{r1_.id});
  f = {};
  f.department = "Sales";
  EXPECT_EQ(ids(f), (Ids{r3_.id, r2_.id}));
  f = {};
  f.requester = "ana@x.test";
  EXPECT_EQ(ids(f), (Ids{r4_.id, r1_.id}));
  f = {};
  f.risk_level = domain::RiskLevel::high;
  EXPECT_EQ(ids(f), Ids{r2_.id});
  f = {};
  f.requester = "ana@x.test";
  f.policy = "p2";
  EXPECT_EQ(ids(f), Ids{r4_.id});
}

TEST_F(Register, EndsByKeepsActiveRequestsEndingByThatDate) {
  app::ListFilter f;
  f.ends_by = date("2026-03-20");
  EXPECT_EQ(ids(f), Ids{r2_.id});
  f.ends_by = date("2026-03-19");
  EXPECT_EQ(ids(f), Ids{});
  f.ends_by = date("2026-12-31");
  EXPECT_EQ(ids(f), (Ids{r4_.id, r2_.id}));
}

TEST_F(Register, SearchMatchesRefTitleRequirementAndDescriptionLiterally) {
  app::ListFilter f;
  f.q = "needle";
  EXPECT_EQ(ids(f), (Ids{r4_.id, r3_.id}));
  f.q = "100%";  // % is a literal, not a wildcard: "1000" does not match
  EXPECT_EQ(ids(f), Ids{r1_.id});
  f.q = "_";  // _ is a literal, not any character
  EXPECT_EQ(ids(f), Ids{r2_.id});
  f.q = "a_m";  // "Gamma" would match a wildcard
  EXPECT_EQ(ids(f), Ids{});
  f.q = r3_.ref;
  EXPECT_EQ(ids(f), Ids{r3_.id});
  f.q = "no such words";
  EXPECT_EQ(ids(f), Ids{});
}

// The full-text index follows the requests: a word begins a match, an edited title is found by
// its new words only, and a search pages newest first like the register.
TEST_F(Register, SearchFollowsEditsAndFindsWordsFromTheirStart) {
  app::ListFilter f;
  f.q = "gam";
  EXPECT_EQ(ids(f), Ids{r3_.id});
  f.q = "amma";  // inside a word: not the start of one
  EXPECT_EQ(ids(f), Ids{});
  {
    auto uow = store_->begin_write();
    const auto before = *uow->find(r3_.id);
    auto r = before;
    r.content.title = "Omega renamed";
    ++r.version;
    ASSERT_TRUE(uow->update(r, before));
    uow->commit();
  }
  f.q = "gamma";
  EXPECT_EQ(ids(f), Ids{});
  f.q = "OMEGA ren";
  EXPECT_EQ(ids(f), Ids{r3_.id});
  f.q = "omega renamed";  // a last word longer than the prefix index: the text decides
  EXPECT_EQ(ids(f), Ids{r3_.id});
  f.q = "omega renamedx";
  EXPECT_EQ(ids(f), Ids{});
  f.q = "e";  // one letter: every request with a word that starts with it
  f.limit = 1;
  EXPECT_EQ(ids(f), (Ids{r4_.id, r3_.id}));
  f.before_id = r3_.id;
  EXPECT_EQ(ids(f), (Ids{r2_.id, r1_.id}));
}

// The store indexes a new request as it inserts it (no trigger since migration 11), and the rows
// of a bulk insert (expect_many_inserts) in one pass before COMMIT: both are found by search, and
// a bulk insert that is rolled back leaves nothing in the index.
TEST_F(Register, NewRequestsAreSearchableOneByOneAndInBulk) {
  auto submitted = [](const std::string& title) {
    auto r = request("ana@x.test", "Engineering", "p1", title);
    r.status = Status::policy_review;
    return r;
  };
  app::ListFilter f;
  f.q = "zeppelin";
  EXPECT_EQ(ids(f), Ids{});
  auto one = insert(submitted("Zeppelin hangar access"));
  EXPECT_EQ(ids(f), Ids{one.id});
  {
    auto uow = store_->begin_write();
    uow->expect_many_inserts();
    auto r = submitted("Zeppelin rolled back");
    uow->insert(r);
    uow->expect_many_inserts();  // once is enough; a second call changes nothing
    auto s = submitted("Zeppelin rolled back too");
    uow->insert(s);
  }  // not committed: rolled back
  EXPECT_EQ(ids(f), Ids{one.id});
  auto two = submitted("Zeppelin mooring mast");
  {
    auto uow = store_->begin_write();
    uow->expect_many_inserts();
    uow->insert(two);
    uow->commit();
  }
  EXPECT_EQ(ids(f), (Ids{two.id, one.id}));
  f.q = "mooring";
  EXPECT_EQ(ids(f), Ids{two.id});
}

TEST_F(Register, CursorAndLimitReturnOneRowMoreThanTheLimit) {
  app::ListFilter f;
  f.before_id = r3_.id;
  EXPECT_EQ(ids(f), (Ids{r2_.id, r1_.id}));
  f = {};
  f.limit = 2;
  EXPECT_EQ(ids(f), (Ids{r4_.id, r3_.id, r2_.id}));
  f.limit = 1;
  f.before_id = r4_.id;
  EXPECT_EQ(ids(f), (Ids{r3_.id, r2_.id}));
}

TEST_F(Register, AnEmployeeSeesOnlyRequestsTheyTakePartIn) {
  EXPECT_EQ(ids({}, "stranger@x.test"), Ids{});
  EXPECT_EQ(ids({}, "ana@x.test"), (Ids{r4_.id, r1_.id}));             // requester
  EXPECT_EQ(ids({}, "head@x.test"), (Ids{r4_.id, r1_.id}));            // heads Engineering
  EXPECT_EQ(ids({}, "owner@x.test"), Ids{r1_.id});                     // owns p1
  EXPECT_EQ(ids({}, "maint@x.test"), Ids{r1_.id});                     // maintains p1
  EXPECT_EQ(ids({}, "owner2@x.test"), (Ids{r4_.id, r3_.id, r2_.id}));  // owns p2
  EXPECT_EQ(ids({}, "eli@x.test"), Ids{r2_.id});                       // eligible for a slot
  EXPECT_EQ(ids({}, "filler@x.test"), Ids{r3_.id});                    // filled a slot
  EXPECT_EQ(ids({}, "inv@x.test"), Ids{r3_.id});                       // invited
  EXPECT_EQ(ids({}, "bob@x.test"), (Ids{r3_.id, r2_.id}));
}

TEST_F(Register, RegisterRolesSeeEverything) {
  EXPECT_EQ(ids({}, "sec@x.test").size(), 4u);
  EXPECT_EQ(ids({}, "aud@x.test").size(), 4u);
}

TEST_F(Register, VisibilityFollowsAnUpdate) {
  const auto before = *find(r1_.id);
  auto r = before;
  r.invitations.push_back({"stranger@x.test", "", "owner@x.test", instant("2026-03-02T00:00:00Z")});
  r.version += 1;
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->update(r, before));
    uow->commit();
  }
  EXPECT_EQ(ids({}, "stranger@x.test"), Ids{r1_.id});
  // And an update that leaves who may see it alone keeps them.
  auto retitled = r;
  retitled.content.title = "Retitled";
  retitled.version += 1;
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->update(retitled, r));
    uow->commit();
  }
  EXPECT_EQ(ids({}, "stranger@x.test"), Ids{r1_.id});
  // And the invitation withdrawn takes the stranger's sight away.
  auto uninvited = retitled;
  uninvited.invitations.clear();
  uninvited.version += 1;
  {
    auto uow = store_->begin_write();
    ASSERT_TRUE(uow->update(uninvited, retitled));
    uow->commit();
  }
  EXPECT_EQ(ids({}, "stranger@x.test"), Ids{});
}

TEST_F(Register, DueForExpiryTakesActiveRequestsEndedBeforeTheDay) {
  auto uow = store_->begin_read();
  EXPECT_EQ(uow->due_for_expiry(date("2026-03-20")), Ids{});
  EXPECT_EQ(uow->due_for_expiry(date("2026-03-21")), Ids{r2_.id});
  EXPECT_EQ(uow->due_for_expiry(date("2026-07-01")), (Ids{r2_.id, r4_.id}));
}

// ---- organisation ----------------------------------------------------------------------------

TEST_F(SqlStore, ImportUpsertsAndVersionsTheMatrixOnlyWhenItChanges) {
  auto matrix_version = [&] { return store_->begin_read()->matrix()->version; };
  ASSERT_EQ(matrix_version(), 1);

  auto org = organisation();
  org.users[0].name = "Ana Renamed";
  org.users[0].roles = {domain::Role::legal, domain::Role::cfo};
  org.users.push_back(user("new@x.test", "Sales"));
  org.departments[1].head = "new@x.test";
  org.policies[0].title = "Policy one, revised";
  org.policies[0].maintainers = {"eli@x.test", "inv@x.test"};
  std::string summary;
  {
    auto uow = store_->begin_write();
    summary = uow->import_organisation(org);
    uow->commit();
  }
  EXPECT_EQ(summary.find("matrix_version"), std::string::npos) << summary;
  EXPECT_EQ(matrix_version(), 1);

  auto uow = store_->begin_read();
  EXPECT_EQ(uow->user("ana@x.test")->name, "Ana Renamed");
  EXPECT_EQ(uow->user("ana@x.test")->roles, (std::set<domain::Role>{domain::Role::legal, domain::Role::cfo}));
  EXPECT_TRUE(uow->user("new@x.test"));
  EXPECT_EQ(uow->user_emails().size(), organisation().users.size() + 1);
  EXPECT_EQ(uow->department("Sales")->head, "new@x.test");
  EXPECT_EQ(uow->policy("p1")->title, "Policy one, revised");
  EXPECT_EQ(uow->policy("p1")->maintainers, (std::vector<std::string>{"eli@x.test", "inv@x.test"}));
  EXPECT_EQ(uow->role_members(domain::Role::cfo), std::vector<std::string>{"ana@x.test"});
  EXPECT_EQ(uow->actor("eli@x.test")->maintains, std::set<std::string>{"p1"});
  EXPECT_TRUE(uow->actor("maint@x.test")->maintains.empty());
  uow.reset();

  org.matrix->max_days = 120;
  {
    auto w = store_->begin_write();
    summary = w->import_organisation(org);
    w->commit();
  }
  EXPECT_NE(summary.find("\"matrix_version\":2"), std::string::npos) << summary;
  EXPECT_EQ(matrix_version(), 2);
  EXPECT_EQ(store_->begin_read()->matrix()->matrix.max_days, 120);
  EXPECT_EQ(scalar(db_, "SELECT COUNT(*) FROM matrix_versions"), 2);
}

TEST_F(SqlStore, ActorKnowsWhatTheyHeadOwnAndMaintain) {
  auto uow = store_->begin_read();
  EXPECT_EQ(uow->actor("head@x.test")->heads, std::set<std::string>{"Engineering"});
  EXPECT_EQ(uow->actor("owner@x.test")->owns, std::set<std::string>{"p1"});
  EXPECT_EQ(uow->actor("maint@x.test")->maintains, std::set<std::string>{"p1"});
  EXPECT_TRUE(uow->actor("sec@x.test")->has(domain::Role::security_compliance));
  EXPECT_EQ(uow->role_members(domain::Role::security_compliance), std::vector<std::string>{"sec@x.test"});
  EXPECT_FALSE(uow->actor("nobody@x.test"));
  const auto org = uow->organisation();
  EXPECT_EQ(org.users.size(), organisation().users.size());
  EXPECT_EQ(org.policies.size(), 2u);
  EXPECT_TRUE(org.matrix);
}

// ---- migrations and transactions -------------------------------------------------------------

TEST_F(SqlStore, OpeningTwiceMigratesOnceAndKeepsTheData) {
  auto r = insert(request("ana@x.test", "Engineering", "p1", "kept"));
  store_.reset();
  store_ = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
  auto again = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
  EXPECT_EQ(scalar(db_, "SELECT COUNT(*) FROM schema_migrations"),
            static_cast<long long>(sqlite_migrations().size()));
  EXPECT_EQ(find(r.id)->content.title, "kept");
  EXPECT_EQ(again->begin_read()->find(r.id)->ref, r.ref);
}

TEST_F(SqlStore, AUnitOfWorkNotCommittedLeavesNothingBehind) {
  domain::Id id = 0;
  {
    auto uow = store_->begin_write();
    auto r = request("ana@x.test", "Engineering", "p1", "abandoned");
    uow->insert(r);
    id = r.id;
    uow->add_note(r.id, "input", {"ana@x.test", "n", r.created_at});
    uow->append({r.created_at, "ana@x.test", "create", "exception", std::to_string(r.id), r.ref, "", "", ""});
    uow->import_organisation({{user("ghost@x.test")}, {}, {}, std::nullopt});
    EXPECT_TRUE(uow->find(id));
  }
  EXPECT_FALSE(find(id));
  EXPECT_FALSE(store_->begin_read()->user("ghost@x.test"));
  EXPECT_EQ(store_->verify_audit().events, 0);
  EXPECT_EQ(scalar(db_, "SELECT COUNT(*) FROM exception_notes"), 0);
  // The reference counter was rolled back as well.
  EXPECT_EQ(insert(request("ana@x.test", "Engineering", "p1", "next")).ref, "EXC-2026-0001");
}

TEST_F(SqlStore, TokensAreFoundByHashUntilTheyExpire) {
  domain::Id id = 0;
  {
    auto uow = store_->begin_write();
    id = uow->add_token("ana@x.test", "cli", std::string(64, 'a'), instant("2026-03-01T00:00:00Z"));
    uow->commit();
  }
  auto uow = store_->begin_read();
  auto t = uow->token_by_hash(std::string(64, 'a'), instant("2026-03-02T00:00:00Z"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, id);
  EXPECT_EQ(t->user, "ana@x.test");
  EXPECT_EQ(t->name, "cli");
  EXPECT_FALSE(uow->token_by_hash(std::string(64, 'b'), instant("2026-03-02T00:00:00Z")));
  uow.reset();
  {
    sqlite3* h = nullptr;
    sqlite3_open(db_.c_str(), &h);
    sqlite3_busy_timeout(h, 10000);
    sqlite3_exec(h, "UPDATE api_tokens SET expires_at = '2026-03-05T00:00:00Z'", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  uow = store_->begin_read();
  EXPECT_TRUE(uow->token_by_hash(std::string(64, 'a'), instant("2026-03-04T23:59:59Z")));
  EXPECT_FALSE(uow->token_by_hash(std::string(64, 'a'), instant("2026-03-05T00:00:00Z")));
}

TEST(DatabaseUrl, ParsesSqliteUrlsAndRefusesOthers) {
  auto abs = parse_database_url("sqlite:///tmp/w.db");
  ASSERT_TRUE(abs);
  EXPECT_EQ(abs->engine, DatabaseUrl::Engine::sqlite);
  EXPECT_EQ(abs->target, "/tmp/w.db");
  EXPECT_EQ(parse_database_url("sqlite://rel.db")->target, "rel.db");
  EXPECT_FALSE(parse_database_url("sqlite://"));
  EXPECT_FALSE(parse_database_url("mysql://x"));
}

// The reason open_store gives, or "" when it opened.
std::string open_failure(const fs::path& db) {
  try {
    open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(OpenStore, AFileThatCannotBeOpenedGivesAOneLineReason) {
  TempDir dir;
  const auto missing_dir = open_failure(dir.file("no/such/dir/x.db"));
  EXPECT_NE(missing_dir.find("cannot open the database"), std::string::npos) << missing_dir;
  EXPECT_EQ(missing_dir.find('\n'), std::string::npos);

  const auto garbage = dir.file("garbage.db");
  {
    std::ofstream out(garbage);
    out << std::string(4096, 'g');
  }
  const auto not_a_db = open_failure(garbage);
  EXPECT_NE(not_a_db.find("cannot open the database"), std::string::npos) << not_a_db;
}

TEST(OpenStore, ASchemaNewerThanThisBuildIsRefused) {
  TempDir dir;
  const auto db = dir.file("newer.db");
  open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM schema_migrations"),
            static_cast<long long>(sqlite_migrations().size()));
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  ASSERT_EQ(sqlite3_exec(h, "INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01T00:00:00Z')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  const auto reason = open_failure(db);
  EXPECT_NE(reason.find("newer"), std::string::npos) << reason;
}

// ---- the outbox ---------------------------------------------------------------------------------

// The SQLite query plan of `sql`, one line a step.
std::vector<std::string> query_plan(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* st = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(h, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

TEST_F(SqlStore, OutboxClaimsTheOldestWaitingMessagesWithoutSortingTheBacklog) {
  const Instant t = instant("2026-03-01T10:00:00Z");
  {
    auto uow = store_->begin_write();
    for (int i = 0; i < 6; ++i) {
      app::OutboxMessage m;
      m.created_at = t;
      m.channel = "email";
      m.target = "ana@x.test";
      m.event = "exception.submit";
      m.body = "{}";
      m.next_attempt_at = i == 1 ? instant("2026-03-02T10:00:00Z") : t;  // 2: due tomorrow
      uow->enqueue(m);
    }
    uow->commit();
  }
  auto claim = [&](const char* worker, std::int64_t after, int limit) {
    auto uow = store_->begin_write();
    const Instant at{t.seconds + after};
    auto got = uow->claim_due(at, worker, Instant{at.seconds + 300}, limit);
    uow->commit();
    std::vector<app::Id> ids;
    for (const auto& m : got) ids.push_back(m.id);
    return ids;
  };
  EXPECT_EQ(claim("x", 0, 10), (std::vector<app::Id>{1, 3, 4, 5, 6})) << "2 is not due";
  {
    auto uow = store_->begin_write();
    uow->mark_delivered(1, "x", t);
    uow->mark_attempt_failed(3, "x", "refused", t, t);  // given up
    uow->commit();
  }
  EXPECT_EQ(claim("a", 0, 10), (std::vector<app::Id>{})) << "x holds 4, 5 and 6";
  EXPECT_EQ(claim("a", 301, 2), (std::vector<app::Id>{4, 5})) << "x's lease lapsed";
  EXPECT_EQ(claim("b", 302, 10), (std::vector<app::Id>{6}));

  // The claim walks the index of waiting messages in id order and stops at its limit: it neither
  // reads every due message nor sorts them (a backlog of 88,000 drained at 340 a second so).
  const auto plan = query_plan(db_, outbox_rows::claim_due_sql(sqlite_dialect()));
  std::string all;
  for (const auto& step : plan) all += step + "\n";
  EXPECT_NE(all.find("USING INDEX outbox_waiting"), std::string::npos) << all;
  EXPECT_EQ(all.find("TEMP B-TREE"), std::string::npos) << all;
}

}  // namespace
}  // namespace waiver::store

namespace waiver::store {
namespace {

// Two branches that each added a migration: a database that has the newer one but not the
// older one still gets the older one on the next start, and is not ready until it does.
TEST(Migrations, OneMissingBelowTheNewestAppliedIsAppliedOnTheNextStart) {
  waiver::testing::TempDir dir("waiver-migrations");
  const auto db = dir.file("m.db");
  // Migration 6 (idempotency keys) stands for one that landed below the newest: undone, and
  // unrecorded, as if this database had never seen it.
  const int gap = 6;
  ASSERT_GT(sqlite_migrations().back().version, gap);
  ASSERT_EQ(open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()})->readiness(), "");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    const std::string sql =
        "DROP TABLE idempotency_keys; DELETE FROM schema_migrations WHERE version = " + std::to_string(gap);
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  EXPECT_NE(open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()}, {1, false})->readiness(), "");
  EXPECT_EQ(open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()})->readiness(), "");
}

}  // namespace
}  // namespace waiver::store
