// The vector indexes against brute force: kernels against plain double arithmetic, the store
// against what was appended (also across reopen and an interrupted append), exact search
// against sorting, and HNSW's recall against exact search.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "index/vector/exact.hpp"
#include "index/vector/hnsw.hpp"
#include "index/vector/kernels.hpp"
#include "index/vector/vector_store.hpp"

namespace pb::vector {
namespace {

using pb::testing::TempDir;

// Unit vectors around `clusters` random centres: realistic neighbourhoods (many near ties
// inside a cluster), which uniform random vectors in high dimension do not have.
std::vector<std::vector<float>> clustered(size_t n, std::uint32_t dim, size_t clusters,
                                          std::uint64_t seed, float spread = 0.35f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres) {
    for (float& x : c) x = g(rng);
    normalize(c);
  }
  std::vector<std::vector<float>> out(n, std::vector<float>(dim));
  for (auto& v : out) {
    const auto& c = centres[rng() % clusters];
    for (std::uint32_t i = 0; i < dim; ++i) v[i] = c[i] + spread * g(rng) / std::sqrt(float(dim));
    normalize(v);
  }
  return out;
}

std::vector<std::string> ids_for(size_t from, size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back("p" + std::to_string(from + i));
  return ids;
}

std::vector<float> flat(const std::vector<std::vector<float>>& vs, size_t from = 0,
                        size_t n = SIZE_MAX) {
  std::vector<float> out;
  for (size_t i = from; i < vs.size() && i - from < n; ++i)
    out.insert(out.end(), vs[i].begin(), vs[i].end());
  return out;
}

TEST(VectorKernelsTest, DotProductsMatchPlainArithmetic) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::uniform_int_distribution<int> c(-127, 127);
  for (size_t n = 0; n <= 70; ++n) {
    std::vector<float> a(n), b(n);
    std::vector<std::int8_t> x(n), y(n);
    double want = 0, want_fi = 0;
    std::int64_t want_i = 0;
    for (size_t i = 0; i < n; ++i) {
      a[i] = u(rng);
      b[i] = u(rng);
      x[i] = static_cast<std::int8_t>(c(rng));
      y[i] = static_cast<std::int8_t>(c(rng));
      want += double(a[i]) * b[i];
      want_i += x[i] * y[i];
      want_fi += double(a[i]) * x[i];
    }
    EXPECT_NEAR(dot(a.data(), b.data(), n), want, 1e-5) << n;
    EXPECT_EQ(dot_i8(x.data(), y.data(), n), want_i) << n;
    EXPECT_NEAR(dot_f32_i8(a.data(), x.data(), n), want_fi, 1e-3) << n;
  }
  std::vector<std::int8_t> big(384, -127);
  EXPECT_EQ(dot_i8(big.data(), big.data(), big.size()), 384 * 127 * 127);
}

TEST(VectorKernelsTest, QuantizeAndNormalize) {
  std::vector<float> v = {0.5f, -0.25f, 0.125f, 0.0f};
  std::vector<std::int8_t> codes(v.size());
  const float scale = quantize(v, codes.data());
  EXPECT_FLOAT_EQ(scale, 0.5f / 127);
  EXPECT_EQ(codes[0], 127);
  EXPECT_EQ(codes[1], -64);  // -63.5 rounds away from zero
  EXPECT_EQ(codes[3], 0);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_LE(std::fabs(codes[i] * scale - v[i]), scale / 2);
  std::vector<float> zero(4, 0.0f);
  EXPECT_EQ(quantize(zero, codes.data()), 0.0f);
  EXPECT_FALSE(normalize(zero));
  std::vector<float> nan = {1.0f, NAN};
  EXPECT_FALSE(normalize(nan));
  std::vector<float> w = {3.0f, 4.0f};
  ASSERT_TRUE(normalize(w));
  EXPECT_FLOAT_EQ(w[0], 0.6f);
  EXPECT_FLOAT_EQ(w[1], 0.8f);
}

