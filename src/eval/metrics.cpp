// nDCG, MRR and recall at fixed cut-offs, written to agree with ../shared/tools/ir_metrics.py to
// the last printed digit; see metrics.hpp for the definitions and tie-breaking.

#include "eval/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace pb::eval {
namespace {

constexpr std::size_t kCut10 = 10;
constexpr std::size_t kCut100 = 100;

Error bad_line(const std::string& path, std::size_t line, std::string_view reason) {
  return Error::invalid_input(fmt::format("{}:{}: {}", path, line, reason));
}

std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> out;
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  size_t i = line.find_first_not_of(kSpace);
  while (i != std::string_view::npos) {
    size_t j = line.find_first_of(kSpace, i);
    if (j == std::string_view::npos) j = line.size();
    out.push_back(line.substr(i, j - i));
    i = line.find_first_not_of(kSpace, j);
  }
  return out;
}

bool has_space(std::string_view s) {
  return s.find_first_of(" \t\r\n\f\v") != std::string_view::npos;
}

// Doc-id tie-break of the reference script: sorted(key=[-ord(c) for c in id]), i.e. larger code
// point first at the first difference, and a proper prefix before its extensions.
bool id_before(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[i]);
    if (ca != cb) return ca > cb;
  }
  return a.size() < b.size();
}

}  // namespace

bool ranks_before(const Ranked& a, const Ranked& b) {
  const bool a_nan = std::isnan(a.score), b_nan = std::isnan(b.score);
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && a.score != b.score) return a.score > b.score;
  return id_before(a.doc_id, b.doc_id);
}

void sort_ranked(std::vector<Ranked>& list) {
  std::stable_sort(list.begin(), list.end(), ranks_before);
}

Metrics evaluate(const Run& run, const Qrels& qrels) {
  Metrics m;
  static const std::vector<Ranked> kEmpty;
  std::vector<const Ranked*> ranked;
  std::vector<int> ideal;
  std::unordered_set<std::string_view> seen;
  for (const auto& [qid, judged] : qrels) {
    ideal.clear();
    for (const auto& [doc, grade] : judged) {
      if (grade > 0) ideal.push_back(grade);
    }
    if (ideal.empty()) continue;  // no relevant document: not averaged over
    ++m.queries;
    const double num_relevant = static_cast<double>(ideal.size());
    const auto grade_of = [&judged = judged](const std::string& doc) {
      auto it = judged.find(doc);
      return it == judged.end() ? 0 : std::max(it->second, 0);
    };

    auto it = run.find(qid);
    const auto& list = it == run.end() ? kEmpty : it->second;
    ranked.clear();
    for (const auto& r : list) ranked.push_back(&r);
    const size_t top = std::min(kCut100, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(top),
                      ranked.end(),
                      [](const Ranked* a, const Ranked* b) { return ranks_before(*a, *b); });

    double dcg = 0, rr = 0;
    size_t hits10 = 0, hits100 = 0;
    seen.clear();
    for (size_t i = 0; i < top; ++i) {
      const int g = grade_of(ranked[i]->doc_id);
      if (i < kCut10) {
        dcg += g / std::log2(static_cast<double>(i) + 2);
        if (g > 0 && rr == 0) rr = 1.0 / static_cast<double>(i + 1);
      }
      if (g > 0 && seen.insert(ranked[i]->doc_id).second) {
        ++hits100;
        if (i < kCut10) ++hits10;
      }
    }
    std::sort(ideal.begin(), ideal.end(), std::greater<>());
    double idcg = 0;
    for (size_t i = 0; i < std::min(kCut10, ideal.size()); ++i)
      idcg += ideal[i] / std::log2(static_cast<double>(i) + 2);

    m.ndcg10 += dcg / idcg;
    m.mrr10 += rr;
    m.recall10 += static_cast<double>(hits10) / num_relevant;
    m.recall100 += static_cast<double>(hits100) / num_relevant;
  }
  if (m.queries > 0) {
    const auto n = static_cast<double>(m.queries);
    m.ndcg10 /= n;
    m.mrr10 /= n;
    m.recall10 /= n;
    m.recall100 /= n;
  }
  return m;
}

std::string to_trec(const Run& run, std::string_view tag) {
  PB_CHECK(!tag.empty() && !has_space(tag));
  std::vector<const std::string*> qids;
  qids.reserve(run.size());
  for (const auto& [qid, list] : run) qids.push_back(&qid);
  std::sort(qids.begin(), qids.end(), [](auto* a, auto* b) { return *a < *b; });
  std::string out;
  std::vector<Ranked> list;
  for (const std::string* qid : qids) {
    PB_CHECK(!qid->empty() && !has_space(*qid));
    list = run.at(*qid);
    sort_ranked(list);
    for (size_t i = 0; i < list.size(); ++i) {
      PB_CHECK(!list[i].doc_id.empty() && !has_space(list[i].doc_id));
      // fmt's "{}" prints a double in the shortest form that round-trips (Dragonbox).
      fmt::format_to(std::back_inserter(out), "{} Q0 {} {} {} {}\n", *qid, list[i].doc_id, i + 1,
                     list[i].score, tag);
    }
  }
  return out;
}

Result<Run> load_trec_run(const std::string& path) {
  struct Line {
    long rank;
    Ranked r;
  };
  std::unordered_map<std::string, std::vector<Line>> lines;
  std::unordered_map<std::string, std::unordered_map<std::string, std::size_t>> seen;
  auto st = for_each_line(path, [&](std::string_view line, std::size_t number) -> Status {
    auto f = split_ws(line);
    if (f.empty()) return ok_status();
    if (f.size() != 6)
      return bad_line(
          path, number,
          fmt::format("expected 6 fields (qid Q0 docid rank score tag), got {}", f.size()));
    long rank = 0;
    auto [rp, rec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), rank);
    if (rec != std::errc() || rp != f[3].data() + f[3].size())
      return bad_line(path, number, fmt::format("rank \"{}\" is not an integer", f[3]));
    double score = 0;
    auto [sp, sec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), score);
    if (sec != std::errc() || sp != f[4].data() + f[4].size())
      return bad_line(path, number, fmt::format("score \"{}\" is not a number", f[4]));
    std::string qid(f[0]), doc(f[2]);
    auto [it, inserted] = seen[qid].emplace(doc, number);
    if (!inserted)
      return bad_line(
          path, number,
          fmt::format("doc {} repeated for query {} (first on line {})", doc, qid, it->second));
    lines[qid].push_back({rank, {std::move(doc), score}});
    return ok_status();
  });
  if (!st) return st.error();
  Run run;
  for (auto& [qid, v] : lines) {
    std::stable_sort(v.begin(), v.end(),
                     [](const Line& a, const Line& b) { return a.rank < b.rank; });
    auto& out = run[qid];
    out.reserve(v.size());
    for (auto& l : v) out.push_back(std::move(l.r));
  }
  return run;
}

std::string format_metrics(const Metrics& m) {
  return fmt::format("nDCG@10 {:.4f}\nMRR@10 {:.4f}\nRecall@10 {:.4f}\nRecall@100 {:.4f}\n",
                     m.ndcg10, m.mrr10, m.recall10, m.recall100);
}

}  // namespace pb::eval
