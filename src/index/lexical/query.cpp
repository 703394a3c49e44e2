#include "index/lexical/query.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/arxiv_id.hpp"
#include "core/utf8.hpp"

namespace pb::lexical {
namespace {

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic. days_from_civil is Howard Hinnant's algorithm ("chrono-Compatible
// Low-Level Date Algorithms"): exact for the proleptic Gregorian calendar, no tables, no time
// zones, so a day filter means the same on every machine.

bool leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

std::int32_t days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;                                    // [0, 399]
  const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

// Fixed-width decimal field; false unless every byte is a digit.
bool parse_digits(std::string_view s, int& out) {
  if (s.empty()) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Lexing: the raw query is split into chunks at ASCII whitespace, except inside quotes.

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Length of a quote mark at s[i], 0 if none. Typographic quotes count too because queries are
// often pasted from papers and word processors that "smarten" them.
size_t quote_length(std::string_view s, size_t i) {
  if (s[i] == '"') return 1;
  static constexpr std::string_view kLeft = "\xE2\x80\x9C";   // U+201C
  static constexpr std::string_view kRight = "\xE2\x80\x9D";  // U+201D
  std::string_view rest = s.substr(i);
  if (rest.starts_with(kLeft) || rest.starts_with(kRight)) return 3;
  return 0;
}

enum class Sign : std::uint8_t { kNone, kRequire, kExclude };

enum class Key : std::uint8_t {
  kNone,  // free text
  kTitle,
  kAuthors,
  kAbstract,
  kCategory,
  kId,
  kAfter,
  kBefore,
};

Key lookup_key(std::string_view name) {
  std::string lower(name);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (lower == "ti" || lower == "title") return Key::kTitle;
  if (lower == "au" || lower == "author") return Key::kAuthors;
  if (lower == "abs" || lower == "abstract") return Key::kAbstract;
  if (lower == "cat" || lower == "category") return Key::kCategory;
  if (lower == "id") return Key::kId;
  if (lower == "after") return Key::kAfter;
  if (lower == "before") return Key::kBefore;
  return Key::kNone;
}

Field field_of(Key key) {
  switch (key) {
    case Key::kTitle:
      return Field::kTitle;
    case Key::kAuthors:
      return Field::kAuthors;
    case Key::kAbstract:
      return Field::kAbstract;
    default:
      return Field::kAll;
  }
}

struct Chunk {
  Sign sign = Sign::kNone;
  Key key = Key::kNone;
  std::string_view value;  // the word, the field's value or the phrase's inside
  std::string_view raw;    // as typed, without the sign (what a degraded chunk is read as)
  bool quoted = false;
};

// Reads a quoted phrase whose opening mark is at s[i]; returns its inside and advances i past
// the closing mark. An unbalanced quote runs to the end of the query.
std::string_view read_quoted(std::string_view s, size_t& i, bool& unbalanced) {
  i += quote_length(s, i);
  const size_t begin = i;
  while (i < s.size()) {
    if (size_t q = quote_length(s, i); q > 0) {
      std::string_view inside = s.substr(begin, i - begin);
      i += q;
      return inside;
    }
    ++i;
  }
  unbalanced = true;
  return s.substr(begin);
}

std::vector<Chunk> lex(std::string_view s, bool& unbalanced) {
  std::vector<Chunk> chunks;
  size_t i = 0;
  while (true) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    Chunk chunk;
    // A sign only counts when something follows it: a lone "-" is just punctuation.
    if ((s[i] == '-' || s[i] == '+') && i + 1 < s.size() && !is_space(s[i + 1])) {
      chunk.sign = s[i] == '-' ? Sign::kExclude : Sign::kRequire;
      ++i;
    }
    const size_t start = i;
    if (quote_length(s, i) > 0) {
      chunk.value = read_quoted(s, i, unbalanced);
      chunk.quoted = true;
      chunk.raw = s.substr(start, i - start);
      chunks.push_back(chunk);
      continue;
    }
    while (i < s.size() && !is_space(s[i]) && quote_length(s, i) == 0) ++i;
    std::string_view word = s.substr(start, i - start);
    chunk.value = word;
    if (size_t colon = word.find(':'); colon != std::string_view::npos && colon > 0) {
      if (Key key = lookup_key(word.substr(0, colon)); key != Key::kNone) {
        chunk.key = key;
        chunk.value = word.substr(colon + 1);
        // ti:"a phrase": the quote ended the word right after the colon.
        if (chunk.value.empty() && i < s.size() && quote_length(s, i) > 0) {
          chunk.value = read_quoted(s, i, unbalanced);
          chunk.quoted = true;
        }
      }
    }
    chunk.raw = s.substr(start, i - start);
    chunks.push_back(chunk);
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Interpretation. Chunks become clauses first (in query order) so that the stopword decision
// can look at the whole query and the term budget keeps the earliest terms.

enum class Role : std::uint8_t { kShould, kMust, kMustNot };

struct Clause {
  Role role = Role::kShould;
  Field field = Field::kAll;
  bool phrase = false;
  std::vector<std::string> terms;
  std::vector<bool> stopwords;  // kShould only, parallel to terms
};

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Comma-separated filter values ("cat:cs.CL,cs.LG"), empty pieces skipped.
std::vector<std::string_view> split_values(std::string_view v) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = v.find(',');
    std::string_view piece = trim(v.substr(0, comma));
    if (!piece.empty()) out.push_back(piece);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

class Parser {
 public:
  Parser(text::Analyzer& analyzer, Query& query) : analyzer_(analyzer), query_(query) {}

  void add(const Chunk& chunk) {
    switch (chunk.key) {
      case Key::kNone:
        if (chunk.quoted) {
          add_phrase(chunk.value, chunk.sign == Sign::kExclude ? Role::kMustNot : Role::kMust,
                     Field::kAll);
        } else if (chunk.sign == Sign::kNone) {
          add_free(chunk.value);
        } else {
          add_word(chunk.value, chunk.sign == Sign::kExclude ? Role::kMustNot : Role::kMust,
                   Field::kAll);
        }
        return;
      case Key::kTitle:
      case Key::kAuthors:
      case Key::kAbstract: {
        const Role role = chunk.sign == Sign::kExclude ? Role::kMustNot : Role::kMust;
        if (trim(chunk.value).empty() && !chunk.quoted) {
          note_empty_field(chunk);
        } else if (chunk.quoted) {
          add_phrase(chunk.value, role, field_of(chunk.key));
        } else {
          add_word(chunk.value, role, field_of(chunk.key));
        }
        return;
      }
      case Key::kCategory:
      case Key::kId:
      case Key::kAfter:
      case Key::kBefore:
        add_filter(chunk);
        return;
    }
  }

  // Turns the clauses into the query: stopword policy, merging, term budget.
  void finish() {
    bool scored = false;  // anything left to rank by once stopwords are dropped?
    bool any_stopword = false;
    for (const Clause& c : clauses_) {
      if (c.role == Role::kMustNot) continue;
      if (c.role == Role::kMust) {
        scored = scored || !c.terms.empty();
        continue;
      }
      for (bool stop : c.stopwords) {
        if (stop) {
          any_stopword = true;
        } else {
          scored = true;
        }
      }
    }
    const bool keep_stopwords = !scored && any_stopword;
    if (keep_stopwords) note("the query has only common words (stopwords); searching for them");

    bool cut = false;
    auto fits = [&](size_t n) {
      if (used_ + n <= kMaxTerms) {
        used_ += n;
        return true;
      }
      cut = true;
      return false;
    };
    std::unordered_map<std::string, size_t> should_index;
    for (Clause& c : clauses_) {
      if (c.role == Role::kShould) {
        for (size_t k = 0; k < c.terms.size(); ++k) {
          if (c.stopwords[k] && !keep_stopwords) continue;
          if (auto it = should_index.find(c.terms[k]); it != should_index.end()) {
            query_.should[it->second].weight += 1.0f;  // repeated words weigh more
          } else if (fits(1)) {
            should_index.emplace(c.terms[k], query_.should.size());
            query_.should.push_back(QueryTerm{std::move(c.terms[k]), Field::kAll, 1.0f});
          }
        }
        continue;
      }
      if (c.phrase) {
        auto& phrases = c.role == Role::kMust ? query_.phrases : query_.must_not_phrases;
        Phrase p{std::move(c.terms), c.field};
        // A clipped phrase would mean something else (and a clipped exclusion would remove
        // more), so a phrase that does not fit is dropped whole.
        if (std::find_if(phrases.begin(), phrases.end(),
                         [&](const Phrase& o) {
                           return o.field == p.field && o.terms == p.terms;
                         }) == phrases.end() &&
            fits(p.terms.size())) {
          phrases.push_back(std::move(p));
        }
        continue;
      }
      auto& terms = c.role == Role::kMust ? query_.must : query_.must_not;
      const std::string& term = c.terms.front();
      if (std::find_if(terms.begin(), terms.end(),
                       [&](const QueryTerm& o) { return o.field == c.field && o.term == term; }) ==
              terms.end() &&
          fits(1)) {
        terms.push_back(QueryTerm{term, c.field, 1.0f});
      }
    }
    if (cut) note("the query was shortened to " + std::to_string(kMaxTerms) + " terms");
    query_.text = std::move(text_);
  }

  void note(std::string message) {
    if (std::find(query_.notes.begin(), query_.notes.end(), message) == query_.notes.end())
      query_.notes.push_back(std::move(message));
  }

 private:
  void analyze(std::string_view s) {
    tokens_.clear();
    analyzer_.analyze(s, tokens_);
  }

  // Free words rank documents; a compound contributes its parts and its joined form so that
  // "GPT-4" finds "GPT-4", "GPT 4" and "GPT4" alike.
  void add_free(std::string_view word) {
    analyze(word);
    if (tokens_.empty()) return;  // punctuation only
    if (!text_.empty()) text_ += ' ';
    text_ += word;
    Clause c;
    for (const text::Token& t : tokens_) {
      c.terms.push_back(t.term);
      c.stopwords.push_back(t.stopword);
    }
    clauses_.push_back(std::move(c));
  }

  // One typed word that must (not) occur. A compound is required in its joined form, which
  // documents spelling it "GPT-4" or "GPT4" both carry; other multi-token words ("O(n") must
  // occur as a phrase.
  void add_word(std::string_view word, Role role, Field field) {
    analyze(word);
    std::vector<const text::Token*> parts;
    for (const text::Token& t : tokens_)
      if (!t.joined) parts.push_back(&t);
    if (parts.empty()) return;
    if (parts.size() > 1) {
      for (const text::Token& t : tokens_) {
        if (t.joined && t.begin == parts.front()->begin && t.end == parts.back()->end) {
          push_term(role, field, t.term);
          return;
        }
      }
    }
    Clause c{role, field, parts.size() > 1, {}, {}};
    for (const text::Token* t : parts) c.terms.push_back(t->term);
    clauses_.push_back(std::move(c));
  }

  // A quoted phrase: its words in order, stopwords included ("the who" must stay two words).
  void add_phrase(std::string_view inside, Role role, Field field) {
    analyze(inside);
    Clause c{role, field, true, {}, {}};
    for (const text::Token& t : tokens_)
      if (!t.joined) c.terms.push_back(t.term);
    if (c.terms.empty()) return;  // "" or punctuation only
    c.phrase = c.terms.size() > 1;
    clauses_.push_back(std::move(c));
  }

  void push_term(Role role, Field field, std::string term) {
    Clause c{role, field, false, {}, {}};
    c.terms.push_back(std::move(term));
    clauses_.push_back(std::move(c));
  }

  void add_filter(const Chunk& chunk) {
    std::string_view value = trim(chunk.value);
    if (value.empty()) {
      note_empty_field(chunk);
      return;
    }
    if (chunk.sign == Sign::kExclude) {
      note("excluding by category, id or date is not supported; ignored -" +
           std::string(chunk.raw));
      return;
    }
    switch (chunk.key) {
      case Key::kCategory:
        for (std::string_view v : split_values(value)) {
          std::string cat = ascii_lower(v);
          if (std::find(query_.categories.begin(), query_.categories.end(), cat) ==
                  query_.categories.end() &&
              filter_fits(query_.categories.size()))
            query_.categories.push_back(std::move(cat));
        }
        return;
      case Key::kId:
        for (std::string_view v : split_values(value)) {
          auto parsed = ArxivId::parse(v);
          std::string id = parsed ? std::move(parsed->id) : std::string(v);
          if (std::find(query_.ids.begin(), query_.ids.end(), id) == query_.ids.end() &&
              filter_fits(query_.ids.size()))
            query_.ids.push_back(std::move(id));
        }
        return;
      case Key::kAfter:
      case Key::kBefore: {
        const bool before = chunk.key == Key::kBefore;
        std::optional<std::int32_t> day = parse_day(value, before);
        if (!day) {
          note(std::string(chunk.raw) +
               " is not a date (YYYY, YYYY-MM or YYYY-MM-DD); read as words");
          add_free(chunk.raw);
          return;
        }
        // Several bounds of one kind all hold, so the tightest wins.
        auto& bound = before ? query_.before_day : query_.after_day;
        bound = !bound ? *day : before ? std::min(*bound, *day) : std::max(*bound, *day);
        return;
      }
      default:
        return;
    }
  }

  bool filter_fits(size_t have) {
    if (have < kMaxTerms) return true;
    note("too many filters; kept the first " + std::to_string(kMaxTerms));
    return false;
  }

  // "cat:" with nothing after it: the user was probably still typing; read the field name as a
  // word rather than dropping what they typed.
  void note_empty_field(const Chunk& chunk) {
    note(std::string(chunk.raw) + " has no value; read as a word");
    if (chunk.sign == Sign::kNone) {
      add_free(chunk.raw);
    } else {
      add_word(chunk.raw, chunk.sign == Sign::kExclude ? Role::kMustNot : Role::kMust, Field::kAll);
    }
  }

  text::Analyzer& analyzer_;
  Query& query_;
  std::vector<text::Token> tokens_;  // scratch, reused across chunks
  std::vector<Clause> clauses_;
  std::string text_;
  size_t used_ = 0;  // terms kept so far, against kMaxTerms
};

}  // namespace

std::optional<std::int32_t> parse_day(std::string_view s, bool end) {
  if (s.size() != 4 && s.size() != 7 && s.size() != 10) return std::nullopt;
  int y = 0;
  int m = 0;
  int d = 0;
  if (!parse_digits(s.substr(0, 4), y) || y < 1) return std::nullopt;
  if (s.size() >= 7) {
    if (s[4] != '-' || !parse_digits(s.substr(5, 2), m) || m < 1 || m > 12) return std::nullopt;
  } else {
    m = end ? 12 : 1;
  }
  if (s.size() == 10) {
    if (s[7] != '-' || !parse_digits(s.substr(8, 2), d) || d < 1 || d > days_in_month(y, m))
      return std::nullopt;
  } else {
    d = end ? days_in_month(y, m) : 1;
  }
  return days_from_civil(y, m, d);
}

Query parse_query(std::string_view input, text::Analyzer& analyzer) {
  Query query;
  Parser parser(analyzer, query);
  std::string_view cut = utf8::truncate(input, kMaxQueryBytes);
  if (cut.size() < input.size())
    parser.note("the query was cut to its first " + std::to_string(kMaxQueryBytes) + " bytes");
  // Invalid bytes become U+FFFD so that Query::text (shown and matched later) is valid UTF-8.
  const std::string s = utf8::repair(cut);
  bool unbalanced = false;
  for (const Chunk& chunk : lex(s, unbalanced)) parser.add(chunk);
  if (unbalanced) parser.note("a quote was not closed; the phrase runs to the end of the query");
  parser.finish();
  return query;
}

}  // namespace pb::lexical
