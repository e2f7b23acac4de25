// The audit trail's hash chain on a real SQLite file: appended events verify, and each kind of
// tampering done behind the store's back (edit, delete, reorder, truncate, head) is detected.
#include "store/audit_chain.hpp"
#include "testing/support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "app/secrets.hpp"
#include "store/sql_store.hpp"

namespace waiver::store {
namespace {

namespace fs = std::filesystem;
using app::AuditEvent;
using app::AuditRecord;

// A temporary folder of this suite's own.
class TempDir : public waiver::testing::TempDir {
 public:
  TempDir() : waiver::testing::TempDir("waiver-audit") {}
};

// Runs SQL on the database file through a connection of its own, as an intruder would.
void tamper(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_busy_timeout(h, 10000);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  const std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::vector<std::string> columns_of(const fs::path& db, const std::string& table) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, ("PRAGMA table_info(" + table + ")").c_str(), -1, &st, nullptr);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

AuditRecord record(int n) {
  return AuditRecord{domain::Instant{1780000000 + n},
                     "user" + std::to_string(n) + "@example.com",
                     "edit",
                     "exception",
                     std::to_string(n),
                     "EXC-2026-000" + std::to_string(n),
                     R"({"status":"draft"})",
                     R"({"status":"department_review"})",
                     R"({"n":)" + std::to_string(n) + "}"};
}

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
    auto uow = store_->begin_write();
    for (int n = 1; n <= 4; ++n) uow->append(record(n));
    uow->commit();
  }

  app::VerifyResult verify() { return store_->verify_audit(); }

  TempDir dir_;
  fs::path db_ = dir_.file("audit.db");
  std::unique_ptr<app::Store> store_;
};

TEST(AuditChainEmpty, AnEmptyTrailVerifiesWithTheGenesisHead) {
  TempDir dir;
  auto store = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, dir.file("empty.db").string()});
  auto r = store->verify_audit();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.events, 0);
  EXPECT_EQ(r.head, kGenesisHash);
}

TEST_F(AuditChain, AppendedEventsAreChainedAndVerify) {
  std::vector<AuditEvent> events;
  store_->export_audit([&](const AuditEvent& e) { events.push_back(e); });
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].prev_hash, kGenesisHash);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].id, static_cast<app::Id>(i + 1));
    EXPECT_EQ(events[i].hash, chain_hash(events[i]));
    if (i > 0) {
      EXPECT_EQ(events[i].prev_hash, events[i - 1].hash);
    }
  }
  EXPECT_EQ(events[2].record.data, R"({"n":3})");
  auto r = verify();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.events, 4);
  EXPECT_EQ(r.head, events.back().hash);
  EXPECT_FALSE(r.first_bad);
}

TEST_F(AuditChain, EditingAColumnOfOneEventIsDetectedAtThatEvent) {
  for (const char* column : {"actor", "at", "before", "after", "data", "ref", "action", "entity_id"}) {
    SCOPED_TRACE(column);
    TempDir dir;
    const auto db = dir.file("copy.db");
    {
      auto copy = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
      auto uow = copy->begin_write();
      for (int n = 1; n <= 4; ++n) uow->append(record(n));
      uow->commit();
    }
    tamper(db, std::string("UPDATE audit_events SET ") + column + " = " + column + " || 'x' WHERE id = 3");
    auto copy = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
    auto r = copy->verify_audit();
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.first_bad);
    EXPECT_EQ(*r.first_bad, 3);
    EXPECT_NE(r.reason.find("edited"), std::string::npos) << r.reason;
  }
}

TEST_F(AuditChain, EditingAHashIsDetected) {
  tamper(db_, "UPDATE audit_events SET hash = '" + std::string(64, 'a') + "' WHERE id = 2");
  auto r = verify();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad);
  EXPECT_EQ(*r.first_bad, 2);
}

TEST_F(AuditChain, DeletingAMiddleEventIsDetected) {
  tamper(db_, "DELETE FROM audit_events WHERE id = 2");
  auto r = verify();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad);
  EXPECT_EQ(*r.first_bad, 3);
  EXPECT_NE(r.reason.find("missing"), std::string::npos) << r.reason;
}

TEST_F(AuditChain, SwappingTheContentsOfTwoEventsIsDetected) {
  // Every column but id exchanged between events 2 and 3.
  tamper(db_,
         "CREATE TEMP TABLE t AS SELECT * FROM audit_events WHERE id IN (2, 3);"
         "UPDATE audit_events SET (at, actor, action, entity_type, entity_id, ref, before, after, data, "
         "prev_hash, hash) = (SELECT at, actor, action, entity_type, entity_id, ref, before, after, data, "
         "prev_hash, hash FROM t WHERE t.id = 5 - audit_events.id) WHERE id IN (2, 3);");
  auto r = verify();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad);
  EXPECT_EQ(*r.first_bad, 2);
}

