#include "http/rate_limit.hpp"

namespace waiver::http {

RateLimiter::RateLimiter(int limit, std::chrono::seconds window)
    : limit_(limit), window_(window < std::chrono::seconds(1) ? std::chrono::seconds(1) : window) {}

int RateLimiter::hit(const std::string& key, Clock::time_point now) {
  if (limit_ <= 0) return 0;
  std::lock_guard lock(mutex_);
  // Ended windows are dropped at most once per window, so memory follows the keys of one window.
  if (now - last_sweep_ >= window_) sweep(now);
  auto& w = windows_[key];
  if (w.count == 0 || now - w.start >= window_) {
    w.start = now;
    w.count = 0;
  }
  if (w.count >= limit_) {
    const auto left = w.start + window_ - now;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(left).count();
    return seconds < 1 ? 1 : static_cast<int>(seconds);
  }
  ++w.count;
  return 0;
}

std::size_t RateLimiter::keys() const {
  std::lock_guard lock(mutex_);
  return windows_.size();
}

void RateLimiter::sweep(Clock::time_point now) {
  for (auto it = windows_.begin(); it != windows_.end();)
    if (now - it->second.start >= window_)
      it = windows_.erase(it);
    else
      ++it;
  last_sweep_ = now;
}

}  // namespace waiver::http
