#pragma once
// Paper vectors in the data directory, and the semantic half of search.
//
// DATA/vectors/ holds one complete vector set per embedding model: NAME.pbv (VectorStore: the
// vectors, one row per paper and re-embedding) and NAME.hnsw (the HNSW graph over those rows),
// NAME derived from the model id. ACTIVE (JSON) names the set that search uses, with the model
// id, the model directory and the store change counter (seq) it has caught up with. Embedding
// with the active model appends what changed since. Embedding with another model builds a new
// set beside it (progress in PENDING, so a killed run resumes) while search keeps using the
// active one; the switch is one atomic rename of ACTIVE, then the old set is removed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "embed/embedder.hpp"
#include "engine/lexical_search.hpp"
#include "index/vector/hnsw.hpp"
#include "index/vector/vector_store.hpp"
#include "store/store.hpp"

namespace pb::engine {

struct VectorSetInfo {
  std::string model_id;
  std::string model_dir;           // where the model was loaded from (to embed queries)
  std::string precision = "fp32";  // "fp32" or "int8": how to load it again
  std::string name;                // file stem of NAME.pbv / NAME.hnsw
  std::int64_t store_seq = 0;
};

class VectorSet {
 public:
  // The active set of `dir`, or nullptr when nothing has been embedded.
  static Result<std::unique_ptr<VectorSet>> open_active(const std::filesystem::path& dir);

  const VectorSetInfo& info() const { return info_; }
  const vector::VectorStore& store() const { return *store_; }
  const vector::Hnsw& graph() const { return *graph_; }
  std::optional<std::uint32_t> row_of(const std::string& paper_id) const {
    return store_->find(paper_id);
  }

  struct Match {
    std::string id;
    float score;
  };
  // The k papers nearest to `query` (a unit vector of the set's dimension): exact search on
  // small sets, else HNSW candidates (beam `ef`) re-ranked with the exact vectors.
  std::vector<Match> nearest(std::span<const float> query, size_t k, size_t ef = 128,
                             const vector::RowFilter* filter = nullptr) const;

 private:
  VectorSetInfo info_;
  std::unique_ptr<vector::VectorStore> store_;
  std::unique_ptr<vector::Hnsw> graph_;
};

// Below this many vectors, nearest() searches exhaustively (exact and fast enough).
inline constexpr size_t kExactSearchRows = 20000;

struct EmbedRunOptions {
  size_t batch = 256;    // papers per embed() call and durable append
  unsigned threads = 0;  // embedder threads; 0 = all cores
  // Recorded in ACTIVE, to load the same model for queries.
  std::filesystem::path model_dir;
  std::string precision = "fp32";
  vector::HnswParams graph;  // for a new set
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
  // Checked after each durable batch: true stops the run with a kCancelled error (everything
  // embedded so far is kept and a later run resumes).
  std::function<bool()> should_stop;
};

struct EmbedSummary {
  std::uint64_t embedded = 0;  // papers embedded in this run
  std::uint64_t vectors = 0;   // live vectors in the active set afterwards
  bool switched = false;       // a new model's set became active
  std::string model_id;
};

// The text a paper is embedded from: plain title, a blank line, plain abstract.
std::string embedding_text(const Paper& paper);

// Brings the vectors of `embedder`'s model up to date with the store (see the header comment).
Result<EmbedSummary> embed_store(Store& store, const std::filesystem::path& dir,
                                 const embed::Embedder& embedder, const EmbedRunOptions& options);

// How to answer semantic and hybrid queries: which model embeds them (default: the one the
// active vectors came from) and how the rankings are fused. Empty / negative fields fall back
// to the model directory's paperboy.json ("fusion", "hybrid_weight"), then to the defaults
// (reciprocal rank fusion, equal weights).
struct SemanticSettings {
  std::string model;  // model directory
  bool int8 = false;
  std::string fusion;  // "rrf" | "score" | ""
  double semantic_weight = -1;
  size_t depth = 100;
};

// The active vectors and the model that made them (both null when nothing is embedded).
struct LoadedSemantic {
  std::unique_ptr<VectorSet> vectors;
  std::unique_ptr<embed::Embedder> model;
  HybridOptions hybrid;
};

Result<HybridOptions> hybrid_options(const SemanticSettings& settings,
                                     const std::string& model_dir);

// Opens the active vector set of `dir` and, when `need_model`, loads its model (or
// settings.model) and checks that it made those vectors.
Result<LoadedSemantic> open_semantic(const std::filesystem::path& dir,
                                     const SemanticSettings& settings, bool need_model);

// Loads the model of an opened set `s` (settings.model, else the set's own) and checks that
// it made the vectors. No-op without vectors.
Status load_semantic_model(LoadedSemantic& s, const SemanticSettings& settings);

}  // namespace pb::engine
