#include "train/vocab.hpp"

#include <algorithm>
#include <unordered_set>

#include "core/utf8.hpp"

namespace pb::train {
namespace {

using Counted = std::pair<std::string, std::uint64_t>;

// The `limit` entries with the highest counts (ties: smaller string first).
std::vector<Counted> top(std::unordered_map<std::string, std::uint64_t>& m, std::size_t limit,
                         std::uint64_t min_count) {
  std::vector<Counted> v;
  v.reserve(m.size());
  for (auto& [k, n] : m)
    if (n >= min_count) v.emplace_back(k, n);
  auto better = [](const Counted& a, const Counted& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  if (v.size() > limit) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(limit), v.end(), better);
    v.resize(limit);
  }
  std::sort(v.begin(), v.end(), better);
  return v;
}

// Byte offsets of the code point boundaries of s (including s.size()).
std::vector<std::size_t> boundaries(const std::string& s) {
  std::vector<std::size_t> b;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) b.push_back(i);
  b.push_back(s.size());
  return b;
}

}  // namespace

embed::WordPieceConfig trained_tokenizer_config() {
  embed::WordPieceConfig c;  // BERT uncased: clean text, CJK split, lower case, strip accents
  return c;
}

std::vector<std::string> learn_vocab(const WordCounts& counts, const VocabOptions& options) {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
  std::unordered_set<std::string> have(vocab.begin(), vocab.end());
  auto add = [&](const std::string& t) {
    if (have.insert(t).second) vocab.push_back(t);
  };
  std::unordered_map<std::string, std::uint64_t> chars, words, prefixes, conts;
  for (const auto& [w, n] : counts) {
    auto b = boundaries(w);
    const std::size_t len = b.size() - 1;
    if (len == 0 || len > 100) continue;  // longer words are [UNK] for WordPiece anyway
    for (std::size_t i = 0; i < len; ++i) chars[w.substr(b[i], b[i + 1] - b[i])] += n;
    if (len == 1) continue;
    words[w] += n;
    // Pieces come from the words that recur (rare types are many and mostly noise); not from
    // long strings (URLs, formulas).
    if (n < options.min_count || len > 24) continue;
    for (std::size_t l = 2; l <= 8 && l < len; ++l) prefixes[w.substr(0, b[l])] += n;
    for (std::size_t i = 1; i < len; ++i)
      for (std::size_t l = 2; l <= 6 && i + l <= len; ++l)
        conts[w.substr(b[i], b[i + l] - b[i])] += n;
  }
  for (auto& [c, n] : top(chars, chars.size(), options.min_count)) {
    add(c);
    add("##" + c);
  }
  for (auto& [w, n] : top(words, options.max_words, options.min_count)) add(w);
  for (auto& [p, n] : top(prefixes, options.prefixes, options.min_count)) add(p);
  for (auto& [p, n] : top(conts, options.continuations, options.min_count)) add("##" + p);
  return vocab;
}

}  // namespace pb::train
