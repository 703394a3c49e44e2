#include "text/analyzer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../test_support.hpp"
#include "core/utf8.hpp"

namespace pb::text {
namespace {

// The tokens as one line: terms in order, a joined form marked with '+' ("gpt 4 +gpt4").
std::string describe(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& token : tokens) {
    if (!out.empty()) out += ' ';
    if (token.joined) out += '+';
    out += token.term;
  }
  return out;
}

std::string analyze(Analyzer& analyzer, std::string_view text) {
  std::vector<Token> tokens;
  analyzer.analyze(text, tokens);
  return describe(tokens);
}

// One input and its tokens: a new rule or a regression needs only a new row.
struct Case {
  std::string_view input;
  std::string_view expected;
};

// Shown by GoogleTest when a case fails, instead of a byte dump.
void PrintTo(const Case& c, std::ostream* os) { *os << '"' << c.input << '"'; }

// With the default options (stemming on).
const std::vector<Case> kCases = {
    // The header's examples.
    {"GPT-4", "gpt 4 +gpt4"},
    {"GPT4", "gpt4"},
    {"GPT 4", "gpt 4"},
    {"R2D2", "r2d2"},
    {"3D", "3d"},
    {"BERT", "bert"},
    {"k-means", "k mean +kmean"},
    {"kmeans", "kmean"},
    {"Llama-3.1-8B", "llama 3.1 8b +llama3.18b"},
    {"O(n log n)", "o n log n"},
    // Decimals and dotted compounds.
    {"3.1", "3.1"},
    {"version 2.0.", "version 2.0"},
    {"192.168.0.1", "192.168.0.1"},
    {"-3.5", "3.5"},
    {"1e-5", "1e 5 +1e5"},
    {"e.g. this", "e g +eg this"},
    {"U.S.A.", "u s a +usa"},
    {"arXiv:2401.12345v2", "arxiv 2401.12345v2"},
    {"Sec.3.2", "sec 3.2 +sec3.2"},
    {"end... next", "end next"},
    // Only a single joiner between word characters joins.
    {"a--b", "a b"},
    {"a - b", "a b"},
    {"x-", "x"},
    {"-x", "x"},
    {"self\u2010attention", "self attent +selfattent"},  // U+2010 HYPHEN
    {"pre\u2011training", "pre train +pretrain"},        // U+2011 NON-BREAKING HYPHEN
    {"Bose\u2013Einstein", "bose einstein"},             // an en dash separates
    {"state-of-the-art", "state of the art +stateoftheart"},
    // The joined form is the solid spelling's term, not the parts' stems concatenated.
    {"fine-tuning finetuning", "fine tune +finetun finetun"},
    {"multi-head multihead", "multi head +multihead multihead"},
    // Stemming (Porter2); tokens with digits are not stemmed.
    {"transformers", "transform"},
    {"learning", "learn"},
    {"studies", "studi"},
    {"Learning Transformers", "learn transform"},
    {"layers2", "layers2"},
    // Apostrophes.
    {"model's", "model"},
    {"the models' outputs", "the model output"},
    {"don't", "dont"},
    {"O'Brien", "obrien"},
    {"it\u2019s", "it"},  // right single quotation mark
    {"\u2018quoted\u2019 word", "quot word"},
    {"GPT-4's", "gpt 4 +gpt4"},
    {"'tis", "tis"},
    // Separators.
    {"snake_case", "snake case"},
    {"a/b", "a b"},
    {"x+y=z", "x y z"},
    {"", ""},
    {"  \t\n ", ""},
    // CJK ideographs are one token each; kana and Hangul runs stay words.
    {"\u6df1\u5ea6\u5b66\u4e60", "\u6df1 \u5ea6 \u5b66 \u4e60"},
    {"GPT\u6a21\u578b", "gpt \u6a21 \u578b"},
    {"\u30c8\u30e9\u30f3\u30b9\u30d5\u30a9\u30fc\u30de\u30fc",
     "\u30c8\u30e9\u30f3\u30b9\u30d5\u30a9\u30fc\u30de\u30fc"},
    {"\ud55c\uad6d\uc5b4", "\ud55c\uad6d\uc5b4"},
    // Invalid UTF-8 bytes separate.
    {"ab\xff"
     "cd",
     "ab cd"},
    {"caf\xc3", "caf"},
    {"\xc3\x28"
     "x",
     "x"},
    {"\xed\xa0\x80word", "word"},  // an encoded surrogate
};

class AnalyzerCases : public ::testing::TestWithParam<Case> {};

TEST_P(AnalyzerCases, Tokens) {
  Analyzer analyzer;
  EXPECT_EQ(analyze(analyzer, GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Analyzer, AnalyzerCases, ::testing::ValuesIn(kCases));

// Without stemming, to see folding alone.
const std::vector<Case> kFoldingCases = {
    {"Schrödinger", "schrodinger"},
    {"Schro\u0308dinger", "schrodinger"},  // decomposed ö
    {"Erdős", "erdos"},
    {"naïve", "naive"},
    {"\ufb01ne", "fine"},  // the ﬁ ligature
    {"café CAFÉ", "cafe cafe"},
    {"Straße STRAẞE", "strasse strasse"},
    {"Øresund øre", "oresund ore"},
    {"Łódź", "lodz"},
    {"Æther œuvre Œuvre", "aether oeuvre oeuvre"},
    {"Þór", "thor"},
    {"Đorđe", "dorde"},
    {"İstanbul", "istanbul"},
    {"Ångström \u212b", "angstrom a"},  // U+212B ANGSTROM SIGN
    {"ＢＥＲＴ", "bert"},               // full-width
    {"H₂O x²", "h2o x2"},
    {"soft\u00adware", "software"},  // a soft hyphen inside a word is invisible
    {"zero\u200bwidth", "zerowidth"},
    // Greek stays Greek, lower case, without accents; final sigma folds to sigma.
    {"α-helix", "α helix +αhelix"},
    {"ΑΛΦΑ", "αλφα"},
    {"Σίσυφος", "σισυφοσ"},
    {"µ-law", "μ law +μlaw"},  // U+00B5 MICRO SIGN is Greek mu
    {"Москва Ёж", "москва еж"},
    // Ideographs fold too: a CJK compatibility ideograph becomes the unified one.
    {"\uf900", "\u8c48"},
    // A lone combining mark is no token, and does not take a position.
    {"\u0301 word", "word"},
};

class AnalyzerFoldingCases : public ::testing::TestWithParam<Case> {};

TEST_P(AnalyzerFoldingCases, Tokens) {
  Analyzer analyzer({.stem = false});
  EXPECT_EQ(analyze(analyzer, GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Analyzer, AnalyzerFoldingCases, ::testing::ValuesIn(kFoldingCases));

TEST(AnalyzerTest, FoldedSpellingsAreEqual) {
  Analyzer analyzer;
  EXPECT_EQ(analyzer.normalize_word("Schrödinger"), analyzer.normalize_word("schrodinger"));
  EXPECT_EQ(analyzer.normalize_word("Erdős"), analyzer.normalize_word("Erdos"));
  EXPECT_EQ(analyzer.normalize_word("naïve"), analyzer.normalize_word("naive"));
  EXPECT_EQ(analyzer.normalize_word("\ufb01ne-tuning"), analyzer.normalize_word("finetuning"));
  EXPECT_EQ(analyzer.normalize_word("GPT-4"), analyzer.normalize_word("gpt4"));
  EXPECT_EQ(analyzer.normalize_word("k-means"), analyzer.normalize_word("KMeans"));
}

TEST(AnalyzerTest, NormalizeWord) {
  Analyzer analyzer;
  EXPECT_EQ(analyzer.normalize_word("Transformers"), "transform");
  EXPECT_EQ(analyzer.normalize_word("3.1"), "3.1");
  EXPECT_EQ(analyzer.normalize_word("model's"), "model");
  EXPECT_EQ(analyzer.normalize_word("Llama-3.1-8B"), "llama3.18b");
  EXPECT_EQ(analyzer.normalize_word(""), "");
  EXPECT_EQ(analyzer.normalize_word("--"), "");
  Analyzer unstemmed({.stem = false});
  EXPECT_EQ(unstemmed.normalize_word("Transformers"), "transformers");
}

TEST(AnalyzerTest, Terms) {
  Analyzer analyzer;
  EXPECT_EQ(analyzer.terms("GPT-4 learns"),
            (std::vector<std::string>{"gpt", "4", "gpt4", "learn"}));
  EXPECT_TRUE(analyzer.terms("").empty());
}

TEST(AnalyzerTest, Positions) {
  Analyzer analyzer;
  std::vector<Token> tokens;
  EXPECT_EQ(analyzer.analyze("GPT-4 is a Llama-3.1-8B rival", tokens), 8u);
  ASSERT_EQ(describe(tokens), "gpt 4 +gpt4 is a llama 3.1 8b +llama3.18b rival");
  const std::uint32_t expected[] = {0, 1, 0, 2, 3, 4, 5, 6, 4, 7};
  ASSERT_EQ(tokens.size(), std::size(expected));
  for (size_t k = 0; k < tokens.size(); ++k) {
    EXPECT_EQ(tokens[k].position, expected[k]) << tokens[k].term;
    EXPECT_EQ(tokens[k].joined, tokens[k].term == "gpt4" || tokens[k].term == "llama3.18b");
  }
}

TEST(AnalyzerTest, PositionsContinueFromFirstPosition) {
  Analyzer analyzer;
  std::vector<Token> tokens;
  std::uint32_t next = analyzer.analyze("deep learning", tokens, 10);
  EXPECT_EQ(next, 12u);
  next = analyzer.analyze("\u6df1\u5ea6 x-y", tokens, next + 1);  // a gap between fields
  EXPECT_EQ(next, 17u);
  ASSERT_EQ(tokens.size(), 7u);  // appended, not replaced
  EXPECT_EQ(tokens[0].position, 10u);
  EXPECT_EQ(tokens[2].position, 13u);
  EXPECT_EQ(tokens[6].position, 15u);  // the joined xy
  EXPECT_EQ(analyzer.analyze("", tokens, 42), 42u);
}

TEST(AnalyzerTest, ByteOffsets) {
  Analyzer analyzer;
  const std::string text = "Naïve GPT-4's \u6df1\u5ea6 model\u2019s   3.1-8B (O(n)) don't";
  std::vector<Token> tokens;
  analyzer.analyze(text, tokens);
  std::vector<std::string> sources;
  for (const Token& token : tokens) {
    ASSERT_LE(token.begin, token.end);
    ASSERT_LE(token.end, text.size());
    sources.emplace_back(text.substr(token.begin, token.end - token.begin));
  }
  EXPECT_EQ(sources,
            (std::vector<std::string>{"Naïve", "GPT", "4's", "GPT-4's", "\u6df1", "\u5ea6",
                                      "model\u2019s", "3.1", "8B", "3.1-8B", "O", "n", "don't"}));
}

// Re-analysing a token's source text gives the token back: offsets, folding and compounds
// agree on random text made of the interesting pieces.
TEST(AnalyzerTest, SourceOfEveryTokenAnalysesToIt) {
  const std::vector<std::string> pieces = {
      "GPT",  "-",    "4", ".",      "3",        "'s",  "don't", " ",      " ",      "model",
      "é",    "Ø",    "ß", "\ufb01", "\u6df1",   "α",   "_",     "\u2010", "\u00ad", "(",
      "\xff", "\xc3", "'", "\u2019", "Learning", "1.5", "x",     "\u0301"};
  std::mt19937 rng(7);
  Analyzer analyzer;
  Analyzer checker;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    for (int k = 0; k < 12; ++k) text += pieces[rng() % pieces.size()];
    std::vector<Token> tokens;
    analyzer.analyze(text, tokens);
    for (const Token& token : tokens) {
      std::string source = text.substr(token.begin, token.end - token.begin);
      std::vector<Token> again;
      checker.analyze(source, again);
      bool found = false;
      for (const Token& t : again)
        found = found || (t.term == token.term && t.joined == token.joined);
      EXPECT_TRUE(found) << "text \"" << text << "\" token " << token.term << " source \"" << source
                         << "\" gives " << describe(again);
    }
  }
}

TEST(AnalyzerTest, StopwordFlags) {
  Analyzer analyzer;
  std::vector<Token> tokens;
  analyzer.analyze("The model of a Transformer IS based on attention, it's these", tokens);
  std::string stopwords;
  for (const Token& token : tokens) stopwords += token.stopword ? 'S' : '.';
  // the model of a transform is based on attent it these
  EXPECT_EQ(stopwords, "S.SS.SSS.SS");

  EXPECT_TRUE(Analyzer::is_stopword("the"));
  EXPECT_TRUE(Analyzer::is_stopword("using"));
  EXPECT_TRUE(Analyzer::is_stopword("we"));
  EXPECT_FALSE(Analyzer::is_stopword("The"));  // the folded form is expected
  EXPECT_FALSE(Analyzer::is_stopword("model"));
  EXPECT_FALSE(Analyzer::is_stopword(""));
  EXPECT_FALSE(Analyzer::is_stopword("thesaurus"));
}

TEST(AnalyzerTest, StopwordFlagUsesUnstemmedForm) {
  Analyzer analyzer;
  std::vector<Token> tokens;
  analyzer.analyze("was using", tokens);  // stems to "was" and "use"
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens[0].stopword);
  EXPECT_TRUE(tokens[1].stopword);
  EXPECT_EQ(tokens[1].term, "use");
  tokens.clear();
  analyzer.analyze("a-b", tokens);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_FALSE(tokens[2].stopword);  // a joined form is not a word
}

TEST(AnalyzerTest, LongTokensAreTruncatedAtCodePointBoundary) {
  Analyzer analyzer({.stem = false, .max_token_bytes = 5});
  EXPECT_EQ(analyze(analyzer, "abcdefgh ab"), "abcde ab");
  EXPECT_EQ(analyze(analyzer, "αβγδ"), "αβ");  // 2 bytes a letter: 4 fit, not 5
  EXPECT_EQ(analyze(analyzer, "abcd-efgh"), "abcd efgh +abcde");

  Analyzer standard;
  std::vector<Token> tokens;
  const std::string huge(1 << 20, 'a');
  standard.analyze(huge + " b", tokens);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].term, std::string(64, 'a'));
  EXPECT_EQ(tokens[0].end, huge.size());
  EXPECT_EQ(tokens[1].position, 1u);
}

TEST(AnalyzerTest, PathologicalInputs) {
  Analyzer analyzer;
  std::vector<Token> tokens;
  analyzer.analyze(std::string(1 << 20, '.'), tokens);
  analyzer.analyze(std::string(1 << 20, '-'), tokens);
  analyzer.analyze(std::string(1 << 20, '\''), tokens);
  EXPECT_TRUE(tokens.empty());

  // A megabyte-long compound: every part, and one joined form of bounded length.
  std::string compound;
  for (int k = 0; k < (1 << 19); ++k) compound += "a-";
  compound += 'a';
  std::uint32_t next = analyzer.analyze(compound, tokens);
  EXPECT_EQ(next, (1u << 19) + 1);
  ASSERT_EQ(tokens.size(), (1u << 19) + 2);
  EXPECT_TRUE(tokens.back().joined);
  EXPECT_EQ(tokens.back().term.size(), 64u);
  EXPECT_EQ(tokens.back().end, compound.size());

  tokens.clear();
  analyzer.analyze("1." + std::string(1 << 20, '1'), tokens);
  EXPECT_EQ(tokens.size(), 1u);
  tokens.clear();
  analyzer.analyze(std::string(1 << 18, '\xcc'), tokens);  // lone continuation-less lead bytes
  EXPECT_TRUE(tokens.empty());
}

TEST(AnalyzerTest, RandomBytesNeverBreakInvariants) {
  std::mt19937 rng(42);
  std::string text(1 << 20, '\0');
  for (char& c : text) c = static_cast<char>(rng());
  // Also random text over a small alphabet that makes many words, joiners and apostrophes.
  const std::string alphabet =
      "aZ9.-'_ \xc3\xa9\xce\xb1\xe6\xb7\xb1\xe2\x80\x90\xe2\x80\x99\xcc\x81";
  std::string dense(1 << 20, '\0');
  for (char& c : dense) c = alphabet[rng() % alphabet.size()];

  for (const std::string* input : {&text, &dense}) {
    Analyzer analyzer;
    std::vector<Token> tokens;
    std::uint32_t next = analyzer.analyze(*input, tokens);
    std::uint32_t expected_position = 0;
    for (const Token& token : tokens) {
      ASSERT_FALSE(token.term.empty());
      ASSERT_LE(token.term.size(), 64u);
      ASSERT_TRUE(utf8::valid(token.term));
      ASSERT_LT(token.begin, token.end);
      ASSERT_LE(token.end, input->size());
      if (token.joined) {
        ASSERT_LT(token.position, expected_position);
      } else {
        ASSERT_EQ(token.position, expected_position++);
      }
    }
    EXPECT_EQ(next, expected_position);
  }
}

TEST(AnalyzerTest, StemCacheGivesTheSameTermsAsAFreshAnalyzer) {
  const std::string text = "Learning representations of learned studies; studies learning.";
  Analyzer warm;
  const auto first = warm.terms(text);
  EXPECT_EQ(warm.terms(text), first);
  Analyzer fresh;
  EXPECT_EQ(fresh.terms(text), first);
}

// Everything but the term key, which depends on the cache's history.
bool same_token(const Token& a, const Token& b) {
  return a.term == b.term && a.position == b.position && a.begin == b.begin && a.end == b.end &&
         a.joined == b.joined && a.stopword == b.stopword;
}

// The ASCII fast path is a shortcut, not a second tokeniser: with and without it, random text
// made of the pieces where words end, join or continue (joiners, apostrophes, decimal points,
// non-ASCII letters and marks, soft hyphens, words past the length cap) gives the same tokens,
// term keys included, and the same next position.
TEST(AnalyzerTest, AsciiFastPathGivesTheSameTokens) {
  const std::vector<std::string> pieces = {
      "a", "Zeta", "gpt", "4", "3", "k", ".", "-", "'", "'s", " ", "  ", ",", ")", "\n", "_", "é",
      "\xce\xb1", "\xcc\x81", "\xc2\xad", "\xe2\x80\x90", "\xe2\x80\x99", "\xe6\xb7\xb1", "\xff",
      std::string(70, 'q'), std::string(63, 'W'), "0.5", "e.g.", "R2D2", "O(n",
      // words that end on either side of the 16-byte
      // register the fast path scans with
      "AttentionHeadsX", "ABCDEFGHIJKLMNOP", "Transformer"};
  std::mt19937 rng(7);
  // Also with a short token cap, which truncates words inside the register.
  for (const size_t cap : {size_t{64}, size_t{5}}) {
    Analyzer fast({.max_token_bytes = cap}),
        general({.max_token_bytes = cap, .ascii_fast_path = false});
    std::vector<Token> a, b;
    for (int round = 0; round < 2000; ++round) {
      std::string text;
      const size_t n = 1 + rng() % 40;
      for (size_t k = 0; k < n; ++k) text += pieces[rng() % pieces.size()];
      a.clear();
      b.clear();
      const std::uint32_t next_a = fast.analyze(text, a, 5);
      const std::uint32_t next_b = general.analyze(text, b, 5);
      ASSERT_EQ(next_a, next_b) << text;
      ASSERT_EQ(a.size(), b.size()) << text;
      for (size_t k = 0; k < a.size(); ++k) {
        ASSERT_TRUE(same_token(a[k], b[k])) << text << "\n" << a[k].term << " != " << b[k].term;
        ASSERT_EQ(a[k].term_key, b[k].term_key) << text;
      }
    }
  }
}

// The term cache is a memo: with it (warm, cold, or emptied again and again) an analyzer gives
// the same tokens as without it. Checked on real abstracts (SciFact's corpus, raw JSON lines:
// also punctuation, escapes and numbers), and every cached term key stands for one term.
TEST(AnalyzerTest, TermCacheGivesTheSameTokensAsNoCache) {
  const auto path = pb::testing::shared_data() / "ir_eval" / "scifact" / "corpus.jsonl";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; lines.size() < 1500 && std::getline(in, line);) lines.push_back(line);
  ASSERT_GT(lines.size(), 1000u);
  lines.push_back("Schrödinger's ﬁne-tuning of GPT-4 vs. GPT4 (k-means, 3.1%) — 東京 ½ ẞ");

