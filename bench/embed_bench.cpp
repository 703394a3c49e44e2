// Embedding throughput: papers per second per core for the static (model2vec) backend and for
// a 6-layer 384-d BERT (all-MiniLM-L6-v2's shape: 12 heads, FFN 1536, 512 positions) in fp32
// and int8, on real arXiv titles + abstracts.
//
//   embed_bench --corpus arxiv_combined.jsonl.gz [--papers N] [--bert-papers N]
//               [--threads T] [--model DIR ...] [--keep DIR]
//
// No real weights can be downloaded here, so the models are written with random weights in
// the right shapes (speed does not depend on the values). Their WordPiece vocabulary is built
// from the corpus (the 30k most frequent lower-cased words plus characters and common
// suffixes as "##" pieces), so token counts resemble those of BERT's uncased vocabulary; the
// mean tokens per paper is printed. --model DIR also times real model directories.
// One thread unless --threads; each backend is warmed up on a few papers first.
// A benchmark, never a test.

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "../tests/model_util.hpp"
#include "embed/embedder.hpp"
#include "embed/tokenizer.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using pb::embed::Embedder;
using pb::embed::Kind;

namespace {

std::vector<std::string> read_papers(const std::string& path, std::size_t n) {
  std::vector<std::string> out;
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return out;
  std::string line;
  char buf[1 << 16];
  while (out.size() < n) {
    line.clear();
    bool got = false;
    while (gzgets(gz, buf, sizeof buf)) {
      got = true;
      line += buf;
      if (!line.empty() && line.back() == '\n') break;
    }
    if (!got) break;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    std::string title = j.value("title", ""), abstract = j.value("abstract", "");
    if (abstract.empty()) continue;
    out.push_back(title + ". " + abstract);
  }
  gzclose(gz);
  return out;
}

void write_file(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

// Most frequent lower-cased words of the corpus plus single characters and suffixes.
std::vector<std::string> build_vocab(const std::vector<std::string>& papers, std::size_t size) {
  std::unordered_map<std::string, std::size_t> counts;
  for (const auto& p : papers) {
    std::string w;
    for (char ch : p + " ") {
      auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c)) {
        w.push_back(static_cast<char>(std::tolower(c)));
      } else if (!w.empty()) {
        ++counts[w];
        w.clear();
      }
    }
  }
  std::vector<std::pair<std::size_t, std::string>> sorted;
  for (auto& [w, c] : counts) sorted.emplace_back(c, w);
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int c = 33; c < 127; ++c) {
    vocab.emplace_back(1, static_cast<char>(c));
    if (std::isalnum(c)) vocab.push_back("##" + std::string(1, static_cast<char>(c)));
  }
  for (const char* s : {"s",  "es",  "ed",  "ing", "ly",   "er",   "ers",  "tion", "tions", "al",
                        "ic", "ity", "ive", "ize", "ized", "able", "ness", "ment", "ments", "ous"})
    vocab.push_back(std::string("##") + s);
  std::unordered_map<std::string, int> seen;
  for (const auto& v : vocab) seen[v] = 1;
  for (const auto& [c, w] : sorted) {
    if (vocab.size() >= size) break;
    if (seen.emplace(w, 1).second) vocab.push_back(w);
  }
  return vocab;
}

std::string safetensors(const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& t,
                        std::mt19937& rng, float stddev) {
  json header = json::object();
  std::size_t offset = 0;
  for (const auto& [name, shape] : t) {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + 4 * n}}};
    offset += 4 * n;
  }
  std::string h = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  out += h;
  std::normal_distribution<float> nd(0.0f, stddev);
  out.reserve(out.size() + offset);
  for (std::size_t i = 0; i < offset / 4; ++i) {
    float v = nd(rng);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  return out;
}

