// Tests of top-k retrieval: the pruned (MaxScore + block-max) path against the exhaustive
// reference on a random corpus, BM25F scores against the formula and a brute-force scorer,
// and the query features (fields, phrases, exclusions, filters, date sort, pinning, paging).

#include "index/lexical/searcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "../test_support.hpp"
#include "index/lexical/index.hpp"
#include "index/lexical/query.hpp"
#include "lexical_test_util.hpp"
#include "text/analyzer.hpp"

namespace pb::lexical {
namespace {

using pb::testing::TempDir;

// Length normalisers are kept as floats (Segment::norms), so a score matches the formula
// computed in doubles to about 1e-7 relative, not to the last bit.
constexpr double kFormulaTolerance = 1e-7;

bool near_rel(double a, double b, double rel = kFormulaTolerance) {
  return std::abs(a - b) <= rel * std::max({1.0, std::abs(a), std::abs(b)});
}

using testing::doc;

std::int32_t day_of(std::string_view s) {
  auto d = parse_day(s, false);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or(0);
}

// A small index built from hand-written documents, and helpers to query it.
class SearcherTest : public ::testing::Test {
 protected:
  void build(const std::vector<IndexDoc>& docs) {
    auto index = LexicalIndex::open(dir_ / "idx");
    ASSERT_TRUE(index.ok());
    index_ = std::move(*index);
    ASSERT_TRUE(index_->update(docs, {}, 0, analyzer_).ok());
  }
  static SearchOptions options(size_t k = 100) {
    SearchOptions opt;
    opt.k = k;
    opt.pin_exact = false;
    return opt;
  }
  SearchResponse run(std::string_view q, const SearchOptions& opt) {
    return search(*index_->snapshot(), parse_query(q, analyzer_), opt, analyzer_);
  }
  // Hit ids for `q`; the pruned and exhaustive paths must agree on them.
  std::vector<std::string> ids(std::string_view q, SearchOptions opt = options()) {
    auto hits = run(q, opt).hits;
    opt.exhaustive = !opt.exhaustive;
    auto other = run(q, opt).hits;
    std::vector<std::string> out, out2;
    for (const auto& h : hits) out.push_back(h.id);
    for (const auto& h : other) out2.push_back(h.id);
    EXPECT_EQ(out, out2) << "pruned and exhaustive disagree on '" << q << "'";
    return out;
  }
  std::vector<std::string> sorted_ids(std::string_view q, SearchOptions opt = options()) {
    auto v = ids(q, opt);
    std::sort(v.begin(), v.end());
    return v;
  }
  double score_of(std::string_view q, std::string_view id) {
    for (const auto& h : run(q, options()).hits)
      if (h.id == id) return h.score;
    ADD_FAILURE() << id << " not found for '" << q << "'";
    return -1;
  }

  TempDir dir_;
  text::Analyzer analyzer_;
  std::unique_ptr<LexicalIndex> index_;
};

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// BM25F against the formula in searcher.hpp, computed by hand.

// score = idf * tf (k1 + 1) / (tf + k1 (1 - b + b len / avglen)), idf = ln(1 + (N - df + .5) /
// (df + .5)). The defaults are floats, so the expected values use the same float constants.
double bm25(double idf, double tf, double len, double avglen) {
  const double k1 = static_cast<double>(0.9f);
  const double b = static_cast<double>(0.4f);
  return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen));
}

TEST_F(SearcherTest, Bm25MatchesTheFormula) {
  // Field lengths (title + abstract + authors): a1 2+2+0 = 4, a2 1+4+0 = 5, a3 1+2+2 = 5.
  build({doc("a1", "alpha beta", "gamma alpha"), doc("a2", "delta", "alpha alpha alpha epsilon"),
         doc("a3", "zeta", "eta theta", {"Zeta Jones"})});
  auto snap = index_->snapshot();
  const auto& seg = *snap->segments[0].segment;
  auto lengths = [&](std::uint32_t d) {
    const auto& l = seg.doc(d).length;
    return std::array<int, 3>{l[0], l[1], l[2]};
  };
  ASSERT_EQ(lengths(0), (std::array<int, 3>{2, 2, 0}));
  ASSERT_EQ(lengths(1), (std::array<int, 3>{1, 4, 0}));
  ASSERT_EQ(lengths(2), (std::array<int, 3>{1, 2, 2}));
  const double avglen = 14.0 / 3.0;
  const double idf_alpha = std::log(1 + (3 - 2 + 0.5) / (2 + 0.5));  // df 2 of N 3
  const double idf_zeta = std::log(1 + (3 - 1 + 0.5) / (1 + 0.5));   // df 1

  for (bool exhaustive : {false, true}) {
    SCOPED_TRACE(exhaustive ? "exhaustive" : "pruned");
    SearchOptions opt = options();
    opt.exhaustive = exhaustive;
    auto r = run("alpha", opt);
    ASSERT_EQ(r.hits.size(), 2u);
    const double s_a1 = bm25(idf_alpha, 2, 4, avglen);  // title 1 + abstract 1
    const double s_a2 = bm25(idf_alpha, 3, 5, avglen);  // abstract 3
    ASSERT_GT(s_a2, s_a1);
    EXPECT_EQ(r.hits[0].id, "a2");
    EXPECT_NEAR(r.hits[0].score, s_a2, kFormulaTolerance);
    EXPECT_EQ(r.hits[1].id, "a1");
    EXPECT_NEAR(r.hits[1].score, s_a1, kFormulaTolerance);
    EXPECT_EQ(r.terms, (Strings{"alpha"}));
    ASSERT_EQ(r.term_weights.size(), 1u);
    EXPECT_NEAR(r.term_weights[0], idf_alpha, 1e-6);

    // Two terms add up; zeta occurs in a3's title and its author.
    r = run("alpha zeta", opt);
    ASSERT_EQ(r.hits.size(), 3u);
    const double s_a3 = bm25(idf_zeta, 2, 5, avglen);
    std::map<std::string, double> got;
    for (const auto& h : r.hits) got[h.id] = h.score;
    EXPECT_NEAR(got["a1"], s_a1, kFormulaTolerance);
    EXPECT_NEAR(got["a2"], s_a2, kFormulaTolerance);
    EXPECT_NEAR(got["a3"], s_a3, kFormulaTolerance);
    EXPECT_EQ(r.hits[0].id, "a3");

    // A repeated query word weighs twice.
    r = run("alpha alpha", opt);
    ASSERT_EQ(r.hits.size(), 2u);
    EXPECT_NEAR(r.hits[0].score, 2 * s_a2, kFormulaTolerance);

    // A field prefix counts that field only: ti:alpha scores a1 with tf 1.
    r = run("ti:alpha", opt);
    ASSERT_EQ(r.hits.size(), 1u);
    EXPECT_EQ(r.hits[0].id, "a1");
    EXPECT_NEAR(r.hits[0].score, bm25(idf_alpha, 1, 4, avglen), kFormulaTolerance);
  }
}

