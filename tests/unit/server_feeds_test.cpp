#include "server/feeds.hpp"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include <random>

#include "core/utf8.hpp"
#include "server/html.hpp"

namespace pb::server {
namespace {

constexpr std::string_view kHostileTitle =
    "<script>alert(1)</script> & ]]> \x01\x08"
    "bell\x1b\x7f \xC2\x85 end\xff";
// What a parser must read back: markup characters intact as text, controls dropped
// (C0, DEL, the C1 NEL), invalid UTF-8 replaced.
constexpr std::string_view kHostileTitleParsed =
    "<script>alert(1)</script> & ]]> bell  end\xEF\xBF\xBD";

Feed sample_feed() {
  Feed feed;
  feed.title = "paperboy: cs.LG & friends";
  feed.link = "https://paperboy.example/c/cs.LG?sort=new&x=\"1\"";
  feed.self_link = "https://paperboy.example/c/cs.LG.rss";
  feed.description = "New papers in <cs.LG>";
  feed.updated = "2025-06-11T09:00:00Z";
  FeedItem a;
  a.id = "2506.01234";
  a.title = std::string(kHostileTitle);
  a.link = "https://paperboy.example/p/2506.01234?a=1&b=2";
  a.summary = "We show that x < y & y > z.\nSecond line with\ttab.";
  a.authors = {"Ada Lovelace", "Émile <Borel>"};
  a.categories = {"cs.LG", "stat.ML"};
  a.published = "2025-06-10";
  a.updated = "2025-06-11T10:30:00+02:00";
  FeedItem b;
  b.id = "hep-th/9901001";
  b.title = "Strings, Branes & Schrödinger";
  b.link = "https://paperboy.example/p/hep-th/9901001";
  b.summary = "Old-style id.";
  b.authors = {"A. Author"};
  b.categories = {"hep-th"};
  b.published = "Mon, 2 Apr 2007 19:18:42 GMT";
  feed.items = {a, b};
  return feed;
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result r =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  EXPECT_TRUE(r) << r.description() << " at offset " << r.offset << "\n" << xml;
  return doc;
}

std::string text(const pugi::xml_node& n) { return n.text().get(); }

TEST(FeedDates, ParseAndFormat) {
  struct Case {
    std::string_view in, rfc822, rfc3339;
  };
  for (auto [in, rfc822, rfc3339] : std::initializer_list<Case>{
           {"2025-06-10", "Tue, 10 Jun 2025 00:00:00 +0000", "2025-06-10T00:00:00Z"},
           {" 2024-02-29T23:59:59Z ", "Thu, 29 Feb 2024 23:59:59 +0000", "2024-02-29T23:59:59Z"},
           {"2025-01-01T01:30:00+02:00", "Tue, 31 Dec 2024 23:30:00 +0000", "2024-12-31T23:30:00Z"},
           {"2024-12-31T20:00-0500", "Wed, 01 Jan 2025 01:00:00 +0000", "2025-01-01T01:00:00Z"},
           {"2024-05-24T17:34:15.123Z", "Fri, 24 May 2024 17:34:15 +0000", "2024-05-24T17:34:15Z"},
           {"2024-05-24 17:34:15", "Fri, 24 May 2024 17:34:15 +0000", "2024-05-24T17:34:15Z"},
           {"Mon, 2 Apr 2007 19:18:42 GMT", "Mon, 02 Apr 2007 19:18:42 +0000",
            "2007-04-02T19:18:42Z"},
           {"2025-06", "Sun, 01 Jun 2025 00:00:00 +0000", "2025-06-01T00:00:00Z"},
       }) {
    auto t = parse_feed_time(in);
    ASSERT_TRUE(t) << in;
    EXPECT_EQ(format_rfc822(*t), rfc822) << in;
    EXPECT_EQ(format_rfc3339(*t), rfc3339) << in;
  }
  for (std::string_view bad :
       {"", "  ", "yesterday", "2025-02-30", "2025-06-10T25:00:00Z", "2025-06-10T10:00:00+2",
        "2025-06-10T10:00:00Zjunk", "2025-06-10T10", "2025-06-10x"}) {
    EXPECT_FALSE(parse_feed_time(bad)) << bad;
  }
}

TEST(Rss, StructureEscapingAndDates) {
  Feed feed = sample_feed();
  std::string xml = to_rss(feed);
  EXPECT_TRUE(utf8::valid(xml));
  // No raw markup from the data, and no CDATA terminator anywhere.
  EXPECT_EQ(xml.find("<script"), std::string::npos);
  EXPECT_EQ(xml.find("]]>"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);

  auto doc = parse(xml);
  pugi::xml_node rss = doc.child("rss");
  ASSERT_TRUE(rss);
  EXPECT_STREQ(rss.attribute("version").value(), "2.0");
  EXPECT_STREQ(rss.attribute("xmlns:atom").value(), "http://www.w3.org/2005/Atom");
  EXPECT_STREQ(rss.attribute("xmlns:dc").value(), "http://purl.org/dc/elements/1.1/");
  pugi::xml_node channel = rss.child("channel");
  EXPECT_EQ(text(channel.child("title")), feed.title);
  EXPECT_EQ(text(channel.child("link")), feed.link);
  EXPECT_EQ(text(channel.child("description")), feed.description);
  EXPECT_EQ(text(channel.child("lastBuildDate")), "Wed, 11 Jun 2025 09:00:00 +0000");
  pugi::xml_node self = channel.child("atom:link");
  EXPECT_STREQ(self.attribute("rel").value(), "self");
  EXPECT_STREQ(self.attribute("href").value(), feed.self_link.c_str());
  EXPECT_STREQ(self.attribute("type").value(), "application/rss+xml");

  std::vector<pugi::xml_node> items;
  for (pugi::xml_node item : channel.children("item")) items.push_back(item);
  ASSERT_EQ(items.size(), 2u);
  pugi::xml_node a = items[0];
  EXPECT_EQ(text(a.child("title")), kHostileTitleParsed);
  EXPECT_EQ(text(a.child("link")), feed.items[0].link);
  // <description> is HTML: the text is escaped once more, and newlines and tabs survive.
  EXPECT_EQ(text(a.child("description")), escape_html(feed.items[0].summary));
  EXPECT_EQ(text(a.child("guid")), "2506.01234");
  EXPECT_STREQ(a.child("guid").attribute("isPermaLink").value(), "false");
  EXPECT_EQ(text(a.child("pubDate")), "Tue, 10 Jun 2025 00:00:00 +0000");
  std::vector<std::string> creators, categories;
  for (auto n : a.children("dc:creator")) creators.push_back(text(n));
  for (auto n : a.children("category")) categories.push_back(text(n));
  EXPECT_EQ(creators, feed.items[0].authors);
  EXPECT_EQ(categories, feed.items[0].categories);

  pugi::xml_node b = items[1];
  EXPECT_EQ(text(b.child("title")), "Strings, Branes & Schrödinger");
  EXPECT_EQ(text(b.child("guid")), "hep-th/9901001");
  EXPECT_EQ(text(b.child("pubDate")), "Mon, 02 Apr 2007 19:18:42 +0000");
}

TEST(Rss, MissingPiecesAreOmittedAndDatesFallBack) {
  Feed feed;
  feed.title = "t";
  feed.link = "https://x.example/";
  FeedItem item;
  item.id = "2506.00001";
  item.title = "no date";
  item.published = "someday";
  feed.items = {item};
  item.title = "newest";
  item.published = "2025-06-12T08:00:00Z";
  feed.items.push_back(item);
  auto doc = parse(to_rss(feed));
  pugi::xml_node channel = doc.child("rss").child("channel");
  EXPECT_FALSE(channel.child("atom:link"));  // no self link given
  // The feed's date is its newest item's.
  EXPECT_EQ(text(channel.child("lastBuildDate")), "Thu, 12 Jun 2025 08:00:00 +0000");
  pugi::xml_node first = channel.child("item");
  EXPECT_FALSE(first.child("pubDate"));
  EXPECT_FALSE(first.child("description"));
  EXPECT_FALSE(first.child("dc:creator"));
}

TEST(Atom, StructureEscapingAndDates) {
  Feed feed = sample_feed();
  std::string xml = to_atom(feed);
  EXPECT_TRUE(utf8::valid(xml));
  EXPECT_EQ(xml.find("<script"), std::string::npos);
  EXPECT_EQ(xml.find("]]>"), std::string::npos);

  auto doc = parse(xml);
  pugi::xml_node root = doc.child("feed");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://www.w3.org/2005/Atom");
  EXPECT_EQ(text(root.child("id")), feed.self_link);  // no id given: the self link
  EXPECT_EQ(text(root.child("title")), feed.title);
  EXPECT_EQ(text(root.child("subtitle")), feed.description);
  EXPECT_EQ(text(root.child("updated")), "2025-06-11T09:00:00Z");
  EXPECT_EQ(root.find_child_by_attribute("link", "rel", "self").attribute("href").value(),
            feed.self_link);
  EXPECT_EQ(root.find_child_by_attribute("link", "rel", "alternate").attribute("href").value(),
            feed.link);
  EXPECT_FALSE(root.child("author"));  // every entry has its own

  std::vector<pugi::xml_node> entries;
  for (pugi::xml_node e : root.children("entry")) entries.push_back(e);
  ASSERT_EQ(entries.size(), 2u);
  pugi::xml_node a = entries[0];
  EXPECT_EQ(text(a.child("id")), "oai:arXiv.org:2506.01234");
  EXPECT_EQ(text(a.child("title")), kHostileTitleParsed);
  EXPECT_STREQ(a.child("title").attribute("type").value(), "text");
  EXPECT_EQ(text(a.child("updated")), "2025-06-11T08:30:00Z");
  EXPECT_EQ(text(a.child("published")), "2025-06-10T00:00:00Z");
  EXPECT_EQ(text(a.child("summary")), feed.items[0].summary);  // plain text, newline and tab kept
  EXPECT_EQ(a.child("link").attribute("href").value(), feed.items[0].link);
  std::vector<std::string> authors, terms;
  for (auto n : a.children("author")) authors.push_back(text(n.child("name")));
  for (auto n : a.children("category")) terms.push_back(n.attribute("term").value());
  EXPECT_EQ(authors, feed.items[0].authors);
  EXPECT_EQ(terms, feed.items[0].categories);

  pugi::xml_node b = entries[1];
  EXPECT_EQ(text(b.child("id")), "oai:arXiv.org:hep-th/9901001");
  EXPECT_EQ(text(b.child("updated")), "2007-04-02T19:18:42Z");  // falls back to published
}

TEST(Atom, RequiredElementsWhenDataIsMissing) {
  Feed feed;
  feed.title = "Daily <digest>";
  feed.link = "https://x.example/daily";
  feed.id = "urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6";
  feed.updated = "2025-06-10";
  FeedItem item;
  item.id = "https://arxiv.org/abs/2506.00002";  // already an IRI: kept
  item.title = "No authors, no link, no date";
  item.summary = "Summary becomes content.";
  feed.items = {item};
  auto doc = parse(to_atom(feed));
  pugi::xml_node root = doc.child("feed");
  EXPECT_EQ(text(root.child("id")), feed.id);
  EXPECT_FALSE(root.find_child_by_attribute("link", "rel", "self"));
  // An entry without an author makes the feed carry one (RFC 4287 4.1.1).
  EXPECT_EQ(text(root.child("author").child("name")), "Daily <digest>");
  pugi::xml_node e = root.child("entry");
  EXPECT_EQ(text(e.child("id")), "https://arxiv.org/abs/2506.00002");
  EXPECT_EQ(text(e.child("updated")), "2025-06-10T00:00:00Z");  // the feed's date
  EXPECT_FALSE(e.child("published"));
  EXPECT_FALSE(e.child("link"));
  // Without an alternate link an entry needs content (RFC 4287 4.1.2).
  EXPECT_EQ(text(e.child("content")), "Summary becomes content.");
}

TEST(Atom, AttributesKeepWhitespaceAndQuotes) {
  Feed feed;
  feed.title = "t";
  feed.updated = "2025-06-10";
  FeedItem item;
  item.id = "2506.00003";
  item.title = "x";
  item.link = "https://x.example/?q=\"a'b\"&r=<1>";
  item.categories = {"tab\there", "line\nbreak", "cr\rhere"};
  feed.items = {item};
  auto doc = parse(to_atom(feed));
  pugi::xml_node e = doc.child("feed").child("entry");
  EXPECT_EQ(e.child("link").attribute("href").value(), item.link);
  std::vector<std::string> terms;
  for (auto n : e.children("category")) terms.push_back(n.attribute("term").value());
  EXPECT_EQ(terms, item.categories);
}

TEST(Feeds, RandomTitlesAlwaysGiveWellFormedXml) {
  std::mt19937 rng(3);
  for (int n = 0; n < 300; ++n) {
    Feed feed;
    feed.updated = "2025-06-10";
    FeedItem item;
    item.id = "2506.00004";
    item.title.resize(rng() % 40);
    for (auto& c : item.title) c = static_cast<char>(rng());
    item.summary = item.title;
    item.authors = {item.title};
    item.categories = {item.title};
    feed.title = item.title;
    feed.items = {item};
    for (const std::string& xml : {to_rss(feed), to_atom(feed)}) {
      pugi::xml_document doc;
      ASSERT_TRUE(doc.load_buffer(xml.data(), xml.size())) << xml;
      ASSERT_TRUE(utf8::valid(xml));
    }
  }
}

}  // namespace
}  // namespace pb::server
