#include "train/trainer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "embed/tokenizer.hpp"
#include "index/vector/kernels.hpp"
#include "text/tex.hpp"

namespace pb::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWorkDir = ".train";
constexpr const char* kCheckpoint = "checkpoint.bin";
constexpr const char* kVocabFile = "vocab.txt";
constexpr char kMagic[8] = {'P', 'B', 'T', 'R', 'C', 'K', '0', '1'};
constexpr std::size_t kMaxTokensPerText = 512;

// Counter-based randomness: a value is a hash of its coordinates, so nothing depends on the
// order in which values are drawn (SplitMix64's finaliser, Steele et al. 2014).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
std::uint64_t hash3(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix(mix(mix(a) ^ b) ^ c);
}
double uniform01(std::uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53; }

// Tokenised texts: segment i is tokens[start[i], start[i+1]). Each paper is its title followed
// by its abstract's sentences, contiguous.
struct Segments {
  std::vector<std::int32_t> tokens;
  std::vector<std::uint64_t> start{0};
  std::size_t count() const { return start.size() - 1; }
  std::uint64_t length(std::size_t i) const { return start[i + 1] - start[i]; }
};

struct DocSpan {
  std::uint32_t title = 0;      // segment index; sentences follow it
  std::uint32_t sentences = 0;  // how many
};

// A text of a pair: up to two token ranges.
struct TextSpec {
  std::uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  std::uint64_t size() const { return (a1 - a0) + (b1 - b0); }
};

// Model parameters and their Adagrad accumulators.
struct Params {
  std::size_t vocab = 0, dim = 0;
  std::vector<float> emb, emb_acc, weight, weight_acc;
};

struct Position {
  unsigned epoch = 0;       // 0-based epoch in progress
  std::uint64_t step = 0;   // steps done within it
  std::uint64_t total = 0;  // steps done over all epochs
  double loss_sum = 0;      // of the epoch so far
  std::vector<double> epoch_loss;
};

nlohmann::json settings_json(const TrainOptions& o, std::uint64_t fingerprint, std::size_t docs,
                             std::size_t vocab) {
  return {{"dim", o.dim},
          {"seed", o.seed},
          {"batch", o.batch},
          {"temperature", o.temperature},
          {"lr", o.lr},
          {"weight_lr", o.weight_lr},
          {"phrase_pairs", o.phrase_pairs},
          {"max_words", o.vocab.max_words},
          {"min_count", o.vocab.min_count},
          {"prefixes", o.vocab.prefixes},
          {"continuations", o.vocab.continuations},
          {"corpus_fingerprint", fmt::format("{:016x}", fingerprint)},
          {"corpus_docs", docs},
          {"vocab_size", vocab}};
}

// Streams a file atomically: `write` fills a temporary file beside `path`, which is synced and
// renamed over it, and the directory synced.
Status write_atomically(const fs::path& path, const std::function<bool(std::FILE*)>& write) {
  const fs::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Error::io(fmt::format("{}: cannot create: {}", tmp.string(), strerror(errno)));
  bool ok = write(f) && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  ok = std::fclose(f) == 0 && ok;
  std::error_code ec;
  if (!ok) {
    fs::remove(tmp, ec);
    return Error::io(fmt::format("{}: write failed: {}", tmp.string(), strerror(errno)));
  }
  fs::rename(tmp, path, ec);
  if (ec) return Error::io(fmt::format("{}: {}", path.string(), ec.message()));
  return fsync_path(path.parent_path(), true);
}

bool write_floats(std::FILE* f, const std::vector<float>& v) {
  return std::fwrite(v.data(), sizeof(float), v.size(), f) == v.size();
}

std::uint64_t hash_floats(const std::vector<float>& v, std::uint64_t h) {
  return fnv1a64(
      std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)), h);
}

