#pragma once
// Trending: which papers are gathering upvotes now. Pure functions; the formula is stated on
// the site's About page and in docs/trending.md.
//
//   trending(p) = sum over upvote events e of p:  w(e) * n(e) * 2^(-age(e) / H)
//
// An event is a local vote (n = 1 at the vote's time) or an imported observation of a
// cumulative count (e.g. Hugging Face upvotes at observed_at): n is the increase over the
// previous observation of the same paper and source (the first one counts in full). w is the
// weight of the event's source (1 by default), H the half-life (72 h by default) and age the
// time from the event to the reference time. Exponential decay ranks papers the same whatever
// the reference time (it scales every score alike); the reference only decides which events
// are too old to matter (older than `window_half_lives` half-lives are ignored). When nothing
// happened within the window of `now`, the reference moves back to the latest event, so an
// archive shows what was trending when it was last active.

#include <cstdint>
#include <string>
#include <vector>

namespace pb::rank {

struct UpvoteEvent {
  std::string paper_id;
  std::string source;      // "paperboy" for local votes
  std::int64_t value = 0;  // local: 1 per vote; imported: the cumulative count observed
  std::int64_t at = 0;     // Unix seconds
  bool cumulative = false;
};

struct TrendingParams {
  double half_life_hours = 72;
  double window_half_lives = 10;  // events older than this are ignored (weight < 0.1%)
  double local_weight = 1.0;
  double imported_weight = 1.0;
};

struct TrendingScore {
  std::string paper_id;
  double score = 0;
  std::int64_t upvotes = 0;  // events' total increase within the window
};

// The reference time the formula uses for `events` at `now` (see above).
std::int64_t trending_reference(const std::vector<UpvoteEvent>& events, std::int64_t now,
                                const TrendingParams& params);

// Scores every paper with events, best first (ties: more upvotes, then id); at most `limit`.
std::vector<TrendingScore> trending(std::vector<UpvoteEvent> events, std::int64_t now,
                                    const TrendingParams& params, size_t limit);

}  // namespace pb::rank
