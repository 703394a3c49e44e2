// OAI-PMH pages (parse_oai_page) and the streaming file reader (make_oai_reader).
#include "ingest/oai_pmh.hpp"

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

constexpr std::string_view kHead =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-01-10T10:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="physics:hep-ph">http://export.arxiv.org/oai2</request>
<ListRecords>
)";

std::string page(std::string_view records, std::string_view token = "") {
  return std::string(kHead) + std::string(records) + std::string(token) +
         "\n</ListRecords>\n</OAI-PMH>\n";
}

// The first arXiv record (real data), in metadataPrefix=arXiv.
constexpr std::string_view kArxivRecord = R"(<record>
<header>
 <identifier>oai:arXiv.org:0704.0001</identifier>
 <datestamp>2008-11-13</datestamp>
 <setSpec>physics:hep-ph</setSpec>
</header>
<metadata>
 <arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">
 <id>0704.0001</id><created>2007-04-02</created><updated>2008-11-13</updated>
 <authors>
  <author><keyname>Balázs</keyname><forenames>C.</forenames><affiliation>Argonne</affiliation></author>
  <author><keyname>Berger</keyname><forenames>E. L.</forenames></author>
  <author><keyname>Nadolsky</keyname><forenames>P. M.</forenames><suffix>Jr</suffix></author>
  <author><keyname>CMS Collaboration</keyname></author>
 </authors>
 <title>Calculation of prompt diphoton production cross sections at Tevatron and
  LHC energies</title>
 <categories>hep-ph cs.LG</categories>
 <comments>37 pages, 15 figures; published version</comments>
 <report-no>ANL-HEP-PR-07-12</report-no>
 <msc-class/><acm-class/>
 <journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
 <doi>10.1103/PhysRevD.76.013009</doi>
 <license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
 <abstract>  A fully differential calculation in perturbative quantum chromodynamics is
presented for the production of massive photon pairs at hadron colliders, $\gamma\gamma
\to X$ with &lt;TeX&gt; &amp; entities.
</abstract>
 </arXiv>
</metadata>
</record>
)";

constexpr std::string_view kArxivRawRecord = R"(<record>
<header>
 <identifier>oai:arXiv.org:0704.0001</identifier>
 <datestamp>2008-11-14</datestamp>
 <setSpec>physics:hep-ph</setSpec>
</header>
<metadata>
 <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">
 <id>0704.0001</id>
 <submitter>Pavel Nadolsky</submitter>
 <version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date><size>829kb</size><source_type>D</source_type></version>
 <version version="v2"><date>Tue, 24 Jul 2007 20:10:27 GMT</date><size>848kb</size><source_type>D</source_type></version>
 <title>Calculation of prompt diphoton production cross sections at Tevatron and
  LHC energies with $\sqrt{s}=14$ TeV</title>
 <authors>C. Bal\'azs, E. L. Berger (ANL, USA), P. M. Nadolsky,
  and C.-P. Yuan</authors>
 <categories>hep-ph</categories>
 <comments>37 pages, 15 figures</comments>
 <proxy/><report-no>ANL-HEP-PR-07-12</report-no><msc-class/><acm-class/>
 <journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
 <doi>10.1103/PhysRevD.76.013009</doi>
 <license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
 <abstract>  A fully differential calculation.
 </abstract>
 </arXivRaw>
</metadata>
</record>
)";

std::string arxiv_record(std::string_view id, std::string_view title,
                         std::string_view datestamp = "2024-01-05") {
  return fmt::format(R"(<record><header><identifier>oai:arXiv.org:{0}</identifier>
<datestamp>{2}</datestamp><setSpec>cs</setSpec></header><metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{0}</id><created>2024-01-02</created>
<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author></authors>
<title>{1}</title><categories>cs.CL cs.AI</categories><abstract>Abstract of {0}.</abstract>
</arXiv></metadata></record>
)",
                     id, title, datestamp);
}

