#include <gtest/gtest.h>

#include <map>

#include "../test_support.hpp"
#include "engine/prf.hpp"
#include "index/lexical/index.hpp"

namespace pb::engine {
namespace {

TEST(Rm3, ExpandsWithFeedbackTermsAndKeepsTheOriginalShare) {
  pb::testing::TempDir dir;
  auto index = lexical::LexicalIndex::open(dir.path());
  ASSERT_TRUE(index.ok());
  std::map<std::string, std::string> texts = {
      {"a", "radiance fields render novel views with volumetric rendering"},
      {"b", "neural radiance fields: volumetric rendering of scenes"},
      {"c", "a survey of graph neural networks"},
      {"d", "protein folding with attention"},
  };
  // Filler so that feedback terms are not in more than 10% of documents.
  for (int i = 0; i < 60; ++i)
    texts["f" + std::to_string(i)] = "unrelated filler text " + std::to_string(i);
  std::vector<lexical::IndexDoc> docs;
  for (const auto& [id, t] : texts) {
    lexical::IndexDoc d;
    d.id = id;
    d.abstract = t;
    docs.push_back(d);
  }
  text::Analyzer analyzer;
  ASSERT_TRUE((*index)->update(docs, {}, 0, analyzer).ok());
  auto snap = (*index)->snapshot();
  auto q = lexical::parse_query("radiance fields", analyzer);
  lexical::SearchOptions so;
  so.k = 2;
  auto first = lexical::search(*snap, q, so, analyzer);
  ASSERT_EQ(first.hits.size(), 2u);
  PrfOptions opt;
  opt.feedback_docs = 2;
  opt.feedback_terms = 5;
  opt.original_weight = 0.6f;
  auto expanded = rm3_expand(
      q, first.hits, [&](const std::string& id) { return texts[id]; }, *snap, analyzer, opt);
  ASSERT_GT(expanded.should.size(), q.should.size());
  double total = 0, original = 0;
  bool has_volumetric = false;
  for (const auto& t : expanded.should) {
    total += t.weight;
    for (const auto& o : q.should)
      if (o.term == t.term) original += t.weight;
    has_volumetric |= t.term == analyzer.normalize_word("volumetric");
  }
  EXPECT_TRUE(has_volumetric);
  EXPECT_NEAR(total, 1.0, 1e-5);
  EXPECT_GE(original, 0.6 - 1e-5);
  // Nothing to learn from: the query comes back unchanged.
  auto same = rm3_expand(
      q, {}, [&](const std::string&) { return std::string(); }, *snap, analyzer, opt);
  EXPECT_EQ(same.should.size(), q.should.size());
}

}  // namespace
}  // namespace pb::engine