Status save_checkpoint(const fs::path& file, const nlohmann::json& settings, const Params& p,
                       const Position& pos) {
  std::uint64_t sum = kFnv1a64Offset;
  for (const auto* v : {&p.emb, &p.emb_acc, &p.weight, &p.weight_acc}) sum = hash_floats(*v, sum);
  nlohmann::json h = {{"settings", settings},
                      {"epoch", pos.epoch},
                      {"step", pos.step},
                      {"total", pos.total},
                      {"loss_sum", pos.loss_sum},
                      {"epoch_loss", pos.epoch_loss},
                      {"checksum", fmt::format("{:016x}", sum)}};
  const std::string header = h.dump();
  return write_atomically(file, [&](std::FILE* f) {
    std::uint64_t n = header.size();
    return std::fwrite(kMagic, 1, 8, f) == 8 && std::fwrite(&n, sizeof n, 1, f) == 1 &&
           std::fwrite(header.data(), 1, n, f) == n && write_floats(f, p.emb) &&
           write_floats(f, p.emb_acc) && write_floats(f, p.weight) && write_floats(f, p.weight_acc);
  });
}

// Reads a checkpoint made with `settings` into p (already sized) and pos.
Status load_checkpoint(const fs::path& file, const nlohmann::json& settings, Params& p,
                       Position& pos) {
  const std::string where = file.string();
  std::ifstream in(file, std::ios::binary);
  char magic[8];
  std::uint64_t n = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 ||
      !in.read(reinterpret_cast<char*>(&n), sizeof n) || n > (1u << 20))
    return Error::corrupt(where + ": not a paperboy training checkpoint");
  std::string header(n, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(n)))
    return Error::corrupt(where + ": truncated");
  auto h = nlohmann::json::parse(header, nullptr, false);
  if (h.is_discarded() || !h.is_object() || !h.contains("settings"))
    return Error::corrupt(where + ": bad header");
  if (h["settings"] != settings)
    return Error::invalid_input(
        where +
        ": made with other settings or another corpus (train with --no-resume to start "
        "over)");
  for (auto* v : {&p.emb, &p.emb_acc, &p.weight, &p.weight_acc}) {
    if (!in.read(reinterpret_cast<char*>(v->data()),
                 static_cast<std::streamsize>(v->size() * sizeof(float))))
      return Error::corrupt(where + ": truncated");
  }
  std::uint64_t sum = kFnv1a64Offset;
  for (const auto* v : {&p.emb, &p.emb_acc, &p.weight, &p.weight_acc}) sum = hash_floats(*v, sum);
  if (h.value("checksum", "") != fmt::format("{:016x}", sum))
    return Error::corrupt(where + ": checksum mismatch");
  pos.epoch = h.value("epoch", 0u);
  pos.step = h.value("step", std::uint64_t{0});
  pos.total = h.value("total", std::uint64_t{0});
  pos.loss_sum = h.value("loss_sum", 0.0);
  pos.epoch_loss = h.value("epoch_loss", std::vector<double>{});
  return ok_status();
}

Result<std::vector<std::string>> read_vocab(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Error::io(file.string() + ": cannot read");
  std::vector<std::string> v;
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

nlohmann::json tokenizer_json(const std::vector<std::string>& vocab) {
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  nlohmann::ordered_json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", nlohmann::ordered_json::array()},
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"clean_text", true},
        {"handle_chinese_chars", true},
        {"strip_accents", nullptr},
        {"lowercase", true}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"model",
       {{"type", "WordPiece"},
        {"unk_token", "[UNK]"},
        {"continuing_subword_prefix", "##"},
        {"max_input_chars_per_word", 100},
        {"vocab", std::move(v)}}}};
  return j;
}

class Trainer {
 public:
  Trainer(const TrainOptions& o, const Segments& seg, const std::vector<DocSpan>& docs,
          std::vector<std::uint8_t> continuation, Params& p)
      : o_(o), seg_(seg), docs_(docs), continuation_(std::move(continuation)), p_(p) {
    threads_ = o.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : o.threads;
    threads_ = std::min(threads_, 64u);  // the model does not depend on it; keep it sane
    grad_.assign(p.vocab * p.dim, 0.0f);
    grad_w_.assign(p.vocab, 0.0f);
    touched_flag_.assign(p.vocab, 0);
  }

