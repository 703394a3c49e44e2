#pragma once
// An immutable on-disk segment of the inverted index, memory-mapped, and cursors over its
// posting lists. Thread safety: Segment is immutable; any number of threads may read it,
// each with its own cursors.

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "index/lexical/codec.hpp"
#include "index/lexical/segment_format.hpp"

namespace pb::lexical {

inline constexpr std::uint32_t kNoMoreDocs = UINT32_MAX;

class Segment {
 public:
  static Result<std::shared_ptr<const Segment>> open(const std::filesystem::path& path);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  std::uint32_t doc_count() const { return header_->doc_count; }
  std::uint32_t term_count() const { return header_->term_count; }
  std::uint64_t field_length_sum(int f) const { return header_->field_length_sum[f]; }
  const DocEntry& doc(std::uint32_t d) const { return docs_[d]; }
  std::string_view doc_id(std::uint32_t d) const {
    return {ids_ + docs_[d].id_offset, docs_[d].id_size};
  }
  // Binary search in the sorted dictionary.
  const TermEntry* find(std::string_view term) const;
  std::string_view term(std::uint32_t i) const {
    return {term_bytes_ + terms_[i].bytes_offset, terms_[i].bytes_size};
  }
  const TermEntry& term_entry(std::uint32_t i) const { return terms_[i]; }
  std::span<const BlockMeta> blocks(const TermEntry& t) const {
    return {blocks_ + t.first_block, block_count(t)};
  }
  // Local documents whose external id is `id` (normally at most one).
  std::span<const std::uint32_t> docs_with_id(std::string_view id) const;
  // Local documents whose title has this title_hash().
  std::span<const std::uint32_t> docs_with_title(std::uint64_t hash) const;
  // Calls fn(hash, doc) for every titled document.
  template <typename Fn>
  void for_each_title(Fn fn) const {
    for (size_t i = 0; i < title_count_; ++i) fn(title_hashes_[i], title_docs_[i]);
  }
  const std::uint8_t* postings(const TermEntry& t) const { return postings_ + t.postings_offset; }
  const std::uint8_t* positions(const TermEntry& t) const {
    return positions_ + t.positions_offset;
  }
  const std::uint8_t* positions_end() const { return positions_end_; }
  const std::uint8_t* postings_end() const { return postings_ + header_->postings_size; }
  // postings_end() plus the kPostingsSlack bytes that open() checks are there.
  const std::uint8_t* postings_readable_end() const { return postings_end() + kPostingsSlack; }
  std::uint64_t file_size() const { return header_->file_size; }

  // Per-document length normalisers for BM25F, norm(d) = c0 + c1 * sum_f w_f length_f(d),
  // one float per document: compact, so that scoring reads 4 bytes per posting instead of a
  // 20-byte document entry, and a query that reads every window of the segment reads half as
  // much as with doubles (measured 2026-12-07: one-shot title and claim queries ~4% faster).
  // Scores then match the formula in doubles to about 1e-7 relative; bounds stay safe (a
  // float is within 2^-24 of the double, far inside kBoundSlack). Computed on first use per
  // parameter set; the last few sets are cached. Thread-safe.
  struct NormParams {
    double c0 = 0, c1 = 0;
    std::array<double, 3> w{};
    bool operator==(const NormParams&) const = default;
  };
  std::shared_ptr<const std::vector<float>> norms(const NormParams& p) const;

  // For a dense term (in at least 1/kDenseFraction of the documents of a segment of at least
  // kMinDenseDocs), a bitset of the documents that hold it: lets a query rule a document out
  // without decoding the term's block (measured: title queries 15% faster). Built on first use
  // (one pass over the list) and kept, within kPresenceBudget bytes per segment; null for
  // other terms, or once the budget is spent. Thread-safe.
  using Bitset = std::vector<std::uint64_t>;
  std::shared_ptr<const Bitset> presence(const TermEntry& t) const;
  static constexpr std::uint32_t kDenseFraction = 32;
  static constexpr std::uint32_t kMinDenseDocs = 1024;
  static constexpr size_t kPresenceBudget = size_t{64} << 20;
  const std::filesystem::path& path() const { return path_; }

 private:
  Segment() = default;
  mutable std::mutex norms_mu_;
  mutable std::mutex presence_mu_;
  mutable std::unordered_map<const TermEntry*, std::shared_ptr<const Bitset>> presence_;
  mutable size_t presence_bytes_ = 0;
  mutable std::vector<std::pair<NormParams, std::shared_ptr<const std::vector<float>>>> norms_;
  std::filesystem::path path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const SegmentHeader* header_ = nullptr;
  const DocEntry* docs_ = nullptr;
  const char* ids_ = nullptr;
  const std::uint32_t* id_order_ = nullptr;
  const std::uint64_t* title_hashes_ = nullptr;
  const std::uint32_t* title_docs_ = nullptr;
  size_t title_count_ = 0;
  const TermEntry* terms_ = nullptr;
  const char* term_bytes_ = nullptr;
  const BlockMeta* blocks_ = nullptr;
  const std::uint8_t* postings_ = nullptr;
  const std::uint8_t* positions_ = nullptr;
  const std::uint8_t* positions_end_ = nullptr;
  // An open-addressed hash of the dictionary, built at open, for find(): a lookup reads a
  // slot, the entry and the term's bytes (about three cache lines) where a binary search over
  // the sorted dictionary read a dozen or more, which a query's first look at each of its
  // terms pays as cache misses. Slots hold the hash's high half as a tag (the term is only
  // compared on a tag match). At most half full.
  struct TermSlot {
    std::uint32_t tag = 0;
    std::uint32_t index = UINT32_MAX;  // in the dictionary; UINT32_MAX: empty
  };
  std::vector<TermSlot> term_slots_;
  size_t term_mask_ = 0;
};

// Iterates one term's postings in doc order. Term frequencies and positions are decoded
// lazily, only for documents that are looked at.
class PostingCursor {
 public:
  PostingCursor() = default;
  PostingCursor(const Segment& segment, const TermEntry& term) : PostingCursor(segment, term, 0) {}
  // Positioned at the first document >= target, decoding only the block that holds it.
  PostingCursor(const Segment& segment, const TermEntry& term, std::uint32_t target);

