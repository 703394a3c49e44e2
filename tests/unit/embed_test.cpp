// Embedders against an independent reference: tests/embed/make_models.py writes small random
// models in the Hugging Face layouts plus the token ids and vectors its own Python tokenizer
// and float64 forward pass produce; paperboy must agree (ids identical, vectors to 1e-4).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "embed/embedder.hpp"
#include "embed/tokenizer.hpp"

namespace pb::embed {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pb::testing::TempDir;

std::string python() {
  if (const char* p = std::getenv("PB_PYTHON")) return p;
  return "/usr/bin/python3";
}

// Runs the generator once for the whole suite.
class EmbedReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const fs::path script = pb::testing::source_dir() / "tests" / "embed" / "make_models.py";
    if (!fs::exists(python())) {
      skip_ = python() + " not found (install python3-torch and python3-numpy from Debian)";
      return;
    }
    std::string cmd = python() + " '" + script.string() + "' '" + dir_->path().string() + "'";
    int rc = std::system(cmd.c_str());
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
      skip_ = "torch or numpy missing for " + python() +
              " (apt-get install python3-torch python3-numpy)";
      return;
    }
    if (rc != 0) {
      error_ = "make_models.py failed: " + cmd;
      return;
    }
    expected_ = new json(json::parse(pb::testing::read_file(dir_->path() / "expected.json")));
    for (const auto& t : (*expected_)["texts"]) texts_.push_back(t.get<std::string>());
  }
  static void TearDownTestSuite() {
    delete expected_;
    expected_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(error_.empty()) << error_;
  }

  static fs::path model_dir(const std::string& name) { return dir_->path() / name; }
  static const json& model(const std::string& name) { return (*expected_)["models"][name]; }

  static std::unique_ptr<Embedder> load(const std::string& name, LoadOptions options = {}) {
    auto m = load_model(model_dir(name), options);
    EXPECT_TRUE(m.ok()) << m.error().message();
    return m.ok() ? std::move(m).value() : nullptr;
  }

  // Compares every vector with the reference, to `tol` per component.
  static void expect_vectors(const std::string& name, const Embeddings& got, const char* kind,
                             double tol) {
    const json& want = model(name)[kind];
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(want[i].size(), got.dim);
      double worst = 0;
      for (std::size_t j = 0; j < got.dim; ++j)
        worst = std::max(worst, std::fabs(got.row(i)[j] - want[i][j].get<double>()));
      EXPECT_LE(worst, tol) << name << " " << kind << " text " << i << ": " << texts_[i];
    }
  }

  static void expect_ids(const std::string& name, const WordPieceTokenizer& tok, bool specials) {
    const json& want = model(name)["ids"];
    const auto max_length = model(name)["max_length"].get<std::size_t>();
    for (std::size_t i = 0; i < texts_.size(); ++i) {
      std::vector<std::int32_t> got = specials ? tok.encode_with_specials(texts_[i], max_length)
                                               : tok.encode(texts_[i], max_length, true);
      std::vector<std::int32_t> expected = want[i].get<std::vector<std::int32_t>>();
      if (got != expected) {
        std::string g, e;
        for (auto id : got) g += tok.token(id) + " ";
        for (auto id : expected) e += tok.token(id) + " ";
        ADD_FAILURE() << name << " text " << i << " \"" << texts_[i] << "\"\n got: " << g
                      << "\nwant: " << e;
      }
    }
  }

  static TempDir* dir_;
  static json* expected_;
  static std::vector<std::string> texts_;
  static std::string skip_;
  static std::string error_;
};

TempDir* EmbedReference::dir_ = nullptr;
json* EmbedReference::expected_ = nullptr;
std::vector<std::string> EmbedReference::texts_;
std::string EmbedReference::skip_;
std::string EmbedReference::error_;

