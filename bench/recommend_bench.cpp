// Offline evaluation of the recommender (rank/recommend.hpp) against two baselines on the
// shared arXiv corpus — same users, same candidates, same run.
//
//   recommend_bench --corpus arxiv.jsonl.gz [--users 200] [--pool 2000] [--negatives 1000]
//                   [--min-papers 5] [--max-papers 40] [--c 0.1] [--seed 1] [--out FILE.md]
//                   [--model DIR [--embedding-weight 0.5]]
//
// Simulated users: an author with between min and max papers in the corpus is a user whose
// interests are those papers. The author's latest paper is held out; the others are the
// user's saved papers. Candidates are the `pool` papers that were the latest on the held-out
// paper's announcement day (as `paperboy recommend` ranks the latest days), the held-out
// paper among them, the saved papers excluded. Each method ranks the candidates; recall@K is
// the share of users whose held-out paper is in the top K.
//   model:    the per-user linear SVM on TF-IDF (positives: the saved papers; negatives: a
//             seeded sample of the candidates, as the engine does), scored by decision value;
//   centroid: cosine between a candidate and the centroid of the saved papers;
//   recent:   newest first (announcement day, then id descending: arXiv numbers in order).
// With --model, two more methods use the model's embeddings of title and abstract: the SVM on
// TF-IDF plus the embedding scaled by --embedding-weight (as engine::recommend does with a
// vector set), and embedding centroid cosine.
// Features are built as engine::TfIdfFeaturizer builds them (title twice plus abstract, same
// analyzer, (1 + ln tf) ln(1 + N / df)), with df counted over the whole corpus instead of read
// from an index. Training time per user is measured alone (features prepared beforehand).

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dates.hpp"
#include "embed/embedder.hpp"
#include "ingest/reader.hpp"
#include "rank/recommend.hpp"
#include "text/analyzer.hpp"
#include "text/tex.hpp"

using namespace pb;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "recommend_bench: %s\n", message.c_str());
  std::exit(1);
}

struct Doc {
  std::string id;
  std::string day;
  std::vector<std::string> authors;
  std::vector<std::pair<std::uint32_t, float>> tf;  // term id, weighted count
  rank::SparseVector vec;
  rank::SparseVector with_emb;  // vec plus the scaled embedding (with --model)
  std::string text;             // title and abstract, for the embedder
};

