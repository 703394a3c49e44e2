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

TEST(Dates, UnixSecondsRoundTrip) {
  EXPECT_EQ(dates::to_unix("1970-01-01"), 0);
  EXPECT_EQ(dates::to_unix("2024-05-24T17:34:15.000Z"), 1716572055);
  EXPECT_EQ(dates::to_unix("2000-03-01"), 951868800);
  EXPECT_EQ(dates::to_unix("not a date"), std::nullopt);
  EXPECT_EQ(dates::iso_from_unix(1716572055), "2024-05-24T17:34:15Z");
  EXPECT_EQ(dates::iso_from_unix(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(dates::day_from_unix(951868800 - 1), "2000-02-29");
  for (std::int64_t t : {0LL, 86399LL, 1716572055LL, 4102444800LL})
    EXPECT_EQ(dates::to_unix(dates::iso_from_unix(t)), t);
}

TEST(Dates, IsoTimesWithOffsets) {
  const std::int64_t t = 1716572055;  // 2024-05-24T17:34:15Z
  for (const char* text :
       {"2024-05-24T17:34:15Z", "2024-05-24T19:34:15+02:00", "2024-05-24T19:34:15+0200",
        "2024-05-24T19:34:15+02", "2024-05-24T16:04:15-01:30", "2024-05-24 17:34:15.123z",
        " 2024-05-24T17:34:15,5 "})
    EXPECT_EQ(dates::iso_to_unix(text), t) << text;
  EXPECT_EQ(dates::iso_to_unix("2024-05-24T17:34Z"), t - 15);
  for (const char* bad : {"2024-05-24T17:34:15+2", "2024-05-24T25:00Z", "2024-05-24T17:34:15 GMT",
                          "2024-02-30", "2024-05-24T17:34:15.Z", "24-05-24"})
    EXPECT_EQ(dates::iso_to_unix(bad), std::nullopt) << bad;
  // to_unix also takes what normalise() reads (RFC 2822, YYYY-MM).
  EXPECT_EQ(dates::to_unix("Mon, 2 Apr 2007 19:18:42 GMT"), dates::to_unix("2007-04-02T19:18:42Z"));
  EXPECT_EQ(dates::to_unix("2025-06"), dates::to_unix("2025-06-01"));
}

TEST(Dates, DayArithmeticAndWeekdays) {
  EXPECT_EQ(dates::add_days("2024-02-28", 1), "2024-02-29");
  EXPECT_EQ(dates::add_days("2024-02-28", 2), "2024-03-01");
  EXPECT_EQ(dates::add_days("2025-01-01", -1), "2024-12-31");
  EXPECT_EQ(dates::add_days("2025-01-01", 365), "2026-01-01");
  EXPECT_EQ(dates::weekday("1970-01-01"), 3);  // a Thursday
  EXPECT_EQ(dates::weekday("2026-11-26"), 3);  // a Thursday
  EXPECT_EQ(dates::weekday("2026-11-23"), 0);  // a Monday
  // ISO weeks: week 1 holds the year's first Thursday.
  EXPECT_EQ(dates::iso_week("2026-11-26"), "2026-W48");
  EXPECT_EQ(dates::iso_week("2026-01-01"), "2026-W01");  // a Thursday
  EXPECT_EQ(dates::iso_week("2021-01-03"), "2020-W53");  // a Sunday, still 2020's last week
  EXPECT_EQ(dates::iso_week("2024-12-30"), "2025-W01");  // a Monday, already 2025's first
  EXPECT_EQ(dates::iso_week("not a day"), "");
  EXPECT_EQ(dates::weekday("2026-11-29"), 6);  // a Sunday
}

}  // namespace
}  // namespace pb
