// WordPiece rules on a hand-made vocabulary, and the numeric kernels of the BERT encoder.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "embed/kernels.hpp"
#include "embed/tokenizer.hpp"

namespace pb::embed {
namespace {

WordPieceTokenizer make_tokenizer(WordPieceConfig config = {}) {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un",  "##aff", "##able",
                                    "aff",   "able",  "a",     "##a",   ",",   "-",     "cafe",
                                    "naive", "中",    "文",    "Cafe",  "##é", "caf"};
  auto t = WordPieceTokenizer::from_vocab(vocab, std::move(config));
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

std::vector<std::string> tokens(const WordPieceTokenizer& t, std::string_view text,
                                std::size_t max = 1000, bool drop_unknown = false) {
  std::vector<std::string> out;
  for (auto id : t.encode(text, max, drop_unknown)) out.push_back(t.token(id));
  return out;
}

using V = std::vector<std::string>;

TEST(WordPiece, GreedyLongestMatchFirst) {
  auto t = make_tokenizer();
  EXPECT_EQ(tokens(t, "unaffable"), (V{"un", "##aff", "##able"}));
  EXPECT_EQ(tokens(t, "UnAffable, un-aff"), (V{"un", "##aff", "##able", ",", "un", "-", "aff"}));
  EXPECT_EQ(tokens(t, "unknownword a"), (V{"[UNK]", "a"}));
  EXPECT_EQ(tokens(t, "unknownword a", 1000, true), (V{"a"}));
  EXPECT_EQ(tokens(t, "Café NAÏVE 中文"), (V{"cafe", "naive", "中", "文"}));
  EXPECT_EQ(tokens(t, "中文"), (V{"中", "文"}));  // CJK characters are words of their own
  EXPECT_EQ(tokens(t, ""), V{});
  EXPECT_EQ(tokens(t, " \t\n "), V{});
}

TEST(WordPiece, MaxCharsPerWordAndTruncation) {
  auto t = make_tokenizer();
  EXPECT_EQ(tokens(t, std::string(100, 'a')).size(), 100u);  // a ##a ##a ...
  EXPECT_EQ(tokens(t, std::string(101, 'a')), V{"[UNK]"});
  EXPECT_EQ(tokens(t, "unaffable unaffable", 4), (V{"un", "##aff", "##able", "un"}));
  auto with = t.encode_with_specials("unaffable unaffable", 5);
  EXPECT_EQ(with.size(), 5u);
  EXPECT_EQ(with.front(), t.cls_id());
  EXPECT_EQ(with.back(), t.sep_id());
  EXPECT_EQ(t.encode_with_specials("", 5).size(), 2u);
}

TEST(WordPiece, CaseAndAccentSettings) {
  WordPieceConfig cased;
  cased.lowercase = false;
  auto t = make_tokenizer(cased);  // strip_accents follows lowercase: off
  EXPECT_EQ(tokens(t, "Café"), V{"[UNK]"});
  WordPieceConfig strip_only = cased;
  strip_only.strip_accents = true;
  auto s = make_tokenizer(strip_only);
  EXPECT_EQ(tokens(s, "Café"), (V{"Cafe"}));
  WordPieceConfig lower_keep;
  lower_keep.strip_accents = false;
  auto k = make_tokenizer(lower_keep);
  EXPECT_EQ(tokens(k, "CAFÉ"), (V{"caf", "##é"}));
}

TEST(Kernels, ErfAndExpApproximations) {
  double erf_err = 0, exp_err = 0;
  for (float x = -6; x < 6; x += 1e-3f)
    erf_err = std::max(erf_err, std::fabs(kernels::erf_approx(x) - std::erf(double{x})));
  for (float x = -80; x < 80; x += 1e-2f) {
    double e = std::exp(double{x});
    exp_err = std::max(exp_err, std::fabs(kernels::exp_approx(x) - e) / e);
  }
  EXPECT_LT(erf_err, 5e-7);
  EXPECT_LT(exp_err, 2e-7);
}

TEST(Kernels, Int8LinearMatchesScalarAndApproximatesFp32) {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto [m, k, n] : {std::tuple{1, 4, 16}, {7, 30, 33}, {13, 64, 96}, {6, 384, 64}}) {
    std::vector<float> x(static_cast<std::size_t>(m) * k), w(static_cast<std::size_t>(n) * k), b(n);
    for (auto& v : x) v = nd(rng);
    for (auto& v : w) v = nd(rng) * 0.1f;
    for (auto& v : b) v = nd(rng);
    auto q = kernels::quantize_linear(w.data(), n, k, b.data(), /*keep_dequantized=*/true);
    std::vector<float> y_simd(static_cast<std::size_t>(m) * n), y_scalar(y_simd.size()),
        y_blas(y_simd.size()), y_f32(y_simd.size());
    kernels::Int8Scratch s;
    // kVnni falls back to the portable kernel on CPUs without AVX-512 VNNI.
    kernels::linear_int8(x.data(), m, k, q, y_simd.data(), n, s, kernels::Int8Kernel::kVnni);
    kernels::linear_int8(x.data(), m, k, q, y_scalar.data(), n, s, kernels::Int8Kernel::kPortable);
    kernels::linear_int8(x.data(), m, k, q, y_blas.data(), n, s,
                         kernels::Int8Kernel::kDequantizedBlas);
    kernels::linear_f32(x.data(), m, k, k, w.data(), n, b.data(), y_f32.data(), n);
    double err = 0, mag = 0;
    for (std::size_t i = 0; i < y_f32.size(); ++i) {
      ASSERT_NEAR(y_simd[i], y_scalar[i], 1e-4f * (1 + std::fabs(y_scalar[i]))) << i;
      ASSERT_NEAR(y_blas[i], y_scalar[i], 1e-4f * (1 + std::fabs(y_scalar[i]))) << i;
      err += (y_simd[i] - y_f32[i]) * (y_simd[i] - y_f32[i]);
      mag += y_f32[i] * y_f32[i];
    }
    EXPECT_LT(std::sqrt(err / mag), 0.02) << m << "x" << k << "x" << n;
  }
}

TEST(Kernels, SoftmaxAndLayerNorm) {
  std::vector<float> x = {1, 2, 3, 1000, 1000, 1000};
  kernels::softmax_rows(x.data(), 2, 3, 3);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0, 1e-6);
  EXPECT_NEAR(x[2] / x[1], std::exp(1.0), 1e-5);
  EXPECT_NEAR(x[3], 1.0 / 3, 1e-6);
  std::vector<float> y = {1, 2, 3, 4}, g = {1, 1, 1, 1}, b = {0, 0, 0, 0};
  kernels::add_layer_norm(y.data(), nullptr, 1, 4, g.data(), b.data(), 1e-12f);
  EXPECT_NEAR(y[0], -1.3416408, 1e-5);
  EXPECT_NEAR(y[3], 1.3416408, 1e-5);
}

