#include "core/dates.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace pb::dates {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool valid_ymd(int y, int m, int d) {
  return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::string> parse_rfc2822(std::string_view s) {
  // [Day, ]D Mon YYYY HH:MM:SS [GMT]
  if (auto comma = s.find(','); comma != std::string_view::npos) s = trim(s.substr(comma + 1));
  int d = 0;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
    d = d * 10 + (s[i++] - '0');
  if (i == 0 || i > 2 || i + 1 >= s.size() || s[i] != ' ') return std::nullopt;
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string_view mon = s.substr(i + 1, 3);
  int m = 0;
  for (int k = 0; k < 12; ++k)
    if (mon == kMonths[k]) m = k + 1;
  int y = 0, hh = 0, mm = 0, ss = 0;
  if (m == 0 || !digits(s, i + 5, 4, y)) return std::nullopt;
  if (!valid_ymd(y, m, d)) return std::nullopt;
  size_t t = i + 10;
  if (digits(s, t, 2, hh) && s.size() > t + 7 && s[t + 2] == ':' && digits(s, t + 3, 2, mm) &&
      s[t + 5] == ':' && digits(s, t + 6, 2, ss) && hh < 24 && mm < 60 && ss < 61)
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, hh, mm, ss);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::optional<std::int64_t> iso_to_unix(std::string_view text) {
  std::string_view s = trim(text);
  int y = 0, mo = 0, d = 0;
  if (s.size() < 10 || !valid_day(s.substr(0, 10))) return std::nullopt;
  digits(s, 0, 4, y);
  digits(s, 5, 2, mo);
  digits(s, 8, 2, d);
  std::int64_t t = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400;
  if (s.size() == 10) return t;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  if (s.size() < 16 || !digits(s, 11, 2, hh) || s[13] != ':' || !digits(s, 14, 2, mm) || hh > 23 ||
      mm > 59)
    return std::nullopt;
  size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!digits(s, i + 1, 2, ss) || ss > 60) return std::nullopt;
    ss = std::min(ss, 59);  // a leap second counts as :59
    i += 3;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j == i + 1) return std::nullopt;
      i = j;
    }
  }
  t += hh * 3600 + mm * 60 + ss;
  std::string_view zone = s.substr(i);
  if (zone.empty() || zone == "Z" || zone == "z") return t;
  if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
  int oh = 0, om = 0;
  if (!digits(zone, 1, 2, oh) || oh > 23) return std::nullopt;
  if (zone.size() == 6 && zone[3] == ':') {
    if (!digits(zone, 4, 2, om)) return std::nullopt;
  } else if (zone.size() == 5) {
    if (!digits(zone, 3, 2, om)) return std::nullopt;
  } else if (zone.size() != 3) {
    return std::nullopt;
  }
  if (om > 59) return std::nullopt;
  const std::int64_t offset = oh * 3600 + om * 60;
  return zone[0] == '+' ? t - offset : t + offset;  // local = UTC + offset
}

std::optional<std::int64_t> to_unix(std::string_view text) {
  if (auto t = iso_to_unix(text)) return t;
  auto n = normalise(text);
  if (!n) return std::nullopt;
  return iso_to_unix(*n);
}

std::string iso_from_unix(std::int64_t t) {
  const std::int64_t days = floor_div(t, 86400);
  const std::int64_t rem = t - days * 86400;
  int y, m, d;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, rem / 60 % 60,
                     rem % 60);
}

std::string day_from_unix(std::int64_t t) { return iso_from_unix(t).substr(0, 10); }

std::string add_days(std::string_view day, int n) {
  auto t = to_unix(day);
  if (!t) return std::string(day);
  return day_from_unix(*t + static_cast<std::int64_t>(n) * 86400);
}

int weekday(std::string_view day) {
  auto t = to_unix(day);
  if (!t) return 0;
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  return static_cast<int>((floor_div(*t, 86400) % 7 + 7 + 3) % 7);
}

std::string iso_week(std::string_view day) {
  auto t = to_unix(day);
  if (!t) return "";
  // The ISO week belongs to the year of its Thursday; week 1 holds the year's first Thursday.
  const std::string thursday = add_days(day, 3 - weekday(day));
  const auto th = to_unix(thursday);
  const auto jan1 = to_unix(thursday.substr(0, 4) + "-01-01");
  if (!th || !jan1) return "";
  const auto week = (*th - *jan1) / 86400 / 7 + 1;
  return fmt::format("{}-W{:02}", thursday.substr(0, 4), week);
}

bool valid_day(std::string_view s) {
  int y, m, d;
  return s.size() == 10 && digits(s, 0, 4, y) && s[4] == '-' && digits(s, 5, 2, m) && s[7] == '-' &&
         digits(s, 8, 2, d) && valid_ymd(y, m, d);
}

std::optional<std::string> normalise(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  int y, m, d;
  if (s.size() >= 10 && digits(s, 0, 4, y) && s[4] == '-' && digits(s, 5, 2, m) && s[7] == '-' &&
      digits(s, 8, 2, d)) {
    if (!valid_ymd(y, m, d)) return std::nullopt;
    int hh, mm, ss = 0;
    if (s.size() >= 16 && (s[10] == 'T' || s[10] == ' ') && digits(s, 11, 2, hh) && s[13] == ':' &&
        digits(s, 14, 2, mm) && hh < 24 && mm < 60) {
      if (s.size() >= 19 && s[16] == ':') digits(s, 17, 2, ss);
      return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, hh, mm, ss);
    }
    return fmt::format("{:04}-{:02}-{:02}", y, m, d);
  }
  if (s.size() == 7 && digits(s, 0, 4, y) && s[4] == '-' && digits(s, 5, 2, m) && m >= 1 && m <= 12)
    return fmt::format("{:04}-{:02}-01", y, m);
  return parse_rfc2822(s);
}

std::string day_of(std::string_view iso) {
  return iso.size() >= 10 ? std::string(iso.substr(0, 10)) : std::string();
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string today_utc() { return now_utc().substr(0, 10); }

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace pb::dates
