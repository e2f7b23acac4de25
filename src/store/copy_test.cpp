// `waiver copy`: every table with its ids, the audit chain verified with the same head, a
// non-empty target refused and left as it was. The *Postgresql tests run only with
// WAIVER_TEST_POSTGRES_URL (ctest -L postgresql, `make unit-test-postgresql`): SQLite →
// PostgreSQL → SQLite, and new requests on PostgreSQL after a copy.
#include "store/copy.hpp"

#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "app/services.hpp"
#include "cli/demo.hpp"
#include "store/postgresql_test_database.hpp"
#include "store/soci_types.hpp"
#include "testing/support.hpp"

namespace waiver::store {
namespace {

namespace fs = std::filesystem;

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

class Clock final : public app::Clock {
 public:
  domain::Instant now() const override { return *domain::parse_instant("2026-09-01T10:00:00Z"); }
};

DatabaseUrl sqlite_url(const fs::path& file) { return {DatabaseUrl::Engine::sqlite, file.string()}; }

// Every row of a table as text, columns by name, rows sorted: equal across engines when the
// content is (an integer is int on SQLite and long long on PostgreSQL through soci::row).
std::vector<std::string> dump(soci::session& s, const std::string& table) {
  std::vector<std::string> rows;
  soci::rowset<soci::row> rs = s.prepare << "SELECT * FROM " + table;
  for (const auto& r : rs) {
    std::map<std::string, std::string> cols;
    for (std::size_t i = 0; i < r.size(); ++i) {
      const auto& p = r.get_properties(i);
      std::string v;
      if (r.get_indicator(i) == soci::i_null)
        v = "NULL";
      else if (p.get_data_type() == soci::dt_string)
        v = "'" + r.get<std::string>(i) + "'";
      else
        v = std::to_string(*int_at(r, p.get_name()));
      cols[p.get_name()] = v;
    }
    std::string line;
    for (const auto& [k, v] : cols) line += k + "=" + v + "|";
    rows.push_back(line);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::map<std::string, std::vector<std::string>> dump_all(const DatabaseUrl& url) {
  auto s = open_session(url);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t : copied_tables()) out[t] = dump(*s, t);
  return out;
}

long long count(const DatabaseUrl& url, const std::string& table) {
  auto s = open_session(url);
  long long n = 0;
  *s << "SELECT COUNT(*) FROM " + table, soci::into(n);
  return n;
}

// The demo organisation with requests in every state, plus a password, a disabled account, a
// session, sign-in failures, a single sign-on state and review notes, so that every table has rows.
void fill(const DatabaseUrl& url) {
  auto store = open_store(url);
  Clock clock;
  cli::load_demo(*store, clock.now());
  auto uow = store->begin_write();
  uow->set_password_hash("ana@example.com", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
  uow->set_disabled("legal@example.com", clock.now());
  uow->add_session({"session-hash", "ana@example.com", "password", "csrf", "127.0.0.1", clock.now(),
                    clock.now(), domain::Instant{clock.now().seconds + 3600}});
  uow->add_failure("account:ana@example.com", clock.now());
  uow->add_failure("address:127.0.0.1", clock.now());
  uow->put_oidc_state({"state-hash", "nonce", "verifier", "/", clock.now()});
  for (app::Id id : {1, 2, 5, 9})
    uow->add_note(id, "review", {"owner@example.com", "Reviewed, no findings", clock.now()});
  uow->add_webhook(
      {0, "http://127.0.0.1:9/hook", "whsec_x", "*", "json", clock.now(), "admin@example.com", {}});
  uow->set_calendar_feed("ana@example.com", "feed-hash", clock.now());
  uow->record_job_run("scheduled", clock.now());
  // A checkpoint that fits the chain (verify checks it); its signature is not checked here.
  const auto head = uow->audit_head();
  uow->add_checkpoint({0, head.events, head.hash, clock.now(), std::string(64, 'a'), std::string(128, 'b')});
  uow->record_idempotent_answer("auth:x", "key-1",
                                {"hash", clock.now(), 201, "application/json", "[]", "{}"});
  uow->commit();
}

class Copy : public ::testing::Test {
 protected:
  void SetUp() override { fill(source_); }
  waiver::testing::TempDir dir_{"waiver-copy"};
  DatabaseUrl source_ = sqlite_url(dir_.file("source.db"));
  DatabaseUrl target_ = sqlite_url(dir_.file("target.db"));
};

TEST_F(Copy, EveryTableArrivesWithItsIdsAndTheChainVerifiesWithTheSameHead) {
  const auto before = open_store(source_)->verify_audit();
  ASSERT_TRUE(before.ok);
  // Pages of 3 rows: every table is read over several pages, composite keys included.
  const auto report = copy_database(source_, target_, {.batch = 3});

  const auto from = dump_all(source_), to = dump_all(target_);
  ASSERT_EQ(report.tables.size(), copied_tables().size());
  for (const auto& t : report.tables) {
    SCOPED_TRACE(t.name);
    EXPECT_GT(t.rows, 0) << "the demo should give every table rows";
    EXPECT_EQ(t.rows, static_cast<long long>(from.at(t.name).size()));
    EXPECT_EQ(count(target_, t.name), t.rows);
    EXPECT_EQ(to.at(t.name), from.at(t.name));
  }
  EXPECT_GT(count(source_, "exceptions WHERE parent_id IS NOT NULL"), 0);

  const auto after = open_store(target_)->verify_audit();
  EXPECT_TRUE(after.ok) << after.reason;
  EXPECT_EQ(after.events, before.events);
  EXPECT_EQ(after.head, before.head);
  EXPECT_EQ(report.events, before.events);
  EXPECT_EQ(report.head, before.head);
  EXPECT_NE(format_copy_report(report).find("audit_events"), std::string::npos);

  // A few rows read back through the store itself.
  auto copied = open_store(target_), original = open_store(source_);
  auto uow = copied->begin_read(), orig = original->begin_read();
  for (app::Id id : {1, 5, 13}) {
    auto a = orig->find(id), b = uow->find(id);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(b->ref, a->ref);
    EXPECT_EQ(b->content.title, a->content.title);
    EXPECT_EQ(b->status, a->status);
    EXPECT_EQ(b->version, a->version);
    EXPECT_EQ(b->approvals.size(), a->approvals.size());
  }
  EXPECT_EQ(uow->password_hash("ana@example.com"), orig->password_hash("ana@example.com"));
  EXPECT_TRUE(uow->is_disabled("legal@example.com"));
  EXPECT_TRUE(uow->session("session-hash"));

  // The search index is derived, not copied: it is rebuilt, and finds what the source finds.
  const auto reader = *orig->actor("auditor@example.com");
  for (app::Id id : {1, 5, 13}) {
    app::ListFilter f;
    const auto title = orig->find(id)->content.title;
    f.q = title.substr(0, title.find(' '));
    std::vector<app::Id> a, b;
    for (const auto& r : orig->list(f, reader)) a.push_back(r.id);
    for (const auto& r : uow->list(f, reader)) b.push_back(r.id);
    SCOPED_TRACE(f.q);
    EXPECT_FALSE(b.empty());
    EXPECT_EQ(b, a);
  }
}

TEST_F(Copy, ANonEmptyTargetIsRefusedAndLeftAsItWas) {
  copy_database(source_, target_);
  const auto before = dump_all(target_);
  try {
    copy_database(source_, target_);
    FAIL() << "a second copy into the same target was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not empty (table users"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dump_all(target_), before);

  // A target with only an organisation (no request, no event) is refused too.
  const auto other = sqlite_url(dir_.file("other.db"));
  {
    auto store = open_store(other);
    auto uow = store->begin_write();
    uow->save_user({"someone@x.test", "Someone", "", {}});
    uow->commit();
  }
  EXPECT_THROW(copy_database(source_, other), std::runtime_error);
  EXPECT_EQ(count(other, "users"), 1);
  EXPECT_EQ(count(other, "audit_events"), 0);
}

TEST_F(Copy, ACopyCopiesAgainIntoANewFile) {
  copy_database(source_, target_);
  const auto again = sqlite_url(dir_.file("again.db"));
  const auto report = copy_database(target_, again);
  EXPECT_EQ(dump_all(again), dump_all(source_));
  const auto v = open_store(again)->verify_audit();
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.head, open_store(source_)->verify_audit().head);
  EXPECT_EQ(report.head, v.head);
}

TEST_F(Copy, AMissingSourceIsRefusedWithoutCreatingIt) {
  const auto missing = sqlite_url(dir_.file("missing.db"));
  try {
    copy_database(missing, target_);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(missing.target));
}

TEST_F(Copy, ABrokenSourceChainIsRefusedAndNothingIsCopied) {
  {
    auto s = open_session(source_);
    *s << "UPDATE audit_events SET actor = 'mallory@example.com' WHERE id = 3";
  }
  try {
    copy_database(source_, target_);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("at event 3"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(target_.target));
}

TEST_F(Copy, ARequestReferringToANewerOneKeepsItsParent) {
  // Not made by the process (extensions are newer than their parents), but the copy does not
  // depend on it.
  long long last = 0;
  {
    auto s = open_session(source_);
    *s << "SELECT MAX(id) FROM exceptions", soci::into(last);
    *s << "UPDATE exceptions SET parent_id = :p WHERE id = 1", soci::use(last, "p");
  }
  copy_database(source_, target_, {.batch = 4});
  EXPECT_EQ(dump_all(target_).at("exceptions"), dump_all(source_).at("exceptions"));
}

TEST_F(Copy, TheCopyKnowsEveryTableOfTheSchema) {
  auto s = open_session(source_);
  std::vector<std::string> tables;
  soci::rowset<std::string> rs =
      s->prepare << "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' "
                    "AND name NOT LIKE 'exceptions\\_search%' ESCAPE '\\'";  // derived: rebuilt on the target
  for (const auto& t : rs) tables.push_back(t);
  auto known = copied_tables();
  std::sort(tables.begin(), tables.end());
  std::sort(known.begin(), known.end());
  EXPECT_EQ(tables, known);
}

TEST_F(Copy, AnEmptyInstallationCopiesToo) {
  const auto empty = sqlite_url(dir_.file("empty.db"));
  open_store(empty);
  const auto report = copy_database(empty, target_);
  EXPECT_EQ(report.events, 0);
  EXPECT_TRUE(open_store(target_)->verify_audit().ok);
  EXPECT_EQ(count(target_, "users"), 0);
}

// ---- PostgreSQL ------------------------------------------------------------------------------

class CopyPostgresql : public Copy {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg_.available()) << "WAIVER_TEST_POSTGRES_URL is not set: run these through make test, "
                                    "which starts a throw-away PostgreSQL cluster";
    Copy::SetUp();
  }
  PostgresDatabase pg_{"waiver_copy_"};
};

TEST_F(CopyPostgresql, SqliteToPostgresqlAndBackKeepsEveryRowAndTheHead) {
  const auto head = open_store(source_)->verify_audit();
  const auto there = copy_database(source_, pg_.url(), {.batch = 3});
  EXPECT_EQ(there.head, head.head);
  EXPECT_EQ(there.events, head.events);
  EXPECT_EQ(dump_all(pg_.url()), dump_all(source_));

  const auto back = copy_database(pg_.url(), target_, {.batch = 7});
  EXPECT_EQ(back.head, head.head);
  EXPECT_EQ(dump_all(target_), dump_all(source_));
  const auto v = open_store(target_)->verify_audit();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.head, head.head);
}

TEST_F(CopyPostgresql, NewRowsOnPostgresqlAfterTheCopyGetNewIdsAndReferences) {
  copy_database(source_, pg_.url());
  long long max_id = 0, max_token = 0, max_note = 0, max_failure = 0, last_ref = 0;
  {
    auto s = open_session(pg_.url());
    *s << "SELECT MAX(id) FROM exceptions", soci::into(max_id);
    *s << "SELECT MAX(id) FROM api_tokens", soci::into(max_token);
    *s << "SELECT MAX(id) FROM exception_notes", soci::into(max_note);
    *s << "SELECT MAX(id) FROM sign_in_failures", soci::into(max_failure);
    *s << "SELECT last FROM ref_counters WHERE year = 2026", soci::into(last_ref);
  }
  auto store = open_store(pg_.url());
  Clock clock;
  app::Services s{*store, clock, {}};
  const auto ana = *store->begin_read()->actor("ana@example.com");
  auto made = app::create_request(s, ana, {{"title", "After the move"}, {"policy_id", "access-control"}});
  ASSERT_TRUE(made) << made.error().detail;
  EXPECT_EQ(made->request.id, max_id + 1);
  char ref[32];
  std::snprintf(ref, sizeof ref, "EXC-2026-%04lld", last_ref + 1);
  EXPECT_EQ(made->request.ref, ref);
  {
    auto uow = store->begin_write();
    EXPECT_EQ(uow->add_token("ana@example.com", "after", "new-token-hash", clock.now()), max_token + 1);
    EXPECT_EQ(uow->add_failure("account:ana@example.com", clock.now()), max_failure + 1);
    uow->add_note(made->request.id, "review", {"owner@example.com", "after the move", clock.now()});
    uow->commit();
  }
  EXPECT_EQ(count(pg_.url(), "exception_notes WHERE id = " + std::to_string(max_note + 1)), 1);
  const auto v = store->verify_audit();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_GT(v.events, open_store(source_)->verify_audit().events);
}

TEST_F(CopyPostgresql, ANonEmptyPostgresqlTargetIsRefusedAndLeftAsItWas) {
  copy_database(source_, pg_.url());
  const auto before = dump_all(pg_.url());
  EXPECT_THROW(copy_database(source_, pg_.url()), std::runtime_error);
  EXPECT_EQ(dump_all(pg_.url()), before);
}

TEST_F(CopyPostgresql, AnEmptySqliteInstallationMovesToPostgresqlWithItsHeadRow) {
  const auto empty = sqlite_url(dir_.file("empty.db"));
  open_store(empty);
  copy_database(empty, pg_.url());
  EXPECT_EQ(count(pg_.url(), "audit_head"), 1);
  auto store = open_store(pg_.url());
  EXPECT_TRUE(store->verify_audit().ok);
}

TEST_F(CopyPostgresql, TheCopyKnowsEveryTableOfThePostgresqlSchema) {
  open_store(pg_.url());
  auto s = open_session(pg_.url());
  std::vector<std::string> tables;
  soci::rowset<std::string> rs =
      s->prepare << "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND table_name <> 'schema_migrations'";
  for (const auto& t : rs) tables.push_back(t);
  auto known = copied_tables();
  std::sort(tables.begin(), tables.end());
  std::sort(known.begin(), known.end());
  EXPECT_EQ(tables, known);
}

}  // namespace
}  // namespace waiver::store
