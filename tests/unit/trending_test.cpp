#include "rank/trending.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace pb::rank {
namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kNow = 1'800'000'000;

UpvoteEvent local(std::string id, std::int64_t at) { return {std::move(id), "paperboy", 1, at}; }
UpvoteEvent imported(std::string id, std::int64_t count, std::int64_t at) {
  return {std::move(id), "huggingface", count, at, true};
}

TEST(Trending, AVoteLosesHalfItsWeightEveryHalfLife) {
  TrendingParams p;  // 72 h
  auto r = trending({local("a", kNow), local("b", kNow - 72 * kHour)}, kNow, p, 10);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].paper_id, "a");
  EXPECT_DOUBLE_EQ(r[0].score, 1.0);
  EXPECT_DOUBLE_EQ(r[1].score, 0.5);
}

TEST(Trending, FreshVotesBeatManyOldOnes) {
  std::vector<UpvoteEvent> ev;
  for (int i = 0; i < 10; ++i) ev.push_back(local("old", kNow - 14 * 24 * kHour));  // 10 * 2^-4.67
  for (int i = 0; i < 2; ++i) ev.push_back(local("new", kNow - kHour));
  auto r = trending(ev, kNow, {}, 10);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].paper_id, "new");
  EXPECT_EQ(r[1].upvotes, 10);
}

TEST(Trending, CumulativeObservationsCountTheirIncrease) {
  // 100 upvotes seen 72 h ago and 130 now: the first 100 count half, the 30 new ones fully.
  auto r =
      trending({imported("p", 130, kNow), imported("p", 100, kNow - 72 * kHour)}, kNow, {}, 10);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_DOUBLE_EQ(r[0].score, 30 + 100 * 0.5);
  EXPECT_EQ(r[0].upvotes, 130);
  // A lower later count (a retracted vote) adds nothing rather than subtracting.
  auto s = trending({imported("p", 90, kNow), imported("p", 100, kNow - 72 * kHour)}, kNow, {}, 10);
  EXPECT_DOUBLE_EQ(s[0].score, 50);
}

TEST(Trending, SourcesAreWeighted) {
  TrendingParams p;
  p.imported_weight = 0.25;
  auto r =
      trending({imported("hf", 8, kNow), local("here", kNow), local("here", kNow)}, kNow, p, 10);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(r[0].score, 2.0);
  EXPECT_DOUBLE_EQ(r[1].score, 2.0);
  EXPECT_EQ(r[0].paper_id, "hf");  // tie on score: more upvotes first
}

TEST(Trending, OldEventsFallOutOfTheWindowButAQuietSiteKeepsItsLastTrend) {
  TrendingParams p;
  p.half_life_hours = 1;
  p.window_half_lives = 10;
  // Active site: the event 11 h old is ignored.
  auto r = trending({local("a", kNow), local("b", kNow - 11 * kHour)}, kNow, p, 10);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].paper_id, "a");
  // Quiet for a year: the reference moves back to the latest event.
  const std::int64_t then = kNow - 365 * 24 * kHour;
  std::vector<UpvoteEvent> ev{local("a", then), local("b", then - 2 * kHour)};
  EXPECT_EQ(trending_reference(ev, kNow, p), then);
  auto q = trending(ev, kNow, p, 10);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_DOUBLE_EQ(q[0].score, 1.0);
  EXPECT_DOUBLE_EQ(q[1].score, 0.25);
}

TEST(Trending, LimitKeepsTheBest) {
  std::vector<UpvoteEvent> ev;
  for (int i = 0; i < 50; ++i)
    for (int v = 0; v <= i; ++v) ev.push_back(local("p" + std::to_string(i), kNow));
  auto r = trending(ev, kNow, {}, 3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].paper_id, "p49");
  EXPECT_EQ(r[2].paper_id, "p47");
  EXPECT_TRUE(trending({}, kNow, {}, 3).empty());
}

}  // namespace
}  // namespace pb::rank
