// Request rate limits per API token (or session) and per client address: fixed windows, counted
// in memory by each instance. A refused request learns how many seconds its window has left.
#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace waiver::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // At most `limit` requests per key in each window of `window` (a limit of 0 turns it off).
  RateLimiter(int limit, std::chrono::seconds window);

  // Counts one request for `key` at `now`: 0 when it is allowed, else the whole seconds (at least
  // 1, rounded up) until the key's window ends and it may try again.
  int hit(const std::string& key, Clock::time_point now);

  bool enabled() const { return limit_ > 0; }
  std::size_t keys() const;  // windows held, for tests

 private:
  struct Window {
    Clock::time_point start;
    int count = 0;
  };
  void sweep(Clock::time_point now);  // drops ended windows; caller holds mutex_

  int limit_;
  std::chrono::seconds window_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  Clock::time_point last_sweep_{};
};

// The limits every API request passes (health, readiness and metrics excepted).
struct RateLimits {
  RateLimits(int token_limit, int address_limit, std::chrono::seconds window)
      : per_token(token_limit, window), per_address(address_limit, window) {}
  RateLimiter per_token;
  RateLimiter per_address;
};

}  // namespace waiver::http