TEST(VectorStoreTest, AppendReopenAndSupersede) {
  TempDir dir;
  const auto path = dir / "v.pbv";
  auto data = clustered(50, 8, 3, 2);
  {
    auto s = VectorStore::create(path, 8, "model-a:1234");
    ASSERT_TRUE(s.ok()) << s.error().message();
    ASSERT_TRUE((*s)->append(ids_for(0, 30), flat(data, 0, 30)).ok());
    ASSERT_TRUE((*s)->append(ids_for(30, 20), flat(data, 30, 20)).ok());
    EXPECT_EQ((*s)->rows(), 50u);
  }
  auto s = VectorStore::open(path);
  ASSERT_TRUE(s.ok()) << s.error().message();
  VectorStore& st = **s;
  EXPECT_EQ(st.dim(), 8u);
  EXPECT_EQ(st.model_id(), "model-a:1234");
  ASSERT_EQ(st.rows(), 50u);
  for (size_t r = 0; r < 50; ++r) {
    EXPECT_EQ(st.id(r), "p" + std::to_string(r));
    auto v = st.vector(r);
    EXPECT_TRUE(std::equal(v.begin(), v.end(), data[r].begin()));
    EXPECT_TRUE(st.live(r));
  }
  // The same paper embedded again: the new row is live, the old one is not.
  std::vector<float> again = data[7];
  ASSERT_TRUE(st.append(std::vector<std::string>{std::string("p7")}, again).ok());
  EXPECT_EQ(st.rows(), 51u);
  EXPECT_EQ(st.live_rows(), 50u);
  EXPECT_EQ(st.find("p7"), 50u);
  EXPECT_FALSE(st.live(7));
  EXPECT_FALSE(st.find("nope").has_value());
}

TEST(VectorStoreTest, BadRowsAreRejectedAndNothingIsStored) {
  TempDir dir;
  auto s = VectorStore::create(dir / "v.pbv", 2, "m");
  ASSERT_TRUE(s.ok());
  VectorStore& st = **s;
  ASSERT_TRUE(st.append(std::vector<std::string>{std::string("a")}, std::vector<float>{1, 0}).ok());
  EXPECT_FALSE(
      st.append(std::vector<std::string>{std::string(64, 'x')}, std::vector<float>{1, 0}).ok());
  EXPECT_FALSE(st.append(std::vector<std::string>{std::string("")}, std::vector<float>{1, 0}).ok());
  EXPECT_FALSE(
      st.append(std::vector<std::string>{std::string("b")}, std::vector<float>{1, NAN}).ok());
  EXPECT_FALSE(
      st.append(std::vector<std::string>{std::string("b")}, std::vector<float>{1, 0, 0}).ok());
  auto ok_then_bad = std::vector<std::string>{"c", std::string(80, 'y')};
  EXPECT_FALSE(st.append(ok_then_bad, std::vector<float>{1, 0, 0, 1}).ok());
  EXPECT_EQ(st.rows(), 1u);
  auto re = VectorStore::open(dir / "v.pbv");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ((*re)->rows(), 1u);
  EXPECT_FALSE(VectorStore::create(dir / "w.pbv", 0, "m").ok());
}

// An append interrupted after writing rows but before the header's count: the rows are not
// visible after reopening, and the next append overwrites them.
TEST(VectorStoreTest, InterruptedAppendLeavesTheLastCompleteState) {
  TempDir dir;
  const auto path = dir / "v.pbv";
  {
    auto s = VectorStore::create(path, 4, "m");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->append(ids_for(0, 3), std::vector<float>(12, 0.5f)).ok());
  }
  const size_t before = std::filesystem::file_size(path);
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    std::string junk(64 + 16 + 20, '\x7f');  // a row and a half that never got counted
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto s = VectorStore::open(path);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ((*s)->rows(), 3u);
  ASSERT_TRUE(
      (*s)->append(std::vector<std::string>{std::string("p9")}, std::vector<float>{1, 2, 3, 4})
          .ok());
  EXPECT_EQ((*s)->id(3), "p9");
  EXPECT_EQ((*s)->vector(3)[3], 4.0f);
  EXPECT_GE(std::filesystem::file_size(path), before + 80);
}

TEST(VectorStoreTest, DamagedFilesAreErrorsNotCrashes) {
  TempDir dir;
  EXPECT_EQ(VectorStore::open(dir / "missing.pbv").error().code(), ErrorCode::kNotFound);
  pb::testing::write_file(dir / "short.pbv", "PBVECT01");
  EXPECT_EQ(VectorStore::open(dir / "short.pbv").error().code(), ErrorCode::kCorrupt);
  pb::testing::write_file(dir / "garbage.pbv", std::string(4096, 'g'));
  EXPECT_EQ(VectorStore::open(dir / "garbage.pbv").error().code(), ErrorCode::kCorrupt);
  {
    auto s = VectorStore::create(dir / "v.pbv", 4, "m");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->append(ids_for(0, 3), std::vector<float>(12, 0.5f)).ok());
  }
  // Claims more rows than the file holds.
  std::string bytes = pb::testing::read_file(dir / "v.pbv");
  bytes.resize(bytes.size() - 10);
  pb::testing::write_file(dir / "cut.pbv", bytes);
  auto cut = VectorStore::open(dir / "cut.pbv");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message().find("rows"), std::string::npos) << cut.error().message();
}

