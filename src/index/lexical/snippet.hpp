#pragma once
// Snippets: the best-matching passage of a text with the query's terms marked.

#include <string>
#include <string_view>
#include <vector>

#include "text/analyzer.hpp"

namespace pb::lexical {

struct SnippetOptions {
  size_t window_words = 32;  // passage length in words
  std::string_view open = "<mark>";
  std::string_view close = "</mark>";
  std::string_view ellipsis = "…";
};

// Picks the window of `text` (plain text, e.g. tex_to_text of an abstract) that covers the most
// distinct query terms (weighted by `term_weights` when given, same order as `terms`; rarer
// terms count more), with ties going to the earliest window. Returns it HTML-escaped (& < > " ')
// with matched words wrapped in open/close, and an ellipsis where text was cut. `terms` are
// analysed forms as produced by `analyzer`. A text with no match gives its opening words.
std::string make_snippet(std::string_view text, const std::vector<std::string>& terms,
                         const std::vector<float>& term_weights, text::Analyzer& analyzer,
                         const SnippetOptions& options = {});

// HTML-escapes & < > " ' (for text outside snippets).
std::string html_escape(std::string_view s);

}  // namespace pb::lexical
