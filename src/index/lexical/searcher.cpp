#include "index/lexical/searcher.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/arxiv_id.hpp"

namespace pb::lexical {
namespace {

// Bounds are inflated by this factor so that floating-point rounding can never make a
// skipped document's true score exceed the threshold it was compared with.
constexpr double kBoundSlack = 1.0 + 1e-6;

// Scores are summed in fixed point (units of 2^-44): integer addition is associative, so the
// pruned, windowed and exhaustive paths add the same per-term contributions in different
// orders and still agree to the last bit. (Contributions stay far below 2^19, so sums of up to
// the parser's term limit cannot overflow.)
using Score = std::int64_t;
constexpr double kScoreUnit = 17592186044416.0;  // 2^44
Score to_score(double x) { return static_cast<Score>(x * kScoreUnit + 0.5); }
// Rounds up with room to spare: truncation plus two is at least ceil plus one (bounds are not
// negative).
Score to_bound(double x) { return static_cast<Score>(x * kBoundSlack * kScoreUnit) + 2; }
double from_score(Score s) { return static_cast<double>(s) / kScoreUnit; }

// The number of bits set, inline: baseline x86-64 has no POPCNT instruction, and there the
// builtin is a call into libgcc (measured at 4.5% of a claim query's time). The classic
// SWAR count: bits summed in pairs, nibbles, bytes, then the bytes by a multiply.
inline size_t popcount64(std::uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<size_t>((x * 0x0101010101010101ULL) >> 56);
}

struct ScoredTerm {
  std::string term;
  std::uint8_t mask = 0b111;  // fields that count
  double idf = 0;
  double weight = 1;  // query weight
};

// BM25F for one term: contribution = a * tf / (tf + norm(d)), where tf = sum_f wf_f tf_f
// (wf is zero for fields the term is restricted away from) and a = idf * weight * (k1 + 1).
struct TermScorer {
  std::array<double, 3> wf{};
  double a = 0;
};

struct Stats {
  double k1, b;
  std::array<double, 3> w;
  // norm(d) = k1 (1 - b + b len~(d) / avglen~) = norm.c0 + norm.c1 * len~(d)
  Segment::NormParams norm;
};

Score contribution(const TermScorer& t, std::uint32_t tf0, std::uint32_t tf1, std::uint32_t tf2,
                   double norm) {
  double tf = t.wf[0] * tf0 + t.wf[1] * tf1 + t.wf[2] * tf2;
  if (tf <= 0) return 0;
  return to_score(t.a * tf / (tf + norm));
}

// contribution() for a run of n postings into out[0, n), bit for bit the same: four at a time
// with AVX2 where the CPU has it (the same IEEE operations in the same order, no fused
// multiply-add; the truncation to fixed point goes through an exact double-to-integer trick
// that needs x * 2^44 < 2^52, so terms that could give more than 128 take the scalar loop).
#if defined(__x86_64__)
// Scores the first n rounded down to a multiple of four; returns that count.
__attribute__((target("avx2"))) size_t contributions_avx2(
    const TermScorer& t, const std::uint32_t* docs, const std::uint32_t* tf0,
    const std::uint32_t* tf1, const std::uint32_t* tf2, size_t n, const float* norm, Score* out) {
  const __m256d w0 = _mm256_set1_pd(t.wf[0]), w1 = _mm256_set1_pd(t.wf[1]),
                w2 = _mm256_set1_pd(t.wf[2]), a = _mm256_set1_pd(t.a);
  const __m256d unit = _mm256_set1_pd(kScoreUnit), half = _mm256_set1_pd(0.5);
  const __m256d magic = _mm256_set1_pd(4503599627370496.0);  // 2^52
  const __m256d zero = _mm256_setzero_pd();
#define PB_LOAD4(p) _mm256_cvtepi32_pd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    if (i + 32 < n) __builtin_prefetch(norm + docs[i + 32]);
    const __m256d tf = _mm256_add_pd(
        _mm256_add_pd(_mm256_mul_pd(w0, PB_LOAD4(tf0 + i)), _mm256_mul_pd(w1, PB_LOAD4(tf1 + i))),
        _mm256_mul_pd(w2, PB_LOAD4(tf2 + i)));
    // Four scalar loads: measured 3% faster here than a gather.
    const __m256d nd =
        _mm256_set_pd(norm[docs[i + 3]], norm[docs[i + 2]], norm[docs[i + 1]], norm[docs[i]]);
    const __m256d x = _mm256_div_pd(_mm256_mul_pd(a, tf), _mm256_add_pd(tf, nd));
    __m256d y = _mm256_round_pd(_mm256_add_pd(_mm256_mul_pd(x, unit), half),
                                _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    y = _mm256_and_pd(y, _mm256_cmp_pd(tf, zero, _CMP_GT_OQ));  // no frequency: 0
    const __m256i v =
        _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(y, magic)), _mm256_castpd_si256(magic));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), v);
  }
