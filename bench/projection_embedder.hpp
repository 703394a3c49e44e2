#pragma once
// A stand-in text embedder for benchmarks: random projection of tf-idf vectors. Each analysed
// term maps to a fixed pseudo-random Gaussian direction (seeded by the term's hash), weighted by
// (1 + ln tf) * idf; the sum is L2-normalised. No semantics beyond shared terms, but the real
// neighbourhood structure of a corpus (papers sharing rare terms are close) — what vector
// indexes are sensitive to — at any dimension. Call count_df() over the corpus first.

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/hash.hpp"
#include "index/vector/kernels.hpp"
#include "text/analyzer.hpp"

namespace pb::bench {

class ProjectionEmbedder {
 public:
  explicit ProjectionEmbedder(std::uint32_t dim) : dim_(dim) {}
  void count_df(const std::string& text) {
    std::unordered_map<std::string, int> seen;
    for (auto& t : analyzer_.terms(text)) seen[t] = 1;
    for (auto& [t, _] : seen) ++df_[t];
    ++docs_;
  }
  std::vector<float> embed(const std::string& text) {
    std::unordered_map<std::string, int> tf;
    for (auto& t : analyzer_.terms(text)) ++tf[t];
    std::vector<float> v(dim_, 0.0f);
    for (auto& [t, n] : tf) {
      auto it = df_.find(t);
      const double df = it == df_.end() ? 0.0 : it->second;
      const double w = (1.0 + std::log(n)) * std::log((docs_ + 1.0) / (df + 1.0));
      const auto& r = direction(t);
      for (std::uint32_t i = 0; i < dim_; ++i) v[i] += static_cast<float>(w) * r[i];
    }
    if (!vector::normalize(v)) v[0] = 1.0f;
    return v;
  }

 private:
  const std::vector<float>& direction(const std::string& term) {
    auto it = dirs_.find(term);
    if (it != dirs_.end()) return it->second;
    std::mt19937_64 rng(fnv1a64(term));
    std::normal_distribution<float> g;
    std::vector<float> r(dim_);
    for (float& x : r) x = g(rng);
    return dirs_.emplace(term, std::move(r)).first->second;
  }
  std::uint32_t dim_;
  text::Analyzer analyzer_;
  std::unordered_map<std::string, int> df_;
  std::unordered_map<std::string, std::vector<float>> dirs_;
  double docs_ = 0;
};

}  // namespace pb::bench
