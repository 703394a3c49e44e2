#pragma once
// Format readers: each turns one input file into a stream of records. A malformed record is
// returned as an error value with its position so that the ingester can report it and go on;
// only a failure of the input itself (I/O, undecodable gzip) ends a reader.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/paper.hpp"
#include "core/result.hpp"
#include "ingest/input.hpp"

namespace pb::ingest {

enum class Format {
  kArxivSnapshot,  // arXiv bulk metadata snapshot (Kaggle), JSON lines
  kPaperboyJsonl,  // paperboy's own JSONL (what `paperboy export` writes)
  kHfDailyApi,     // Hugging Face api/daily_papers JSON
  kOaiPmh,         // OAI-PMH ListRecords/GetRecord, metadataPrefix arXiv or arXivRaw
  kAtom,           // arXiv Atom API feed
};
std::string_view format_name(Format f);
std::optional<Format> parse_format_name(std::string_view name);

struct Record {
  // Where the record is: "file:line 12" or "file:record 3".
  std::string where;
  // The paper, or why the record was skipped.
  Result<Paper> paper = Error::internal("unset");
  // Records that are legitimately not papers (an OAI-PMH deleted record) are `ignored`:
  // neither ingested nor counted as malformed.
  bool ignored = false;
  // Input bytes were not valid UTF-8 and were repaired with U+FFFD.
  bool repaired_utf8 = false;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Fills `out` with the next record; returns false at end of input. An error return means
  // the input itself failed and no further records can be read.
  virtual Result<bool> next(Record& out) = 0;
  virtual Format format() const = 0;
  virtual const InputStream& input() const = 0;
};

// Opens `path`, detects its format from the first bytes (unless `forced`) and returns a reader.
// Fails with kIo for unreadable files and kUnsupported for unrecognised formats.
Result<std::unique_ptr<RecordReader>> open_reader(const std::string& path,
                                                  std::optional<Format> forced = std::nullopt);

// Per-format factories used by open_reader (and by tests).
std::unique_ptr<RecordReader> make_jsonl_reader(std::unique_ptr<InputStream> in, Format format);
std::unique_ptr<RecordReader> make_hf_api_reader(std::unique_ptr<InputStream> in);
std::unique_ptr<RecordReader> make_oai_reader(std::unique_ptr<InputStream> in);
std::unique_ptr<RecordReader> make_atom_reader(std::unique_ptr<InputStream> in);

}  // namespace pb::ingest