TEST_F(SearcherTest, Bm25WithFieldWeights) {
  build({doc("a1", "alpha beta", "gamma alpha"), doc("a2", "delta", "alpha alpha alpha epsilon"),
         doc("a3", "zeta", "eta theta", {"Zeta Jones"})});
  SearchOptions opt = options();
  opt.bm25.k1 = 1.5f;
  opt.bm25.b = 0.75f;
  opt.bm25.field_weight = {2.0f, 1.0f, 0.5f};
  // Weighted lengths: a1 2*2+2 = 6, a2 2*1+4 = 6, a3 2*1+2+0.5*2 = 5; average 17/3.
  const double avglen = 17.0 / 3.0;
  const double k1 = 1.5, b = 0.75;
  auto score = [&](double idf, double tf, double len) {
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen));
  };
  const double idf_alpha = std::log(1.6);
  const double idf_zeta = std::log(1 + 2.5 / 1.5);
  for (bool exhaustive : {false, true}) {
    opt.exhaustive = exhaustive;
    std::map<std::string, double> got;
    for (const auto& h : run("alpha zeta", opt).hits) got[h.id] = h.score;
    ASSERT_EQ(got.size(), 3u);
    EXPECT_NEAR(got["a1"], score(idf_alpha, 2 * 1 + 1, 6), kFormulaTolerance);
    EXPECT_NEAR(got["a2"], score(idf_alpha, 3, 6), kFormulaTolerance);
    EXPECT_NEAR(got["a3"], score(idf_zeta, 2 * 1 + 0.5 * 1, 5), kFormulaTolerance);
  }
}

TEST_F(SearcherTest, StatisticsIncludeDeletedDocuments) {
  build({doc("a1", "alpha", "x"), doc("a2", "beta", "y"), doc("a3", "alpha beta", "z")});
  ASSERT_TRUE(index_->update({}, Strings{"a3"}, 0, analyzer_).ok());
  auto r = run("alpha", options());
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].id, "a1");
  // N = 3 and df = 2 still count a3; lengths 2 (a1), 2, 3: avglen 7/3.
  EXPECT_NEAR(r.hits[0].score, bm25(std::log(1 + 1.5 / 2.5), 1, 2, 7.0 / 3.0), kFormulaTolerance);
}

// ---------------------------------------------------------------------------------------------
// Query features.

TEST_F(SearcherTest, FieldRestriction) {
  build({doc("t0", "quantum computing", "quantum annealing"), doc("t1", "classical", "quantum"),
         doc("t2", "other", "nothing", {"Quantum Smith"}), doc("t3", "unrelated", "words")});
  EXPECT_EQ(sorted_ids("quantum"), (Strings{"t0", "t1", "t2"}));
  EXPECT_EQ(ids("ti:quantum"), (Strings{"t0"}));
  EXPECT_EQ(ids("title:quantum"), (Strings{"t0"}));
  EXPECT_EQ(sorted_ids("abs:quantum"), (Strings{"t0", "t1"}));
  EXPECT_EQ(ids("au:quantum"), (Strings{"t2"}));
  EXPECT_EQ(ids("ti:annealing"), (Strings{}));
  EXPECT_EQ(ids("au:computing"), (Strings{}));
  // Restricted to the title, t0's abstract occurrence no longer counts.
  EXPECT_LT(score_of("ti:quantum", "t0"), score_of("quantum", "t0"));
  // A field term is required: other free words only rank.
  EXPECT_EQ(ids("ti:quantum classical words"), (Strings{"t0"}));
  EXPECT_EQ(sorted_ids("-ti:quantum quantum"), (Strings{"t1", "t2"}));
}

TEST_F(SearcherTest, PhraseMatching) {
  build({doc("p0", "first", "neural network pruning"),
         doc("p1", "second", "network neural pruning"),
         doc("p2", "deep neural", "network design"),  // across fields: no phrase
         doc("p3", "third", "plain", {"John Smith", "Jones Brown"}),
         doc("p4", "fourth", "plain", {"Smith Jones"}), doc("p5", "fifth", "neural and network")});
  EXPECT_EQ(ids("\"neural network\""), (Strings{"p0"}));
  EXPECT_EQ(ids("\"network neural\""), (Strings{"p1"}));
  EXPECT_EQ(ids("\"neural network pruning\""), (Strings{"p0"}));
  EXPECT_EQ(ids("\"neural pruning\""), (Strings{"p1"}));
  EXPECT_EQ(ids("\"network design\""), (Strings{"p2"}));
  EXPECT_EQ(ids("\"deep neural network\""), (Strings{}));
  EXPECT_EQ(ids("ti:\"neural network\""), (Strings{}));
  EXPECT_EQ(ids("abs:\"neural network\""), (Strings{"p0"}));
  // Within one author's name, never across two names.
  EXPECT_EQ(ids("\"smith jones\""), (Strings{"p4"}));
  EXPECT_EQ(ids("au:\"smith jones\""), (Strings{"p4"}));
  EXPECT_EQ(ids("\"john smith\""), (Strings{"p3"}));
  EXPECT_EQ(ids("\"jones smith\""), (Strings{}));
  // A phrase is required; free words rank the rest of the matches.
  EXPECT_EQ(ids("\"neural network\" design"), (Strings{"p0"}));
  // Phrase words are scored.
  EXPECT_GT(score_of("\"neural network\"", "p0"), 0);
}

