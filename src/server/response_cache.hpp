#pragma once
// A bounded LRU cache of API responses. Keys name everything a response depends on (the
// route and its parameters, the index generation, the vector set, the count of votes cast),
// so an entry never goes stale: a new index, a new vector set or any vote makes new keys and
// the old entries age out. Thread-safe (one mutex; lookups are a hash probe and a list splice).

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pb::server {

struct CachedResponse {
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

class ResponseCache {
 public:
  explicit ResponseCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  std::shared_ptr<const CachedResponse> get(const std::string& key) {
    if (max_bytes_ == 0) return nullptr;
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  void put(const std::string& key, std::shared_ptr<const CachedResponse> value) {
    const size_t size = cost(key, *value);
    if (max_bytes_ == 0 || size > max_bytes_ / 8) return;  // no single entry hogs the cache
    std::lock_guard lock(mu_);
    if (auto it = map_.find(key); it != map_.end()) {
      bytes_ -= cost(key, *it->second->second);
      lru_.erase(it->second);
      map_.erase(it);
    }
    lru_.emplace_front(key, std::move(value));
    map_.emplace(key, lru_.begin());
    bytes_ += size;
    while (bytes_ > max_bytes_ && !lru_.empty()) {
      auto& last = lru_.back();
      bytes_ -= cost(last.first, *last.second);
      map_.erase(last.first);
      lru_.pop_back();
    }
  }

  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  static size_t cost(const std::string& key, const CachedResponse& r) {
    return key.size() * 2 + r.body.size() + 128;
  }
  using Entry = std::pair<std::string, std::shared_ptr<const CachedResponse>>;
  size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
  size_t bytes_ = 0;
};

}  // namespace pb::server
