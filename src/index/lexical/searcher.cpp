#include "index/lexical/searcher.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <queue>

#include "core/arxiv_id.hpp"

namespace pb::lexical {
namespace {

// Bounds are inflated by this factor so that floating-point rounding can never make a
// skipped document's true score exceed the threshold it was compared with.
constexpr double kBoundSlack = 1.0 + 1e-6;

struct ScoredTerm {
  std::string term;
  std::uint8_t mask = 0b111;  // fields that count
  double idf = 0;
  double weight = 1;  // query weight
};

struct Stats {
  double k1, b;
  std::array<double, 3> w;
  double avg_len;  // weighted
};

// Per-segment state of one scored term.
struct TermCursor {
  PostingCursor cursor;
  const TermEntry* entry = nullptr;  // null when the term is not in this segment
  bool present = false;
  double ub = 0;                 // upper bound of its contribution in this segment
  std::vector<double> block_ub;  // the same per block (bounds computed once per query)
  const BlockMeta* first_block = nullptr;

  // Bound for documents in the block that holds `d`, and that block's last document;
  // (0, kNoMoreDocs) when the list is exhausted.
  std::pair<double, std::uint32_t> bound_at(std::uint32_t d) {
    const BlockMeta* m = cursor.block_for(d);
    if (!m) return {0.0, kNoMoreDocs};
    return {block_ub[static_cast<size_t>(m - first_block)], m->last_doc};
  }
};

double weighted_length(const DocEntry& e, const Stats& s) {
  return s.w[0] * e.length[0] + s.w[1] * e.length[1] + s.w[2] * e.length[2];
}

double bm25(double tf, double len, double idf_w, const Stats& s) {
  if (tf <= 0) return 0;
  double norm = s.k1 * (1.0 - s.b + s.b * len / s.avg_len);
  return idf_w * tf * (s.k1 + 1.0) / (tf + norm);
}

double term_tf(const std::array<std::uint32_t, 3>& tf, std::uint8_t mask, const Stats& s) {
  double t = 0;
  for (int f = 0; f < 3; ++f)
    if (mask & (1u << f)) t += s.w[f] * tf[f];
  return t;
}

double block_bound(const BlockMeta& m, const ScoredTerm& t, const Stats& s) {
  double tf = 0, len = 0;
  for (int f = 0; f < 3; ++f) {
    if (t.mask & (1u << f)) tf += s.w[f] * m.max_tf[f];
    len += s.w[f] * length_from_code(m.min_length[f]);
  }
  return bm25(tf, len, t.idf * t.weight, s) * kBoundSlack;
}

std::uint8_t mask_of(Field f) {
  return f == Field::kAll ? 0b111 : static_cast<std::uint8_t>(1u << static_cast<int>(f));
}

// A required term or phrase, checked per candidate document.
struct PhraseCheck {
  std::vector<PostingCursor> cursors;
  std::uint8_t mask = 0b111;
  bool present = true;  // every term exists in this segment
};

bool phrase_at(PhraseCheck& p, std::uint32_t d) {
  if (!p.present) return false;
  for (auto& c : p.cursors) {
    c.advance(d);
    if (c.doc() != d) return false;
  }
  if (p.cursors.size() == 1) {
    const auto& tf = p.cursors[0].tf();
    for (int f = 0; f < 3; ++f)
      if ((p.mask & (1u << f)) && tf[f] > 0) return true;
    return false;
  }
  for (int f = 0; f < 3; ++f) {
    if (!(p.mask & (1u << f))) continue;
    auto first = p.cursors[0].positions(f);
    for (std::uint32_t start : first) {
      bool ok = true;
      for (size_t k = 1; k < p.cursors.size() && ok; ++k) {
        auto pos = p.cursors[k].positions(f);
        ok = std::binary_search(pos.begin(), pos.end(), start + static_cast<std::uint32_t>(k));
      }
      if (ok) return true;
    }
  }
  return false;
}

struct Candidate {
  double score;
  std::uint32_t segment, doc;
};

// Orders the heap so that its top is the worst of the current top k.
struct WorseFirst {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.score != b.score) return a.score > b.score;
    if (a.segment != b.segment) return a.segment < b.segment;
    return a.doc < b.doc;
  }
};

bool better(const Candidate& a, const Candidate& b) { return WorseFirst()(a, b); }