TEST_F(SearcherTest, Exclusion) {
  build({doc("e0", "first", "neural network pruning"), doc("e1", "second", "neural pruning"),
         doc("e2", "third", "neural network"), doc("e3", "fourth", "neural"),
         doc("e4", "network neural", "other")});
  EXPECT_EQ(sorted_ids("neural"), (Strings{"e0", "e1", "e2", "e3", "e4"}));
  EXPECT_EQ(sorted_ids("neural -pruning"), (Strings{"e2", "e3", "e4"}));
  EXPECT_EQ(sorted_ids("neural -network"), (Strings{"e1", "e3"}));
  EXPECT_EQ(sorted_ids("neural -\"neural network\""), (Strings{"e1", "e3", "e4"}));
  EXPECT_EQ(sorted_ids("neural -ti:network"), (Strings{"e0", "e1", "e2", "e3"}));
  EXPECT_EQ(sorted_ids("neural -pruning -network"), (Strings{"e3"}));
  EXPECT_EQ(sorted_ids("neural -absentword"), (Strings{"e0", "e1", "e2", "e3", "e4"}));
  // An exclusion alone matches nothing (there is nothing to rank).
  EXPECT_EQ(ids("-pruning"), (Strings{}));
}

TEST_F(SearcherTest, CategoryAndDateFilters) {
  build({doc("c0", "t", "robot", {}, {"cs.LG"}, day_of("2022-01-10")),
         doc("c1", "t", "robot arm", {}, {"cs.CL", "stat.ML"}, day_of("2022-03-15")),
         doc("c2", "t", "robot arm", {}, {}, kUnknownDay),
         doc("c3", "t", "robot", {}, {"CS.CL"}, day_of("2022-06-01")),
         doc("c4", "t", "other", {}, {"cs.LG"}, day_of("2022-02-01"))});
  EXPECT_EQ(sorted_ids("robot"), (Strings{"c0", "c1", "c2", "c3"}));
  EXPECT_EQ(ids("robot cat:cs.lg"), (Strings{"c0"}));
  EXPECT_EQ(sorted_ids("robot cat:CS.CL"), (Strings{"c1", "c3"}));
  EXPECT_EQ(sorted_ids("robot cat:cs.LG,stat.ml"), (Strings{"c0", "c1"}));
  EXPECT_EQ(sorted_ids("robot cat:cs.lg cat:stat.ml"), (Strings{"c0", "c1"}));
  EXPECT_EQ(ids("robot cat:math.oc"), (Strings{}));
  EXPECT_EQ(sorted_ids("robot after:2022-03-15"), (Strings{"c1", "c3"}));  // inclusive
  EXPECT_EQ(sorted_ids("robot after:2022-03-16"), (Strings{"c3"}));
  EXPECT_EQ(sorted_ids("robot before:2022-03"), (Strings{"c0", "c1"}));  // end of month
  EXPECT_EQ(sorted_ids("robot before:2022-03-14"), (Strings{"c0"}));
  EXPECT_EQ(sorted_ids("robot after:2022-02 before:2022-05"), (Strings{"c1"}));
  EXPECT_EQ(sorted_ids("robot after:2021"), (Strings{"c0", "c1", "c3"}));  // unknown day out
  EXPECT_EQ(ids("robot after:2023"), (Strings{}));
  EXPECT_EQ(sorted_ids("robot cat:cs.cl after:2022-04"), (Strings{"c3"}));
  // Filters alone: every matching document, newest first.
  EXPECT_EQ(ids("cat:cs.lg"), (Strings{"c4", "c0"}));
  EXPECT_EQ(ids("after:2022-02"), (Strings{"c3", "c1", "c4"}));
  // id: filter.
  EXPECT_EQ(ids("robot id:c2"), (Strings{"c2"}));
  EXPECT_EQ(ids("id:c1,c3"), (Strings{"c3", "c1"}));
}

TEST_F(SearcherTest, SortByDate) {
  build({doc("c0", "t", "robot", {}, {}, day_of("2022-01-10")),
         doc("c1", "t", "robot arm arm arm", {}, {}, day_of("2022-03-15")),
         doc("c2", "t", "robot arm", {}, {}, kUnknownDay),
         doc("c3", "t", "robot", {}, {}, day_of("2022-06-01")),
         doc("c4", "t", "arm", {}, {}, day_of("2023-06-01")),
         doc("c5", "t", "robot robot", {}, {}, day_of("2022-06-01"))});
  SearchOptions opt = options();
  opt.sort = SortOrder::kDate;
  // Newest first; a tie on the day goes to the better score; unknown days last.
  EXPECT_EQ(ids("robot", opt), (Strings{"c5", "c3", "c1", "c0", "c2"}));
  // Only documents with every term.
  EXPECT_EQ(ids("robot arm", opt), (Strings{"c1", "c2"}));
  EXPECT_EQ(ids("robot arm after:2022", opt), (Strings{"c1"}));
  opt.k = 2;
  EXPECT_EQ(ids("robot", opt), (Strings{"c5", "c3"}));
  opt.offset = 2;
  EXPECT_EQ(ids("robot", opt), (Strings{"c1", "c0"}));
  // Relevance order for comparison: c1 has "arm" three times.
  EXPECT_EQ(ids("arm", options())[0], "c1");
  opt.k = 100;
  opt.offset = 0;
  auto hits = run("robot", opt).hits;
  ASSERT_EQ(hits.size(), 5u);
  EXPECT_EQ(hits[0].day, day_of("2022-06-01"));
  EXPECT_EQ(hits.back().day, kUnknownDay);
}

