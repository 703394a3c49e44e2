#include <gtest/gtest.h>

#include "../test_support.hpp"
#include "ingest/reader.hpp"

namespace pb::ingest {
namespace {

std::vector<Record> read_all(const std::string& path) {
  auto r = open_reader(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  std::vector<Record> out;
  if (!r.ok()) return out;
  EXPECT_EQ((*r)->format(), Format::kHfDailyApi);
  Record rec;
  while (true) {
    auto more = (*r)->next(rec);
    EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message());
    if (!more.ok() || !*more) break;
    out.push_back(rec);
  }
  return out;
}

TEST(HfApiReader, ReadsTheRealSample) {
  auto path = pb::testing::shared_data() / "hf_daily_papers" / "raw_api_sample_2026-08-21.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  auto recs = read_all(path.string());
  ASSERT_EQ(recs.size(), 17u);
  for (const auto& r : recs) ASSERT_TRUE(r.paper.ok()) << r.where;
  const Paper& p = *recs[0].paper;
  EXPECT_EQ(p.id, "2608.19880");
  EXPECT_EQ(p.title, "EnvHarness: Awakening Static Worlds for Agent Learning");
  ASSERT_EQ(p.authors.size(), 17u);
  EXPECT_EQ(p.authors[0], "Chengsong Huang");
  EXPECT_EQ(p.code_url, "https://github.com/google-research/envharness");
  EXPECT_EQ(p.project_url, "https://envharness.com/");
  ASSERT_EQ(p.daily.size(), 1u);
  EXPECT_EQ(p.daily[0].day, "2026-08-21");
  EXPECT_EQ(p.daily[0].submitted_by, "taesiri");
  auto find = [&](std::string_view kind) -> const Signal* {
    for (const auto& s : p.signals)
      if (s.kind == kind) return &s;
    return nullptr;
  };
  ASSERT_NE(find("upvotes"), nullptr);
  EXPECT_EQ(find("upvotes")->value, 163);
  EXPECT_EQ(find("upvotes")->observed_at, "2026-08-21");
  ASSERT_NE(find("comments"), nullptr);
  EXPECT_EQ(find("comments")->value, 1);
  ASSERT_NE(find("github_stars"), nullptr);
  EXPECT_EQ(find("github_stars")->value, 8);
}

TEST(HfApiReader, ReadsTheOlderSample) {
  auto path = pb::testing::shared_data() / "hf_daily_papers" / "raw_api_sample_2025-06-10.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  auto recs = read_all(path.string());
  ASSERT_FALSE(recs.empty());
  const Paper& p = *recs[0].paper;
  EXPECT_EQ(p.id, "2506.08007");
  EXPECT_EQ(p.title, "Reinforcement Pre-Training");
  EXPECT_EQ(p.daily[0].day, "2025-06-10");
}

TEST(HfApiReader, BadItemsAreSkippedGoodOnesKept) {
  pb::testing::TempDir dir;
  auto path = pb::testing::write_file(
      dir / "api.json",
      R"([{"paper": {"id": "2401.00001", "title": "Good", "summary": "s", "upvotes": 3,
          "submittedOnDailyAt": "2024-01-03T08:00:00.000Z", "authors": [{"name": "A"},
          {"name": "Hidden", "hidden": true}]}},
         {"paper": {"id": "bogus", "title": "Bad id"}},
         {"nopaper": 1},
         7])");
  auto recs = read_all(path.string());
  ASSERT_EQ(recs.size(), 4u);
  ASSERT_TRUE(recs[0].paper.ok());
  EXPECT_EQ(recs[0].paper->authors, (std::vector<std::string>{"A"}));
  EXPECT_FALSE(recs[1].paper.ok());
  EXPECT_FALSE(recs[2].paper.ok());
  EXPECT_FALSE(recs[3].paper.ok());
  EXPECT_EQ(recs[3].where, path.string() + ":item 4");
}

TEST(HfApiReader, TruncatedDocumentIsAOneLineError) {
  pb::testing::TempDir dir;
  auto path = pb::testing::write_file(dir / "api.json", R"([{"paper": {"id": "2401.00001",)");
  auto r = open_reader(path.string());
  ASSERT_TRUE(r.ok());
  Record rec;
  auto more = (*r)->next(rec);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().message().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(more.error().message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace pb::ingest