TEST(OaiPmhPage, MapsArxivFormat) {
  auto p = parse_oai_page(page(kArxivRecord), "page 1");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->records.size(), 1u);
  const Record& r = p->records[0];
  EXPECT_EQ(r.where, "page 1 record 1");
  EXPECT_FALSE(r.ignored);
  EXPECT_FALSE(r.repaired_utf8);
  ASSERT_TRUE(r.paper.ok()) << r.paper.error().message();
  const Paper& paper = *r.paper;
  EXPECT_EQ(paper.id, "0704.0001");
  EXPECT_EQ(paper.title,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC "
            "energies");
  EXPECT_THAT(paper.authors,
              ElementsAre("C. Balázs", "E. L. Berger", "P. M. Nadolsky Jr", "CMS Collaboration"));
  EXPECT_THAT(paper.categories, ElementsAre("hep-ph", "cs.LG"));
  EXPECT_EQ(paper.primary_category, "hep-ph");
  EXPECT_EQ(paper.submitted, "2007-04-02");
  EXPECT_EQ(paper.updated, "2008-11-13");
  EXPECT_THAT(paper.versions, ElementsAre(PaperVersion{1, "2007-04-02"}));
  EXPECT_EQ(paper.comments, "37 pages, 15 figures; published version");
  EXPECT_EQ(paper.journal_ref, "Phys.Rev.D76:013009,2007");
  EXPECT_EQ(paper.doi, "10.1103/PhysRevD.76.013009");
  // TeX kept, entities decoded, whitespace runs collapsed, ends trimmed.
  EXPECT_EQ(paper.abstract,
            "A fully differential calculation in perturbative quantum chromodynamics is "
            "presented for the production of massive photon pairs at hadron colliders, "
            "$\\gamma\\gamma \\to X$ with <TeX> & entities.");
  EXPECT_EQ(p->latest_datestamp, "2008-11-13");
  EXPECT_TRUE(p->resumption_token.empty());
  EXPECT_TRUE(p->error_code.empty());
}

TEST(OaiPmhPage, MapsArxivRawFormatWithVersionHistory) {
  auto p = parse_oai_page(page(kArxivRawRecord), "page 2");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->records.size(), 1u);
  ASSERT_TRUE(p->records[0].paper.ok()) << p->records[0].paper.error().message();
  const Paper& paper = *p->records[0].paper;
  EXPECT_EQ(paper.id, "0704.0001");
  EXPECT_EQ(paper.version, 2);
  EXPECT_THAT(paper.versions, ElementsAre(PaperVersion{1, "2007-04-02T19:18:42Z"},
                                          PaperVersion{2, "2007-07-24T20:10:27Z"}));
  EXPECT_EQ(paper.submitted, "2007-04-02T19:18:42Z");
  EXPECT_EQ(paper.updated, "2007-07-24T20:10:27Z");
  EXPECT_EQ(paper.submitter, "Pavel Nadolsky");
  EXPECT_THAT(paper.authors,
              ElementsAre("C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"));
  EXPECT_EQ(paper.title,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC "
            "energies with $\\sqrt{s}=14$ TeV");
  EXPECT_EQ(paper.abstract, "A fully differential calculation.");
  EXPECT_THAT(paper.categories, ElementsAre("hep-ph"));
  EXPECT_EQ(paper.comments, "37 pages, 15 figures");
  EXPECT_EQ(p->records[0].where, "page 2 record 1");
}

TEST(OaiPmhPage, VersionsOutOfOrderAreSorted) {
  std::string rec(kArxivRawRecord);
  // Swap the two <version> elements.
  auto v1 = rec.find("<version version=\"v1\">");
  auto v2 = rec.find("<version version=\"v2\">");
  auto v2_end = rec.find("</version>", v2) + 10;
  std::string second = rec.substr(v2, v2_end - v2);
  rec.erase(v2, v2_end - v2);
  rec.insert(v1, second);
  auto p = parse_oai_page(page(rec), "");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->records[0].paper.ok());
  EXPECT_EQ(p->records[0].paper->submitted, "2007-04-02T19:18:42Z");
  EXPECT_EQ(p->records[0].paper->version, 2);
  EXPECT_EQ(p->records[0].where, "record 1");
}

struct AuthorCase {
  std::string input;
  std::vector<std::string> expected;
};

class OaiAuthorSplit : public ::testing::TestWithParam<AuthorCase> {};

