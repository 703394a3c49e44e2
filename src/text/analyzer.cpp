#include "text/analyzer.hpp"

#include <libstemmer.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>
#include "core/string_map.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/result.hpp"
#include "core/utf8.hpp"

// One pass over the bytes. Letters and digits in ASCII (nearly all of an English abstract) are
// classified and lower-cased by table lookup without touching ICU; only non-ASCII code points
// go through ICU, and those below U+0800 (Latin accents, Greek, Cyrillic) through a table that
// is filled once from ICU. Every branch consumes input and lookahead is at most two code
// points, so the run time is linear whatever the input. Folded words are capped at
// max_token_bytes while scanning, so a megabyte-long "word" costs a scan and no memory.

namespace pb::text {
namespace {

// ---------------------------------------------------------------------------------------------
// ASCII

constexpr std::uint8_t kLetter = 1;
constexpr std::uint8_t kDigit = 2;

constexpr std::array<std::uint8_t, 128> kAsciiClass = [] {
  std::array<std::uint8_t, 128> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = kDigit;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kLetter;
  return table;
}();

inline bool is_ascii_alnum(unsigned char c) { return c < 0x80 && kAsciiClass[c] != 0; }
inline bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline char ascii_lower(unsigned char c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

// ---------------------------------------------------------------------------------------------
// Unicode

enum class CpClass : std::uint8_t {
  kSeparator,
  kWord,        // letters, digits, other numbers (², ₂, Ⅻ) and combining marks
  kIdeograph,   // a token of its own: CJK text has no spaces between words
  kApostrophe,  // ’ and ʼ behave like ASCII '
  kHyphen,      // U+2010 HYPHEN and U+2011 NON-BREAKING HYPHEN join compounds like '-'
  kIgnorable,   // soft hyphen, zero-width (non-)joiners: invisible inside a word
};

// The generic diacritic blocks. Only these marks are dropped after NFKD: that is what accent
// folding means for Latin, Greek and Cyrillic, while the vowel signs and viramas of Indic
// scripts (also combining marks) are letters of the word and must stay.
bool is_generic_diacritic(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

bool is_word_category(char32_t c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK)) != 0;
}

bool is_ignorable(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

CpClass classify_uncached(char32_t c) {
  if (c == 0x2019 || c == 0x02BC) return CpClass::kApostrophe;
  if (c == 0x2010 || c == 0x2011) return CpClass::kHyphen;
  if (c == 0xFFFD) return CpClass::kSeparator;  // also what invalid UTF-8 decodes to
  if (u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_IDEOGRAPHIC)) return CpClass::kIdeograph;
  // Before the word test: variation selectors and the Hangul fillers are marks or letters.
  if (is_ignorable(c)) return CpClass::kIgnorable;
  if (is_word_category(c)) return CpClass::kWord;
  return CpClass::kSeparator;
}

// Letters that NFKD leaves alone although readers treat them as accented Latin letters (ø is
// not o + a combining mark), and ß, whose full case folding "ss" u_foldCase does not give.
// Applied to case-folded (lower-case) code points.
const char* special_fold(char32_t c) {
  switch (c) {
    case 0x00DF:
      return "ss";  // ß (ẞ folds to ß)
    case 0x00E6:
      return "ae";  // æ
    case 0x00F0:
      return "d";  // ð
    case 0x00F8:
      return "o";  // ø
    case 0x00FE:
      return "th";  // þ
    case 0x0111:
      return "d";  // đ
    case 0x0127:
      return "h";  // ħ
    case 0x0131:
      return "i";  // dotless ı
    case 0x0142:
      return "l";  // ł
    case 0x0153:
      return "oe";  // œ
    case 0x0167:
      return "t";  // ŧ
    default:
      return nullptr;
  }
}

// Appends the folded form of one code point of a decomposition.
void fold_decomposed(char32_t c, std::string& out) {
  if (is_generic_diacritic(c)) return;
  auto folded = static_cast<char32_t>(u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT));
  if (const char* special = special_fold(folded)) {
    out += special;
    return;
  }
  // NFKD can produce spaces and punctuation ("¼" -> "1⁄4", "¨" -> " ̈"): not part of a word.
  if (!is_word_category(folded) || is_ignorable(folded)) return;
  utf8::append(out, folded);
}

// Case folding and accent removal for non-ASCII code points, memoised below U+0800.
// Thread safety: immutable after construction (a function-local static).
class Folder {
 public:
  static const Folder& instance() {
    static const Folder folder;
    return folder;
  }

