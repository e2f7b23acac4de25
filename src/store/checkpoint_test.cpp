// Signed checkpoints of the audit chain on a real SQLite file: a chain rewritten behind the
// store's back, with every hash and the head recomputed, verifies on its own but fails at the
// checkpoint signed before; a forged checkpoint fails its signature.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "app/audit_checkpoints.hpp"
#include "store/audit_chain.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::store {
namespace {

namespace fs = std::filesystem;

void run_sql(const fs::path& db, const std::string& sql) {
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

std::string sql_text(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

app::AuditRecord record(int n) {
  return {domain::Instant{1780000000 + n},
          "user@example.com",
          "edit",
          "exception",
          std::to_string(n),
          "EXC-2026-000" + std::to_string(n),
          "",
          "",
          R"({"n":)" + std::to_string(n) + "}"};
}

class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    store_ = open_store(DatabaseUrl{DatabaseUrl::Engine::sqlite, db_.string()});
    append(1, 4);
  }
  void append(int from, int to) {
    auto uow = store_->begin_write();
    for (int n = from; n <= to; ++n) uow->append(record(n));
    uow->commit();
  }
  app::AuditCheckpoint checkpoint(std::int64_t at) {
    auto c = app::make_checkpoint(*store_, key_, domain::Instant{at}, std::nullopt);
    EXPECT_TRUE(c && *c);
    return **c;
  }
  // What an intruder with write access to the database would do: change event `n`'s data, then
  // recompute every hash from there on and the head, so that the chain is consistent again.
  void rewrite_history(app::Id n, const std::string& data) {
    std::vector<app::AuditEvent> events;
    store_->export_audit([&](const app::AuditEvent& e) { events.push_back(e); });
    std::string sql = "BEGIN;";
    std::string prev = kGenesisHash;
    for (auto& e : events) {
      if (e.id == n) e.record.data = data;
      e.prev_hash = prev;
      e.hash = chain_hash(e);
      prev = e.hash;
      sql += "UPDATE audit_events SET data = " + sql_text(e.record.data) +
             ", prev_hash = " + sql_text(e.prev_hash) + ", hash = " + sql_text(e.hash) +
             " WHERE id = " + std::to_string(e.id) + ";";
    }
    sql += "UPDATE audit_head SET hash = " + sql_text(prev) + " WHERE id = 1; COMMIT;";
    run_sql(db_, sql);
  }

  waiver::testing::TempDir dir_{"waiver-checkpoint"};
  fs::path db_ = dir_.file("audit.db");
  std::unique_ptr<app::Store> store_;
  app::SigningKey key_ = *app::parse_signing_key(app::generate_signing_key().file_text);
};

TEST(CheckpointSignature, SignedMessageVerifiesWithItsKeyOnlyAndBreaksWhenAnyFieldChanges) {
  ASSERT_GE(sodium_init(), 0);
  const auto generated = app::generate_signing_key();
  const auto key = app::parse_signing_key(generated.file_text);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(key->public_key, generated.public_key);
  const auto c = app::sign_checkpoint(7, std::string(64, 'c'), domain::Instant{1780000000}, *key);
  EXPECT_EQ(app::checkpoint_message(c), "waiver-audit-checkpoint v1\nevents: 7\nhead: " +
                                            std::string(64, 'c') + "\nat: 2026-05-28T20:26:40Z\n");
  EXPECT_TRUE(app::checkpoint_signature_valid(c, key->public_key));
  EXPECT_FALSE(app::checkpoint_signature_valid(c, app::generate_signing_key().public_key));
  auto events = c, head = c, at = c;
  events.events = 8;
  head.head = std::string(64, 'd');
  at.at = domain::Instant{1780000001};
  for (const auto& changed : {events, head, at})
    EXPECT_FALSE(app::checkpoint_signature_valid(changed, key->public_key));
}

TEST(CheckpointSignature, PublicKeysAreReadAsHexBase64OrPemAndBadOnesAreRefused) {
  ASSERT_GE(sodium_init(), 0);
  const auto pk = app::generate_signing_key().public_key;
  EXPECT_EQ(app::parse_public_key(pk).value_or(""), pk);
  EXPECT_EQ(app::parse_public_key(app::public_key_pem(pk)).value_or(""), pk);
  EXPECT_FALSE(app::parse_public_key("not a key"));
  EXPECT_FALSE(app::parse_public_key(pk.substr(2)));
  EXPECT_FALSE(app::parse_signing_key("00ff"));
  // A PKCS#8 key as `openssl genpkey -algorithm ed25519` writes it: RFC 8032's test vector 1.
  const auto k = app::parse_signing_key(
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
      "-----END PRIVATE KEY-----\n");
  ASSERT_TRUE(k) << k.error();
  EXPECT_EQ(k->public_key, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST_F(Checkpoints, TheChainPassesThroughItsCheckpointsAndTheyAreSigned) {
  const auto c1 = checkpoint(1780000100);
  append(5, 6);
  const auto c2 = checkpoint(1780000200);
  EXPECT_EQ(c1.events, 4);
  EXPECT_EQ(c2.events, 6);
  const auto r = store_->verify_audit();
  ASSERT_TRUE(r.ok) << r.reason;
  ASSERT_EQ(r.checkpoints.size(), 2u);
  for (const auto& c : r.checkpoints) EXPECT_TRUE(app::checkpoint_signature_valid(c, key_.public_key));
  EXPECT_EQ(r.checkpoints[1].head, r.head);
}

TEST_F(Checkpoints, ARewrittenChainWithEveryHashRecomputedFailsAtTheCheckpointSignedBefore) {
  const auto c = checkpoint(1780000100);
  append(5, 6);
  rewrite_history(2, R"({"n":2,"approved_by":"someone else"})");
  const auto r = store_->verify_audit();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.bad_checkpoint);
  EXPECT_EQ(*r.bad_checkpoint, c.id);
  EXPECT_EQ(r.first_bad.value_or(0), 1);  // no checkpoint vouches for anything before it
  EXPECT_NE(r.reason.find("checkpoint " + std::to_string(c.id)), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("rewritten"), std::string::npos) << r.reason;

  // Without the checkpoint the rewrite is invisible: the chain alone is consistent again.
  run_sql(db_, "DELETE FROM audit_checkpoints");
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(Checkpoints, ARewriteAfterTheLastCheckpointIsNamedFromThatCheckpointOn) {
  checkpoint(1780000100);
  append(5, 8);
  const auto c2 = checkpoint(1780000200);
  rewrite_history(6, R"({"n":6,"x":1})");
  const auto r = store_->verify_audit();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_checkpoint.value_or(0), c2.id);
  EXPECT_EQ(r.first_bad.value_or(0), 5);
}

TEST_F(Checkpoints, ACheckpointForgedWithAnotherKeyFailsItsSignature) {
  checkpoint(1780000100);
  rewrite_history(2, R"({"n":2,"x":1})");
  // The intruder replaces the checkpoint with one of their own over the rewritten head.
  const auto head = store_->begin_read()->audit_head();
  const auto forger = *app::parse_signing_key(app::generate_signing_key().file_text);
  const auto forged = app::sign_checkpoint(head.events, head.hash, domain::Instant{1780000100}, forger);
  run_sql(db_, "UPDATE audit_checkpoints SET head = " + sql_text(forged.head) + ", signature = " +
                   sql_text(forged.signature) + ", public_key = " + sql_text(forger.public_key));
  const auto r = store_->verify_audit();
  ASSERT_TRUE(r.ok) << r.reason;  // consistent, but:
  ASSERT_EQ(r.checkpoints.size(), 1u);
  EXPECT_FALSE(app::checkpoint_signature_valid(r.checkpoints[0], key_.public_key));
}

TEST_F(Checkpoints, EventsRemovedBelowACheckpointAreDetected) {
  append(5, 6);
  const auto c = checkpoint(1780000100);
  run_sql(db_,
          "DELETE FROM audit_events WHERE id > 4; UPDATE audit_head SET events = 4, hash = (SELECT hash "
          "FROM audit_events WHERE id = 4)");
  const auto r = store_->verify_audit();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_checkpoint.value_or(0), c.id);
  EXPECT_NE(r.reason.find("removed"), std::string::npos) << r.reason;
}

TEST_F(Checkpoints, ThePeriodicCheckpointWaitsForGrowthAndForTheInterval) {
  auto make = [&](std::int64_t at) {
    auto c = app::make_checkpoint(*store_, key_, domain::Instant{at}, 3600);
    EXPECT_TRUE(c);
    return c && *c;
  };
  EXPECT_TRUE(make(1780000000));          // the first one
  EXPECT_FALSE(make(1780000000 + 7200));  // the chain has not grown
  append(5, 5);
  EXPECT_FALSE(make(1780000000 + 60));  // grown, but the last one is recent
  EXPECT_TRUE(make(1780000000 + 3600));
  EXPECT_EQ(store_->begin_read()->checkpoints().size(), 2u);
}

}  // namespace
}  // namespace waiver::store
