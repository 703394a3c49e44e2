#include "server/feeds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/dates.hpp"
#include "core/utf8.hpp"
#include "server/html.hpp"

namespace pb::server {
namespace {

using std::chrono::sys_seconds;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// ISO 8601 / RFC 3339 (core/dates).
std::optional<sys_seconds> parse_iso(std::string_view s) {
  auto t = dates::iso_to_unix(s);
  if (!t) return std::nullopt;
  return sys_seconds{std::chrono::seconds{*t}};
}

// Appends `s` escaped for XML character data (attribute = false) or a quoted attribute
// value, dropping what XML 1.0 forbids or discourages (see feeds.hpp).
void append_xml(std::string& out, std::string_view s, bool attribute = false) {
  size_t i = 0;
  bool last_bad = false;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      last_bad = false;
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";  // so that "]]>" never appears
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\r':
          out += "&#13;";  // a literal CR would be normalised away by the parser
          break;
        case '\t':
        case '\n':
          // Attribute value normalisation turns literal tabs and newlines into spaces.
          if (attribute) {
            out += c == '\t' ? "&#9;" : "&#10;";
          } else {
            out += static_cast<char>(c);
          }
          break;
        default:
          if (c >= 0x20 && c != 0x7F) out += static_cast<char>(c);
      }
      continue;
    }
    size_t start = i;
    char32_t cp = utf8::next(s, i);
    bool bad = cp == 0xFFFD && s.substr(start, i - start) != "\xEF\xBF\xBD";
    if (bad) {
      if (!last_bad) utf8::append(out, 0xFFFD);
    } else if (!(cp >= 0x80 && cp <= 0x9F) && cp != 0xFFFE && cp != 0xFFFF) {
      out.append(s.substr(start, i - start));
    }
    last_bad = bad;
  }
}

// <name>text</name> on its own line.
void element(std::string& out, std::string_view indent, std::string_view name,
             std::string_view text) {
  out += indent;
  out += '<';
  out += name;
  out += '>';
  append_xml(out, text);
  out += "</";
  out += name;
  out += ">\n";
}

void attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_xml(out, value, /*attribute=*/true);
  out += '"';
}

std::optional<sys_seconds> item_time(const FeedItem& item, bool prefer_updated) {
  const std::string& first = prefer_updated ? item.updated : item.published;
  const std::string& second = prefer_updated ? item.published : item.updated;
  if (auto t = parse_feed_time(first)) return t;
  return parse_feed_time(second);
}

// The feed's date: its own, else the newest item's, else now.
sys_seconds feed_time(const Feed& feed) {
  if (auto t = parse_feed_time(feed.updated)) return *t;
  std::optional<sys_seconds> newest;
  for (const FeedItem& item : feed.items) {
    if (auto t = item_time(item, /*prefer_updated=*/true); t && (!newest || *t > *newest))
      newest = t;
  }
  if (newest) return *newest;
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

bool has_scheme(std::string_view id) {
  // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (!std::isalpha(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::string atom_entry_id(std::string_view id) {
  if (has_scheme(id)) return std::string(id);
  return "oai:arXiv.org:" + std::string(id);
}

}  // namespace

std::optional<sys_seconds> parse_feed_time(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  if (auto t = parse_iso(s)) return t;
  // Something that starts like an ISO date but failed above is malformed (dates::normalise
  // would read "2025-06-10T10:00+2" as UTC); RFC 2822 and "YYYY-MM" go through core/dates.
  if (s.size() >= 10 && dates::valid_day(s.substr(0, 10))) return std::nullopt;
  if (auto iso = dates::normalise(s)) return parse_iso(*iso);
  return std::nullopt;
}

