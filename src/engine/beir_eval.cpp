#include "engine/beir_eval.hpp"

#include <unordered_map>

#include "index/lexical/query.hpp"
#include "index/vector/exact.hpp"
#include "index/vector/kernels.hpp"
#include "text/analyzer.hpp"
#include "text/tex.hpp"

namespace pb::engine {

Result<std::unique_ptr<lexical::LexicalIndex>> index_beir_corpus(
    const std::vector<eval::BeirDoc>& corpus, const std::filesystem::path& dir) {
  PB_ASSIGN_OR_RETURN(auto index, lexical::LexicalIndex::open(dir));
  std::vector<lexical::IndexDoc> docs;
  docs.reserve(corpus.size());
  for (const auto& d : corpus) {
    lexical::IndexDoc doc;
    doc.id = d.id;
    doc.title = text::tex_to_text(d.title);
    doc.abstract = text::tex_to_text(d.text);
    docs.push_back(std::move(doc));
  }
  text::Analyzer analyzer;
  PB_RETURN_IF_ERROR(index->update(docs, {}, 0, analyzer));
  return index;
}

eval::Run run_lexical(const lexical::IndexSnapshot& snapshot,
                      const std::vector<eval::BeirQuery>& queries, const BeirRunOptions& options,
                      const std::vector<eval::BeirDoc>* corpus) {
  text::Analyzer analyzer;
  std::unordered_map<std::string, const eval::BeirDoc*> by_id;
  if (options.prf && corpus)
    for (const auto& d : *corpus) by_id.emplace(d.id, &d);
  auto text_of = [&](const std::string& id) {
    auto it = by_id.find(id);
    return it == by_id.end()
               ? std::string()
               : text::tex_to_text(it->second->title) + "\n" + text::tex_to_text(it->second->text);
  };
  eval::Run run;
  lexical::SearchOptions so;
  so.k = options.k;
  so.bm25 = options.bm25;
  so.pin_exact = false;  // claims are not titles; rank purely by BM25F
  for (const auto& q : queries) {
    // Queries of a test collection are bags of words, not query-language expressions.
    std::string plain = q.text;
    for (size_t i = 0; i < plain.size(); ++i) {
      char c = plain[i];
      bool at_word_start = i == 0 || plain[i - 1] == ' ';
      if (c == '"' || c == ':' || ((c == '-' || c == '+') && at_word_start)) plain[i] = ' ';
    }
    auto parsed = lexical::parse_query(plain, analyzer);
    auto resp = lexical::search(snapshot, parsed, so, analyzer);
    if (options.prf && !by_id.empty()) {
      auto expanded =
          rm3_expand(parsed, resp.hits, text_of, snapshot, analyzer, options.prf_options);
      resp = lexical::search(snapshot, expanded, so, analyzer);
    }
    auto& list = run[q.id];
    for (const auto& h : resp.hits) list.push_back({h.id, h.score});
  }
  return run;
}

Result<eval::Run> run_semantic(const std::vector<eval::BeirDoc>& corpus,
                               const std::vector<eval::BeirQuery>& queries,
                               const embed::Embedder& embedder, size_t k, unsigned threads) {
  embed::EmbedOptions eo;
  eo.threads = threads;
  std::vector<std::string> texts;
  texts.reserve(corpus.size());
  for (const auto& d : corpus)
    texts.push_back(text::tex_to_text(d.title) + "\n\n" + text::tex_to_text(d.text));
  PB_ASSIGN_OR_RETURN(embed::Embeddings docs, embedder.embed(texts, embed::Kind::kDocument, eo));
  texts.clear();
  for (const auto& q : queries) texts.push_back(q.text);
  PB_ASSIGN_OR_RETURN(embed::Embeddings qs, embedder.embed(texts, embed::Kind::kQuery, eo));
  eval::Run run;
  const size_t dim = docs.dim;
  for (size_t i = 0; i < queries.size(); ++i) {
    vector::TopK top(k);
    const float* q = qs.data.data() + i * dim;
    for (size_t d = 0; d < corpus.size(); ++d)
      top.offer(static_cast<std::uint32_t>(d), vector::dot(q, docs.data.data() + d * dim, dim));
    auto& list = run[queries[i].id];
    for (const auto& n : top.take()) list.push_back({corpus[n.row].id, n.score});
  }
  return run;
}

eval::Run fuse_runs(const eval::Run& lexical, const eval::Run& semantic,
                    const HybridOptions& options, size_t k) {
  eval::Run out;
  auto as_list = [](const std::vector<eval::Ranked>& r) {
    std::vector<rank::Scored> v;
    v.reserve(r.size());
    for (const auto& x : r) v.push_back({x.doc_id, x.score});
    return v;
  };
  static const std::vector<eval::Ranked> kNone;
  auto get = [](const eval::Run& run, const std::string& q) -> const std::vector<eval::Ranked>& {
    auto it = run.find(q);
    return it == run.end() ? kNone : it->second;
  };
  std::vector<std::string> qids;
  for (const auto& [q, _] : lexical) qids.push_back(q);
  for (const auto& [q, _] : semantic)
    if (!lexical.count(q)) qids.push_back(q);
  for (const auto& q : qids) {
    auto lex = as_list(get(lexical, q));
    auto sem = as_list(get(semantic, q));
    if (lex.size() > options.depth) lex.resize(options.depth);
    if (sem.size() > options.depth) sem.resize(options.depth);
    auto& list = out[q];
    for (const auto& f : fuse_hybrid(lex, sem, options, k)) list.push_back({f.id, f.score});
  }
  return out;
}

}  // namespace pb::engine
