// Vector index benchmark: paperboy's HNSW (int8 codes, exact re-ranking) raced against
// hnswlib 0.6 and faiss 1.7 (IndexHNSWFlat, IndexHNSWSQ 8-bit) on the same vectors, one
// thread, same run.
//
//   vector_bench --corpus arxiv.jsonl.gz [--model DIR] [--dim 384] [--queries 1000] [--m 16]
//                [--efc 200] [--limit N] [--no-faiss] [--faiss-sq] [--out FILE]
//
// Vectors: with --model, the 102k real papers (title + abstract) and 1,000 sampled titles as
// queries embedded by that model (e.g. the GloVe static model of scripts/fetch-glove: real
// pretrained embeddings). Without it, a stand-in at any dimension: random projection of the
// papers' tf-idf vectors (projection_embedder.hpp), which keeps the corpus' neighbourhood
// structure but has a much higher intrinsic dimension than learned embeddings — a hard case
// for every graph index.
// Ground truth: exact float top 10 by dot product.
//
// Measures per engine: build time, bytes per vector (index memory / vectors), and for a sweep
// of search beam widths (ef) recall@10 and queries per second; then the QPS at the smallest
// ef reaching recall@10 >= 0.95. Also exact search QPS (float32 and int8). Prints a Markdown
// section (bench/semantic.sh appends it to bench/RESULTS.md). A benchmark, never a test.
//
// Fairness: this file is compiled with -march=native so that hnswlib's header-only distance
// code uses the CPU's SIMD (it selects AVX/AVX-512 at compile time); paperboy's own kernels
// are compiled for baseline x86-64 and pick AVX2 at run time; faiss is Debian's build.

#include <faiss/IndexHNSW.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/index_io.h>
#include <hnswlib/hnswlib.h>
#include <omp.h>
#include <sys/resource.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/hash.hpp"
#include "embed/embedder.hpp"
#include "engine/lexical_search.hpp"
#include "index/vector/exact.hpp"
#include "index/vector/hnsw.hpp"
#include "index/vector/kernels.hpp"
#include "index/vector/vector_store.hpp"
#include "ingest/reader.hpp"
#include "projection_embedder.hpp"
#include "text/analyzer.hpp"

namespace fs = std::filesystem;
using namespace pb;
// Time is the benchmark thread's CPU time, so that other load on a shared machine does not
// count against any engine (every engine runs on this one thread).
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

namespace {

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "vector_bench: %s\n", m.c_str());
  std::exit(1);
}

double seconds_since(double t) { return Clock::now() - t; }

struct Options {
  std::string corpus;
  std::uint32_t dim = 384;
  size_t queries = 1000;
  std::uint32_t m = 16;
  std::uint32_t efc = 200;
  std::string out;
  size_t limit = 0;  // papers (0: all)
  bool faiss = true;
  bool faiss_sq = false;
  std::string model;  // embed with this model directory instead of the projection stand-in  //
                      // IndexHNSWSQ: builds very slowly with Debian's faiss (opt-in)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--corpus")
      o.corpus = val();
    else if (a == "--dim")
      o.dim = static_cast<std::uint32_t>(std::stoul(val()));
    else if (a == "--queries")
      o.queries = std::stoul(val());
    else if (a == "--m")
      o.m = static_cast<std::uint32_t>(std::stoul(val()));
    else if (a == "--efc")
      o.efc = static_cast<std::uint32_t>(std::stoul(val()));
    else if (a == "--out")
      o.out = val();
    else if (a == "--limit")
      o.limit = std::stoul(val());
    else if (a == "--no-faiss")
      o.faiss = false;
    else if (a == "--faiss-sq")
      o.faiss_sq = true;
    else if (a == "--model")
      o.model = val();
    else
      die("unknown argument " + a);
  }
  if (o.corpus.empty()) die("--corpus is required");
  return o;
}

struct Point {
  size_t ef;
  double recall, qps;
};

struct EngineResult {
  std::string name;
  double build_s = 0;
  double bytes_per_vector = 0;
  std::vector<Point> sweep;
};

double recall10(const std::vector<std::uint32_t>& got, const std::vector<std::uint32_t>& truth) {
  size_t hit = 0;
  for (auto g : got) hit += std::count(truth.begin(), truth.end(), g);
  return static_cast<double>(hit) / static_cast<double>(truth.size());
}

const std::vector<size_t> kEfs = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};

