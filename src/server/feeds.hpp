#pragma once
// RSS 2.0 and Atom 1.0 (RFC 4287) writers for the server's feeds (a search, a category, a
// user's subscriptions). Output is well-formed XML 1.0 in UTF-8 whatever the input: every
// value is escaped, invalid UTF-8 becomes U+FFFD, and characters XML 1.0 forbids (C0 controls
// other than tab, newline and carriage return; U+FFFE, U+FFFF) are dropped, as are DEL and the
// C1 controls (allowed but discouraged by XML 1.0, and never meaningful in our data).
// Pure functions, thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pb::server {

// One entry: a paper. All strings are plain text (not HTML), in UTF-8.
struct FeedItem {
  // The arXiv id ("2506.01234", "hep-th/9901001"): the RSS guid (isPermaLink="false"). Atom
  // needs an IRI, so an id without a scheme becomes "oai:arXiv.org:ID" (arXiv's own OAI
  // identifier); an id that already has one ("urn:...", "https://...") is used as is.
  std::string id;
  std::string title;
  std::string link;  // the paper's page
  std::string summary;
  std::vector<std::string> authors;
  std::vector<std::string> categories;
  std::string published;  // ISO 8601 or YYYY-MM-DD (RFC 2822 accepted); "" or unparsable: none
  std::string updated;    // likewise; Atom falls back to published, then to the feed's date
};

struct Feed {
  std::string title;
  std::string link;       // the site page the feed mirrors (RSS <link>, Atom rel="alternate")
  std::string self_link;  // the feed's own URL (atom:link rel="self")
  std::string description;
  std::string id;       // Atom feed id (an IRI); "" uses self_link, then link
  std::string updated;  // "" or unparsable: the newest item date, else the current time
  std::vector<FeedItem> items;
};

// RSS 2.0 with the Atom (rel="self") and Dublin Core (dc:creator) namespaces; RFC 822 dates
// ("Tue, 10 Jun 2025 00:00:00 +0000"). <description> is HTML in RSS, so the plain-text
// summary is HTML-escaped before being XML-escaped.
std::string to_rss(const Feed& feed);
// Atom 1.0; RFC 3339 dates in UTC ("2025-06-10T00:00:00Z"); title and summary type="text".
// When an entry has no author, the feed gets one (the feed title), as RFC 4287 requires.
std::string to_atom(const Feed& feed);

// Parses the dates the feeds accept: "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM[:SS[.f]]"
// with "Z", "+HH:MM", "+HHMM" or no zone (UTC), and what core/dates also reads: "YYYY-MM" and
// RFC 2822 (zone ignored, as arXiv's are GMT). nullopt otherwise.
std::optional<std::chrono::sys_seconds> parse_feed_time(std::string_view text);
std::string format_rfc822(std::chrono::sys_seconds t);   // "Tue, 10 Jun 2025 00:00:00 +0000"
std::string format_rfc3339(std::chrono::sys_seconds t);  // "2025-06-10T00:00:00Z"

}  // namespace pb::server
