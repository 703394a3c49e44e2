#pragma once
// ASCII-only case folding, for keys that are ASCII by rule (e-mail addresses, user names,
// arXiv categories): locale-independent and leaves UTF-8 bytes alone.

#include <string>
#include <string_view>

namespace pb {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace pb