// Runs every query at each ef (one untimed warm-up pass over the queries first).
template <typename Search>
std::vector<Point> sweep(const std::vector<std::vector<float>>& queries,
                         const std::vector<std::vector<std::uint32_t>>& truth, Search search) {
  std::vector<Point> out;
  for (size_t ef : kEfs) {
    for (size_t q = 0; q < std::min<size_t>(queries.size(), 100); ++q) search(queries[q], ef);
    double rec = 0;
    auto t0 = Clock::now();
    for (size_t q = 0; q < queries.size(); ++q) rec += recall10(search(queries[q], ef), truth[q]);
    double s = seconds_since(t0);
    out.push_back(
        {ef, rec / static_cast<double>(queries.size()), static_cast<double>(queries.size()) / s});
    std::fprintf(stderr, "  ef %4zu recall %.4f qps %.0f\n", ef, out.back().recall, out.back().qps);
  }
  return out;
}

// QPS at exactly `target` recall, interpolated linearly between the two sweep points around
// it (0 when the sweep never reaches it).
double qps_at(const EngineResult& e, double target) {
  for (size_t i = 0; i < e.sweep.size(); ++i) {
    if (e.sweep[i].recall < target) continue;
    if (i == 0) return e.sweep[0].qps;
    const Point& a = e.sweep[i - 1];
    const Point& b = e.sweep[i];
    const double f = (target - a.recall) / (b.recall - a.recall);
    return a.qps + f * (b.qps - a.qps);
  }
  return 0;
}