  CpClass classify(char32_t c) const {
    if (c - kTableBegin < kTableSize) return table_[c - kTableBegin].cls;
    if (is_unified_ideograph(c)) return CpClass::kIdeograph;
    return classify_uncached(c);
  }

  void fold(char32_t c, std::string& out) const {
    if (is_unified_ideograph(c)) return utf8::append(out, c);
    if (c - kTableBegin < kTableSize) {
      const Entry& e = table_[c - kTableBegin];
      if (e.size != kNotMemoised) {
        out.append(e.bytes, e.size);
        return;
      }
    }
    fold_uncached(c, out);
  }

 private:
  // The main CJK block, where nearly all Chinese and Japanese text lives: every code point is
  // an ideograph without case or decomposition, so ICU is not asked.
  static bool is_unified_ideograph(char32_t c) { return c >= 0x4E00 && c <= 0x9FFF; }

  static constexpr char32_t kTableBegin = 0x80;
  static constexpr char32_t kTableSize = 0x800 - 0x80;  // the two-byte UTF-8 code points
  static constexpr std::uint8_t kNotMemoised = 0xFF;

  struct Entry {
    CpClass cls = CpClass::kSeparator;
    std::uint8_t size = kNotMemoised;
    char bytes[6] = {};
  };

  Folder() {
    UErrorCode error = U_ZERO_ERROR;
    nfkd_ = unorm2_getNFKDInstance(&error);
    PB_CHECK(U_SUCCESS(error) && nfkd_ != nullptr);
    std::string folded;
    for (char32_t k = 0; k < kTableSize; ++k) {
      Entry& e = table_[k];
      e.cls = classify_uncached(kTableBegin + k);
      folded.clear();
      fold_uncached(kTableBegin + k, folded);
      if (folded.size() <= sizeof(e.bytes)) {
        folded.copy(e.bytes, folded.size());
        e.size = static_cast<std::uint8_t>(folded.size());
      }
    }
  }

  void fold_uncached(char32_t c, std::string& out) const {
    // Hangul syllables would decompose into conjoining jamo: still letters, but unreadable in
    // the index and no better for matching.
    if (c >= 0xAC00 && c <= 0xD7A3) return fold_decomposed(c, out);
    UChar buffer[32];
    UErrorCode error = U_ZERO_ERROR;
    int32_t length = unorm2_getDecomposition(nfkd_, static_cast<UChar32>(c), buffer,
                                             static_cast<int32_t>(std::size(buffer)), &error);
    if (U_FAILURE(error) || length < 0) return fold_decomposed(c, out);  // no decomposition
    for (int32_t k = 0; k < length;) {
      UChar32 d;
      U16_NEXT(buffer, k, length, d);
      fold_decomposed(static_cast<char32_t>(d), out);
    }
  }

  const UNormalizer2* nfkd_ = nullptr;
  std::array<Entry, kTableSize> table_;
};

// ---------------------------------------------------------------------------------------------
// Stopwords

// Function words of English and of abstract prose ("we propose", "based on", "using"), in the
// spirit of the Lucene and SMART lists but short: words that carry meaning in computer
// science ("over"-smoothing, "off"-policy, "one"-shot, "up"-sampling) are not in it.
constexpr std::string_view kStopwords[] = {
    "a",      "about",     "after",      "all",     "also",    "although", "an",        "and",
    "any",    "are",       "as",         "at",      "based",   "be",       "because",   "been",
    "before", "being",     "between",    "both",    "but",     "by",       "can",       "could",
    "did",    "do",        "does",       "doing",   "during",  "each",     "either",    "for",
    "from",   "had",       "has",        "have",    "having",  "he",       "her",       "here",
    "hers",   "his",       "how",        "however", "i",       "if",       "in",        "into",
    "is",     "it",        "its",        "itself",  "may",     "might",    "more",      "most",
    "much",   "must",      "my",         "neither", "no",      "nor",      "not",       "of",
    "on",     "once",      "only",       "or",      "other",   "others",   "otherwise", "our",
    "ours",   "ourselves", "own",        "per",     "same",    "shall",    "she",       "should",
    "since",  "so",        "some",       "such",    "than",    "that",     "the",       "their",
    "theirs", "them",      "themselves", "then",    "there",   "thereby",  "therefore", "these",
    "they",   "this",      "those",      "though",  "through", "thus",     "to",        "too",
    "until",  "upon",      "us",         "using",   "very",    "via",      "was",       "we",
    "were",   "what",      "when",       "where",   "whereas", "whether",  "which",     "while",
    "who",    "whom",      "whose",      "why",     "will",    "with",     "within",    "would",
    "yet",    "you",       "your",
};

constexpr std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

// Open addressing, built at compile time: a lookup is one short hash and usually one compare,
// which matters because every token is looked up.
class StopwordSet {
 public:
  constexpr StopwordSet() {
    for (std::string_view word : kStopwords) {
      if (word.size() > max_length_) max_length_ = word.size();
      std::uint32_t slot = fnv1a(word) & kMask;
      while (!slots_[slot].empty()) slot = (slot + 1) & kMask;
      slots_[slot] = word;
    }
  }

