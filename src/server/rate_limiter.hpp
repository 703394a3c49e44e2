#pragma once
// Sliding-window rate limiter keyed by string (a client IP, a user name): at most
// `max_events` allowed events in any window of `window`. Used to slow down password guessing
// at login, per IP and per user name.
//
// Exact sliding log: each key keeps the times of its last `max_events` allowed events in a
// ring (grown on demand), and an attempt is allowed when the oldest of them has left the
// window. Denied attempts are not recorded, so a client that keeps retrying is let through as
// soon as a slot frees (retry_after() says when) instead of locking itself out for good.
//
// Memory is bounded: keys whose events have all left the window are dropped as new attempts
// come in, and beyond `max_keys` the least recently attempted key is evicted (which forgets
// its limit: an attacker must make `max_keys` attempts from other keys to reset one, and the
// per-IP limiter bounds how fast that can happen). About 150 bytes + 8 * max_events per key.
//
// Time is passed in (`now`), so tests drive it; callers pass Clock::now().
// Thread safety: all methods may be called concurrently (one mutex; login rates are low).

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pb::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // max_events, window and max_keys must be positive (PB_CHECK).
  RateLimiter(size_t max_events, std::chrono::seconds window, size_t max_keys = 100000);

  // Records an attempt for `key` at `now`; true when it is allowed (and then counted).
  bool allow(std::string_view key, Clock::time_point now);
  // Forgets `key` (after a successful login, say).
  void reset(std::string_view key);
  // How long until allow(key) would succeed; zero when it would now. Rounded up to seconds,
  // ready for a Retry-After header.
  std::chrono::seconds retry_after(std::string_view key, Clock::time_point now) const;
  // Keys currently tracked.
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    std::vector<Clock::time_point> events;  // ring of allowed events; oldest at `head`
    size_t head = 0;                        // non-zero only once the ring is full
    std::list<const std::string*>::iterator lru;
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  bool expired(const Entry& e, Clock::time_point now) const;
  void erase(Map::iterator it);

  const size_t max_events_;
  const Clock::duration window_;
  const size_t max_keys_;
  mutable std::mutex mu_;
  Map entries_;
  std::list<const std::string*> lru_;  // keys, most recently attempted first
};

}  // namespace pb::server
