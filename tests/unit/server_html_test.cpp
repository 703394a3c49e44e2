#include "server/html.hpp"

#include <gtest/gtest.h>

#include <random>

#include "core/utf8.hpp"

namespace pb::server {
namespace {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

TEST(EscapeHtml, Table) {
  struct Case {
    std::string_view in, out;
  };
  for (auto [in, out] : std::initializer_list<Case>{
           {"", ""},
           {"plain text", "plain text"},
           {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
           {"a & b", "a &amp; b"},
           {"&amp;", "&amp;amp;"},
           {"\" onmouseover=\"x", "&quot; onmouseover=&quot;x"},
           {"' onmouseover='x", "&#39; onmouseover=&#39;x"},
           {"Schrödinger 日本語 😀", "Schrödinger 日本語 😀"},
           {"\xEF\xBF\xBD", "\xEF\xBF\xBD"},  // a real U+FFFD stays
       }) {
    EXPECT_EQ(escape_html(in), out) << in;
  }
}

TEST(EscapeHtml, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(escape_html("a\xff"
                        "b"),
            std::string("a") + std::string(kFffd) + "b");
  // A truncated sequence must not swallow the markup character after it.
  EXPECT_EQ(escape_html("\xC3<"), std::string(kFffd) + "&lt;");
  EXPECT_EQ(escape_html("\xE2\x80\""), std::string(kFffd) + "&quot;");
  EXPECT_EQ(escape_html("\xC0\xAF"), kFffd);      // overlong '/'
  EXPECT_EQ(escape_html("\xED\xA0\x80"), kFffd);  // surrogate
  // Same repair as core: a run of invalid bytes gives one U+FFFD.
  EXPECT_EQ(escape_html("x\xff\xfe\xfdy"), utf8::repair("x\xff\xfe\xfdy"));
}

TEST(EscapeHtml, RandomBytesGiveSafeValidOutput) {
  std::mt19937 rng(7);
  for (int n = 0; n < 3000; ++n) {
    std::string s(rng() % 48, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? "<>&\"'"[rng() % 5] : rng());
    std::string e = escape_html(s);
    ASSERT_TRUE(utf8::valid(e));
    ASSERT_EQ(e.find_first_of("<>\"'"), std::string::npos) << e;
    for (size_t i = e.find('&'); i != std::string::npos; i = e.find('&', i + 1)) {
      std::string_view rest = std::string_view(e).substr(i);
      ASSERT_TRUE(rest.starts_with("&amp;") || rest.starts_with("&lt;") ||
                  rest.starts_with("&gt;") || rest.starts_with("&quot;") ||
                  rest.starts_with("&#39;"))
          << e;
    }
  }
}

// Undoes the five entities escape_html writes.
std::string unescape(std::string_view e) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (size_t i = 0; i < e.size();) {
    bool matched = false;
    for (auto [entity, c] : kEntities) {
      if (e.substr(i).starts_with(entity)) {
        out += c;
        i += entity.size();
        matched = true;
        break;
      }
    }
    if (!matched) out += e[i++];
  }
  return out;
}

TEST(EscapeHtml, ValidTextRoundTrips) {
  const std::string_view pieces[] = {"a", "<",  ">", "&", "\"",    "'",
                                     "é", "日", "😀", " ", "&amp;", "\n"};
  std::mt19937 rng(9);
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    for (int k = static_cast<int>(rng() % 20); k > 0; --k) s += pieces[rng() % std::size(pieces)];
    ASSERT_EQ(unescape(escape_html(s)), s);
  }
}

TEST(EscapeHtml, AppendEscapedAppends) {
  std::string out = "<p>";
  append_escaped(out, "1 < 2");
  out += "</p>";
  EXPECT_EQ(out, "<p>1 &lt; 2</p>");
}

TEST(Url, EncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode(""), "");
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b&c=d/é?#+%"), "a%20b%26c%3Dd%2F%C3%A9%3F%23%2B%25");
  EXPECT_EQ(url_encode(std::string_view("\0\xff", 2)), "%00%FF");
}

TEST(Url, DecodeAndMalformedPercent) {
  EXPECT_EQ(url_decode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(url_decode("%c3%A9"), "é");
  EXPECT_EQ(url_decode("a+b"), "a+b");
  EXPECT_EQ(form_decode("a+b%2B"), "a b+");
  EXPECT_EQ(url_decode(""), "");
  for (std::string_view bad : {"%", "%4", "%zz", "abc%g0", "%%", "a%2", "%-1", "%+1"}) {
    EXPECT_FALSE(url_decode(bad)) << bad;
    EXPECT_FALSE(form_decode(bad)) << bad;
  }
}

TEST(Url, RandomRoundTrip) {
  std::mt19937 rng(11);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    std::string e = url_encode(s);
    ASSERT_EQ(
        e.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
        std::string::npos);
    ASSERT_EQ(url_decode(e), s);
    ASSERT_EQ(form_decode(e), s);
  }
}

TEST(Url, QueryString) {
  EXPECT_EQ(query_string({}), "");
  EXPECT_EQ(query_string({{"q", "graph neural nets"}, {"page", "2"}, {"cat", "cs.LG&x=1"}}),
            "q=graph%20neural%20nets&page=2&cat=cs.LG%26x%3D1");
  EXPECT_EQ(query_string({{"q", ""}, {"a b", "é"}}), "q=&a%20b=%C3%A9");
}

TEST(EscapeJsonForScript, EscapesWhatCouldCloseTheScript) {
  EXPECT_EQ(escape_json_for_script(R"({"t":"</script><!--&"})"),
            R"({"t":"\u003c/script\u003e\u003c!--\u0026"})");
  EXPECT_EQ(escape_json_for_script("[\"a\xE2\x80\xA8"
                                   "b\xE2\x80\xA9\"]"),
            R"(["a\u2028b\u2029"])");
  // Neighbours of U+2028 and other text pass through.
  EXPECT_EQ(escape_json_for_script("\"\xE2\x80\xA7 \xE2\x80\xAA é\""),
            "\"\xE2\x80\xA7 \xE2\x80\xAA é\"");
  EXPECT_EQ(escape_json_for_script(R"({"a":"\\<"})"), R"({"a":"\\\u003c"})");
  EXPECT_EQ(escape_json_for_script("\"\xE2\x80\""), "\"\xE2\x80\"");  // cut sequence at end
}

}  // namespace
}  // namespace pb::server
