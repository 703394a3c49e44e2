#include "ingest/fields.hpp"

namespace pb::ingest {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (char c : s) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string> split_authors(std::string_view authors) {
  const std::string t = collapse_whitespace(authors);
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    // Dropping "(MIT, USA)" leaves doubled spaces behind; collapse them again.
    std::string name = collapse_whitespace(cur);
    cur.clear();
    if (!name.empty()) out.push_back(std::move(name));
  };
  int paren = 0, brace = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '(') {
      ++paren;
      continue;
    }
    if (c == ')') {
      if (paren > 0) --paren;
      continue;
    }
    if (paren > 0) continue;  // affiliation text
    // TeX groups such as {\"o} never separate names, even if they hold a comma.
    if (c == '{') ++brace;
    if (c == '}' && brace > 0) --brace;
    if (brace == 0 && c == ',') {
      flush();
      continue;
    }
    if (brace == 0 && c == ' ' && t.compare(i, 5, " and ") == 0) {
      flush();
      i += 3;  // the loop's ++i then skips the trailing space
      continue;
    }
    cur += c;
  }
  flush();
  // "A, B, and C": the Oxford comma leaves "and C" as a piece.
  for (auto& name : out)
    if (name.size() > 4 && name.compare(0, 4, "and ") == 0) name.erase(0, 4);
  return out;
}

}  // namespace pb::ingest
