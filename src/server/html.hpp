#pragma once
// Escaping for the web server's output: HTML text and attributes, URLs and query strings,
// and JSON embedded in a <script> element. Pure functions, thread-safe.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pb::server {

// Escapes & < > " ' as &amp; &lt; &gt; &quot; &#39;, so the result is safe as HTML text and
// inside a double- or single-quoted attribute value (never in an unquoted attribute, a
// <script>/<style> body or a URL attribute's scheme: those need their own checks).
// Invalid UTF-8 becomes U+FFFD (one per maximal invalid run, as utf8::repair does), so a page
// built from escaped pieces is always valid UTF-8.
std::string escape_html(std::string_view s);
// The same, appended to `out` (for building pages without temporaries).
void append_escaped(std::string& out, std::string_view s);

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), with
// upper-case hex digits. A space becomes %20 (never '+'). Safe for a path segment or a query
// component.
std::string url_encode(std::string_view s);
// Decodes %XX escapes (either case); nullopt when a '%' is not followed by two hex digits.
// '+' is kept as '+' (RFC 3986). The result holds raw bytes: it may be invalid UTF-8 or hold
// NUL; callers that need text validate it.
std::optional<std::string> url_decode(std::string_view s);
// As url_decode, but '+' means a space (application/x-www-form-urlencoded bodies and queries).
std::optional<std::string> form_decode(std::string_view s);

// "k1=v1&k2=v2" with keys and values url_encode()d, in the order given; no leading '?'.
// Pairs whose value is empty are kept ("q=").
std::string query_string(
    std::initializer_list<std::pair<std::string_view, std::string_view>> params);

// Makes a JSON text safe to embed in an HTML <script> element (including the JSON-in-script
// data block pattern): '<', '>' and '&' become \u003c \u003e \u0026 (so neither "</script>"
// nor "<!--" can appear), and U+2028 / U+2029 become \u2028 / \u2029 (line terminators for
// pre-ES2019 JavaScript). These characters can only occur inside JSON strings, where the
// escapes mean the same characters, so the JSON value is unchanged. The input must be JSON.
std::string escape_json_for_script(std::string_view json);

}  // namespace pb::server
