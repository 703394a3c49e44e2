#pragma once
// Writing immutable segments: SegmentWriter lays out the file from documents and sorted
// terms (used by the in-memory builder and by merges); SegmentBuilder inverts documents in
// memory and hands them to a SegmentWriter.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "core/string_map.hpp"
#include "index/lexical/segment_format.hpp"
#include "text/analyzer.hpp"

namespace pb::lexical {

// What the index needs to know of one document.
struct IndexDoc {
  std::string id;  // external id (arXiv id, or a BEIR corpus id)
  std::string title;
  std::string abstract;  // plain text (TeX already normalised)
  std::vector<std::string> authors;
  std::vector<std::string> categories;
  std::int32_t day = kUnknownDay;
};

struct DocInfo {
  std::string id;
  std::array<std::uint16_t, 3> length{};
  std::int32_t day = kUnknownDay;
  std::uint64_t title_hash = 0;  // title_hash() of the title, 0 for none
};

class SegmentWriter {
 public:
  SegmentWriter() = default;
  // Documents first, in local id order 0, 1, ...
  void add_doc(const DocInfo& doc);
  // Then terms in strictly increasing byte order, each with its postings in doc order.
  // `positions[f]` holds the field's positions (at most 255 are kept).
  void begin_term(std::string_view term);
  void add_posting(std::uint32_t doc, const std::array<std::uint32_t, 3>& tf,
                   const std::array<std::span<const std::uint32_t>, 3>& positions);
  // The same with the positions already encoded as the segment stores them: for each field
  // with tf > 0, min(tf, 255) varint gaps (from 0).
  void add_posting_encoded(std::uint32_t doc, const std::array<std::uint32_t, 3>& tf,
                           std::string_view positions);
  // Capacity hints for the postings and positions sections (no effect on the bytes written).
  void reserve(size_t postings_bytes, size_t positions_bytes);
  void end_term();
  // Writes the segment to `path` atomically (temporary file, fsync, rename).
  Status finish(const std::filesystem::path& path);
  std::uint32_t doc_count() const { return static_cast<std::uint32_t>(docs_.size()); }

 private:
  void flush_block();
  void count_posting(std::uint32_t doc, const std::array<std::uint32_t, 3>& tf);

  std::vector<DocEntry> docs_;
  std::string ids_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> titles_;  // (hash, doc)
  std::vector<TermEntry> terms_;
  std::string term_bytes_;
  std::vector<BlockMeta> blocks_;
  std::string postings_, positions_;
  std::array<std::uint64_t, 3> length_sum_{};
  // The term being written.
  bool in_term_ = false;
  std::uint32_t term_df_ = 0;
  std::uint32_t last_doc_ = 0;
  std::vector<std::uint32_t> block_docs_;
  std::vector<std::uint32_t> block_gaps_;  // scratch for flush_block()
  std::array<std::vector<std::uint32_t>, 3> block_tf_;
  size_t block_positions_begin_ = 0;  // the block's positions run from there to the end
  std::string last_term_;
};

// How SegmentBuilder buffers (no effect on the segment's bytes; small values are for tests).
struct SegmentBuilderOptions {
  size_t batch_occurrences = size_t{1} << 20;  // term occurrences inverted at a time
  size_t chunk_bytes = size_t{8} << 20;        // size of the buffers holding inverted batches
};

// Inverts documents in memory. Not thread-safe.
class SegmentBuilder {
 public:
  explicit SegmentBuilder(text::Analyzer& analyzer, SegmentBuilderOptions options = {})
      : analyzer_(analyzer), options_(options), key_binding_(analyzer.bind_term_key_values()) {}
  void add(const IndexDoc& doc);
  std::uint32_t doc_count() const { return static_cast<std::uint32_t>(docs_.size()); }
  Status write(const std::filesystem::path& path);

 private:
  std::uint32_t term_id(std::string_view term);
  std::uint32_t term_id(const text::Token& token);
  text::Analyzer& analyzer_;
  SegmentBuilderOptions options_;
  // The term ids are attached to the analyzer's term keys (Token::key_value) under this
  // binding, so that most tokens come with their term id and need no lookup of their own.
  std::uint64_t key_binding_;
  std::vector<DocInfo> docs_;
  StringMap<std::uint32_t> vocabulary_;
  std::vector<std::string> terms_;
  // Term occurrences of the documents added since the last flush_batch(), in analysis order.
  // Inverting a batch at a time (a radix sort by term) touches each term once per batch
  // instead of once per document.
  struct Occurrence {
    std::uint32_t term;
    std::uint32_t doc_field;  // (doc - batch_first_doc_) << 2 | field (3: a category)
    std::uint32_t position;
  };
  std::vector<Occurrence> batch_, sorted_;
  std::uint32_t batch_first_doc_ = 0;
  void flush_batch();
  // Inverted batches, compact: flush_batch() encodes each term's postings of the batch as one
  // slice in chunks_ (count of documents, four bytes; then per document its number, its three
  // term frequencies, in one byte when each is at most 3, and its positions already in the
  // segment's position format), so that building holds about three bytes per occurrence in a
  // few large buffers instead of growing one vector per term (measured: the 102k-paper build
  // touched 660 MB of fresh memory for a 76 MB segment, and copied much of it as vectors grew).
  // write() reads the slices term by term in byte order, each term's in batch order.
  struct Slice {
    std::uint32_t term;
    std::uint32_t chunk;
    std::uint32_t offset;
  };
  std::vector<Slice> slices_;
  std::vector<std::unique_ptr<std::uint8_t[]>> chunks_;
  size_t chunk_capacity_ = 0;  // of chunks_.back()
  size_t chunk_used_ = 0;
  // Room for `bytes` more in the current chunk (a new chunk if needed); returns where to write.
  std::uint8_t* chunk_room(size_t bytes);
  std::uint64_t postings_count_ = 0, position_bytes_ = 0;  // for the writer's reserve()
  std::vector<std::uint32_t> scratch_positions_;
  std::vector<text::Token> tokens_;
};

// The hash of a title's analysed words, shared by indexing and querying (0 for no words).
std::uint64_t title_hash(std::string_view title, text::Analyzer& analyzer);
std::uint64_t title_hash_of(const std::vector<text::Token>& tokens);

}  // namespace pb::lexical
