// BERT-family encoders (Devlin et al. 2019) as published for sentence embeddings (bge, e5,
// gte, all-MiniLM: Reimers & Gurevych 2019 sentence-transformers layout). Post-LN transformer:
// embeddings (word + position + token type) -> LayerNorm, then per layer
//   x = LN(x + Attention(x)),  x = LN(x + W2·GELU(W1·x)),
// then CLS or mean pooling and L2 normalisation.
//
// Each text runs as its own unpadded sequence, so no attention mask is needed (padding a batch
// to its longest text would only add work; the result is identical to a masked batch).
// int8 mode quantises the weights of every linear layer per output channel at load time and
// each activation row at run time (dynamic quantisation); attention products stay fp32.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "embed/backends.hpp"
#include "embed/json_util.hpp"
#include "embed/kernels.hpp"
#include "embed/safetensors.hpp"
#include "embed/tokenizer.hpp"

namespace pb::embed::detail {
namespace {

using nlohmann::json;

struct Linear {
  int in = 0, out = 0;
  std::vector<float> w, b;  // fp32 weights (cleared in int8 mode)
  kernels::QuantizedLinear q;
};

struct Layer {
  Linear qkv;  // query, key and value fused: out = 3·hidden
  Linear attn_out, inter, out;
  std::vector<float> ln1_g, ln1_b, ln2_g, ln2_b;
};

struct Workspace {
  std::vector<float> x, qkv, scores, ctx, tmp, inter;
  kernels::Int8Scratch i8;
};

struct BertShape {
  int hidden = 0, layers = 0, heads = 0, intermediate = 0, max_positions = 0, vocab = 0;
  int type_vocab = 2;
  float eps = 1e-12f;
};

// Immutable after load; embed() is const and thread-safe (scratch is per call and worker).
class BertEmbedder final : public Embedder {
 public:
  Result<Embeddings> embed(std::span<const std::string> texts, Kind kind,
                           const EmbedOptions& options) const override {
    Embeddings out;
    out.dim = static_cast<std::size_t>(shape_.hidden);
    out.data.assign(texts.size() * out.dim, 0.0f);
    const std::string& prefix =
        kind == Kind::kQuery ? settings_.query_prefix : settings_.document_prefix;
    std::vector<Workspace> spaces(resolve_threads(options.threads, texts.size()));
    parallel_for(texts.size(), options.threads, [&](unsigned w, std::size_t i) {
      std::vector<std::int32_t> ids =
          prefix.empty() ? tokenizer_.encode_with_specials(texts[i], max_length_)
                         : tokenizer_.encode_with_specials(prefix + texts[i], max_length_);
      forward(ids, spaces[w], out.data.data() + i * out.dim);
    });
    return out;
  }

  std::size_t dim() const override { return static_cast<std::size_t>(shape_.hidden); }
  const std::string& model_id() const override { return id_; }
  std::string describe() const override {
    return "bert " + std::to_string(shape_.layers) + " layers, " + std::to_string(shape_.hidden) +
           "-d, " + (pooling_ == Pooling::kCls ? "CLS" : "mean") + " pooling, " +
           (int8_ ? "int8" : "fp32") + ", max " + std::to_string(max_length_) + " tokens";
  }