  // The pairs of epoch e, shuffled: (doc << 2) | kind, kind 0 = title -> abstract,
  // 1 = sentence -> the rest, 2 = two short phrases of the abstract -> the paper.
  std::vector<std::uint64_t> pairs(unsigned e) const {
    std::vector<std::uint64_t> out;
    for (std::size_t i = 0; i < docs_.size(); ++i) {
      const DocSpan& d = docs_[i];
      std::uint64_t abstract_len = seg_.start[d.title + 1 + d.sentences] - seg_.start[d.title + 1];
      if (seg_.length(d.title) > 0 && abstract_len > 0) out.push_back(i << 2);
      if (d.sentences >= 2) out.push_back((i << 2) | 1);
      if (o_.phrase_pairs && abstract_len >= 16) out.push_back((i << 2) | 2);
    }
    std::uint64_t state = hash3(o_.seed, 0x5eed, e);
    for (std::size_t i = out.size(); i > 1; --i) {  // Fisher-Yates
      state = mix(state);
      std::swap(out[i - 1], out[state % i]);
    }
    return out;
  }

  // Anchor and positive texts of a pair in epoch e.
  std::pair<TextSpec, TextSpec> texts(std::uint64_t pair, unsigned e) const {
    const std::size_t doc = pair >> 2;
    const DocSpan& d = docs_[doc];
    const auto& st = seg_.start;
    const std::uint64_t first = d.title + 1, end = first + d.sentences;
    switch (pair & 3) {
      case 0:
        return {{st[d.title], st[d.title + 1], 0, 0}, {st[first], st[end], 0, 0}};
      case 1: {
        const std::uint64_t s = first + hash3(o_.seed, e, doc) % d.sentences;
        return {{st[s], st[s + 1], 0, 0}, {st[d.title], st[s], st[s + 1], st[end]}};
      }
      default: {
        // Keyword-like queries: two phrases of 1-3 words from the abstract.
        TextSpec q;
        for (int k = 0; k < 2; ++k) {
          const std::uint64_t h = hash3(o_.seed ^ 0x9b7a5e, e, doc * 2 + k);
          std::uint64_t a = st[first] + (h % (st[end] - st[first]));
          while (a > st[first] && continuation_[seg_.tokens[a]]) --a;
          std::uint64_t b = a + 1;
          for (std::uint64_t words = 1 + (h >> 32) % 3; b < st[end]; ++b) {
            if (!continuation_[seg_.tokens[b]] && --words == 0) break;
          }
          (k == 0 ? q.a0 : q.b0) = a;
          (k == 0 ? q.a1 : q.b1) = b;
        }
        return {q, {st[d.title], st[end], 0, 0}};
      }
    }
  }