json tokenizer_json(const std::vector<std::string>& vocab) {
  json v = json::object();
  for (std::size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  return pb::testing::wordpiece_tokenizer_json(std::move(v));
}

void write_bert(const fs::path& dir, const std::vector<std::string>& vocab, int layers, int d,
                int heads, int inter) {
  fs::create_directories(dir / "1_Pooling");
  json config = {{"model_type", "bert"},        {"hidden_size", d},
                 {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                 {"intermediate_size", inter},  {"max_position_embeddings", 512},
                 {"vocab_size", vocab.size()},  {"type_vocab_size", 2},
                 {"layer_norm_eps", 1e-12},     {"hidden_act", "gelu"}};
  write_file(dir / "config.json", config.dump());
  write_file(dir / "tokenizer.json", tokenizer_json(vocab).dump());
  write_file(dir / "1_Pooling" / "config.json",
             json{{"pooling_mode_mean_tokens", true}, {"pooling_mode_cls_token", false}}.dump());
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> t = {
      {"embeddings.word_embeddings.weight", {static_cast<std::int64_t>(vocab.size()), d}},
      {"embeddings.position_embeddings.weight", {512, d}},
      {"embeddings.token_type_embeddings.weight", {2, d}},
      {"embeddings.LayerNorm.weight", {d}},
      {"embeddings.LayerNorm.bias", {d}}};
  for (int i = 0; i < layers; ++i) {
    std::string p = "encoder.layer." + std::to_string(i) + ".";
    for (const char* n : {"attention.self.query", "attention.self.key", "attention.self.value",
                          "attention.output.dense"}) {
      t.push_back({p + n + ".weight", {d, d}});
      t.push_back({p + n + ".bias", {d}});
    }
    t.push_back({p + "intermediate.dense.weight", {inter, d}});
    t.push_back({p + "intermediate.dense.bias", {inter}});
    t.push_back({p + "output.dense.weight", {d, inter}});
    t.push_back({p + "output.dense.bias", {d}});
    for (const char* n : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      t.push_back({p + n + ".weight", {d}});
      t.push_back({p + n + ".bias", {d}});
    }
  }
  std::mt19937 rng(1);
  write_file(dir / "model.safetensors", safetensors(t, rng, 0.05f));
}

void write_model2vec(const fs::path& dir, const std::vector<std::string>& vocab, int dim) {
  fs::create_directories(dir);
  write_file(dir / "config.json", json{{"model_type", "model2vec"}, {"normalize", true}}.dump());
  write_file(dir / "tokenizer.json", tokenizer_json(vocab).dump());
  std::mt19937 rng(2);
  write_file(
      dir / "model.safetensors",
      safetensors({{"embeddings", {static_cast<std::int64_t>(vocab.size()), dim}}}, rng, 1.0f));
}

struct Timing {
  double papers_per_s = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // process CPU time: robust to other processes sharing the cores
};

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Timing time_embed(const Embedder& e, const std::vector<std::string>& papers, unsigned threads) {
  std::vector<std::string> warm(papers.begin(),
                                papers.begin() + std::min<std::size_t>(8, papers.size()));
  (void)e.embed(warm, Kind::kDocument, {.threads = threads});
  double c0 = cpu_now();
  auto t0 = std::chrono::steady_clock::now();
  auto r = e.embed(papers, Kind::kDocument, {.threads = threads});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_now() - c0;
  if (!r.ok()) {
    std::fprintf(stderr, "embed failed: %s\n", r.error().message().c_str());
    std::exit(1);
  }
  return {static_cast<double>(papers.size()) / s, s, cpu};
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus = "../shared/data/arxiv/arxiv_combined.jsonl.gz";
  std::size_t n_papers = 20000, n_bert = 200;
  unsigned threads = 1;
  bool skip_fp32 = false;
  std::vector<std::string> models;
  std::string keep;  // write the generated models here and keep them (e.g. for hybrid_bench)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--corpus") {
      corpus = next();
    } else if (a == "--papers") {
      n_papers = std::stoul(next());
    } else if (a == "--bert-papers") {
      n_bert = std::stoul(next());
    } else if (a == "--threads") {
      threads = static_cast<unsigned>(std::stoul(next()));
    } else if (a == "--skip-fp32") {  // for profiling the int8 path alone
      skip_fp32 = true;
    } else if (a == "--model") {
      models.push_back(next());
    } else if (a == "--keep") {
      keep = next();
    } else {
      std::fprintf(stderr,
                   "usage: embed_bench --corpus FILE [--papers N] [--bert-papers N] "
                   "[--threads T] [--model DIR ...] [--keep DIR]\n");
      return 2;
    }
  }
  auto papers = read_papers(corpus, n_papers);
  if (papers.empty()) {
    std::fprintf(stderr, "no papers read from %s\n", corpus.c_str());
    return 1;
  }
  std::size_t bytes = 0;
  for (const auto& p : papers) bytes += p.size();
  std::printf("corpus: %zu papers (title + abstract), mean %.0f bytes; threads %u\n", papers.size(),
              static_cast<double>(bytes) / papers.size(), threads);

  fs::path tmp = !keep.empty()
                     ? fs::path(keep)
                     : fs::temp_directory_path() / ("pb-embed-bench-" + std::to_string(getpid()));
  auto vocab = build_vocab(papers, 30522);
  write_bert(tmp / "bert-6x384", vocab, 6, 384, 12, 1536);
  write_model2vec(tmp / "m2v-256", vocab, 256);

  auto tok = pb::embed::WordPieceTokenizer::load_dir(tmp / "bert-6x384");
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.error().message().c_str());
    return 1;
  }
  std::size_t tokens = 0, truncated = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& p : papers) {
    auto ids = tok->encode_with_specials(p, 512);
    tokens += ids.size();
    truncated += ids.size() == 512;
  }
  double tok_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "tokenizer: %.0f papers/s, mean %.0f tokens/paper (with [CLS]/[SEP]), %zu truncated at 512\n",
      papers.size() / tok_s, static_cast<double>(tokens) / papers.size(), truncated);

  std::vector<std::string> bert_papers(papers.begin(),
                                       papers.begin() + std::min(n_bert, papers.size()));
  std::printf(
      "\n| backend | papers | wall s | papers/s | papers/s/core (wall) | papers per CPU-s |\n"
      "|---|---|---|---|---|---|\n");
  auto row = [&](const std::string& name, const Embedder& e, const std::vector<std::string>& set) {
    Timing t = time_embed(e, set, threads);
    std::printf("| %s | %zu | %.2f | %.1f | %.1f | %.1f |\n", name.c_str(), set.size(), t.seconds,
                t.papers_per_s, t.papers_per_s / std::max(1u, threads),
                static_cast<double>(set.size()) / t.cpu_seconds);
    std::fflush(stdout);
    return t;
  };
  auto load = [](const fs::path& dir, pb::embed::Precision p) {
    pb::embed::LoadOptions o;
    o.precision = p;
    auto m = pb::embed::load_model(dir, o);
    if (!m.ok()) {
      std::fprintf(stderr, "%s\n", m.error().message().c_str());
      std::exit(1);
    }
    return std::move(m).value();
  };
  auto m2v = load(tmp / "m2v-256", pb::embed::Precision::kFloat32);
  row("model2vec 256-d (" + m2v->describe() + ")", *m2v, papers);
  Timing f;
  if (!skip_fp32) {
    auto fp32 = load(tmp / "bert-6x384", pb::embed::Precision::kFloat32);
    f = row("BERT 6x384 fp32", *fp32, bert_papers);
  }
  auto int8 = load(tmp / "bert-6x384", pb::embed::Precision::kInt8);
  Timing q = row("BERT 6x384 int8", *int8, bert_papers);
  if (!skip_fp32)
    std::printf("\nint8 / fp32 speed-up: %.2fx wall, %.2fx CPU time\n",
                q.papers_per_s / f.papers_per_s, f.cpu_seconds / q.cpu_seconds);
  // Real model directories: static models over the whole set (they are fast enough), BERT
  // models in fp32 and int8 over the BERT set; then query latency, one title at a time.
  std::vector<std::pair<std::string, std::vector<double>>> latencies;
  for (const auto& dir : models) {
    auto m = load(dir, pb::embed::Precision::kFloat32);
    const bool is_static = m->describe().rfind("model2vec", 0) == 0;
    row(dir + " (" + m->describe() + ")", *m, is_static ? papers : bert_papers);
    if (!is_static) {
      auto q8 = load(dir, pb::embed::Precision::kInt8);
      row(dir + " (" + q8->describe() + ")", *q8, bert_papers);
    }
    std::vector<double> ms;
    for (std::size_t i = 0; i < std::min<std::size_t>(1000, papers.size()); ++i) {
      const std::string title = papers[i].substr(0, papers[i].find(". "));  // "title. abstract"
      auto t1 = std::chrono::steady_clock::now();
      auto v = m->embed_one(title, Kind::kQuery);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
      if (!v.ok()) std::exit(1);
    }
    std::sort(ms.begin(), ms.end());
    latencies.emplace_back(dir, std::move(ms));
  }
  if (!latencies.empty()) {
    std::printf(
        "\nQuery embedding latency (one title per call, %zu titles; ms):\n\n"
        "| model | p50 | p99 | max |\n|---|---:|---:|---:|\n",
        latencies[0].second.size());
    for (const auto& [dir, ms] : latencies)
      std::printf("| %s | %.3f | %.3f | %.3f |\n", dir.c_str(), ms[ms.size() / 2],
                  ms[ms.size() * 99 / 100], ms.back());
  }
  std::error_code ec;
  if (keep.empty()) fs::remove_all(tmp, ec);
  return 0;
}
