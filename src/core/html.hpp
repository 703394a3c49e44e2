#pragma once
// HTML escaping shared by everything that writes HTML (snippets, pages).

#include <string>
#include <string_view>

namespace pb {

// Appends `s` with & < > " ' escaped (safe in text and in quoted attributes). Invalid UTF-8
// becomes U+FFFD, one per run of bad bytes, so escaped output is always valid UTF-8.
void append_html_escaped(std::string& out, std::string_view s);

}  // namespace pb
