// Static embeddings in the model2vec layout (Tulkens & van Dongen 2024, minishlab potion
// models): a token embedding table; a text's vector is the mean of its tokens' rows.

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "embed/backends.hpp"
#include "embed/json_util.hpp"
#include "embed/safetensors.hpp"
#include "embed/tokenizer.hpp"

namespace pb::embed::detail {
namespace {

// model2vec's StaticModel.encode truncates to 512 tokens by default.
constexpr std::size_t kDefaultMaxTokens = 512;

// Immutable after load; embed() is const and thread-safe.
class StaticEmbedder final : public Embedder {
 public:
  StaticEmbedder(WordPieceTokenizer tokenizer, std::vector<float> table, std::size_t dim,
                 Settings settings, std::size_t max_tokens, std::string id)
      : tokenizer_(std::move(tokenizer)),
        table_(std::move(table)),
        dim_(dim),
        settings_(std::move(settings)),
        max_tokens_(max_tokens),
        id_(std::move(id)) {}

  Result<Embeddings> embed(std::span<const std::string> texts, Kind kind,
                           const EmbedOptions& options) const override {
    Embeddings out;
    out.dim = dim_;
    out.data.assign(texts.size() * dim_, 0.0f);
    const std::string& prefix =
        kind == Kind::kQuery ? settings_.query_prefix : settings_.document_prefix;
    parallel_for(texts.size(), options.threads, [&](unsigned, std::size_t i) {
      std::vector<std::int32_t> ids;
      if (prefix.empty()) {
        ids = tokenizer_.encode(texts[i], max_tokens_, /*drop_unknown=*/true);
      } else {
        ids = tokenizer_.encode(prefix + texts[i], max_tokens_, /*drop_unknown=*/true);
      }
      float* v = out.data.data() + i * dim_;
      for (std::int32_t id : ids) {
        const float* row = table_.data() + static_cast<std::size_t>(id) * dim_;
        for (std::size_t j = 0; j < dim_; ++j) v[j] += row[j];
      }
      // The mean's scale vanishes in the normalisation.
      normalize(v, dim_);
    });
    return out;
  }

  std::size_t dim() const override { return dim_; }
  const std::string& model_id() const override { return id_; }
  std::string describe() const override {
    return "model2vec static embeddings, " + std::to_string(tokenizer_.vocab_size()) + " tokens, " +
           std::to_string(dim_) + "-d, max " + std::to_string(max_tokens_) + " tokens";
  }

 private:
  WordPieceTokenizer tokenizer_;
  std::vector<float> table_;
  std::size_t dim_;
  Settings settings_;
  std::size_t max_tokens_;
  std::string id_;
};

}  // namespace

Result<std::unique_ptr<Embedder>> load_static(const std::filesystem::path& dir,
                                              const Settings& settings) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "tokenizer.json", ec))
    return Error::not_found(dir.string() + ": model2vec model without tokenizer.json");
  PB_ASSIGN_OR_RETURN(WordPieceTokenizer tok,
                      WordPieceTokenizer::from_tokenizer_json(dir / "tokenizer.json"));
  const auto file = dir / "model.safetensors";
  PB_ASSIGN_OR_RETURN(auto st, SafeTensors::open(file));
  for (const char* extra : {"mapping", "weights"}) {
    if (st->find(extra))
      return Error::unsupported(file.string() + ": model2vec tensor '" + extra +
                                "' (vocabulary quantisation / token weights) is not supported");
  }
  const TensorInfo* t = st->find("embeddings");
  if (!t) return Error::invalid_input(file.string() + ": no 'embeddings' tensor");
  if (t->shape.size() != 2 || t->shape[0] <= 0 || t->shape[1] <= 0)
    return Error::invalid_input(file.string() + ": 'embeddings' is not a 2-d table");
  auto rows = static_cast<std::size_t>(t->shape[0]);
  auto dim = static_cast<std::size_t>(t->shape[1]);
  if (rows < tok.vocab_size())
    return Error::invalid_input(file.string() + ": 'embeddings' has " + std::to_string(rows) +
                                " rows for a vocabulary of " + std::to_string(tok.vocab_size()));
  PB_ASSIGN_OR_RETURN(std::vector<float> table, st->read_float("embeddings"));
  std::size_t max_tokens = settings.max_length.value_or(kDefaultMaxTokens);

  ContentHash hash;
  for (const char* f : {"config.json", "tokenizer.json"})
    PB_RETURN_IF_ERROR(hash.add_file(dir / f));
  auto bytes = st->file_bytes();
  hash.add({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  hash.add("static;q=" + settings.query_prefix + ";d=" + settings.document_prefix +
           ";max=" + std::to_string(max_tokens));
  return std::unique_ptr<Embedder>(new StaticEmbedder(std::move(tok), std::move(table), dim,
                                                      settings, max_tokens, hash.id(dir)));
}

}  // namespace pb::embed::detail
