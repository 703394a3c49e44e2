// Search latency by mode on the 102k-paper corpus, query embedding included: the user-facing
// path engine::search (parse, rank, fuse, load the papers from SQLite, make snippets), one
// thread, top 10, for lexical, semantic and hybrid search.
//
//   hybrid_bench --corpus arxiv.jsonl.gz --model DIR [--model DIR ...] [--queries 1000]
//
// Static models (model2vec layout) embed the corpus for real. For BERT-family models,
// embedding 102k papers would take about half an hour a model on one core, so their document
// vectors are a stand-in of the model's dimension (random projection of tf-idf, see
// projection_embedder.hpp) while queries go through the real model — latency depends on the
// dimension and the query's forward pass, not on the vectors' values.
// Prints a Markdown section (bench/semantic.sh appends it to bench/RESULTS.md). A benchmark,
// never a test.

#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "embed/embedder.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "ingest/ingester.hpp"
#include "projection_embedder.hpp"
#include "store/store.hpp"
#include "text/tex.hpp"

namespace fs = std::filesystem;
using namespace pb;

namespace {

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "hybrid_bench: %s\n", m.c_str());
  std::exit(1);
}

template <typename T>
T need(Result<T> r, const std::string& what) {
  if (!r.ok()) die(what + ": " + r.error().message());
  return std::move(r).value();
}

double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Documents from the projection stand-in, queries from the real model.
class StandIn : public embed::Embedder {
 public:
  StandIn(const embed::Embedder& real, bench::ProjectionEmbedder& proj)
      : real_(real), proj_(proj), id_(real.model_id() + "+stand-in-documents") {}
  Result<embed::Embeddings> embed(std::span<const std::string> texts, embed::Kind kind,
                                  const embed::EmbedOptions& o) const override {
    if (kind == embed::Kind::kQuery) return real_.embed(texts, kind, o);
    embed::Embeddings e;
    e.dim = real_.dim();
    for (const auto& t : texts) {
      auto v = proj_.embed(t);
      e.data.insert(e.data.end(), v.begin(), v.end());
    }
    return e;
  }
  size_t dim() const override { return real_.dim(); }
  const std::string& model_id() const override { return id_; }
  std::string describe() const override { return real_.describe(); }

 private:
  const embed::Embedder& real_;
  bench::ProjectionEmbedder& proj_;
  std::string id_;
};

struct Stats {
  double p50, p99, mean;
};

Stats stats(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  double sum = 0;
  for (double x : t) sum += x;
  return {t[t.size() / 2], t[t.size() * 99 / 100], sum / static_cast<double>(t.size())};
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus;
  std::vector<std::string> models;
  size_t n_queries = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--corpus")
      corpus = val();
    else if (a == "--model")
      models.push_back(val());
    else if (a == "--queries")
      n_queries = std::stoul(val());
    else
      die("unknown argument " + a);
  }
  if (corpus.empty() || models.empty()) die("--corpus and --model are required");

  const fs::path work = fs::temp_directory_path() / fmt::format("pb-hybrid-bench-{}", getpid());
  fs::create_directories(work);
  std::fprintf(stderr, "ingesting %s\n", corpus.c_str());
  auto store = need(open_sqlite_store({work / "data"}), "store");
  need(ingest::ingest_file(*store, corpus, {}), "ingest");
  auto index = need(lexical::LexicalIndex::open(work / "lexical"), "index");
  need(engine::refresh_index(*store, *index, {}), "index");
  auto snap = index->snapshot();

  // Titles as queries (fixed seed), and the corpus text for the projection stand-in.
  std::vector<std::string> titles;
  std::vector<std::string> texts;
  auto scanned = store->scan([&](const Paper& p) {
    titles.push_back(text::tex_to_text(p.title));
    texts.push_back(engine::embedding_text(p));
    return true;
  });
  if (!scanned.ok()) die(scanned.error().message());
  std::mt19937_64 rng(42);
  std::vector<std::string> queries;
  for (size_t i = 0; i < n_queries; ++i) queries.push_back(titles[rng() % titles.size()]);

  std::string md;
  auto line = [&](const std::string& s) { md += s + "\n"; };
  char date[64];
  std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  line(fmt::format("## Search latency by mode (query embedding included) — {}", date));
  line("");
  line(fmt::format(
      "{} papers; {} sampled paper titles as queries; top 10 through engine::search (parse, "
      "rank, fuse, papers loaded from SQLite, snippets); one thread; wall-clock ms after one "
      "warm-up pass. Hybrid: reciprocal rank fusion of 100 candidates from each side, HNSW "
      "beam 128.",
      titles.size(), queries.size()));
  line("");
  line("| model | document vectors | mode | p50 ms | p99 ms | mean ms |");
  line("|---|---|---|---:|---:|---:|");
  text::Analyzer analyzer;
  bool lexical_done = false;
  for (const auto& dir : models) {
    embed::LoadOptions lo;
    lo.precision = embed::Precision::kInt8;  // BERT: int8; static models ignore it
    auto model = need(embed::load_model(dir, lo), "model " + dir);
    const bool is_static = model->describe().rfind("model2vec", 0) == 0;
    std::fprintf(stderr, "embedding with %s\n", model->describe().c_str());
    bench::ProjectionEmbedder stand(static_cast<std::uint32_t>(model->dim()));
    if (!is_static)
      for (const auto& x : texts) stand.count_df(x);
    StandIn standin(*model, stand);
    const fs::path vdir = work / fmt::format("vectors-{}", fs::path(dir).filename().string());
    engine::EmbedRunOptions eo;
    eo.threads = 1;
    need(engine::embed_store(*store, vdir, is_static ? *model : standin, eo), "embed");
    auto set = need(engine::VectorSet::open_active(vdir), "vectors");
    engine::SemanticSource src{set.get(), model.get()};
    for (auto mode : {engine::SearchMode::kLexical, engine::SearchMode::kSemantic,
                      engine::SearchMode::kHybrid}) {
      if (mode == engine::SearchMode::kLexical && lexical_done) continue;
      engine::SearchRequest req;
      req.k = 10;
      req.mode = mode;
      req.hybrid.semantic_weight = 1.0;
      std::vector<double> ms;
      for (int pass = 0; pass < 2; ++pass) {
        ms.clear();
        for (const auto& q : queries) {
          req.query = q;
          double t0 = now_ms();
          auto r = engine::search(*store, *snap, req, analyzer, src);
          ms.push_back(now_ms() - t0);
          if (!r.ok()) die(r.error().message());
        }
      }
      Stats s = stats(ms);
      const char* mname = mode == engine::SearchMode::kLexical    ? "lexical"
                          : mode == engine::SearchMode::kSemantic ? "semantic"
                                                                  : "hybrid";
      line(fmt::format("| {} | {} | {} | {:.2f} | {:.2f} | {:.2f} |",
                       mode == engine::SearchMode::kLexical ? "–" : model->describe(),
                       mode == engine::SearchMode::kLexical ? "–"
                       : is_static                          ? "the model's"
                                                            : "stand-in (projection)",
                       mname, s.p50, s.p99, s.mean));
      std::fprintf(stderr, "  %s p50 %.2f p99 %.2f\n", mname, s.p50, s.p99);
      if (mode == engine::SearchMode::kLexical) lexical_done = true;
    }
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  std::fputs(md.c_str(), stdout);
  return 0;
}
