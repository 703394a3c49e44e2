#pragma once
// Text analysis shared by indexing and querying: tokenisation, case and accent folding,
// English stemming, stopwords. The same Analyzer must be used on both sides.
//
// Tokens people search for stay findable:
//  - runs of letters and digits are one token: "R2D2" -> r2d2, "3D" -> 3d, "BERT" -> bert;
//  - a decimal number stays whole: "3.1" -> 3.1;
//  - hyphenated / dotted compounds emit their parts at consecutive positions and, at the
//    position of the first part, the parts joined ("GPT-4" -> gpt, 4 + gpt4; "k-means" ->
//    k, mean + kmean; "Llama-3.1-8B" -> llama, 3.1, 8b + llama3.18b), so that "GPT-4",
//    "GPT 4" and "GPT4" all find each other;
//  - single letters and digits are kept ("O(n log n)" -> o, n, log, n);
//  - CJK ideographs are one token each.
// Folding: Unicode case folding and accent removal (NFKD, combining marks dropped), so
// "Schrödinger" == "schrodinger" and "ﬁ" == "fi". Stemming: Snowball English (Porter2), not
// applied to tokens that contain digits.
//
// Thread safety: an Analyzer is not thread-safe (it owns a stemmer); use one per thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pb::text {

// Token::term_key of a term the analyzer did not number.
inline constexpr std::uint32_t kNoTermKey = UINT32_MAX;

struct Token {
  std::string term;        // folded and (if enabled) stemmed
  std::uint32_t position;  // word position; a joined compound shares its first part's position
  std::uint32_t begin;     // byte offsets of the token's source text in the input
  std::uint32_t end;
  bool joined = false;    // the extra joined form of a compound (not a word of its own)
  bool stopword = false;  // the folded, unstemmed word is an English stopword
  // The analyzer's number for the word this term came from, from its term cache, so that an
  // index builder can map words to its own term ids without hashing the term again: tokens
  // with equal keys have equal terms (the converse need not hold). Valid while the analyzer's
  // term_key_epoch() is unchanged; kNoTermKey if the word was not cached.
  std::uint32_t term_key = kNoTermKey;
  // The value the analyzer's current binding attached to term_key (set_term_key_value()), or
  // kNoTermKey: an index builder keeps its own term id there, read with the cache entry that
  // analysis touches anyway instead of from a table of its own.
  std::uint32_t key_value = kNoTermKey;
};

struct AnalyzerOptions {
  bool stem = true;
  size_t max_token_bytes = 64;  // longer tokens are truncated (keeps garbage out of the index)
  // Words whose terms are memoised (0: none), numbers and names included. Word frequencies
  // are Zipfian: the 102k-paper arXiv corpus has about 560k distinct words, and at 400k
  // entries (emptied once while indexing it) building measured as fast as with 1M, while
  // memory stays bounded (about 60 bytes an entry). A full cache is emptied when the next
  // analyze() call starts.
  size_t term_cache_entries = 400'000;
  // Words of plain ASCII letters and digits that nothing can extend or join (the next byte is
  // a space, a comma, ...: nearly every word of an English abstract) skip the general scanner.
  // The same tokens either way; off only for tests that compare the two.
  bool ascii_fast_path = true;
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Appends the tokens of `text` (UTF-8; invalid bytes are treated as separators) to `out`,
  // numbering positions from `first_position`. Returns the next free position.
  std::uint32_t analyze(std::string_view text, std::vector<Token>& out,
                        std::uint32_t first_position = 0);
  // As analyze(), except that a token whose term_key is set may carry no term text (its `term`
  // empty): term_text(term_key) has it. For index builders, which map keys to their own
  // term ids and need a term's text only the first time they meet its key.
  std::uint32_t analyze_keys(std::string_view text, std::vector<Token>& out,
                             std::uint32_t first_position = 0);
  // The term of a term key from the current epoch (see term_key_epoch()).
  std::string_view term_text(std::uint32_t term_key) const;
  // Convenience: just the terms, joined forms included.
  std::vector<std::string> terms(std::string_view text);
  // Folds and stems one word as analyze() would (for query terms given alone).
  std::string normalize_word(std::string_view word);

  // Changes whenever the term cache is emptied, which invalidates earlier Token::term_keys.
  // Never during an analyze() call.
  std::uint64_t term_key_epoch() const;

  // Values attached to term keys, for one user at a time: bind_term_key_values() forgets
  // every value and returns a new binding number; while term_key_binding() still returns it,
  // values set with set_term_key_value() come back in Token::key_value. Emptying the term
  // cache forgets values with their keys.
  std::uint64_t bind_term_key_values();
  std::uint64_t term_key_binding() const;
  // `term_key` is from the current epoch.
  void set_term_key_value(std::uint32_t term_key, std::uint32_t value);

  // English stopwords for queries (folded, unstemmed form is checked): "the", "of", ...
  static bool is_stopword(std::string_view folded_word);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pb::text