  constexpr bool contains(std::string_view word) const {
    if (word.empty() || word.size() > max_length_) return false;
    for (std::uint32_t slot = fnv1a(word) & kMask; !slots_[slot].empty();
         slot = (slot + 1) & kMask) {
      if (slots_[slot] == word) return true;
    }
    return false;
  }

 private:
  static constexpr std::uint32_t kSlots = 512;  // under 1/3 full: short probe sequences
  static constexpr std::uint32_t kMask = kSlots - 1;
  static_assert(std::size(kStopwords) * 3 < kSlots);
  std::array<std::string_view, kSlots> slots_{};
  size_t max_length_ = 0;
};

constexpr StopwordSet kStopwordSet;

// ---------------------------------------------------------------------------------------------
// Term cache

// The term cache's hash of a folded word: the word read as zero-padded 16-byte chunks, two
// multiplies a chunk, then an avalanche (the low bits pick the slot, the high half is the
// slot's tag). Defined by chunks so that the ASCII fast path can hash a word of up to 16
// bytes straight from the register it lower-cased it in (see hash_word16); in memory only.
inline std::uint64_t hash_chunk(std::uint64_t h, std::uint64_t lo, std::uint64_t hi) {
  h = (h ^ lo) * 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 29) ^ hi) * 0xbf58476d1ce4e5b9ull;
  return h;
}
inline std::uint64_t hash_finish(std::uint64_t h, size_t n) {
  h ^= n * 0xff51afd7ed558ccdull;
  h ^= h >> 32;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 29;
  return h;
}
constexpr std::uint64_t kWordHashSeed = 0x2545f4914f6cdd1dull;

std::uint64_t hash_word(std::string_view w) {
  std::uint64_t h = kWordHashSeed;
  size_t k = 0;
  for (; k + 16 <= w.size(); k += 16)
    h = hash_chunk(h, load64(w.data() + k), load64(w.data() + k + 8));
  if (k < w.size() || w.empty()) {
    char tail[16] = {};
    std::memcpy(tail, w.data() + k, w.size() - k);
    h = hash_chunk(h, load64(tail), load64(tail + 8));
  }
  return hash_finish(h, w.size());
}

// Folded words and their terms (stemming is most of the cost of analysis without it). A slot
// is 8 bytes (the word hash's high half and where the entry starts in the arena), so the table
// of the default 400k entries is 4 MB: building measured the lookups waiting on the CPU caches
// and the TLB with the 16 MB table of 16-byte slots. An entry keeps its header (key, value,
// sizes, stopword flag), word and term side by side in the arena, so a hit reads one slot and
// usually one arena line. Entries are numbered in insertion order: the number is Token::term_key.
// Open addressing with linear probing, as core/string_map.hpp; slots fill up to 7/8 (eight to
// a cache line, so a probe sequence rarely leaves the home slot's line).
class TermCache {
 public:
  static constexpr size_t kMaxBytes = 255;  // longer words or terms are not cached

  TermCache() { clear(); }

