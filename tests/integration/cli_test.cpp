// End-to-end tests of the paperboy binary: real files, a real SQLite store, real processes.

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../test_support.hpp"
#include "core/result.hpp"
#include "store/store.hpp"
#include "test_util.hpp"

namespace pb {
namespace {

using pb::testing::run;
using pb::testing::TempDir;

std::string data_arg(const TempDir& d) { return (d / "data").string(); }

size_t count_lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::filesystem::path demo() {
  return pb::testing::source_dir() / "examples" / "demo-papers.jsonl";
}

TEST(Cli, HelpListsCommandsAndExitCodes) {
  auto r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"ingest", "harvest", "export", "stats", "show", "Exit codes"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  for (const char* cmd : {"ingest", "harvest", "export", "stats", "show"}) {
    auto h = run({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find("--help"), std::string::npos) << cmd;
  }
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run({}).exit_code, 2);
}

TEST(Cli, IngestDemoCorpusThenStatsAndShow) {
  TempDir d;
  auto r = run({"--data", data_arg(d), "ingest", demo().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t n = count_lines(pb::testing::read_file(demo()));
  ASSERT_GE(n, 40u);
  EXPECT_NE(r.out.find("papers: " + std::to_string(n) + "\n"), std::string::npos) << r.out;
  auto s = run({"--data", data_arg(d), "stats"});
  ASSERT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.out.rfind("papers: " + std::to_string(n) + "\n", 0), 0u) << s.out;
  EXPECT_NE(s.out.find("by primary category"), std::string::npos);
  auto show = run({"--data", data_arg(d), "show", "1706.03762"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Attention Is All You Need"), std::string::npos);
  EXPECT_NE(show.out.find("https://arxiv.org/pdf/1706.03762"), std::string::npos);
  auto missing = run({"--data", data_arg(d), "show", "2401.99999"});
  EXPECT_EQ(missing.exit_code, 6);
  EXPECT_EQ(run({"--data", data_arg(d), "show", "nonsense"}).exit_code, 2);
}

TEST(Cli, DataDirFromEnvironment) {
  TempDir d;
  setenv("PAPERBOY_DATA", data_arg(d).c_str(), 1);
  auto r = run({"ingest", demo().string()});
  unsetenv("PAPERBOY_DATA");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(d / "data" / "paperboy.db"));
}

TEST(Cli, ReingestIsIdempotentAndExportRoundTrips) {
  TempDir d;
  ASSERT_EQ(run({"--data", data_arg(d), "ingest", demo().string()}).exit_code, 0);
  auto again = run({"--data", data_arg(d), "ingest", demo().string()});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find(" 0 added, 0 updated"), std::string::npos) << again.out;
  auto out1 = d / "export1.jsonl";
  ASSERT_EQ(run({"--data", data_arg(d), "export", "-o", out1.string()}).exit_code, 0);
  // A fresh store loaded from the export exports the same bytes.
  auto d2 = (d / "data2").string();
  ASSERT_EQ(run({"--data", d2, "ingest", out1.string()}).exit_code, 0);
  auto e2 = run({"--data", d2, "export"});
  ASSERT_EQ(e2.exit_code, 0);
  EXPECT_EQ(e2.out, pb::testing::read_file(out1));
  EXPECT_EQ(count_lines(e2.out), count_lines(pb::testing::read_file(demo())));
}

TEST(Cli, MalformedRecordsAreSkippedReportedAndExitThree) {
  TempDir d;
  auto f = pb::testing::write_file(
      d / "mixed.jsonl",
      "{\"id\": \"2401.00001\", \"title\": \"Good one\"}\n"
      "{\"id\": \"2401.00002\", \"title\": \n"
      "{\"id\": \"2401.00003\", \"title\": \"Good two\", \"abstract\": \"\xff\xfe\"}\n"
      "{\"id\": \"1234\", \"title\": \"Bad id\"}\n");
  auto r = run({"--data", data_arg(d), "ingest", f.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(f.string() + ":2: invalid JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(f.string() + ":4: bad arXiv id '1234'"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("2 skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("papers: 2"), std::string::npos) << r.out;
}

TEST(Cli, UnreadableOrUnsupportedInputFailsWithOneLineAndKeepsData) {
  TempDir d;
  ASSERT_EQ(run({"--data", data_arg(d), "ingest", demo().string()}).exit_code, 0);
  auto before = run({"--data", data_arg(d), "stats"}).out;
  auto missing = run({"--data", data_arg(d), "ingest", (d / "nope.jsonl").string()});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_EQ(count_lines(missing.err), 1u) << missing.err;
  auto bin = pb::testing::write_file(d / "x.pdf", "%PDF-1.4 binary junk");
  auto unsupported = run({"--data", data_arg(d), "ingest", bin.string()});
  EXPECT_EQ(unsupported.exit_code, 4);
  EXPECT_NE(unsupported.err.find("unsupported format"), std::string::npos) << unsupported.err;
  EXPECT_EQ(count_lines(unsupported.err), 1u) << unsupported.err;
  EXPECT_EQ(run({"--data", data_arg(d), "stats"}).out, before);
}

TEST(Cli, ReadsGzipAndStdin) {
  TempDir d;
  std::string demo_text = pb::testing::read_file(demo());
  auto gz = pb::testing::write_gz(d / "demo.jsonl.gz", demo_text);
  auto r = run({"--data", data_arg(d), "ingest", gz.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = run({"--data", (d / "data2").string(), "ingest", "-"}, demo_text);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(run({"--data", data_arg(d), "export"}).out,
            run({"--data", (d / "data2").string(), "export"}).out);
}

// Writes `n` snapshot-format records: "Paper i" with i+1 authors (capped at 5).
std::string snapshot_lines(int n) {
  std::string s;
  s.reserve(static_cast<size_t>(n) * 400);
  for (int i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "%02d%02d.%05d", 15 + i / 1200000, 1 + (i / 99999) % 12,
                  i % 99999 + 1);
    s +=
        R"({"id":")" + std::string(id) + R"(","submitter":"S","authors":"A","title":"Paper )" +
        std::to_string(i) +
        R"(","comments":null,"journal-ref":null,"doi":null,"categories":"cs.LG stat.ML","abstract":"  We study the problem number )" +
        std::to_string(i) +
        R"( in great detail.\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"}],"update_date":"2008-11-13","authors_parsed":[["One","A",""],["Two","B",""],["Three","C",""]]})" +
        "\n";
  }
  return s;
}

std::int64_t sqlite_count(const std::filesystem::path& db) {
  sqlite3* h = nullptr;
  std::int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 1000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM papers", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

TEST(Cli, KillDashNineLosesNothingCommittedAndLeavesNoHalfPaper) {
  TempDir d;
  const int kRecords = 120000;
  auto big = pb::testing::write_file(d / "big.json", snapshot_lines(kRecords));
  auto db = d / "data" / "paperboy.db";
  pid_t pid = pb::testing::spawn({"--data", data_arg(d), "ingest", "--no-index", big.string()});
  // Wait until some batches are committed, then kill without warning.
  std::int64_t seen = 0;
  for (int i = 0; i < 1200 && seen < 10000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (std::filesystem::exists(db)) seen = std::max<std::int64_t>(seen, sqlite_count(db));
  }
  ASSERT_GT(seen, 0) << "ingest made no progress";
  kill(pid, SIGKILL);
  EXPECT_EQ(pb::testing::wait_child(pid), -SIGKILL) << "ingest finished before the kill";

  // Everything committed is there and whole: batches are transactions of 2,000 papers.
  {
    auto store = open_sqlite_store({.data_dir = d / "data"});
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto n = (*store)->count();
    ASSERT_TRUE(n.ok());
    EXPECT_GE(*n, seen);
    EXPECT_LT(*n, kRecords);
    EXPECT_EQ(*n % 2000, 0) << "a partial batch was committed";
    std::int64_t checked = 0;
    ASSERT_TRUE((*store)
                    ->scan([&](const Paper& p) {
                      EXPECT_EQ(p.authors.size(), 3u) << p.id;
                      EXPECT_EQ(p.categories.size(), 2u) << p.id;
                      EXPECT_EQ(p.versions.size(), 1u) << p.id;
                      EXPECT_EQ(p.title.rfind("Paper ", 0), 0u) << p.id;
                      return ++checked < 20000;
                    })
                    .ok());
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(h);

  // Running the same ingest again completes the job.
  auto r = run({"--data", data_arg(d), "-q", "ingest", "--no-index", big.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sqlite_count(db), kRecords);
}

TEST(Cli, SharedArxivCorpusHas102289Papers) {
  auto corpus = pb::testing::shared_data() / "arxiv" / "arxiv_combined.jsonl.gz";
  if (!std::filesystem::exists(corpus)) GTEST_SKIP() << "shared data not found at " << corpus;
  TempDir d;
  // Indexing is covered by search_cli_test; here only the store counts.
  auto r = run({"--data", data_arg(d), "ingest", "--no-index", corpus.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("102,332 records"), std::string::npos) << r.out;
  auto s = run({"--data", data_arg(d), "stats"});
  EXPECT_NE(s.out.find("papers: 102289\n"), std::string::npos) << s.out;
  // The 43 papers seen with and without a version suffix were merged, not duplicated, and
  // the copy with authors filled in the one without.
  auto show = run({"--data", data_arg(d), "show", "--json", "2408.07172"});
  EXPECT_EQ(show.exit_code, 0);
}

TEST(Cli, HuggingFaceFilesIngest) {
  auto dir = pb::testing::shared_data() / "hf_daily_papers";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data not found at " << dir;
  TempDir d;
  auto r = run({"--data", data_arg(d), "ingest", (dir / "raw_api_sample_2025-06-10.json").string(),
                (dir / "raw_api_sample_2026-08-21.json").string(),
                (dir / "hf_daily_papers_2024-05_2026-08.jsonl.gz").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = run({"--data", data_arg(d), "stats", "--json"});
  EXPECT_NE(s.out.find("\"daily_listings\""), std::string::npos);
  auto show = run({"--data", data_arg(d), "show", "2608.19880"});
  EXPECT_NE(show.out.find("upvotes"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("163"), std::string::npos) << show.out;
}

}  // namespace
}  // namespace pb
