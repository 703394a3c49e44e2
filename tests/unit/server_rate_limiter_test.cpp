#include "server/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace pb::server {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;
const Clock::time_point t0 = Clock::time_point{} + 1000h;

// "k17" (appending rather than "k" + to_string(), which trips GCC 12's -Wrestrict, bug 105329).
std::string key(std::string_view prefix, int i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

TEST(RateLimiter, SlidingWindow) {
  RateLimiter limiter(3, 10s);
  EXPECT_EQ(limiter.retry_after("ip", t0), 0s);
  EXPECT_TRUE(limiter.allow("ip", t0));
  EXPECT_TRUE(limiter.allow("ip", t0 + 1s));
  EXPECT_TRUE(limiter.allow("ip", t0 + 2s));
  EXPECT_FALSE(limiter.allow("ip", t0 + 3s));
  EXPECT_EQ(limiter.retry_after("ip", t0 + 3s), 7s);
  EXPECT_FALSE(limiter.allow("ip", t0 + 9500ms));
  EXPECT_EQ(limiter.retry_after("ip", t0 + 9500ms), 1s);  // rounded up
  // The first event leaves the window at exactly t0 + 10s.
  EXPECT_EQ(limiter.retry_after("ip", t0 + 10s), 0s);
  EXPECT_TRUE(limiter.allow("ip", t0 + 10s));
  EXPECT_FALSE(limiter.allow("ip", t0 + 10500ms));  // t0+1s is still inside
  EXPECT_EQ(limiter.retry_after("ip", t0 + 10500ms), 1s);
  EXPECT_TRUE(limiter.allow("ip", t0 + 11s));
  EXPECT_TRUE(limiter.allow("ip", t0 + 12s));
  EXPECT_FALSE(limiter.allow("ip", t0 + 12s));
  EXPECT_EQ(limiter.retry_after("ip", t0 + 12s), 8s);  // until t0 + 20s
}

TEST(RateLimiter, KeysAreIndependentAndResettable) {
  RateLimiter limiter(1, 60s);
  EXPECT_TRUE(limiter.allow("alice", t0));
  EXPECT_FALSE(limiter.allow("alice", t0));
  EXPECT_TRUE(limiter.allow("bob", t0));
  EXPECT_TRUE(limiter.allow(std::string("alice\0x", 7), t0));  // keys are bytes
  limiter.reset("alice");
  EXPECT_EQ(limiter.retry_after("alice", t0), 0s);
  EXPECT_TRUE(limiter.allow("alice", t0));
  limiter.reset("nobody");
  EXPECT_FALSE(limiter.allow("bob", t0 + 59s));
  EXPECT_EQ(limiter.retry_after("bob", t0 + 59s), 1s);
}

// Against an oracle: with random attempt times, an attempt is allowed exactly when fewer
// than max_events allowed attempts lie in the window before it.
TEST(RateLimiter, MatchesExactSlidingLogOracle) {
  for (size_t max_events : {1u, 2u, 5u}) {
    RateLimiter limiter(max_events, 10s);
    std::deque<Clock::time_point> allowed;
    std::mt19937 rng(static_cast<unsigned>(max_events));
    Clock::time_point now = t0;
    for (int i = 0; i < 3000; ++i) {
      now += std::chrono::milliseconds(rng() % 4000);
      while (!allowed.empty() && now - allowed.front() >= 10s) allowed.pop_front();
      bool expect = allowed.size() < max_events;
      ASSERT_EQ(limiter.allow("k", now), expect) << "attempt " << i;
      if (expect) allowed.push_back(now);
      auto wait = limiter.retry_after("k", now);
      if (allowed.size() < max_events) {
        ASSERT_EQ(wait, 0s);
      } else {
        ASSERT_EQ(wait, std::chrono::ceil<std::chrono::seconds>(allowed.front() + 10s - now));
      }
    }
  }
}

TEST(RateLimiter, MemoryIsBoundedByEvictingTheOldestKeys) {
  RateLimiter limiter(1, 60s, /*max_keys=*/100);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.allow(key("k", i), t0 + std::chrono::milliseconds(i)));
    ASSERT_LE(limiter.size(), 100u);
  }
  EXPECT_EQ(limiter.size(), 100u);
  // The most recent keys are still limited; the oldest were forgotten.
  EXPECT_FALSE(limiter.allow("k999", t0 + 1s));
  EXPECT_FALSE(limiter.allow("k900", t0 + 1s));
  EXPECT_TRUE(limiter.allow("k0", t0 + 1s));
}

TEST(RateLimiter, RecentlyAttemptedKeysSurviveEviction) {
  RateLimiter limiter(1, 60s, /*max_keys=*/3);
  EXPECT_TRUE(limiter.allow("victim", t0));
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("b", t0));
  EXPECT_FALSE(limiter.allow("victim", t0 + 1s));  // denied, but marks it recently used
  EXPECT_TRUE(limiter.allow("c", t0 + 2s));        // evicts "a", not "victim"
  EXPECT_FALSE(limiter.allow("victim", t0 + 3s));
  EXPECT_TRUE(limiter.allow("a", t0 + 3s));
}

TEST(RateLimiter, ExpiredKeysAreDropped) {
  RateLimiter limiter(2, 10s);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.allow(key("k", i), t0));
  EXPECT_EQ(limiter.size(), 50u);
  EXPECT_TRUE(limiter.allow("late", t0 + 10s));
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiter, ConcurrentAttemptsNeverExceedTheLimit) {
  RateLimiter limiter(100, 60s, 50);
  std::atomic<int> allowed_shared{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.allow("shared", t0)) allowed_shared.fetch_add(1);
        limiter.allow(key("own", t * 1000 + i), t0);  // churns eviction
        limiter.retry_after("shared", t0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed_shared.load(), 100);
  EXPECT_LE(limiter.size(), 50u);
}

}  // namespace
}  // namespace pb::server