class SegmentSearch {
 public:
  SegmentSearch(const SegmentView& view, std::uint32_t index, const Query& q,
                const std::vector<ScoredTerm>& terms, const Stats& stats)
      : view_(view), seg_(*view.segment), index_(index), q_(q), terms_(terms), stats_(stats) {
    cursors_.resize(terms.size());
    for (size_t t = 0; t < terms.size(); ++t) {
      if (const TermEntry* e = seg_.find(terms[t].term)) {
        cursors_[t].cursor = PostingCursor(seg_, *e);
        cursors_[t].entry = e;
        cursors_[t].present = true;
        double ub = 0;
        auto blocks = seg_.blocks(*e);
        cursors_[t].first_block = blocks.data();
        cursors_[t].block_ub.reserve(blocks.size());
        for (const auto& m : blocks) {
          double b = block_bound(m, terms[t], stats);
          cursors_[t].block_ub.push_back(b);
          ub = std::max(ub, b);
        }
        cursors_[t].ub = ub;
      }
    }
    auto add_check = [&](std::vector<PhraseCheck>& out, const std::vector<std::string>& words,
                         Field field) {
      PhraseCheck p;
      p.mask = mask_of(field);
      for (const auto& w : words) {
        const TermEntry* e = seg_.find(w);
        if (!e) {
          p.present = false;
          break;
        }
        p.cursors.emplace_back(seg_, *e);
      }
      out.push_back(std::move(p));
    };
    for (const auto& m : q.must) add_check(required_, {m.term}, m.field);
    for (const auto& p : q.phrases) add_check(required_, p.terms, p.field);
    for (const auto& m : q.must_not) add_check(excluded_, {m.term}, m.field);
    for (const auto& p : q.must_not_phrases) add_check(excluded_, p.terms, p.field);
    auto add_union = [&](std::vector<PostingCursor>& out, char prefix,
                         const std::vector<std::string>& values) {
      for (const auto& v : values)
        if (const TermEntry* e = seg_.find(prefixed(prefix, v))) out.emplace_back(seg_, *e);
    };
    add_union(categories_, kCategoryPrefix, q.categories);
    for (const auto& id : q.ids)
      for (std::uint32_t d : seg_.docs_with_id(id)) id_docs_.push_back(d);
    std::sort(id_docs_.begin(), id_docs_.end());
  }

  // False when a filter can never be met in this segment.
  bool satisfiable() const {
    for (const auto& r : required_)
      if (!r.present) return false;
    if (!q_.categories.empty() && categories_.empty()) return false;
    if (!q_.ids.empty() && id_docs_.empty()) return false;
    return true;
  }

  bool passes(std::uint32_t d) {
    if (view_.is_deleted(d)) return false;
    if (q_.after_day || q_.before_day) {
      std::int32_t day = seg_.doc(d).day;
      if (day == kUnknownDay) return false;
      if (q_.after_day && day < *q_.after_day) return false;
      if (q_.before_day && day > *q_.before_day) return false;
    }
    if (!q_.categories.empty() && !any_at(categories_, d)) return false;
    if (!q_.ids.empty() && !std::binary_search(id_docs_.begin(), id_docs_.end(), d)) return false;
    for (auto& r : required_)
      if (!phrase_at(r, d)) return false;
    for (auto& x : excluded_)
      if (phrase_at(x, d)) return false;
    return true;
  }

  double contribution(size_t t, std::uint32_t d) { return contribution(t, d, cursors_[t].cursor); }
  double contribution(size_t t, std::uint32_t d, PostingCursor& c) {
    double tf = term_tf(c.tf(), terms_[t].mask, stats_);
    return bm25(tf, weighted_length(seg_.doc(d), stats_), terms_[t].idf * terms_[t].weight, stats_);
  }

  // Sums per-term contributions in term order, so every path computes identical scores.
  double total(const std::vector<double>& c) const {
    double s = 0;
    for (double x : c) s += x;
    return s;
  }

