#include "core/paper.hpp"

#include <gtest/gtest.h>

namespace pb {
namespace {

Paper base() {
  Paper p;
  p.id = "2401.01234";
  p.version = 1;
  p.title = "Old title";
  p.abstract = "Old abstract";
  p.authors = {"A. One"};
  p.categories = {"cs.CL"};
  p.versions = {{1, "2024-01-02"}};
  return p;
}

TEST(MergePaper, SameInputTwiceChangesNothing) {
  Paper stored = base();
  canonicalise(stored);
  EXPECT_FALSE(merge_paper(stored, base()));
}

TEST(MergePaper, NewerVersionReplacesFieldsAndKeepsHistory) {
  Paper stored = base();
  Paper v2 = base();
  v2.version = 2;
  v2.title = "New title";
  v2.abstract = "";  // unknown in this source: keep what we have
  v2.versions = {{2, "2024-02-01"}};
  EXPECT_TRUE(merge_paper(stored, v2));
  EXPECT_EQ(stored.version, 2);
  EXPECT_EQ(stored.title, "New title");
  EXPECT_EQ(stored.abstract, "Old abstract");
  ASSERT_EQ(stored.versions.size(), 2u);
  EXPECT_EQ(stored.versions[0].version, 1);
  EXPECT_EQ(stored.versions[1].created, "2024-02-01");
}

TEST(MergePaper, OlderOrUnversionedInputOnlyFillsUnknowns) {
  Paper stored = base();
  stored.version = 3;
  Paper old = base();
  old.version = 0;
  old.title = "Different title";
  old.doi = "10.1/x";
  EXPECT_TRUE(merge_paper(stored, old));
  EXPECT_EQ(stored.title, "Old title");
  EXPECT_EQ(stored.doi, "10.1/x");
  EXPECT_FALSE(merge_paper(stored, old));
}

TEST(MergePaper, SignalsAreASeriesKeyedByObservation) {
  Paper stored = base();
  Paper in = base();
  in.signals = {{"upvotes", 10, "huggingface", "2024-01-03"}};
  EXPECT_TRUE(merge_paper(stored, in));
  EXPECT_FALSE(merge_paper(stored, in));
  in.signals = {{"upvotes", 25, "huggingface", "2024-01-10"}};
  EXPECT_TRUE(merge_paper(stored, in));
  EXPECT_EQ(stored.signals.size(), 2u);
}

TEST(Canonicalise, PrimaryFirstNoDuplicates) {
  Paper p;
  p.categories = {"cs.LG", "cs.CL", "cs.LG"};
  p.primary_category = "cs.CL";
  canonicalise(p);
  EXPECT_EQ(p.categories, (std::vector<std::string>{"cs.CL", "cs.LG"}));
  Paper q;
  q.categories = {"hep-th", "gr-qc"};
  canonicalise(q);
  EXPECT_EQ(q.primary_category, "hep-th");
}

}  // namespace
}  // namespace pb
