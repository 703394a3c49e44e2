#include "rank/recommend.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace pb::rank {
namespace {

SparseVector vec(std::initializer_list<Feature> fs) {
  SparseVector v(fs);
  normalise(v);
  return v;
}

TEST(Recommend, NormaliseSortsMergesAndScalesToUnitLength) {
  SparseVector v{{3, 1}, {1, 2}, {3, 1}};
  normalise(v);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].id, 1u);
  EXPECT_EQ(v[1].id, 3u);
  EXPECT_NEAR(dot(v, v), 1.0, 1e-6);
  EXPECT_NEAR(v[0].value, v[1].value, 1e-6);
  SparseVector zero{{2, 0}};
  normalise(zero);
  EXPECT_TRUE(zero.empty());
}

// Random documents over a vocabulary where topic A uses terms 0..9 and topic B terms 10..19,
// both with shared noise terms 20..49.
std::vector<SparseVector> topic_docs(std::uint32_t first, size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<SparseVector> out;
  for (size_t i = 0; i < n; ++i) {
    SparseVector v;
    for (int t = 0; t < 4; ++t) v.push_back({first + static_cast<std::uint32_t>(rng() % 10), 1.0f});
    for (int t = 0; t < 6; ++t) v.push_back({20 + static_cast<std::uint32_t>(rng() % 30), 1.0f});
    normalise(v);
    out.push_back(std::move(v));
  }
  return out;
}

TEST(Recommend, LearnsSeparableTopicsAndExplainsWithTheirTerms) {
  auto pos = topic_docs(0, 20, 1);
  auto neg = topic_docs(10, 200, 2);
  auto model = train_linear_svm(pos, neg);
  ASSERT_FALSE(model.weights.empty());
  for (const auto& x : topic_docs(0, 50, 3)) EXPECT_GT(model.score(x), 0);
  for (const auto& x : topic_docs(10, 50, 4)) EXPECT_LT(model.score(x), 0);
  // The explanation of a topic-A document names only topic-A terms.
  auto x = vec({{2, 1}, {5, 1}, {25, 1}, {12, 1}});
  auto why = explain(model, x, 3);
  ASSERT_FALSE(why.empty());
  EXPECT_TRUE(why[0].id == 2 || why[0].id == 5);
  for (const auto& f : why) {
    EXPECT_GT(f.value, 0);
    EXPECT_NE(f.id, 12u);  // a topic-B term never raises a topic-A score
  }
  for (size_t i = 1; i < why.size(); ++i) EXPECT_GE(why[i - 1].value, why[i].value);
}

TEST(Recommend, ScoreAllEqualsScore) {
  auto pos = topic_docs(0, 10, 9);
  auto neg = topic_docs(10, 50, 10);
  auto model = train_linear_svm(pos, neg);
  auto xs = topic_docs(0, 20, 11);
  xs.push_back(vec({{1000, 1}}));  // a feature the model never saw
  auto all = score_all(model, xs);
  ASSERT_EQ(all.size(), xs.size());
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_NEAR(all[i], model.score(xs[i]), 1e-5);
}

TEST(Recommend, WorksFromASinglePositive) {
  std::vector<SparseVector> pos = {vec({{1, 1}, {2, 1}, {3, 1}})};
  auto neg = topic_docs(10, 300, 5);
  auto model = train_linear_svm(pos, neg);
  auto near = vec({{1, 1}, {2, 1}, {40, 1}});
  auto far = vec({{11, 1}, {12, 1}, {40, 1}});
  EXPECT_GT(model.score(near), model.score(far));
  EXPECT_GT(model.score(pos[0]), 0);
}

TEST(Recommend, IsDeterministicForASeed) {
  auto pos = topic_docs(0, 10, 6);
  auto neg = topic_docs(10, 100, 7);
  SvmOptions o;
  o.seed = 42;
  auto a = train_linear_svm(pos, neg, o);
  auto b = train_linear_svm(pos, neg, o);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.bias, b.bias);
}

TEST(Recommend, EmptyClassGivesAnEmptyModel) {
  auto neg = topic_docs(10, 10, 8);
  auto model = train_linear_svm({}, neg);
  EXPECT_TRUE(model.weights.empty());
  EXPECT_EQ(model.score(neg[0]), 0);
}

TEST(Recommend, CentroidIsTheNormalisedMean) {
  std::vector<SparseVector> vs = {vec({{1, 1}}), vec({{2, 1}})};
  auto c = centroid(vs);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NEAR(c[0].value, std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(dot(c, c), 1.0, 1e-6);
}

}  // namespace
}  // namespace pb::rank
