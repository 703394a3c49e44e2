#include "index/lexical/snippet.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/utf8.hpp"
#include "text/analyzer.hpp"

namespace pb::lexical {
namespace {

// Short markers keep the expected strings readable.
constexpr SnippetOptions kShort{.window_words = 32, .open = "[", .close = "]", .ellipsis = "..."};

struct SnippetCase {
  const char* name;
  std::string text;
  std::vector<std::string> words;  // query words as typed; the test analyses them
  std::vector<float> weights;
  size_t window_words;
  std::string expected;
};

void PrintTo(const SnippetCase& c, std::ostream* os) { *os << c.name; }

class SnippetTest : public ::testing::TestWithParam<SnippetCase> {
 protected:
  text::Analyzer analyzer_;
};

TEST_P(SnippetTest, Makes) {
  const SnippetCase& c = GetParam();
  std::vector<std::string> terms;
  for (const auto& w : c.words) terms.push_back(analyzer_.normalize_word(w));
  SnippetOptions options = kShort;
  options.window_words = c.window_words;
  EXPECT_EQ(make_snippet(c.text, terms, c.weights, analyzer_, options), c.expected);
}

std::string repeat(std::string_view word, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += std::string(i ? " " : "") + std::string(word);
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SnippetTest,
    ::testing::Values(
        SnippetCase{"marks",
                    "We train a graph model on graphs.",
                    {"graph"},
                    {},
                    32,
                    "We train a [graph] model on [graphs]."},
        SnippetCase{"marks_every_term",
                    "Graph neural networks for graphs",
                    {"graph", "network"},
                    {},
                    32,
                    "[Graph] neural [networks] for [graphs]"},
        SnippetCase{"whole_text_keeps_punctuation",
                    "  (A graph model.)  ",
                    {"graph"},
                    {},
                    32,
                    "(A [graph] model.)"},
        SnippetCase{"best_window_in_the_middle",
                    repeat("lorem", 50) + " graph neural network " + repeat("ipsum", 50),
                    {"graph", "neural", "network"},
                    {},
                    5,
                    "...lorem lorem [graph] [neural] [network]..."},
        SnippetCase{"ties_go_to_the_earliest_window",
                    "a b graph c d e f g h i graph j k l m n",
                    {"graph"},
                    {},
                    3,
                    "a b [graph]..."},
        SnippetCase{"distinct_terms_beat_repeats",
                    "graph graph graph x y z w v u t s graph model q r",
                    {"graph", "model"},
                    {},
                    3,
                    "...s [graph] [model]..."},
        SnippetCase{"weights_prefer_rare_terms",
                    "graph model a b c d e f g h i j k l m transformer n o",
                    {"graph", "model", "transformer"},
                    {1.0f, 1.0f, 5.0f},
                    2,
                    "...m [transformer]..."},
        SnippetCase{"no_match_gives_opening_words",
                    "one two three four five six",
                    {"graph"},
                    {},
                    3,
                    "one two three..."},
        SnippetCase{"no_terms_gives_opening_words",
                    "one two three four five six",
                    {},
                    {},
                    3,
                    "one two three..."},
        SnippetCase{"short_text_without_match", "one two", {"graph"}, {}, 3, "one two"},
        SnippetCase{"empty_text", "", {"graph"}, {}, 3, ""},
        SnippetCase{"symbols_only", "<∑ & ∫>", {"graph"}, {}, 3, "&lt;∑ &amp; ∫&gt;"},
        SnippetCase{
            "zero_window_is_one_word", "alpha graph beta", {"graph"}, {}, 0, "...[graph]..."},
        SnippetCase{"compound_parts", "GPT-4 is strong", {"gpt"}, {}, 32, "[GPT]-4 is strong"},
        SnippetCase{"compound_joined", "GPT-4 is strong", {"gpt4"}, {}, 32, "[GPT-4] is strong"},
        SnippetCase{"compound_marked_once",
                    "GPT-4 is strong",
                    {"gpt", "4", "gpt4"},
                    {},
                    32,
                    "[GPT-4] is strong"},
        SnippetCase{"compound_not_cut_at_window_end",
                    "we use GPT-4 now",
                    {"use"},
                    {},
                    3,
                    "we [use] GPT-4..."},
        SnippetCase{
            "compound_part_in_window", "we use GPT-4 now", {"4"}, {}, 3, "...use GPT-[4]..."},
        SnippetCase{"accents",
                    "Die Schrödinger Gleichung über Zeit",
                    {"schrodinger"},
                    {},
                    32,
                    "Die [Schrödinger] Gleichung über Zeit"},
        SnippetCase{"accents_window_bytes",
                    "über öl ärger naïve café résumé straße",
                    {"cafe"},
                    {},
                    2,
                    "...naïve [café]..."},
        SnippetCase{"cjk", "我们 研究 模型", {"研"}, {}, 32, "我们 [研]究 模型"},
        SnippetCase{"hostile_text",
                    "<script>alert(1)</script> graph \"onmouseover='x'\" & more",
                    {"graph", "script"},
                    {},
                    32,
                    "&lt;[script]&gt;alert(1)&lt;/[script]&gt; [graph] "
                    "&quot;onmouseover=&#39;x&#39;&quot; &amp; more"},
        SnippetCase{"hostile_cut",
                    "x y z <img src=a onerror=alert(1)> graph",
                    {"graph"},
                    {},
                    3,
                    "...alert(1)&gt; [graph]"}));

TEST(Snippet, DefaultMarkersAndEllipsis) {
  text::Analyzer analyzer;
  std::string text = repeat("filler", 40) + " attention " + repeat("filler", 40);
  std::string s = make_snippet(text, {analyzer.normalize_word("attention")}, {}, analyzer);
  EXPECT_NE(s.find("<mark>attention</mark>"), std::string::npos) << s;
  EXPECT_EQ(s.rfind("…", 0), 0u) << s;
  EXPECT_EQ(s.substr(s.size() - std::string("…").size()), "…") << s;
}

// Every '<' in a snippet must open one of our markers, whatever the text holds.
void expect_safe(const std::string& s) {
  for (size_t i = s.find('<'); i != std::string::npos; i = s.find('<', i + 1)) {
    std::string_view rest = std::string_view(s).substr(i);
    ASSERT_TRUE(rest.starts_with("<mark>") || rest.starts_with("</mark>")) << s;
  }
  ASSERT_EQ(s.find('"'), std::string::npos) << s;
  ASSERT_EQ(s.find('\''), std::string::npos) << s;
  ASSERT_TRUE(utf8::valid(s)) << s;
}

// Marks are balanced and never nest.
void expect_balanced(const std::string& s) {
  int depth = 0;
  for (size_t i = s.find('<'); i != std::string::npos; i = s.find('<', i + 1)) {
    depth += s.compare(i, 6, "<mark>") == 0 ? 1 : -1;
    ASSERT_TRUE(depth == 0 || depth == 1) << s;
  }
  ASSERT_EQ(depth, 0) << s;
}

TEST(Snippet, RandomTextIsAlwaysSafe) {
  text::Analyzer analyzer;
  const std::vector<std::string> pieces = {
      "<", ">",  "&",    "\"",   "'", " ",     " ",   "graph", "GPT-4", "k-means", "é",
      "ß", "研", "\xFF", "\xC3", "-", "model", "the", "3.1",   "x",     "<mark>",  "\n"};
  const std::vector<std::string> terms = {"graph", "gpt", "4", "gpt4", "kmean", "研", "model"};
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 80);
  std::uniform_int_distribution<size_t> window(0, 12);
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    for (int k = length(rng); k > 0; --k) text += pieces[pick(rng)];
    SnippetOptions options;
    options.window_words = window(rng);
    std::string s = make_snippet(text, terms, {}, analyzer, options);
    expect_safe(s);
    expect_balanced(s);
  }
}