TEST_F(SearcherTest, PinExactTitleAndId) {
  build({doc("2401.00001", "Attention Is All You Need", "transformer"),
         doc("2401.00002", "Attention attention attention", "attention need attention need"),
         doc("2401.00003", "Need for attention", "attention need", {}, {"cs.CV"}),
         doc("hep-th/9901001", "Strings", "need attention")});
  SearchOptions opt = options();
  opt.pin_exact = true;
  // BM25 alone ranks the repetitive paper first.
  auto plain = run("Attention Is All You Need", options()).hits;
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain[0].id, "2401.00002");
  EXPECT_FALSE(plain[0].exact);
  // The exact title ranks first, with its real score, and only once.
  auto r = run("attention is all you need", opt).hits;
  ASSERT_EQ(r.size(), plain.size());
  EXPECT_EQ(r[0].id, "2401.00001");
  EXPECT_TRUE(r[0].exact);
  EXPECT_GT(r[0].score, 0);
  EXPECT_EQ(r[1].id, "2401.00002");
  EXPECT_FALSE(r[1].exact);
  EXPECT_EQ(std::count_if(r.begin(), r.end(), [](const Hit& h) { return h.id == "2401.00001"; }),
            1);
  // Punctuation and case do not matter to the title match.
  EXPECT_EQ(run("Attention is all you need!", opt).hits[0].id, "2401.00001");
  // An arXiv id typed as the query ranks that paper first, in any accepted spelling.
  for (const char* q : {"2401.00003", "2401.00003v2", "arXiv:2401.00003"}) {
    auto hits = run(q, opt).hits;
    ASSERT_FALSE(hits.empty()) << q;
    EXPECT_EQ(hits[0].id, "2401.00003") << q;
    EXPECT_TRUE(hits[0].exact) << q;
  }
  EXPECT_EQ(run("hep-th/9901001", opt).hits.at(0).id, "hep-th/9901001");
  // Pins obey filters and paging.
  auto filtered = run("attention is all you need cat:cs.cv", opt).hits;
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].id, "2401.00003");
  EXPECT_TRUE(run("2401.00003 cat:cs.lg", opt).hits.empty());
  opt.offset = 1;
  opt.k = 1;
  auto second = run("attention is all you need", opt).hits;
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "2401.00002");
  // Not with pinning off, nor when sorting by date.
  EXPECT_TRUE(run("2401.00003", options()).hits.empty());
  SearchOptions by_date = opt;
  by_date.sort = SortOrder::kDate;
  by_date.offset = 0;
  EXPECT_TRUE(run("2401.00003", by_date).hits.empty());
  // A deleted paper is never pinned.
  ASSERT_TRUE(index_->update({}, Strings{"2401.00001", "2401.00003"}, 0, analyzer_).ok());
  opt.offset = 0;
  opt.k = 10;
  r = run("attention is all you need", opt).hits;
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].id, "2401.00002");
  EXPECT_FALSE(r[0].exact);
  EXPECT_TRUE(run("2401.00003", opt).hits.empty());
}

// Regression: k = 0 read the top of an empty heap in the pruned path.
TEST_F(SearcherTest, ZeroKReturnsNothing) {
  build({doc("a", "alpha", "beta"), doc("b", "alpha", "gamma")});
  for (bool exhaustive : {false, true}) {
    SearchOptions opt = options(0);
    opt.exhaustive = exhaustive;
    EXPECT_TRUE(run("alpha", opt).hits.empty());
    opt.offset = 1;
    EXPECT_TRUE(run("alpha", opt).hits.empty());
  }
}

// A pinned hit carries its BM25 score whatever k is (not 0 when it ranks below the top k).
TEST_F(SearcherTest, PinnedScoreDoesNotDependOnK) {
  build({doc("2401.00001", "Attention Is All You Need", "transformer"),
         doc("2401.00002", "Attention attention attention", "attention need attention need"),
         doc("2401.00003", "Need for attention", "attention need"),
         doc("2401.00004", "Strings", "need attention")});
  const std::string q = "attention is all you need";
  const double bm25_score = score_of(q, "2401.00001");  // unpinned, ranked 4th
  ASSERT_GT(bm25_score, 0);
  SearchOptions opt = options(100);
  opt.pin_exact = true;
  for (size_t k : {1, 2, 3, 10}) {
    opt.k = k;
    auto hits = run(q, opt).hits;
    ASSERT_FALSE(hits.empty());
    ASSERT_EQ(hits[0].id, "2401.00001");
    EXPECT_TRUE(hits[0].exact);
    EXPECT_NEAR(hits[0].score, bm25_score, kFormulaTolerance) << "k " << k;
  }
}

TEST_F(SearcherTest, EmptyQueries) {
  build({doc("a", "alpha", "beta"), doc("b", "gamma", "delta")});
  for (const char* q : {"", "   ", "!!!", "-alpha", "-\"alpha beta\"", "\"\"", "ti:"}) {
    SearchOptions opt = options();
    for (bool exhaustive : {false, true}) {
      opt.exhaustive = exhaustive;
      auto r = run(q, opt);
      EXPECT_TRUE(r.hits.empty()) << "'" << q << "'";
    }
  }
  EXPECT_TRUE(run("zzzunknown", options()).hits.empty());
  // An empty index answers every query with nothing.
  TempDir other;
  auto empty = LexicalIndex::open(other.path());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(search(*(*empty)->snapshot(), parse_query("alpha", analyzer_), options(), analyzer_)
                  .hits.empty());
}

TEST_F(SearcherTest, DeletedDocumentsAreNeverReturned) {
  build({doc("a", "walrus", "tusk", {"Ada Smith"}, {"cs.LG"}, day_of("2022-01-01")),
         doc("b", "walrus", "tusk tusk", {"Bob Smith"}, {"cs.LG"}, day_of("2022-02-01")),
         doc("c", "seal", "flipper", {}, {}, day_of("2022-03-01"))});
  ASSERT_TRUE(
      index_
          ->update(std::vector<IndexDoc>{doc("c", "seal", "whiskers")}, Strings{"b"}, 0, analyzer_)
          .ok());
  SearchOptions date = options();
  date.sort = SortOrder::kDate;
  SearchOptions pinned = options();
  pinned.pin_exact = true;
  for (const SearchOptions& opt : {options(), date, pinned}) {
    EXPECT_EQ(ids("walrus", opt), (Strings{"a"}));
    EXPECT_EQ(ids("tusk", opt), (Strings{"a"}));
    EXPECT_EQ(ids("\"bob smith\"", opt), (Strings{}));
    EXPECT_EQ(ids("flipper", opt), (Strings{}));
    EXPECT_EQ(ids("whiskers", opt), (Strings{"c"}));
    EXPECT_EQ(ids("cat:cs.lg", opt), (Strings{"a"}));
    EXPECT_EQ(ids("id:b", opt), (Strings{}));
    EXPECT_EQ(ids("seal", opt), (Strings{"c"}));  // once, the new copy
  }
  auto hit = run("seal", options()).hits.at(0);
  EXPECT_EQ(hit.segment, 1u);
}

