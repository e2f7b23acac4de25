// The audit trail's hash chain: a canonical encoding of each event, SHA-256 over it and the
// previous hash, and a verifier that names the first event that does not fit.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "app/ports.hpp"

namespace waiver::store {

inline const std::string kGenesisHash(64, '0');

std::string sha256_hex(std::string_view data);

// Every column of the row but `hash`, as JSON with sorted keys and no spaces.
std::string canonical_encoding(const app::AuditEvent& e);

std::string chain_hash(const app::AuditEvent& e);

// Fed the events in id order; remembers the first that breaks the chain.
class ChainVerifier {
 public:
  void feed(const app::AuditEvent& e);
  // Compares the end of the chain with the recorded head (detects a truncated tail).
  app::VerifyResult finish(std::int64_t head_events, const std::string& head_hash);

 private:
  void fail(app::Id id, std::string reason);
  app::VerifyResult result_;
  std::string prev_ = kGenesisHash;
  app::Id expected_id_ = 1;
};

}  // namespace waiver::store
