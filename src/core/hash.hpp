#pragma once
// Stable hashing. FNV-1a 64 gives the same value on every platform and release (std::hash
// does not), so it may be stored on disk.

#include <cstdint>
#include <string_view>

namespace pb {

inline std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace pb
