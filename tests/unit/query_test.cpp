#include "index/lexical/query.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/utf8.hpp"
#include "text/analyzer.hpp"

namespace pb::lexical {
namespace {

// Gregorian date of a day number, for readable expectations ("2025-06-01"). Written the other
// way round from the parser's days_from_civil (Hinnant's civil_from_days), so the two check
// each other.
std::string day_string(std::int32_t z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int d = doy - (153 * mp + 2) / 5 + 1;
  const int m = mp < 10 ? mp + 3 : mp - 9;
  const int y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

std::string field_prefix(Field f) {
  switch (f) {
    case Field::kTitle:
      return "ti:";
    case Field::kAbstract:
      return "abs:";
    case Field::kAuthors:
      return "au:";
    case Field::kAll:
      return "";
  }
  return "?:";
}

std::string term_string(const QueryTerm& t) {
  std::string s = field_prefix(t.field) + t.term;
  if (t.weight != 1.0f) s += "*" + std::to_string(static_cast<int>(t.weight));
  return s;
}

std::string phrase_string(const Phrase& p) {
  std::string s = field_prefix(p.field) + "\"";
  for (size_t i = 0; i < p.terms.size(); ++i) s += (i ? " " : "") + p.terms[i];
  return s + "\"";
}

// A canonical one-line rendering of a parsed query: the sections that are not empty, in a
// fixed order. Should terms are sorted (their order carries no meaning and the analyzer may
// emit a compound's joined form before or after its parts); everything else keeps query order.
std::string render(const Query& q) {
  std::vector<std::string> sections;
  auto add = [&](const char* name, std::vector<std::string> items) {
    if (items.empty()) return;
    std::string s = std::string(name) + ":";
    for (const auto& item : items) s += " " + item;
    sections.push_back(s);
  };
  std::vector<std::string> items;
  for (const auto& t : q.should) items.push_back(term_string(t));
  std::sort(items.begin(), items.end());
  add("should", items);
  items.clear();
  for (const auto& t : q.must) items.push_back(term_string(t));
  add("must", items);
  items.clear();
  for (const auto& p : q.phrases) items.push_back(phrase_string(p));
  add("phrases", items);
  items.clear();
  for (const auto& t : q.must_not) items.push_back(term_string(t));
  add("not", items);
  items.clear();
  for (const auto& p : q.must_not_phrases) items.push_back(phrase_string(p));
  add("notphrases", items);
  add("cat", q.categories);
  add("id", q.ids);
  if (q.after_day) add("after", {day_string(*q.after_day)});
  if (q.before_day) add("before", {day_string(*q.before_day)});
  if (!q.text.empty()) sections.push_back("text: " + q.text);
  std::string out;
  for (size_t i = 0; i < sections.size(); ++i) out += (i ? " | " : "") + sections[i];
  return out;
}

std::string notes_string(const Query& q) {
  std::string s;
  for (const auto& n : q.notes) s += "[" + n + "]";
  return s;
}

struct ParseCase {
  const char* input;
  const char* expected;  // render() of the parsed query
  const char* note;      // a substring of some note; nullptr: the query parsed without notes
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << '\'' << c.input << '\''; }

class ParseTest : public ::testing::TestWithParam<ParseCase> {
 protected:
  text::Analyzer analyzer_;
};

TEST_P(ParseTest, Reads) {
  const ParseCase& c = GetParam();
  Query q = parse_query(c.input, analyzer_);
  EXPECT_EQ(render(q), c.expected) << "input: " << c.input;
  if (c.note == nullptr) {
    EXPECT_TRUE(q.notes.empty()) << c.input << " notes: " << notes_string(q);
  } else {
    EXPECT_NE(notes_string(q).find(c.note), std::string::npos)
        << c.input << " notes: " << notes_string(q);
  }
}

// Words here are chosen so their Porter2 stems are easy to read (graph, model, network, ...).
INSTANTIATE_TEST_SUITE_P(
    Constructs, ParseTest,
    ::testing::Values(
        ParseCase{"neural network", "should: network neural | text: neural network", nullptr},
        ParseCase{"  neural \t  network  ", "should: network neural | text: neural network",
                  nullptr},
        ParseCase{"Neural NETWORK", "should: network neural | text: Neural NETWORK", nullptr},
        ParseCase{"\"graph neural network\"", "phrases: \"graph neural network\"", nullptr},
        ParseCase{"\xE2\x80\x9Cgraph model\xE2\x80\x9D", "phrases: \"graph model\"", nullptr},
        ParseCase{"\"the graph of a model\"", "phrases: \"the graph of a model\"", nullptr},
        ParseCase{"\"model\"", "must: model", nullptr},
        ParseCase{"deep -survey", "should: deep | not: survey | text: deep", nullptr},
        ParseCase{"deep -\"graph model\"",
                  "should: deep | notphrases: \"graph model\" | text: deep", nullptr},
        ParseCase{"-\"model\"", "not: model", nullptr},
        ParseCase{"+bert graph", "should: graph | must: bert | text: graph", nullptr},
        ParseCase{"+\"graph model\"", "phrases: \"graph model\"", nullptr},
        ParseCase{"ti:bert", "must: ti:bert", nullptr},
        ParseCase{"title:bert", "must: ti:bert", nullptr},
        ParseCase{"TI:bert", "must: ti:bert", nullptr},
        ParseCase{"au:hinton", "must: au:hinton", nullptr},
        ParseCase{"author:Hinton", "must: au:hinton", nullptr},
        ParseCase{"abs:graph", "must: abs:graph", nullptr},
        ParseCase{"abstract:graph", "must: abs:graph", nullptr},
        ParseCase{"ti:\"graph model\"", "phrases: ti:\"graph model\"", nullptr},
        ParseCase{"au:\"hinton\"", "must: au:hinton", nullptr},
        ParseCase{"-ti:survey", "not: ti:survey", nullptr},
        ParseCase{"-ti:\"graph model\"", "notphrases: ti:\"graph model\"", nullptr},
        ParseCase{"ti:GPT-4", "must: ti:gpt4", nullptr}, ParseCase{"+GPT-4", "must: gpt4", nullptr},
        ParseCase{"-k-means", "not: kmean", nullptr}, ParseCase{"cat:cs.CL", "cat: cs.cl", nullptr},
        ParseCase{"category:cs.LG,CS.CL", "cat: cs.lg cs.cl", nullptr},
        ParseCase{"cat:cs.CL cat:cs.cl", "cat: cs.cl", nullptr},
        ParseCase{"id:2401.01234v2", "id: 2401.01234", nullptr},
        ParseCase{"id:arXiv:1706.03762", "id: 1706.03762", nullptr},
        ParseCase{"id:https://arxiv.org/abs/2401.01234v2", "id: 2401.01234", nullptr},
        ParseCase{"id:2401.01234,2401.01235", "id: 2401.01234 2401.01235", nullptr},
        ParseCase{"id:hep-th/9901001v1", "id: hep-th/9901001", nullptr},
        ParseCase{"id:not-an-id", "id: not-an-id", nullptr},
        ParseCase{"after:2025-06", "after: 2025-06-01", nullptr},
        ParseCase{"before:2026-01-15", "before: 2026-01-15", nullptr},
        ParseCase{"before:2025", "before: 2025-12-31", nullptr},
        ParseCase{"after:2025", "after: 2025-01-01", nullptr},
        ParseCase{"before:2024-02", "before: 2024-02-29", nullptr},
        ParseCase{"before:2023-02", "before: 2023-02-28", nullptr},
        ParseCase{"after:2024 after:2025-03 before:2026 before:2025-12-01",
                  "after: 2025-03-01 | before: 2025-12-01", nullptr},
        ParseCase{"graph graph model", "should: graph*2 model | text: graph graph model", nullptr},
        ParseCase{"the graph of models", "should: graph model | text: the graph of models",
                  nullptr},
        ParseCase{"deep ti:graph -survey cat:cs.LG id:2401.01234 after:2024 model",
                  "should: deep model | must: ti:graph | not: survey | cat: cs.lg | id: "
                  "2401.01234 | after: 2024-01-01 | text: deep model",
                  nullptr},
        ParseCase{"graph\"neural network\"",
                  "should: graph | phrases: \"neural network\" | text: graph", nullptr}));

INSTANTIATE_TEST_SUITE_P(
    Degrades, ParseTest,
    ::testing::Values(
        ParseCase{"", "", nullptr}, ParseCase{"   ", "", nullptr}, ParseCase{"-", "", nullptr},
        ParseCase{"+", "", nullptr}, ParseCase{":", "", nullptr}, ParseCase{"\"\"", "", nullptr},
        ParseCase{"-\"\"", "", nullptr}, ParseCase{"ti:\"\"", "", nullptr},
        ParseCase{"\"graph model", "phrases: \"graph model\"", "not closed"},
        ParseCase{"deep \"graph", "should: deep | must: graph | text: deep", "not closed"},
        ParseCase{"\"", "", "not closed"},
        ParseCase{"foo:bar", "should: bar foo | text: foo:bar", nullptr},
        ParseCase{"the of and", "should: and of the | text: the of and", "stopwords"},
        ParseCase{"the -graph", "should: the | not: graph | text: the", "stopwords"},
        ParseCase{"cat:", "should: cat | text: cat:", "no value"},
        ParseCase{"ti:", "should: ti | text: ti:", "no value"},
        ParseCase{"+ti:", "must: ti", "no value"},
        ParseCase{"-cat:cs.CL graph", "should: graph | text: graph", "not supported"},
        ParseCase{"after:2025-13", "should: 13 2025 202513 | text: after:2025-13", "not a date"},
        ParseCase{"before:yesterday", "should: yesterday | text: before:yesterday", "not a date"},
        ParseCase{"after:2025-02-29", "should: 02 2025 20250229 29 | text: after:2025-02-29",
                  "not a date"}));

// Tokens people search for must survive parsing in the form the index holds them.
struct FindableCase {
  const char* input;
  std::vector<std::string> should;  // analysed terms that must all be among the should terms
};

void PrintTo(const FindableCase& c, std::ostream* os) { *os << '\'' << c.input << '\''; }

class FindableTest : public ::testing::TestWithParam<FindableCase> {
 protected:
  text::Analyzer analyzer_;
};

TEST_P(FindableTest, StaysFindable) {
  const FindableCase& c = GetParam();
  Query q = parse_query(c.input, analyzer_);
  for (const auto& term : c.should) {
    EXPECT_TRUE(std::any_of(q.should.begin(), q.should.end(),
                            [&](const QueryTerm& t) { return t.term == term; }))
        << c.input << ": no should term " << term << " in " << render(q);
  }
  EXPECT_EQ(q.text, c.input);
}

INSTANTIATE_TEST_SUITE_P(
    Tokens, FindableTest,
    ::testing::Values(FindableCase{"GPT-4", {"gpt", "4", "gpt4"}}, FindableCase{"BERT", {"bert"}},
                      FindableCase{"3D", {"3d"}}, FindableCase{"k-means", {"k", "mean", "kmean"}},
                      FindableCase{"R2D2", {"r2d2"}},
                      FindableCase{"Llama-3.1-8B", {"llama", "3.1", "8b", "llama3.18b"}},
                      FindableCase{"O(n log n)", {"o", "n", "log"}},
                      FindableCase{"Schrödinger equation", {"schroding"}}));

TEST(Parse, RepeatedWordsWeighMore) {
  text::Analyzer analyzer;
  Query q = parse_query("O(n log n)", analyzer);
  auto n = std::find_if(q.should.begin(), q.should.end(),
                        [](const QueryTerm& t) { return t.term == "n"; });
  ASSERT_NE(n, q.should.end());
  EXPECT_EQ(n->weight, 2.0f);
  Query g = parse_query("GPT-4", analyzer);
  for (const auto& t : g.should) EXPECT_EQ(t.weight, 1.0f) << t.term;
}

TEST(Parse, EmptyOnlyWhenNothingToSearch) {
  text::Analyzer analyzer;
  EXPECT_TRUE(parse_query("", analyzer).empty());
  EXPECT_TRUE(parse_query("- + : \"\"", analyzer).empty());
  EXPECT_FALSE(parse_query("the", analyzer).empty());
  EXPECT_FALSE(parse_query("cat:cs.CL", analyzer).empty());
  EXPECT_FALSE(parse_query("after:2020", analyzer).empty());
}

size_t term_count(const Query& q) {
  size_t n = q.should.size() + q.must.size() + q.must_not.size();
  for (const auto& p : q.phrases) n += p.terms.size();
  for (const auto& p : q.must_not_phrases) n += p.terms.size();
  return n;
}

TEST(Parse, LongQueriesAreCut) {
  text::Analyzer analyzer;
  std::string input;
  for (int i = 0; input.size() < 10 * 1024; ++i) input += "w" + std::to_string(i) + " ";
  Query q = parse_query(input, analyzer);
  EXPECT_EQ(term_count(q), kMaxTerms);
  EXPECT_EQ(q.should.front().term, "w0");  // the start of the query is what is kept
  EXPECT_LE(q.text.size(), kMaxQueryBytes);
  EXPECT_NE(notes_string(q).find("bytes"), std::string::npos) << notes_string(q);
  EXPECT_NE(notes_string(q).find("terms"), std::string::npos) << notes_string(q);

  // Many phrases and exclusions: the budget covers every kind of term.
  std::string mixed;
  for (int i = 0; i < 200; ++i)
    mixed += "\"a" + std::to_string(i) + " b\" -c" + std::to_string(i) + " ";
  Query m = parse_query(mixed, analyzer);
  EXPECT_LE(term_count(m), kMaxTerms);
  EXPECT_GT(term_count(m), kMaxTerms - 3);
  for (const auto& p : m.phrases) EXPECT_EQ(p.terms.size(), 2u);  // phrases are never clipped
}

TEST(Parse, CutsAtACodePointBoundary) {
  text::Analyzer analyzer;
  std::string input(kMaxQueryBytes - 1, 'a');
  input.insert(0, "graph ");
  input += "é more";  // "é" straddles the limit
  Query q = parse_query(input, analyzer);
  EXPECT_TRUE(utf8::valid(q.text));
  EXPECT_EQ(q.text.find("\xC3"), std::string::npos);
  EXPECT_NE(notes_string(q).find("bytes"), std::string::npos);
}

TEST(Parse, InvalidUtf8IsRepaired) {
  text::Analyzer analyzer;
  Query q = parse_query("graph\xFF\xFEmodel \xC3", analyzer);
  EXPECT_TRUE(utf8::valid(q.text)) << q.text;
  EXPECT_FALSE(q.should.empty());
}

// Invariants every parse must keep, whatever the input.
void check_invariants(const Query& q, std::string_view input) {
  ASSERT_LE(term_count(q), kMaxTerms) << input;
  ASSERT_TRUE(utf8::valid(q.text)) << input;
  for (const auto& t : q.should) ASSERT_FALSE(t.term.empty()) << input;
  for (const auto& t : q.must) ASSERT_FALSE(t.term.empty()) << input;
  for (const auto& t : q.must_not) ASSERT_FALSE(t.term.empty()) << input;
  for (const auto& p : q.phrases) ASSERT_GE(p.terms.size(), 2u) << input;
  for (const auto& p : q.must_not_phrases) ASSERT_GE(p.terms.size(), 2u) << input;
  for (const auto& c : q.categories) ASSERT_FALSE(c.empty()) << input;
}

TEST(Parse, RandomBytesNeverCrash) {
  text::Analyzer analyzer;
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 200);
  for (int i = 0; i < 10000; ++i) {
    std::string input(length(rng), '\0');
    for (char& c : input) c = static_cast<char>(byte(rng));
    check_invariants(parse_query(input, analyzer), input);
  }
}

// Random strings over the query language's own alphabet reach far more of the grammar.
TEST(Parse, RandomQueriesNeverCrash) {
  text::Analyzer analyzer;
  const std::vector<std::string> pieces = {
      "\"",    "-",    "+",   ":",      " ",       " ",    "ti",           "au:",
      "abs:",  "cat:", "id:", "after:", "before:", "2025", "-06",          "-13",
      "graph", "the",  "of",  "GPT-4",  "k-means", "é",    "\xE2\x80\x9C", "\xE2\x80\x9D",
      "\xFF",  ",",    "(",   ")",      "3.1",     "a"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 40);
  for (int i = 0; i < 10000; ++i) {
    std::string input;
    for (int k = length(rng); k > 0; --k) input += pieces[pick(rng)];
    check_invariants(parse_query(input, analyzer), input);
  }
}

struct DayCase {
  const char* input;
  bool end;
  const char* expected;  // nullptr: not a date
};

void PrintTo(const DayCase& c, std::ostream* os) { *os << '\'' << c.input << '\''; }

class DayTest : public ::testing::TestWithParam<DayCase> {};

TEST_P(DayTest, Parses) {
  const DayCase& c = GetParam();
  auto day = parse_day(c.input, c.end);
  if (c.expected == nullptr) {
    EXPECT_FALSE(day.has_value()) << c.input << " -> " << day_string(*day);
  } else {
    ASSERT_TRUE(day.has_value()) << c.input;
    EXPECT_EQ(day_string(*day), c.expected) << c.input;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DayTest,
    ::testing::Values(
        DayCase{"1970-01-01", false, "1970-01-01"}, DayCase{"2025-06", false, "2025-06-01"},
        DayCase{"2025-06", true, "2025-06-30"}, DayCase{"2026-01-15", true, "2026-01-15"},
        DayCase{"2025", true, "2025-12-31"}, DayCase{"2025", false, "2025-01-01"},
        DayCase{"2024-02", true, "2024-02-29"}, DayCase{"2100-02", true, "2100-02-28"},
        DayCase{"2000-02", true, "2000-02-29"}, DayCase{"2024-02-29", false, "2024-02-29"},
        DayCase{"1969-12-31", false, "1969-12-31"}, DayCase{"2025-13", false, nullptr},
        DayCase{"2025-00", false, nullptr}, DayCase{"2025-02-29", false, nullptr},
        DayCase{"2025-04-31", false, nullptr}, DayCase{"2025-01-00", false, nullptr},
        DayCase{"2025-6", false, nullptr}, DayCase{"25", false, nullptr},
        DayCase{"", false, nullptr}, DayCase{"0000", false, nullptr},
        DayCase{"abcd", false, nullptr}, DayCase{"2025/06", false, nullptr},
        DayCase{"2025-06-01x", false, nullptr}, DayCase{"-202", false, nullptr},
        DayCase{"2025-06-1", false, nullptr}));

TEST(ParseDay, AgreesWithTheStandardCalendar) {
  using namespace std::chrono;
  for (sys_days d = sys_days{1900y / January / 1}; d < sys_days{2101y / January / 1};
       d += days{1}) {
    const year_month_day ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    const auto parsed = parse_day(buf, false);
    ASSERT_TRUE(parsed.has_value()) << buf;
    ASSERT_EQ(*parsed, d.time_since_epoch().count()) << buf;
    ASSERT_EQ(parse_day(buf, true), parsed) << buf;
  }
}

}  // namespace
}  // namespace pb::lexical
