#pragma once
// Retrieval effectiveness of a ranked run against graded judgments: nDCG@10, MRR@10, Recall@10
// and Recall@100, computed exactly as ../shared/tools/ir_metrics.py (the independent reference
// the tests cross-check against) and, apart from the two differences noted on evaluate(), as
// trec_eval / pytrec_eval and BEIR compute them. Pure functions; safe to call concurrently.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "eval/beir.hpp"

namespace pb::eval {

struct Ranked {
  std::string doc_id;
  double score;
};

// query id -> ranked list, best first.
using Run = std::unordered_map<std::string, std::vector<Ranked>>;

struct Metrics {
  double ndcg10 = 0, mrr10 = 0, recall10 = 0, recall100 = 0;
  std::size_t queries = 0;  // queries averaged over: those with >= 1 relevant judgment
};

// The order evaluate() ranks a list in, whatever order it is given in (trec_eval re-derives
// ranks from scores too): score descending; equal scores by doc id descending, compared byte by
// byte (= code point by code point for UTF-8), where an id that is a proper prefix of the other
// comes FIRST ("123" before "1234") — the reference script's key [-ord(c) for c in id] orders
// them so, unlike strcmp. NaN scores rank after all others.
bool ranks_before(const Ranked& a, const Ranked& b);
void sort_ranked(std::vector<Ranked>& list);  // stable sort by ranks_before

// Averages over the queries of `qrels` with at least one judgment > 0; a query missing from the
// run scores 0 on every metric, and run queries absent from the qrels are ignored. Each run list
// is re-ranked by ranks_before. Per query, with R = {doc : grade > 0}:
//   nDCG@10    = DCG / IDCG, DCG = sum_{i<10} grade(d_i) / log2(i + 2) with linear gains
//                (grade, not 2^grade - 1; 0 for non-relevant), IDCG from the top-10 grades in R.
//   MRR@10     = 1 / rank of the first document of R within the top 10, else 0.
//   Recall@k   = |distinct top-k docs in R| / |R|.
// Differences from the usual tools: BEIR (via pytrec_eval) averages only over queries that are
// also in the run; trec_eval breaks score ties with strcmp. A list should not repeat a doc id
// (trec_eval rejects that); if it does, each occurrence counts in DCG as in the reference script.
// With no query to average over, every metric is 0.
Metrics evaluate(const Run& run, const Qrels& qrels);

// TREC run lines "qid Q0 docid rank score tag", queries in byte order of their ids, each list in
// ranks_before order with ranks from 1 and scores printed in the shortest form that reads back
// as the same double. Precondition (checked): ids and tag are non-empty, without whitespace.
std::string to_trec(const Run& run, std::string_view tag);

// Reads TREC run lines (6 whitespace-separated fields; blank lines skipped). Each list is
// ordered by the rank column (file order among equal ranks). A doc repeated within a query or
// an unparsable rank or score is an Error::invalid_input "FILE:LINE: reason".
Result<Run> load_trec_run(const std::string& path);

// Exactly four lines: "nDCG@10 0.1234\nMRR@10 0.1234\nRecall@10 0.1234\nRecall@100 0.1234\n".
std::string format_metrics(const Metrics& m);

}  // namespace pb::eval
