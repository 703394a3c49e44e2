#include "cli/progress.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace pb::cli {

std::string format_count(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_duration(double seconds) {
  auto s = static_cast<std::uint64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

Progress::Progress(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done, std::uint64_t total, std::uint64_t items,
                      std::string_view unit, std::string_view extra) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(items) / elapsed : 0;
  std::string line;
  if (total > 0 && done <= total) {
    double frac = static_cast<double>(done) / static_cast<double>(total);
    int width = 24, filled = static_cast<int>(frac * width);
    std::string eta = frac > 0.001 ? format_duration(elapsed / frac - elapsed) : "?";
    line = fmt::format("{} {:3.0f}% [{}{}] {} {}  {}/s  ETA {}", label_, frac * 100,
                       std::string(static_cast<size_t>(filled), '#'),
                       std::string(static_cast<size_t>(width - filled), ' '), format_count(items),
                       unit, format_count(static_cast<std::uint64_t>(rate)), eta);
  } else {
    line = fmt::format("{} {} {}  {}/s  {}", label_, format_count(items), unit,
                       format_count(static_cast<std::uint64_t>(rate)), format_duration(elapsed));
  }
  if (!extra.empty()) line += fmt::format("  {}", extra);
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (enabled_ && drawn_) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace pb::cli
