#pragma once
// Pseudo-relevance feedback: RM3 (Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004, as in
// Anserini's BM25+RM3). The top documents of a first retrieval are taken as relevant, a
// relevance model P(w|R) is estimated from their text weighted by their normalised scores,
// and the query is expanded with the strongest terms, interpolated with the original.

#include <functional>
#include <string>
#include <vector>

#include "index/lexical/query.hpp"
#include "index/lexical/searcher.hpp"
#include "text/analyzer.hpp"

namespace pb::engine {

struct PrfOptions {
  size_t feedback_docs = 10;
  size_t feedback_terms = 10;
  float original_weight = 0.5f;  // lambda: share of the original query
};

// Expands `query` from the first-pass `hits`. `text_of(id)` returns a document's plain text
// (title and abstract). Returns the query unchanged when there is nothing to learn from.
lexical::Query rm3_expand(const lexical::Query& query, const std::vector<lexical::Hit>& hits,
                          const std::function<std::string(const std::string&)>& text_of,
                          const lexical::IndexSnapshot& snapshot, text::Analyzer& analyzer,
                          const PrfOptions& options = {});

}  // namespace pb::engine
