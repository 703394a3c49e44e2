#pragma once
// Text embedders: a text becomes an L2-normalised float vector (cosine similarity is then a
// dot product). Backends:
//   - BERT-family encoders (bge, all-MiniLM, e5, gte) in the Hugging Face / sentence-transformers
//     layout, fp32 (OpenBLAS sgemm) or int8 (dynamically quantised linear layers);
//   - static embeddings in the model2vec layout (e.g. minishlab potion models).
// load_model() detects the layout of a model directory. A loaded model is immutable: one
// instance may be shared by every thread (embed() is const and thread-safe).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb::embed {

// Queries and documents may be embedded differently (e.g. e5's "query: " / "passage: "
// prefixes); symmetric models ignore the kind.
enum class Kind { kQuery, kDocument };

enum class Precision { kFloat32, kInt8 };

enum class Pooling { kCls, kMean };

struct EmbedOptions {
  // Worker threads for one embed() call: 1 = the calling thread only, 0 = all cores.
  unsigned threads = 1;
};

// n vectors of dim() floats each, row-major.
struct Embeddings {
  std::size_t dim = 0;
  std::vector<float> data;
  std::size_t size() const { return dim == 0 ? 0 : data.size() / dim; }
  std::span<const float> row(std::size_t i) const { return {data.data() + i * dim, dim}; }
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  // Embeds each text (UTF-8; invalid bytes are tolerated) into a unit vector. A text with no
  // known token (possible with static models, e.g. the empty string) gives the zero vector.
  virtual Result<Embeddings> embed(std::span<const std::string> texts, Kind kind,
                                   const EmbedOptions& options = {}) const = 0;
  // Vector length.
  virtual std::size_t dim() const = 0;
  // "<directory name>@<16 hex digits>": the digits are FNV-1a 64 (over 8-byte words) of the
  // model's files (config, tokenizer, weights) and every setting that changes the vectors
  // (pooling, prefixes, precision, max length) — not of paperboy.json itself, so that settings
  // which do not change vectors (fusion weights) can be edited without re-embedding. Equal
  // ids mean interchangeable vectors.
  virtual const std::string& model_id() const = 0;
  // A one-line description ("bert 6 layers, 384-d, mean pooling, int8, max 512 tokens").
  virtual std::string describe() const = 0;

  // Convenience: one text.
  Result<std::vector<float>> embed_one(std::string_view text, Kind kind) const;
};

struct LoadOptions {
  Precision precision = Precision::kFloat32;  // BERT only; static models are always fp32
  // Override paperboy.json / sentence-transformers settings when set.
  std::optional<Pooling> pooling;
  std::optional<std::string> query_prefix;
  std::optional<std::string> document_prefix;
  std::optional<std::size_t> max_length;  // tokens, [CLS]/[SEP] included for BERT
};

// Loads a model directory:
//   - model2vec: config.json with "model_type": "model2vec" (or a model.safetensors holding an
//     "embeddings" tensor and no encoder), tokenizer.json;
//   - BERT: config.json with "model_type": "bert", model.safetensors, tokenizer.json and/or
//     vocab.txt (+ tokenizer_config.json), optional modules.json + 1_Pooling/config.json
//     (pooling; CLS when there is no pooling config, as in BERT and bge).
// Optional `paperboy.json` in the directory: {"query_prefix": "...", "document_prefix": "...",
// "pooling": "cls"|"mean", "max_length": N}. Any missing, malformed or unsupported file gives
// an error naming the file and the reason.
Result<std::unique_ptr<Embedder>> load_model(const std::filesystem::path& dir,
                                             const LoadOptions& options = {});

}  // namespace pb::embed
