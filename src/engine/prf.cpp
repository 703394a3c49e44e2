#include "engine/prf.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace pb::engine {

lexical::Query rm3_expand(const lexical::Query& query, const std::vector<lexical::Hit>& hits,
                          const std::function<std::string(const std::string&)>& text_of,
                          const lexical::IndexSnapshot& snapshot, text::Analyzer& analyzer,
                          const PrfOptions& options) {
  if (hits.empty() || query.should.empty() || options.feedback_terms == 0) return query;
  const size_t n = std::min(options.feedback_docs, hits.size());
  // Document weights: scores normalised to sum to one (BM25 scores stand in for the query
  // likelihood of the original relevance model).
  double score_sum = 0;
  for (size_t i = 0; i < n; ++i) score_sum += std::max(hits[i].score, 0.0);
  if (score_sum <= 0) return query;
  std::unordered_map<std::string, double> relevance;
  std::vector<text::Token> tokens;
  const double total_docs = static_cast<double>(std::max<std::uint64_t>(snapshot.total_docs, 1));
  for (size_t i = 0; i < n; ++i) {
    tokens.clear();
    analyzer.analyze(text_of(hits[i].id), tokens);
    std::unordered_map<std::string, double> tf;
    size_t len = 0;
    for (const auto& t : tokens) {
      if (t.joined || t.stopword) continue;
      // Pure numbers and single characters make poor expansion terms.
      if (t.term.size() < 2 ||
          std::all_of(t.term.begin(), t.term.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      tf[t.term] += 1;
      ++len;
    }
    if (len == 0) continue;
    const double w = std::max(hits[i].score, 0.0) / score_sum;
    for (const auto& [term, f] : tf) relevance[term] += w * f / static_cast<double>(len);
  }
  // Terms in (nearly) every document say nothing; Anserini drops those above a df share too.
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [term, p] : relevance) {
    double df = static_cast<double>(snapshot.document_frequency(term));
    if (df / total_docs > 0.1) continue;
    ranked.emplace_back(p, term);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (ranked.size() > options.feedback_terms) ranked.resize(options.feedback_terms);
  double fb_sum = 0;
  for (const auto& r : ranked) fb_sum += r.first;
  if (fb_sum <= 0) return query;

  lexical::Query out = query;
  double orig_sum = 0;
  for (const auto& t : query.should) orig_sum += t.weight;
  const double lambda = options.original_weight;
  std::map<std::pair<std::string, lexical::Field>, float> weights;
  for (const auto& t : query.should)
    weights[{t.term, t.field}] += static_cast<float>(lambda * t.weight / orig_sum);
  for (const auto& [p, term] : ranked)
    weights[{term, lexical::Field::kAll}] += static_cast<float>((1.0 - lambda) * p / fb_sum);
  out.should.clear();
  for (const auto& [key, w] : weights) out.should.push_back({key.first, key.second, w});
  return out;
}

}  // namespace pb::engine
