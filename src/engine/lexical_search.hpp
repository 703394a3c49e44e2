#pragma once
// Search use cases over the store and the lexical index: keeping the index current with the
// store, and answering queries with hydrated, snippeted results.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/paper.hpp"
#include "core/result.hpp"
#include "embed/embedder.hpp"
#include "index/lexical/index.hpp"
#include "index/lexical/query.hpp"
#include "index/lexical/searcher.hpp"
#include "rank/fusion.hpp"
#include "store/store.hpp"
#include "text/analyzer.hpp"

namespace pb::engine {

// The index's view of a paper: TeX normalised to plain text, the announcement (else
// submission) day for date filters.
lexical::IndexDoc to_index_doc(const Paper& paper);

struct RefreshOptions {
  // Documents per new segment: in-memory inversion costs about 11 KB a paper, so 50k keeps
  // an index build under ~600 MB whatever the store size; merges combine the segments.
  size_t segment_docs = 50000;
  size_t max_segments = 8;  // merge when there are more
  bool rebuild = false;     // drop the index and re-index every paper
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
};

struct RefreshSummary {
  std::uint64_t indexed = 0;
  lexical::IndexStats stats;
};

// Brings the index up to date with the store (papers changed since the index's store_seq).
Result<RefreshSummary> refresh_index(Store& store, lexical::LexicalIndex& index,
                                     const RefreshOptions& options);

// kAuto answers a free-text query ranked by relevance in hybrid when the embedding model says
// hybrid is where it wins (HybridOptions::prefer_hybrid), and lexically otherwise: structured
// queries (only fields, phrases, filters), date order, or no vectors.
enum class SearchMode { kLexical, kSemantic, kHybrid, kAuto };
std::string_view mode_name(SearchMode mode);
// The inverse of mode_name() for what users type: "lexical", "semantic", "hybrid", and "" for
// kAuto; anything else is an invalid_input error naming the choices.
Result<SearchMode> parse_mode(std::string_view name);
enum class FusionMethod { kRrf, kScore };

// How semantic results are fused with lexical ones (see rank/fusion.hpp).
struct HybridOptions {
  FusionMethod method = FusionMethod::kRrf;
  double semantic_weight = 1.0;  // the lexical list weighs 1
  double rrf_k = 60;
  size_t depth = 100;  // candidates taken from each side
  size_t ef = 128;     // HNSW beam
  // The model's paperboy.json "default_mode" is "hybrid": measured to beat lexical search, so
  // SearchMode::kAuto uses it.
  bool prefer_hybrid = false;
};

class VectorSet;  // engine/vectors.hpp

// The semantic side of search: the active vectors and the model that made them (to embed
// queries). Either null: semantic and hybrid requests are answered lexically, with a note.
struct SemanticSource {
  const VectorSet* vectors = nullptr;
  const embed::Embedder* embedder = nullptr;
};

struct SearchRequest {
  std::string query;
  size_t k = 10;
  size_t offset = 0;
  lexical::SortOrder sort = lexical::SortOrder::kRelevance;
  bool snippets = true;
  bool prf = false;  // RM3 expansion from the first page (off by default: see RESULTS.md)
  SearchMode mode = SearchMode::kLexical;
  HybridOptions hybrid;
};

struct SearchItem {
  Paper paper;  // as stored (raw TeX); title_text is the plain reading
  std::string title_text;
  double score = 0;
  bool exact = false;
  std::string snippet;  // HTML-safe, query terms in <mark>
};

struct SearchResults {
  std::vector<SearchItem> items;
  std::vector<std::string> notes;          // how a degraded query was read
  SearchMode mode = SearchMode::kLexical;  // how the query was answered (never kAuto)
};

// Default ranking parameters, tuned on the SciFact training split (see bench/RESULTS.md).
lexical::Bm25Params default_bm25();

Result<SearchResults> search(Store& store, const lexical::IndexSnapshot& snapshot,
                             const SearchRequest& request, text::Analyzer& analyzer,
                             const SemanticSource& semantic = {});

// Appends a fused ranking as hits (id and score) to be hydrated.
void append_hits(std::span<const rank::Scored> ranked, std::vector<lexical::Hit>& hits);

// Fuses a lexical and a semantic ranking per `options` (the lexical list weighs 1).
std::vector<rank::Scored> fuse_hybrid(std::span<const rank::Scored> lexical,
                                      std::span<const rank::Scored> semantic,
                                      const HybridOptions& options, size_t limit);

// Loads the papers of `resp`'s hits from the store (skipping any removed since indexing) and
// makes their snippets.
Result<SearchResults> hydrate(Store& store, const lexical::SearchResponse& resp, bool snippets,
                              text::Analyzer& analyzer);

// Papers like the paper `id` ("more like this"): its strongest terms — tf-idf over its title
// (counted twice) and abstract, at most kSimilarTerms — as a weighted BM25F query. The paper
// itself is never returned. NotFound when the store does not have `id`.
inline constexpr size_t kSimilarTerms = 25;
// With vectors, the paper's own vector's nearest neighbours are fused in (HybridOptions).
Result<SearchResults> similar(Store& store, const lexical::IndexSnapshot& snapshot,
                              const std::string& id, size_t k, text::Analyzer& analyzer,
                              const VectorSet* vectors = nullptr, const HybridOptions& hybrid = {});

}  // namespace pb::engine