TEST(Kernels, VectorAndPortableElementwiseAgree) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (int n : {1, 7, 8, 9, 33, 384}) {
    const int m = 3;
    std::vector<float> x(static_cast<std::size_t>(m) * n), r(x.size()), g(n), b(n);
    for (auto& v : x) v = nd(rng);
    for (auto& v : r) v = nd(rng);
    for (auto& v : g) v = nd(rng);
    for (auto& v : b) v = nd(rng);
    auto a = x, c = x;
    kernels::gelu(a.data(), a.size(), true);
    kernels::gelu(c.data(), c.size(), false);
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_NEAR(a[i], c[i], 1e-5f * (1 + std::fabs(c[i])));
    a = x, c = x;
    kernels::softmax_rows(a.data(), m, n, n, true);
    kernels::softmax_rows(c.data(), m, n, n, false);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], c[i], 1e-6f) << n;
    a = x, c = x;
    kernels::add_layer_norm(a.data(), r.data(), m, n, g.data(), b.data(), 1e-12f, true);
    kernels::add_layer_norm(c.data(), r.data(), m, n, g.data(), b.data(), 1e-12f, false);
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_NEAR(a[i], c[i], 1e-4f * (1 + std::fabs(c[i])));
  }
}

TEST(WordPiece, RandomBytesNeverCrash) {
  auto t = make_tokenizer();
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    auto ids = t.encode(s, 16);
    EXPECT_LE(ids.size(), 16u);
    for (auto id : ids) EXPECT_LT(static_cast<std::size_t>(id), t.vocab_size());
  }
}

}  // namespace
}  // namespace pb::embed