TEST_P(OaiAuthorSplit, SplitsArxivRawAuthorStrings) {
  const AuthorCase& c = GetParam();
  std::string rec(kArxivRawRecord);
  auto from = rec.find("<authors>") + 9;
  auto to = rec.find("</authors>");
  rec.replace(from, to - from, c.input);
  auto p = parse_oai_page(page(rec), "page 1");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->records[0].paper.ok());
  EXPECT_EQ(p->records[0].paper->authors, c.expected) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OaiAuthorSplit,
    ::testing::Values(
        AuthorCase{"A. One", {"A. One"}}, AuthorCase{"A. One and B. Two", {"A. One", "B. Two"}},
        AuthorCase{"A (MIT, USA), B and C", {"A", "B", "C"}},
        AuthorCase{"A. One, B. Two, and C. Three", {"A. One", "B. Two", "C. Three"}},
        AuthorCase{"A. One (1), B. Two (2) ((1) MIT, (2) CERN)", {"A. One", "B. Two"}},
        AuthorCase{"J. M\\\"{u}ller, K. {\\AA}berg", {"J. M\\\"{u}ller", "K. {\\AA}berg"}},
        AuthorCase{"Sandro Andrea,\n   Alexander Ander", {"Sandro Andrea", "Alexander Ander"}},
        AuthorCase{"The ATLAS Collaboration: G. Aad, B. Abbott",
                   {"The ATLAS Collaboration: G. Aad", "B. Abbott"}},
        AuthorCase{"Alexandra Sand (for the X Collaboration)", {"Alexandra Sand"}},
        AuthorCase{"Andersen, Anderson", {"Andersen", "Anderson"}},
        AuthorCase{"A (unclosed, B", {"A"}}));

TEST(OaiPmhPage, DeletedRecordIsIgnored) {
  auto p = parse_oai_page(page(R"(<record><header status="deleted">
<identifier>oai:arXiv.org:0704.0002</identifier><datestamp>2010-01-01</datestamp>
</header></record>)"),
                          "page 1");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->records.size(), 1u);
  EXPECT_TRUE(p->records[0].ignored);
}

struct BadRecordCase {
  std::string name;
  std::string record;
  std::string reason;
};

class OaiBadRecord : public ::testing::TestWithParam<BadRecordCase> {};

TEST_P(OaiBadRecord, IsAnErrorRecordAndTheRestParse) {
  const BadRecordCase& c = GetParam();
  auto p = parse_oai_page(
      page(arxiv_record("2401.00001", "First") + c.record + arxiv_record("2401.00003", "Third")),
      "page 4");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->records.size(), 3u);
  EXPECT_TRUE(p->records[0].paper.ok());
  EXPECT_TRUE(p->records[2].paper.ok());
  const Record& bad = p->records[1];
  EXPECT_EQ(bad.where, "page 4 record 2");
  EXPECT_FALSE(bad.ignored);
  ASSERT_FALSE(bad.paper.ok());
  EXPECT_EQ(bad.paper.error().code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(bad.paper.error().message(), HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OaiBadRecord,
    ::testing::Values(
        BadRecordCase{"bad_id", arxiv_record("xyz", "Title"), "bad arXiv id 'xyz'"},
        BadRecordCase{"no_title", arxiv_record("2401.00002", ""), "missing title"},
        BadRecordCase{"blank_title", arxiv_record("2401.00002", " \n "), "missing title"},
        BadRecordCase{"no_metadata",
                      "<record><header><identifier>oai:arXiv.org:2401.00002</identifier>"
                      "</header></record>",
                      "without metadata"},
        BadRecordCase{"unknown_format",
                      "<record><header/><metadata><mods><title>x</title></mods></metadata>"
                      "</record>",
                      "unsupported metadata format <mods>"},
        BadRecordCase{"no_id",
                      "<record><header/><metadata><arXiv><title>T</title></arXiv></metadata>"
                      "</record>",
                      "missing arXiv id"}),
    [](const auto& c) { return c.param.name; });

TEST(OaiPmhPage, HeaderIdentifierIsTheFallbackId) {
  auto p =
      parse_oai_page(page(R"(<record><header><identifier>oai:arXiv.org:hep-th/9901001</identifier>
<datestamp>2001-01-01</datestamp></header><metadata><arXiv><title>Old</title></arXiv></metadata></record>)"),
                     "");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->records[0].paper.ok()) << p->records[0].paper.error().message();
  EXPECT_EQ(p->records[0].paper->id, "hep-th/9901001");
}