constexpr std::uint32_t kEmbeddingBase = 1u << 30;  // feature ids of embedding dimensions

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus, out_path, model_dir;
  double emb_weight = 0.5;
  size_t users = 200, pool = 2000, negatives = 1000, min_papers = 5, max_papers = 40;
  std::uint64_t seed = 1;
  double c_param = 0.1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--corpus")
      corpus = val();
    else if (a == "--users")
      users = std::stoul(val());
    else if (a == "--pool")
      pool = std::stoul(val());
    else if (a == "--negatives")
      negatives = std::stoul(val());
    else if (a == "--min-papers")
      min_papers = std::stoul(val());
    else if (a == "--max-papers")
      max_papers = std::stoul(val());
    else if (a == "--seed")
      seed = std::stoull(val());
    else if (a == "--c")
      c_param = std::stod(val());
    else if (a == "--out")
      out_path = val();
    else if (a == "--model")
      model_dir = val();
    else if (a == "--embedding-weight")
      emb_weight = std::stod(val());
    else
      die("unknown argument " + a);
  }
  if (corpus.empty()) die("--corpus is required");

  // 1. Corpus: analysed once.
  const auto t_load = Clock::now();
  auto reader = ingest::open_reader(corpus);
  if (!reader.ok()) die(reader.error().message());
  text::Analyzer analyzer;
  std::unordered_map<std::string, std::uint32_t> vocab;
  std::vector<std::uint32_t> df;
  std::unordered_map<std::string, size_t> slot;
  std::vector<Doc> docs;
  ingest::Record r;
  std::vector<text::Token> tokens;
  while (true) {
    auto more = (*reader)->next(r);
    if (!more.ok()) die(more.error().message());
    if (!*more) break;
    if (r.ignored || !r.paper.ok()) continue;
    const Paper& p = *r.paper;
    std::string day = !p.announced.empty() ? p.announced : dates::day_of(p.submitted);
    if (day.empty()) continue;
    Doc d;
    d.id = p.id;
    d.day = day;
    d.authors = p.authors;
    std::unordered_map<std::uint32_t, float> tf;
    auto count = [&](const std::string& raw, float weight) {
      tokens.clear();
      analyzer.analyze(text::tex_to_text(raw), tokens);
      for (const auto& t : tokens) {
        if (t.stopword || t.joined || t.term.size() < 2) continue;
        auto [it, fresh] = vocab.try_emplace(t.term, static_cast<std::uint32_t>(vocab.size()));
        if (fresh) df.push_back(0);
        tf[it->second] += weight;
      }
    };
    count(p.title, 2.0f);
    count(p.abstract, 1.0f);
    if (!model_dir.empty())
      d.text = text::tex_to_text(p.title) + "\n\n" + text::tex_to_text(p.abstract);
    d.tf.assign(tf.begin(), tf.end());
    auto [it, fresh] = slot.emplace(d.id, docs.size());
    if (fresh)
      docs.push_back(std::move(d));
    else
      docs[it->second] = std::move(d);
  }
  for (const auto& d : docs)
    for (const auto& [t, f] : d.tf) ++df[t];
  const double n = static_cast<double>(docs.size());
  for (auto& d : docs) {
    for (const auto& [t, f] : d.tf)
      d.vec.push_back({t, static_cast<float>((1.0 + std::log(f)) * std::log(1.0 + n / df[t]))});
    rank::normalise(d.vec);
    d.tf.clear();
    d.tf.shrink_to_fit();
  }
  if (!model_dir.empty()) {
    auto model = embed::load_model(model_dir);
    if (!model.ok()) die(model.error().message());
    const auto t_emb = Clock::now();
    std::vector<std::string> texts;
    for (auto& d : docs) texts.push_back(std::move(d.text));
    auto e = (*model)->embed(texts, embed::Kind::kDocument, {.threads = 0});
    if (!e.ok()) die(e.error().message());
    for (size_t i = 0; i < docs.size(); ++i) {
      docs[i].with_emb = docs[i].vec;
      const auto row = e->row(i);
      for (size_t j = 0; j < row.size(); ++j)
        docs[i].with_emb.push_back({kEmbeddingBase + static_cast<std::uint32_t>(j),
                                    static_cast<float>(emb_weight * row[j])});
    }
    fmt::print("embedded with {} in {:.1f} s\n", (*model)->model_id(),
               std::chrono::duration<double>(Clock::now() - t_emb).count());
  }
  // Time order: day, then id (arXiv numbers are assigned in submission order).
  std::vector<size_t> by_time(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) by_time[i] = i;
  std::sort(by_time.begin(), by_time.end(), [&](size_t a, size_t b) {
    return docs[a].day != docs[b].day ? docs[a].day < docs[b].day : docs[a].id < docs[b].id;
  });
  std::vector<size_t> time_rank(docs.size());
  for (size_t i = 0; i < by_time.size(); ++i) time_rank[by_time[i]] = i;
  const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();
  fmt::print("{} papers, {} terms, analysed in {:.1f} s\n", docs.size(), vocab.size(), load_s);

  // 2. Users: authors with min..max papers, sampled with the seed.
  std::map<std::string, std::vector<size_t>> by_author;
  for (size_t i = 0; i < docs.size(); ++i)
    for (const auto& a : docs[i].authors) {
      auto& list = by_author[a];
      if (list.empty() || list.back() != i) list.push_back(i);  // a name listed twice
    }
  std::vector<const std::vector<size_t>*> eligible;
  for (const auto& [name, papers] : by_author)
    if (papers.size() >= min_papers && papers.size() <= max_papers) eligible.push_back(&papers);
  std::mt19937_64 rng(seed);
  for (size_t i = eligible.size(); i > 1; --i) std::swap(eligible[i - 1], eligible[rng() % i]);
  if (eligible.size() > users) eligible.resize(users);
  fmt::print("{} simulated users (authors with {}..{} papers)\n", eligible.size(), min_papers,
             max_papers);

  // 3. Rank.
  const std::vector<size_t> ks = {5, 20, 100};
  enum { kModel, kCentroid, kRecent, kModelEmb, kCentroidEmb, kMethods };
  const std::string emb_name =
      model_dir.empty() ? "" : std::filesystem::path(model_dir).filename().string();
  const std::string names[kMethods] = {
      "linear SVM (TF-IDF)", "centroid cosine", "most recent",
      fmt::format("linear SVM (TF-IDF + {} embedding x{})", emb_name, emb_weight),
      fmt::format("embedding centroid cosine ({})", emb_name)};
  const int methods = model_dir.empty() ? kRecent + 1 : kMethods;
  std::vector<std::vector<size_t>> hits(kMethods, std::vector<size_t>(ks.size(), 0));
  std::vector<double> train_ms, rank_ms, epochs, mrr(kMethods, 0);
  std::vector<size_t> n_pos;
  for (const auto* papers : eligible) {
    std::vector<size_t> ps = *papers;
    std::sort(ps.begin(), ps.end(),
              [&](size_t a, size_t b) { return time_rank[a] < time_rank[b]; });
    const size_t held = ps.back();
    ps.pop_back();
    // The pool: the `pool` latest papers as of the end of the held-out paper's day.
    size_t end = time_rank[held];
    while (end + 1 < by_time.size() && docs[by_time[end + 1]].day == docs[held].day) ++end;
    const size_t begin = end + 1 > pool ? end + 1 - pool : 0;
    std::vector<char> is_pos(0);
    std::vector<size_t> cands;
    for (size_t r2 = begin; r2 <= end; ++r2) {
      size_t i = by_time[r2];
      if (std::find(ps.begin(), ps.end(), i) != ps.end()) continue;
      cands.push_back(i);
    }
    std::vector<rank::SparseVector> pos;
    for (size_t i : ps) pos.push_back(docs[i].vec);
    n_pos.push_back(pos.size());
    std::vector<size_t> neg_idx = cands;
    std::mt19937_64 nrng(seed);
    for (size_t i = neg_idx.size(); i > 1; --i) std::swap(neg_idx[i - 1], neg_idx[nrng() % i]);
    if (neg_idx.size() > negatives) neg_idx.resize(negatives);
    std::vector<rank::SparseVector> neg;
    for (size_t i : neg_idx) neg.push_back(docs[i].vec);

    const auto t0 = Clock::now();
    rank::SvmOptions so;
    so.seed = seed;
    so.c = c_param;
    auto model = rank::train_linear_svm(pos, neg, so);
    const auto t1 = Clock::now();
    std::vector<rank::SparseVector> cand_vecs;
    cand_vecs.reserve(cands.size());
    for (size_t c : cands) cand_vecs.push_back(docs[c].vec);
    const auto t1b = Clock::now();
    std::vector<double> model_score = rank::score_all(model, cand_vecs);
    const auto t2 = Clock::now();
    train_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    rank_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1b).count());
    epochs.push_back(model.epochs);
    auto cent = rank::centroid(pos);
    std::vector<double> emb_score;
    rank::SparseVector emb_cent;
    if (methods == kMethods) {
      std::vector<rank::SparseVector> pos_e, neg_e, cand_e;
      for (size_t i : ps) pos_e.push_back(docs[i].with_emb);
      for (size_t i : neg_idx) neg_e.push_back(docs[i].with_emb);
      for (size_t c : cands) cand_e.push_back(docs[c].with_emb);
      emb_score = rank::score_all(rank::train_linear_svm(pos_e, neg_e, so), cand_e);
      for (auto& v : pos_e) {
        std::erase_if(v, [](const rank::Feature& f) { return f.id < kEmbeddingBase; });
      }
      emb_cent = rank::centroid(pos_e);
    }

    for (int m = 0; m < methods; ++m) {
      auto score = [&](size_t c) -> double {
        if (m == kModel) return model_score[c];
        if (m == kCentroid) return rank::dot(cent, docs[cands[c]].vec);
        if (m == kModelEmb) return emb_score[c];
        if (m == kCentroidEmb) return rank::dot(emb_cent, docs[cands[c]].with_emb);
        return static_cast<double>(time_rank[cands[c]]);
      };
      // Rank of the held-out paper: 1 + candidates scoring higher (ties: by id, as the engine).
      size_t hc = 0;
      while (cands[hc] != held) ++hc;
      const double hs = score(hc);
      size_t rank = 1;
      for (size_t c = 0; c < cands.size(); ++c) {
        if (c == hc) continue;
        const double s = score(c);
        if (s > hs || (s == hs && docs[cands[c]].id < docs[held].id)) ++rank;
      }
      for (size_t k = 0; k < ks.size(); ++k)
        if (rank <= ks[k]) ++hits[m][k];
      mrr[m] += 1.0 / static_cast<double>(rank);
    }
  }

  const double u = static_cast<double>(eligible.size());
  std::vector<double> pos_d(n_pos.begin(), n_pos.end());
  char when[32];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d", std::gmtime(&now));
  std::string md = fmt::format(
      "## Recommender: recall of a held-out paper ({})\n\n"
      "{} simulated users from `{}` ({} papers): authors with {}..{} papers; the latest paper "
      "held out, the others saved (median {} saved); candidates: the {} latest papers as of the "
      "held-out paper's day; {} sampled negatives; SVM C = {}; seed {}.\n\n"
      "| method | recall@5 | recall@20 | recall@100 | MRR |\n|---|---:|---:|---:|---:|\n",
      when, eligible.size(), corpus, docs.size(), min_papers, max_papers, pct(pos_d, 0.5), pool,
      negatives, c_param, seed);
  for (int m = 0; m < methods; ++m)
    md += fmt::format("| {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n", names[m], hits[m][0] / u,
                      hits[m][1] / u, hits[m][2] / u, mrr[m] / u);
  md += fmt::format(
      "\nTraining one user's model: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms (median {} "
      "passes); scoring {} candidates: p50 {:.2f} ms (one thread).\n",
      pct(train_ms, 0.5), pct(train_ms, 0.99), pct(train_ms, 1.0), pct(epochs, 0.5), pool,
      pct(rank_ms, 0.5));
  fmt::print("\n{}", md);
  if (!out_path.empty()) std::ofstream(out_path) << md;
  return 0;
}