  // One step of InfoNCE on `batch` (pair codes). Returns the loss.
  double step(std::span<const std::uint64_t> batch, unsigned e) {
    const std::size_t b = batch.size(), n = 2 * b, dim = p_.dim;
    specs_.resize(n);
    for (std::size_t i = 0; i < b; ++i) {
      auto [q, d] = texts(batch[i], e);
      specs_[i] = q;
      specs_[b + i] = d;
    }
    // Forward: u = sum of w_t E_t over the tokens; v = u / |u|.
    u_.assign(n * dim, 0.0f);
    v_.assign(n * dim, 0.0f);
    inv_norm_.assign(n, 0.0f);
    parallel(n, [&](std::size_t x) {
      float* u = u_.data() + x * dim;
      for_tokens(specs_[x], [&](std::int32_t t) {
        const float w = p_.weight[t];
        const float* row = p_.emb.data() + static_cast<std::size_t>(t) * dim;
        for (std::size_t j = 0; j < dim; ++j) u[j] += w * row[j];
      });
      double ss = 0;
      for (std::size_t j = 0; j < dim; ++j) ss += static_cast<double>(u[j]) * u[j];
      if (ss > 0) {
        inv_norm_[x] = static_cast<float>(1.0 / std::sqrt(ss));
        float* v = v_.data() + x * dim;
        for (std::size_t j = 0; j < dim; ++j) v[j] = u[j] * inv_norm_[x];
      }
    });
    // Similarities and the symmetric loss.
    const float inv_t = 1.0f / o_.temperature;
    sim_.assign(b * b, 0.0f);
    parallel(b, [&](std::size_t i) {
      const float* q = v_.data() + i * dim;
      for (std::size_t j = 0; j < b; ++j)
        sim_[i * b + j] = vector::dot(q, v_.data() + (b + j) * dim, dim) * inv_t;
    });
    // dS = (rowsoftmax - I + colsoftmax - I) / 2b.
    dsim_.assign(b * b, 0.0f);
    double loss = 0;
    const float scale = 1.0f / static_cast<float>(2 * b);
    for (std::size_t i = 0; i < b; ++i) {  // rows: query -> documents
      const float* s = sim_.data() + i * b;
      float mx = *std::max_element(s, s + b);
      double z = 0;
      for (std::size_t j = 0; j < b; ++j) z += std::exp(static_cast<double>(s[j] - mx));
      loss += std::log(z) + mx - s[i];
      for (std::size_t j = 0; j < b; ++j)
        dsim_[i * b + j] += static_cast<float>(std::exp(s[j] - mx - std::log(z))) * scale;
      dsim_[i * b + i] -= scale;
    }
    for (std::size_t j = 0; j < b; ++j) {  // columns: document -> queries
      float mx = sim_[j];
      for (std::size_t i = 1; i < b; ++i) mx = std::max(mx, sim_[i * b + j]);
      double z = 0;
      for (std::size_t i = 0; i < b; ++i) z += std::exp(static_cast<double>(sim_[i * b + j] - mx));
      loss += std::log(z) + mx - sim_[j * b + j];
      const double lz = std::log(z);
      for (std::size_t i = 0; i < b; ++i)
        dsim_[i * b + j] += static_cast<float>(std::exp(sim_[i * b + j] - mx - lz)) * scale;
      dsim_[j * b + j] -= scale;
    }
    loss /= static_cast<double>(2 * b);
    // Gradients of the unit vectors, then of u (through the normalisation).
    du_.assign(n * dim, 0.0f);
    parallel(n, [&](std::size_t x) {
      float* g = du_.data() + x * dim;
      if (x < b) {
        for (std::size_t j = 0; j < b; ++j) {
          const float c = dsim_[x * b + j] * inv_t;
          const float* d = v_.data() + (b + j) * dim;
          for (std::size_t k = 0; k < dim; ++k) g[k] += c * d[k];
        }
      } else {
        const std::size_t j = x - b;
        for (std::size_t i = 0; i < b; ++i) {
          const float c = dsim_[i * b + j] * inv_t;
          const float* q = v_.data() + i * dim;
          for (std::size_t k = 0; k < dim; ++k) g[k] += c * q[k];
        }
      }
      const float* v = v_.data() + x * dim;
      const float vg = vector::dot(v, g, dim);
      for (std::size_t k = 0; k < dim; ++k) g[k] = (g[k] - v[k] * vg) * inv_norm_[x];
    });
    // Scatter into the rows and update them: thread k owns the tokens t with t % threads == k
    // and adds their gradients in batch order, so the sums do not depend on the thread count.
    const unsigned parts = threads_;
    touched_.resize(parts);
    parallel(parts, [&](std::size_t part) {
      auto& touched = touched_[part];
      touched.clear();
      for (std::size_t x = 0; x < n; ++x) {
        const float* g = du_.data() + x * dim;
        for_tokens(specs_[x], [&](std::int32_t t) {
          if (static_cast<std::size_t>(t) % parts != part) return;
          if (!touched_flag_[t]) {
            touched_flag_[t] = 1;
            touched.push_back(t);
          }
          const std::size_t off = static_cast<std::size_t>(t) * dim;
          const float w = p_.weight[t];
          const float* row = p_.emb.data() + off;
          float* gr = grad_.data() + off;
          float gw = 0;
          for (std::size_t k = 0; k < dim; ++k) {
            gr[k] += w * g[k];
            gw += row[k] * g[k];
          }
          grad_w_[t] += gw;
        });
      }
      for (std::int32_t t : touched) {
        const std::size_t off = static_cast<std::size_t>(t) * dim;
        float* row = p_.emb.data() + off;
        float* acc = p_.emb_acc.data() + off;
        float* gr = grad_.data() + off;
        for (std::size_t k = 0; k < dim; ++k) {
          acc[k] += gr[k] * gr[k];
          row[k] -= o_.lr * gr[k] / (std::sqrt(acc[k]) + 1e-8f);
          gr[k] = 0;
        }
        const float gw = grad_w_[t];
        p_.weight_acc[t] += gw * gw;
        p_.weight[t] = std::max(
            0.0f, p_.weight[t] - o_.weight_lr * gw / (std::sqrt(p_.weight_acc[t]) + 1e-8f));
        grad_w_[t] = 0;
        touched_flag_[t] = 0;
      }
    });
    return loss;
  }

