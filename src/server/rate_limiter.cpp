#include "server/rate_limiter.hpp"

#include <algorithm>

#include "core/result.hpp"

namespace pb::server {

RateLimiter::RateLimiter(size_t max_events, std::chrono::seconds window, size_t max_keys)
    : max_events_(max_events), window_(window), max_keys_(max_keys) {
  PB_CHECK(max_events > 0 && window.count() > 0 && max_keys > 0);
}

bool RateLimiter::expired(const Entry& e, Clock::time_point now) const {
  // The newest event is the one just before `head` in the ring.
  const auto& ev = e.events;
  Clock::time_point newest = ev[(e.head + ev.size() - 1) % ev.size()];
  return now - newest >= window_;
}

void RateLimiter::erase(Map::iterator it) {
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

bool RateLimiter::allow(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  // Drop keys whose events have all left the window, least recently attempted first.
  while (!lru_.empty()) {
    auto last = entries_.find(*lru_.back());
    if (last->first == key || !expired(last->second, now)) break;
    erase(last);
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) erase(entries_.find(*lru_.back()));
    it = entries_.emplace(std::string(key), Entry{}).first;
    lru_.push_front(&it->first);
    it->second.lru = lru_.begin();
    it->second.events.reserve(std::min<size_t>(max_events_, 8));
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  if (e.events.size() < max_events_) {
    e.events.push_back(now);
    return true;
  }
  if (now - e.events[e.head] < window_) return false;
  e.events[e.head] = now;
  e.head = (e.head + 1) % max_events_;
  return true;
}

void RateLimiter::reset(std::string_view key) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) erase(it);
}

std::chrono::seconds RateLimiter::retry_after(std::string_view key, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.events.size() < max_events_) return {};
  Clock::duration wait = it->second.events[it->second.head] + window_ - now;
  if (wait <= Clock::duration::zero()) return {};
  return std::chrono::ceil<std::chrono::seconds>(wait);
}

size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace pb::server