TEST(OaiPmhPage, PrefixedElementNamesMatchOnLocalNames) {
  const std::string body = R"(<?xml version="1.0"?>
<oai:OAI-PMH xmlns:oai="http://www.openarchives.org/OAI/2.0/" xmlns:ax="http://arxiv.org/OAI/arXiv/">
<oai:ListRecords><oai:record><oai:header><oai:identifier>oai:arXiv.org:2401.01234</oai:identifier>
<oai:datestamp>2024-01-03</oai:datestamp></oai:header><oai:metadata><ax:arXiv><ax:id>2401.01234</ax:id>
<ax:title>Prefixed</ax:title><ax:categories>cs.CL</ax:categories></ax:arXiv></oai:metadata></oai:record>
<oai:resumptionToken cursor="0" completeListSize="3">tok|1001</oai:resumptionToken>
</oai:ListRecords></oai:OAI-PMH>)";
  auto p = parse_oai_page(body, "page 1");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->records.size(), 1u);
  ASSERT_TRUE(p->records[0].paper.ok());
  EXPECT_EQ(p->records[0].paper->title, "Prefixed");
  EXPECT_EQ(p->resumption_token, "tok|1001");
  EXPECT_EQ(p->complete_list_size, 3);
}

TEST(OaiPmhPage, ResumptionTokenAndCompleteListSize) {
  auto p = parse_oai_page(
      page(
          arxiv_record("2401.00001", "A"),
          R"(<resumptionToken cursor="0" completeListSize="12345">6960524|1001</resumptionToken>)"),
      "page 1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->resumption_token, "6960524|1001");
  EXPECT_EQ(p->complete_list_size, 12345);

  auto last = parse_oai_page(page(arxiv_record("2401.00001", "A"),
                                  R"(<resumptionToken cursor="12000" completeListSize="12345"/>)"),
                             "page 13");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->resumption_token, "");
  EXPECT_EQ(last->complete_list_size, 12345);

  auto no_token = parse_oai_page(page(arxiv_record("2401.00001", "A")), "page 1");
  ASSERT_TRUE(no_token.ok());
  EXPECT_EQ(no_token->resumption_token, "");
  EXPECT_FALSE(no_token->complete_list_size.has_value());
}

TEST(OaiPmhPage, LatestDatestampIsTheMaximum) {
  auto p = parse_oai_page(page(arxiv_record("2401.00001", "A", "2024-01-05") +
                               arxiv_record("2401.00002", "B", "2024-01-09") +
                               arxiv_record("2401.00003", "C", "2024-01-07")),
                          "page 1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->latest_datestamp, "2024-01-09");
}

TEST(OaiPmhPage, NoRecordsMatchIsAnEmptyPage) {
  auto p = parse_oai_page(R"(<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-10T10:00:00Z</responseDate>
<request verb="ListRecords">http://export.arxiv.org/oai2</request>
<error code="noRecordsMatch">The combination of the values of the from, until, set and metadataPrefix arguments results in an empty list.</error>
</OAI-PMH>)",
                          "page 1");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->records.empty());
  EXPECT_EQ(p->error_code, "noRecordsMatch");
  EXPECT_TRUE(p->resumption_token.empty());
}

TEST(OaiPmhPage, OtherOaiErrorsCarryTheirCode) {
  auto p = parse_oai_page(R"(<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-10T10:00:00Z</responseDate>
<request>http://export.arxiv.org/oai2</request>
<error code="badArgument">Illegal argument 'foo'</error></OAI-PMH>)",
                          "page 1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->error_code, "badArgument");
  EXPECT_EQ(p->error_message, "Illegal argument 'foo'");
}

struct MalformedCase {
  std::string name;
  std::string body;
  std::string reason;
};

class OaiMalformedPage : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(OaiMalformedPage, IsAnInvalidInputError) {
  auto p = parse_oai_page(GetParam().body, "page 7");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(p.error().message(), HasSubstr("page 7: "));
  EXPECT_THAT(p.error().message(), HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OaiMalformedPage,
    ::testing::Values(
        MalformedCase{"empty", "", "not well-formed XML"},
        MalformedCase{"html", "<html><body>Service unavailable</body></html>",
                      "not an OAI-PMH response"},
        MalformedCase{"truncated", page(arxiv_record("2401.00001", "A")).substr(0, 700),
                      "not well-formed XML"},
        MalformedCase{"mismatched", page("<record><header></headr></record>"),
                      "not well-formed XML"},
        MalformedCase{"identify",
                      "<OAI-PMH><Identify><repositoryName>arXiv</repositoryName></Identify>"
                      "</OAI-PMH>",
                      "without ListRecords"},
        MalformedCase{"binary", std::string("\x1f\x8b\x08\x00garbage", 11), "not well-formed XML"}),
    [](const auto& c) { return c.param.name; });

TEST(OaiPmhPage, GetRecordResponse) {
  const std::string body =
      R"(<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-01-10T10:00:00Z</responseDate><request verb="GetRecord">x</request><GetRecord>)" +
      std::string(kArxivRawRecord) + "</GetRecord></OAI-PMH>";
  auto p = parse_oai_page(body, "get");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->records.size(), 1u);
  EXPECT_TRUE(p->records[0].paper.ok());
}

