#include "embed/tokenizer.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>

#include "core/utf8.hpp"
#include "embed/json_util.hpp"

namespace pb::embed {
namespace {

using nlohmann::json;

bool is_ascii_punct(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

// CJK Unified Ideographs and their extensions, as in BERT's _is_chinese_char.
bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// BERT's "control": general category C* except tab, newline and carriage return.
bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

// The Unicode White_Space property (Rust's char::is_whitespace, used by `tokenizers`).
bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool is_punct(char32_t c) {
  if (c < 0x80) return is_ascii_punct(c);
  return u_ispunct(static_cast<UChar32>(c));
}

// Full lower-case mapping of one code point (Rust's char::to_lowercase: no final-sigma rule).
void append_lower(char32_t c, std::u32string& out) {
  UChar src[2];
  int32_t n = 0;
  U16_APPEND_UNSAFE(src, n, static_cast<UChar32>(c));
  UChar dst[8];
  UErrorCode err = U_ZERO_ERROR;
  int32_t m = u_strToLower(dst, 8, src, n, "", &err);
  if (U_FAILURE(err) || m > 8) {
    out.push_back(c);
    return;
  }
  for (int32_t i = 0; i < m;) {
    UChar32 d;
    U16_NEXT(dst, i, m, d);
    out.push_back(static_cast<char32_t>(d));
  }
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else {
    utf8::append(out, c);
  }
}

}  // namespace

// Normalisation of single code points (clean-up, accents, case). Tables cache the result for
// code points below kTable so that ICU is consulted only for rare characters.
struct WordPieceTokenizer::Normalizer {
  static constexpr char32_t kTable = 0x3000;
  bool clean = true, chinese = true, strip = true, lower = true;
  const UNormalizer2* nfd = nullptr;
  std::vector<std::u32string> table;
  std::vector<std::uint8_t> dropped;

  explicit Normalizer(const WordPieceConfig& config)
      : clean(config.clean_text),
        chinese(config.handle_chinese_chars),
        strip(config.strip_accents.value_or(config.lowercase)),
        lower(config.lowercase) {
    UErrorCode err = U_ZERO_ERROR;
    nfd = unorm2_getNFDInstance(&err);
    if (U_FAILURE(err)) nfd = nullptr;
    table.resize(kTable);
    dropped.resize(kTable);
    for (char32_t c = 0; c < kTable; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      dropped[c] = !expand_slow(c, table[c]);
    }
  }

  bool expand_slow(char32_t c, std::u32string& out) const {
    if (clean && (c == 0 || c == 0xFFFD || is_control(c))) return false;
    std::u32string tmp;
    if (strip && c >= 0x80 && nfd) {
      UChar buf[32];
      UErrorCode err = U_ZERO_ERROR;
      int32_t n = unorm2_getDecomposition(nfd, static_cast<UChar32>(c), buf, 32, &err);
      if (n > 0 && U_SUCCESS(err)) {
        for (int32_t i = 0; i < n;) {
          UChar32 d;
          U16_NEXT(buf, i, n, d);
          if (u_charType(d) != U_NON_SPACING_MARK) tmp.push_back(static_cast<char32_t>(d));
        }
      } else if (u_charType(static_cast<UChar32>(c)) != U_NON_SPACING_MARK) {
        tmp.push_back(c);
      }
    } else {
      tmp.push_back(c);
    }
    if (!lower) {
      out += tmp;
      return true;
    }
    for (char32_t d : tmp) {
      if (d < 0x80) {
        out.push_back(d >= 'A' && d <= 'Z' ? d + 32 : d);
      } else {
        append_lower(d, out);
      }
    }
    return true;
  }

