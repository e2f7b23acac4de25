// The fixed-window limiter: the limit per window, the seconds left (not the whole window) in the
// answer, a new window after the old one ends, keys counted apart, 0 as off, and ended windows
// dropped so that memory follows the keys of one window.
#include "http/rate_limit.hpp"

#include <gtest/gtest.h>

namespace waiver::http {
namespace {

using namespace std::chrono_literals;
const RateLimiter::Clock::time_point t0 = RateLimiter::Clock::time_point{} + 1000h;

TEST(RateLimiter, AllowsTheLimitPerWindowThenAnswersTheSecondsLeftInIt) {
  RateLimiter limiter(3, 60s);
  EXPECT_EQ(limiter.hit("a", t0), 0);
  EXPECT_EQ(limiter.hit("a", t0 + 10s), 0);
  EXPECT_EQ(limiter.hit("a", t0 + 20s), 0);
  EXPECT_EQ(limiter.hit("a", t0 + 20s), 40);         // the window began at t0
  EXPECT_EQ(limiter.hit("a", t0 + 59s + 500ms), 1);  // rounded up, never 0
  EXPECT_EQ(limiter.hit("a", t0 + 60s), 0);          // a new window
  EXPECT_EQ(limiter.hit("a", t0 + 61s), 0);
  EXPECT_EQ(limiter.hit("a", t0 + 62s), 0);
  EXPECT_EQ(limiter.hit("a", t0 + 62s), 58);
}

TEST(RateLimiter, CountsEachKeyApart) {
  RateLimiter limiter(1, 10s);
  EXPECT_EQ(limiter.hit("a", t0), 0);
  EXPECT_EQ(limiter.hit("b", t0), 0);
  EXPECT_GT(limiter.hit("a", t0 + 1s), 0);
  EXPECT_GT(limiter.hit("b", t0 + 1s), 0);
  EXPECT_EQ(limiter.hit("c", t0 + 1s), 0);
}

TEST(RateLimiter, RefusedRequestsDoNotExtendTheWindow) {
  RateLimiter limiter(1, 10s);
  EXPECT_EQ(limiter.hit("a", t0), 0);
  for (int i = 1; i < 10; ++i) EXPECT_EQ(limiter.hit("a", t0 + std::chrono::seconds(i)), 10 - i);
  EXPECT_EQ(limiter.hit("a", t0 + 10s), 0);
}

TEST(RateLimiter, ZeroIsOff) {
  RateLimiter limiter(0, 1s);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.hit("a", t0), 0);
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(RateLimiter, EndedWindowsAreDropped) {
  RateLimiter limiter(5, 10s);
  for (int i = 0; i < 1000; ++i) limiter.hit("k" + std::to_string(i), t0);
  EXPECT_EQ(limiter.keys(), 1000u);
  limiter.hit("late", t0 + 11s);
  EXPECT_EQ(limiter.keys(), 1u);
}

}  // namespace
}  // namespace waiver::http