TEST(OaiPmhPage, DublinCoreIsToleratedMinimally) {
  auto p = parse_oai_page(page(R"(<record><header><identifier>oai:arXiv.org:0704.0001</identifier>
<datestamp>2008-11-13</datestamp></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Calculation of prompt diphoton production cross sections</dc:title>
<dc:creator>Balázs, C.</dc:creator><dc:creator>Berger, E. L.</dc:creator>
<dc:subject>High Energy Physics - Phenomenology</dc:subject>
<dc:description>  A fully differential
 calculation.</dc:description>
<dc:description>Comment: 37 pages, 15 figures</dc:description>
<dc:date>2007-04-02</dc:date><dc:date>2008-11-13</dc:date><dc:type>text</dc:type>
<dc:identifier>http://arxiv.org/abs/0704.0001</dc:identifier>
<dc:identifier>Phys.Rev.D76:013009,2007</dc:identifier>
</oai_dc:dc></metadata></record>)"),
                          "page 1");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->records[0].paper.ok()) << p->records[0].paper.error().message();
  const Paper& paper = *p->records[0].paper;
  EXPECT_EQ(paper.id, "0704.0001");
  EXPECT_EQ(paper.title, "Calculation of prompt diphoton production cross sections");
  EXPECT_THAT(paper.authors, ElementsAre("C. Balázs", "E. L. Berger"));
  EXPECT_EQ(paper.abstract, "A fully differential calculation.");
  EXPECT_EQ(paper.comments, "37 pages, 15 figures");
  EXPECT_EQ(paper.submitted, "2007-04-02");
  EXPECT_EQ(paper.updated, "2008-11-13");
}

TEST(OaiPmhPage, InvalidUtf8IsRepairedAndFlagged) {
  auto p = parse_oai_page(page(arxiv_record("2401.00001", "Bad \xC3\x28 byte \xFF here")), "p");
  ASSERT_TRUE(p.ok());
  const Record& r = p->records[0];
  EXPECT_TRUE(r.repaired_utf8);
  ASSERT_TRUE(r.paper.ok());
  EXPECT_EQ(r.paper->title, "Bad \xEF\xBF\xBD( byte \xEF\xBF\xBD here");
}

// ---------------------------------------------------------------------------------------------
// Streaming file reader

struct ReadAll {
  std::vector<Record> records;
  bool ok = true;
  std::string error;
};

ReadAll read_all(const std::filesystem::path& path, XmlReaderOptions options = {}) {
  ReadAll out;
  auto in = InputStream::open(path.string());
  if (!in.ok()) return {{}, false, in.error().message()};
  auto reader = make_oai_reader(std::move(*in), options);
  EXPECT_EQ(reader->format(), Format::kOaiPmh);
  for (;;) {
    Record r;
    auto more = reader->next(r);
    if (!more.ok()) {
      out.ok = false;
      out.error = more.error().message();
      break;
    }
    if (!*more) break;
    out.records.push_back(std::move(r));
  }
  return out;
}

std::string many_records(int n) {
  std::string body;
  for (int i = 1; i <= n; ++i)
    body += arxiv_record(fmt::format("2401.{:05}", i), fmt::format("Paper number {}", i));
  return page(body, R"(<resumptionToken cursor="0" completeListSize="10000"></resumptionToken>)");
}

