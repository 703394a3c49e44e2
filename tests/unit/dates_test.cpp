#include "core/dates.hpp"

#include <gtest/gtest.h>

namespace pb {
namespace {

TEST(Dates, NormalisesTheFormatsOfOurSources) {
  EXPECT_EQ(dates::normalise("2007-04-02"), "2007-04-02");
  EXPECT_EQ(dates::normalise("2024-05-24T17:34:15.000Z"), "2024-05-24T17:34:15Z");
  EXPECT_EQ(dates::normalise("2024-05-24T17:34:15Z"), "2024-05-24T17:34:15Z");
  EXPECT_EQ(dates::normalise("Mon, 2 Apr 2007 19:18:42 GMT"), "2007-04-02T19:18:42Z");
  EXPECT_EQ(dates::normalise("Tue, 24 Jul 2007 20:10:27 GMT"), "2007-07-24T20:10:27Z");
  EXPECT_EQ(dates::normalise("2025-06"), "2025-06-01");
}

TEST(Dates, RejectsNonsense) {
  EXPECT_FALSE(dates::normalise(""));
  EXPECT_FALSE(dates::normalise("yesterday"));
  EXPECT_FALSE(dates::normalise("2023-02-29"));
  EXPECT_FALSE(dates::normalise("2024-13-01"));
  EXPECT_FALSE(dates::normalise("Mon, 32 Apr 2007"));
  EXPECT_TRUE(dates::valid_day("2024-02-29"));
  EXPECT_FALSE(dates::valid_day("2024-02-30"));
}

TEST(Dates, DayOf) {
  EXPECT_EQ(dates::day_of("2024-05-24T17:34:15Z"), "2024-05-24");
  EXPECT_EQ(dates::day_of(""), "");
}

}  // namespace
}  // namespace pb
