#pragma once
// UTF-8 validation and repair. Input from crawls may hold invalid sequences; they are
// replaced by U+FFFD so that nothing downstream ever sees invalid UTF-8.

#include <string>
#include <string_view>

namespace pb::utf8 {

bool valid(std::string_view s);
// Replaces each maximal invalid subsequence with U+FFFD; valid input is returned unchanged.
std::string repair(std::string_view s);
// Decodes one code point at s[i], advancing i; invalid bytes yield U+FFFD.
char32_t next(std::string_view s, size_t& i);
void append(std::string& out, char32_t cp);
// Cuts at most `max_bytes` bytes without splitting a code point.
std::string_view truncate(std::string_view s, size_t max_bytes);

}  // namespace pb::utf8
