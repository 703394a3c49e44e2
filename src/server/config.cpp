#include "server/config.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/utf8.hpp"

namespace pb::server {
namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Parses a quoted value starting at v[0] (a quote); the error is the reason only.
Result<std::string> unquote(std::string_view v) {
  char quote = v[0];
  std::string out;
  size_t i = 1;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (c == quote) break;
    if (quote == '"' && c == '\\') {
      if (i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) {
        out += v[++i];
        continue;
      }
      return Error::invalid_input("unknown escape in double-quoted value (use \\\" or \\\\)");
    }
    out += c;
  }
  if (i == v.size()) return Error::invalid_input(fmt::format("unterminated {} quote", quote));
  if (i + 1 != v.size()) return Error::invalid_input("unexpected text after the closing quote");
  return out;
}

}  // namespace

Result<ConfigEntries> parse_config(std::string_view text, std::string_view source_name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  ConfigEntries entries;
  std::map<std::string, size_t, std::less<>> first_line;
  size_t line_no = 0;
  while (!text.empty() || line_no == 0) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    auto fail = [&](std::string_view reason) -> Error {
      return Error::invalid_input(fmt::format("{}:{}: {}", source_name, line_no, reason));
    };

    if (!utf8::valid(line)) return fail("invalid UTF-8");
    if (line.find('\0') != std::string_view::npos) return fail("NUL byte");
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    size_t eq = content.find('=');
    if (eq == std::string_view::npos) return fail("expected 'key = value'");
    std::string_view key = trim(content.substr(0, eq));
    std::string_view raw = trim(content.substr(eq + 1));
    if (key.empty()) return fail("missing key before '='");
    for (char c : key) {
      if (!key_char(c))
        return fail(fmt::format("invalid key '{}' (use letters, digits, '_', '.', '-')", key));
    }
    if (auto it = first_line.find(key); it != first_line.end())
      return fail(fmt::format("duplicate key '{}' (first set on line {})", key, it->second));
    std::string value;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      auto unquoted = unquote(raw);
      if (!unquoted.ok()) return fail(unquoted.error().message());
      value = std::move(unquoted).value();
    } else {
      value = std::string(raw);
    }
    first_line.emplace(std::string(key), line_no);
    entries.emplace_back(std::string(key), std::move(value));
  }
  return entries;
}

Result<ConfigEntries> read_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return Error::io(fmt::format("{}: is a directory", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::io(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Error::io(fmt::format("{}: read error", path.string()));
  return parse_config(buf.str(), path.string());
}

}  // namespace pb::server
