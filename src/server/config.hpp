#pragma once
// The `serve` configuration file: one `key = value` per line.
//
//   # comment (a line whose first non-blank character is '#')
//   listen = 127.0.0.1:8080
//   site_name = "paperboy # local"     double quotes: \" and \\ are the only escapes
//   motd = 'a literal \ value'        single quotes: no escapes
//
// Keys are [A-Za-z0-9_.-]+ and may appear once. An unquoted value is the rest of the line with
// surrounding blanks removed ('#' in it is part of the value: comments are whole lines); it
// may be empty. A quoted value must end the line. Lines may end in CRLF; a UTF-8 BOM is
// skipped; the file must be UTF-8. What the keys mean is the caller's business.

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace pb::server {

using ConfigEntries = std::vector<std::pair<std::string, std::string>>;

// The entries in file order. Errors are invalid_input with a one-line message
// "SOURCE:LINE: reason" (SOURCE is `source_name`, normally the file's path).
Result<ConfigEntries> parse_config(std::string_view text, std::string_view source_name);
// Reads and parses `path` (io error "PATH: reason" when it cannot be read).
Result<ConfigEntries> read_config_file(const std::filesystem::path& path);

}  // namespace pb::server