TEST_F(SearcherTest, TiesAreBrokenBySegmentThenDocument) {
  // 3 x 200 documents in three segments with only three distinct scores, so most hits tie:
  // the pruned path may skip a tying document only because it comes later in index order.
  auto index = LexicalIndex::open(dir_ / "idx");
  ASSERT_TRUE(index.ok());
  index_ = std::move(*index);
  for (int s = 0; s < 3; ++s) {
    std::vector<IndexDoc> docs;
    for (int i = 0; i < 200; ++i) {
      std::string abstract = "alpha";
      for (int k = 0; k < (i * 7 + s) % 3; ++k) abstract += " alpha";
      docs.push_back(doc("s" + std::to_string(s) + "d" + std::to_string(i), "title words",
                         abstract + " filler"));
    }
    ASSERT_TRUE(index_->update(docs, {}, 0, analyzer_).ok());
  }
  SearchOptions opt = options(600);
  opt.exhaustive = true;
  auto all = run("alpha", opt).hits;
  ASSERT_EQ(all.size(), 600u);
  std::set<double> levels;
  for (size_t r = 0; r < all.size(); ++r) {
    levels.insert(all[r].score);
    if (r == 0) continue;
    ASSERT_GE(all[r - 1].score, all[r].score) << r;
    if (all[r - 1].score == all[r].score) {
      ASSERT_TRUE(all[r - 1].segment < all[r].segment ||
                  (all[r - 1].segment == all[r].segment && all[r - 1].doc < all[r].doc))
          << "rank " << r << ": " << all[r - 1].id << " before " << all[r].id;
    }
  }
  EXPECT_EQ(levels.size(), 3u);
  for (size_t k : {1, 5, 50, 199, 200, 201, 450, 600}) {
    opt.exhaustive = false;
    opt.k = k;
    auto got = run("alpha", opt).hits;
    ASSERT_EQ(got.size(), k);
    for (size_t r = 0; r < k; ++r) ASSERT_EQ(got[r].id, all[r].id) << "k " << k << " rank " << r;
  }
}

// ---------------------------------------------------------------------------------------------
// Property test: a random Zipfian corpus in three segments with updates and deletions.

struct Version {
  std::string id;
  std::vector<int> title, abstract;  // word indexes
  std::vector<std::string> authors;
  std::vector<std::string> categories;
  std::int32_t day = kUnknownDay;
  bool live = true;
  // Brute-force statistics: per-term per-field frequencies, field lengths.
  std::unordered_map<std::string, std::array<std::uint32_t, 3>> tf;
  std::array<std::uint32_t, 3> length{};
};

class Corpus {
 public:
  Corpus(std::uint64_t seed, text::Analyzer& analyzer) : rng_(seed), analyzer_(analyzer) {
    make_words(2000, words_, terms_);
    double sum = 0;
    for (size_t r = 0; r < words_.size(); ++r) {
      sum += 1.0 / static_cast<double>(r + 1);
      zipf_cdf_.push_back(sum);
    }
    std::vector<std::string> names, name_terms;
    make_words(300, names, name_terms);
    for (size_t i = 0; i + 1 < names.size(); i += 2) {
      std::string first = names[i], last = names[i + 1];
      first[0] = static_cast<char>(first[0] - 'a' + 'A');
      last[0] = static_cast<char>(last[0] - 'a' + 'A');
      authors_.push_back(first + " " + last);
      surnames_.push_back(names[i + 1]);
    }
  }

  std::mt19937_64& rng() { return rng_; }
  int zipf_word() {
    double u = std::uniform_real_distribution<double>(0, zipf_cdf_.back())(rng_);
    auto it = std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u);
    return static_cast<int>(std::min<size_t>(it - zipf_cdf_.begin(), words_.size() - 1));
  }
  int uniform_word() { return static_cast<int>(rng_() % words_.size()); }
  const std::string& word(int i) const { return words_[static_cast<size_t>(i)]; }
  const std::string& surname() { return surnames_[rng_() % surnames_.size()]; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  static constexpr const char* kCategories[] = {"cs.LG",   "cs.CL",   "cs.CV",   "cs.AI",
                                                "stat.ML", "math.OC", "q-bio.NC"};
  const char* category() {
    // Skewed: the first categories are the common ones.
    size_t a = rng_() % std::size(kCategories), b = rng_() % std::size(kCategories);
    return kCategories[std::min(a, b)];
  }

  Version make_doc(std::string id) {
    Version v;
    v.id = std::move(id);
    size_t nt = 5 + rng_() % 8, na = 50 + rng_() % 151;
    for (size_t i = 0; i < nt; ++i) v.title.push_back(chance(0.8) ? zipf_word() : uniform_word());
    for (size_t i = 0; i < na; ++i) v.abstract.push_back(zipf_word());
    size_t nau = rng_() % 5;
    for (size_t i = 0; i < nau; ++i) v.authors.push_back(authors_[rng_() % authors_.size()]);
    size_t nc = rng_() % 3;
    for (size_t i = 0; i < nc; ++i) v.categories.emplace_back(category());
    if (!chance(0.15)) v.day = 18000 + static_cast<std::int32_t>(rng_() % 2500);
    analyse(v);
    return v;
  }

  IndexDoc index_doc(const Version& v) const {
    IndexDoc d;
    d.id = v.id;
    d.title = text_of(v.title);
    d.abstract = text_of(v.abstract);
    d.authors = v.authors;
    d.categories = v.categories;
    d.day = v.day;
    return d;
  }

  std::string text_of(const std::vector<int>& words) const {
    std::string s;
    for (int w : words) {
      if (!s.empty()) s += ' ';
      s += word(w);
    }
    return s;
  }

 private:
  // Pronounceable pseudo-words with distinct analysed forms, none a stopword.
  void make_words(size_t n, std::vector<std::string>& out, std::vector<std::string>& terms) {
    static const char* const kOnsets[] = {"b", "c", "d", "f", "g", "k",  "l",  "m",  "n",  "p",
                                          "r", "s", "t", "v", "z", "br", "st", "tr", "pl", "gr"};
    static const char* const kVowels[] = {"a", "e", "i", "o", "u", "ai", "ou"};
    std::set<std::string> seen;
    for (const auto& t : terms_) seen.insert(t);
    while (out.size() < n) {
      std::string w;
      size_t syllables = 2 + rng_() % 3;
      for (size_t s = 0; s < syllables; ++s) {
        w += kOnsets[rng_() % std::size(kOnsets)];
        w += kVowels[rng_() % std::size(kVowels)];
      }
      if (rng_() % 3 == 0) w += "n";
      if (text::Analyzer::is_stopword(w)) continue;
      auto t = analyzer_.terms(w);
      if (t.size() != 1 || !seen.insert(t[0]).second) continue;
      out.push_back(w);
      terms.push_back(t[0]);
    }
  }

  // Each pseudo-word analyses to one known term, so only author names need the analyzer.
  void analyse(Version& v) {
    for (int w : v.title) ++v.tf[terms_[static_cast<size_t>(w)]][0];
    for (int w : v.abstract) ++v.tf[terms_[static_cast<size_t>(w)]][1];
    v.length[0] = static_cast<std::uint32_t>(v.title.size());
    v.length[1] = static_cast<std::uint32_t>(v.abstract.size());
    std::vector<text::Token> tokens;
    for (const auto& a : v.authors) {
      tokens.clear();
      analyzer_.analyze(a, tokens);
      for (const auto& t : tokens) {
        ++v.tf[t.term][2];
        if (!t.joined) ++v.length[2];
      }
    }
  }

  std::mt19937_64 rng_;
  text::Analyzer& analyzer_;
  std::vector<std::string> words_, terms_;
  std::vector<double> zipf_cdf_;
  std::vector<std::string> authors_, surnames_;
};

