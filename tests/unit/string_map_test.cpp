#include "core/string_map.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace pb {
namespace {

// bytes_equal reads short keys with overlapping word loads: every length around the 4, 8 and
// 16 byte boundaries, a difference at every position, agrees with memcmp.
TEST(StringMap, BytesEqualAgreesWithMemcmpAtEveryLengthAndPosition) {
  for (size_t n = 0; n <= 24; ++n) {
    std::string a(n, 'x');
    for (size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + i);
    EXPECT_TRUE(bytes_equal(a.data(), std::string(a).data(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x20);
      EXPECT_FALSE(bytes_equal(a.data(), b.data(), n)) << n << " at " << i;
    }
  }
}

// Many short keys in, each found with its value; absent keys (prefixes, one letter off) not.
TEST(StringMap, FindsWhatWasInsertedAndNothingElse) {
  StringMap<std::uint32_t> map;
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  std::set<std::string> seen;
  while (keys.size() < 50000) {
    std::string k(1 + rng() % 20, ' ');
    for (char& c : k) c = static_cast<char>('a' + rng() % 26);
    if (seen.insert(k).second) keys.push_back(k);
  }
  for (std::uint32_t i = 0; i < keys.size(); ++i) map.insert(keys[i], i);
  for (std::uint32_t i = 0; i < keys.size(); ++i) {
    const std::uint32_t* v = map.find(keys[i]);
    ASSERT_NE(v, nullptr) << keys[i];
    EXPECT_EQ(*v, i);
    std::string off = keys[i];
    off.back() = off.back() == 'z' ? 'a' : static_cast<char>(off.back() + 1);
    if (!seen.count(off)) {
      EXPECT_EQ(map.find(off), nullptr) << off;
    }
    if (keys[i].size() > 1 && !seen.count(keys[i].substr(1))) {
      EXPECT_EQ(map.find(keys[i].substr(1)), nullptr);
    }
  }
  // Hashes differ for keys that differ anywhere, including past the first eight bytes.
  EXPECT_NE(hash_bytes("abcdefghijk"), hash_bytes("abcdefghijz"));
  EXPECT_NE(hash_bytes("abcdefgh"), hash_bytes(std::string_view("abcdefgh\0", 9)));
  EXPECT_NE(hash_bytes(""), hash_bytes(std::string_view("\0", 1)));
}

}  // namespace
}  // namespace pb
