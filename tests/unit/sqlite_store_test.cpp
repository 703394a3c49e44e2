#include <gtest/gtest.h>

#include <algorithm>

#include "../test_support.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

using pb::testing::TempDir;

std::string fmt_id(int i) {
  std::string n = std::to_string(i);
  return "2401." + std::string(5 - n.size(), '0') + n;
}

Paper make(std::string id, int version, std::string title) {
  Paper p;
  p.id = std::move(id);
  p.version = version;
  p.title = std::move(title);
  p.abstract = "An abstract about " + p.title;
  p.authors = {"Ada Lovelace", "Alan Turing"};
  p.categories = {"cs.LG", "stat.ML"};
  p.submitted = "2024-01-02T10:00:00Z";
  p.announced = "2024-01-03";
  if (version > 0) p.versions = {{version, "2024-01-02T10:00:00Z"}};
  p.signals = {{"upvotes", 5, "huggingface", "2024-01-03"}};
  p.daily = {{"2024-01-03", "huggingface", "someone"}};
  return p;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(s).value();
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, RoundTripsEveryField) {
  Paper p = make("2401.00001", 1, "Round trip");
  p.comments = "10 pages";
  p.journal_ref = "J. Test 1 (2024)";
  p.doi = "10.1000/xyz";
  p.submitter = "Ada";
  p.code_url = "https://github.com/x/y";
  p.project_url = "https://x.y";
  p.keywords = {"a", "b c"};
  p.updated = "2024-02-01";
  canonicalise(p);
  auto r = store_->upsert(std::vector<Paper>{p});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)[0], UpsertOutcome::kAdded);
  auto got = store_->get("2401.00001");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, p);
  EXPECT_EQ(store_->schema_version(), 4);
}

TEST_F(SqliteStoreTest, UpsertIsIdempotent) {
  std::vector<Paper> batch = {make("2401.00001", 1, "A"), make("2401.00002", 0, "B")};
  ASSERT_TRUE(store_->upsert(batch).ok());
  auto again = store_->upsert(batch);
  ASSERT_TRUE(again.ok());
  for (auto o : *again) EXPECT_EQ(o, UpsertOutcome::kUnchanged);
  EXPECT_EQ(*store_->count(), 2);
  auto st = store_->stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->signals, 2);
  EXPECT_EQ(st->daily_listings, 2);
}

TEST_F(SqliteStoreTest, NewerVersionUpdatesAndKeepsHistory) {
  ASSERT_TRUE(store_->upsert(std::vector<Paper>{make("2401.00001", 1, "First title")}).ok());
  Paper v2 = make("2401.00001", 2, "Second title");
  v2.versions = {{2, "2024-03-01T00:00:00Z"}};
  auto r = store_->upsert(std::vector<Paper>{v2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], UpsertOutcome::kUpdated);
  auto got = store_->get("2401.00001");
  EXPECT_EQ((*got)->title, "Second title");
  EXPECT_EQ((*got)->version, 2);
  auto hist = store_->version_history("2401.00001");
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 2u);
  EXPECT_EQ((*hist)[0].title, "First title");
  EXPECT_EQ((*hist)[1].title, "Second title");
  EXPECT_EQ((*hist)[1].created, "2024-03-01T00:00:00Z");
  // An old version arriving late does not roll the paper back.
  ASSERT_TRUE(store_->upsert(std::vector<Paper>{make("2401.00001", 1, "First title")}).ok());
  EXPECT_EQ((*store_->get("2401.00001"))->title, "Second title");
}

TEST_F(SqliteStoreTest, StatsByCategoryAndMonth) {
  std::vector<Paper> batch = {make("2401.00001", 1, "A"), make("2401.00002", 1, "B")};
  Paper c = make("2402.00003", 1, "C");
  c.categories = {"hep-th"};
  c.primary_category = "";
  c.announced = "";
  c.submitted = "2024-02-10";
  batch.push_back(c);
  ASSERT_TRUE(store_->upsert(batch).ok());
  auto st = store_->stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->papers, 3);
  ASSERT_EQ(st->by_category.size(), 2u);
  EXPECT_EQ(st->by_category[0].key, "cs.LG");
  EXPECT_EQ(st->by_category[0].count, 2);
  ASSERT_EQ(st->by_month.size(), 2u);
  EXPECT_EQ(st->by_month[0].key, "2024-01");
  EXPECT_EQ(st->by_month[1].key, "2024-02");
}

