#pragma once
// Personal recommendations: a per-user linear model (rank/recommend.hpp) over TF-IDF vectors
// of titles and abstracts, retrained on each request (a few milliseconds).
//
// Positives are the papers the user saved (the library) or upvoted. Negatives are the papers
// they marked "not interested" and a seeded sample of the candidate pool, as arxiv-sanity
// uses every other paper: most of them are not interesting to the user, and the model's
// regularisation tolerates the few that are. Candidates are the papers of the latest
// `candidate_days` announcement days, positives and dismissed papers excluded. Each
// recommendation says why: the terms that contributed most to its score and the saved paper
// nearest to it (cosine of the TF-IDF vectors).
//
// Cold start (no positives): the papers of followed authors (an `au:"name"` search, newest
// first), of followed categories (their recent announcement days) and of `query` (a search)
// become the positives ("seeds"); seeds are not excluded from the candidates, so a followed
// author's new paper can be recommended.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/paper.hpp"
#include "core/result.hpp"
#include "index/lexical/index.hpp"
#include "rank/recommend.hpp"
#include "store/store.hpp"
#include "text/analyzer.hpp"

namespace pb::engine {

class VectorSet;  // engine/vectors.hpp

// Embedding features are numbered from here (TF-IDF term ids are dense from 0).
inline constexpr std::uint32_t kEmbeddingFeatureBase = 1u << 28;

struct RecommendOptions {
  size_t k = 10;
  size_t candidate_days = 7;  // latest announcement days that form the candidate pool
  // Candidates come from announcement days in [first_day, last_day] only ("" = unbounded;
  // last_day "" is the latest day), at most candidate_days of them.
  std::string first_day;
  std::string last_day;
  size_t max_candidates = 20000;  // stop adding days beyond this many papers
  size_t negatives = 1000;        // sampled from the candidates
  size_t explain_terms = 5;       // terms per explanation
  size_t seeds_per_follow = 50;   // cold start: papers taken per followed author / query
  std::string query;              // cold start: also seed from this search
  rank::SvmOptions svm;           // c, seed, ...
  // Embedding features: with a vector set, each paper's unit vector scaled by this weight is
  // appended to its TF-IDF vector (papers without a vector get none). 0 = TF-IDF only.
  const VectorSet* vectors = nullptr;
  double embedding_weight = 0.5;
};

struct Recommendation {
  Paper paper;
  std::string title_text;
  double score = 0;
  std::vector<std::string> terms;  // top contributing terms (stemmed, as indexed)
  std::vector<std::string> words;  // the same terms as first written in the papers (for people)
  std::string nearest_id;          // the nearest positive (saved, upvoted or seed) paper
  std::string nearest_title;
  double nearest_similarity = 0;
};

struct Recommendations {
  std::vector<Recommendation> items;
  // "library" (saved or upvoted papers), "cold-start" (follows / query) or "none".
  std::string basis = "none";
  size_t positives = 0;
  size_t negatives = 0;
  size_t candidates = 0;
  double train_ms = 0;
  std::vector<std::string> notes;
};

// Turns papers into L2-normalised TF-IDF vectors: terms of the title (counted twice) and the
// abstract, analysed as the index does (stopwords, joined compound forms and one-letter terms
// dropped), weighted (1 + ln tf) * ln(1 + N / df) with df and N from the index snapshot.
// Term ids are numbered by this object. Not thread-safe.
class TfIdfFeaturizer {
 public:
  TfIdfFeaturizer(const lexical::IndexSnapshot& snapshot, text::Analyzer& analyzer)
      : snapshot_(snapshot), analyzer_(analyzer) {}
  rank::SparseVector vectorize(const Paper& paper);
  const std::string& term(std::uint32_t id) const { return terms_[id]; }
  // The term as first seen in a vectorized text, lower-cased ("diffusion" for "diffus").
  const std::string& word(std::uint32_t id) const { return words_[id]; }

 private:
  std::uint32_t id_of(const std::string& term);
  const lexical::IndexSnapshot& snapshot_;
  text::Analyzer& analyzer_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::string> terms_;
  std::vector<std::string> words_;
  std::vector<double> idf_;
};

// What recommend() can reuse across users over one index snapshot: the candidate pools (by
// their days) and every paper's TF-IDF vector. A digest run recommends for many users over
// the same days; with a cache each pool is read and analysed once. Not thread-safe; the
// snapshot and analyzer must outlive it.
class RecommendCache {
 public:
  RecommendCache(const lexical::IndexSnapshot& snapshot, text::Analyzer& analyzer,
                 const VectorSet* embeddings = nullptr, double embedding_weight = 0)
      : features(snapshot, analyzer),
        embeddings_(embeddings),
        embedding_weight_(embedding_weight) {}
  // TF-IDF plus, with vectors, the paper's embedding (kEmbeddingFeatureBase + dimension).
  const rank::SparseVector& vector_of(const Paper& p);

  TfIdfFeaturizer features;
  std::unordered_map<std::string, std::vector<Paper>> pools;          // by day range and limits
  std::unordered_map<std::string, rank::SparseVector> paper_vectors;  // by paper id

 private:
  const VectorSet* embeddings_;
  double embedding_weight_;
};

// NotFound when `user` does not exist. `cache` (optional) must have been made for `snapshot`
// and the options' vectors and embedding weight.
Result<Recommendations> recommend(Store& store, const lexical::IndexSnapshot& snapshot, UserId user,
                                  const RecommendOptions& options, text::Analyzer& analyzer,
                                  RecommendCache* cache = nullptr);

}  // namespace pb::engine
