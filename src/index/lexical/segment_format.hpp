#pragma once
// On-disk layout of an immutable index segment (one file, memory-mapped, little-endian).
//
//   SegmentHeader
//   DocEntry[doc_count]                 per document: external id, field lengths, day
//   id bytes                            external ids, concatenated
//   u32[doc_count]                      documents ordered by external id (id lookups)
//   u64[title_count], u32[title_count]  title hashes, sorted, and their documents
//   TermEntry[term_count]               sorted by term bytes
//   term bytes                          term strings, concatenated
//   BlockMeta[total blocks]             skip data + per-block bounds, per term contiguous
//   postings bytes                      per block: 4 width bytes, packed doc gaps, packed tfs
//   positions bytes                     per block: for each doc, each field with tf > 0:
//                                       min(tf, 255) varint position gaps
//
// Special terms (never produced by the analyzer, which emits no control characters):
//   "\x01" + category (lower case)      exact-match category filter
// Ids and title hashes are not terms: one posting per document would cost a dictionary entry
// and a block each (15 MB on 100k papers); sorted arrays answer the same lookups.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pb::lexical {

inline constexpr char kSegmentMagic[8] = {'P', 'B', 'L', 'X', 'S', 'E', 'G', '1'};
inline constexpr std::uint32_t kSegmentVersion = 2;
inline constexpr char kCategoryPrefix = '\x01';
inline constexpr std::int32_t kUnknownDay = INT32_MIN;
// Readable bytes every segment has after its postings (the next section, or padding), so that
// decoders may load 8 bytes at a time up to the last packed byte.
inline constexpr std::uint64_t kPostingsSlack = 8;

// A special term: prefix byte + value. (Written out because GCC 12 warns falsely on
// std::string(1, c) + s.)
inline std::string prefixed(char prefix, std::string_view value) {
  std::string t;
  t.reserve(value.size() + 1);
  t += prefix;
  t += value;
  return t;
}

struct SegmentHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t doc_count;
  std::uint32_t term_count;
  std::uint32_t block_count;
  std::uint64_t field_length_sum[3];
  std::uint64_t docs_offset;
  std::uint64_t ids_offset, ids_size;
  std::uint64_t id_order_offset;
  std::uint64_t title_hash_offset, title_doc_offset, title_count;
  std::uint64_t terms_offset;
  std::uint64_t term_bytes_offset, term_bytes_size;
  std::uint64_t blocks_offset;
  std::uint64_t postings_offset, postings_size;
  std::uint64_t positions_offset, positions_size;
  std::uint64_t file_size;
};

struct DocEntry {
  std::uint32_t id_offset;
  std::uint16_t id_size;
  std::uint16_t reserved;
  std::uint16_t length[3];  // tokens per field (title, abstract, authors), saturated
  std::uint16_t reserved2;
  std::int32_t day;  // days since 1970-01-01, kUnknownDay when unknown
};

struct TermEntry {
  std::uint32_t bytes_offset;
  std::uint16_t bytes_size;
  std::uint16_t reserved;
  std::uint32_t df;  // also gives the block count: ceil(df / 128)
  std::uint32_t first_block;
  std::uint32_t postings_offset;   // relative to the postings section
  std::uint32_t positions_offset;  // relative to the positions section
};

inline std::uint32_t block_count(const TermEntry& t) {
  return static_cast<std::uint32_t>((std::uint64_t{t.df} + 127) / 128);
}

// Skip data and score bounds for one block of up to 128 postings.
struct BlockMeta {
  std::uint32_t last_doc;
  std::uint32_t postings_offset;   // relative to the term's postings
  std::uint32_t positions_offset;  // relative to the term's positions
  std::uint8_t max_tf[3];          // per field, over the block's documents
  std::uint8_t count;              // postings in the block minus one (0..127)
  std::uint8_t min_length[3];      // per field, length_code() of the block's shortest document
  std::uint8_t reserved;
};

static_assert(sizeof(DocEntry) == 20);
static_assert(sizeof(TermEntry) == 24);
static_assert(sizeof(BlockMeta) == 20);

// Field lengths in block bounds are stored as one-byte codes that decode to a lower bound of
// the length (exact below 64, then steps of 3%), which keeps score bounds valid.
inline constexpr std::array<std::uint32_t, 256> kLengthOfCode = [] {
  std::array<std::uint32_t, 256> t{};
  double v = 64;
  for (int c = 0; c < 256; ++c) {
    if (c < 64) {
      t[c] = static_cast<std::uint32_t>(c);
    } else {
      t[c] = static_cast<std::uint32_t>(v);
      v *= 1.03;
    }
  }
  return t;
}();
// Inline: query setup decodes three codes per block of every query term.
inline std::uint32_t length_from_code(std::uint8_t code) { return kLengthOfCode[code]; }
std::uint8_t length_code(std::uint32_t length);  // the largest code whose length <= length

}  // namespace pb::lexical