  // The key of `word` (whose hash_word() is `h`), with its term, stopword flag and value;
  // kNoTermKey if absent.
  std::uint32_t find(std::string_view word, std::uint64_t h, std::string_view& term, bool& stopword,
                     std::uint32_t& value) const {
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == kEmpty) return kNoTermKey;
      if (s.tag != tag) continue;
      const char* e = arena_.data() + s.entry;
      const Header hd = header(e);
      if (hd.word_size == word.size() &&
          bytes_equal(e + sizeof(Header), word.data(), word.size())) {
        term = std::string_view(e + sizeof(Header) + hd.word_size, hd.term_size);
        stopword = hd.stopword != 0;
        value = hd.binding == binding_ ? hd.value : kNoTermKey;
        return hd.key;
      }
    }
  }

  // Hints for a coming find(): the word's home slot, then (once that slot is likely in cache)
  // the entry it points at. A lookup that misses the CPU caches twice costs more than the rest
  // of a token's analysis; analysis issues these a few words ahead (see Impl::resolve).
  void prefetch_slot(std::uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }
  void prefetch_entry(std::uint64_t h) const {
    const Slot& s = slots_[h & mask_];
    if (s.entry != kEmpty) __builtin_prefetch(arena_.data() + s.entry);
  }

  // Adds `word`, which is absent, with its term (both at most kMaxBytes) and whether it is a
  // stopword. Returns its key.
  std::uint32_t insert(std::string_view word, std::uint64_t h, std::string_view term,
                       bool stopword) {
    if ((size_ + 1) * 8 > slots_.size() * 7) rehash(slots_.size() * 2);
    size_t i = h & mask_;
    while (slots_[i].entry != kEmpty) i = (i + 1) & mask_;
    Slot& s = slots_[i];
    s.tag = static_cast<std::uint32_t>(h >> 32);
    s.entry = static_cast<std::uint32_t>(arena_.size());
    const Header hd{static_cast<std::uint32_t>(size_),
                    kNoTermKey,
                    kNoBinding,
                    static_cast<std::uint8_t>(word.size()),
                    static_cast<std::uint8_t>(term.size()),
                    static_cast<std::uint8_t>(stopword),
                    0};
    entries_.push_back(s.entry);
    arena_.append(reinterpret_cast<const char*>(&hd), sizeof hd);
    arena_.append(word);
    arena_.append(term);
    return static_cast<std::uint32_t>(size_++);
  }

  // The term stored under `key` (< size()).
  std::string_view term_of(std::uint32_t key) const {
    const char* e = arena_.data() + entries_[key];
    const Header hd = header(e);
    return std::string_view(e + sizeof(Header) + hd.word_size, hd.term_size);
  }

  // Values are stamped with the binding that set them; a new binding makes every earlier
  // value stale at once. Returns the new binding.
  std::uint32_t new_binding() {
    if (++binding_ == kNoBinding) {  // wrapped: no stamp may match an old value by chance
      for (std::uint32_t offset : entries_)
        std::memcpy(arena_.data() + offset + offsetof(Header, binding), &kNoBinding, 4);
      binding_ = kNoBinding + 1;
    }
    return binding_;
  }
  void set_value(std::uint32_t key, std::uint32_t value) {
    char* e = arena_.data() + entries_[key];
    std::memcpy(e + offsetof(Header, value), &value, sizeof value);
    std::memcpy(e + offsetof(Header, binding), &binding_, sizeof binding_);
  }

  std::uint32_t binding() const { return binding_; }
  size_t size() const { return size_; }
  // Whether an insert would pass `max_entries` or outgrow the 32-bit keys and offsets.
  bool full(size_t max_entries) const {
    return size_ >= max_entries || size_ >= kNoTermKey - 1 ||
           arena_.size() > UINT32_MAX - 2 * kMaxBytes - sizeof(Header) - 1;
  }

  void clear() {
    entries_.clear();
    slots_.assign(1024, Slot{});
    mask_ = slots_.size() - 1;
    arena_.clear();
    size_ = 0;
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  static constexpr std::uint32_t kNoBinding = 0;
  std::uint32_t binding_ = kNoBinding;  // the current one
  struct Slot {
    std::uint32_t tag = 0;         // high half of the word's hash
    std::uint32_t entry = kEmpty;  // arena offset of the entry's header; kEmpty: free slot
  };
  struct Header {
    std::uint32_t key;
    std::uint32_t value;    // see Analyzer::set_term_key_value()
    std::uint32_t binding;  // that set `value`; kNoBinding: none
    std::uint8_t word_size;
    std::uint8_t term_size;
    std::uint8_t stopword;
    std::uint8_t unused;
  };
  static Header header(const char* e) {
    Header hd;
    std::memcpy(&hd, e, sizeof hd);
    return hd;
  }

  void rehash(size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    for (const Slot& s : old) {
      if (s.entry == kEmpty) continue;
      const char* e = arena_.data() + s.entry;
      size_t i = hash_word(std::string_view(e + sizeof(Header), header(e).word_size)) & mask_;
      while (slots_[i].entry != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<std::uint32_t> entries_;  // arena offset of each key's entry
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  std::string arena_;
};

// Porter2 leaves words of one or two letters unchanged.
constexpr size_t kMinStemmedLength = 3;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Analyzer

struct Analyzer::Impl {
  explicit Impl(AnalyzerOptions opts)
      : options(opts), folder(Folder::instance()), stemmer(sb_stemmer_new("english", "UTF_8")) {
    PB_CHECK(stemmer != nullptr);
  }
  ~Impl() { sb_stemmer_delete(stemmer); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::uint32_t analyze(std::string_view s, std::vector<Token>& out, std::uint32_t position);

  // The class of a word's next code point, for lookahead; ASCII answered without ICU.
  bool starts_word(std::string_view s, size_t i) const {
    if (i >= s.size()) return false;
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return kAsciiClass[c] != 0;
    return folder.classify(utf8::next(s, i)) == CpClass::kWord;
  }

  // Scans the word starting at s[i] (a word character) into `folded`; returns its end.
  size_t scan_word(std::string_view s, size_t i);
  // Bytes of the compound joiner at s[i]: '-', '.', U+2010, U+2011; 0 if none.
  static size_t joiner_length(std::string_view s, size_t i);
  // The term of a folded word (stemmed if it is an English word and stemming is on) and
  // whether the word is a stopword. Returns the word's term key.
  // With want_term false, `term` is left empty when the returned key is set.
  // `hash` is hash_word(word).
  std::uint32_t make_term(std::string_view word, std::uint64_t hash, std::string& term,
                          bool& stopword, std::uint32_t& value, bool want_term = true);
  // The same, without the cache; false if libstemmer failed (out of memory).
  bool make_term_uncached(std::string_view word, std::string& term);
  // Appends a token for `folded` unless it is empty; returns whether it did. Its term is
  // filled in by resolve().
  bool emit_word(size_t begin, size_t end, std::uint32_t position, std::vector<Token>& out);
  // Queues out[token]'s word for resolve(), with a prefetch of its term-cache slot.
  void defer(std::string_view word, size_t token, bool is_joined);
  // The same for a word already at pending_bytes[at, at + size) whose hash_word() is `h`.
  void queue_pending(size_t at, size_t size, std::uint64_t h, size_t token, bool is_joined);
  // Appends a token for the source range [begin, end) at `position`.
  static Token& add_token(size_t begin, size_t end, std::uint32_t position,
                          std::vector<Token>& out) {
    Token& token = out.emplace_back();
    token.position = position;
    token.begin = static_cast<std::uint32_t>(begin);
    token.end = static_cast<std::uint32_t>(end);
    return token;
  }
  // If the word at s[i] (an ASCII letter or digit) is a run of ASCII letters and digits that
  // ends where nothing can extend or join it, appends its token and returns its end; else 0,
  // and the general path takes it. Gives exactly what scan_word() and emit_word() would.
  size_t emit_simple_ascii_word(std::string_view s, size_t i, std::uint32_t position,
                                std::vector<Token>& out);
  // Gives the queued tokens their terms, in order (so term keys are numbered as if each word
  // were looked up as it is scanned), prefetching a few words ahead.
  void resolve(std::vector<Token>& out);
  // Appends the joined form of the compound whose parts are out[first_part...]. It is the
  // parts' folded forms concatenated and then stemmed as one word, so that a compound
  // analyses like the same compound written solid: "fine-tuning" -> finetun == "finetuning"
  // (the parts' stems would give finetune), "k-means" -> kmean == "kmeans".
  void emit_joined(size_t first_part, std::vector<Token>& out);
  void truncate(std::string& term) const {
    term.resize(utf8::truncate(term, options.max_token_bytes).size());
  }

  AnalyzerOptions options;
  const Folder& folder;
  sb_stemmer* stemmer;
  TermCache term_cache;
  std::uint64_t term_key_epoch = 0;
  bool want_terms = true;  // false inside analyze_keys()
  // Words scanned but not yet looked up (see resolve()).
  struct Pending {
    std::uint64_t hash;
    std::uint32_t token;   // index in the output
    std::uint32_t offset;  // in pending_bytes
    std::uint32_t size;
    bool joined;
  };
  std::vector<Pending> pending;
  std::string pending_bytes;
  // Buffers reused across words and calls so that scanning does not allocate.
  std::string folded;
  std::string joined;
  std::vector<Token> scratch;
};

size_t Analyzer::Impl::scan_word(std::string_view s, size_t i) {
  folded.clear();
  const size_t n = s.size();
  const size_t limit = options.max_token_bytes;
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t apostrophe_length = 0;
    if (c < 0x80) {
      if (kAsciiClass[c] != 0) {
        // The whole run of ASCII letters and digits at once, lower-cased into place.
        size_t end = i + 1;
        while (end < n && is_ascii_alnum(static_cast<unsigned char>(s[end]))) ++end;
        if (folded.size() < limit) {
          size_t take = std::min(end - i, limit - folded.size());
          size_t at = folded.size();
          folded.append(s.data() + i, take);  // then lower-cased in place (no zero fill)
          char* p = folded.data() + at;
          for (size_t k = 0; k < take; ++k) p[k] = ascii_lower(static_cast<unsigned char>(p[k]));
        }
        i = end;
        continue;
      }
      // A decimal point: "3.1" stays one token. s[i - 1] is this word's previous character.
      if (c == '.' && is_ascii_digit(static_cast<unsigned char>(s[i - 1])) && i + 1 < n &&
          is_ascii_digit(static_cast<unsigned char>(s[i + 1]))) {
        if (folded.size() < limit) folded += '.';
        ++i;
        continue;
      }
      if (c != '\'') break;
      apostrophe_length = 1;
    } else {
      size_t next = i;
      char32_t cp = utf8::next(s, next);
      CpClass cls = folder.classify(cp);
      if (cls == CpClass::kWord) {
        if (folded.size() < limit) folder.fold(cp, folded);
        i = next;
        continue;
      }
      if (cls == CpClass::kIgnorable && starts_word(s, next)) {
        i = next;
        continue;
      }
      if (cls != CpClass::kApostrophe) break;
      apostrophe_length = next - i;
    }
    // An apostrophe between word characters. A possessive or contracted "'s" ends the word
    // and is dropped ("model's" -> model, "it's" -> it); any other apostrophe is elided so
    // that the word stays whole ("don't" -> dont, "O'Brien" -> obrien). Either way the
    // token's source range covers it. Anywhere else an apostrophe is a separator (a quote).
    size_t after = i + apostrophe_length;
    if (!starts_word(s, after)) break;
    if ((s[after] == 's' || s[after] == 'S') && !starts_word(s, after + 1)) {
      i = after + 1;
      break;
    }
    i = after;
  }
  truncate(folded);
  return i;
}

size_t Analyzer::Impl::joiner_length(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] == '-' || s[i] == '.') return 1;
  // U+2010 and U+2011 are E2 80 90 and E2 80 91.
  if (s.substr(i, 2) == "\xE2\x80" && i + 2 < s.size() &&
      (s[i + 2] == '\x90' || s[i + 2] == '\x91')) {
    return 3;
  }
  return 0;
}

std::uint32_t Analyzer::Impl::make_term(std::string_view word, std::uint64_t hash,
                                        std::string& term, bool& stopword, std::uint32_t& value,
                                        bool want_term) {
  const bool cacheable = word.size() <= TermCache::kMaxBytes;
  value = kNoTermKey;
  if (cacheable) {
    std::string_view cached;
    std::uint32_t key = term_cache.find(word, hash, cached, stopword, value);
    if (key != kNoTermKey) {
      if (want_term) term.assign(cached);
      return key;
    }
  }
  stopword = kStopwordSet.contains(word);
  if (!make_term_uncached(word, term) || !cacheable || term.size() > TermCache::kMaxBytes ||
      term_cache.full(options.term_cache_entries))
    return kNoTermKey;
  return term_cache.insert(word, hash, term, stopword);
}

bool Analyzer::Impl::make_term_uncached(std::string_view word, std::string& term) {
  // Porter2 is for English words: tokens with digits ("gpt4", "3.1") or other scripts are
  // left alone.
  bool stemmable = options.stem && word.size() >= kMinStemmedLength;
  for (size_t k = 0; stemmable && k < word.size(); ++k) {
    stemmable = word[k] >= 'a' && word[k] <= 'z';
  }
  term.assign(word);
  if (!stemmable) return true;
  const sb_symbol* stemmed = sb_stemmer_stem(
      stemmer, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (stemmed == nullptr) return false;  // out of memory inside libstemmer: keep the word
  term.assign(reinterpret_cast<const char*>(stemmed),
              static_cast<size_t>(sb_stemmer_length(stemmer)));
  truncate(term);  // Porter2 never lengthens a word; this is only a safeguard
  return true;
}

void Analyzer::Impl::defer(std::string_view word, size_t token, bool is_joined) {
  const size_t at = pending_bytes.size();
  pending_bytes.append(word);
  queue_pending(at, word.size(), hash_word(word), token, is_joined);
}

void Analyzer::Impl::queue_pending(size_t at, size_t size, std::uint64_t h, size_t token,
                                   bool is_joined) {
  term_cache.prefetch_slot(h);
  pending.push_back({h, static_cast<std::uint32_t>(token), static_cast<std::uint32_t>(at),
                     static_cast<std::uint32_t>(size), is_joined});
}

void Analyzer::Impl::resolve(std::vector<Token>& out) {
  constexpr size_t kAhead = 4;  // entries prefetched this many words ahead
  const size_t n = pending.size();
  for (size_t i = 0; i < std::min(n, kAhead); ++i) term_cache.prefetch_entry(pending[i].hash);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) term_cache.prefetch_entry(pending[i + kAhead].hash);
    const Pending& p = pending[i];
    Token& token = out[p.token];
    const std::string_view word(pending_bytes.data() + p.offset, p.size);
    bool stopword = false;
    token.term_key = make_term(word, p.hash, token.term, stopword, token.key_value, want_terms);
    // A compound's joined form is not flagged (a compound is no function word).
    token.stopword = !p.joined && stopword;
  }
  pending.clear();
  pending_bytes.clear();
}