  Analyzer plain({.term_cache_entries = 0});
  Analyzer cached;  // the default cache, cold on the first pass and warm on the second
  Analyzer tiny({.term_cache_entries = 7});  // emptied on almost every call
  struct Checked {
    Analyzer* analyzer;
    std::uint64_t epoch;
    std::map<std::uint32_t, std::string> term_of_key;  // in this epoch
  };
  Checked checked[] = {{&cached, cached.term_key_epoch(), {}}, {&tiny, tiny.term_key_epoch(), {}}};
  std::vector<Token> expected, got;
  size_t tokens = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (const std::string& line : lines) {
      expected.clear();
      plain.analyze(line, expected, 3);
      for (Checked& c : checked) {
        got.clear();
        c.analyzer->analyze(line, got, 3);
        ASSERT_EQ(got.size(), expected.size()) << line;
        for (size_t k = 0; k < got.size(); ++k) {
          ASSERT_TRUE(same_token(got[k], expected[k])) << line << "\n"
                                                       << got[k].term << " != " << expected[k].term;
        }
        if (c.analyzer->term_key_epoch() != c.epoch) {
          c.epoch = c.analyzer->term_key_epoch();
          c.term_of_key.clear();
        }
        for (const Token& token : got) {
          if (token.term_key == kNoTermKey) continue;
          auto [it, fresh] = c.term_of_key.emplace(token.term_key, token.term);
          EXPECT_EQ(it->second, token.term);
        }
        // analyze_keys(): the same tokens, a cached term's text coming from term_text().
        got.clear();
        c.analyzer->analyze_keys(line, got, 3);
        ASSERT_EQ(got.size(), expected.size()) << line;
        for (size_t k = 0; k < got.size(); ++k) {
          Token token = got[k];
          if (token.term_key != kNoTermKey) {
            const std::string_view text = c.analyzer->term_text(token.term_key);
            EXPECT_TRUE(token.term.empty() || token.term == text) << token.term;
            token.term = std::string(text);
          }
          ASSERT_TRUE(same_token(token, expected[k])) << line << "\n"
                                                      << token.term << " != " << expected[k].term;
        }
      }
      for (const Token& token : expected) EXPECT_EQ(token.term_key, kNoTermKey);
      tokens += expected.size();
    }
  }
  EXPECT_GT(tokens, 100'000u);
  EXPECT_GT(tiny.term_key_epoch(), 100u);
}

