#include "index/vector/exact.hpp"

#include <algorithm>
#include <limits>

#include "index/vector/kernels.hpp"

namespace pb::vector {
namespace {

// Heap order: the worst kept neighbour on top.
bool worse_first(const Neighbor& a, const Neighbor& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.row < b.row;
}

}  // namespace

void TopK::offer(std::uint32_t row, float score) {
  if (k_ == 0) return;
  Neighbor n{row, score};
  if (heap_.size() < k_) {
    heap_.push_back(n);
    std::push_heap(heap_.begin(), heap_.end(), worse_first);
  } else if (worse_first(n, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), worse_first);
    heap_.back() = n;
    std::push_heap(heap_.begin(), heap_.end(), worse_first);
  }
}

float TopK::worst() const {
  return full() ? heap_.front().score : -std::numeric_limits<float>::infinity();
}

std::vector<Neighbor> TopK::take() {
  std::sort_heap(heap_.begin(), heap_.end(), worse_first);
  return std::move(heap_);
}

std::vector<Neighbor> exact_search(const VectorStore& store, std::span<const float> query, size_t k,
                                   const RowFilter* filter) {
  TopK top(k);
  if (query.size() != store.dim()) return {};
  for (std::uint32_t r = 0; r < store.rows(); ++r) {
    if (!store.live(r) || (filter && !(*filter)(r))) continue;
    top.offer(r, dot(query.data(), store.vector(r).data(), store.dim()));
  }
  return top.take();
}

std::vector<Neighbor> rerank(const VectorStore& store, std::span<const float> query,
                             std::span<const Neighbor> candidates, size_t k) {
  TopK top(k);
  if (query.size() != store.dim()) return {};
  for (const Neighbor& c : candidates)
    if (c.row < store.rows())
      top.offer(c.row, dot(query.data(), store.vector(c.row).data(), store.dim()));
  return top.take();
}

void QuantizedMatrix::add(std::span<const float> v) {
  const size_t at = codes.size();
  codes.resize(at + dim);
  scales.push_back(quantize(v.first(std::min<size_t>(v.size(), dim)), codes.data() + at));
}

std::vector<Neighbor> exact_search_i8(const QuantizedMatrix& m, std::span<const float> query,
                                      size_t k, const RowFilter* filter) {
  TopK top(k);
  if (query.size() != m.dim) return {};
  std::vector<std::int8_t> q(m.dim);
  const float qs = quantize(query, q.data());
  for (std::uint32_t r = 0; r < m.rows(); ++r) {
    if (filter && !(*filter)(r)) continue;
    top.offer(r, qs * m.scales[r] * static_cast<float>(dot_i8(q.data(), m.row(r), m.dim)));
  }
  return top.take();
}

}  // namespace pb::vector