  // Appends the normalised form of c; false if clean-up removes it.
  bool expand(char32_t c, std::u32string& out) const {
    if (c < kTable) {
      if (dropped[c]) return false;
      out += table[c];
      return true;
    }
    return expand_slow(c, out);
  }
};

Result<WordPieceTokenizer> WordPieceTokenizer::from_vocab(std::vector<std::string> vocab,
                                                          WordPieceConfig config) {
  if (vocab.empty()) return Error::invalid_input("empty WordPiece vocabulary");
  if (vocab.size() > (1u << 24)) return Error::invalid_input("WordPiece vocabulary too large");
  WordPieceTokenizer t;
  t.config_ = std::move(config);
  t.vocab_ = std::move(vocab);
  const std::string& prefix = t.config_.continuing_prefix;
  for (std::size_t i = 0; i < t.vocab_.size(); ++i) {
    std::string_view tok = t.vocab_[i];
    if (tok.empty()) continue;
    auto id = static_cast<std::int32_t>(i);
    if (!prefix.empty() && tok.size() > prefix.size() && tok.substr(0, prefix.size()) == prefix) {
      t.cont_ids_.insert(tok.substr(prefix.size()), id);
      t.max_piece_bytes_ = std::max(t.max_piece_bytes_, tok.size() - prefix.size());
    }
    // A token that starts with the prefix is also a whole-word piece (e.g. "##" itself).
    t.ids_.insert(tok, id);
    t.max_piece_bytes_ = std::max(t.max_piece_bytes_, tok.size());
  }
  auto find = [&](const std::string& s) {
    const std::int32_t* p = t.ids_.find(s);
    return p ? *p : -1;
  };
  t.unk_id_ = find(t.config_.unk_token);
  t.cls_id_ = find(t.config_.cls_token);
  t.sep_id_ = find(t.config_.sep_token);
  t.norm_ = std::make_shared<const Normalizer>(t.config_);
  return t;
}

std::optional<std::int32_t> WordPieceTokenizer::id(std::string_view token) const {
  const std::int32_t* p = ids_.find(token);
  if (!p) return std::nullopt;
  return *p;
}

namespace {

// Reads the parts of tokenizer_config.json that matter to a WordPiece tokenizer.
void apply_tokenizer_config(const json& j, WordPieceConfig& c, bool normalizer_too) {
  if (normalizer_too) {
    if (auto v = json_bool(j, "do_lower_case")) c.lowercase = *v;
    if (auto v = json_bool(j, "strip_accents")) c.strip_accents = *v;
    if (auto v = json_bool(j, "tokenize_chinese_chars")) c.handle_chinese_chars = *v;
    if (auto v = json_string(j, "unk_token")) c.unk_token = *v;
    if (auto v = json_string(j, "cls_token")) c.cls_token = *v;
    if (auto v = json_string(j, "sep_token")) c.sep_token = *v;
  }
  // model_max_length is 1e30 ("no limit") in some configs: keep only sensible values.
  if (auto v = json_number(j, "model_max_length"); v && *v >= 2 && *v <= 1e6)
    c.model_max_length = static_cast<std::size_t>(*v);
}

}  // namespace

Result<WordPieceTokenizer> WordPieceTokenizer::from_tokenizer_json(
    const std::filesystem::path& file) {
  PB_ASSIGN_OR_RETURN(json j, read_json_file(file));
  const std::string where = file.string();
  auto model = j.find("model");
  if (model == j.end() || !model->is_object())
    return Error::invalid_input(where + ": no \"model\" object");
  std::string type = json_string(*model, "type").value_or("");
  if (type != "WordPiece")
    return Error::unsupported(where + ": tokenizer model type '" + type +
                              "' is not supported (WordPiece only)");
  WordPieceConfig c;
  if (auto v = json_string(*model, "unk_token")) c.unk_token = *v;
  if (auto v = json_string(*model, "continuing_subword_prefix")) c.continuing_prefix = *v;
  if (auto v = json_int(*model, "max_input_chars_per_word"); v && *v > 0)
    c.max_input_chars_per_word = static_cast<std::size_t>(*v);

  auto norm = j.find("normalizer");
  if (norm == j.end() || norm->is_null()) {
    c.clean_text = c.handle_chinese_chars = c.lowercase = false;
    c.strip_accents = false;
  } else {
    std::string ntype = norm->is_object() ? json_string(*norm, "type").value_or("") : "";
    if (ntype != "BertNormalizer")
      return Error::unsupported(where + ": normalizer '" + ntype +
                                "' is not supported (BertNormalizer only)");
    c.clean_text = json_bool(*norm, "clean_text").value_or(true);
    c.handle_chinese_chars = json_bool(*norm, "handle_chinese_chars").value_or(true);
    c.lowercase = json_bool(*norm, "lowercase").value_or(true);
    c.strip_accents = json_bool(*norm, "strip_accents");  // null: follows lowercase
  }
  auto pre = j.find("pre_tokenizer");
  std::string ptype =
      (pre != j.end() && pre->is_object()) ? json_string(*pre, "type").value_or("") : "";
  if (ptype != "BertPreTokenizer")
    return Error::unsupported(where + ": pre-tokenizer '" + ptype +
                              "' is not supported (BertPreTokenizer only)");
  // Special tokens of the post-processor (BertProcessing or a [CLS] $A [SEP] template).
  auto post = j.find("post_processor");
  if (post != j.end() && post->is_object()) {
    for (const char* key : {"cls", "sep"}) {
      auto it = post->find(key);
      if (it != post->end() && it->is_array() && !it->empty() && (*it)[0].is_string())
        (std::string(key) == "cls" ? c.cls_token : c.sep_token) = (*it)[0].get<std::string>();
    }
    auto single = post->find("single");
    if (single != post->end() && single->is_array() && single->size() >= 2) {
      auto special = [](const json& e) -> std::optional<std::string> {
        auto s = e.find("SpecialToken");
        if (s == e.end() || !s->is_object()) return std::nullopt;
        return json_string(*s, "id");
      };
      if (auto v = special(single->front())) c.cls_token = *v;
      if (auto v = special(single->back())) c.sep_token = *v;
    }
  }

  auto vocab_json = model->find("vocab");
  if (vocab_json == model->end() || !vocab_json->is_object())
    return Error::invalid_input(where + ": model.vocab is not an object");
  // Ids are normally dense; a gap is tolerated (an id nothing maps to).
  std::size_t n = 0;
  for (const auto& [tok, idv] : vocab_json->items()) {
    if (!idv.is_number_unsigned() || idv.get<std::uint64_t>() >= (1u << 24))
      return Error::invalid_input(where + ": vocabulary id of '" + tok + "' out of range");
    n = std::max(n, idv.get<std::size_t>() + 1);
  }
  if (n == 0) return Error::invalid_input(where + ": empty vocabulary");
  std::vector<std::string> vocab(n);
  for (const auto& [tok, idv] : vocab_json->items()) {
    std::string& slot = vocab[idv.get<std::size_t>()];
    if (!slot.empty()) return Error::invalid_input(where + ": duplicate vocabulary id");
    slot = tok;
  }
  auto r = from_vocab(std::move(vocab), std::move(c));
  if (!r.ok()) return Error::invalid_input(where + ": " + r.error().message());
  return r;
}

Result<WordPieceTokenizer> WordPieceTokenizer::load_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::optional<json> tconfig;
  if (std::filesystem::exists(dir / "tokenizer_config.json", ec)) {
    PB_ASSIGN_OR_RETURN(json j, read_json_file(dir / "tokenizer_config.json"));
    tconfig = std::move(j);
  }
  if (std::filesystem::exists(dir / "tokenizer.json", ec)) {
    PB_ASSIGN_OR_RETURN(WordPieceTokenizer t, from_tokenizer_json(dir / "tokenizer.json"));
    if (tconfig) {
      apply_tokenizer_config(*tconfig, t.config_, /*normalizer_too=*/false);
    }
    return t;
  }
  if (!std::filesystem::exists(dir / "vocab.txt", ec))
    return Error::not_found(dir.string() + ": neither tokenizer.json nor vocab.txt");
  PB_ASSIGN_OR_RETURN(std::string text, read_text_file(dir / "vocab.txt"));
  std::vector<std::string> vocab;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.push_back(std::move(line));
    start = end + 1;
  }
  WordPieceConfig c;
  if (tconfig) apply_tokenizer_config(*tconfig, c, /*normalizer_too=*/true);
  auto r = from_vocab(std::move(vocab), std::move(c));
  if (!r.ok())
    return Error::invalid_input((dir / "vocab.txt").string() + ": " + r.error().message());
  return r;
}