std::string format_rfc822(sys_seconds t) {
  using namespace std::chrono;
  static constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                            "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  sys_days day_point = floor<days>(t);
  year_month_day ymd{day_point};
  weekday wd{day_point};
  hh_mm_ss hms{t - day_point};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[wd.c_encoding()],
                     static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string format_rfc3339(sys_seconds t) {
  using namespace std::chrono;
  sys_days day_point = floor<days>(t);
  year_month_day ymd{day_point};
  hh_mm_ss hms{t - day_point};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string to_rss(const Feed& feed) {
  std::string out;
  out.reserve(1024 + feed.items.size() * 1024);
  out +=
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
      "  <channel>\n";
  element(out, "    ", "title", feed.title);
  element(out, "    ", "link", feed.link);
  element(out, "    ", "description", feed.description);
  if (!feed.self_link.empty()) {
    out += "    <atom:link";
    attribute(out, "href", feed.self_link);
    out += " rel=\"self\" type=\"application/rss+xml\"/>\n";
  }
  element(out, "    ", "lastBuildDate", format_rfc822(feed_time(feed)));
  for (const FeedItem& item : feed.items) {
    out += "    <item>\n";
    element(out, "      ", "title", item.title);
    if (!item.link.empty()) element(out, "      ", "link", item.link);
    // RSS readers render <description> as HTML; ours is plain text.
    if (!item.summary.empty()) element(out, "      ", "description", escape_html(item.summary));
    if (!item.id.empty()) {
      out += "      <guid isPermaLink=\"false\">";
      append_xml(out, item.id);
      out += "</guid>\n";
    }
    if (auto t = item_time(item, /*prefer_updated=*/false))
      element(out, "      ", "pubDate", format_rfc822(*t));
    for (const std::string& author : item.authors) element(out, "      ", "dc:creator", author);
    for (const std::string& category : item.categories)
      element(out, "      ", "category", category);
    out += "    </item>\n";
  }
  out += "  </channel>\n</rss>\n";
  return out;
}

std::string to_atom(const Feed& feed) {
  std::string out;
  out.reserve(1024 + feed.items.size() * 1024);
  sys_seconds feed_updated = feed_time(feed);
  out +=
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  element(out, "  ", "id",
          !feed.id.empty()          ? feed.id
          : !feed.self_link.empty() ? feed.self_link
                                    : feed.link);
  out += "  <title type=\"text\">";
  append_xml(out, feed.title);
  out += "</title>\n";
  if (!feed.description.empty()) {
    out += "  <subtitle type=\"text\">";
    append_xml(out, feed.description);
    out += "</subtitle>\n";
  }
  element(out, "  ", "updated", format_rfc3339(feed_updated));
  if (!feed.self_link.empty()) {
    out += "  <link rel=\"self\" type=\"application/atom+xml\"";
    attribute(out, "href", feed.self_link);
    out += "/>\n";
  }
  if (!feed.link.empty()) {
    out += "  <link rel=\"alternate\" type=\"text/html\"";
    attribute(out, "href", feed.link);
    out += "/>\n";
  }
  bool every_entry_has_author = std::all_of(feed.items.begin(), feed.items.end(),
                                            [](const FeedItem& i) { return !i.authors.empty(); });
  if (!every_entry_has_author) {
    out += "  <author>\n";
    element(out, "    ", "name", feed.title);
    out += "  </author>\n";
  }
  for (const FeedItem& item : feed.items) {
    out += "  <entry>\n";
    element(out, "    ", "id", atom_entry_id(item.id));
    out += "    <title type=\"text\">";
    append_xml(out, item.title);
    out += "</title>\n";
    auto updated = item_time(item, /*prefer_updated=*/true);
    element(out, "    ", "updated", format_rfc3339(updated ? *updated : feed_updated));
    if (auto published = parse_feed_time(item.published))
      element(out, "    ", "published", format_rfc3339(*published));
    for (const std::string& author : item.authors) {
      out += "    <author>\n";
      element(out, "      ", "name", author);
      out += "    </author>\n";
    }
    for (const std::string& category : item.categories) {
      out += "    <category";
      attribute(out, "term", category);
      out += "/>\n";
    }
    if (!item.link.empty()) {
      out += "    <link rel=\"alternate\" type=\"text/html\"";
      attribute(out, "href", item.link);
      out += "/>\n";
      if (!item.summary.empty()) {
        out += "    <summary type=\"text\">";
        append_xml(out, item.summary);
        out += "</summary>\n";
      }
    } else {
      // RFC 4287 4.1.2: an entry without an alternate link must have content.
      out += "    <content type=\"text\">";
      append_xml(out, item.summary);
      out += "</content>\n";
    }
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

}  // namespace pb::server