size_t Analyzer::Impl::emit_simple_ascii_word(std::string_view s, size_t i, std::uint32_t position,
                                              std::vector<Token>& out) {
  const size_t n = s.size();
  size_t end = i + 1;
#if defined(__SSE2__)
  // Sixteen bytes at a time: which are letters or digits, and the word lower-cased and hashed
  // in the register, when the word ends within them (nearly all do).
  __m128i lowered{};
  bool in_register = false;
  if (n - i >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i zero = _mm_setzero_si128();
    // x <= limit (unsigned) as subs_epu8(x, limit) == 0.
    auto at_most = [&](__m128i x, char limit) {
      return _mm_cmpeq_epi8(_mm_subs_epu8(x, _mm_set1_epi8(limit)), zero);
    };
    const __m128i digit = at_most(_mm_sub_epi8(v, _mm_set1_epi8('0')), 9);
    const __m128i upper = at_most(_mm_sub_epi8(v, _mm_set1_epi8('A')), 25);
    const __m128i lower = at_most(_mm_sub_epi8(v, _mm_set1_epi8('a')), 25);
    const auto word =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(digit, _mm_or_si128(upper, lower))));
    const unsigned stop = ~word & 0xFFFFu;
    if (stop != 0) {
      end = i + static_cast<size_t>(__builtin_ctz(stop));
      lowered = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
      in_register = true;
    } else {
      end = i + 16;
    }
  }
