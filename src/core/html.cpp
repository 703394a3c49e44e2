#include "core/html.hpp"

#include "core/utf8.hpp"

namespace pb {

void append_html_escaped(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size());
  size_t i = 0;
  bool last_bad = false;
  while (i < s.size()) {
    char c = s[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out += c;
      }
      ++i;
      last_bad = false;
      continue;
    }
    size_t start = i;
    char32_t cp = utf8::next(s, i);
    bool bad = cp == 0xFFFD && s.substr(start, i - start) != "\xEF\xBF\xBD";
    if (!bad) {
      out.append(s.substr(start, i - start));
    } else if (!last_bad) {
      utf8::append(out, 0xFFFD);
    }
    last_bad = bad;
  }
}

}  // namespace pb