// English-like text: a Zipfian draw from abstract vocabulary, with the punctuation,
// compounds, numbers and occasional accents of real abstracts.
std::string english_like_text(size_t bytes) {
  const std::vector<std::string> words = {"the",
                                          "of",
                                          "and",
                                          "we",
                                          "a",
                                          "to",
                                          "in",
                                          "model",
                                          "is",
                                          "for",
                                          "that",
                                          "on",
                                          "learning",
                                          "with",
                                          "our",
                                          "this",
                                          "data",
                                          "results",
                                          "networks",
                                          "neural",
                                          "training",
                                          "show",
                                          "performance",
                                          "language",
                                          "models",
                                          "large",
                                          "propose",
                                          "approach",
                                          "method",
                                          "based",
                                          "state-of-the-art",
                                          "GPT-4",
                                          "benchmark",
                                          "tasks",
                                          "attention",
                                          "transformer",
                                          "representations",
                                          "experiments",
                                          "demonstrate",
                                          "accuracy",
                                          "3.5%",
                                          "Schrödinger",
                                          "fine-tuning",
                                          "datasets",
                                          "generalization",
                                          "efficient",
                                          "novel",
                                          "k-means",
                                          "reinforcement",
                                          "agents",
                                          "optimization",
                                          "gradient",
                                          "Llama-3.1-8B",
                                          "embeddings",
                                          "retrieval",
                                          "(RAG)",
                                          "evaluation",
                                          "significantly",
                                          "baseline"};
  std::mt19937 rng(1);
  // Zipf-like: rank r drawn with probability ~ 1/(r+1).
  std::vector<double> weights;
  for (size_t r = 0; r < words.size(); ++r) weights.push_back(1.0 / static_cast<double>(r + 1));
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  std::string text;
  text.reserve(bytes + 64);
  size_t in_sentence = 0;
  while (text.size() < bytes) {
    text += words[pick(rng)];
    if (++in_sentence == 18) {
      text += ". ";
      in_sentence = 0;
    } else {
      text += rng() % 10 == 0 ? ", " : " ";
    }
  }
  return text;
}

TEST(AnalyzerThroughput, EnglishLikeText) {
  const std::string text = english_like_text(5 << 20);
  Analyzer analyzer;
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 4);
  auto start = std::chrono::steady_clock::now();
  analyzer.analyze(text, tokens);
  std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  // Printed, not asserted: timings belong to benchmarks, and this also runs under sanitizers.
  std::printf("[ analyzer ] %.1f MB in %.3f s: %.1f MB/s, %.2f M tokens/s\n",
              static_cast<double>(text.size()) / 1e6, seconds.count(),
              static_cast<double>(text.size()) / 1e6 / seconds.count(),
              static_cast<double>(tokens.size()) / 1e6 / seconds.count());
  EXPECT_GT(tokens.size(), text.size() / 20);
}

}  // namespace
}  // namespace pb::text