#endif
  while (end < n && is_ascii_alnum(static_cast<unsigned char>(s[end]))) ++end;
  if (end < n) {
    // Non-ASCII may be a letter, a mark or a hyphen; '.', '-' and an apostrophe join or
    // extend the word when anything but an ASCII separator follows them.
    const auto c = static_cast<unsigned char>(s[end]);
    if (c >= 0x80) return 0;
    if ((c == '.' || c == '-' || c == '\'') && end + 1 < n) {
      const auto next = static_cast<unsigned char>(s[end + 1]);
      if (next >= 0x80 || kAsciiClass[next] != 0) return 0;
    }
  }
  // Lower-cased straight into the pending bytes (ASCII: truncation is by bytes).
  const size_t size = std::min(end - i, options.max_token_bytes);
  const size_t at = pending_bytes.size();
  std::uint64_t h;
#if defined(__SSE2__)
  if (in_register) {
    // The word's bytes of the register, the rest zeroed: hash_word()'s one padded chunk.
    alignas(16) static constexpr std::uint8_t kKeep[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                           0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                           0xFF, 0xFF, 0xFF, 0xFF};
    const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kKeep + 16 - size));
    const __m128i padded = _mm_and_si128(lowered, keep);
    pending_bytes.resize(at + 16);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(pending_bytes.data() + at), padded);
    pending_bytes.resize(at + size);
    const auto lo = static_cast<std::uint64_t>(_mm_cvtsi128_si64(padded));
    const auto hi =
        static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(padded, padded)));
    h = hash_finish(hash_chunk(kWordHashSeed, lo, hi), size);
  } else
