#include "index/lexical/snippet.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/html.hpp"
#include "core/utf8.hpp"

namespace pb::lexical {
namespace {

void append_escaped(std::string& out, std::string_view s) { append_html_escaped(out, s); }

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Weights are summed and compared in fixed point: a sliding sum of floats drifts as terms enter
// and leave the window, which would make equal windows compare unequal and break "ties go to
// the earliest window".
std::int64_t fixed_weight(float w) {
  constexpr double kScale = 1e6;
  constexpr double kMax = 1e6;  // keeps sums of thousands of terms far from overflow
  if (!(w > 0)) return 0;       // also NaN
  return std::llround(std::min(static_cast<double>(w), kMax) * kScale);
}

struct Match {
  size_t word;  // window position the match belongs to
  size_t term;  // index into the distinct query terms
  std::uint32_t begin;
  std::uint32_t end;
};

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  append_escaped(out, s);
  return out;
}

std::string make_snippet(std::string_view text, const std::vector<std::string>& terms,
                         const std::vector<float>& term_weights, text::Analyzer& analyzer,
                         const SnippetOptions& options) {
  const size_t window = std::max<size_t>(1, options.window_words);
  std::vector<text::Token> tokens;
  analyzer.analyze(text, tokens);
  const auto clamp = [&](std::uint32_t offset) {
    return static_cast<std::uint32_t>(std::min<size_t>(offset, text.size()));
  };

  // Words are the non-joined tokens, in text order; a window is `window` consecutive words.
  std::vector<const text::Token*> words;
  for (const text::Token& t : tokens)
    if (!t.joined) words.push_back(&t);
  const auto by_begin = [](const text::Token* a, const text::Token* b) {
    return a->begin < b->begin;
  };
  if (!std::is_sorted(words.begin(), words.end(), by_begin))
    std::stable_sort(words.begin(), words.end(), by_begin);

  if (words.empty()) {
    // Nothing word-like (symbols only, or empty): show the start of the text as it is.
    std::string_view s = text;
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    std::string_view head = utf8::truncate(s, std::max<size_t>(64, window * 8));
    std::string out = html_escape(head);
    if (head.size() < s.size()) out += options.ellipsis;
    return out;
  }

  // Distinct query terms and their weights (1 each when no weights are given; a duplicate term
  // keeps its largest weight).
  std::unordered_map<std::string_view, size_t> term_ids;
  std::vector<std::int64_t> weights;
  for (size_t k = 0; k < terms.size(); ++k) {
    if (terms[k].empty()) continue;
    const std::int64_t w = fixed_weight(k < term_weights.size() ? term_weights[k] : 1.0f);
    auto [it, inserted] = term_ids.emplace(terms[k], weights.size());
    if (inserted) {
      weights.push_back(w);
    } else {
      weights[it->second] = std::max(weights[it->second], w);
    }
  }

  // A joined compound counts at the word of its first part (same position).
  std::unordered_map<std::uint32_t, size_t> word_at;
  word_at.reserve(words.size());
  for (size_t w = 0; w < words.size(); ++w) word_at.emplace(words[w]->position, w);
  const auto word_of = [&](const text::Token& t, size_t fallback) {
    auto it = word_at.find(t.position);
    return it != word_at.end() ? it->second : fallback;
  };

  std::vector<Match> matches;
  std::vector<std::uint32_t> word_end(words.size());  // furthest byte of any token at the word
  for (size_t w = 0; w < words.size(); ++w) word_end[w] = clamp(words[w]->end);
  {
    size_t last_word = 0;
    for (const text::Token& t : tokens) {
      const size_t w = word_of(t, last_word);
      if (!t.joined) last_word = w;
      word_end[w] = std::max(word_end[w], clamp(t.end));
      if (auto it = term_ids.find(t.term); it != term_ids.end())
        matches.push_back(Match{w, it->second, clamp(t.begin), clamp(t.end)});
    }
  }
  std::stable_sort(matches.begin(), matches.end(),
                   [](const Match& a, const Match& b) { return a.word < b.word; });

  // Slide the window over word starts, keeping a count per distinct term so that each term
  // scores once per window however often it occurs. Linear in words + matches.
  const size_t last_start = words.size() > window ? words.size() - window : 0;
  std::vector<std::uint32_t> count(weights.size(), 0);
  std::int64_t score = 0;
  std::int64_t best = -1;
  size_t best_start = 0;
  size_t enter = 0;
  size_t leave = 0;
  for (size_t start = 0; start <= last_start; ++start) {
    for (; enter < matches.size() && matches[enter].word < start + window; ++enter)
      if (count[matches[enter].term]++ == 0) score += weights[matches[enter].term];
    for (; leave < matches.size() && matches[leave].word < start; ++leave)
      if (--count[matches[leave].term] == 0) score -= weights[matches[leave].term];
    if (score > best) {
      best = score;
      best_start = start;
    }
  }

  const size_t end_word = std::min(words.size(), best_start + window);
  const bool cut_before = best_start > 0;
  const bool cut_after = end_word < words.size();
  // Whole text at either end (keeps an opening bracket or the final full stop), else from the
  // first word's start to the end of the last word (or compound) in the window.
  size_t begin = cut_before ? clamp(words[best_start]->begin) : 0;
  size_t end = text.size();
  if (cut_after) {
    end = 0;
    for (size_t w = best_start; w < end_word; ++w) end = std::max<size_t>(end, word_end[w]);
  }
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;

  // Marks: the matched tokens inside the passage, overlapping or touching ones merged, so a
  // compound whose joined form and parts both match is marked once and marks never nest.
  std::vector<std::pair<size_t, size_t>> marks;
  for (const Match& m : matches)
    if (m.begin >= begin && m.end <= end && m.begin < m.end) marks.emplace_back(m.begin, m.end);
  std::sort(marks.begin(), marks.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& mark : marks) {
    if (!merged.empty() && mark.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, mark.second);
    } else {
      merged.push_back(mark);
    }
  }

  std::string out;
  out.reserve(end - begin + merged.size() * (options.open.size() + options.close.size()) + 16);
  if (cut_before) out += options.ellipsis;
  size_t cursor = begin;
  for (const auto& [mark_begin, mark_end] : merged) {
    append_escaped(out, text.substr(cursor, mark_begin - cursor));
    out += options.open;
    append_escaped(out, text.substr(mark_begin, mark_end - mark_begin));
    out += options.close;
    cursor = mark_end;
  }
  append_escaped(out, text.substr(cursor, end - cursor));
  if (cut_after) out += options.ellipsis;
  return out;
}

}  // namespace pb::lexical
