#include "index/lexical/codec.hpp"

#include <cstring>

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

void put_varint(std::uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
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