#undef PB_LOAD4
  return i;
}
#endif

void contributions(const TermScorer& t, const std::uint32_t* docs, const std::uint32_t* tf0,
                   const std::uint32_t* tf1, const std::uint32_t* tf2, size_t n, const float* norm,
                   Score* out) {
  size_t i = 0;
#if defined(__x86_64__)
  if (t.a >= 0 && t.a < 128 && use_avx2())
    i = contributions_avx2(t, docs, tf0, tf1, tf2, n, norm, out);
#endif
  for (; i < n; ++i) out[i] = contribution(t, tf0[i], tf1[i], tf2[i], norm[docs[i]]);
}

// Per-segment state of one scored term.
struct TermCursor {
  PostingCursor cursor;
  const TermEntry* entry = nullptr;  // null when the term is not in this segment
  bool present = false;
  std::shared_ptr<const Segment::Bitset> dense;  // Segment::presence, for dense terms
  const std::uint64_t* dense_bits = nullptr;
  Score ub = 0;                 // upper bound of its contribution in this segment
  std::vector<Score> block_ub;  // the same per block (bounds computed once per query)
  const BlockMeta* first_block = nullptr;

  // Largest bound among the blocks that may hold documents in [begin, end), or -1 when the
  // list has no documents at or after `begin`.
  Score window_bound(std::uint32_t begin, std::uint32_t end) {
    const BlockMeta* m = cursor.block_for(begin);
    if (!m) return -1;
    if (m != first_block && (m - 1)->last_doc + 1 >= end) return 0;  // no documents in the window
    const BlockMeta* last = first_block + block_ub.size();
    Score ub_w = 0;
    for (; m != last; ++m) {
      ub_w = std::max(ub_w, block_ub[static_cast<size_t>(m - first_block)]);
      if (m->last_doc + 1 >= end) break;
    }
    return ub_w;
  }
};

