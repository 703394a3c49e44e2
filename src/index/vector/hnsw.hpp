#pragma once
// Approximate nearest neighbours by dot product: a hierarchical navigable small world graph
// (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor search using
// Hierarchical Navigable Small World graphs", TPAMI 2018) over int8 codes (one scale per
// vector), which keeps a node at dim + ~140 bytes instead of 4 * dim + ~140. Distances from
// the vector being inserted or the query are asymmetric (float times codes: only the stored
// side is quantised); node-to-node distances in the neighbour heuristic are int8 times int8.
// Node i is row i of the VectorStore it was built from; callers re-rank the returned
// candidates with the exact float vectors (see VectorIndex).
//
// Insertion follows the paper: a random level per node (mL = 1 / ln M), greedy descent, a
// beam search of ef_construction per layer, neighbours chosen with the diversity heuristic
// (Algorithm 4), links made both ways and over-full lists pruned with the same heuristic.
// Thread safety: search() is const and may run concurrently; add() needs exclusive access.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "index/vector/exact.hpp"

namespace pb::vector {

struct HnswParams {
  std::uint32_t m = 16;  // links per node on upper layers, 2m on layer 0
  std::uint32_t ef_construction = 200;
  std::uint64_t seed = 100;
};

class Hnsw {
 public:
  explicit Hnsw(std::uint32_t dim, HnswParams params = {});
  static Result<std::unique_ptr<Hnsw>> load(const std::filesystem::path& path);
  // Written atomically (temporary file, fsync, rename).
  Status save(const std::filesystem::path& path) const;

  // Adds a node for the next row (its id is size() before the call).
  void add(std::span<const float> v);
  // Optional: the exact vectors of the nodes (e.g. the VectorStore's rows). While set, the
  // neighbour heuristic compares nodes with them instead of their codes, which gives the graph
  // the quality of a float32 build. Not saved; set it again after load() to grow the graph.
  using ExactVectors = std::function<const float*(std::uint32_t node)>;
  void set_exact_vectors(ExactVectors fn) { exact_ = std::move(fn); }
  size_t size() const { return levels_.size(); }
  std::uint32_t dim() const { return dim_; }
  const HnswParams& params() const { return params_; }
  // Exact int8 search over the graph's own codes (the metric the graph is built with).
  std::vector<Neighbor> exact_search(std::span<const float> query, size_t k) const;
  size_t memory_bytes() const;

  // The (up to) k best nodes by approximate score, searching with a beam of max(ef, k).
  // Rows rejected by `filter` are walked through but not returned.
  std::vector<Neighbor> search(std::span<const float> query, size_t k, size_t ef,
                               const RowFilter* filter = nullptr) const;

 private:
  // What distances are measured from: a node's codes (building) or a float query (search:
  // asymmetric, the query keeps full precision).
  struct Target {
    const std::int8_t* codes = nullptr;
    float scale = 0;
    const float* query = nullptr;  // when set, used instead of codes
  };
  using Scored = std::pair<float, std::uint32_t>;  // similarity, node

  std::uint32_t max_links(int level) const { return level == 0 ? 2 * params_.m : params_.m; }
  // Node block layout (in 32-bit words): layer-0 link count, 2m link slots, the int8 scale
  // (float bits), then the codes (dim bytes, padded to a word) — one contiguous block per
  // node, so that a neighbour's links and codes share cache lines.
  std::uint32_t* block(std::uint32_t node) { return nodes_.data() + node * stride_; }
  const std::uint32_t* block(std::uint32_t node) const { return nodes_.data() + node * stride_; }
  float scale(std::uint32_t node) const;
  const std::int8_t* code(std::uint32_t node) const {
    return reinterpret_cast<const std::int8_t*>(block(node) + 2 + 2 * params_.m);
  }
  std::span<std::uint32_t> links(std::uint32_t node, int level);
  std::span<const std::uint32_t> links(std::uint32_t node, int level) const;
  void set_links(std::uint32_t node, int level, const std::vector<std::uint32_t>& to);
  float sim(const Target& t, std::uint32_t node) const;
  float sim(std::uint32_t a, std::uint32_t b) const;
  std::uint32_t greedy(const Target& t, std::uint32_t entry, int level) const;
  std::vector<Scored> search_layer(const Target& t, std::uint32_t entry, size_t ef, int level,
                                   const RowFilter* filter) const;
  std::vector<std::uint32_t> select(const std::vector<Scored>& candidates, size_t m) const;
  int random_level();

  HnswParams params_;
  std::uint32_t dim_;
  size_t stride_;                     // words per node block
  std::vector<std::uint32_t> nodes_;  // node blocks
  std::vector<std::uint8_t> levels_;
  // Upper layers: per node with level > 0, an offset into upper_ where its layers 1..level
  // follow, each a count then m slots.
  std::vector<std::uint32_t> upper_offset_;
  std::vector<std::uint32_t> upper_;
  std::uint32_t entry_ = 0;
  int max_level_ = -1;
  std::mt19937_64 rng_;
  ExactVectors exact_;
};

}  // namespace pb::vector