 private:
  template <typename Fn>
  void for_tokens(const TextSpec& s, Fn&& fn) const {
    std::uint64_t taken = 0;
    for (std::uint64_t i = s.a0; i < s.a1 && taken < kMaxTokensPerText; ++i, ++taken)
      fn(seg_.tokens[i]);
    for (std::uint64_t i = s.b0; i < s.b1 && taken < kMaxTokensPerText; ++i, ++taken)
      fn(seg_.tokens[i]);
  }

  // Runs fn(i) for i in [0, n) on the trainer's threads; each i is done by one thread.
  template <typename Fn>
  void parallel(std::size_t n, Fn&& fn) {
    const unsigned t = static_cast<unsigned>(std::min<std::size_t>(threads_, n));
    if (t <= 1) {
      for (std::size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    std::atomic<std::size_t> next{0};
    auto work = [&]() {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    };
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < t; ++w) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
  }

  const TrainOptions& o_;
  const Segments& seg_;
  const std::vector<DocSpan>& docs_;
  std::vector<std::uint8_t> continuation_;  // per token: a "##" piece
  Params& p_;
  unsigned threads_ = 1;
  std::vector<TextSpec> specs_;
  std::vector<float> u_, v_, inv_norm_, sim_, dsim_, du_, grad_, grad_w_;
  std::vector<std::uint8_t> touched_flag_;
  std::vector<std::vector<std::int32_t>> touched_;
};

Status save_model(const fs::path& dir, const std::vector<std::string>& vocab, const Params& p,
                  const TrainOptions& o, const nlohmann::json& settings,
                  const std::vector<double>& epoch_loss) {
  // Rows with the token weights baked in: sum_t w_t E_t is then the static model's sum.
  std::vector<float> table(p.vocab * p.dim);
  for (std::size_t t = 0; t < p.vocab; ++t)
    for (std::size_t k = 0; k < p.dim; ++k)
      table[t * p.dim + k] = p.weight[t] * p.emb[t * p.dim + k];
  nlohmann::json header = {{"embeddings",
                            {{"dtype", "F32"},
                             {"shape", {p.vocab, p.dim}},
                             {"data_offsets", {0, table.size() * sizeof(float)}}}},
                           {"__metadata__", {{"format", "pt"}}}};
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  PB_RETURN_IF_ERROR(write_atomically(dir / "model.safetensors", [&](std::FILE* f) {
    std::uint64_t n = h.size();
    return std::fwrite(&n, sizeof n, 1, f) == 1 && std::fwrite(h.data(), 1, n, f) == n &&
           write_floats(f, table);
  }));
  PB_RETURN_IF_ERROR(
      replace_file_atomically(dir / "tokenizer.json", tokenizer_json(vocab).dump() + "\n"));
  nlohmann::ordered_json pj = {
      {"fusion", o.fusion}, {"hybrid_weight", o.hybrid_weight}, {"default_mode", o.default_mode}};
  PB_RETURN_IF_ERROR(replace_file_atomically(dir / "paperboy.json", pj.dump(1) + "\n"));
  nlohmann::ordered_json config = {
      {"model_type", "model2vec"},
      {"architectures", {"StaticModel"}},
      {"hidden_dim", p.dim},
      {"normalize", true},
      {"trained_by", "paperboy train-embedder"},
      {"training",
       {{"settings", settings},
        {"epochs", epoch_loss.size()},
        {"objective",
         "symmetric InfoNCE, in-batch negatives; pairs (title, abstract) and "
         "(sentence, rest of paper)"},
        {"epoch_loss", epoch_loss}}}};
  // config.json last: until it exists the directory is not a loadable model.
  return replace_file_atomically(dir / "config.json", config.dump(1) + "\n");
}

}  // namespace

std::vector<std::string_view> split_sentences(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  auto emit = [&](std::size_t end) {
    std::string_view s = text.substr(begin, end - begin);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (!s.empty()) out.push_back(s);
    begin = end;
  };
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    char c = text[i];
    if ((c == '.' || c == '?' || c == '!') &&
        std::isspace(static_cast<unsigned char>(text[i + 1])) && i + 1 - begin >= 20)
      emit(i + 1);
  }
  emit(text.size());
  return out;
}