TEST(OaiPmhReader, StreamsTenThousandRecordsPlainAndGzip) {
  TempDir dir;
  const std::string content = many_records(10000);
  auto plain = pb::testing::write_file(dir / "list.xml", content);
  auto gz = pb::testing::write_gz(dir / "list.xml.gz", content);
  // An odd buffer size splits tags, attributes and end tags across reads at every offset.
  for (const auto& path : {plain, gz}) {
    for (size_t buffer : {size_t{1} << 20, size_t{4093}, size_t{61}}) {
      auto all = read_all(path, {.max_record_bytes = 64u << 20, .buffer_size = buffer});
      ASSERT_TRUE(all.ok) << all.error;
      ASSERT_EQ(all.records.size(), 10000u) << path << " buffer " << buffer;
      for (size_t i = 0; i < all.records.size(); ++i) {
        const Record& r = all.records[i];
        ASSERT_TRUE(r.paper.ok()) << r.where << ": " << r.paper.error().message();
        ASSERT_EQ(r.paper->id, fmt::format("2401.{:05}", i + 1));
        ASSERT_EQ(r.paper->title, fmt::format("Paper number {}", i + 1));
      }
      EXPECT_EQ(all.records[41].where, path.string() + ":record 42");
    }
  }
}

TEST(OaiPmhReader, EveryBufferSizeGivesTheSameRecords) {
  // Markup that a naive scanner gets wrong: a '>' inside an attribute value, comments and
  // CDATA holding record tags, a DOCTYPE with an internal subset, a processing instruction,
  // prefixed names, and look-alike element names.
  const std::string content =
      R"(<?xml version="1.0"?><!DOCTYPE OAI-PMH [ <!ENTITY x "<record>"> ]>
<OAI-PMH><ListRecords><!-- a <record> in a comment --><records-count n="2"/>
<oai:record a="x>y" b='<record>'><header><identifier>oai:arXiv.org:2401.00001</identifier></header>
<metadata><arXiv><id>2401.00001</id><title><![CDATA[Title with </record> inside]]></title>
<?pi <record> ?></arXiv></metadata></oai:record>
<recordx/><record
  >)" +
      arxiv_record("2401.00002", "Second").substr(8) + "<record/>" + "</ListRecords></OAI-PMH>";
  TempDir dir;
  auto path = pb::testing::write_file(dir / "tricky.xml", content);
  for (size_t buffer = 1; buffer <= 40; ++buffer) {
    auto all = read_all(path, {.max_record_bytes = 1u << 20, .buffer_size = buffer});
    ASSERT_TRUE(all.ok);
    ASSERT_EQ(all.records.size(), 3u) << "buffer " << buffer;
    ASSERT_TRUE(all.records[0].paper.ok()) << all.records[0].paper.error().message();
    EXPECT_EQ(all.records[0].paper->title, "Title with </record> inside");
    ASSERT_TRUE(all.records[1].paper.ok()) << all.records[1].paper.error().message();
    EXPECT_EQ(all.records[1].paper->title, "Second");
    EXPECT_FALSE(all.records[2].paper.ok());  // <record/>: no metadata
    EXPECT_EQ(all.records[2].where, path.string() + ":record 3");
  }
}

TEST(OaiPmhReader, ConcatenatedResponsesAndArxivRaw) {
  TempDir dir;
  auto path = pb::testing::write_file(
      dir / "two.xml",
      page(kArxivRecord, "<resumptionToken>t</resumptionToken>") + page(kArxivRawRecord));
  auto all = read_all(path);
  ASSERT_TRUE(all.ok);
  ASSERT_EQ(all.records.size(), 2u);
  ASSERT_TRUE(all.records[0].paper.ok());
  ASSERT_TRUE(all.records[1].paper.ok());
  EXPECT_EQ(all.records[1].paper->version, 2);
}

TEST(OaiPmhReader, InvalidUtf8InATitleIsRepaired) {
  TempDir dir;
  auto path = pb::testing::write_file(
      dir / "utf8.xml", page(arxiv_record("2401.00001", "Ok") +
                             arxiv_record("2401.00002", "Bad \xE2\x82 \xC0\xAF title") +
                             arxiv_record("2401.00003", "Ok too")));
  auto all = read_all(path, {.max_record_bytes = 1u << 20, .buffer_size = 7});
  ASSERT_TRUE(all.ok);
  ASSERT_EQ(all.records.size(), 3u);
  EXPECT_FALSE(all.records[0].repaired_utf8);
  EXPECT_TRUE(all.records[1].repaired_utf8);
  ASSERT_TRUE(all.records[1].paper.ok());
  EXPECT_EQ(all.records[1].paper->title, "Bad \xEF\xBF\xBD \xEF\xBF\xBD title");
  EXPECT_TRUE(all.records[2].paper.ok());
}