// Shared by the property tests: built once (about 3,250 indexed copies of 3,000 documents).
class RandomCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    analyzer_ = new text::Analyzer();
    corpus_ = new Corpus(20240611, *analyzer_);
    versions_ = new std::vector<Version>();
    auto index = LexicalIndex::open(dir_->path() / "idx");
    ASSERT_TRUE(index.ok());
    index_ = index->release();

    auto id_of = [](int n) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "2301.%05d", n);
      return std::string(buf);
    };
    auto& rng = corpus_->rng();
    std::map<std::string, size_t> latest;  // id -> version index
    auto run_batch = [&](int first, int last, size_t rewrites, size_t deletes) {
      std::vector<size_t> batch;
      std::vector<std::string> deleted;
      // Rewrite and delete some earlier live documents (each id once per batch).
      std::vector<std::string> existing;
      for (const auto& [id, vi] : latest)
        if ((*versions_)[vi].live) existing.push_back(id);
      std::shuffle(existing.begin(), existing.end(), rng);
      size_t at = 0;
      for (; at < existing.size() && at < rewrites; ++at) {
        versions_->push_back(corpus_->make_doc(existing[at]));
        batch.push_back(versions_->size() - 1);
      }
      for (size_t k = 0; k < deletes && at < existing.size(); ++k, ++at)
        deleted.push_back(existing[at]);
      for (int n = first; n < last; ++n) {
        versions_->push_back(corpus_->make_doc(id_of(n)));
        batch.push_back(versions_->size() - 1);
      }
      // Interleave the new documents with the rewritten ones.
      std::shuffle(batch.begin(), batch.end(), rng);
      std::vector<IndexDoc> docs;
      // Versions are kept in index order: move this batch's versions into that order.
      std::vector<Version> reordered;
      size_t base = versions_->size() - batch.size();
      for (size_t vi : batch) reordered.push_back((*versions_)[vi]);
      for (size_t i = 0; i < batch.size(); ++i) (*versions_)[base + i] = reordered[i];
      for (size_t i = 0; i < batch.size(); ++i)
        docs.push_back(corpus_->index_doc((*versions_)[base + i]));
      for (const auto& id : deleted) {
        (*versions_)[latest.at(id)].live = false;
        latest.erase(id);
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        const auto& id = (*versions_)[base + i].id;
        if (auto it = latest.find(id); it != latest.end()) (*versions_)[it->second].live = false;
        latest[id] = base + i;
      }
      deleted_ids_->insert(deleted.begin(), deleted.end());
      for (const auto& d : docs) deleted_ids_->erase(d.id);
      ASSERT_TRUE(index_->update(docs, deleted, last, *analyzer_).ok());
      segment_sizes_.push_back(batch.size());
    };
    deleted_ids_ = new std::set<std::string>();
    run_batch(0, 1200, 0, 0);
    run_batch(1200, 2200, 150, 30);
    run_batch(2200, 3000, 100, 20);
    snapshot_ = new std::shared_ptr<const IndexSnapshot>(index_->snapshot());

    // Brute-force collection statistics (deleted copies included, as the index does).
    df_ = new std::unordered_map<std::string, std::uint64_t>();
    for (const auto& v : *versions_) {
      for (const auto& [term, tf] : v.tf) ++(*df_)[term];
      for (int f = 0; f < 3; ++f)
        length_sum_[static_cast<size_t>(f)] += v.length[static_cast<size_t>(f)];
    }
  }
  void SetUp() override { ASSERT_NE(snapshot_, nullptr) << "building the corpus failed"; }

  static void TearDownTestSuite() {
    delete snapshot_;
    delete index_;
    delete versions_;
    delete corpus_;
    delete analyzer_;
    delete df_;
    delete deleted_ids_;
    delete dir_;
    segment_sizes_.clear();
    length_sum_ = {};
  }

  // A random query string in the query language.
  static std::string random_query(bool plain) {
    Corpus& c = *corpus_;
    auto& rng = c.rng();
    std::vector<std::string> parts;
    size_t n = 1 + rng() % 8;
    for (size_t i = 0; i < n; ++i)
      parts.push_back(c.word(c.chance(0.7) ? c.zipf_word() : c.uniform_word()));
    if (c.chance(0.1)) parts.push_back(parts[0]);  // a repeated word weighs more
    if (!plain) {
      if (c.chance(0.25)) parts.push_back("+" + c.word(c.zipf_word()));
      if (c.chance(0.25)) {  // a phrase taken from a document, so that it can match
        const Version& v = (*versions_)[rng() % versions_->size()];
        const auto& words = c.chance(0.7) ? v.abstract : v.title;
        size_t len = 2 + rng() % 2;
        if (words.size() >= len) {
          size_t at = rng() % (words.size() - len + 1);
          std::string p = c.chance(0.2) ? "ti:\"" : "\"";
          for (size_t k = 0; k < len; ++k) p += (k ? " " : "") + c.word(words[at + k]);
          parts.push_back(p + "\"");
        }
      }
      if (c.chance(0.2)) {
        if (c.chance(0.7)) {
          parts.push_back("-" + c.word(static_cast<int>(rng() % 100)));
        } else {
          parts.push_back("-\"" + c.word(c.zipf_word()) + " " + c.word(c.zipf_word()) + "\"");
        }
      }
      if (c.chance(0.15)) {
        std::string cat = "cat:" + std::string(c.category());
        if (c.chance(0.3)) cat += "," + std::string(c.category());
        parts.push_back(cat);
      }
      if (c.chance(0.15)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s:%d-%02d", c.chance(0.5) ? "after" : "before",
                      2019 + static_cast<int>(rng() % 7), 1 + static_cast<int>(rng() % 12));
        parts.push_back(buf);
      }
      if (c.chance(0.2)) {
        switch (rng() % 3) {
          case 0:
            parts.push_back("ti:" + c.word(c.zipf_word()));
            break;
          case 1:
            parts.push_back("abs:" + c.word(c.zipf_word()));
            break;
          default:
            parts.push_back("au:" + c.surname());
            break;
        }
      }
    }
    std::shuffle(parts.begin(), parts.end(), rng);
    std::string q;
    for (const auto& p : parts) q += (q.empty() ? "" : " ") + p;
    return q;
  }

  // (segment, doc) -> version index.
  static size_t version_of(const Hit& h) {
    size_t base = 0;
    for (std::uint32_t s = 0; s < h.segment; ++s) base += segment_sizes_[s];
    return base + h.doc;
  }

  static SearchOptions options(size_t k, bool exhaustive) {
    SearchOptions opt;
    opt.k = k;
    opt.exhaustive = exhaustive;
    opt.pin_exact = false;
    return opt;
  }

  static SearchResponse run(const Query& q, const SearchOptions& opt) {
    return search(**snapshot_, q, opt, *analyzer_);
  }

  static inline TempDir* dir_ = nullptr;
  static inline text::Analyzer* analyzer_ = nullptr;
  static inline Corpus* corpus_ = nullptr;
  static inline LexicalIndex* index_ = nullptr;
  static inline std::vector<Version>* versions_ = nullptr;
  static inline std::vector<size_t> segment_sizes_;
  static inline std::set<std::string>* deleted_ids_ = nullptr;
  static inline std::shared_ptr<const IndexSnapshot>* snapshot_ = nullptr;
  static inline std::unordered_map<std::string, std::uint64_t>* df_ = nullptr;
  static inline std::array<std::uint64_t, 3> length_sum_{};
};

