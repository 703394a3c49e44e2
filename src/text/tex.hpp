#pragma once
// TeX in arXiv titles and abstracts. The raw text is kept for display; tex_to_text() gives
// the plain Unicode text that indexes and snippets use.

#include <string>
#include <string_view>

namespace pb::text {

// Converts TeX markup to plain Unicode text:
//  - accent commands in all their spellings ({\"o}, \"{o}, \"o, \'e, \`a, \^o, \~n, \c{c},
//    \v{s}, \H{o}, \u{a}, \={a}, \.{z}, \r{a}, \k{a}, \aa, \o, \ss, \l, ...) become the
//    precomposed characters (ö, é, à, ô, ñ, ç, š, ő, ă, ā, ż, å, ą, å, ø, ß, ł);
//  - dashes: "---" -> em dash, "--" -> en dash; ``quotes'' -> curly quotes; "~" -> space;
//  - text-formatting commands keep their argument (\emph{x}, \textbf{x}, \textit{x}, ...);
//  - $...$ math is kept as text (the delimiters dropped, its content kept, common
//    symbol commands such as \alpha or \leq become their Unicode characters);
//  - escaped specials (\%, \&, \_, \#, \$) become the character; stray braces are dropped;
//  - whitespace (including arXiv's hard line breaks) collapses to single spaces.
// Never fails: an unknown command keeps its name without the backslash, and its braced
// argument as a separate word (\foo{bar} -> "foo bar"); the arguments of reference-like
// commands (\cite, \ref, \label, \begin/\end, \vspace, \color) are keys, not words, and are
// dropped. Invalid UTF-8 bytes become U+FFFD; the output is always valid UTF-8.
std::string tex_to_text(std::string_view tex);

}  // namespace pb::text