  // MaxScore with block-max bounds; pushes into the shared heap.
  void run_pruned(std::priority_queue<Candidate, std::vector<Candidate>, WorseFirst>& heap,
                  size_t k, std::uint64_t& scored) {
    const size_t n = terms_.size();
    std::vector<size_t> order;
    for (size_t t = 0; t < n; ++t)
      if (cursors_[t].present) order.push_back(t);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return cursors_[a].ub < cursors_[b].ub; });
    std::vector<double> prefix(order.size());
    double acc = 0;
    for (size_t i = 0; i < order.size(); ++i) prefix[i] = acc += cursors_[order[i]].ub;
    // A starting threshold: the k-th best full score among the documents of the most
    // selective term. Those are real documents, so the final k-th score is at least this
    // high, and pruning can start at once instead of after k arbitrary early documents.
    double seed = -1.0;
    if (k > 0 && order.size() > 1 && !has_filters()) seed = seed_threshold(order.back(), k);
    auto threshold = [&] { return std::max(seed, heap.size() < k ? -1.0 : heap.top().score); };
    auto first_essential = [&](double theta) {
      size_t i = 0;
      while (i < order.size() && prefix[i] <= theta) ++i;
      return i;
    };
    double theta = threshold();
    size_t ess = first_essential(theta);
    std::vector<double> contrib(n, 0.0);
    std::vector<size_t> touched;
    bool have_range = false;
    std::vector<double> range_term_bound(order.size(), 0.0);
    double range_bound = 0;
    std::uint32_t range_end = 0;
    while (ess < order.size()) {
      std::uint32_t d = kNoMoreDocs;
      for (size_t i = ess; i < order.size(); ++i) d = std::min(d, cursors_[order[i]].cursor.doc());
      if (d == kNoMoreDocs) break;
      if (theta >= 0) {
        // Block-max skip: if the blocks holding d cannot beat the threshold together, no
        // document up to the end of the first of those blocks can (Ding & Suel 2011). The
        // sum is the same for every d up to that end, so it is computed once per range.
        if (!have_range || d > range_end) {
          range_bound = 0;
          range_end = kNoMoreDocs;
          for (size_t i = 0; i < order.size(); ++i) {
            auto [b, last] = cursors_[order[i]].bound_at(d);
            range_term_bound[i] = b;
            range_bound += b;
            range_end = std::min(range_end, last);
          }
          have_range = true;
        }
        if (range_bound <= theta) {
          if (range_end == kNoMoreDocs) break;
          for (size_t i = ess; i < order.size(); ++i)
            cursors_[order[i]].cursor.advance(range_end + 1);
          have_range = false;
          continue;
        }
      }
      for (size_t t : touched) contrib[t] = 0.0;
      touched.clear();
      double partial = 0;
      for (size_t i = ess; i < order.size(); ++i) {
        auto& tc = cursors_[order[i]];
        if (tc.cursor.doc() == d) {
          contrib[order[i]] = contribution(order[i], d);
          touched.push_back(order[i]);
          partial += contrib[order[i]];
          tc.cursor.next();
        }
      }
      bool rejected = false;
      if (ess > 0) {
        double remaining = prefix[ess - 1];
        if (partial * kBoundSlack + remaining <= theta) continue;
        // Block-max refinement of the non-essential bounds.
        // (ess > 0 implies theta >= 0, so the range bounds above are those of d.)
        double block_sum = 0;
        for (size_t i = 0; i < ess; ++i) block_sum += range_term_bound[i];
        if (partial * kBoundSlack + block_sum <= theta) continue;
        for (size_t i = ess; i-- > 0;) {
          auto& tc = cursors_[order[i]];
          tc.cursor.advance(d);
          if (tc.cursor.doc() == d) {
            contrib[order[i]] = contribution(order[i], d);
            touched.push_back(order[i]);
            partial += contrib[order[i]];
          }
          remaining -= tc.ub;
          if (partial * kBoundSlack + std::max(remaining, 0.0) <= theta) {
            rejected = true;
            break;
          }
        }
      }
      if (rejected || !passes(d)) continue;
      ++scored;
      Candidate c{total(contrib), index_, d};
      if (heap.size() < k) {
        heap.push(c);
      } else if (better(c, heap.top())) {
        heap.pop();
        heap.push(c);
      } else {
        continue;
      }
      double t2 = threshold();
      if (t2 != theta) {
        theta = t2;
        ess = first_essential(theta);
      }
    }
  }

  // Every document with any scored term (or, with none, every document passing the
  // filters) is scored. Used for date sorting and as the reference for tests.
  void run_exhaustive(std::vector<Candidate>& out, std::uint64_t& scored) {
    const size_t n = terms_.size();
    std::map<std::uint32_t, std::vector<double>> scores;
    bool any_term = false;
    for (size_t t = 0; t < n; ++t) {
      if (!cursors_[t].present) continue;
      any_term = true;
      for (auto& c = cursors_[t].cursor; c.doc() != kNoMoreDocs; c.next()) {
        auto& v = scores[c.doc()];
        if (v.empty()) v.assign(n, 0.0);
        v[t] = contribution(t, c.doc());
      }
    }
    if (!any_term && !has_scored_terms()) {
      for (std::uint32_t d = 0; d < seg_.doc_count(); ++d)
        if (passes(d)) out.push_back({0.0, index_, d});
      scored += out.size();
      return;
    }
    for (auto& [d, v] : scores) {
      if (!passes(d)) continue;
      ++scored;
      out.push_back({total(v), index_, d});
    }
  }

  bool has_scored_terms() const { return !terms_.empty(); }

  bool has_filters() const {
    return !required_.empty() || !excluded_.empty() || !q_.categories.empty() || !q_.ids.empty() ||
           q_.after_day || q_.before_day;
  }

  // See run_pruned. Uses its own cursors; scores are computed exactly as in the main pass.
  double seed_threshold(size_t lead, size_t k) {
    const size_t n = terms_.size();
    std::vector<PostingCursor> cs(n);
    for (size_t t = 0; t < n; ++t)
      if (cursors_[t].present) cs[t] = PostingCursor(seg_, *cursors_[t].entry);
    if (cs[lead].df() < k) return -1.0;
    std::vector<double> scores;
    std::vector<double> c(n);
    size_t budget = 4096;  // bounded work: a seed only needs to be good, not best
    for (PostingCursor& lc = cs[lead]; lc.doc() != kNoMoreDocs && budget > 0; lc.next(), --budget) {
      std::uint32_t d = lc.doc();
      if (view_.is_deleted(d)) continue;
      for (size_t t = 0; t < n; ++t) {
        c[t] = 0.0;
        if (!cursors_[t].present) continue;
        cs[t].advance(d);
        if (cs[t].doc() == d) c[t] = contribution(t, d, cs[t]);
      }
      scores.push_back(total(c));
    }
    if (scores.size() < k) return -1.0;
    std::nth_element(scores.begin(), scores.begin() + static_cast<long>(k - 1), scores.end(),
                     std::greater<double>());
    // Slightly below, so that a document tying the seed exactly is still examined.
    return scores[k - 1] * (1.0 - 1e-9);
  }

  // The score of one document (for hits pinned by an exact match).
  double score_doc(std::uint32_t d) {
    std::vector<double> c(terms_.size(), 0.0);
    for (size_t t = 0; t < terms_.size(); ++t) {
      if (!cursors_[t].present) continue;
      cursors_[t].cursor.advance(d);
      if (cursors_[t].cursor.doc() == d) c[t] = contribution(t, d);
    }
    return total(c);
  }

 private:
  static bool any_at(std::vector<PostingCursor>& cs, std::uint32_t d) {
    bool hit = false;
    for (auto& c : cs) {
      c.advance(d);
      hit |= c.doc() == d;
    }
    return hit;
  }

  const SegmentView& view_;
  const Segment& seg_;
  std::uint32_t index_;
  const Query& q_;
  const std::vector<ScoredTerm>& terms_;
  const Stats& stats_;
  std::vector<TermCursor> cursors_;
  std::vector<PhraseCheck> required_, excluded_;
  std::vector<PostingCursor> categories_;
  std::vector<std::uint32_t> id_docs_;
};

