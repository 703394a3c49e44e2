#include "ingest/ingester.hpp"

#include <fmt/format.h>

namespace pb::ingest {

IngestCounts& IngestCounts::operator+=(const IngestCounts& o) {
  records += o.records;
  added += o.added;
  updated += o.updated;
  unchanged += o.unchanged;
  skipped += o.skipped;
  ignored += o.ignored;
  repaired_utf8 += o.repaired_utf8;
  return *this;
}

Status BatchWriter::add(Paper paper, IngestCounts& counts) {
  batch_.push_back(std::move(paper));
  if (batch_.size() >= batch_size_) return flush(counts);
  return ok_status();
}

Status BatchWriter::flush(IngestCounts& counts, const HarvestState* state) {
  if (batch_.empty() && !state) return ok_status();
  PB_ASSIGN_OR_RETURN(auto outcomes, store_.upsert(batch_, state));
  for (auto o : outcomes) {
    switch (o) {
      case UpsertOutcome::kAdded:
        ++counts.added;
        break;
      case UpsertOutcome::kUpdated:
        ++counts.updated;
        break;
      case UpsertOutcome::kUnchanged:
        ++counts.unchanged;
        break;
    }
  }
  batch_.clear();
  return ok_status();
}

Result<IngestCounts> ingest_file(Store& store, const std::string& path,
                                 const IngestOptions& options) {
  PB_ASSIGN_OR_RETURN(auto reader, open_reader(path, options.format));
  IngestCounts counts;
  BatchWriter writer(store, options.batch_size);
  Record rec;
  for (;;) {
    auto more = reader->next(rec);
    if (!more.ok()) {
      // Keep what was read before the input failed, then report the failure.
      PB_RETURN_IF_ERROR(writer.flush(counts));
      return more.error();
    }
    if (!*more) break;
    if (rec.ignored) {
      ++counts.ignored;
      continue;
    }
    ++counts.records;
    if (rec.repaired_utf8) ++counts.repaired_utf8;
    if (!rec.paper.ok()) {
      ++counts.skipped;
      if (options.on_skip) options.on_skip(rec.where + ": " + rec.paper.error().message());
      continue;
    }
    size_t before = writer.pending();
    PB_RETURN_IF_ERROR(writer.add(std::move(rec.paper).value(), counts));
    if (writer.pending() < before + 1 && options.on_progress) options.on_progress(*reader, counts);
  }
  PB_RETURN_IF_ERROR(writer.flush(counts));
  if (options.on_progress) options.on_progress(*reader, counts);
  return counts;
}

}  // namespace pb::ingest