TEST_F(AuditChain, RenumberingEventsIsDetected) {
  tamper(db_,
         "UPDATE audit_events SET id = 100 WHERE id = 2;"
         "UPDATE audit_events SET id = 2 WHERE id = 3;"
         "UPDATE audit_events SET id = 3 WHERE id = 100;");
  auto r = verify();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad);
  EXPECT_EQ(*r.first_bad, 2);
}

TEST_F(AuditChain, RemovingTheLastEventsIsDetectedThroughTheHead) {
  tamper(db_, "DELETE FROM audit_events WHERE id >= 3");
  auto r = verify();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad);
  EXPECT_EQ(*r.first_bad, 3);
  EXPECT_NE(r.reason.find("removed from the end"), std::string::npos) << r.reason;
}

TEST_F(AuditChain, RemovingEveryEventIsDetectedThroughTheHead) {
  tamper(db_, "DELETE FROM audit_events");
  auto r = verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.events, 0);
}

TEST_F(AuditChain, EditingTheHeadAloneIsDetected) {
  {
    SCOPED_TRACE("hash");
    tamper(db_, "UPDATE audit_head SET hash = '" + std::string(64, 'b') + "'");
    EXPECT_FALSE(verify().ok);
  }
  TempDir dir;
  const auto db = dir.file("copy.db");
  {
    auto copy = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
    auto uow = copy->begin_write();
    for (int n = 1; n <= 4; ++n) uow->append(record(n));
    uow->commit();
  }
  tamper(db, "UPDATE audit_head SET events = 5");
  auto copy = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
  EXPECT_FALSE(copy->verify_audit().ok);
}

TEST_F(AuditChain, TheChainContinuesAfterReopening) {
  store_.reset();
  store_ = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
  {
    auto uow = store_->begin_write();
    uow->append(record(5));
    uow->commit();
  }
  auto r = verify();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.events, 5);
}

// ---- canonical encoding ----------------------------------------------------------------------

AuditEvent sample_event() { return AuditEvent{7, record(7), std::string(64, 'c'), std::string(64, 'd')}; }

TEST(CanonicalEncoding, IsSortedCompactJsonOfEveryFieldButHash) {
  const auto text = canonical_encoding(sample_event());
  EXPECT_EQ(text,
            R"({"action":"edit","actor":"user7@example.com","after":"{\"status\":\"department_review\"}",)"
            R"("at":"2026-05-28T20:26:47Z","before":"{\"status\":\"draft\"}","data":"{\"n\":7}",)"
            R"("entity_id":"7","entity_type":"exception","id":7,)"
            R"("prev_hash":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",)"
            R"("ref":"EXC-2026-0007"})");
  EXPECT_EQ(canonical_encoding(sample_event()), text);
}