#endif
  {
    pending_bytes.append(s.data() + i, size);
    char* p = pending_bytes.data() + at;
    for (size_t k = 0; k < size; ++k) p[k] = ascii_lower(static_cast<unsigned char>(p[k]));
    h = hash_word(std::string_view(p, size));
  }
  add_token(i, end, position, out);
  queue_pending(at, size, h, out.size() - 1, false);
  return end;
}

bool Analyzer::Impl::emit_word(size_t begin, size_t end, std::uint32_t position,
                               std::vector<Token>& out) {
  if (folded.empty()) return false;  // e.g. a run of combining marks only
  add_token(begin, end, position, out);
  defer(folded, out.size() - 1, false);
  return true;
}

void Analyzer::Impl::emit_joined(size_t first_part, std::vector<Token>& out) {
  truncate(joined);
  Token& token = out.emplace_back();
  token.position = out[first_part].position;
  token.begin = out[first_part].begin;
  token.end = out[out.size() - 2].end;
  token.joined = true;
  defer(joined, out.size() - 1, true);
}

std::uint32_t Analyzer::Impl::analyze(std::string_view s, std::vector<Token>& out,
                                      std::uint32_t position) {
  // Emptied between calls only, so that the keys of one call's tokens stay valid together.
  if (term_cache.size() > 0 && term_cache.full(options.term_cache_entries)) {
    term_cache.clear();
    ++term_key_epoch;
  }
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (kAsciiClass[c] == 0) {
        ++i;
        continue;
      }
    } else {
      size_t next = i;
      char32_t cp = utf8::next(s, next);
      CpClass cls = folder.classify(cp);
      if (cls == CpClass::kIdeograph) {
        folded.clear();
        folder.fold(cp, folded);
        truncate(folded);
        if (emit_word(i, next, position, out)) ++position;
        i = next;
        continue;
      }
      if (cls != CpClass::kWord) {
        i = next;
        continue;
      }
    }
    if (c < 0x80 && options.ascii_fast_path) {
      if (size_t end = emit_simple_ascii_word(s, i, position, out)) {
        ++position;
        i = end;
        continue;
      }
    }
    // A word, and maybe the first part of a compound: words joined by single joiners.
    size_t first_part = out.size();
    size_t parts = 0;
    joined.clear();
    for (;;) {
      size_t begin = i;
      i = scan_word(s, i);
      if (emit_word(begin, i, position, out)) {
        ++position;
        ++parts;
        if (joined.size() < options.max_token_bytes) joined += folded;
      }
      size_t joiner = joiner_length(s, i);
      if (joiner == 0 || !starts_word(s, i + joiner)) break;
      i += joiner;
    }
    if (parts >= 2) emit_joined(first_part, out);
  }
  resolve(out);
  return position;
}

