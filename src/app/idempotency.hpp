// Idempotency-Key: a POST retried with the same key (by the same caller) gets the first answer
// and changes nothing twice. The key is claimed in the transaction of the change itself (the unit
// of work that writes the request's audit events), so a change and its claim commit together or
// not at all; the answer is recorded right after.
#pragma once
#include <optional>
#include <string>

#include "domain/time.hpp"

namespace waiver::app {

struct IdempotencyClaim {
  std::string scope;  // who: a hash of the caller's credential
  std::string key;    // the Idempotency-Key header
  std::string request_hash;
  domain::Instant at;
  domain::Instant expired_before;  // an older claim of the same key no longer counts
  bool claimed = false;            // recorded with a committed change
  bool taken = false;              // another request claimed the key first: the change was undone
};

// The claim of the request this thread serves, if any; the store records it on the commit of the
// first unit of work that wrote audit events.
IdempotencyClaim*& current_idempotency_claim();

// Sets the current claim for a scope, and clears it on the way out.
class IdempotencyScope {
 public:
  explicit IdempotencyScope(IdempotencyClaim& claim) { current_idempotency_claim() = &claim; }
  ~IdempotencyScope() { current_idempotency_claim() = nullptr; }
  IdempotencyScope(const IdempotencyScope&) = delete;
  IdempotencyScope& operator=(const IdempotencyScope&) = delete;
};

}  // namespace waiver::app
