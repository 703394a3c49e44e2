#include "engine/recommend.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "core/ascii.hpp"
#include "core/dates.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "text/tex.hpp"

namespace pb::engine {

std::uint32_t TfIdfFeaturizer::id_of(const std::string& term) {
  auto [it, added] = ids_.try_emplace(term, static_cast<std::uint32_t>(terms_.size()));
  if (added) {
    terms_.push_back(term);
    words_.emplace_back();
    const double n = static_cast<double>(std::max<std::uint64_t>(snapshot_.live_docs(), 1));
    // A term the index has not seen (a paper not indexed yet) counts as in one document.
    const double df =
        static_cast<double>(std::max<std::uint64_t>(snapshot_.document_frequency(term), 1));
    idf_.push_back(std::log(1.0 + n / df));
  }
  return it->second;
}

rank::SparseVector TfIdfFeaturizer::vectorize(const Paper& paper) {
  std::unordered_map<std::uint32_t, double> tf;
  std::vector<text::Token> tokens;
  auto count = [&](const std::string& raw, double weight) {
    tokens.clear();
    const std::string text = text::tex_to_text(raw);
    analyzer_.analyze(text, tokens);
    for (const auto& t : tokens) {
      if (t.stopword || t.joined || t.term.size() <= 1) continue;
      const std::uint32_t id = id_of(t.term);
      tf[id] += weight;
      if (words_[id].empty() && t.end > t.begin && t.end <= text.size()) {
        words_[id] = ascii_lower(std::string_view(text).substr(t.begin, t.end - t.begin));
      }
    }
  };
  count(paper.title, 2.0);
  count(paper.abstract, 1.0);
  rank::SparseVector v;
  v.reserve(tf.size());
  for (const auto& [id, f] : tf)
    v.push_back({id, static_cast<float>((1.0 + std::log(f)) * idf_[id])});
  rank::normalise(v);
  return v;
}

const rank::SparseVector& RecommendCache::vector_of(const Paper& p) {
  auto it = paper_vectors.find(p.id);
  if (it != paper_vectors.end()) return it->second;
  rank::SparseVector v = features.vectorize(p);
  if (embeddings_ && embedding_weight_ > 0) {
    if (auto row = embeddings_->row_of(p.id)) {
      const auto e = embeddings_->store().vector(*row);
      for (size_t j = 0; j < e.size(); ++j)
        v.push_back({kEmbeddingFeatureBase + static_cast<std::uint32_t>(j),
                     static_cast<float>(embedding_weight_ * e[j])});
    }
  }
  return paper_vectors.emplace(p.id, std::move(v)).first->second;
}

namespace {

// Papers of a followed author, newest first: the index finds candidates by the name's words,
// the exact name (case-insensitive) decides.
Result<std::vector<Paper>> author_seeds(Store& store, const lexical::IndexSnapshot& snapshot,
                                        const std::string& name, size_t limit,
                                        text::Analyzer& analyzer) {
  std::string q = "au:\"";
  for (char c : name)
    if (c != '"') q += c;
  q += "\"";
  SearchRequest req;
  req.query = q;
  req.k = std::max<size_t>(limit * 4, 100);
  req.sort = lexical::SortOrder::kDate;
  req.snippets = false;
  PB_ASSIGN_OR_RETURN(auto res, search(store, snapshot, req, analyzer));
  const std::string want = ascii_lower(name);
  std::vector<Paper> out;
  for (auto& it : res.items) {
    bool match = false;
    for (const auto& a : it.paper.authors) match = match || ascii_lower(a) == want;
    if (match) out.push_back(std::move(it.paper));
    if (out.size() >= limit) break;
  }
  return out;
}

}  // namespace

Result<Recommendations> recommend(Store& store, const lexical::IndexSnapshot& snapshot, UserId user,
                                  const RecommendOptions& options, text::Analyzer& analyzer,
                                  RecommendCache* shared) {
  std::optional<RecommendCache> local;
  RecommendCache& cache =
      shared ? *shared
             : local.emplace(snapshot, analyzer, options.vectors, options.embedding_weight);
  PB_ASSIGN_OR_RETURN(auto who, store.get_user(user));
  if (!who) return Error::not_found(fmt::format("no user {}", user));
  Recommendations out;

  // What the user liked: saved papers first (newest first), then upvotes.
  std::vector<std::string> liked;
  std::unordered_set<std::string> liked_set;
  PB_ASSIGN_OR_RETURN(auto lib, store.library(user, ""));
  for (const auto& s : lib)
    if (liked_set.insert(s.paper_id).second) liked.push_back(s.paper_id);
  PB_ASSIGN_OR_RETURN(auto votes, store.votes_of(user));
  for (const auto& id : votes)
    if (liked_set.insert(id).second) liked.push_back(id);
  PB_ASSIGN_OR_RETURN(std::vector<Paper> positives, store.get_many(liked));
  // What the user dismissed: explicit negatives, never recommended (a later save wins).
  PB_ASSIGN_OR_RETURN(auto dismissed_ids, store.not_interested(user));
  std::erase_if(dismissed_ids, [&](const std::string& id) { return liked_set.count(id) > 0; });
  const std::unordered_set<std::string> dismissed_set(dismissed_ids.begin(), dismissed_ids.end());
  PB_ASSIGN_OR_RETURN(std::vector<Paper> dismissed, store.get_many(dismissed_ids));

  // The candidate pool: the latest announcement days.
  const std::string pool_key = fmt::format("{}/{}/{}/{}", options.first_day, options.last_day,
                                           options.candidate_days, options.max_candidates);
  if (!cache.pools.count(pool_key)) {
    std::vector<std::string> pool_ids;
    std::string day;
    if (options.last_day.empty()) {
      PB_ASSIGN_OR_RETURN(day, store.latest_announcement_day());
    } else {
      PB_ASSIGN_OR_RETURN(day, store.announcement_day_before(dates::add_days(options.last_day, 1)));
    }
    for (size_t d = 0; d < options.candidate_days && !day.empty() && day >= options.first_day;
         ++d) {
      PB_ASSIGN_OR_RETURN(auto ids, store.announced_on(day, {}));
      pool_ids.insert(pool_ids.end(), ids.begin(), ids.end());
      if (pool_ids.size() >= options.max_candidates) break;
      PB_ASSIGN_OR_RETURN(day, store.announcement_day_before(day));
    }
    PB_ASSIGN_OR_RETURN(auto loaded, store.get_many(pool_ids));
    cache.pools.emplace(pool_key, std::move(loaded));
  }
  const std::vector<Paper>& pool = cache.pools.at(pool_key);

  // Cold start: seeds from follows and the query stand in for the positives.
  std::unordered_set<std::string> seed_set;
  if (positives.empty()) {
    std::vector<Paper> seeds;
    auto add_seed = [&](Paper p) {
      if (seed_set.insert(p.id).second) seeds.push_back(std::move(p));
    };
    PB_ASSIGN_OR_RETURN(auto follows, store.follows(user));
    for (const auto& f : follows) {
      if (f.kind == FollowKind::kAuthor) {
        PB_ASSIGN_OR_RETURN(auto papers, author_seeds(store, snapshot, f.value,
                                                      options.seeds_per_follow, analyzer));
        for (auto& p : papers) add_seed(std::move(p));
      } else {
        size_t taken = 0;
        for (const auto& p : pool) {
          if (taken >= options.seeds_per_follow) break;
          if (std::find(p.categories.begin(), p.categories.end(), f.value) == p.categories.end())
            continue;
          add_seed(p);
          ++taken;
        }
      }
    }
    if (!options.query.empty()) {
      SearchRequest req;
      req.query = options.query;
      req.k = options.seeds_per_follow;
      req.snippets = false;
      PB_ASSIGN_OR_RETURN(auto res, search(store, snapshot, req, analyzer));
      for (auto& it : res.items) add_seed(std::move(it.paper));
    }
    if (seeds.empty()) {
      out.notes.push_back(
          "nothing to learn from yet: save or upvote papers, follow authors or categories, or "
          "give a query");
      return out;
    }
    positives = std::move(seeds);
    out.basis = "cold-start";
  } else {
    out.basis = "library";
  }

  TfIdfFeaturizer& features = cache.features;
  std::vector<rank::SparseVector> pos_vecs;
  pos_vecs.reserve(positives.size());
  for (const auto& p : positives) pos_vecs.push_back(cache.vector_of(p));
  // Candidates: the pool without what the user already has (seeds stay: a followed author's
  // new paper is a good recommendation).
  std::vector<size_t> candidates;
  std::vector<rank::SparseVector> pool_vecs(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    if (liked_set.count(pool[i].id) || dismissed_set.count(pool[i].id)) continue;
    pool_vecs[i] = cache.vector_of(pool[i]);
    candidates.push_back(i);
  }
  // Negatives: a seeded sample of the candidates that are not seeds.
  std::vector<size_t> neg_idx;
  for (size_t i : candidates)
    if (!seed_set.count(pool[i].id)) neg_idx.push_back(i);
  std::mt19937_64 rng(options.svm.seed);
  for (size_t i = neg_idx.size(); i > 1; --i) std::swap(neg_idx[i - 1], neg_idx[rng() % i]);
  if (neg_idx.size() > options.negatives) neg_idx.resize(options.negatives);
  std::vector<rank::SparseVector> neg_vecs;
  neg_vecs.reserve(dismissed.size() + neg_idx.size());
  for (const auto& p : dismissed) neg_vecs.push_back(cache.vector_of(p));
  for (size_t i : neg_idx) neg_vecs.push_back(pool_vecs[i]);

  const auto t0 = std::chrono::steady_clock::now();
  rank::LinearModel model = rank::train_linear_svm(pos_vecs, neg_vecs, options.svm);
  out.train_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  out.positives = pos_vecs.size();
  out.negatives = neg_vecs.size();
  out.candidates = candidates.size();
  if (neg_vecs.empty()) {
    // No other papers to contrast with: rank by similarity to the positives' centroid.
    model.weights = rank::centroid(pos_vecs);
    model.bias = 0;
    out.notes.push_back("no recent papers to contrast with: ranked by similarity");
  }

  std::vector<rank::SparseVector> cand_vecs;
  cand_vecs.reserve(candidates.size());
  for (size_t i : candidates) cand_vecs.push_back(std::move(pool_vecs[i]));
  const std::vector<double> scores = rank::score_all(model, cand_vecs);
  for (size_t c = 0; c < candidates.size(); ++c) pool_vecs[candidates[c]] = std::move(cand_vecs[c]);
  std::vector<std::pair<double, size_t>> scored;
  scored.reserve(candidates.size());
  for (size_t c = 0; c < candidates.size(); ++c) scored.push_back({scores[c], candidates[c]});
  const size_t k = std::min(options.k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(),
                    [&](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first
                                                : pool[a.second].id < pool[b.second].id;
                    });
  for (size_t r = 0; r < k; ++r) {
    const auto [score, i] = scored[r];
    Recommendation rec;
    rec.score = score;
    // Terms only: an embedding dimension explains nothing to a reader.
    for (const auto& f : rank::explain(model, pool_vecs[i], std::numeric_limits<size_t>::max()))
      if (f.id < kEmbeddingFeatureBase && rec.terms.size() < options.explain_terms) {
        rec.terms.push_back(features.term(f.id));
        rec.words.push_back(features.word(f.id).empty() ? features.term(f.id)
                                                        : features.word(f.id));
      }
    double best = -1;
    size_t best_j = 0;
    for (size_t j = 0; j < pos_vecs.size(); ++j) {
      if (positives[j].id == pool[i].id) continue;  // a seed is not its own reason
      const double s = rank::dot(pos_vecs[j], pool_vecs[i]);
      if (s > best) best = s, best_j = j;
    }
    if (best >= 0) {
      rec.nearest_id = positives[best_j].id;
      rec.nearest_title = text::tex_to_text(positives[best_j].title);
      rec.nearest_similarity = best;
    }
    rec.paper = pool[i];
    rec.title_text = text::tex_to_text(rec.paper.title);
    out.items.push_back(std::move(rec));
  }
  return out;
}

}  // namespace pb::engine