TEST(Snippet, RandomBytesNeverCrash) {
  text::Analyzer analyzer;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 300);
  for (int i = 0; i < 3000; ++i) {
    std::string text(length(rng), '\0');
    for (char& c : text) c = static_cast<char>(byte(rng));
    std::string s = make_snippet(text, {"a", "b"}, {2.0f}, analyzer);
    expect_safe(s);
    expect_balanced(s);
  }
}

TEST(Snippet, OddWeightsAreHarmless) {
  text::Analyzer analyzer;
  const std::string text = "graph model network graph";
  for (std::vector<float> weights :
       {std::vector<float>{}, {1.0f}, {-1.0f, 2.0f}, {NAN, INFINITY}, {1e30f, 1e30f, 1e30f}}) {
    std::string s = make_snippet(text, {"graph", "model"}, weights, analyzer);
    EXPECT_EQ(s, "<mark>graph</mark> <mark>model</mark> network <mark>graph</mark>");
  }
}

TEST(Snippet, LongTextIsFast) {
  // Linear time: a 2 MB text with a match near the end finishes quickly even in ASan builds.
  text::Analyzer analyzer;
  std::string text = repeat("lorem ipsum", 100000) + " needle " + repeat("dolor", 1000);
  std::string s = make_snippet(text, {"needl"}, {}, analyzer);
  EXPECT_NE(s.find("<mark>needle</mark>"), std::string::npos);
}

struct EscapeCase {
  const char* input;
  const char* expected;
};

class EscapeTest : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(EscapeTest, Escapes) { EXPECT_EQ(html_escape(GetParam().input), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(Cases, EscapeTest,
                         ::testing::Values(EscapeCase{"", ""}, EscapeCase{"plain", "plain"},
                                           EscapeCase{"a & b", "a &amp; b"},
                                           EscapeCase{"<script>", "&lt;script&gt;"},
                                           EscapeCase{"\"x\" 'y'", "&quot;x&quot; &#39;y&#39;"},
                                           EscapeCase{"&amp;", "&amp;amp;"},
                                           EscapeCase{"Schrödinger 研究", "Schrödinger 研究"},
                                           EscapeCase{"bad\xFFz", "bad\xEF\xBF\xBDz"}));

}  // namespace
}  // namespace pb::lexical
