#include "ingest/ingester.hpp"

#include <gtest/gtest.h>

#include "../test_support.hpp"
#include "ingest/paper_json.hpp"

namespace pb::ingest {
namespace {

using pb::testing::TempDir;

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.data_dir = dir_ / "data"});
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
  }
  Result<IngestCounts> ingest(const std::filesystem::path& p) {
    IngestOptions o;
    o.batch_size = 3;  // several transactions even for small inputs
    o.on_skip = [&](const std::string& m) { skips_.push_back(m); };
    return ingest_file(*store_, p.string(), o);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<std::string> skips_;
};

std::string lines(int from, int to, int version = 0) {
  std::string s;
  for (int i = from; i < to; ++i) {
    std::string n = std::to_string(i);
    s += R"({"id": "2401.)" + std::string(5 - n.size(), '0') + n +
         (version ? "v" + std::to_string(version) : "") + R"(", "title": "Paper )" + n +
         (version ? " v" + std::to_string(version) : "") + R"(", "authors": ["X"]})" + "\n";
  }
  return s;
}

TEST_F(IngesterTest, SecondIngestChangesNothing) {
  auto path = pb::testing::write_file(dir_ / "a.jsonl", lines(1, 11));
  auto first = ingest(path);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->added, 10u);
  auto second = ingest(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->added, 0u);
  EXPECT_EQ(second->updated, 0u);
  EXPECT_EQ(second->unchanged, 10u);
  EXPECT_EQ(*store_->count(), 10);
}

TEST_F(IngesterTest, NewVersionUpdates) {
  ASSERT_TRUE(ingest(pb::testing::write_file(dir_ / "v1.jsonl", lines(1, 5, 1))).ok());
  auto r = ingest(pb::testing::write_file(dir_ / "v2.jsonl", lines(1, 3, 2)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->updated, 2u);
  auto p = store_->get("2401.00001");
  EXPECT_EQ((*p)->title, "Paper 1 v2");
  EXPECT_EQ(store_->version_history("2401.00001")->size(), 2u);
  EXPECT_EQ((*store_->get("2401.00004"))->title, "Paper 4 v1");
}

TEST_F(IngesterTest, SkipsAreCountedAndReportedWithPosition) {
  std::string content = lines(1, 3) + "{broken\n" + lines(3, 5);
  auto path = pb::testing::write_file(dir_ / "b.jsonl", content);
  auto r = ingest(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->added, 4u);
  EXPECT_EQ(r->skipped, 1u);
  ASSERT_EQ(skips_.size(), 1u);
  EXPECT_EQ(skips_[0].rfind(path.string() + ":3: invalid JSON", 0), 0u) << skips_[0];
}

TEST_F(IngesterTest, UnreadableFileFailsAndKeepsStoredPapers) {
  ASSERT_TRUE(ingest(pb::testing::write_file(dir_ / "a.jsonl", lines(1, 4))).ok());
  auto r = ingest(dir_ / "missing.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
  EXPECT_EQ(*store_->count(), 3);
}

TEST_F(IngesterTest, ExportedJsonlRoundTrips) {
  Paper p;
  p.id = "2401.00001";
  p.version = 2;
  p.title = "Schr{\\\"o}dinger $x^2$";
  p.abstract = "Line one\nline two";
  p.authors = {"Ünïcode Name", "B"};
  p.categories = {"quant-ph", "cs.LG"};
  p.primary_category = "quant-ph";
  p.submitted = "2024-01-02T00:00:00Z";
  p.updated = "2024-02-02T00:00:00Z";
  p.announced = "2024-01-03";
  p.comments = "c";
  p.journal_ref = "j";
  p.doi = "d";
  p.submitter = "s";
  p.code_url = "https://github.com/a/b";
  p.project_url = "https://p";
  p.keywords = {"k1"};
  p.versions = {{1, "2024-01-02T00:00:00Z"}, {2, "2024-02-02T00:00:00Z"}};
  p.signals = {{"upvotes", 7, "huggingface", "2024-01-03"}};
  p.daily = {{"2024-01-03", "huggingface", "u"}};
  auto path = pb::testing::write_file(dir_ / "e.jsonl", paper_to_json(p) + "\n");
  ASSERT_TRUE(ingest(path).ok());
  auto got = store_->get("2401.00001");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, p);
}

}  // namespace
}  // namespace pb::ingest
