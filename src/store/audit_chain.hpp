// The audit trail's hash chain: a canonical encoding of each event, SHA-256 over it and the
// previous hash, and a verifier that names the first event that does not fit.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/ports.hpp"

namespace waiver::store {

inline const std::string kGenesisHash(64, '0');

// Every column of the row but `hash`, as JSON with sorted keys and no spaces.
std::string canonical_encoding(const app::AuditEvent& e);

std::string chain_hash(const app::AuditEvent& e);

// The record with each text as the canonical encoding reads it: invalid UTF-8 replaced by U+FFFD.
// Events are stored so, so that no stored event holds bytes that are not UTF-8 and the verifier can
// refuse any that does (two texts that differ only in invalid bytes would encode, and hash, alike).
app::AuditRecord with_valid_utf8(app::AuditRecord r);
// True when every text of the event is valid UTF-8.
bool is_valid_utf8(const app::AuditEvent& e);

// Fed the events in id order; remembers the first that breaks the chain. Given checkpoints, it
// also checks that the chain passes through each (its event `events` has the hash `head`): a
// chain rewritten with every hash recomputed is self-consistent, but no longer fits them.
class ChainVerifier {
 public:
  // Before the first feed.
  void expect(std::vector<app::AuditCheckpoint> checkpoints);
  void feed(const app::AuditEvent& e);
  // Compares the end of the chain with the recorded head (detects a truncated tail).
  app::VerifyResult finish(std::int64_t head_events, const std::string& head_hash);

 private:
  void fail(app::Id id, std::string reason);
  void pass_checkpoints(std::int64_t events, const std::string& hash);
  app::VerifyResult result_;
  std::vector<app::AuditCheckpoint> pending_;  // by events, not yet reached
  std::size_t next_ = 0;
  std::int64_t last_good_ = 0;  // the events of the last checkpoint passed
  std::string prev_ = kGenesisHash;
  app::Id expected_id_ = 1;
};

}  // namespace waiver::store
