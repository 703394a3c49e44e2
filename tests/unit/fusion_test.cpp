// Rank fusion against hand-computed examples and its zero-weight property.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "rank/fusion.hpp"

namespace pb::rank {
namespace {

std::vector<std::string> ids(const std::vector<Scored>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.id);
  return out;
}

TEST(FusionTest, ReciprocalRankFusionByHand) {
  std::vector<Scored> lex = {{"a", 9}, {"b", 7}, {"c", 1}};
  std::vector<Scored> sem = {{"c", 0.9}, {"d", 0.8}, {"a", 0.1}};
  std::vector<FusionList> lists = {{lex, 1.0}, {sem, 1.0}};
  auto f = reciprocal_rank_fusion(lists, 10, 60);
  // a: 1/61 + 1/63; c: 1/63 + 1/61 (tie, c is later in the first list); b: 1/62; d: 1/62
  // (tie: b is in the first list).
  ASSERT_EQ(ids(f), (std::vector<std::string>{"a", "c", "b", "d"}));
  EXPECT_DOUBLE_EQ(f[0].score, 1.0 / 61 + 1.0 / 63);
  EXPECT_DOUBLE_EQ(f[2].score, 1.0 / 62);
  // Weights scale each list's share; the limit cuts.
  std::vector<FusionList> tilted = {{lex, 1.0}, {sem, 3.0}};
  auto g = reciprocal_rank_fusion(tilted, 2, 60);
  ASSERT_EQ(ids(g), (std::vector<std::string>{"c", "a"}));
  EXPECT_DOUBLE_EQ(g[0].score, 1.0 / 63 + 3.0 / 61);
}

TEST(FusionTest, ScoreFusionNormalisesEachList) {
  std::vector<Scored> lex = {{"a", 20}, {"b", 15}, {"c", 10}};
  std::vector<Scored> sem = {{"c", 0.9}, {"b", 0.5}, {"d", 0.4}};
  std::vector<FusionList> lists = {{lex, 0.6}, {sem, 0.4}};
  auto f = score_fusion(lists, 10);
  // a: 0.6*1; b: 0.6*0.5 + 0.4*0.2; c: 0 + 0.4*1; d: 0.
  ASSERT_EQ(ids(f), (std::vector<std::string>{"a", "c", "b", "d"}));
  EXPECT_DOUBLE_EQ(f[0].score, 0.6);
  EXPECT_NEAR(f[1].score, 0.4, 1e-12);
  EXPECT_NEAR(f[2].score, 0.38, 1e-12);
  EXPECT_DOUBLE_EQ(f[3].score, 0.0);
  // A list of equal scores normalises to 1 for each of its documents.
  std::vector<Scored> flat = {{"x", 3}, {"y", 3}};
  std::vector<FusionList> one = {{flat, 1.0}};
  auto h = score_fusion(one, 10);
  EXPECT_EQ(ids(h), (std::vector<std::string>{"x", "y"}));
  EXPECT_DOUBLE_EQ(h[1].score, 1.0);
  EXPECT_TRUE(score_fusion({}, 10).empty());
}

// With the semantic weight at zero, either fusion returns the lexical ranking exactly — the
// guarantee behind "a hybrid never scores below lexical alone" when fusion does not help.
TEST(FusionTest, ZeroWeightGivesTheOtherListUnchanged) {
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Scored> lex, sem;
    double s = 100;
    for (int i = 0; i < 1 + static_cast<int>(rng() % 30); ++i) {
      s -= static_cast<double>(rng() % 3);  // ties happen
      lex.push_back({"d" + std::to_string(rng() % 60), s});
    }
    // Ids in a ranked list are distinct.
    std::vector<Scored> dedup;
    for (const auto& x : lex) {
      bool seen = false;
      for (const auto& y : dedup) seen |= y.id == x.id;
      if (!seen) dedup.push_back(x);
    }
    lex = dedup;
    for (int i = 0; i < 20; ++i) sem.push_back({"d" + std::to_string(60 + i), 1.0 - i * 0.01});
    std::vector<FusionList> lists = {{lex, 1.0}, {sem, 0.0}};
    EXPECT_EQ(ids(reciprocal_rank_fusion(lists, 100)), ids(lex));
    EXPECT_EQ(ids(score_fusion(lists, 100)), ids(lex));
  }
}

}  // namespace
}  // namespace pb::rank
