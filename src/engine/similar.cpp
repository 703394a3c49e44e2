#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/arxiv_id.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "text/tex.hpp"

namespace pb::engine {

Result<SearchResults> similar(Store& store, const lexical::IndexSnapshot& snapshot,
                              const std::string& id, size_t k, text::Analyzer& analyzer,
                              const VectorSet* vectors, const HybridOptions& hybrid) {
  std::string key = id;
  if (auto parsed = ArxivId::parse(id)) key = parsed->id;
  PB_ASSIGN_OR_RETURN(auto paper, store.get(key));
  if (!paper) return Error::not_found(fmt::format("no paper {}", id));

  std::unordered_map<std::string, double> tf;
  auto count = [&](const std::string& text, double weight) {
    std::vector<text::Token> tokens;
    analyzer.analyze(text, tokens);
    for (const auto& t : tokens)
      if (!t.stopword && !t.joined && t.term.size() > 1) tf[t.term] += weight;
  };
  count(text::tex_to_text(paper->title), 2.0);
  count(text::tex_to_text(paper->abstract), 1.0);
  const double n = static_cast<double>(std::max<std::uint64_t>(snapshot.live_docs(), 1));
  std::vector<std::pair<double, std::string>> weighted;
  for (const auto& [term, f] : tf) {
    const double df = static_cast<double>(snapshot.document_frequency(term));
    if (df < 2) continue;  // only this paper has it: it cannot find another
    weighted.push_back({(1.0 + std::log(f)) * std::log(1.0 + n / df), term});
  }
  std::sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (weighted.size() > kSimilarTerms) weighted.resize(kSimilarTerms);
  // Vector neighbours of the paper's own vector, when it has one.
  std::vector<rank::Scored> near;
  if (vectors) {
    if (auto row = vectors->row_of(paper->id)) {
      const size_t depth = std::max(hybrid.depth, k + 1);
      for (auto& m : vectors->nearest(vectors->store().vector(*row), depth + 1, hybrid.ef))
        if (m.id != paper->id) near.push_back({std::move(m.id), m.score});
    }
  }
  lexical::SearchResponse resp;
  if (!weighted.empty()) {
    lexical::Query q;
    for (const auto& [w, term] : weighted)
      q.should.push_back({term, lexical::Field::kAll, static_cast<float>(w / weighted[0].first)});
    lexical::SearchOptions opt;
    opt.k = (near.empty() ? k : std::max(hybrid.depth, k)) + 1;  // room for the paper itself
    opt.bm25 = default_bm25();
    opt.pin_exact = false;
    resp = lexical::search(snapshot, q, opt, analyzer);
    std::erase_if(resp.hits, [&](const lexical::Hit& h) { return h.id == paper->id; });
  }
  if (!near.empty()) {
    std::vector<rank::Scored> lex;
    for (const auto& h : resp.hits) lex.push_back({h.id, h.score});
    resp.hits.clear();
    append_hits(fuse_hybrid(lex, near, hybrid, k), resp.hits);
  }
  if (resp.hits.size() > k) resp.hits.resize(k);
  return hydrate(store, resp, true, analyzer);
}

}  // namespace pb::engine