const Point* first_reaching(const EngineResult& e, double target) {
  for (const auto& p : e.sweep)
    if (p.recall >= target) return &p;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  omp_set_num_threads(1);
  std::fprintf(stderr, "loading %s\n", o.corpus.c_str());
  std::vector<std::string> texts, titles;
  {
    auto reader = ingest::open_reader(o.corpus);
    if (!reader.ok()) die(reader.error().message());
    std::unordered_map<std::string, size_t> slot;
    ingest::Record r;
    while (true) {
      auto more = (*reader)->next(r);
      if (!more.ok()) die(more.error().message());
      if (!*more) break;
      if (r.ignored || !r.paper.ok()) continue;
      if (o.limit && texts.size() >= o.limit) break;
      auto d = engine::to_index_doc(*r.paper);
      auto [it, fresh] = slot.emplace(d.id, texts.size());
      if (fresh) {
        texts.push_back(d.title + "\n" + d.abstract);
        titles.push_back(d.title);
      } else {
        texts[it->second] = d.title + "\n" + d.abstract;
        titles[it->second] = d.title;
      }
    }
  }
  const size_t n = texts.size();
  std::fprintf(stderr, "embedding %zu papers (dim %u)\n", n, o.dim);
  auto t_embed = Clock::now();
  std::vector<std::vector<float>> vecs;
  std::vector<std::vector<float>> queries;
  std::mt19937_64 rng(42);
  std::string source;
  if (!o.model.empty()) {
    // A real model's vectors: documents and title queries embedded by it.
    auto model = embed::load_model(o.model);
    if (!model.ok()) die(model.error().message());
    o.dim = static_cast<std::uint32_t>((*model)->dim());
    source = "embedded by " + (*model)->describe();
    auto take = [&](const std::vector<std::string>& in, embed::Kind kind) {
      auto e = (*model)->embed(in, kind);
      if (!e.ok()) die(e.error().message());
      std::vector<std::vector<float>> out;
      for (size_t i = 0; i < e->size(); ++i) {
        std::vector<float> v(e->row(i).begin(), e->row(i).end());
        if (!vector::normalize(v)) v.assign(o.dim, 0.0f), v[0] = 1.0f;  // no known token
        out.push_back(std::move(v));
      }
      return out;
    };
    vecs = take(texts, embed::Kind::kDocument);
    std::vector<std::string> qtexts;
    for (size_t i = 0; i < o.queries; ++i) qtexts.push_back(titles[rng() % n]);
    queries = take(qtexts, embed::Kind::kQuery);
  } else {
    source = fmt::format("embedded by random projection of tf-idf to {} dimensions", o.dim);
    bench::ProjectionEmbedder emb(o.dim);
    for (const auto& t : texts) emb.count_df(t);
    vecs.reserve(n);
    for (const auto& t : texts) vecs.push_back(emb.embed(t));
    for (size_t i = 0; i < o.queries; ++i) queries.push_back(emb.embed(titles[rng() % n]));
  }
  const double embed_s = seconds_since(t_embed);

  // The vector store and exact ground truth.
  fs::path dir = fs::temp_directory_path() / fmt::format("pb-vector-bench-{}", ::getpid());
  fs::create_directories(dir);
  auto store_r = vector::VectorStore::create(dir / "v.pbv", o.dim, "rp-tfidf");
  if (!store_r.ok()) die(store_r.error().message());
  auto& store = **store_r;
  {
    std::vector<std::string> ids;
    std::vector<float> flat;
    for (size_t i = 0; i < n; ++i) {
      ids.push_back(std::to_string(i));
      flat.insert(flat.end(), vecs[i].begin(), vecs[i].end());
    }
    auto st = store.append(ids, flat);
    if (!st.ok()) die(st.error().message());
  }
  std::fprintf(stderr, "exact ground truth\n");
  std::vector<std::vector<std::uint32_t>> truth;
  auto t_exact = Clock::now();
  for (const auto& q : queries) {
    std::vector<std::uint32_t> t;
    for (const auto& nb : vector::exact_search(store, q, 10)) t.push_back(nb.row);
    truth.push_back(std::move(t));
  }
  const double exact_qps = static_cast<double>(queries.size()) / seconds_since(t_exact);
  vector::QuantizedMatrix qm;
  qm.dim = o.dim;
  for (const auto& v : vecs) qm.add(v);
  double exact_i8_recall = 0;
  auto t_exact8 = Clock::now();
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<std::uint32_t> g;
    for (const auto& nb : vector::exact_search_i8(qm, queries[q], 10)) g.push_back(nb.row);
    exact_i8_recall += recall10(g, truth[q]);
  }
  const double exact8_qps = static_cast<double>(queries.size()) / seconds_since(t_exact8);
  exact_i8_recall /= static_cast<double>(queries.size());

  std::vector<EngineResult> results;
  {
    std::fprintf(stderr, "paperboy HNSW (int8, M %u, efC %u)\n", o.m, o.efc);
    EngineResult e{"paperboy HNSW (int8 graph + float re-rank)", 0, 0, {}};
    vector::Hnsw g(o.dim, {o.m, o.efc, 100});
    g.set_exact_vectors([&](std::uint32_t i) { return vecs[i].data(); });
    auto t0 = Clock::now();
    for (const auto& v : vecs) g.add(v);
    e.build_s = seconds_since(t0);
    e.bytes_per_vector = static_cast<double>(g.memory_bytes()) / static_cast<double>(n);
    e.sweep = sweep(queries, truth, [&](const std::vector<float>& q, size_t ef) {
      // The 64 best by the codes are re-ranked (recall as with the whole beam).
      auto cand = g.search(q, std::min<size_t>(ef, 64), ef);
      std::vector<std::uint32_t> out;
      for (const auto& nb : vector::rerank(store, q, cand, 10)) out.push_back(nb.row);
      return out;
    });
    results.push_back(std::move(e));
    EngineResult e2{"paperboy HNSW (int8 graph, no re-rank)", 0, 0, {}};
    e2.build_s = results.back().build_s;
    e2.bytes_per_vector = results.back().bytes_per_vector;
    e2.sweep = sweep(queries, truth, [&](const std::vector<float>& q, size_t ef) {
      std::vector<std::uint32_t> out;
      for (const auto& nb : g.search(q, 10, ef)) out.push_back(nb.row);
      return out;
    });
    results.push_back(std::move(e2));
  }
  {
    std::fprintf(stderr, "hnswlib\n");
    EngineResult e{"hnswlib 0.6.2 (float32)", 0, 0, {}};
    hnswlib::InnerProductSpace space(o.dim);
    hnswlib::HierarchicalNSW<float> h(&space, n, o.m, o.efc, 100);
    auto t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) h.addPoint(vecs[i].data(), i);
    e.build_s = seconds_since(t0);
    // Level-0 block per element (links, vector, label) plus upper-layer link lists.
    double bytes = static_cast<double>(h.size_data_per_element_) * static_cast<double>(n);
    for (size_t i = 0; i < n; ++i)
      bytes += static_cast<double>(h.element_levels_[i]) *
                   static_cast<double>(h.size_links_per_element_) +
               sizeof(void*) + sizeof(int);
    e.bytes_per_vector = bytes / static_cast<double>(n);
    e.sweep = sweep(queries, truth, [&](const std::vector<float>& q, size_t ef) {
      h.setEf(ef);
      auto r = h.searchKnn(q.data(), 10);
      std::vector<std::uint32_t> out;
      for (; !r.empty(); r.pop()) out.push_back(static_cast<std::uint32_t>(r.top().second));
      return out;
    });
    results.push_back(std::move(e));
  }
  auto run_faiss = [&](faiss::IndexHNSW& idx, const std::string& name) {
    std::fprintf(stderr, "%s\n", name.c_str());
    EngineResult e{name, 0, 0, {}};
    idx.hnsw.efConstruction = static_cast<int>(o.efc);
    std::vector<float> flat;
    for (const auto& v : vecs) flat.insert(flat.end(), v.begin(), v.end());
    auto t0 = Clock::now();
    if (!idx.is_trained) idx.train(static_cast<faiss::Index::idx_t>(n), flat.data());
    idx.add(static_cast<faiss::Index::idx_t>(n), flat.data());
    e.build_s = seconds_since(t0);
    faiss::write_index(&idx, (dir / "faiss.index").c_str());
    e.bytes_per_vector =
        static_cast<double>(fs::file_size(dir / "faiss.index")) / static_cast<double>(n);
    e.sweep = sweep(queries, truth, [&](const std::vector<float>& q, size_t ef) {
      idx.hnsw.efSearch = static_cast<int>(ef);
      std::vector<float> dist(10);
      std::vector<faiss::Index::idx_t> lab(10);
      idx.search(1, q.data(), 10, dist.data(), lab.data());
      std::vector<std::uint32_t> out;
      for (auto l : lab)
        if (l >= 0) out.push_back(static_cast<std::uint32_t>(l));
      return out;
    });
    results.push_back(std::move(e));
  };
  if (o.faiss) {
    faiss::IndexHNSWFlat idx(static_cast<int>(o.dim), static_cast<int>(o.m),
                             faiss::METRIC_INNER_PRODUCT);
    run_faiss(idx, "faiss 1.7.3 IndexHNSWFlat (float32)");
  }
  if (o.faiss && o.faiss_sq) {
    faiss::IndexHNSWSQ idx(static_cast<int>(o.dim), faiss::ScalarQuantizer::QT_8bit,
                           static_cast<int>(o.m), faiss::METRIC_INNER_PRODUCT);
    run_faiss(idx, "faiss 1.7.3 IndexHNSWSQ (8-bit)");
  }
  fs::remove_all(dir);

  // Report.
  std::string md;
  auto line = [&](const std::string& s) { md += s + "\n"; };
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  line(fmt::format("## Vector index: paperboy HNSW vs hnswlib vs faiss — {}", date));
  line("");
  line(fmt::format(
      "{} papers from {}, {} ({} dimensions, {:.1f} s); "
      "{} title queries; recall@10 against exact float search; one thread. M = {}, "
      "efConstruction = {} for every engine. paperboy kernels: {}. Times are the thread's CPU "
      "time.",
      n, o.corpus, source, o.dim, embed_s, queries.size(), o.m, o.efc, vector::kernel_name()));
  line("");
  line(fmt::format("Exact search: float32 {:.0f} QPS; int8 {:.0f} QPS (recall@10 {:.4f}).",
                   exact_qps, exact8_qps, exact_i8_recall));
  line("");
  line(
      "| engine | build s | bytes/vector | first ef with recall@10 ≥ 0.95 | its recall@10 | its "
      "QPS | QPS at recall@10 = 0.95 (interpolated) |");
  line("|---|---:|---:|---:|---:|---:|---:|");
  for (const auto& e : results) {
    const Point* p = first_reaching(e, 0.95);
    if (p)
      line(fmt::format("| {} | {:.1f} | {:.0f} | {} | {:.4f} | {:.0f} | {:.0f} |", e.name,
                       e.build_s, e.bytes_per_vector, p->ef, p->recall, p->qps, qps_at(e, 0.95)));
    else
      line(fmt::format("| {} | {:.1f} | {:.0f} | not reached (best {:.4f}) | – | – | – |", e.name,
                       e.build_s, e.bytes_per_vector, e.sweep.back().recall));
  }
  line("");
  line("Recall@10 / QPS by ef:");
  line("");
  std::string head = "| engine |", sep = "|---|";
  for (size_t ef : kEfs) {
    head += fmt::format(" ef {} |", ef);
    sep += "---:|";
  }
  line(head);
  line(sep);
  for (const auto& e : results) {
    std::string row = "| " + e.name + " |";
    for (const auto& p : e.sweep) row += fmt::format(" {:.3f} / {:.0f} |", p.recall, p.qps);
    line(row);
  }
  std::fputs(md.c_str(), stdout);
  if (!o.out.empty()) {
    std::FILE* f = std::fopen(o.out.c_str(), "w");
    if (!f) die("cannot write " + o.out);
    std::fputs(md.c_str(), f);
    std::fclose(f);
  }
  return 0;
}
