#pragma once
// The lexical index: a set of immutable segments plus per-segment deletion bitmaps
// (tombstones), listed by an atomically switched MANIFEST. Readers take an immutable
// IndexSnapshot; writers add a segment (tombstoning older copies of the same documents),
// merge segments, and publish a new manifest with write-to-temp + fsync + rename, so a crash
// at any point leaves the last good index readable. Files not named by the manifest are
// leftovers of an interrupted write and are removed on open.
//
// Thread safety: snapshot() may be called from any thread; writes are serialised by the
// caller (one writer per index directory; the CLI takes a lock file).

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "index/lexical/segment.hpp"
#include "index/lexical/segment_writer.hpp"

namespace pb::lexical {

struct SegmentView {
  std::shared_ptr<const Segment> segment;
  std::shared_ptr<const std::vector<std::uint64_t>> deleted;  // bitmap; null = none deleted
  std::uint32_t deleted_count = 0;
  // The file holding `deleted` ("" while a changed bitmap waits to be written by publish).
  std::string deletes_file;
  bool is_deleted(std::uint32_t doc) const {
    return deleted && ((*deleted)[doc >> 6] >> (doc & 63)) & 1;
  }
};

class IndexSnapshot {
 public:
  std::vector<SegmentView> segments;
  std::int64_t store_seq = 0;  // the store change counter this index has caught up with
  std::uint64_t generation = 0;
  // Collection statistics over all segments (deleted documents included, as in Lucene, so
  // that a deletion does not shift every score).
  std::uint64_t total_docs = 0;
  std::array<std::uint64_t, 3> field_length_sum{};

  std::uint64_t live_docs() const;
  std::uint64_t document_frequency(std::string_view term) const;
  // Finds the live document with external id `id`: (segment index, local doc).
  std::optional<std::pair<std::uint32_t, std::uint32_t>> find_id(std::string_view id) const;
  std::uint64_t bytes_on_disk() const;
};

struct IndexStats {
  std::uint64_t segments = 0, docs = 0, deleted = 0, bytes = 0;
};

class LexicalIndex {
 public:
  // Opens (creating if needed) the index in `dir`.
  static Result<std::unique_ptr<LexicalIndex>> open(const std::filesystem::path& dir);

  std::shared_ptr<const IndexSnapshot> snapshot() const;

  // Indexes `docs` as one new segment (documents already in the index under the same id are
  // replaced), tombstones `deleted_ids`, records `store_seq`, and publishes a new manifest.
  Status update(std::span<const IndexDoc> docs, std::span<const std::string> deleted_ids,
                std::int64_t store_seq, text::Analyzer& analyzer);
  // Merges segments (live documents only) while there are more than `max_segments`,
  // smallest first; `max_segments` = 1 merges everything.
  Status merge(size_t max_segments);
  // Drops every segment (for a rebuild).
  Status clear();

  IndexStats stats() const;
  const std::filesystem::path& dir() const { return dir_; }

  // Fault injection for crash tests: when set, publishing stops right before the manifest
  // rename (as if the process died there).
  void set_crash_before_publish(bool on) { crash_before_publish_ = on; }

 private:
  LexicalIndex() = default;
  Status publish(std::shared_ptr<IndexSnapshot> next, std::uint64_t next_segment_number);
  Status remove_unreferenced();

  std::filesystem::path dir_;
  mutable std::mutex mu_;
  std::shared_ptr<const IndexSnapshot> current_;
  std::uint64_t next_segment_ = 1;
  bool crash_before_publish_ = false;
};

}  // namespace pb::lexical