Analyzer::Analyzer(AnalyzerOptions options) : impl_(std::make_unique<Impl>(options)) {}

Analyzer::~Analyzer() = default;

std::uint32_t Analyzer::analyze(std::string_view text, std::vector<Token>& out,
                                std::uint32_t first_position) {
  return impl_->analyze(text, out, first_position);
}

std::uint32_t Analyzer::analyze_keys(std::string_view text, std::vector<Token>& out,
                                     std::uint32_t first_position) {
  struct Restore {
    bool& flag;
    ~Restore() { flag = true; }
  } restore{impl_->want_terms};
  impl_->want_terms = false;
  return impl_->analyze(text, out, first_position);
}

std::string_view Analyzer::term_text(std::uint32_t term_key) const {
  return impl_->term_cache.term_of(term_key);
}

std::vector<std::string> Analyzer::terms(std::string_view text) {
  std::vector<Token>& tokens = impl_->scratch;
  tokens.clear();
  impl_->analyze(text, tokens, 0);
  std::vector<std::string> result;
  result.reserve(tokens.size());
  for (Token& token : tokens) result.push_back(std::move(token.term));
  return result;
}

std::string Analyzer::normalize_word(std::string_view word) {
  // For input that analyze() would split, the term that stands for the whole input best: the
  // joined form of a compound ("GPT-4" -> gpt4), else the first token.
  std::vector<Token>& tokens = impl_->scratch;
  tokens.clear();
  impl_->analyze(word, tokens, 0);
  if (tokens.empty()) return {};
  for (const Token& token : tokens) {
    if (token.joined) return token.term;
  }
  return tokens.front().term;
}

std::uint64_t Analyzer::term_key_epoch() const { return impl_->term_key_epoch; }

std::uint64_t Analyzer::bind_term_key_values() { return impl_->term_cache.new_binding(); }

std::uint64_t Analyzer::term_key_binding() const { return impl_->term_cache.binding(); }

void Analyzer::set_term_key_value(std::uint32_t term_key, std::uint32_t value) {
  PB_CHECK(term_key < impl_->term_cache.size());
  impl_->term_cache.set_value(term_key, value);
}

bool Analyzer::is_stopword(std::string_view folded_word) {
  return kStopwordSet.contains(folded_word);
}

}  // namespace pb::text
