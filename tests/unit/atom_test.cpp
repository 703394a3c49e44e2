// arXiv API Atom feeds (parse_atom_feed) and the streaming file reader (make_atom_reader).
#include "ingest/atom.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../test_support.hpp"

namespace pb::ingest {
namespace {

using pb::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string feed(std::string_view entries) {
  return std::string(R"(<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="http://arxiv.org/api/query?search_query%3Dcat%3Acs.CL" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=cat:cs.CL&amp;id_list=&amp;start=0&amp;max_results=2</title>
  <id>http://arxiv.org/api/abc</id>
  <updated>2024-01-06T00:00:00-05:00</updated>
  <opensearch:totalResults>2</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>2</opensearch:itemsPerPage>
)") + std::string(entries) +
         "</feed>\n";
}

constexpr std::string_view kEntryV2 = R"(<entry>
    <id>http://arxiv.org/abs/2401.01234v2</id>
    <updated>2024-01-05T10:00:00Z</updated>
    <published>2024-01-02T18:59:59Z</published>
    <title>Scaling Laws for $\mathcal{O}(n^2)$ Attention:
  A Study</title>
    <summary>  We study attention.
Its cost is $O(n^2)$ &amp; more.
</summary>
    <author>
      <name>Jane Doe</name>
      <arxiv:affiliation>MIT</arxiv:affiliation>
    </author>
    <author>
      <name>John Roe</name>
    </author>
    <arxiv:doi>10.1000/xyz123</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.1000/xyz123" rel="related"/>
    <arxiv:comment>12 pages, 3 figures</arxiv:comment>
    <arxiv:journal_ref>ACL 2024</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/2401.01234v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2401.01234v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
)";

std::string entry(std::string_view id, std::string_view title) {
  return fmt::format(R"(<entry><id>http://arxiv.org/abs/{}</id>
<updated>2024-02-01T00:00:00Z</updated><published>2024-02-01T00:00:00Z</published>
<title>{}</title><summary>S.</summary><author><name>A. Author</name></author>
<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/></entry>
)",
                     id, title);
}

TEST(AtomFeed, MapsAnEntry) {
  auto records = parse_atom_feed(feed(kEntryV2), "api");
  ASSERT_TRUE(records.ok()) << records.error().message();
  ASSERT_EQ(records->size(), 1u);
  const Record& r = (*records)[0];
  EXPECT_EQ(r.where, "api record 1");
  ASSERT_TRUE(r.paper.ok()) << r.paper.error().message();
  const Paper& p = *r.paper;
  EXPECT_EQ(p.id, "2401.01234");
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.title, "Scaling Laws for $\\mathcal{O}(n^2)$ Attention: A Study");
  EXPECT_EQ(p.abstract, "We study attention. Its cost is $O(n^2)$ & more.");
  EXPECT_THAT(p.authors, ElementsAre("Jane Doe", "John Roe"));
  EXPECT_EQ(p.primary_category, "cs.CL");
  EXPECT_THAT(p.categories, ElementsAre("cs.CL", "cs.AI"));
  EXPECT_EQ(p.submitted, "2024-01-02T18:59:59Z");
  EXPECT_EQ(p.updated, "2024-01-05T10:00:00Z");
  EXPECT_THAT(p.versions, ElementsAre(PaperVersion{2, "2024-01-05T10:00:00Z"}));
  EXPECT_EQ(p.doi, "10.1000/xyz123");
  EXPECT_EQ(p.comments, "12 pages, 3 figures");
  EXPECT_EQ(p.journal_ref, "ACL 2024");
}

TEST(AtomFeed, FirstVersionDateIsPublished) {
  auto records = parse_atom_feed(feed(entry("2402.00001v1", "One")), "");
  ASSERT_TRUE(records.ok());
  ASSERT_TRUE((*records)[0].paper.ok());
  const Paper& p = *(*records)[0].paper;
  EXPECT_EQ(p.version, 1);
  EXPECT_THAT(p.versions, ElementsAre(PaperVersion{1, "2024-02-01T00:00:00Z"}));
  EXPECT_EQ((*records)[0].where, "record 1");
}

TEST(AtomFeed, OldStyleIdWithoutVersion) {
  auto records = parse_atom_feed(feed(entry("hep-th/9901001", "Old")), "");
  ASSERT_TRUE(records.ok());
  ASSERT_TRUE((*records)[0].paper.ok());
  EXPECT_EQ((*records)[0].paper->id, "hep-th/9901001");
  EXPECT_EQ((*records)[0].paper->version, 0);
  EXPECT_TRUE((*records)[0].paper->versions.empty());
}

