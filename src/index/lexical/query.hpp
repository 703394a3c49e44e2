#pragma once
// The search query language and its parsed form.
//
//   free text          transformer attention        terms are OR'ed and ranked (BM25F)
//   "exact phrase"     "large language model"       must match as a phrase (title/abstract/authors)
//   -exclude           -survey  -"image generation" documents matching are removed
//   +require           +diffusion                   the term must occur
//   field prefixes     ti:word  au:hinton  abs:word  ti:"a phrase"   required, scored in that field
//                      cat:cs.CL (category filter)  id:2401.01234 (exact id)
//   dates              after:2025-06  before:2026-01-15   (YYYY, YYYY-MM or YYYY-MM-DD; inclusive)
//
// Parsing never fails: a malformed query degrades to a sensible reading (an unbalanced quote
// closes at the end; an unknown field "foo:bar" is read as the words "foo bar"; a query of
// only stopwords keeps them as terms; input is cut at kMaxQueryBytes and kMaxTerms).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/analyzer.hpp"

namespace pb::lexical {

inline constexpr size_t kMaxQueryBytes = 4096;
inline constexpr size_t kMaxTerms = 64;

enum class Field : std::uint8_t { kTitle = 0, kAbstract = 1, kAuthors = 2, kAll = 255 };
inline constexpr int kNumFields = 3;

struct QueryTerm {
  std::string term;  // analysed (folded, stemmed) form, as indexed
  Field field = Field::kAll;
  float weight = 1.0f;  // query-term weight (repeated terms and expansion terms)
};

struct Phrase {
  std::vector<std::string> terms;  // analysed, consecutive positions
  Field field = Field::kAll;
};

struct Query {
  std::vector<QueryTerm> should;    // ranked, OR semantics (free text)
  std::vector<QueryTerm> must;      // required single terms (+word, ti:word, ...), also scored
  std::vector<Phrase> phrases;      // required phrases, their terms also scored
  std::vector<QueryTerm> must_not;  // excluded single terms
  std::vector<Phrase> must_not_phrases;
  std::vector<std::string> categories;     // cat: filters (any of them), lower-cased
  std::vector<std::string> ids;            // id: filters, normalised arXiv ids (or raw ids)
  std::optional<std::int32_t> after_day;   // inclusive, days since 1970-01-01
  std::optional<std::int32_t> before_day;  // inclusive
  std::string text;                // the free-text part as typed (for exact title / id matching)
  std::vector<std::string> notes;  // how the query was read when it had to degrade

  bool empty() const {
    return should.empty() && must.empty() && phrases.empty() && categories.empty() && ids.empty() &&
           !after_day && !before_day;
  }
};

// Parses `input` with `analyzer` (which must be configured like the index's).
Query parse_query(std::string_view input, text::Analyzer& analyzer);

// Days since 1970-01-01 for "YYYY", "YYYY-MM" or "YYYY-MM-DD"; `end` picks the last day of a
// year or month (for before:). nullopt when not a date.
std::optional<std::int32_t> parse_day(std::string_view s, bool end);

}  // namespace pb::lexical
