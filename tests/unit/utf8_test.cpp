#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <random>

namespace pb {
namespace {

TEST(Utf8, ValidInputUnchanged) {
  for (std::string s : {"", "plain", "Schrödinger", "日本語", "emoji 😀", "\xEF\xBF\xBD"}) {
    EXPECT_TRUE(utf8::valid(s)) << s;
    EXPECT_EQ(utf8::repair(s), s);
  }
}

TEST(Utf8, InvalidSequencesBecomeReplacementCharacter) {
  EXPECT_FALSE(
      utf8::valid("a\xff"
                  "b"));
  EXPECT_EQ(utf8::repair("a\xff"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8::repair("\xC3"), "\xEF\xBF\xBD");          // truncated
  EXPECT_EQ(utf8::repair("\xC0\xAF"), "\xEF\xBF\xBD");      // overlong
  EXPECT_EQ(utf8::repair("\xED\xA0\x80"), "\xEF\xBF\xBD");  // surrogate
}

TEST(Utf8, RandomBytesAlwaysRepairToValid) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    EXPECT_TRUE(utf8::valid(utf8::repair(s)));
  }
}

TEST(Utf8, TruncateKeepsCodePointsWhole) {
  EXPECT_EQ(utf8::truncate("ööö", 3), "ö");
  EXPECT_EQ(utf8::truncate("abc", 10), "abc");
}

}  // namespace
}  // namespace pb
