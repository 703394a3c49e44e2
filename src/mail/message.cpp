// RFC 5322 messages with MIME parts. Everything written here is 7-bit: bodies in
// quoted-printable, non-ASCII header text in RFC 2047 "B" encoded words.

#include "mail/message.hpp"

#include <fmt/format.h>

#include <ctime>

#include "core/hash.hpp"
#include "core/utf8.hpp"

namespace pb::mail {

namespace {

constexpr size_t kMaxLine = 76;  // RFC 2045 / 2047 line limit for encoded text

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

void base64(std::string_view in, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
}

// Folds printable ASCII at spaces so that lines stay within 78 characters where possible (a
// word longer than that stays whole: RFC 5322 allows up to 998).
std::string fold_ascii(std::string_view value, size_t name_length) {
  std::string out;
  size_t line = name_length;
  size_t i = 0;
  while (i < value.size()) {
    size_t sp = value.find(' ', i + 1);
    if (sp == std::string_view::npos) sp = value.size();
    std::string_view word = value.substr(i, sp - i);  // starts with its space, except the first
    if (line + word.size() > 78 && i > 0 && word.front() == ' ') {
      out += "\r\n";
      line = 0;
    }
    out += word;
    line += word.size();
    i = sp;
  }
  return out;
}

}  // namespace

bool valid_email(std::string_view e) {
  const size_t at = e.find('@');
  if (e.size() > 254 || at == std::string_view::npos || at == 0 || at > 64 || at + 1 >= e.size() ||
      e.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = e.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return false;
  for (unsigned char c : e)
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("<>\"(),;:\\[]").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  return true;
}

Result<Address> parse_address(std::string_view text) {
  std::string t = trim(text);
  Address a;
  const size_t lt = t.rfind('<');
  if (lt != std::string::npos && !t.empty() && t.back() == '>') {
    a.email = trim(std::string_view(t).substr(lt + 1, t.size() - lt - 2));
    a.name = trim(std::string_view(t).substr(0, lt));
    if (a.name.size() >= 2 && a.name.front() == '"' && a.name.back() == '"')
      a.name = a.name.substr(1, a.name.size() - 2);
  } else {
    a.email = t;
  }
  if (!valid_email(a.email))
    return Error::invalid_input(fmt::format("'{}' is not an e-mail address", a.email));
  if (!utf8::valid(a.name)) a.name = utf8::repair(a.name);
  return a;
}

std::string encode_header(std::string_view value, size_t name_length) {
  if (printable_ascii(value)) return fold_ascii(value, name_length);
  const std::string text = utf8::repair(value);
  std::string out;
  // An encoded word is "=?UTF-8?B?" + base64 + "?=": 12 characters around the base64.
  size_t room = kMaxLine > name_length + 12 ? kMaxLine - name_length - 12 : 4;
  size_t i = 0;
  while (i < text.size()) {
    const size_t max_bytes = std::max<size_t>(room / 4 * 3, 3);
    // Take whole characters up to max_bytes (at least one).
    size_t end = i;
    while (end < text.size()) {
      size_t next = end;
      utf8::next(text, next);
      if (next - i > max_bytes && end > i) break;
      end = next;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    base64(std::string_view(text).substr(i, end - i), out);
    out += "?=";
    i = end;
    room = kMaxLine - 1 - 12;  // continuation lines start with a space
  }
  return out;
}

std::string format_address(const Address& a) {
  if (a.name.empty()) return a.email;
  if (printable_ascii(a.name)) {
    std::string q = "\"";
    for (char c : a.name) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\" <" + a.email + ">";
  }
  return encode_header(a.name, 6) + " <" + a.email + ">";
}

std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    const bool last = nl == std::string_view::npos;
    if (last) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t col = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      char token[4];
      size_t len;
      // Literal: printable ASCII except '=', spaces not at the end of the line, and a '.'
      // that does not start a line (a lone "." line would end SMTP DATA).
      if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
          ((c == ' ' || c == '\t') && !at_end)) {
        token[0] = static_cast<char>(c);
        len = 1;
      } else {
        token[0] = '=';
        token[1] = kHex[c >> 4];
        token[2] = kHex[c & 15];
        len = 3;
      }
      // Leave room for the soft break's '=' unless this is the line's last token.
      const size_t limit = at_end ? kMaxLine : kMaxLine - 1;
      if (col + len > limit) {
        out += "=\r\n";
        col = 0;
        if (len == 1 && token[0] == '.') {  // now at the start of a line
          out += "=2E";
          col = 3;
          continue;
        }
      }
      out.append(token, len);
      col += len;
    }
    if (last) break;
    out += "\r\n";
    pos = nl + 1;
  }
  return out;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Result<std::string> render(const Message& m) {
  if (!valid_email(m.from.email))
    return Error::invalid_input(fmt::format("bad sender address '{}'", m.from.email));
  if (!valid_email(m.to.email))
    return Error::invalid_input(fmt::format("bad recipient address '{}'", m.to.email));
  std::string out;
  out.reserve(m.text.size() * 2 + m.html.size() * 11 / 10 + 1024);
  auto header = [&](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  header("Date", rfc5322_date(m.date));
  header("From", format_address(m.from));
  header("To", format_address(m.to));
  header("Subject", encode_header(m.subject, 9));
  if (!m.message_id.empty()) header("Message-ID", "<" + m.message_id + ">");
  header("MIME-Version", "1.0");
  for (const auto& [name, value] : m.headers) {
    if (name.empty() || name.find_first_of(": \t\r\n") != std::string::npos ||
        !printable_ascii(name))
      return Error::invalid_input(fmt::format("bad header name '{}'", name));
    if (!printable_ascii(value))
      return Error::invalid_input(fmt::format("header {} must be printable ASCII", name));
    header(name, fold_ascii(value, name.size() + 2));
  }
  auto part_headers = [&](std::string_view type) {
    out += "Content-Type: ";
    out += type;
    out += "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  };
  const std::string text = utf8::repair(m.text);
  if (m.html.empty()) {
    part_headers("text/plain");
    out += quoted_printable(text);
    out += "\r\n";
    return out;
  }
  // "=_" never occurs in quoted-printable text, so the boundary cannot occur in a part.
  const std::string boundary =
      fmt::format("=_pb_{:016x}", fnv1a64(m.message_id, fnv1a64(m.subject) ^ m.date));
  header("Content-Type", "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
  out += "\r\nThis is a MIME message with a plain text and an HTML version.\r\n";
  out += "\r\n--" + boundary + "\r\n";
  part_headers("text/plain");
  out += quoted_printable(text);
  out += "\r\n--" + boundary + "\r\n";
  part_headers("text/html");
  out += quoted_printable(utf8::repair(m.html));
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace pb::mail
