#pragma once
// BERT WordPiece tokenizer, matching Hugging Face `tokenizers` (BertNormalizer,
// BertPreTokenizer, WordPiece model; Wu et al. 2016, Devlin et al. 2019):
//   1. normalise: clean text (drop NUL, U+FFFD and control characters, whitespace -> ' '),
//      put spaces around CJK ideographs, strip accents (NFD, drop nonspacing marks), lower-case
//      (per code point, full Unicode mapping) — each step as configured;
//   2. pre-tokenise: split on whitespace, every punctuation character is a word of its own;
//   3. WordPiece: greedy longest-match-first with the "##" continuation prefix; a word with no
//      segmentation or longer than max_input_chars_per_word characters becomes [UNK].
// Literal special tokens in the text (e.g. "[MASK]") are not matched as special tokens.
// Thread safety: immutable after loading; encode() is const and may run concurrently.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/string_map.hpp"

namespace pb::embed {

struct WordPieceConfig {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: follows `lowercase` (as in BERT)
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string continuing_prefix = "##";
  std::size_t max_input_chars_per_word = 100;
  std::optional<std::size_t> model_max_length;  // from tokenizer_config.json, if given
};

class WordPieceTokenizer {
 public:
  // Loads `tokenizer.json` if the directory has one (its normalizer and model settings win),
  // else `vocab.txt` with `tokenizer_config.json` (do_lower_case, strip_accents,
  // tokenize_chinese_chars, special tokens, model_max_length).
  static Result<WordPieceTokenizer> load_dir(const std::filesystem::path& dir);
  static Result<WordPieceTokenizer> from_tokenizer_json(const std::filesystem::path& file);
  // `vocab` lists tokens in id order.
  static Result<WordPieceTokenizer> from_vocab(std::vector<std::string> vocab,
                                               WordPieceConfig config);

  // Word-piece ids of `text` without special tokens, at most `max_tokens` of them (the first
  // ones, as truncation would keep). With `drop_unknown`, [UNK] pieces are left out (and do not
  // count against max_tokens), as model2vec does.
  std::vector<std::int32_t> encode(std::string_view text, std::size_t max_tokens,
                                   bool drop_unknown = false) const;
  // Calls fn(word) for each normalised, pre-tokenised word of `text` (step 1 and 2 above),
  // in order, until fn returns false. For building a vocabulary from a corpus.
  void for_each_word(std::string_view text,
                     const std::function<bool(std::string_view word)>& fn) const;
  // [CLS] pieces [SEP], truncated to at most `max_length` ids in total (max_length >= 2).
  std::vector<std::int32_t> encode_with_specials(std::string_view text,
                                                 std::size_t max_length) const;

  const WordPieceConfig& config() const { return config_; }
  std::size_t vocab_size() const { return vocab_.size(); }
  const std::string& token(std::int32_t id) const { return vocab_[static_cast<std::size_t>(id)]; }
  std::optional<std::int32_t> id(std::string_view token) const;
  std::int32_t unk_id() const { return unk_id_; }
  std::int32_t cls_id() const { return cls_id_; }
  std::int32_t sep_id() const { return sep_id_; }

 private:
  // Appends the pieces of one pre-tokenised word; returns false if max_tokens was reached.
  bool add_word(std::string_view word, std::size_t chars, std::vector<std::int32_t>& out,
                std::size_t max_tokens, bool drop_unknown) const;

  // Normalises and pre-tokenises `text`, calling on_word(word, chars) until it returns false.
  template <typename OnWord>
  void split_words(std::string_view text, OnWord&& on_word) const;

  struct Normalizer;
  WordPieceConfig config_;
  std::shared_ptr<const Normalizer> norm_;  // per-configuration tables, shared by copies
  std::vector<std::string> vocab_;
  StringMap<std::int32_t> ids_;       // whole-word pieces
  StringMap<std::int32_t> cont_ids_;  // continuation pieces, without the prefix
  std::size_t max_piece_bytes_ = 0;
  std::int32_t unk_id_ = -1, cls_id_ = -1, sep_id_ = -1;
};

}  // namespace pb::embed