TEST_F(RandomCorpusTest, IndexMatchesTheModel) {
  const IndexSnapshot& snap = **snapshot_;
  ASSERT_EQ(snap.segments.size(), 3u);
  size_t total = 0, live = 0;
  for (std::uint32_t s = 0; s < 3; ++s) {
    const auto& v = snap.segments[s];
    ASSERT_EQ(v.segment->doc_count(), segment_sizes_[s]);
    for (std::uint32_t d = 0; d < v.segment->doc_count(); ++d) {
      const Version& ver = (*versions_)[total + d];
      ASSERT_EQ(v.segment->doc_id(d), ver.id);
      ASSERT_EQ(v.is_deleted(d), !ver.live) << ver.id;
      ASSERT_EQ(v.segment->doc(d).day, ver.day);
      for (int f = 0; f < 3; ++f) ASSERT_EQ(v.segment->doc(d).length[f], ver.length[f]);
      live += ver.live;
    }
    total += v.segment->doc_count();
  }
  EXPECT_EQ(total, versions_->size());
  EXPECT_EQ(snap.total_docs, total);
  EXPECT_EQ(snap.live_docs(), live);
  EXPECT_EQ(live, 3000u - deleted_ids_->size());
  EXPECT_GT(snap.segments[0].deleted_count, 0u);
  EXPECT_GT(snap.segments[1].deleted_count, 0u);
  for (int f = 0; f < 3; ++f) EXPECT_EQ(snap.field_length_sum[f], length_sum_[f]);
  for (const auto& [term, df] : *df_) ASSERT_EQ(snap.document_frequency(term), df) << term;
  EXPECT_EQ(snap.store_seq, 3000);
}

// The central property: pruned top-k == exhaustive top-k, hit for hit.
TEST_F(RandomCorpusTest, PrunedTopKEqualsExhaustive) {
  const int kQueries = 300;
  int nonempty = 0, large = 0;
  std::uint64_t pruned_candidates = 0, exhaustive_candidates = 0;
  for (int i = 0; i < kQueries; ++i) {
    const std::string text = random_query(corpus_->chance(0.3));
    SCOPED_TRACE("query '" + text + "'");
    const Query q = parse_query(text, *analyzer_);
    // The exhaustive path sorts every match and cuts: its top 100 holds every smaller top k.
    auto ref = run(q, options(100, true));
    nonempty += !ref.hits.empty();
    large += ref.hits.size() == 100;
    for (size_t k : {size_t{1}, size_t{10}, size_t{100}}) {
      auto got = run(q, options(k, false));
      if (k == 1) {
        pruned_candidates += got.candidates;
        exhaustive_candidates += ref.candidates;
      }
      const size_t n = std::min(k, ref.hits.size());
      ASSERT_EQ(got.hits.size(), n) << "k " << k;
      for (size_t r = 0; r < n; ++r) {
        const Hit& a = got.hits[r];
        const Hit& b = ref.hits[r];
        ASSERT_EQ(a.id, b.id) << "k " << k << " rank " << r << " scores " << a.score << " "
                              << b.score;
        ASSERT_EQ(a.segment, b.segment);
        ASSERT_EQ(a.doc, b.doc);
        // Bit for bit: both sum the same fixed-point contributions, the pruned path's computed
        // four at a time with AVX2 where the CPU has it, the exhaustive path's one by one.
        ASSERT_EQ(a.score, b.score);
        ASSERT_FALSE(a.exact);
      }
      EXPECT_EQ(got.terms, ref.terms);
    }
    // Every hit is a live document, found under its id where the index says.
    for (const Hit& h : ref.hits) {
      const Version& v = (*versions_)[version_of(h)];
      ASSERT_EQ(v.id, h.id);
      ASSERT_TRUE(v.live) << h.id;
      ASSERT_FALSE(deleted_ids_->count(h.id)) << h.id;
      auto where = (*snapshot_)->find_id(h.id);
      ASSERT_TRUE(where.has_value());
      ASSERT_EQ(where->first, h.segment);
      ASSERT_EQ(where->second, h.doc);
    }
    // And a smaller exhaustive k is a prefix of the larger one.
    if (i % 16 == 0) {
      auto ref10 = run(q, options(10, true));
      ASSERT_EQ(ref10.hits.size(), std::min<size_t>(10, ref.hits.size()));
      for (size_t r = 0; r < ref10.hits.size(); ++r) ASSERT_EQ(ref10.hits[r].id, ref.hits[r].id);
    }
  }
  // The test is not vacuous: most queries match, many fill k = 100, and pruning does skip.
  EXPECT_GT(nonempty, kQueries * 2 / 3);
  EXPECT_GT(large, kQueries / 4);
  EXPECT_LT(pruned_candidates, exhaustive_candidates / 2);
}

