#pragma once
// Progress reporting for long work. On a terminal: a single redrawn line with a bar, the
// rate and an ETA. Otherwise (pipes, CI logs): nothing while running; callers print plain
// summary lines when done.

#include <chrono>
#include <cstdint>
#include <string>

namespace pb::cli {

class Progress {
 public:
  // `enabled` is normally isatty(stderr) && !quiet.
  Progress(std::string label, bool enabled);
  ~Progress();
  // done/total in bytes (total 0 = unknown), items processed so far for the rate; `extra` is
  // shown after the ETA (e.g. the current loss).
  void update(std::uint64_t done, std::uint64_t total, std::uint64_t items, std::string_view unit,
              std::string_view extra = {});
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_count(std::uint64_t n);    // 102,289
std::string format_duration(double seconds);  // 1:02, 0:07, 1:02:03

}  // namespace pb::cli