TEST_F(SqliteStoreTest, ScanVisitsAllInIdOrder) {
  std::vector<Paper> batch;
  for (int i = 2500; i > 0; --i) batch.push_back(make(fmt_id(i), 0, "T"));
  ASSERT_TRUE(store_->upsert(batch).ok());
  std::vector<std::string> ids;
  ASSERT_TRUE(store_
                  ->scan([&](const Paper& p) {
                    ids.push_back(p.id);
                    return true;
                  })
                  .ok());
  ASSERT_EQ(ids.size(), 2500u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

// Scans read a page of papers and its versions, signals and daily listings with one query per
// table: every paper must come out exactly as get() gives it, across page boundaries, and
// stopping early must stop.
TEST_F(SqliteStoreTest, ScansGiveWhatGetGives) {
  std::vector<Paper> batch;
  for (int i = 2300; i > 0; --i) {
    Paper p = make(fmt_id(i), i % 3, "T" + std::to_string(i));
    if (i % 5 == 0) p.signals.clear();
    if (i % 7 == 0) p.daily.push_back({"2024-01-01", "huggingface", "x"});
    if (i % 11 == 0) p.signals.push_back({"comments", i, "huggingface", "2024-01-04"});
    if (i % 13 == 0) p.versions = {{1, "2023-12-30"}, {2, "2024-01-02"}};
    batch.push_back(std::move(p));
  }
  ASSERT_TRUE(store_->upsert(batch).ok());
  // Changed again later: a higher seq, a new signal, and a daily listing.
  std::vector<Paper> again = {make(fmt_id(1000), 3, "Newer"), make(fmt_id(2), 0, "T2")};
  again[1].signals = {{"upvotes", 9, "huggingface", "2024-02-01"}};
  ASSERT_TRUE(store_->upsert(again).ok());

  auto same_as_get = [&](const Paper& p) {
    auto got = store_->get(p.id);
    return got.ok() && got->has_value() && **got == p;
  };
  size_t visited = 0, mismatches = 0;
  ASSERT_TRUE(store_
                  ->scan([&](const Paper& p) {
                    ++visited;
                    if (!same_as_get(p)) ++mismatches;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(visited, 2300u);
  EXPECT_EQ(mismatches, 0u);

  visited = mismatches = 0;
  std::int64_t last_seq = 0;
  std::vector<std::string> order;
  ASSERT_TRUE(store_
                  ->scan_changed(0,
                                 [&](const Paper& p, std::int64_t seq) {
                                   ++visited;
                                   if (!same_as_get(p) || seq <= last_seq) ++mismatches;
                                   last_seq = seq;
                                   order.push_back(p.id);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(visited, 2300u);
  EXPECT_EQ(mismatches, 0u);
  ASSERT_GE(order.size(), 2u);
  EXPECT_EQ(order[order.size() - 2], fmt_id(1000));  // changed last, in seq order
  EXPECT_EQ(order.back(), fmt_id(2));

  // From a seq in the middle, and stopping early.
  visited = 0;
  ASSERT_TRUE(store_
                  ->scan_changed(last_seq - 1,
                                 [&](const Paper&, std::int64_t) {
                                   ++visited;
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(visited, 1u);
  visited = 0;
  ASSERT_TRUE(store_
                  ->scan([&](const Paper&) {
                    ++visited;
                    return visited < 1500;
                  })
                  .ok());
  EXPECT_EQ(visited, 1500u);
}

TEST_F(SqliteStoreTest, HarvestStateCommitsWithBatch) {
  HarvestState h;
  h.key = "e|cs|arXiv";
  h.from_date = "2026-11-01";
  h.token = "tok1";
  h.pages = 1;
  h.records = 1;
  ASSERT_TRUE(store_->upsert(std::vector<Paper>{make("2401.00001", 1, "A")}, &h).ok());
  auto got = store_->harvest_state("e|cs|arXiv");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, h);
  EXPECT_FALSE(store_->harvest_state("other")->has_value());
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndSchema) {
  ASSERT_TRUE(store_->upsert(std::vector<Paper>{make("2401.00001", 1, "A")}).ok());
  store_.reset();
  auto s = open_sqlite_store({.data_dir = dir_.path()});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->count(), 1);
  EXPECT_EQ((*s)->schema_version(), 4);
}

TEST(SqliteStore, GarbageFileIsAClearError) {
  TempDir dir;
  pb::testing::write_file(dir / "paperboy.db", std::string(8192, 'x'));
  auto s = open_sqlite_store({.data_dir = dir.path()});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("not a paperboy store"), std::string::npos)
      << s.error().message();
}

}  // namespace
}  // namespace pb
