#pragma once
// Top-k retrieval over an IndexSnapshot with BM25F scoring.
//
// Scoring is BM25 (Robertson & Zaragoza 2009) over a weighted combination of fields in the
// "simple BM25F" manner (Robertson, Zaragoza & Taylor 2004): per-field term frequencies and
// lengths are combined with field weights before BM25's saturation, with one k1 and b:
//   tf~ = sum_f w_f tf_f,  len~ = sum_f w_f len_f,
//   score = sum_t qw_t * idf_t * tf~ (k1 + 1) / (tf~ + k1 (1 - b + b len~ / avglen~)),
//   idf_t = ln(1 + (N - df_t + 0.5) / (df_t + 0.5)).
// Top-k uses MaxScore (Turtle & Flood 1995) over windows of documents with block-max bounds
// (Ding & Suel 2011), essential terms accumulated term-at-a-time per window as in Lucene's
// MaxScoreBulkScorer: it skips documents that provably cannot enter the top k and returns
// exactly the exhaustive top k (ties broken by segment then document order); a property test
// checks this. Scores are summed in fixed point so that every evaluation order agrees exactly.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "index/lexical/index.hpp"
#include "index/lexical/query.hpp"
#include "text/analyzer.hpp"

namespace pb::lexical {

struct Bm25Params {
  float k1 = 0.9f;  // Anserini's defaults
  float b = 0.4f;
  std::array<float, 3> field_weight = {1.0f, 1.0f, 1.0f};  // title, abstract, authors
};

enum class SortOrder { kRelevance, kDate };

struct SearchOptions {
  size_t k = 10;
  size_t offset = 0;
  Bm25Params bm25;
  SortOrder sort = SortOrder::kRelevance;
  bool pin_exact = true;    // an exact arXiv id or exact title match ranks first
  bool exhaustive = false;  // score every matching document (reference path, for tests)
};

struct Hit {
  std::string id;
  double score = 0;
  std::uint32_t segment = 0;
  std::uint32_t doc = 0;
  std::int32_t day = kUnknownDay;
  bool exact = false;  // pinned by an exact id or title match
};

struct SearchResponse {
  std::vector<Hit> hits;
  // The scored terms and their idf, for snippets and query expansion.
  std::vector<std::string> terms;
  std::vector<float> term_weights;
  std::uint64_t candidates = 0;  // documents fully scored (a measure of pruning)
};

SearchResponse search(const IndexSnapshot& snapshot, const Query& query,
                      const SearchOptions& options, text::Analyzer& analyzer);

}  // namespace pb::lexical
