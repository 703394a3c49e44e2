#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../test_support.hpp"
#include "ingest/reader.hpp"

namespace pb::ingest {
namespace {

using pb::testing::TempDir;

std::vector<Record> read_all(const std::string& path, Format* format = nullptr) {
  auto r = open_reader(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  std::vector<Record> out;
  if (!r.ok()) return out;
  if (format) *format = (*r)->format();
  Record rec;
  while (true) {
    auto more = (*r)->next(rec);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    out.push_back(rec);
  }
  return out;
}

// A real-shaped arXiv snapshot line (Kaggle arxiv-metadata-oai-snapshot.json).
constexpr const char* kSnapshotLine =
    R"({"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan","title":"Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies","comments":"37 pages, 15 figures; published version","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","report-no":"ANL-HEP-PR-07-12","categories":"hep-ph","license":null,"abstract":"  A fully differential calculation in perturbative quantum chromodynamics is\npresented for the production of massive photon pairs.\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-13","authors_parsed":[["Balázs","C.",""],["Berger","E. L.",""],["Nadolsky","P. M.",""],["Yuan","C. -P.",""]]})";

TEST(SnapshotReader, MapsEveryField) {
  TempDir dir;
  auto path = pb::testing::write_file(dir / "snap.json", std::string(kSnapshotLine) + "\n");
  Format f;
  auto recs = read_all(path, &f);
  EXPECT_EQ(f, Format::kArxivSnapshot);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(recs[0].paper.ok()) << recs[0].paper.error().message();
  const Paper& p = *recs[0].paper;
  EXPECT_EQ(p.id, "0704.0001");
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.title,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC "
            "energies");
  EXPECT_EQ(p.abstract.substr(0, 22), "A fully differential c");
  EXPECT_EQ(p.authors, (std::vector<std::string>{"C. Balázs", "E. L. Berger", "P. M. Nadolsky",
                                                 "C. -P. Yuan"}));
  EXPECT_EQ(p.categories, (std::vector<std::string>{"hep-ph"}));
  EXPECT_EQ(p.primary_category, "hep-ph");
  EXPECT_EQ(p.submitted, "2007-04-02T19:18:42Z");
  EXPECT_EQ(p.updated, "2007-07-24T20:10:27Z");
  EXPECT_EQ(p.journal_ref, "Phys.Rev.D76:013009,2007");
  EXPECT_EQ(p.doi, "10.1103/PhysRevD.76.013009");
  EXPECT_EQ(p.submitter, "Pavel Nadolsky");
  ASSERT_EQ(p.versions.size(), 2u);
  EXPECT_EQ(p.versions[1].version, 2);
}

TEST(SnapshotReader, OldStyleIdAndAuthorStringFallback) {
  TempDir dir;
  auto path = pb::testing::write_file(
      dir / "snap.json",
      R"({"id":"hep-th/9711200","submitter":"Juan Maldacena","authors":"Juan M. Maldacena (Harvard, Cambridge) and A. N. Other","title":"The Large N Limit","categories":"hep-th","abstract":"x","versions":[{"version":"v3","created":"Thu, 22 Jan 1998 00:00:00 GMT"},{"version":"v1","created":"Thu, 27 Nov 1997 00:00:00 GMT"}],"update_date":"2008-11-13"})"
      "\n");
  auto recs = read_all(path);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(recs[0].paper.ok());
  EXPECT_EQ(recs[0].paper->id, "hep-th/9711200");
  EXPECT_EQ(recs[0].paper->version, 3);
  EXPECT_EQ(recs[0].paper->submitted, "1997-11-27T00:00:00Z");
  EXPECT_EQ(recs[0].paper->authors, (std::vector<std::string>{"Juan M. Maldacena", "A. N. Other"}));
}

TEST(PaperboyJsonl, ReadsSharedCorpusShapes) {
  TempDir dir;
  std::string content =
      // arxiv_combined.jsonl shape
      R"({"id": "2408.07172v1", "title": "A  paper\n with breaks", "abstract": "Abs $x^2$", "authors": [], "categories": ["astro-ph.GA", "astro-ph"], "primary_category": "astro-ph.GA", "comment": "5 pages", "announce_date": "2025-08-26", "published": null, "updated": null, "sources": ["x"]})"
      "\n"
      // hf_daily_papers shape
      R"({"daily_date": "2024-05-27", "id": "2405.15738", "title": "ConvLLaVA", "abstract": "a", "authors": ["Chunjiang Ge"], "publishedAt": "2024-05-24T17:34:15.000Z", "submittedOnDailyAt": null, "upvotes": 32, "numComments": 3, "ai_keywords": ["LMM", "ConvNeXt"], "githubRepo": "https://github.com/alibaba/conv-llava", "githubStars": 100, "projectPage": null, "organization": null})"
      "\n\n";
  auto path = pb::testing::write_file(dir / "c.jsonl", content);
  Format f;
  auto recs = read_all(path, &f);
  EXPECT_EQ(f, Format::kPaperboyJsonl);
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_TRUE(recs[0].paper.ok());
  const Paper& a = *recs[0].paper;
  EXPECT_EQ(a.id, "2408.07172");
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(a.title, "A paper with breaks");
  EXPECT_TRUE(a.authors.empty());
  EXPECT_EQ(a.categories, (std::vector<std::string>{"astro-ph.GA", "astro-ph"}));
  EXPECT_EQ(a.announced, "2025-08-26");
  EXPECT_EQ(a.comments, "5 pages");
  ASSERT_TRUE(recs[1].paper.ok());
  const Paper& h = *recs[1].paper;
  EXPECT_EQ(h.submitted, "2024-05-24T17:34:15Z");
  EXPECT_EQ(h.code_url, "https://github.com/alibaba/conv-llava");
  EXPECT_EQ(h.keywords, (std::vector<std::string>{"LMM", "ConvNeXt"}));
  ASSERT_EQ(h.daily.size(), 1u);
  EXPECT_EQ(h.daily[0].day, "2024-05-27");
  ASSERT_EQ(h.signals.size(), 3u);
  EXPECT_EQ(h.signals[0], (Signal{"upvotes", 32, "huggingface", "2024-05-27"}));
  EXPECT_EQ(h.signals[1], (Signal{"comments", 3, "huggingface", "2024-05-27"}));
  EXPECT_EQ(h.signals[2], (Signal{"github_stars", 100, "huggingface", "2024-05-27"}));
}

// Malformed lines: each is reported with its line number and the rest still reads.
struct BadLine {
  const char* line;
  const char* reason;  // substring of the error
};

TEST(PaperboyJsonl, MalformedRecordsAreReportedAndSkipped) {
  const std::vector<BadLine> bad = {
      {R"({"id": "2401.00001", "title": "ok"})", nullptr},
      {R"({"id": "not-an-id", "title": "x"})", "bad arXiv id 'not-an-id'"},
      {R"({"id": "2401.00002", "title": "   "})", "missing title"},
      {R"({"id": "2401.00003"})", "missing title"},
      {R"({"title": "no id"})", "missing id"},
      {R"({"id": 2401.00004, "title": "numeric id"})", "missing id"},
      {R"({"id": "2401.00005", "title": "trunc)", "invalid JSON"},
      {R"([1, 2, 3])", "not a JSON object"},
      {R"(garbage)", "invalid JSON"},
      {R"({"id": "2401.00006", "title": "ok again", "authors": "A. B, C. D and E. F"})", nullptr},
  };
  std::string content;
  for (const auto& b : bad) content += std::string(b.line) + "\n";
  TempDir dir;
  auto path = pb::testing::write_file(dir / "bad.jsonl", content);
  auto recs = read_all(path);
  ASSERT_EQ(recs.size(), bad.size());
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(recs[i].where, path.string() + ":" + std::to_string(i + 1));
    if (bad[i].reason == nullptr) {
      EXPECT_TRUE(recs[i].paper.ok()) << bad[i].line;
    } else {
      ASSERT_FALSE(recs[i].paper.ok()) << bad[i].line;
      EXPECT_NE(recs[i].paper.error().message().find(bad[i].reason), std::string::npos)
          << recs[i].paper.error().message();
    }
  }
  EXPECT_EQ(recs.back().paper->authors, (std::vector<std::string>{"A. B", "C. D", "E. F"}));
}

TEST(PaperboyJsonl, InvalidUtf8IsRepairedNotFatal) {
  TempDir dir;
  auto path = pb::testing::write_file(
      dir / "u.jsonl", "{\"id\": \"2401.00001\", \"title\": \"Bad \xff\xfe bytes\"}\n");
  auto recs = read_all(path);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(recs[0].paper.ok());
  EXPECT_TRUE(recs[0].repaired_utf8);
  EXPECT_EQ(recs[0].paper->title, "Bad \xEF\xBF\xBD bytes");
}

TEST(Detection, UnsupportedAndEmptyFilesFail) {
  TempDir dir;
  for (auto [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"empty.jsonl", ""},
           {"text.txt", "hello world\n"},
           {"html.xml", "<html><body>nope</body></html>"},
           {"binary.bin", std::string("\x00\x01\x02\x03", 4)}}) {
    auto path = pb::testing::write_file(dir / name, content);
    auto r = open_reader(path.string());
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported) << name;
  }
}

}  // namespace
}  // namespace pb::ingest
