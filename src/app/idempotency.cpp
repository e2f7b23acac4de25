#include "app/idempotency.hpp"

namespace waiver::app {

IdempotencyClaim*& current_idempotency_claim() {
  thread_local IdempotencyClaim* claim = nullptr;
  return claim;
}

}  // namespace waiver::app