  // Fills one unit vector from the token ids.
  void forward(const std::vector<std::int32_t>& ids, Workspace& ws, float* result) const {
    const int T = static_cast<int>(ids.size());
    const int d = shape_.hidden, I = shape_.intermediate, H = shape_.heads, dh = d / H;
    const std::size_t td = static_cast<std::size_t>(T) * d;
    ws.x.resize(td);
    ws.qkv.resize(td * 3);
    ws.scores.resize(static_cast<std::size_t>(T) * T);
    ws.ctx.resize(td);
    ws.tmp.resize(td);
    ws.inter.resize(static_cast<std::size_t>(T) * I);
    for (int t = 0; t < T; ++t) {
      const float* we = word_.data() + static_cast<std::size_t>(ids[t]) * d;
      const float* pe = position_.data() + static_cast<std::size_t>(t) * d;
      float* x = ws.x.data() + static_cast<std::size_t>(t) * d;
      for (int j = 0; j < d; ++j) x[j] = we[j] + pe[j] + type0_[j];
    }
    kernels::add_layer_norm(ws.x.data(), nullptr, T, d, emb_ln_g_.data(), emb_ln_b_.data(),
                            shape_.eps);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    for (const Layer& l : layers_) {
      apply(l.qkv, ws.x.data(), T, ws.qkv.data(), ws);
      for (int h = 0; h < H; ++h) {
        const float* q = ws.qkv.data() + h * dh;
        const float* k = q + d;
        const float* v = q + 2 * d;
        kernels::gemm_nt(T, T, dh, scale, q, 3 * d, k, 3 * d, ws.scores.data(), T);
        kernels::softmax_rows(ws.scores.data(), T, T, T);
        kernels::gemm_nn(T, dh, T, ws.scores.data(), T, v, 3 * d, ws.ctx.data() + h * dh, d);
      }
      apply(l.attn_out, ws.ctx.data(), T, ws.tmp.data(), ws);
      kernels::add_layer_norm(ws.x.data(), ws.tmp.data(), T, d, l.ln1_g.data(), l.ln1_b.data(),
                              shape_.eps);
      apply(l.inter, ws.x.data(), T, ws.inter.data(), ws);
      kernels::gelu(ws.inter.data(), ws.inter.size());
      apply(l.out, ws.inter.data(), T, ws.tmp.data(), ws);
      kernels::add_layer_norm(ws.x.data(), ws.tmp.data(), T, d, l.ln2_g.data(), l.ln2_b.data(),
                              shape_.eps);
    }
    if (pooling_ == Pooling::kCls) {
      std::memcpy(result, ws.x.data(), static_cast<std::size_t>(d) * sizeof(float));
    } else {
      std::fill(result, result + d, 0.0f);
      for (int t = 0; t < T; ++t) {
        const float* x = ws.x.data() + static_cast<std::size_t>(t) * d;
        for (int j = 0; j < d; ++j) result[j] += x[j];
      }
      for (int j = 0; j < d; ++j) result[j] /= static_cast<float>(T);
    }
    normalize(result, static_cast<std::size_t>(d));
  }

  void apply(const Linear& l, const float* x, int m, float* y, Workspace& ws) const {
    if (int8_) {
      kernels::linear_int8(x, m, l.in, l.q, y, l.out, ws.i8);
    } else {
      kernels::linear_f32(x, m, l.in, l.in, l.w.data(), l.out, l.b.data(), y, l.out);
    }
  }

