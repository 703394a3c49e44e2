#pragma once
// Integer codecs for posting lists.
//
// Blocks of kBlockSize values are bit-packed at the width of their largest value ("binary
// packing", as in Lemire & Boytsov 2015, "Decoding billions of integers per second through
// vectorization"). A width of 0 stores nothing: an all-zero block (e.g. title term
// frequencies of a term that never occurs in titles) costs no bytes. Varints (LEB128) carry
// the short tail of a list and the position streams.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace pb::lexical {

inline constexpr size_t kBlockSize = 128;

// Number of bits needed for the largest of `values` (0 when all are zero).
unsigned bits_needed(std::span<const std::uint32_t> values);

// Appends `values` (any count <= kBlockSize) packed at `bits` bits each; returns bytes written.
size_t pack(std::span<const std::uint32_t> values, unsigned bits, std::string& out);
// Unpacks `count` values of `bits` bits from `in` into out[0..count); returns bytes consumed.
// `in` must have at least packed_bytes(count, bits) bytes readable.
size_t unpack(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t* out);
inline size_t packed_bytes(size_t count, unsigned bits) { return (count * bits + 7) / 8; }
// unpack() with a fast path that decodes a whole block's worth of values (kBlockSize, so `out`
// must have room for that many; values past `count` are garbage) and reads up to 16 bytes
// past them (AVX2 where the CPU has it, else up to 7): taken whenever the bytes from `in` to
// `readable_end` allow it, which is almost always inside a segment file (it ends in slack
// bytes and other lists follow), short tail blocks included.
size_t unpack_block(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t* out,
                    const std::uint8_t* readable_end);
// unpack_block() of a block of document-id gaps, turned into ids: out[i] = base + gap[0] +
// ... + gap[i]. `last` is that sum for i = count - 1, computed without wrapping (so a damaged
// block cannot pass as a valid one by overflowing). Reads up to 16 bytes past the packed data
// when readable_end allows, as unpack_block.
size_t unpack_gaps_block(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t base,
                         std::uint32_t* out, const std::uint8_t* readable_end, std::uint64_t& last);

// Whether the AVX2 paths (here and in the searcher) may run: the CPU has AVX2 and the
// environment does not say PB_SIMD=0 (a seam for testing the scalar paths on any machine).
// Read once.
bool use_avx2();

// Inline: index building writes one varint per position.
inline void put_varint(std::uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
// Decodes one varint at p (bounded by end); returns the new position, or nullptr if malformed.
const std::uint8_t* get_varint(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& v);

}  // namespace pb::lexical