bool WordPieceTokenizer::add_word(std::string_view word, std::size_t chars,
                                  std::vector<std::int32_t>& out, std::size_t max_tokens,
                                  bool drop_unknown) const {
  auto add_unk = [&]() {
    if (drop_unknown || unk_id_ < 0) return out.size() < max_tokens;
    out.push_back(unk_id_);
    return out.size() < max_tokens;
  };
  if (chars > config_.max_input_chars_per_word) return add_unk();
  std::size_t mark = out.size();
  std::size_t start = 0;
  while (start < word.size()) {
    std::size_t end = std::min(word.size(), start + max_piece_bytes_);
    // Back up to a code point boundary.
    while (end > start && end < word.size() &&
           (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80)
      --end;
    const std::int32_t* found = nullptr;
    while (end > start) {
      std::string_view piece = word.substr(start, end - start);
      found = start == 0 ? ids_.find(piece) : cont_ids_.find(piece);
      if (found) break;
      --end;
      while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    }
    if (!found) {
      out.resize(mark);
      return add_unk();
    }
    out.push_back(*found);
    start = end;
  }
  // Truncation keeps the first max_tokens pieces, even in the middle of a word.
  if (out.size() >= max_tokens) {
    out.resize(max_tokens);
    return false;
  }
  return true;
}

template <typename OnWord>
void WordPieceTokenizer::split_words(std::string_view text, OnWord&& on_word) const {
  const Normalizer& norm = *norm_;
  std::string word;
  std::size_t chars = 0;
  std::u32string exp;
  bool more = true;
  auto flush = [&]() {
    if (!word.empty() && more) more = on_word(std::string_view(word), chars);
    word.clear();
    chars = 0;
  };
  auto add_char = [&](char32_t d) {
    if (is_whitespace(d)) {
      flush();
    } else if (is_punct(d)) {
      flush();
      append_utf8(word, d);
      chars = 1;
      flush();
    } else {
      append_utf8(word, d);
      ++chars;
    }
  };
  for (std::size_t i = 0; i < text.size() && more;) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {  // ASCII fast path
      ++i;
      char32_t c = b;
      if (c >= 'A' && c <= 'Z') {
        word.push_back(static_cast<char>(norm.lower ? c + 32 : c));
        ++chars;
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        word.push_back(static_cast<char>(c));
        ++chars;
      } else if (norm.dropped[c]) {
        continue;
      } else {
        add_char(c);
      }
      continue;
    }
    char32_t c = utf8::next(text, i);
    exp.clear();
    if (!norm.expand(c, exp)) continue;
    bool cjk = norm.chinese && is_cjk(c);
    if (cjk) flush();
    for (char32_t d : exp) add_char(d);
    if (cjk) flush();
  }
  flush();
}

std::vector<std::int32_t> WordPieceTokenizer::encode(std::string_view text, std::size_t max_tokens,
                                                     bool drop_unknown) const {
  std::vector<std::int32_t> out;
  if (max_tokens == 0) return out;
  split_words(text, [&](std::string_view word, std::size_t chars) {
    return add_word(word, chars, out, max_tokens, drop_unknown);
  });
  return out;
}

void WordPieceTokenizer::for_each_word(std::string_view text,
                                       const std::function<bool(std::string_view word)>& fn) const {
  split_words(text, [&](std::string_view word, std::size_t) { return fn(word); });
}

std::vector<std::int32_t> WordPieceTokenizer::encode_with_specials(std::string_view text,
                                                                   std::size_t max_length) const {
  PB_CHECK(max_length >= 2);
  std::vector<std::int32_t> pieces = encode(text, max_length - 2);
  std::vector<std::int32_t> out;
  out.reserve(pieces.size() + 2);
  out.push_back(cls_id_);
  out.insert(out.end(), pieces.begin(), pieces.end());
  out.push_back(sep_id_);
  return out;
}

}  // namespace pb::embed