TEST(AtomFeed, ApiErrorEntryIsAnErrorRecord) {
  auto records = parse_atom_feed(feed(R"(<entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345</summary>
    <updated>2024-01-06T00:00:00-05:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345" rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>)"),
                                 "query");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  ASSERT_FALSE((*records)[0].paper.ok());
  EXPECT_EQ((*records)[0].paper.error().message(),
            "arXiv API error: incorrect id format for 1234.12345");
}

TEST(AtomFeed, BadEntriesAreErrorRecordsAndTheRestParse) {
  auto records = parse_atom_feed(feed(entry("2402.00001v1", "One") + entry("nonsense", "Bad") +
                                      entry("2402.00003v1", "") + entry("2402.00004v3", "Four")),
                                 "feed");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 4u);
  EXPECT_TRUE((*records)[0].paper.ok());
  ASSERT_FALSE((*records)[1].paper.ok());
  EXPECT_THAT((*records)[1].paper.error().message(), HasSubstr("bad arXiv id"));
  ASSERT_FALSE((*records)[2].paper.ok());
  EXPECT_THAT((*records)[2].paper.error().message(), HasSubstr("missing title"));
  EXPECT_EQ((*records)[2].where, "feed record 3");
  ASSERT_TRUE((*records)[3].paper.ok());
  EXPECT_EQ((*records)[3].paper->version, 3);
}

TEST(AtomFeed, EmptyFeedHasNoRecords) {
  auto records = parse_atom_feed(feed(""), "");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

TEST(AtomFeed, MalformedBodiesAreErrors) {
  for (std::string body : {std::string(""), std::string("<html><body>oops</body></html>"),
                           feed(kEntryV2).substr(0, 900), std::string("{\"json\": true}")}) {
    auto records = parse_atom_feed(body, "api");
    ASSERT_FALSE(records.ok()) << body;
    EXPECT_EQ(records.error().code(), ErrorCode::kInvalidInput);
    EXPECT_THAT(records.error().message(), HasSubstr("api: "));
  }
}

TEST(AtomFeed, InvalidUtf8IsRepaired) {
  auto records = parse_atom_feed(feed(entry("2402.00001v1", "Caf\xE9")), "");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE((*records)[0].repaired_utf8);
  ASSERT_TRUE((*records)[0].paper.ok());
  EXPECT_EQ((*records)[0].paper->title, "Caf\xEF\xBF\xBD");
}

std::vector<Record> read_atom(const std::filesystem::path& path, XmlReaderOptions options = {}) {
  std::vector<Record> out;
  auto in = InputStream::open(path.string());
  EXPECT_TRUE(in.ok());
  if (!in.ok()) return out;
  auto reader = make_atom_reader(std::move(*in), options);
  EXPECT_EQ(reader->format(), Format::kAtom);
  for (;;) {
    Record r;
    auto more = reader->next(r);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    out.push_back(std::move(r));
  }
  return out;
}

TEST(AtomReader, StreamsEntriesPlainAndGzip) {
  TempDir dir;
  std::string entries;
  for (int i = 1; i <= 2000; ++i)
    entries += entry(fmt::format("2402.{:05}v1", i), fmt::format("Entry {}", i));
  const std::string content = feed(entries) + feed(kEntryV2);  // two feeds concatenated
  auto plain = pb::testing::write_file(dir / "feed.xml", content);
  auto gz = pb::testing::write_gz(dir / "feed.xml.gz", content);
  for (const auto& path : {plain, gz}) {
    for (size_t buffer : {size_t{1} << 20, size_t{509}, size_t{13}}) {
      auto records = read_atom(path, {.max_record_bytes = 1u << 20, .buffer_size = buffer});
      ASSERT_EQ(records.size(), 2001u);
      for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(records[i].paper.ok()) << records[i].where;
        ASSERT_EQ(records[i].paper->title, fmt::format("Entry {}", i + 1));
      }
      ASSERT_TRUE(records[2000].paper.ok());
      EXPECT_EQ(records[2000].paper->id, "2401.01234");
      EXPECT_EQ(records[2000].where, path.string() + ":record 2001");
    }
  }
}

TEST(AtomReader, TruncatedFileKeepsEarlierEntries) {
  TempDir dir;
  std::string content = feed(entry("2402.00001v1", "One") + entry("2402.00002v1", "Two"));
  content.resize(content.find("Two"));
  auto path = pb::testing::write_file(dir / "cut.xml", content);
  auto records = read_atom(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].paper.ok());
  ASSERT_FALSE(records[1].paper.ok());
  EXPECT_THAT(records[1].paper.error().message(), HasSubstr("unterminated <entry>"));
}

TEST(AtomReader, OpenReaderDetectsAtom) {
  TempDir dir;
  auto path = pb::testing::write_file(dir / "f.atom", feed(kEntryV2));
  auto reader = open_reader(path.string());
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  EXPECT_EQ((*reader)->format(), Format::kAtom);
}

}  // namespace
}  // namespace pb::ingest
