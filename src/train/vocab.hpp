#pragma once
// A WordPiece vocabulary learned from corpus statistics, for a static embedding model that
// must give every word a vector, including words it has never seen ("LoRA-2", "NeRFs"):
//   - special tokens [PAD] [UNK] [CLS] [SEP];
//   - every character seen at least min_count times, alone and as a continuation ("##x"), so
//     that almost any word can be segmented;
//   - the most frequent whole words (count >= min_count, at most max_words);
//   - the most frequent word beginnings (2-8 characters) and continuation pieces (2-6
//     characters, "##tion"), counted over word occurrences, which greedy longest-match
//     WordPiece uses for the words left out.
// Ties are broken by the strings, so the vocabulary is a function of the counts alone.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "embed/tokenizer.hpp"

namespace pb::train {

struct VocabOptions {
  std::size_t max_words = 100000;
  std::uint64_t min_count = 3;
  std::size_t prefixes = 8000;
  std::size_t continuations = 12000;
};

// Word counts from the pre-tokeniser (normalised words).
using WordCounts = std::unordered_map<std::string, std::uint64_t>;

// The normaliser and pre-tokeniser every trained model uses (BERT's, lower-casing, accents
// stripped); as a tokenizer its vocabulary holds only [UNK].
embed::WordPieceConfig trained_tokenizer_config();

// Tokens in id order.
std::vector<std::string> learn_vocab(const WordCounts& counts, const VocabOptions& options);

}  // namespace pb::train