TEST(ExactSearchTest, MatchesSortingAndHonoursFilters) {
  TempDir dir;
  auto data = clustered(300, 16, 5, 3);
  auto s = VectorStore::create(dir / "v.pbv", 16, "m");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->append(ids_for(0, 300), flat(data)).ok());
  ASSERT_TRUE((*s)->append(std::vector<std::string>{std::string("p5")}, data[5])
                  .ok());  // row 5 superseded by 300
  auto q = clustered(1, 16, 1, 99)[0];
  std::vector<std::pair<double, std::uint32_t>> all;
  for (std::uint32_t r = 0; r <= 300; ++r) {
    if (r == 5) continue;
    double d = 0;
    for (int i = 0; i < 16; ++i) d += double(q[i]) * data[r == 300 ? 5 : r][i];
    all.push_back({-d, r});
  }
  std::sort(all.begin(), all.end());
  auto got = exact_search(**s, q, 20);
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(got[i].row, all[i].second) << i;
    EXPECT_NEAR(got[i].score, -all[i].first, 1e-5);
  }
  RowFilter even = [](std::uint32_t r) { return r % 2 == 0; };
  for (const auto& n : exact_search(**s, q, 50, &even)) EXPECT_EQ(n.row % 2, 0u);
  EXPECT_TRUE(exact_search(**s, std::vector<float>(3, 1.0f), 5).empty());  // wrong dimension
  EXPECT_TRUE(exact_search(**s, q, 0).empty());
  // int8 finds nearly the same neighbours with nearly the same scores.
  QuantizedMatrix m;
  m.dim = 16;
  for (std::uint32_t r = 0; r < (*s)->rows(); ++r) m.add((*s)->vector(r));
  RowFilter live = [&](std::uint32_t r) { return (*s)->live(r); };
  auto q8 = exact_search_i8(m, q, 20, &live);
  std::set<std::uint32_t> a, b;
  for (size_t i = 0; i < 20; ++i) {
    a.insert(got[i].row);
    b.insert(q8[i].row);
  }
  std::vector<std::uint32_t> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
  EXPECT_GE(common.size(), 17u);
  EXPECT_NEAR(q8[0].score, got[0].score, 0.02);
}

double recall_at(const std::vector<Neighbor>& got, const std::vector<Neighbor>& truth) {
  std::set<std::uint32_t> t;
  for (const auto& n : truth) t.insert(n.row);
  size_t hit = 0;
  for (const auto& n : got) hit += t.count(n.row);
  return truth.empty() ? 1.0 : double(hit) / double(truth.size());
}

class HnswTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kDim = 48;
  void SetUp() override {
    data_ = clustered(4200, kDim, 40, 7);
    queries_.assign(data_.end() - 200, data_.end());  // unseen points of the same clusters
    data_.resize(4000);
    auto s = VectorStore::create(dir_ / "v.pbv", kDim, "m");
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->append(ids_for(0, data_.size()), flat(data_)).ok());
  }
  // Mean recall@10 of HNSW candidates (ef) re-ranked with exact vectors, against exact search.
  double recall(const Hnsw& g, size_t ef, const RowFilter* filter = nullptr) {
    double sum = 0;
    for (const auto& q : queries_) {
      auto cand = g.search(q, ef, ef, filter);
      sum += recall_at(rerank(*store_, q, cand, 10), exact_search(*store_, q, 10, filter));
    }
    return sum / double(queries_.size());
  }
  TempDir dir_;
  std::vector<std::vector<float>> data_, queries_;
  std::unique_ptr<VectorStore> store_;
};