Result<TrainSummary> train_model(const std::vector<TrainDoc>& docs, const fs::path& dir,
                                 const TrainOptions& o) {
  if (o.dim < 8 || o.dim > 1024)
    return Error::invalid_input(fmt::format("--dim must be between 8 and 1024, not {}", o.dim));
  if (o.epochs < 1 || o.epochs > 1000)
    return Error::invalid_input(
        fmt::format("--epochs must be between 1 and 1000, not {}", o.epochs));
  if (o.batch < 2 || o.batch > 8192)
    return Error::invalid_input(fmt::format("--batch must be between 2 and 8192, not {}", o.batch));
  if (!(o.temperature > 0) || !(o.lr > 0) || !(o.weight_lr >= 0))
    return Error::invalid_input("temperature and learning rates must be positive");
  if (docs.empty()) return Error::invalid_input("no papers to train on (the corpus is empty)");
  std::error_code ec;
  const fs::path work = dir / kWorkDir;
  if (fs::exists(dir / "config.json", ec) && !fs::exists(work / kVocabFile, ec))
    return Error::invalid_input(
        fmt::format("{} already holds a model; train into a new directory", dir.string()));
  if (!o.resume) fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  if (ec) return Error::io(fmt::format("creating {}: {}", work.string(), ec.message()));
  auto status = [&](const std::string& s) {
    if (o.on_status) o.on_status(s);
  };

  // Plain texts and the corpus fingerprint (a checkpoint only resumes on the same corpus).
  std::vector<std::string> titles(docs.size()), abstracts(docs.size());
  std::uint64_t fingerprint = kFnv1a64Offset;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    titles[i] = text::tex_to_text(docs[i].title);
    abstracts[i] = text::tex_to_text(docs[i].abstract);
    fingerprint = fnv1a64(titles[i], fnv1a64(abstracts[i], fingerprint));
  }

  // Vocabulary: learned once, kept in the work directory for resumed runs.
  std::vector<std::string> vocab;
  if (fs::exists(work / kVocabFile, ec)) {
    PB_ASSIGN_OR_RETURN(vocab, read_vocab(work / kVocabFile));
  } else {
    status("learning the vocabulary");
    PB_ASSIGN_OR_RETURN(
        auto base, embed::WordPieceTokenizer::from_vocab({"[UNK]"}, trained_tokenizer_config()));
    WordCounts counts;
    auto count = [&](std::string_view w) {
      ++counts[std::string(w)];
      return true;
    };
    for (std::size_t i = 0; i < docs.size(); ++i) {
      base.for_each_word(titles[i], count);
      base.for_each_word(abstracts[i], count);
    }
    vocab = learn_vocab(counts, o.vocab);
    std::string text;
    for (const auto& t : vocab) text += t + "\n";
    PB_RETURN_IF_ERROR(replace_file_atomically(work / kVocabFile, text));
  }
  PB_ASSIGN_OR_RETURN(auto tok,
                      embed::WordPieceTokenizer::from_vocab(vocab, trained_tokenizer_config()));

  // Tokenise: per paper its title, then its sentences; document frequencies for the weights.
  status("tokenising");
  Segments seg;
  std::vector<DocSpan> spans(docs.size());
  std::vector<std::uint32_t> df(vocab.size(), 0), last_doc(vocab.size(), UINT32_MAX);
  auto add_segment = [&](std::string_view s, std::uint32_t doc) {
    auto ids = tok.encode(s, SIZE_MAX, /*drop_unknown=*/true);
    for (auto t : ids) {
      if (last_doc[t] != doc) {
        last_doc[t] = doc;
        ++df[t];
      }
    }
    seg.tokens.insert(seg.tokens.end(), ids.begin(), ids.end());
    seg.start.push_back(seg.tokens.size());
  };
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto doc = static_cast<std::uint32_t>(i);
    spans[i].title = static_cast<std::uint32_t>(seg.count());
    add_segment(titles[i], doc);
    for (auto s : split_sentences(abstracts[i])) {
      add_segment(s, doc);
      ++spans[i].sentences;
    }
  }
  titles = {};
  abstracts = {};

  const nlohmann::json settings = settings_json(o, fingerprint, docs.size(), vocab.size());
  Params p;
  p.vocab = vocab.size();
  p.dim = o.dim;
  p.emb.resize(p.vocab * p.dim);
  p.emb_acc.assign(p.vocab * p.dim, 1e-6f);
  p.weight.resize(p.vocab);
  p.weight_acc.assign(p.vocab, 1e-6f);
  Position pos;
  TrainSummary summary;
  summary.docs = docs.size();
  summary.vocab = vocab.size();
  const fs::path ckpt = work / kCheckpoint;
  if (fs::exists(ckpt, ec)) {
    PB_RETURN_IF_ERROR(load_checkpoint(ckpt, settings, p, pos));
    summary.resumed_at = pos.total;
    status(fmt::format("resuming from step {} (epoch {})", pos.total, pos.epoch + 1));
  } else {
    // Rows ~ N(0, 1/dim) (Box-Muller on hashed uniforms); weights = idf, 0 for tokens the
    // corpus never uses (their rows stay untrained, so they must not count).
    const float sd = 1.0f / std::sqrt(static_cast<float>(p.dim));
    for (std::size_t t = 0; t < p.vocab; ++t) {
      for (std::size_t k = 0; k < p.dim; ++k) {
        std::uint64_t h = hash3(o.seed, t, k);
        double r = std::sqrt(-2.0 * std::log(uniform01(h)));
        double th = 2.0 * M_PI * uniform01(mix(h));
        p.emb[t * p.dim + k] = static_cast<float>(r * std::cos(th)) * sd;
      }
      p.weight[t] =
          df[t] == 0 ? 0.0f
                     : static_cast<float>(std::log(1.0 + static_cast<double>(docs.size()) / df[t]));
    }
  }

  std::vector<std::uint8_t> continuation(vocab.size());
  for (std::size_t t = 0; t < vocab.size(); ++t)
    continuation[t] = vocab[t].size() > 2 && vocab[t].compare(0, 2, "##") == 0;
  Trainer trainer(o, seg, spans, std::move(continuation), p);
  const std::uint64_t pairs_per_epoch = trainer.pairs(0).size();
  const std::uint64_t steps_per_epoch =
      pairs_per_epoch / o.batch + (pairs_per_epoch % o.batch >= 2);
  summary.pairs_per_epoch = pairs_per_epoch;
  if (steps_per_epoch == 0)
    return Error::invalid_input(fmt::format(
        "too few training pairs ({}): need papers with titles and abstracts", pairs_per_epoch));
  const std::uint64_t total_steps = steps_per_epoch * o.epochs;
  auto last_save = std::chrono::steady_clock::now();
  status(fmt::format("{} papers, {} tokens, vocabulary {}, {} pairs per epoch", docs.size(),
                     seg.tokens.size(), vocab.size(), pairs_per_epoch));
  bool stopped = false;
  for (; pos.epoch < o.epochs && !stopped;) {
    const auto order = trainer.pairs(pos.epoch);
    for (; pos.step < steps_per_epoch; ++pos.step) {
      if ((o.max_steps && pos.total >= o.max_steps) || (o.should_stop && o.should_stop())) {
        stopped = true;
        break;
      }
      const std::size_t from = pos.step * o.batch;
      const std::size_t len = std::min<std::size_t>(o.batch, order.size() - from);
      pos.loss_sum += trainer.step(std::span(order).subspan(from, len), pos.epoch);
      ++pos.total;
      if (o.on_progress)
        o.on_progress({pos.epoch + 1, o.epochs, pos.total, total_steps,
                       pos.loss_sum / static_cast<double>(pos.step + 1)});
      if (std::chrono::steady_clock::now() - last_save >
          std::chrono::duration<double>(o.checkpoint_seconds)) {
        Position next = pos;
        ++next.step;
        PB_RETURN_IF_ERROR(save_checkpoint(ckpt, settings, p, next));
        last_save = std::chrono::steady_clock::now();
      }
    }
    if (stopped) break;
    pos.epoch_loss.push_back(pos.loss_sum / static_cast<double>(steps_per_epoch));
    ++pos.epoch;
    pos.step = 0;
    pos.loss_sum = 0;
  }
  summary.steps = pos.total;
  summary.epoch_loss = pos.epoch_loss;
  if (stopped) {
    PB_RETURN_IF_ERROR(save_checkpoint(ckpt, settings, p, pos));
    return summary;
  }
  status("saving the model");
  PB_RETURN_IF_ERROR(save_model(dir, vocab, p, o, settings, pos.epoch_loss));
  fs::remove_all(work, ec);
  summary.finished = true;
  return summary;
}

}  // namespace pb::train