std::vector<ScoredTerm> scored_terms(const IndexSnapshot& snap, const Query& q) {
  std::vector<ScoredTerm> out;
  auto add = [&](const std::string& term, Field field, double weight, bool sum) {
    std::uint8_t mask = mask_of(field);
    for (auto& t : out)
      if (t.term == term && t.mask == mask) {
        if (sum) t.weight += weight;
        return;
      }
    out.push_back({term, mask, 0.0, weight});
  };
  for (const auto& t : q.should) add(t.term, t.field, t.weight, true);
  for (const auto& t : q.must) add(t.term, t.field, t.weight, false);
  for (const auto& p : q.phrases)
    for (const auto& w : p.terms) add(w, p.field, 1.0, false);
  const double n = static_cast<double>(std::max<std::uint64_t>(snap.total_docs, 1));
  for (auto& t : out) {
    double df = static_cast<double>(snap.document_frequency(t.term));
    t.idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
  }
  return out;
}

}  // namespace

SearchResponse search(const IndexSnapshot& snap, const Query& query, const SearchOptions& opt,
                      text::Analyzer& analyzer) {
  SearchResponse resp;
  Query q = query;
  if (opt.sort == SortOrder::kDate) {
    // Newest first among documents with every free-text term.
    for (auto& t : q.should) q.must.push_back(t);
    q.should.clear();
  }
  std::vector<ScoredTerm> terms = scored_terms(snap, q);
  for (const auto& t : terms) {
    resp.terms.push_back(t.term);
    resp.term_weights.push_back(static_cast<float>(t.idf));
  }
  // k = 0 asks for nothing (and the pruned path's heap needs room for one candidate).
  if (q.empty() || snap.segments.empty() || opt.k == 0) return resp;

  Stats stats;
  stats.k1 = opt.bm25.k1;
  stats.b = opt.bm25.b;
  double avg = 0;
  for (int f = 0; f < 3; ++f) {
    stats.w[f] = opt.bm25.field_weight[f];
    avg += stats.w[f] * static_cast<double>(snap.field_length_sum[f]) /
           static_cast<double>(std::max<std::uint64_t>(snap.total_docs, 1));
  }
  stats.avg_len = std::max(avg, 1e-9);

  // Exact matches first: the arXiv id typed as the whole query, then exact titles.
  std::vector<Hit> pinned;
  auto pin = [&](std::uint32_t s, std::uint32_t d) {
    for (const auto& h : pinned)
      if (h.segment == s && h.doc == d) return;
    static const std::vector<ScoredTerm> kNoTerms;
    SegmentSearch check(snap.segments[s], s, q, kNoTerms, stats);
    if (!check.passes(d)) return;
    const Segment& seg = *snap.segments[s].segment;
    pinned.push_back({std::string(seg.doc_id(d)), 0.0, s, d, seg.doc(d).day, true});
  };
  if (opt.pin_exact && opt.sort == SortOrder::kRelevance && !q.text.empty()) {
    if (auto id = ArxivId::parse(q.text)) {
      if (auto where = snap.find_id(id->id)) pin(where->first, where->second);
    }
    if (std::uint64_t th = title_hash(q.text, analyzer)) {
      for (std::uint32_t s = 0; s < snap.segments.size(); ++s) {
        const auto& v = snap.segments[s];
        for (std::uint32_t d : v.segment->docs_with_title(th))
          if (!v.is_deleted(d)) pin(s, d);
      }
    }
  }

  const size_t want = opt.offset + opt.k + pinned.size();
  std::vector<Candidate> ranked;
  if (opt.exhaustive || opt.sort == SortOrder::kDate || terms.empty()) {
    for (std::uint32_t s = 0; s < snap.segments.size(); ++s) {
      SegmentSearch ss(snap.segments[s], s, q, terms, stats);
      if (ss.satisfiable()) ss.run_exhaustive(ranked, resp.candidates);
    }
    if (opt.sort == SortOrder::kDate || terms.empty()) {
      std::sort(ranked.begin(), ranked.end(), [&](const Candidate& a, const Candidate& b) {
        auto da = snap.segments[a.segment].segment->doc(a.doc).day;
        auto db = snap.segments[b.segment].segment->doc(b.doc).day;
        if (da != db) return da > db;
        return better(a, b);
      });
    } else {
      std::sort(ranked.begin(), ranked.end(), better);
    }
    if (ranked.size() > want) ranked.resize(want);
  } else {
    std::priority_queue<Candidate, std::vector<Candidate>, WorseFirst> heap;
    for (std::uint32_t s = 0; s < snap.segments.size(); ++s) {
      SegmentSearch ss(snap.segments[s], s, q, terms, stats);
      if (ss.satisfiable()) ss.run_pruned(heap, want, resp.candidates);
    }
    while (!heap.empty()) {
      ranked.push_back(heap.top());
      heap.pop();
    }
    std::reverse(ranked.begin(), ranked.end());
  }

  // Give pinned hits their real scores.
  for (auto& p : pinned) {
    SegmentSearch ss(snap.segments[p.segment], p.segment, q, terms, stats);
    p.score = ss.score_doc(p.doc);
  }
  std::vector<Hit> all = pinned;
  for (const auto& c : ranked) {
    bool is_pinned = false;
    for (const auto& p : pinned) is_pinned |= p.segment == c.segment && p.doc == c.doc;
    if (is_pinned) continue;
    const Segment& seg = *snap.segments[c.segment].segment;
    all.push_back(
        {std::string(seg.doc_id(c.doc)), c.score, c.segment, c.doc, seg.doc(c.doc).day, false});
  }
  for (size_t i = opt.offset; i < all.size() && resp.hits.size() < opt.k; ++i)
    resp.hits.push_back(std::move(all[i]));
  return resp;
}

}  // namespace pb::lexical
