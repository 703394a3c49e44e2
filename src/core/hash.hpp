#pragma once
// Stable hashing. FNV-1a 64 gives the same value on every platform and release (std::hash
// does not), so it may be stored on disk.

#include <cstdint>
#include <string_view>

namespace pb {

inline constexpr std::uint64_t kFnv1a64Offset = 1469598103934665603ull;

// Pass the previous result as `h` to hash data given in pieces.
inline std::uint64_t fnv1a64(std::string_view s, std::uint64_t h = kFnv1a64Offset) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace pb
