#pragma once
// Exact (brute-force) nearest neighbours by dot product — cosine similarity on unit vectors —
// in float32 over a VectorStore, or in int8 over a QuantizedMatrix. The reference that
// approximate search is measured against, and fast enough on its own for small collections.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "index/vector/vector_store.hpp"

namespace pb::vector {

struct Neighbor {
  std::uint32_t row;
  float score;  // dot product with the query (cosine for unit vectors)
};

// Rows that may be returned (nullptr: all). Superseded store rows are always skipped.
using RowFilter = std::function<bool(std::uint32_t)>;

// Keeps the k best (highest score, then lowest row) of the offered neighbours.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void offer(std::uint32_t row, float score);
  float worst() const;  // the score to beat once full (-inf before)
  bool full() const { return heap_.size() >= k_; }
  std::vector<Neighbor> take();  // best first

 private:
  size_t k_;
  std::vector<Neighbor> heap_;
};

std::vector<Neighbor> exact_search(const VectorStore& store, std::span<const float> query, size_t k,
                                   const RowFilter* filter = nullptr);

// Re-scores candidates (e.g. from approximate search) with the store's exact vectors and
// keeps the k best.
std::vector<Neighbor> rerank(const VectorStore& store, std::span<const float> query,
                             std::span<const Neighbor> candidates, size_t k);

// Row-major int8 codes with one scale per row (see quantize()).
struct QuantizedMatrix {
  std::uint32_t dim = 0;
  std::vector<std::int8_t> codes;
  std::vector<float> scales;
  size_t rows() const { return scales.size(); }
  void add(std::span<const float> v);
  const std::int8_t* row(size_t r) const { return codes.data() + r * dim; }
};

// Scores are approximate (quantised query times quantised rows).
std::vector<Neighbor> exact_search_i8(const QuantizedMatrix& m, std::span<const float> query,
                                      size_t k, const RowFilter* filter = nullptr);

}  // namespace pb::vector
