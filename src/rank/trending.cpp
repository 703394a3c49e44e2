#include "rank/trending.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace pb::rank {

std::int64_t trending_reference(const std::vector<UpvoteEvent>& events, std::int64_t now,
                                const TrendingParams& params) {
  const auto window =
      static_cast<std::int64_t>(params.half_life_hours * 3600 * params.window_half_lives);
  std::int64_t latest = 0;
  bool any = false;
  for (const auto& e : events) {
    if (e.at > now) continue;  // clock skew: ignore events from the future
    latest = any ? std::max(latest, e.at) : e.at;
    any = true;
  }
  if (!any || latest >= now - window) return now;
  return latest;
}

std::vector<TrendingScore> trending(std::vector<UpvoteEvent> events, std::int64_t now,
                                    const TrendingParams& params, size_t limit) {
  const std::int64_t ref = trending_reference(events, now, params);
  const double half_life = std::max(1.0, params.half_life_hours * 3600);
  const auto window = static_cast<std::int64_t>(half_life * params.window_half_lives);
  // Cumulative observations become increases: order each (paper, source) series by time.
  std::sort(events.begin(), events.end(), [](const UpvoteEvent& a, const UpvoteEvent& b) {
    if (a.paper_id != b.paper_id) return a.paper_id < b.paper_id;
    if (a.source != b.source) return a.source < b.source;
    return a.at < b.at;
  });
  std::unordered_map<std::string, TrendingScore> by_paper;
  const UpvoteEvent* prev = nullptr;
  for (const auto& e : events) {
    const bool same_series =
        prev && prev->cumulative && prev->paper_id == e.paper_id && prev->source == e.source;
    std::int64_t n = e.value;
    if (e.cumulative && same_series) n = std::max<std::int64_t>(0, e.value - prev->value);
    prev = &e;
    if (e.at > ref || e.at < ref - window || n <= 0) continue;
    const double w = e.source == "paperboy" ? params.local_weight : params.imported_weight;
    const double age = static_cast<double>(ref - e.at);
    auto& s = by_paper[e.paper_id];
    s.paper_id = e.paper_id;
    s.score += w * static_cast<double>(n) * std::exp2(-age / half_life);
    s.upvotes += n;
  }
  std::vector<TrendingScore> out;
  out.reserve(by_paper.size());
  for (auto& [id, s] : by_paper) out.push_back(std::move(s));
  auto better = [](const TrendingScore& a, const TrendingScore& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.upvotes != b.upvotes) return a.upvotes > b.upvotes;
    return a.paper_id < b.paper_id;
  };
  if (out.size() > limit) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(),
                      better);
    out.resize(limit);
  } else {
    std::sort(out.begin(), out.end(), better);
  }
  return out;
}

}  // namespace pb::rank