TEST_F(HnswTest, RecallAgainstExactSearch) {
  Hnsw g(kDim, {16, 100, 1});
  for (const auto& v : data_) g.add(v);
  ASSERT_EQ(g.size(), data_.size());
  const double r = recall(g, 64);
  EXPECT_GE(r, 0.95);
  // Without re-ranking, against exact int8 search (the graph's own metric).
  double sum = 0;
  for (const auto& q : queries_) sum += recall_at(g.search(q, 10, 64), g.exact_search(q, 10));
  EXPECT_GE(sum / double(queries_.size()), 0.95);
  // A larger beam never finds less on average; every stored vector finds itself.
  EXPECT_GE(recall(g, 200) + 1e-9, r - 0.01);
  for (std::uint32_t i = 0; i < data_.size(); i += 97) {
    auto self = g.search(data_[i], 1, 32);
    ASSERT_EQ(self.size(), 1u);
    EXPECT_NEAR(self[0].score, 1.0, 0.02);
  }
  // Smaller than 4 * dim per node (int8 codes plus links).
  EXPECT_LT(g.memory_bytes() / g.size(), size_t{4} * kDim + 200);
  EXPECT_TRUE(g.search(std::vector<float>(3, 1.0f), 10, 10).empty());
  EXPECT_TRUE(Hnsw(kDim).search(data_[0], 10, 10).empty());
}

// Built with the exact vectors for the neighbour heuristic: at least as good.
TEST_F(HnswTest, ExactVectorsForTheHeuristic) {
  Hnsw g(kDim, {16, 100, 1});
  g.set_exact_vectors([&](std::uint32_t i) { return store_->vector(i).data(); });
  for (const auto& v : data_) g.add(v);
  EXPECT_GE(recall(g, 64), 0.95);
}

TEST_F(HnswTest, FilteredSearchReturnsOnlyAcceptedRows) {
  Hnsw g(kDim, {16, 100, 1});
  for (const auto& v : data_) g.add(v);
  RowFilter third = [](std::uint32_t r) { return r % 3 == 0; };
  for (size_t i = 0; i < 20; ++i)
    for (const auto& n : g.search(queries_[i], 10, 64, &third)) EXPECT_EQ(n.row % 3, 0u);
  EXPECT_GE(recall(g, 100, &third), 0.9);
}

TEST_F(HnswTest, SaveLoadAndGrowIncrementally) {
  Hnsw g(kDim, {12, 80, 5});
  for (size_t i = 0; i < 3000; ++i) g.add(data_[i]);
  ASSERT_TRUE(g.save(dir_ / "g.hnsw").ok());
  auto loaded = Hnsw::load(dir_ / "g.hnsw");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  Hnsw& h = **loaded;
  EXPECT_EQ(h.size(), 3000u);
  EXPECT_EQ(h.params().m, 12u);
  EXPECT_EQ(h.memory_bytes(), g.memory_bytes());
  for (size_t i = 0; i < 30; ++i) {
    auto a = g.search(queries_[i], 10, 50), b = h.search(queries_[i], 10, 50);
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].row, b[j].row);
  }
  // New papers are added to the loaded graph; the whole collection is found as well as
  // when built in one go.
  for (size_t i = 3000; i < data_.size(); ++i) h.add(data_[i]);
  EXPECT_GE(recall(h, 64), 0.95);
  ASSERT_TRUE(h.save(dir_ / "g.hnsw").ok());
  auto again = Hnsw::load(dir_ / "g.hnsw");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), data_.size());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "g.hnsw.tmp"));
}

// Graphs too small for upper levels (and the empty graph) save and load too.
TEST_F(HnswTest, TinyGraphsRoundTrip) {
  for (size_t n : {0, 1, 2}) {
    Hnsw g(kDim, {16, 100, 1});
    for (size_t i = 0; i < n; ++i) g.add(data_[i]);
    ASSERT_TRUE(g.save(dir_ / "tiny.hnsw").ok());
    auto loaded = Hnsw::load(dir_ / "tiny.hnsw");
    ASSERT_TRUE(loaded.ok()) << n << ": " << loaded.error().message();
    EXPECT_EQ((*loaded)->size(), n);
    EXPECT_EQ((*loaded)->search(data_[0], 5, 10).size(), n);
  }
}

TEST_F(HnswTest, DamagedFilesAreErrors) {
  Hnsw g(kDim, {8, 40, 5});
  for (size_t i = 0; i < 500; ++i) g.add(data_[i]);
  ASSERT_TRUE(g.save(dir_ / "g.hnsw").ok());
  const std::string good = pb::testing::read_file(dir_ / "g.hnsw");
  EXPECT_EQ(Hnsw::load(dir_ / "missing").error().code(), ErrorCode::kNotFound);
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 40; ++trial) {
    std::string bad = good;
    if (trial % 4 == 0) {
      bad.resize(rng() % bad.size());
    } else {
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    pb::testing::write_file(dir_ / "bad.hnsw", bad);
    auto r = Hnsw::load(dir_ / "bad.hnsw");
    ASSERT_FALSE(r.ok()) << "trial " << trial;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  }
}

}  // namespace
}  // namespace pb::vector
