#include "engine/lexical_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "engine/prf.hpp"
#include "engine/vectors.hpp"
#include "index/lexical/snippet.hpp"
#include "text/tex.hpp"

namespace pb::engine {

lexical::IndexDoc to_index_doc(const Paper& p) {
  lexical::IndexDoc d;
  d.id = p.id;
  d.title = text::tex_to_text(p.title);
  d.abstract = text::tex_to_text(p.abstract);
  d.authors = p.authors;
  d.categories = p.categories;
  const std::string& date = !p.announced.empty() ? p.announced : p.submitted;
  if (date.size() >= 10) {
    if (auto day = lexical::parse_day(std::string_view(date).substr(0, 10), false)) d.day = *day;
  }
  return d;
}

lexical::Bm25Params default_bm25() {
  // Chosen by bench/tune_bm25.sh, a grid over k1, b and the title weight on the SciFact
  // training split (nDCG@10 0.8632 there, against 0.8582 for Anserini's k1=0.9, b=0.4 with
  // equal field weights). The test split was used once, to report the result.
  lexical::Bm25Params p;
  p.k1 = 1.0f;
  p.b = 0.75f;
  p.field_weight = {2.0f, 1.0f, 1.0f};
  return p;
}

Result<RefreshSummary> refresh_index(Store& store, lexical::LexicalIndex& index,
                                     const RefreshOptions& options) {
  text::Analyzer analyzer;
  RefreshSummary summary;
  if (options.rebuild) PB_RETURN_IF_ERROR(index.clear());
  const std::int64_t from = index.snapshot()->store_seq;
  PB_ASSIGN_OR_RETURN(std::int64_t to, store.max_seq());
  std::uint64_t total = to > from ? static_cast<std::uint64_t>(to - from) : 0;
  std::vector<lexical::IndexDoc> batch;
  std::int64_t last_seq = from;
  Status failure;
  auto flush = [&]() -> Status {
    if (batch.empty()) return ok_status();
    PB_RETURN_IF_ERROR(index.update(batch, {}, last_seq, analyzer));
    summary.indexed += batch.size();
    batch.clear();
    return index.merge(options.max_segments);
  };
  PB_RETURN_IF_ERROR(store.scan_changed(from, [&](const Paper& p, std::int64_t seq) {
    batch.push_back(to_index_doc(p));
    last_seq = seq;
    if (options.on_progress) options.on_progress(static_cast<std::uint64_t>(seq - from), total);
    if (batch.size() >= options.segment_docs) {
      failure = flush();
      return failure.ok();
    }
    return true;
  }));
  PB_RETURN_IF_ERROR(failure);
  PB_RETURN_IF_ERROR(flush());
  // After a bulk load (at least half of the index is new) merge into one segment, as one
  // would optimise after loading: fewer, larger segments answer queries fastest.
  if (summary.indexed * 2 >= index.stats().docs) PB_RETURN_IF_ERROR(index.merge(1));
  summary.stats = index.stats();
  return summary;
}

Result<SearchResults> hydrate(Store& store, const lexical::SearchResponse& resp, bool snippets,
                              text::Analyzer& analyzer) {
  SearchResults out;
  std::vector<std::string> ids;
  ids.reserve(resp.hits.size());
  for (const auto& h : resp.hits) ids.push_back(h.id);
  // One batch read; papers removed from the store after indexing are skipped.
  PB_ASSIGN_OR_RETURN(auto papers, store.get_many(ids));
  std::unordered_map<std::string, Paper*> by_id;
  for (auto& p : papers) by_id.emplace(p.id, &p);
  for (const auto& h : resp.hits) {
    auto found = by_id.find(h.id);
    if (found == by_id.end() || !found->second) continue;
    SearchItem item;
    item.paper = std::move(*found->second);
    found->second = nullptr;  // a repeated hit id is hydrated once
    item.title_text = text::tex_to_text(item.paper.title);
    item.score = h.score;
    item.exact = h.exact;
    if (snippets)
      item.snippet = lexical::make_snippet(text::tex_to_text(item.paper.abstract), resp.terms,
                                           resp.term_weights, analyzer);
    out.items.push_back(std::move(item));
  }
  return out;
}

namespace {

// The lexical ranking of `q` (with RM3 expansion when asked): hits [offset, offset + k).
lexical::SearchResponse lexical_response(Store& store, const lexical::IndexSnapshot& snapshot,
                                         const lexical::Query& q, const SearchRequest& request,
                                         size_t k, size_t offset, text::Analyzer& analyzer) {
  lexical::SearchOptions opt;
  opt.k = k;
  opt.offset = offset;
  opt.sort = request.sort;
  opt.bm25 = default_bm25();
  // (k = 0 asks only for the query's terms: no feedback pass for that.)
  if (!request.prf || k == 0 || request.sort != lexical::SortOrder::kRelevance)
    return lexical::search(snapshot, q, opt, analyzer);
  // The feedback pass retrieves the top documents only; the expanded query gives the page.
  PrfOptions prf;
  lexical::SearchOptions first = opt;
  first.k = prf.feedback_docs;
  first.offset = 0;
  auto feedback = lexical::search(snapshot, q, first, analyzer);
  auto text_of = [&](const std::string& id) {
    auto p = store.get(id);
    if (!p.ok() || !*p) return std::string();
    return text::tex_to_text((*p)->title) + "\n" + text::tex_to_text((*p)->abstract);
  };
  lexical::Query expanded = rm3_expand(q, feedback.hits, text_of, snapshot, analyzer, prf);
  return lexical::search(snapshot, expanded, opt, analyzer);
}

bool has_filters(const lexical::Query& q) {
  return !q.must.empty() || !q.phrases.empty() || !q.must_not.empty() ||
         !q.must_not_phrases.empty() || !q.categories.empty() || !q.ids.empty() || q.after_day ||
         q.before_day;
}

// The query's nearest papers by meaning, keeping only those that pass its filters (required
// and excluded terms and phrases, categories, ids, dates), which the lexical index checks.
Result<std::vector<rank::Scored>> semantic_candidates(const lexical::IndexSnapshot& snapshot,
                                                      const lexical::Query& q,
                                                      const std::string& raw,
                                                      const SemanticSource& semantic, size_t depth,
                                                      size_t ef, text::Analyzer& analyzer) {
  const std::string& text = q.text.empty() ? raw : q.text;
  PB_ASSIGN_OR_RETURN(auto vec, semantic.embedder->embed_one(text, embed::Kind::kQuery));
  const bool filtered = has_filters(q);
  auto matches = semantic.vectors->nearest(vec, filtered ? depth * 4 : depth, ef);
  std::vector<rank::Scored> out;
  if (!filtered) {
    for (auto& m : matches) out.push_back({std::move(m.id), m.score});
    return out;
  }
  lexical::Query f = q;
  f.should.clear();
  f.ids.clear();
  for (const auto& m : matches) {
    if (!q.ids.empty() && std::find(q.ids.begin(), q.ids.end(), m.id) == q.ids.end()) continue;
    f.ids.push_back(m.id);
  }
  if (f.ids.empty()) return out;
  lexical::SearchOptions opt;
  opt.k = f.ids.size();
  opt.bm25 = default_bm25();
  opt.pin_exact = false;
  std::unordered_set<std::string> pass;
  for (const auto& h : lexical::search(snapshot, f, opt, analyzer).hits) pass.insert(h.id);
  for (auto& m : matches)
    if (pass.count(m.id) && out.size() < depth) out.push_back({std::move(m.id), m.score});
  return out;
}

}  // namespace

std::string_view mode_name(SearchMode mode) {
  switch (mode) {
    case SearchMode::kLexical:
      return "lexical";
    case SearchMode::kSemantic:
      return "semantic";
    case SearchMode::kHybrid:
      return "hybrid";
    case SearchMode::kAuto:
      break;
  }
  return "auto";
}

Result<SearchMode> parse_mode(std::string_view name) {
  if (name.empty()) return SearchMode::kAuto;
  for (SearchMode m : {SearchMode::kLexical, SearchMode::kSemantic, SearchMode::kHybrid})
    if (name == mode_name(m)) return m;
  return Error::invalid_input(
      fmt::format("mode must be lexical, semantic or hybrid, not '{}'", name));
}

void append_hits(std::span<const rank::Scored> ranked, std::vector<lexical::Hit>& hits) {
  for (const auto& r : ranked) {
    lexical::Hit h;
    h.id = r.id;
    h.score = r.score;
    hits.push_back(std::move(h));
  }
}

std::vector<rank::Scored> fuse_hybrid(std::span<const rank::Scored> lexical,
                                      std::span<const rank::Scored> semantic,
                                      const HybridOptions& options, size_t limit) {
  const rank::FusionList lists[] = {{lexical, 1.0}, {semantic, options.semantic_weight}};
  return options.method == FusionMethod::kRrf
             ? rank::reciprocal_rank_fusion(lists, limit, options.rrf_k)
             : rank::score_fusion(lists, limit);
}

Result<SearchResults> search(Store& store, const lexical::IndexSnapshot& snapshot,
                             const SearchRequest& request, text::Analyzer& analyzer,
                             const SemanticSource& semantic) {
  lexical::Query q = lexical::parse_query(request.query, analyzer);
  const bool can_embed = semantic.vectors && semantic.embedder;
  const bool by_relevance = request.sort == lexical::SortOrder::kRelevance;
  SearchMode mode = request.mode;
  if (mode == SearchMode::kAuto)
    mode = can_embed && request.hybrid.prefer_hybrid && by_relevance && !q.should.empty()
               ? SearchMode::kHybrid
               : SearchMode::kLexical;
  if (mode == SearchMode::kLexical || !can_embed || !by_relevance) {
    auto resp = lexical_response(store, snapshot, q, request, request.k, request.offset, analyzer);
    PB_ASSIGN_OR_RETURN(SearchResults out, hydrate(store, resp, request.snippets, analyzer));
    out.notes = q.notes;
    if (mode != SearchMode::kLexical && !can_embed)
      out.notes.push_back(
          "no embedding model is configured (run `paperboy embed --model DIR`): answered "
          "lexically");
    else if (mode != SearchMode::kLexical)
      out.notes.push_back("sorting by date: answered lexically");
    out.mode = SearchMode::kLexical;
    return out;
  }
  const size_t want = request.offset + request.k;
  const size_t depth = std::max(request.hybrid.depth, want);
  PB_ASSIGN_OR_RETURN(auto sem, semantic_candidates(snapshot, q, request.query, semantic, depth,
                                                    request.hybrid.ef, analyzer));
  // The lexical side also supplies the terms for snippets and the exact (pinned) matches.
  auto lex = lexical_response(store, snapshot, q, request, mode == SearchMode::kHybrid ? depth : 0,
                              0, analyzer);
  lexical::SearchResponse page;
  page.terms = lex.terms;
  page.term_weights = lex.term_weights;
  std::vector<rank::Scored> fused;
  if (mode == SearchMode::kSemantic) {
    fused = std::move(sem);
  } else {
    std::vector<rank::Scored> lex_list;
    for (const auto& h : lex.hits) {
      if (h.exact)
        page.hits.push_back(h);  // exact id / title matches stay first
      else
        lex_list.push_back({h.id, h.score});
    }
    std::erase_if(sem, [&](const rank::Scored& s) {
      return std::any_of(page.hits.begin(), page.hits.end(),
                         [&](const lexical::Hit& h) { return h.id == s.id; });
    });
    fused = fuse_hybrid(lex_list, sem, request.hybrid, want);
  }
  append_hits(fused, page.hits);
  if (page.hits.size() > want) page.hits.resize(want);
  page.hits.erase(page.hits.begin(), page.hits.begin() + static_cast<long>(std::min(
                                                             request.offset, page.hits.size())));
  PB_ASSIGN_OR_RETURN(SearchResults out, hydrate(store, page, request.snippets, analyzer));
  out.notes = q.notes;
  out.mode = mode;
  return out;
}

}  // namespace pb::engine
