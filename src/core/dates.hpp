#pragma once
// Date parsing for the formats our sources use, normalised to ISO 8601:
//   "2007-04-02", "2007-04-02T19:18:42Z", "2024-05-24T17:34:15.000Z",
//   RFC 2822 "Mon, 2 Apr 2007 19:18:42 GMT" (arXiv version history).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pb::dates {

// Returns "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"; nullopt when unparsable.
std::optional<std::string> normalise(std::string_view text);
// The "YYYY-MM-DD" prefix of a normalised date or timestamp ("" when too short).
std::string day_of(std::string_view iso);
// Checks a "YYYY-MM-DD" day (calendar-valid).
bool valid_day(std::string_view day);
// Today in UTC, "YYYY-MM-DD", and now as "YYYY-MM-DDTHH:MM:SSZ".
std::string today_utc();
std::string now_utc();
// The current Unix time in seconds.
std::int64_t unix_now();

// Unix seconds of an ISO 8601 / RFC 3339 date or time: "YYYY-MM-DD" (midnight UTC) or
// "YYYY-MM-DD[T ]HH:MM[:SS[.fff]]" followed by "Z", "+HH:MM", "+HHMM", "+HH" (or "-") or
// nothing (UTC). nullopt for anything else.
std::optional<std::int64_t> iso_to_unix(std::string_view text);
// Unix seconds of anything iso_to_unix() or normalise() accepts.
std::optional<std::int64_t> to_unix(std::string_view text);
// "YYYY-MM-DDTHH:MM:SSZ" and "YYYY-MM-DD" of Unix seconds.
std::string iso_from_unix(std::int64_t t);
std::string day_from_unix(std::int64_t t);
// The day `n` days after a valid "YYYY-MM-DD" day (n may be negative).
std::string add_days(std::string_view day, int n);
// Day of the week of a valid day: 0 = Monday ... 6 = Sunday.
int weekday(std::string_view day);
// ISO 8601 week of a valid day: "2026-W48" ("" for an invalid day).
std::string iso_week(std::string_view day);

}  // namespace pb::dates
