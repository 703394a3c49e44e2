#pragma once
// Drives readers into the store in batches. Each batch is one transaction, so a crash
// (even kill -9) loses at most the batch in flight and never leaves half a paper.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "ingest/reader.hpp"
#include "store/store.hpp"

namespace pb::ingest {

struct IngestCounts {
  std::uint64_t records = 0;  // records read (excluding ignored ones)
  std::uint64_t added = 0;
  std::uint64_t updated = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t skipped = 0;  // malformed records, reported through on_skip
  std::uint64_t ignored = 0;  // e.g. OAI-PMH deleted records
  std::uint64_t repaired_utf8 = 0;
  IngestCounts& operator+=(const IngestCounts& o);
};

struct IngestOptions {
  std::optional<Format> format;  // forced format; auto-detected when empty
  size_t batch_size = 2000;
  // Called for each skipped record with "where: reason".
  std::function<void(const std::string&)> on_skip;
  // Called after each committed batch with the reader (for progress) and counts so far.
  std::function<void(const RecordReader&, const IngestCounts&)> on_progress;
};

// Batches papers and upserts them; shared by file ingestion and the harvester.
class BatchWriter {
 public:
  BatchWriter(Store& store, size_t batch_size) : store_(store), batch_size_(batch_size) {}
  // Adds one record's outcome to `counts`; flushes when the batch is full.
  Status add(Paper paper, IngestCounts& counts);
  Status flush(IngestCounts& counts, const HarvestState* state = nullptr);
  size_t pending() const { return batch_.size(); }

 private:
  Store& store_;
  size_t batch_size_;
  std::vector<Paper> batch_;
};

// Ingests one file. Malformed records are skipped and counted; an unreadable file or an
// unsupported format is an error (nothing from it is written).
Result<IngestCounts> ingest_file(Store& store, const std::string& path,
                                 const IngestOptions& options);

}  // namespace pb::ingest
