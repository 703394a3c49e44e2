#pragma once
// Internet messages (RFC 5322) with MIME bodies (RFC 2045-2047): a plain-text part and an
// optional HTML alternative, both UTF-8 in quoted-printable; non-ASCII display names and
// subjects as RFC 2047 encoded words; long headers folded. Output lines end in CRLF and are
// at most 78 characters (998 is the hard limit), so any SMTP server accepts them unchanged.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace pb::mail {

struct Address {
  std::string name;   // display name, any UTF-8 ("" for none)
  std::string email;  // addr-spec, ASCII
};

// Whether `email` is a plausible addr-spec: one @, a local part of at most 64 bytes, a domain
// (dots between labels; "localhost" passes), no spaces, quotes, brackets or control
// characters, at most 254 bytes. (Deliberately narrower than RFC 5321:
// quoted local parts and address literals are refused.)
bool valid_email(std::string_view email);

// "Name <addr>" or "addr" (the angle brackets alone are also accepted). InvalidInput when the
// address is not valid_email.
Result<Address> parse_address(std::string_view text);

// The address as a header value: the name as a quoted string when it is printable ASCII,
// else as encoded words.
std::string format_address(const Address& a);

// A header value as encoded words ("=?UTF-8?B?...?=", each at most 75 characters, split on
// character boundaries and joined by folding whitespace) when it holds non-ASCII or control
// characters; ASCII text folded at spaces. `name_length` is the length of "Name: " on the
// first line.
std::string encode_header(std::string_view value, size_t name_length);

// Quoted-printable (RFC 2045 section 6.7) with CRLF line breaks: input line breaks (LF or
// CRLF) become hard breaks, long lines get soft breaks so that no line exceeds 76 characters.
std::string quoted_printable(std::string_view text);

// RFC 5322 date-time of a Unix time, in UTC: "Thu, 26 Nov 2026 14:15:05 +0000".
std::string rfc5322_date(std::int64_t unix_seconds);

struct Message {
  Address from;
  Address to;
  std::string subject;
  std::string message_id;  // without the angle brackets
  std::int64_t date = 0;   // Unix seconds
  // More header fields, in order; values must be ASCII (they are folded, not encoded).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string text;  // required
  std::string html;  // optional: multipart/alternative when set
};

// The whole message, ready for SMTP DATA. InvalidInput for a bad address, a header name that
// is not a token or a header value with CR/LF or non-ASCII.
Result<std::string> render(const Message& m);

}  // namespace pb::mail
