#include "index/lexical/codec.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <utility>

namespace pb::lexical {

unsigned bits_needed(std::span<const std::uint32_t> values) {
  std::uint32_t all = 0;
  for (auto v : values) all |= v;
  return all == 0 ? 0 : 32 - static_cast<unsigned>(__builtin_clz(all));
}

size_t pack(std::span<const std::uint32_t> values, unsigned bits, std::string& out) {
  if (bits == 0) return 0;
  size_t bytes = packed_bytes(values.size(), bits);
  size_t base = out.size();
  out.resize(base + bytes, '\0');
  auto* dst = reinterpret_cast<std::uint8_t*>(out.data() + base);
  std::uint64_t acc = 0;
  unsigned filled = 0;
  size_t o = 0;
  for (auto v : values) {
    acc |= static_cast<std::uint64_t>(v) << filled;
    filled += bits;
    while (filled >= 8) {
      dst[o++] = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) dst[o++] = static_cast<std::uint8_t>(acc);
  return bytes;
}

namespace {

// Full blocks with the width known at compile time: the shifts and masks become constants and
// the loop unrolls. Reads 8 bytes at a time and may read up to 7 bytes past the packed data,
// which unpack_full's callers guarantee to be readable (segment files end in slack bytes).
template <unsigned B>
void unpack_full(const std::uint8_t* in, std::uint32_t* out) {
  constexpr std::uint64_t kMask = B == 32 ? 0xffffffffull : ((1ull << B) - 1);
  for (size_t i = 0; i < kBlockSize; ++i) {
    const size_t bitpos = i * B;
    std::uint64_t word;
    std::memcpy(&word, in + (bitpos >> 3), 8);
    out[i] = static_cast<std::uint32_t>((word >> (bitpos & 7)) & kMask);
  }
}

using UnpackFn = void (*)(const std::uint8_t*, std::uint32_t*);

template <size_t... I>
constexpr std::array<UnpackFn, sizeof...(I)> make_table(std::index_sequence<I...>) {
  return {&unpack_full<static_cast<unsigned>(I + 1)>...};
}

constexpr auto kUnpackFull = make_table(std::make_index_sequence<32>{});

}  // namespace

size_t unpack_block(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t* out,
                    const std::uint8_t* readable_end) {
  if (bits > 0 && bits <= 32 && count <= kBlockSize &&
      readable_end - in >= static_cast<std::ptrdiff_t>(packed_bytes(kBlockSize, bits) + 7)) {
    kUnpackFull[bits - 1](in, out);
    return packed_bytes(count, bits);
  }
  return unpack(in, count, bits, out);
}

size_t unpack(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t* out) {
  if (bits == 0) {
    std::memset(out, 0, count * sizeof(std::uint32_t));
    return 0;
  }
  const size_t bytes = packed_bytes(count, bits);
  const std::uint64_t mask = bits == 32 ? 0xffffffffull : ((1ull << bits) - 1);
  // Reads 8 bytes at a time where that stays inside the packed bytes, else byte-wise.
  size_t bitpos = 0;
  for (size_t i = 0; i < count; ++i, bitpos += bits) {
    size_t byte = bitpos >> 3;
    unsigned shift = static_cast<unsigned>(bitpos & 7);
    std::uint64_t word;
    if (byte + 8 <= bytes) {
      std::memcpy(&word, in + byte, 8);
    } else {
      word = 0;
      std::memcpy(&word, in + byte, bytes - byte);
    }
    out[i] = static_cast<std::uint32_t>((word >> shift) & mask);
  }
  return bytes;
}

const std::uint8_t* get_varint(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
    std::uint8_t b = *p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return p;
  }
  return nullptr;
}

}  // namespace pb::lexical