// The encoding as a json tree dumped with sorted keys: the reference the text form must match.
std::string canonical_encoding_by_tree(const AuditEvent& e) {
  const auto& r = e.record;
  nlohmann::json j{{"id", e.id},
                   {"at", domain::format_instant(r.at)},
                   {"actor", r.actor},
                   {"action", r.action},
                   {"entity_type", r.entity_type},
                   {"entity_id", r.entity_id},
                   {"ref", r.ref},
                   {"before", r.before},
                   {"after", r.after},
                   {"data", r.data},
                   {"prev_hash", e.prev_hash}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(CanonicalEncoding, IsByteForByteTheSortedJsonTree) {
  using namespace std::string_literals;
  const std::vector<std::string> texts{
      "",
      "plain",
      "quote \" backslash \\ slash / tab \t new line \n return \r",
      "nul \0 and \x01 \x1f \x7f"s,  // the s suffix keeps the NUL and what follows
      "caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x94\x92",
      "{\"status\":\"active\",\"controls\":[{\"description\":\"MFA\"}]}",
      "lone \xC3 byte",
      "overlong \xC0\xAF",
      "surrogate \xED\xA0\x80",
      "past U+10FFFF \xF4\x90\x80\x80",
      "cut at the end \xF0\x9F\x94",
      "stray continuation \x80\xBF",
      "\xFF\xFE",
  };
  for (std::size_t i = 0; i < texts.size(); ++i) {
    for (std::size_t field = 0; field < 9; ++field) {
      AuditEvent e = sample_event();
      std::string* fields[] = {&e.record.actor,     &e.record.action, &e.record.entity_type,
                               &e.record.entity_id, &e.record.ref,    &e.record.before,
                               &e.record.after,     &e.record.data,   &e.prev_hash};
      *fields[field] = texts[i];
      e.id = field % 2 ? std::numeric_limits<app::Id>::max() : static_cast<app::Id>(i);
      EXPECT_EQ(canonical_encoding(e), canonical_encoding_by_tree(e))
          << "text " << i << " in field " << field;
    }
  }
}

TEST(CanonicalEncoding, ChangingAnyFieldButHashChangesTheHash) {
  const AuditEvent base = sample_event();
  const std::string h = chain_hash(base);
  EXPECT_EQ(h, app::sha256_hex(canonical_encoding(base)));
  EXPECT_EQ(h.size(), 64u);
  std::vector<std::function<void(AuditEvent&)>> edits{
      [](AuditEvent& e) { e.id += 1; },
      [](AuditEvent& e) { e.record.at.seconds += 1; },
      [](AuditEvent& e) { e.record.actor += "x"; },
      [](AuditEvent& e) { e.record.action += "x"; },
      [](AuditEvent& e) { e.record.entity_type += "x"; },
      [](AuditEvent& e) { e.record.entity_id += "x"; },
      [](AuditEvent& e) { e.record.ref += "x"; },
      [](AuditEvent& e) { e.record.before += " "; },
      [](AuditEvent& e) { e.record.after += " "; },
      [](AuditEvent& e) { e.record.data += " "; },
      [](AuditEvent& e) { e.prev_hash[0] = 'e'; },
  };
  std::set<std::string> hashes{h};
  for (std::size_t i = 0; i < edits.size(); ++i) {
    AuditEvent e = base;
    edits[i](e);
    EXPECT_TRUE(hashes.insert(chain_hash(e)).second) << "edit " << i << " did not change the hash";
  }
  AuditEvent other_hash = base;
  other_hash.hash = std::string(64, 'f');
  EXPECT_EQ(chain_hash(other_hash), h);
}

TEST(CanonicalEncoding, NamesEveryColumnOfTheTableButHash) {
  TempDir dir;
  const auto db = dir.file("columns.db");
  open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db.string()});
  const auto encoded = nlohmann::json::parse(canonical_encoding(sample_event()));
  const auto columns = columns_of(db, "audit_events");
  ASSERT_FALSE(columns.empty());
  std::set<std::string> expected;
  for (const auto& c : columns)
    if (c != "hash") expected.insert(c);
  std::set<std::string> keys;
  for (const auto& [k, v] : encoded.items()) keys.insert(k);
  EXPECT_EQ(keys, expected);
}

TEST(ChainVerifier, NamesTheFirstBadEventOnly) {
  std::vector<AuditEvent> events;
  std::string prev = kGenesisHash;
  for (int n = 1; n <= 3; ++n) {
    AuditEvent e{n, record(n), prev, {}};
    e.hash = chain_hash(e);
    prev = e.hash;
    events.push_back(e);
  }
  events[1].record.actor = "mallory@example.com";
  events[2].record.actor = "mallory@example.com";
  ChainVerifier v;
  for (const auto& e : events) v.feed(e);
  auto r = v.finish(3, events.back().hash);
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad);
  EXPECT_EQ(*r.first_bad, 2);
  EXPECT_EQ(r.events, 3);
}

// Two texts that differ only in invalid bytes encode alike (U+FFFD), so a byte swapped for the
// replacement character would keep the hash: the verifier refuses any event that is not UTF-8, and
// events are stored with invalid UTF-8 already replaced, so it never refuses one Waiver wrote.
TEST(ChainVerifier, RefusesAnEventThatIsNotUtf8EvenWithAMatchingHash) {
  AuditEvent e{1, record(1), kGenesisHash, {}};
  e.record.data = "{\"note\":\"caf\xef\xbf\xbd\"}";
  e.hash = chain_hash(e);
  AuditEvent forged = e;
  forged.record.data = "{\"note\":\"caf\xe9\"}";  // Latin-1 é: invalid UTF-8
  ASSERT_EQ(chain_hash(forged), e.hash);          // the encoding alone does not see it
  ChainVerifier good;
  good.feed(e);
  EXPECT_TRUE(good.finish(1, e.hash).ok);
  ChainVerifier bad;
  bad.feed(forged);
  auto r = bad.finish(1, e.hash);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("not UTF-8"), std::string::npos) << r.reason;
}

TEST(CanonicalEncoding, ARecordIsStoredWithInvalidUtf8AlreadyReplaced) {
  auto rec = record(1);
  rec.actor = "cli:caf\xe9";
  rec.after = "{\"title\":\"\xff\"}";
  const auto fixed = with_valid_utf8(rec);
  EXPECT_EQ(fixed.actor, "cli:caf\xef\xbf\xbd");
  EXPECT_EQ(fixed.after, "{\"title\":\"\xef\xbf\xbd\"}");
  EXPECT_EQ(fixed.data, rec.data);
  AuditEvent stored{1, fixed, kGenesisHash, {}};
  EXPECT_TRUE(is_valid_utf8(stored));
  EXPECT_EQ(chain_hash(stored), chain_hash(AuditEvent{1, rec, kGenesisHash, {}}));
}

}  // namespace
}  // namespace waiver::store