TEST_F(EmbedReference, TokenIdsMatchFromTokenizerJson) {
  // bert_mean: tokenizer.json (uncased, accents stripped); bert_cased: tokenizer.json only.
  for (const char* name : {"bert_mean", "bert_cased"}) {
    auto tok = WordPieceTokenizer::load_dir(model_dir(name));
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    expect_ids(name, *tok, true);
  }
}

TEST_F(EmbedReference, TokenIdsMatchFromVocabTxt) {
  // bert_cls: vocab.txt + tokenizer_config.json (do_lower_case, strip_accents false).
  auto tok = WordPieceTokenizer::load_dir(model_dir("bert_cls"));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  EXPECT_TRUE(tok->config().lowercase);
  EXPECT_EQ(tok->config().strip_accents, false);
  expect_ids("bert_cls", *tok, true);
  // bert_mean without its tokenizer.json: vocab.txt + tokenizer_config.json (do_lower_case,
  // strip_accents unset so it follows lower-casing) must give the tokenizer.json ids.
  TempDir tmp;
  fs::copy(model_dir("bert_mean"), tmp.path(), fs::copy_options::recursive);
  fs::remove(tmp / "tokenizer.json");
  auto from_txt = WordPieceTokenizer::load_dir(tmp.path());
  ASSERT_TRUE(from_txt.ok()) << from_txt.error().message();
  expect_ids("bert_mean", *from_txt, true);
}

TEST_F(EmbedReference, TokenIdsMatchForModel2Vec) {
  auto tok = WordPieceTokenizer::from_tokenizer_json(model_dir("m2v") / "tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  expect_ids("m2v", *tok, false);
}

TEST_F(EmbedReference, LongInputsAreTruncatedAtMaxLength) {
  auto m = load("bert_mean");
  ASSERT_TRUE(m);
  EXPECT_NE(m->describe().find("max 40 tokens"), std::string::npos) << m->describe();
  const json& ids = model("bert_mean")["ids"];
  EXPECT_EQ(ids[ids.size() - 1].size(), 40u);
}

TEST_F(EmbedReference, BertMeanPoolingFp32MatchesReference) {
  auto m = load("bert_mean");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dim(), 32u);
  auto q = m->embed(texts_, Kind::kQuery);
  ASSERT_TRUE(q.ok());
  expect_vectors("bert_mean", *q, "query", 1e-4);
}

TEST_F(EmbedReference, BertClsPoolingBf16MatchesReference) {
  auto m = load("bert_cls");
  ASSERT_TRUE(m);
  EXPECT_NE(m->describe().find("CLS"), std::string::npos);
  auto d = m->embed(texts_, Kind::kDocument);
  ASSERT_TRUE(d.ok());
  expect_vectors("bert_cls", *d, "document", 1e-4);
}

TEST_F(EmbedReference, BertCasedF16WithPrefixesMatchesReference) {
  auto m = load("bert_cased");
  ASSERT_TRUE(m);
  auto q = m->embed(texts_, Kind::kQuery);
  auto d = m->embed(texts_, Kind::kDocument);
  ASSERT_TRUE(q.ok() && d.ok());
  expect_vectors("bert_cased", *q, "query", 1e-4);
  expect_vectors("bert_cased", *d, "document", 1e-4);
  // Prefixes from LoadOptions override paperboy.json.
  LoadOptions o;
  o.query_prefix = "passage: ";
  auto m2 = load("bert_cased", o);
  ASSERT_TRUE(m2);
  auto q2 = m2->embed(texts_, Kind::kQuery);
  ASSERT_TRUE(q2.ok());
  expect_vectors("bert_cased", *q2, "document", 1e-4);
  EXPECT_NE(m->model_id(), m2->model_id());
}

TEST_F(EmbedReference, Model2VecMatchesReference) {
  auto m = load("m2v");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dim(), 24u);
  auto q = m->embed(texts_, Kind::kQuery);
  ASSERT_TRUE(q.ok());
  expect_vectors("m2v", *q, "query", 1e-5);
  // The empty text has no token: the zero vector.
  for (float v : q->row(0)) EXPECT_EQ(v, 0.0f);
}