// Plain free-text queries against an independent brute-force BM25F scorer.
TEST_F(RandomCorpusTest, ScoresEqualBruteForce) {
  const double n = static_cast<double>(versions_->size());
  const double k1 = static_cast<double>(0.9f), b = static_cast<double>(0.4f);
  double avglen = 0;
  for (int f = 0; f < 3; ++f)
    avglen += static_cast<double>(length_sum_[static_cast<size_t>(f)]) / n;
  for (int i = 0; i < 60; ++i) {
    const std::string text = random_query(true);
    SCOPED_TRACE("query '" + text + "'");
    const Query q = parse_query(text, *analyzer_);
    ASSERT_TRUE(q.must.empty() && q.phrases.empty() && q.must_not.empty());
    std::vector<double> brute(versions_->size(), 0);
    std::vector<std::pair<double, size_t>> ranked;
    for (size_t vi = 0; vi < versions_->size(); ++vi) {
      const Version& v = (*versions_)[vi];
      double s = 0;
      bool any = false;
      for (const auto& t : q.should) {
        auto it = v.tf.find(t.term);
        if (it == v.tf.end()) continue;
        any = true;
        const double tf = it->second[0] + it->second[1] + it->second[2];
        const double len = v.length[0] + v.length[1] + v.length[2];
        const double df = static_cast<double>(df_->at(t.term));
        const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
        s += t.weight * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen));
      }
      brute[vi] = s;
      if (any && v.live) ranked.emplace_back(s, vi);
    }
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& x, const auto& y) { return x.first > y.first; });
    for (bool exhaustive : {false, true}) {
      auto hits = run(q, options(20, exhaustive)).hits;
      ASSERT_EQ(hits.size(), std::min<size_t>(20, ranked.size()));
      for (size_t r = 0; r < hits.size(); ++r) {
        ASSERT_TRUE(near_rel(hits[r].score, brute[version_of(hits[r])]))
            << hits[r].id << ": " << hits[r].score << " vs " << brute[version_of(hits[r])];
        ASSERT_TRUE(near_rel(hits[r].score, ranked[r].first))
            << "rank " << r << ": " << hits[r].score << " vs " << ranked[r].first;
      }
    }
  }
}

TEST_F(RandomCorpusTest, OffsetPagesAgreeWithALargerK) {
  for (int i = 0; i < 12; ++i) {
    const std::string text = random_query(i % 2 == 0);
    SCOPED_TRACE("query '" + text + "'");
    const Query q = parse_query(text, *analyzer_);
    for (bool exhaustive : {false, true}) {
      for (SortOrder sort : {SortOrder::kRelevance, SortOrder::kDate}) {
        SearchOptions opt = options(60, exhaustive);
        opt.sort = sort;
        const auto all = run(q, opt).hits;
        // Pages of 20 put together, and one page of 10 straddling them, equal the top 60.
        std::vector<Hit> paged;
        for (size_t offset : {0, 20, 40}) {
          opt.k = 20;
          opt.offset = offset;
          auto page = run(q, opt).hits;
          ASSERT_EQ(page.size(), std::min<size_t>(20, all.size() - std::min(all.size(), offset)));
          paged.insert(paged.end(), page.begin(), page.end());
        }
        ASSERT_EQ(paged.size(), all.size());
        for (size_t r = 0; r < all.size(); ++r) {
          ASSERT_EQ(paged[r].id, all[r].id) << r;
          ASSERT_TRUE(near_rel(paged[r].score, all[r].score));
        }
        opt.k = 10;
        opt.offset = 35;
        auto straddle = run(q, opt).hits;
        ASSERT_EQ(straddle.size(),
                  std::min<size_t>(10, all.size() - std::min<size_t>(all.size(), 35)));
        for (size_t r = 0; r < straddle.size(); ++r) ASSERT_EQ(straddle[r].id, all[35 + r].id);
        // Past the end: nothing.
        opt.offset = 100000;
        ASSERT_TRUE(run(q, opt).hits.empty());
      }
    }
  }
}

TEST_F(RandomCorpusTest, DateSortReturnsDocumentsWithEveryTermNewestFirst) {
  auto& c = *corpus_;
  for (int i = 0; i < 20; ++i) {
    // Two mid-frequency words, so that the matching set is neither empty nor huge.
    std::string w1 = c.word(20 + static_cast<int>(c.rng()() % 200));
    std::string w2 = c.word(20 + static_cast<int>(c.rng()() % 200));
    const std::string text = w1 + " " + w2;
    SCOPED_TRACE("query '" + text + "'");
    const Query q = parse_query(text, *analyzer_);
    std::set<std::string> expected;
    for (const auto& v : *versions_) {
      if (!v.live) continue;
      bool all = true;
      for (const auto& t : q.should) all = all && v.tf.count(t.term);
      if (all) expected.insert(v.id);
    }
    SearchOptions opt = options(5000, false);
    opt.sort = SortOrder::kDate;
    auto hits = run(q, opt).hits;
    std::set<std::string> got;
    for (size_t r = 0; r < hits.size(); ++r) {
      got.insert(hits[r].id);
      EXPECT_EQ(hits[r].day, (*versions_)[version_of(hits[r])].day);
      if (r > 0) {
        ASSERT_GE(hits[r - 1].day, hits[r].day);
        if (hits[r - 1].day == hits[r].day) {
          ASSERT_GE(hits[r - 1].score, hits[r].score);
        }
      }
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got.size(), hits.size());
  }
}

TEST_F(RandomCorpusTest, EmptyQueriesFindNothing) {
  for (const char* text : {"", " ", "...", "-" /* a lone sign */, "\"\""}) {
    const Query q = parse_query(text, *analyzer_);
    for (bool exhaustive : {false, true})
      EXPECT_TRUE(run(q, options(10, exhaustive)).hits.empty()) << "'" << text << "'";
  }
  // Only an exclusion: nothing to rank.
  const Query q = parse_query("-" + corpus_->word(0), *analyzer_);
  EXPECT_TRUE(run(q, options(10, false)).hits.empty());
}

}  // namespace
}  // namespace pb::lexical