  BertShape shape_;
  WordPieceTokenizer tokenizer_;
  Settings settings_;
  Pooling pooling_ = Pooling::kCls;
  bool int8_ = false;
  std::size_t max_length_ = 512;
  std::vector<float> word_, position_, type0_, emb_ln_g_, emb_ln_b_;
  std::vector<Layer> layers_;
  std::string id_;
};

Result<BertShape> read_shape(const std::filesystem::path& file) {
  PB_ASSIGN_OR_RETURN(json j, read_json_file(file));
  BertShape s;
  auto get = [&](const char* key, int& out, int lo, int hi) -> Status {
    auto v = json_int(j, key);
    if (!v) return Error::invalid_input(file.string() + ": missing integer \"" + key + "\"");
    if (*v < lo || *v > hi)
      return Error::invalid_input(file.string() + ": \"" + key + "\" out of range");
    out = static_cast<int>(*v);
    return ok_status();
  };
  PB_RETURN_IF_ERROR(get("hidden_size", s.hidden, 1, 16384));
  PB_RETURN_IF_ERROR(get("num_hidden_layers", s.layers, 1, 256));
  PB_RETURN_IF_ERROR(get("num_attention_heads", s.heads, 1, 1024));
  PB_RETURN_IF_ERROR(get("intermediate_size", s.intermediate, 1, 65536));
  PB_RETURN_IF_ERROR(get("max_position_embeddings", s.max_positions, 2, 1 << 20));
  PB_RETURN_IF_ERROR(get("vocab_size", s.vocab, 1, 1 << 24));
  if (j.contains("type_vocab_size"))
    PB_RETURN_IF_ERROR(get("type_vocab_size", s.type_vocab, 1, 1024));
  if (auto eps = json_number(j, "layer_norm_eps")) s.eps = static_cast<float>(*eps);
  if (s.hidden % s.heads != 0)
    return Error::invalid_input(file.string() +
                                ": hidden_size is not a multiple of num_attention_heads");
  std::string act = json_string(j, "hidden_act").value_or("gelu");
  if (act != "gelu")
    return Error::unsupported(file.string() + ": hidden_act '" + act + "' is not supported (gelu)");
  std::string pos = json_string(j, "position_embedding_type").value_or("absolute");
  if (pos != "absolute")
    return Error::unsupported(file.string() + ": position_embedding_type '" + pos +
                              "' is not supported (absolute)");
  return s;
}

// Pooling from the sentence-transformers modules (modules.json -> <path>/config.json).
Result<std::optional<Pooling>> read_pooling(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::path config;
  if (std::filesystem::exists(dir / "modules.json", ec)) {
    PB_ASSIGN_OR_RETURN(std::string text, read_text_file(dir / "modules.json"));
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array())
      return Error::invalid_input((dir / "modules.json").string() + ": not a JSON array");
    for (const json& m : j) {
      if (!m.is_object()) continue;
      std::string type = json_string(m, "type").value_or("");
      if (type.find("Pooling") != std::string::npos)
        config = dir / json_string(m, "path").value_or("1_Pooling") / "config.json";
    }
  } else if (std::filesystem::exists(dir / "1_Pooling" / "config.json", ec)) {
    config = dir / "1_Pooling" / "config.json";
  }
  if (config.empty()) return std::optional<Pooling>();
  PB_ASSIGN_OR_RETURN(json p, read_json_file(config));
  bool cls = json_bool(p, "pooling_mode_cls_token").value_or(false);
  bool mean = json_bool(p, "pooling_mode_mean_tokens").value_or(false);
  for (const char* other : {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                            "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
    if (json_bool(p, other).value_or(false))
      return Error::unsupported(config.string() + ": " + other + " is not supported (CLS or mean)");
  }
  if (cls == mean)
    return Error::unsupported(config.string() + ": exactly one of CLS and mean pooling expected");
  return std::optional<Pooling>(cls ? Pooling::kCls : Pooling::kMean);
}

}  // namespace

Result<std::unique_ptr<Embedder>> load_bert(const std::filesystem::path& dir,
                                            const LoadOptions& options, const Settings& settings) {
  kernels::init_blas();
  auto model = std::make_unique<BertEmbedder>();
  BertEmbedder& m = *model;
  PB_ASSIGN_OR_RETURN(m.shape_, read_shape(dir / "config.json"));
  const BertShape& s = m.shape_;
  PB_ASSIGN_OR_RETURN(m.tokenizer_, WordPieceTokenizer::load_dir(dir));
  if (m.tokenizer_.cls_id() < 0 || m.tokenizer_.sep_id() < 0 || m.tokenizer_.unk_id() < 0)
    return Error::invalid_input(dir.string() + ": the vocabulary lacks [CLS], [SEP] or [UNK]");
  if (m.tokenizer_.vocab_size() > static_cast<std::size_t>(s.vocab))
    return Error::invalid_input(dir.string() + ": the tokenizer has " +
                                std::to_string(m.tokenizer_.vocab_size()) +
                                " tokens but config.json vocab_size is " + std::to_string(s.vocab));
  m.settings_ = settings;
  PB_ASSIGN_OR_RETURN(std::optional<Pooling> pooling, read_pooling(dir));
  m.pooling_ = settings.pooling.value_or(pooling.value_or(Pooling::kCls));
  m.int8_ = options.precision == Precision::kInt8;

  // Max length: the position table, the tokenizer's and sentence-transformers' limits.
  std::size_t max_len = static_cast<std::size_t>(s.max_positions);
  if (auto v = m.tokenizer_.config().model_max_length) max_len = std::min(max_len, *v);
  std::error_code ec;
  if (std::filesystem::exists(dir / "sentence_bert_config.json", ec)) {
    PB_ASSIGN_OR_RETURN(json sb, read_json_file(dir / "sentence_bert_config.json"));
    if (auto v = json_int(sb, "max_seq_length"); v && *v >= 2)
      max_len = std::min(max_len, static_cast<std::size_t>(*v));
  }
  if (settings.max_length) {
    if (*settings.max_length > static_cast<std::size_t>(s.max_positions))
      return Error::invalid_input(
          dir.string() + ": max_length " + std::to_string(*settings.max_length) +
          " exceeds max_position_embeddings " + std::to_string(s.max_positions));
    max_len = *settings.max_length;
  }
  m.max_length_ = max_len;

  const auto file = dir / "model.safetensors";
  PB_ASSIGN_OR_RETURN(auto st, SafeTensors::open(file));
  std::string prefix;
  if (!st->find("embeddings.word_embeddings.weight") &&
      st->find("bert.embeddings.word_embeddings.weight"))
    prefix = "bert.";
  using Shape = std::vector<std::int64_t>;
  const std::int64_t d = s.hidden, I = s.intermediate;
  auto load = [&](const std::string& name, const Shape& shape) {
    return st->read_float(prefix + name, shape);
  };
  PB_ASSIGN_OR_RETURN(m.word_, load("embeddings.word_embeddings.weight", Shape{s.vocab, d}));
  PB_ASSIGN_OR_RETURN(m.position_,
                      load("embeddings.position_embeddings.weight", Shape{s.max_positions, d}));
  PB_ASSIGN_OR_RETURN(std::vector<float> types,
                      load("embeddings.token_type_embeddings.weight", Shape{s.type_vocab, d}));
  m.type0_.assign(types.begin(), types.begin() + d);
  PB_ASSIGN_OR_RETURN(m.emb_ln_g_, load("embeddings.LayerNorm.weight", Shape{d}));
  PB_ASSIGN_OR_RETURN(m.emb_ln_b_, load("embeddings.LayerNorm.bias", Shape{d}));

  auto linear = [&](const std::vector<std::string>& names, std::int64_t out, std::int64_t in,
                    Linear& l) -> Status {
    l.in = static_cast<int>(in);
    l.out = static_cast<int>(out * static_cast<std::int64_t>(names.size()));
    for (const std::string& n : names) {
      PB_ASSIGN_OR_RETURN(std::vector<float> w, load(n + ".weight", Shape{out, in}));
      PB_ASSIGN_OR_RETURN(std::vector<float> b, load(n + ".bias", Shape{out}));
      l.w.insert(l.w.end(), w.begin(), w.end());
      l.b.insert(l.b.end(), b.begin(), b.end());
    }
    if (m.int8_) {
      l.q = kernels::quantize_linear(l.w.data(), l.out, l.in, l.b.data());
      l.w = {};
      l.b = {};
    }
    return ok_status();
  };
  m.layers_.resize(static_cast<std::size_t>(s.layers));
  for (int i = 0; i < s.layers; ++i) {
    Layer& l = m.layers_[static_cast<std::size_t>(i)];
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    PB_RETURN_IF_ERROR(
        linear({p + "attention.self.query", p + "attention.self.key", p + "attention.self.value"},
               d, d, l.qkv));
    PB_RETURN_IF_ERROR(linear({p + "attention.output.dense"}, d, d, l.attn_out));
    PB_RETURN_IF_ERROR(linear({p + "intermediate.dense"}, I, d, l.inter));
    PB_RETURN_IF_ERROR(linear({p + "output.dense"}, d, I, l.out));
    PB_ASSIGN_OR_RETURN(l.ln1_g, load(p + "attention.output.LayerNorm.weight", Shape{d}));
    PB_ASSIGN_OR_RETURN(l.ln1_b, load(p + "attention.output.LayerNorm.bias", Shape{d}));
    PB_ASSIGN_OR_RETURN(l.ln2_g, load(p + "output.LayerNorm.weight", Shape{d}));
    PB_ASSIGN_OR_RETURN(l.ln2_b, load(p + "output.LayerNorm.bias", Shape{d}));
  }

  ContentHash hash;
  for (const char* f : {"config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                        "modules.json", "sentence_bert_config.json"})
    PB_RETURN_IF_ERROR(hash.add_file(dir / f));
  auto bytes = st->file_bytes();
  hash.add({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  hash.add(std::string("bert;pool=") + (m.pooling_ == Pooling::kCls ? "cls" : "mean") +
           ";q=" + settings.query_prefix + ";d=" + settings.document_prefix +
           ";max=" + std::to_string(max_len) + (m.int8_ ? ";int8" : ";fp32"));
  m.id_ = hash.id(dir);
  return std::unique_ptr<Embedder>(std::move(model));
}

}  // namespace pb::embed::detail