double cosine(std::span<const float> a, const json& b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t j = 0; j < a.size(); ++j) {
    double y = b[j].get<double>();
    dot += a[j] * y;
    na += static_cast<double>(a[j]) * a[j];
    nb += y * y;
  }
  return dot / std::sqrt(na * nb);
}

TEST_F(EmbedReference, Int8IsCloseToFp32) {
  for (const char* name : {"bert_mean", "bert_cls", "bert_cased"}) {
    LoadOptions o;
    o.precision = Precision::kInt8;
    auto m = load(name, o);
    ASSERT_TRUE(m);
    EXPECT_NE(m->describe().find("int8"), std::string::npos);
    auto d = m->embed(texts_, Kind::kDocument);
    ASSERT_TRUE(d.ok());
    double worst = 1;
    for (std::size_t i = 0; i < d->size(); ++i)
      worst = std::min(worst, cosine(d->row(i), model(name)["document"][i]));
    EXPECT_GE(worst, 0.99) << name;
    auto fp32 = load(name);
    ASSERT_TRUE(fp32);
    EXPECT_NE(m->model_id(), fp32->model_id());
  }
}

TEST_F(EmbedReference, ThreadsGiveIdenticalVectors) {
  for (auto [name, precision] :
       {std::pair{"bert_mean", Precision::kFloat32}, std::pair{"bert_mean", Precision::kInt8},
        std::pair{"m2v", Precision::kFloat32}}) {
    LoadOptions o;
    o.precision = precision;
    auto m = load(name, o);
    ASSERT_TRUE(m);
    std::vector<std::string> many;
    for (int r = 0; r < 5; ++r) many.insert(many.end(), texts_.begin(), texts_.end());
    auto one = m->embed(many, Kind::kDocument, {.threads = 1});
    auto all = m->embed(many, Kind::kDocument, {.threads = 4});
    ASSERT_TRUE(one.ok() && all.ok());
    EXPECT_EQ(one->data, all->data) << name;
    auto single = m->embed_one(texts_[2], Kind::kDocument);
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(*single, std::vector<float>(one->row(2).begin(), one->row(2).end()));
  }
}

TEST_F(EmbedReference, PoolingOverrideAndModelId) {
  auto mean = load("bert_mean");
  LoadOptions o;
  o.pooling = Pooling::kCls;
  auto cls = load("bert_mean", o);
  ASSERT_TRUE(mean && cls);
  EXPECT_NE(mean->model_id(), cls->model_id());
  auto a = mean->embed_one("stable processes", Kind::kQuery);
  auto b = cls->embed_one("stable processes", Kind::kQuery);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  // Same directory, same settings: same id ("<dir>@<16 hex>").
  auto again = load("bert_mean");
  EXPECT_EQ(mean->model_id(), again->model_id());
  EXPECT_TRUE(mean->model_id().starts_with("bert_mean@"));
  EXPECT_EQ(mean->model_id().size(), std::string("bert_mean@").size() + 16);
}

TEST_F(EmbedReference, InvalidUtf8AndHugeInputsDoNotCrash) {
  auto m = load("bert_mean");
  auto s = load("m2v");
  ASSERT_TRUE(m && s);
  std::vector<std::string> texts = {std::string("\xff\xfe\xc3", 3), std::string("a\0b", 3),
                                    std::string(200000, 'x'), std::string(100000, '!')};
  for (const auto* e : {m.get(), s.get()}) {
    auto r = e->embed(texts, Kind::kDocument);
    ASSERT_TRUE(r.ok());
    for (float v : r->data) EXPECT_TRUE(std::isfinite(v));
  }
}

// --- bad model directories: an error value with a one-line message, never a crash ---------

