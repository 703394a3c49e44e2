#pragma once
// Field clean-up shared by all readers (JSON and XML alike).

#include <string>
#include <string_view>
#include <vector>

namespace pb::ingest {

// Collapses each run of XML whitespace (space, tab, CR, LF) into one space and trims both
// ends. Titles and abstracts arrive hard-wrapped and indented; TeX is left untouched.
std::string collapse_whitespace(std::string_view s);

// Splits arXiv's free-form author list ("A. One, B. Two (MIT, USA) and C. Three") into
// names. Separators are commas and the word "and" outside parentheses and TeX braces;
// parenthesised affiliations are dropped. Whitespace is collapsed and empty names skipped.
std::vector<std::string> split_authors(std::string_view authors);

// Splits on whitespace, dropping empty pieces ("hep-ph  cs.LG" -> {"hep-ph", "cs.LG"}).
std::vector<std::string> split_whitespace(std::string_view s);

}  // namespace pb::ingest
