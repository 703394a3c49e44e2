#pragma once
// Retrieval evaluation on BEIR-format collections: index the corpus into a scratch
// directory, run every query, score the run with eval::evaluate.

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "embed/embedder.hpp"
#include "engine/lexical_search.hpp"
#include "engine/prf.hpp"
#include "eval/beir.hpp"
#include "eval/metrics.hpp"
#include "index/lexical/index.hpp"
#include "index/lexical/searcher.hpp"

namespace pb::engine {

// Indexes BEIR documents (id, title, text) as one segment in `dir`.
Result<std::unique_ptr<lexical::LexicalIndex>> index_beir_corpus(
    const std::vector<eval::BeirDoc>& corpus, const std::filesystem::path& dir);

struct BeirRunOptions {
  size_t k = 1000;
  lexical::Bm25Params bm25;
  bool prf = false;  // RM3 query expansion (see prf.hpp)
  PrfOptions prf_options;
};

// Runs every query lexically; the run holds up to k documents per query. `corpus` supplies
// document text for feedback (only read when options.prf).
eval::Run run_lexical(const lexical::IndexSnapshot& snapshot,
                      const std::vector<eval::BeirQuery>& queries, const BeirRunOptions& options,
                      const std::vector<eval::BeirDoc>* corpus = nullptr);

// Embeds the corpus (title, blank line, text) and the queries with `embedder` and returns each
// query's k nearest documents by cosine, searched exactly.
Result<eval::Run> run_semantic(const std::vector<eval::BeirDoc>& corpus,
                               const std::vector<eval::BeirQuery>& queries,
                               const embed::Embedder& embedder, size_t k, unsigned threads = 0);

// Fuses two runs query by query (the lexical run weighs 1), keeping k documents.
eval::Run fuse_runs(const eval::Run& lexical, const eval::Run& semantic,
                    const HybridOptions& options, size_t k);

}  // namespace pb::engine