TEST(OaiPmhReader, TruncatedFileReportsTheLastRecordOnly) {
  TempDir dir;
  std::string content = page(arxiv_record("2401.00001", "One") + arxiv_record("2401.00002", "Two") +
                             arxiv_record("2401.00003", "Three"));
  content.resize(content.find("Three") + 2);  // cut inside the third record's title
  for (bool gz : {false, true}) {
    auto path = gz ? pb::testing::write_gz(dir / "cut.xml.gz", content)
                   : pb::testing::write_file(dir / "cut.xml", content);
    auto all = read_all(path);
    ASSERT_TRUE(all.ok) << all.error;
    ASSERT_EQ(all.records.size(), 3u);
    EXPECT_TRUE(all.records[0].paper.ok());
    EXPECT_TRUE(all.records[1].paper.ok());
    ASSERT_FALSE(all.records[2].paper.ok());
    EXPECT_THAT(all.records[2].paper.error().message(), HasSubstr("unterminated <record>"));
    EXPECT_EQ(all.records[2].where, path.string() + ":record 3");
  }
}

TEST(OaiPmhReader, MalformedOrUnterminatedRecordCostsOnlyThatRecord) {
  TempDir dir;
  auto path = pb::testing::write_file(
      dir / "bad.xml",
      page(arxiv_record("2401.00001", "One") +
           "<record><header><identifier>x</identifier></headr></record>\n" +  // mismatched
           "<record><header><identifier>y</identifier></header>\n" +          // never closed
           arxiv_record("2401.00004", "Four")));
  auto all = read_all(path);
  ASSERT_TRUE(all.ok);
  ASSERT_EQ(all.records.size(), 4u);
  EXPECT_TRUE(all.records[0].paper.ok());
  ASSERT_FALSE(all.records[1].paper.ok());
  EXPECT_THAT(all.records[1].paper.error().message(), HasSubstr("not well-formed XML"));
  ASSERT_FALSE(all.records[2].paper.ok());
  EXPECT_THAT(all.records[2].paper.error().message(), HasSubstr("unterminated"));
  ASSERT_TRUE(all.records[3].paper.ok());
  EXPECT_EQ(all.records[3].paper->title, "Four");
}

TEST(OaiPmhReader, OversizedRecordIsSkippedWithBoundedMemory) {
  TempDir dir;
  const std::string huge_abstract(200000, 'x');
  std::string big = arxiv_record("2401.00002", "Big");
  big.insert(big.find("</arXiv>"), "<abstract>" + huge_abstract + "</abstract>");
  auto path = pb::testing::write_file(
      dir / "big.xml",
      page(arxiv_record("2401.00001", "One") + big + arxiv_record("2401.00003", "Three")));
  auto all = read_all(path, {.max_record_bytes = 65536, .buffer_size = 4096});
  ASSERT_TRUE(all.ok);
  ASSERT_EQ(all.records.size(), 3u);
  EXPECT_TRUE(all.records[0].paper.ok());
  ASSERT_FALSE(all.records[1].paper.ok());
  EXPECT_THAT(all.records[1].paper.error().message(), HasSubstr("larger than 65536 bytes"));
  EXPECT_TRUE(all.records[2].paper.ok());
}

TEST(OaiPmhReader, DeletedRecordsAreIgnored) {
  TempDir dir;
  auto path = pb::testing::write_file(
      dir / "del.xml",
      page(R"(<record><header status="deleted"><identifier>oai:arXiv.org:2401.00009</identifier>
<datestamp>2024-01-01</datestamp></header></record>)"));
  auto all = read_all(path);
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_TRUE(all.records[0].ignored);
}

TEST(OaiPmhReader, OpenReaderDetectsOaiPmh) {
  TempDir dir;
  auto path = pb::testing::write_gz(dir / "x.xml.gz", many_records(3));
  auto reader = open_reader(path.string());
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  EXPECT_EQ((*reader)->format(), Format::kOaiPmh);
  Record r;
  int n = 0;
  while (true) {
    auto more = (*reader)->next(r);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    EXPECT_TRUE(r.paper.ok());
    ++n;
  }
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace pb::ingest
