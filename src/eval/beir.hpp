#pragma once
// Loaders for BEIR-style retrieval test collections (Thakur et al., "BEIR: A Heterogeneous
// Benchmark for Zero-shot Evaluation of Information Retrieval Models", NeurIPS 2021):
// corpus.jsonl, queries.jsonl and qrels/*.tsv. Files are read line by line; a malformed line is
// an Error::invalid_input naming "FILE:LINE: reason". Plain (uncompressed) files only.
// All functions are pure apart from reading the named file; safe to call concurrently.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace pb::eval {

struct BeirDoc {
  std::string id, title, text;
};

struct BeirQuery {
  std::string id, text;
};

// query id -> doc id -> graded relevance. Every judgment in the file is kept, including
// non-relevant (0) and negative grades; metrics treat a document as relevant iff grade > 0.
using Qrels = std::unordered_map<std::string, std::unordered_map<std::string, int>>;

// JSONL, one {"_id", "title", "text"} object per line. "_id" is required and may be a JSON string
// or integer (kept as its decimal text); "text" is required; "title" may be missing or null.
// Blank lines are skipped; a repeated "_id" is an error.
Result<std::vector<BeirDoc>> load_corpus(const std::string& path);

// JSONL, one {"_id", "text"} object per line; same rules as load_corpus.
Result<std::vector<BeirQuery>> load_queries(const std::string& path);

// Either BEIR TSV "query-id<TAB>corpus-id<TAB>score" or TREC qrels "qid iter docid rel"
// (whitespace separated; iter is ignored), decided by the first data line and required of all
// others. The first line is a header, and skipped, when its relevance column is not an integer.
// Grades must be integers. A repeated (query, doc) pair keeps the last grade.
Result<Qrels> load_qrels(const std::string& path);

// Calls fn(line, line_number) for every line of the file at `path` (numbered from 1, without the
// newline, a trailing '\r' or a leading UTF-8 byte-order mark) and stops at the first error fn
// returns. An unreadable file is Error::io.
Status for_each_line(const std::string& path,
                     const std::function<Status(std::string_view line, std::size_t number)>& fn);

}  // namespace pb::eval