void copy_dir(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

void expect_error(const fs::path& dir, const std::string& fragment) {
  auto m = load_model(dir);
  ASSERT_FALSE(m.ok()) << dir;
  const std::string& msg = m.error().message();
  EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(EmbedReference, BadModelDirectoriesGiveErrors) {
  TempDir tmp;
  expect_error(tmp / "missing", "does not exist");
  expect_error(tmp.path(), "config.json");

  auto fresh = [&](const std::string& name, const std::string& from = "bert_mean") {
    fs::path d = tmp / name;
    copy_dir(model_dir(from), d);
    return d;
  };
  auto edit_json = [](const fs::path& file, const std::function<void(json&)>& f) {
    json j = json::parse(pb::testing::read_file(file));
    f(j);
    pb::testing::write_file(file, j.dump());
  };

  fs::path d = fresh("badjson");
  pb::testing::write_file(d / "config.json", "{\"model_type\": \"bert\", ");
  expect_error(d, "invalid JSON");

  d = fresh("roberta");
  edit_json(d / "config.json", [](json& j) { j["model_type"] = "roberta"; });
  expect_error(d, "not supported");

  d = fresh("noweights");
  fs::remove(d / "model.safetensors");
  expect_error(d, "model.safetensors");

  d = fresh("truncated");
  {
    auto size = fs::file_size(d / "model.safetensors");
    fs::resize_file(d / "model.safetensors", size - 100);
  }
  expect_error(d, "truncated");

  d = fresh("garbage");
  pb::testing::write_file(d / "model.safetensors", std::string(4096, '\x7f'));
  expect_error(d, "invalid safetensors");

  d = fresh("shape");
  edit_json(d / "config.json", [](json& j) { j["hidden_size"] = 64; });
  expect_error(d, "shape");

  d = fresh("heads");
  edit_json(d / "config.json", [](json& j) { j["num_attention_heads"] = 5; });
  expect_error(d, "multiple");

  d = fresh("missingkey");
  edit_json(d / "config.json", [](json& j) { j.erase("num_hidden_layers"); });
  expect_error(d, "num_hidden_layers");

  d = fresh("typed");
  edit_json(d / "config.json", [](json& j) { j["hidden_size"] = "32"; });
  expect_error(d, "hidden_size");

  d = fresh("act");
  edit_json(d / "config.json", [](json& j) { j["hidden_act"] = "relu"; });
  expect_error(d, "hidden_act");

  d = fresh("maxpool");
  edit_json(d / "1_Pooling" / "config.json", [](json& j) { j["pooling_mode_max_tokens"] = true; });
  expect_error(d, "pooling_mode_max_tokens");

  d = fresh("bpe");
  edit_json(d / "tokenizer.json", [](json& j) { j["model"]["type"] = "BPE"; });
  expect_error(d, "BPE");

  d = fresh("badtok");
  pb::testing::write_file(d / "tokenizer.json", "[1, 2");
  expect_error(d, "tokenizer.json");

  d = fresh("notok");
  fs::remove(d / "tokenizer.json");
  fs::remove(d / "vocab.txt");
  expect_error(d, "vocab.txt");

  d = fresh("nocls", "bert_cls");
  pb::testing::write_file(d / "vocab.txt", "[PAD]\n[UNK]\na\nb\n");
  expect_error(d, "[CLS]");

  d = fresh("badprefix");
  pb::testing::write_file(d / "paperboy.json", "{\"pooling\": \"max\"}");
  expect_error(d, "pooling");

  d = fresh("m2v_mapping", "m2v");
  {
    // A model2vec file with a vocabulary-quantisation mapping: recognised and refused.
    std::string header = R"({"embeddings":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},)"
                         R"("mapping":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}})";
    std::string file(8, '\0');
    for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    file += header + std::string(12, '\0');
    pb::testing::write_file(d / "model.safetensors", file);
  }
  expect_error(d, "mapping");

  d = fresh("m2v_small", "m2v");
  {
    std::string header = R"({"embeddings":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
    std::string file(8, '\0');
    file[0] = static_cast<char>(header.size());
    file += header + std::string(16, '\0');
    pb::testing::write_file(d / "model.safetensors", file);
  }
  expect_error(d, "rows");
}

}  // namespace
}  // namespace pb::embed