  std::uint32_t doc() const { return doc_; }
  void next();
  // Moves to the first document >= target (never backwards). Inline for the common case of a
  // target in the current block.
  void advance(std::uint32_t target) {
    if (doc_ >= target) return;  // also at the end (kNoMoreDocs)
    if (blocks_[block_].last_doc < target) return advance_block(target);
    seek_in_block(target);
  }
  // Per-field term frequencies of the current document.
  const std::array<std::uint32_t, 3>& tf();
  // Positions of the current document in field f (sorted).
  std::span<const std::uint32_t> positions(int field);

  // Bulk iteration by runs: calls fn(docs, tf_title, tf_abstract, tf_authors, n) with the
  // decoded arrays of each block's postings from the current one up to (excluding) `end`,
  // then rests on the first posting >= end. For loops that process a run at once
  // (vectorised scoring).
  template <typename Fn>
  void for_each_run_before(std::uint32_t end, Fn&& fn) {
    while (doc_ < end) {
      if (!tfs_decoded_) decode_tfs();
      const size_t i = index_;
      size_t j = count_;
      if (blocks_[block_].last_doc >= end)
        j = static_cast<size_t>(
            std::lower_bound(docs_.begin() + static_cast<std::ptrdiff_t>(i),
                             docs_.begin() + static_cast<std::ptrdiff_t>(count_), end) -
            docs_.begin());
      fn(docs_.data() + i, tfs_[0].data() + i, tfs_[1].data() + i, tfs_[2].data() + i, j - i);
      if (j < count_) {
        index_ = j;
        doc_ = docs_[j];
        return;
      }
      load_block(block_ + 1);
    }
  }

  // The same a posting at a time: fn(doc, tf_title, tf_abstract, tf_authors).
  template <typename Fn>
  void for_each_before(std::uint32_t end, Fn&& fn) {
    for_each_run_before(end, [&](const std::uint32_t* docs, const std::uint32_t* tf0,
                                 const std::uint32_t* tf1, const std::uint32_t* tf2, size_t n) {
      for (size_t m = 0; m < n; ++m) fn(docs[m], tf0[m], tf1[m], tf2[m]);
    });
  }

  // Block-max support: the block that would hold `target` (without decoding it), or null
  // past the end. Stays valid until the cursor moves past that block.
  const BlockMeta* block_for(std::uint32_t target);
  const BlockMeta* current_block() const {
    return block_ < blocks_.size() ? &blocks_[block_] : nullptr;
  }
  std::span<const BlockMeta> blocks() const { return blocks_; }
  std::uint32_t df() const { return df_; }

 private:
  void advance_block(std::uint32_t target);
  // Moves to the first document >= target in the current block, which holds one.
  void seek_in_block(std::uint32_t target) {
    size_t i = index_;
    while (i + 8 < count_ && docs_[i + 8] < target) i += 8;
    while (docs_[i] < target) ++i;
    index_ = i;
    doc_ = docs_[i];
  }
  void load_block(size_t b);
  void decode_tfs();
  void decode_positions();

  const Segment* segment_ = nullptr;
  const std::uint8_t* postings_ = nullptr;
  const std::uint8_t* positions_ = nullptr;
  std::span<const BlockMeta> blocks_;
  std::uint32_t df_ = 0;
  size_t block_ = 0;    // current block
  size_t shallow_ = 0;  // block_for's search position
  size_t count_ = 0;    // postings in current block
  size_t index_ = 0;    // position in current block
  std::uint32_t doc_ = kNoMoreDocs;
  std::array<std::uint32_t, kBlockSize> docs_{};
  std::array<std::array<std::uint32_t, kBlockSize>, 3> tfs_{};
  std::array<const std::uint8_t*, 3> tf_field_{};  // each field's packed frequencies
  std::array<unsigned, 3> tf_bits_{};
  bool tfs_decoded_ = false;
  std::array<std::uint32_t, 3> tf_{};
  size_t tf_index_ = SIZE_MAX;
  // Positions of the current block, decoded on demand up to the current doc.
  const std::uint8_t* pos_cursor_ = nullptr;
  size_t pos_index_ = 0;  // next doc in block whose positions pos_cursor_ points at
  std::array<std::vector<std::uint32_t>, 3> pos_;
  size_t pos_doc_ = SIZE_MAX;
};

}  // namespace pb::lexical
