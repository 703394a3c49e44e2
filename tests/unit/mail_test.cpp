// Mail messages, checked against an independent parser (Python's email package, policy
// strict) and against the RFC rules that parsers forgive: CRLF only, 7-bit, short lines.

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "../test_support.hpp"
#include "mail/message.hpp"
#include "mail/smtp.hpp"

namespace pb::mail {
namespace {

using pb::testing::TempDir;

// Runs tests/mail/parse_eml.py on a message; the parsed fields as JSON.
nlohmann::json parse_with_python(const std::string& message) {
  TempDir dir;
  const auto path = pb::testing::write_file(dir / "m.eml", message);
  const std::string cmd = "/usr/bin/python3 " +
                          (pb::testing::source_dir() / "tests/mail/parse_eml.py").string() + " " +
                          path.string();
  auto j = nlohmann::json::parse(pb::testing::capture(cmd), nullptr, false);
  return j.is_array() && j.size() == 1 ? j[0] : nlohmann::json();
}

TEST(MailAddress, ValidatesAddrSpecs) {
  for (const char* ok : {"a@b.org", "first.last+tag@sub.example.co.uk", "x@localhost"})
    EXPECT_TRUE(valid_email(ok)) << ok;
  for (const char* bad :
       {"", "a", "@b.org", "a@", "a@@b.org", "a b@c.org", "a@b..org", "a@.b.org", "a@b.org.",
        "\"q\"@b.org", "a@b.org\r\nBcc: x@y.org", "ü@b.org", "<a@b.org>"})
    EXPECT_FALSE(valid_email(bad)) << bad;
  EXPECT_FALSE(valid_email(std::string(65, 'a') + "@b.org"));
}

TEST(MailAddress, ParsesNameAndAddress) {
  auto a = parse_address("  \"Paper Boy\" <news@example.org> ");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "Paper Boy");
  EXPECT_EQ(a->email, "news@example.org");
  a = parse_address("news@example.org");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "");
  EXPECT_FALSE(parse_address("Paper Boy <not an address>").ok());
  EXPECT_EQ(format_address({"A \"quoted\" name", "a@b.org"}),
            "\"A \\\"quoted\\\" name\" <a@b.org>");
}

TEST(MailEncoding, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1795702505), "Thu, 26 Nov 2026 14:15:05 +0000");
}

TEST(MailEncoding, QuotedPrintableKeepsLinesShortAndSafe) {
  const std::string long_line(300, 'x');
  const std::string qp =
      quoted_printable("a=b \n.leading dot\n" + long_line + "\ntrailing   \n\xc3\xa9");
  size_t start = 0;
  while (start < qp.size()) {
    size_t end = qp.find("\r\n", start);
    if (end == std::string::npos) end = qp.size();
    EXPECT_LE(end - start, 76u) << qp.substr(start, end - start);
    EXPECT_NE(qp.substr(start, 1), ".") << "a line starting with a dot";
    start = end + 2;
  }
  EXPECT_NE(qp.find("a=3Db"), std::string::npos);
  EXPECT_NE(qp.find("trailing  =20"), std::string::npos);
  EXPECT_NE(qp.find("=C3=A9"), std::string::npos);
  for (unsigned char c : qp) EXPECT_LT(c, 128);
}

TEST(MailMessage, MultipartRoundTripsThroughAnIndependentParser) {
  Message m;
  m.from = {"paperboy — Zürich", "digest@example.org"};
  m.to = {"", "reader@example.org"};
  m.subject =
      "Jürgen Schmidhuber: 深度学习 and a very long subject line that must be folded "
      "over several lines without breaking any multi-byte character ∑∫√";
  m.message_id = "abc.digest@example.org";
  m.date = 1795702505;
  m.headers = {{"List-Unsubscribe", "<https://example.org/unsubscribe?t=abc.def>"},
               {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  m.text = "Line one\n.\n.starts with a dot\nx=y\n" + std::string(200, 'z') +
           "\nCafé ▲ 42\ntrailing space \n";
  m.html = "<p>Café &amp; <b>bold</b></p>\n<p>" + std::string(150, 'h') + "</p>";
  auto rendered = render(m);
  ASSERT_TRUE(rendered.ok()) << rendered.error().message();
  auto j = parse_with_python(*rendered);
  ASSERT_TRUE(j.is_object()) << "python could not parse:\n" << *rendered;
  EXPECT_TRUE(j["defects"].empty()) << j["defects"];
  EXPECT_EQ(j["subject"], m.subject);
  EXPECT_EQ(j["from"], "paperboy — Zürich <digest@example.org>");
  EXPECT_EQ(j["to"], "reader@example.org");
  EXPECT_EQ(j["content_type"], "multipart/alternative");
  EXPECT_EQ(j["text"], m.text);
  EXPECT_EQ(j["html"], m.html);
  EXPECT_EQ(j["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
  EXPECT_LE(j["max_line"].get<int>(), 78);
  EXPECT_FALSE(j["bare_lf"].get<bool>());
  EXPECT_TRUE(j["ascii"].get<bool>());
}

TEST(MailMessage, PlainTextOnlyAndBadInput) {
  Message m;
  m.from = {"", "a@example.org"};
  m.to = {"", "b@example.org"};
  m.subject = "Hello";
  m.date = 1;
  m.text = "just text";
  auto r = render(m);
  ASSERT_TRUE(r.ok());
  auto j = parse_with_python(*r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["content_type"], "text/plain");
  EXPECT_EQ(j["text"], "just text\n");
  m.to.email = "not an address";
  EXPECT_FALSE(render(m).ok());
  m.to.email = "b@example.org";
  m.headers = {{"X-Bad", "line\r\nBcc: victim@example.org"}};
  EXPECT_FALSE(render(m).ok());
  m.headers = {{"Bad Name", "x"}};
  EXPECT_FALSE(render(m).ok());
}

TEST(Smtp, RejectsBadSettingsAndReportsAnUnreachableServerAsTransient) {
  SmtpSettings s;
  s.url = "http://127.0.0.1:25";
  EXPECT_FALSE(smtp_transport(s).ok());
  s.url = "smtp://127.0.0.1:25";
  s.tls = "maybe";
  EXPECT_FALSE(smtp_transport(s).ok());
  // Port 1 on loopback: nothing listens there.
  s.url = "smtp://127.0.0.1:1";
  s.tls = "none";
  s.timeout_seconds = 5;
  auto t = smtp_transport(s);
  ASSERT_TRUE(t.ok());
  auto r = (*t)->send("a@example.org", "b@example.org", "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.outcome, SendOutcome::kTransient);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace pb::mail