Score block_bound(const BlockMeta& m, const ScoredTerm& t, const Stats& s) {
  double tf = 0, len = 0;
  for (int f = 0; f < 3; ++f) {
    if (t.mask & (1u << f)) tf += s.w[f] * m.max_tf[f];
    len += s.w[f] * length_from_code(m.min_length[f]);
  }
  if (tf <= 0) return 0;
  double norm = s.norm.c0 + s.norm.c1 * len;
  return to_bound(t.idf * t.weight * (s.k1 + 1.0) * tf / (tf + norm));
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
  Score score;
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
    scorers_.resize(terms.size());
    if (!terms.empty()) {
      norms_ = seg_.norms(stats.norm);
      norm_ = norms_->data();
    }
    for (size_t t = 0; t < terms.size(); ++t) {
      for (int f = 0; f < 3; ++f)
        scorers_[t].wf[f] = (terms[t].mask & (1u << f)) ? stats.w[f] : 0.0;
      scorers_[t].a = terms[t].idf * terms[t].weight * (stats.k1 + 1.0);
      if (const TermEntry* e = seg_.find(terms[t].term)) {
        cursors_[t].cursor = PostingCursor(seg_, *e);
        cursors_[t].entry = e;
        cursors_[t].present = true;
        cursors_[t].dense = seg_.presence(*e);
        if (cursors_[t].dense) cursors_[t].dense_bits = cursors_[t].dense->data();
        Score ub = 0;
        auto blocks = seg_.blocks(*e);
        cursors_[t].first_block = blocks.data();
        cursors_[t].block_ub.reserve(blocks.size());
        for (const auto& m : blocks) {
          Score b = block_bound(m, terms[t], stats);
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

  // Term t's contribution to document d, where its cursor rests.
  Score contribution(size_t t, std::uint32_t d) {
    const auto& tf = cursors_[t].cursor.tf();
    return lexical::contribution(scorers_[t], tf[0], tf[1], tf[2], norm_[d]);
  }

  // MaxScore (Turtle & Flood 1995) over windows of documents, in the manner of Lucene's
  // MaxScoreBulkScorer: per window, each term's bound is the largest of its block bounds there
  // (Ding & Suel 2011); terms whose bounds together cannot beat the threshold are
  // non-essential. Essential terms are scored term-at-a-time into a window accumulator (tight
  // loops over decoded blocks); each touched document then has its non-essential terms probed,
  // largest bound first, until it is scored or cannot make the top k. Pushes into the shared
  // heap.
  void run_pruned(std::priority_queue<Candidate, std::vector<Candidate>, WorseFirst>& heap,
                  size_t k, std::uint64_t& scored) {
    std::vector<size_t> live;
    for (size_t t = 0; t < terms_.size(); ++t)
      if (cursors_[t].present) live.push_back(t);
    if (live.empty()) return;
    // A starting threshold: the k-th best full score among the documents of the term with the
    // largest bound. Those are real documents, so the final k-th score is at least this high,
    // and pruning can start at once instead of after k arbitrary early documents.
    Score seed = -1;
    if (k > 0 && live.size() > 1 && !has_filters()) {
      seed = seed_threshold(live, k);
    }
    auto threshold = [&] { return std::max(seed, heap.size() < k ? Score{-1} : heap.top().score); };

    const std::uint32_t ndocs = seg_.doc_count();
    std::vector<Score> window_acc(kWindow, 0);               // per document of the window
    std::vector<std::uint64_t> window_hit(kWindow / 64, 0);  // its touched documents
    std::array<Score, kBlockSize> run;                       // one run's contributions
    std::vector<Score> wub(terms_.size(), 0);
    std::vector<size_t> order;
    std::vector<Score> prefix;
    // The dense non-essential terms of a window: presence bits from the window's first word,
    // and window bounds.
    std::vector<const std::uint64_t*> dense_bits(terms_.size());
    std::vector<Score> dense_ub(terms_.size());
    std::vector<std::uint32_t> touched(kWindow + 64);  // a window's touched documents
    std::uint32_t begin = 0;
    while (begin < ndocs) {
      // Fixed windows of kWindow documents: measured as fast as windows cut at the terms'
      // block boundaries, with less bookkeeping per window.
      const auto end = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(ndocs, std::uint64_t{begin} + kWindow));
      Score total_bound = 0;
      order.clear();
      for (size_t t : live) {
        wub[t] = cursors_[t].window_bound(begin, end);
        if (wub[t] < 0) continue;
        order.push_back(t);
        total_bound += wub[t];
      }
      if (order.empty()) break;  // every list has ended
      Score theta = threshold();
      if (total_bound <= theta) {
        begin = end;
        continue;
      }
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return wub[a] < wub[b]; });
      prefix.resize(order.size());
      Score acc = 0;
      for (size_t i = 0; i < order.size(); ++i) prefix[i] = acc += wub[order[i]];
      size_t ess = 0;
      while (ess < order.size() && prefix[ess] <= theta) ++ess;
      // The non-essential terms' presence bits for this window (eight cache lines each) are
      // probed for most touched documents: fetched ahead, they arrive while the essential
      // lists are scored.
      for (size_t i = 0; i < ess; ++i)
        if (const std::uint64_t* dense = cursors_[order[i]].dense_bits)
          for (std::uint32_t w = begin >> 6; w < (end + 63) >> 6; w += 8)
            __builtin_prefetch(dense + w);

      // What the non-essential terms can add at most.
      const Score non_essential = ess > 0 ? prefix[ess - 1] : 0;
      // Completes the score of d from the non-essential terms, largest bound first, while it
      // can still beat the threshold, and offers it to the heap; `s` is what the essential
      // terms gave.
      auto finish = [&](std::uint32_t d, Score s) {
        Score remaining = non_essential;
        for (size_t i = ess; i-- > 0;) {
          const size_t t = order[i];
          const std::uint64_t* dense = cursors_[t].dense_bits;
          if (!dense || (dense[d >> 6] >> (d & 63)) & 1) {
            PostingCursor& c = cursors_[t].cursor;
            c.advance(d);
            if (c.doc() == d) s += contribution(t, d);
          }
          remaining -= wub[t];
          if (s + remaining <= theta) return;
        }
        if (!passes(d)) return;
        ++scored;
        Candidate cand{s, index_, d};
        if (heap.size() < k) {
          heap.push(cand);
        } else if (better(cand, heap.top())) {
          heap.pop();
          heap.push(cand);
        } else {
          return;
        }
        theta = threshold();
      };

      // Essential terms, term at a time, largest bound first. A document that no earlier
      // term touched (its sum is still 0) enters the window only if this term's contribution
      // plus everything the terms after it could add (prefix[i - 1]) beats the threshold: the
      // weak, long lists come last, and most of their documents have no other term.
      for (size_t i = order.size(); i-- > ess;) {
        const size_t t = order[i];
        PostingCursor& c = cursors_[t].cursor;
        c.advance(begin);
        const TermScorer& ts = scorers_[t];
        const Score rest = i > 0 ? prefix[i - 1] : 0;
        const Score bar = theta - rest;  // a new document needs a contribution above this
        c.for_each_run_before(
            end, [&](const std::uint32_t* docs, const std::uint32_t* tf0, const std::uint32_t* tf1,
                     const std::uint32_t* tf2, size_t n) {
              contributions(ts, docs, tf0, tf1, tf2, n, norm_, run.data());
              for (size_t m = 0; m < n; ++m) {
                const std::uint32_t j = docs[m] - begin;
                const Score sum = window_acc[j];
                const bool enter = (sum != 0) | (run[m] > bar);
                window_acc[j] = sum + (enter ? run[m] : 0);
                window_hit[j >> 6] |= std::uint64_t{enter} << (j & 63);
              }
            });
      }
      // Then the touched documents in document order. Before a document is finished, a
      // tighter bound than `non_essential` screens it without a branch per term: a dense
      // non-essential term adds its window bound only where its presence bit is set. Most
      // touched documents fail this screen; finishing them one term at a time cost a
      // mispredicted branch or two each (measured 2026-12-07: title queries 20% and claims
      // 10% faster with the screen).
      Score sparse_bound = 0;  // the non-essential terms without presence bits
      size_t ndense = 0;
      for (size_t i = 0; i < ess; ++i) {
        const TermCursor& tc = cursors_[order[i]];
        if (tc.dense_bits) {
          dense_bits[ndense] = tc.dense_bits + (begin >> 6);  // windows start on a word
          dense_ub[ndense++] = wub[order[i]];
        } else {
          sparse_bound += wub[order[i]];
        }
      }
      // The touched documents are listed first, each word's bits written eight at a time
      // whatever their number (which would otherwise end a loop at a mispredicted branch
      // nearly once per word), then screened in a loop of predictable length (measured
      // 2026-12-07: claims 4% faster, titles alike).
      const size_t words = (end - begin + 63) / 64;
      size_t ntouched = 0;
      std::uint32_t* list = touched.data();
      for (size_t w = 0; w < words; ++w) {
        std::uint64_t bits = window_hit[w];
        if (bits == 0) continue;  // common in large segments, where most words are empty
        window_hit[w] = 0;
        const auto base = static_cast<std::uint32_t>(w * 64);
        const size_t cnt = popcount64(bits);
        std::uint32_t* o = list + ntouched;
        for (int r = 0; r < 8; ++r) {  // unrolled: no branch on the count
          o[r] =
              base + static_cast<std::uint32_t>(__builtin_ctzll(bits | (std::uint64_t{1} << 63)));
          bits &= bits - 1;
        }
        if (cnt > 8) {
          for (size_t r = 8; bits; ++r) {
            o[r] = base + static_cast<std::uint32_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
          }
        }
        ntouched += cnt;
      }
      for (size_t x = 0; x < ntouched; ++x) {
        const std::uint32_t j = list[x];
        const Score s = window_acc[j];
        window_acc[j] = 0;
        const std::uint32_t w = j >> 6, b = j & 63;
        Score ub = s + sparse_bound;
        for (size_t i = 0; i < ndense; ++i)
          ub += dense_ub[i] & -static_cast<Score>((dense_bits[i][w] >> b) & 1);
        if (ub > theta) finish(begin + j, s);
      }
      begin = end;
    }
  }

  // Every document with any scored term (or, with none, every document passing the
  // filters) is scored. Used for date sorting and as the reference for tests.
  void run_exhaustive(std::vector<Candidate>& out, std::uint64_t& scored) {
    bool any_term = false;
    std::vector<Score> scores;
    std::vector<std::uint32_t> touched;
    for (size_t t = 0; t < terms_.size(); ++t) {
      if (!cursors_[t].present) continue;
      if (!any_term) scores.assign(seg_.doc_count(), -1);
      any_term = true;
      for (auto& c = cursors_[t].cursor; c.doc() != kNoMoreDocs; c.next()) {
        Score& s = scores[c.doc()];
        if (s < 0) {
          s = 0;
          touched.push_back(c.doc());
        }
        s += contribution(t, c.doc());
      }
    }
    if (!any_term && !has_scored_terms()) {
      for (std::uint32_t d = 0; d < seg_.doc_count(); ++d)
        if (passes(d)) out.push_back({0, index_, d});
      scored += out.size();
      return;
    }
    auto take = [&](std::uint32_t d) {
      if (!passes(d)) return;
      ++scored;
      out.push_back({scores[d], index_, d});
    };
    if (touched.size() > seg_.doc_count() / 16) {
      // Most documents were touched: scanning the scores in order beats sorting the list.
      for (std::uint32_t d = 0; d < seg_.doc_count(); ++d)
        if (scores[d] >= 0) take(d);
    } else {
      std::sort(touched.begin(), touched.end());
      for (std::uint32_t d : touched) take(d);
    }
  }

  bool has_scored_terms() const { return !terms_.empty(); }

  bool has_filters() const {
    return !required_.empty() || !excluded_.empty() || !q_.categories.empty() || !q_.ids.empty() ||
           q_.after_day || q_.before_day;
  }

  // See run_pruned: a lower bound of the k-th best score, from the terms with the largest
  // bounds (the likeliest to decide the top k), read in full while their postings fit a
  // small budget: each of their documents is credited with what those terms give it, which
  // is at most its full score. Uses its own cursors; contributions are computed exactly as in
  // the main pass.
  Score seed_threshold(const std::vector<size_t>& live, size_t k) {
    // Bounded work: a seed only needs to be good. Measured in lockstep after the AVX2 decode
    // (2026-12-07): 512 and 256 alike, 1024 ~3% slower on claims, 2048 ~3% slower on titles,
    // no seed 6-9% slower on both. The best-credited 2k documents were also scored in full,
    // with cursors of their own, to lift the seed; that cost more than it saved (dropped
    // 2026-12-07: claims 2.5% faster without it, titles alike).
    constexpr size_t kSeedPostings = 512;
    std::vector<size_t> lead = live;
    std::sort(lead.begin(), lead.end(),
              [&](size_t a, size_t b) { return cursors_[a].ub > cursors_[b].ub; });
    // Per document: (credit, document), kept in document order by merging list after list.
    std::vector<std::pair<Score, std::uint32_t>> known, merged, list;
    size_t budget = kSeedPostings;
    for (size_t t : lead) {
      if (cursors_[t].entry->df > budget) break;
      budget -= cursors_[t].entry->df;
      list.clear();
      const TermScorer& ts = scorers_[t];
      std::array<Score, kBlockSize> run;
      PostingCursor(seg_, *cursors_[t].entry)
          .for_each_run_before(kNoMoreDocs,
                               [&](const std::uint32_t* docs, const std::uint32_t* tf0,
                                   const std::uint32_t* tf1, const std::uint32_t* tf2, size_t n) {
                                 contributions(ts, docs, tf0, tf1, tf2, n, norm_, run.data());
                                 for (size_t m = 0; m < n; ++m) list.emplace_back(run[m], docs[m]);
                               });
      merged.clear();
      size_t i = 0, j = 0;
      while (i < known.size() || j < list.size()) {
        if (j == list.size() || (i < known.size() && known[i].second < list[j].second)) {
          merged.push_back(known[i++]);
        } else if (i == known.size() || list[j].second < known[i].second) {
          merged.push_back(list[j++]);
        } else {
          merged.emplace_back(known[i].first + list[j].first, list[j].second);
          ++i;
          ++j;
        }
      }
      known.swap(merged);
    }
    std::erase_if(known, [&](const auto& e) { return view_.is_deleted(e.second); });
    if (known.size() < k) return -1;
    // The k-th best credit (ties among credits are broken by document, which leaves it alone).
    std::nth_element(known.begin(), known.begin() + static_cast<long>(k - 1), known.end(),
                     std::greater<>());
    // One unit below, so that a document tying the seed exactly is still examined.
    return known[k - 1].first - 1;
  }

  // The score of one document (for hits pinned by an exact match).
  Score score_doc(std::uint32_t d) {
    Score s = 0;
    for (size_t t = 0; t < terms_.size(); ++t) {
      if (!cursors_[t].present) continue;
      cursors_[t].cursor.advance(d);
      if (cursors_[t].cursor.doc() == d) s += contribution(t, d);
    }
    return s;
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
  std::vector<TermScorer> scorers_;
  std::shared_ptr<const std::vector<float>> norms_;  // per document (Segment::norms)
  const float* norm_ = nullptr;
  // run_pruned's window size in documents (4096 to 16384 measured alike on title queries;
  // 512 to 4096, cut at block boundaries, was slower: more windows, same work in them).
  static constexpr size_t kWindow = 4096;
  static_assert(kWindow % 64 == 0, "windows start on a presence word");
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
  stats.norm.c0 = stats.k1 * (1.0 - stats.b);
  stats.norm.c1 = stats.k1 * stats.b / std::max(avg, 1e-9);  // avg: weighted mean length
  stats.norm.w = stats.w;

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

  // Give pinned hits their real scores: from the ranking when they made it (the same sum, as
  // fixed-point addition does not depend on order), else scored alone.
  for (auto& p : pinned) {
    auto it = std::find_if(ranked.begin(), ranked.end(), [&](const Candidate& c) {
      return c.segment == p.segment && c.doc == p.doc;
    });
    if (it != ranked.end()) {
      p.score = from_score(it->score);
    } else {
      SegmentSearch ss(snap.segments[p.segment], p.segment, q, terms, stats);
      p.score = from_score(ss.score_doc(p.doc));
    }
  }
  std::vector<Hit> all = pinned;
  for (const auto& c : ranked) {
    bool is_pinned = false;
    for (const auto& p : pinned) is_pinned |= p.segment == c.segment && p.doc == c.doc;
    if (is_pinned) continue;
    const Segment& seg = *snap.segments[c.segment].segment;
    all.push_back({std::string(seg.doc_id(c.doc)), from_score(c.score), c.segment, c.doc,
                   seg.doc(c.doc).day, false});
  }
  for (size_t i = opt.offset; i < all.size() && resp.hits.size() < opt.k; ++i)
    resp.hits.push_back(std::move(all[i]));
  return resp;
}

}  // namespace pb::lexical
