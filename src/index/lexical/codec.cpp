#include "index/lexical/codec.hpp"

#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

#if defined(__x86_64__)
// The same with AVX2, eight values per step. Eight values of B bits fill exactly B bytes, so
// each group of eight starts on a byte; value j of a group starts at bit j*B of it. Each
// 128-bit half gathers its four values' bytes with one byte shuffle (the upper half loads from
// value 4's first byte), then a per-lane shift and a mask cut them out. A value and its bit
// offset (< 8) must fit a 32-bit lane, so widths above 25 take the scalar path. Reads up to
// 16 bytes past the packed data.
constexpr unsigned kMaxAvx2Bits = 25;
constexpr size_t kAvx2Overread = 16;

struct Avx2Plan {
  alignas(32) std::array<std::int8_t, 32> shuffle{};
  alignas(32) std::array<std::int32_t, 8> shift{};
  size_t upper = 0;  // byte offset of the upper half's load
};

constexpr Avx2Plan make_plan(unsigned b) {
  Avx2Plan plan;
  plan.upper = (4 * b) >> 3;
  for (unsigned j = 0; j < 8; ++j) {
    const unsigned bit = j * b;
    const size_t base = j < 4 ? 0 : plan.upper;
    for (unsigned k = 0; k < 4; ++k)
      plan.shuffle[4 * j + k] = static_cast<std::int8_t>((bit >> 3) - base + k);
    plan.shift[j] = static_cast<std::int32_t>(bit & 7);
  }
  return plan;
}

template <unsigned B>
__attribute__((target("avx2"))) void unpack_full_avx2(const std::uint8_t* in, std::uint32_t* out) {
  if constexpr (B > kMaxAvx2Bits) {
    unpack_full<B>(in, out);
  } else {
    static constexpr Avx2Plan kPlan = make_plan(B);
    const __m256i shuffle =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(kPlan.shuffle.data()));
    const __m256i shift = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPlan.shift.data()));
    const __m256i mask = _mm256_set1_epi32(static_cast<int>((1u << B) - 1));
    for (size_t g = 0; g < kBlockSize / 8; ++g) {
      const std::uint8_t* p = in + g * B;
      const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + kPlan.upper));
      __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
      v = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(v, shuffle), shift), mask);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * g), v);
    }
  }
}

template <size_t... I>
constexpr std::array<UnpackFn, sizeof...(I)> make_avx2_table(std::index_sequence<I...>) {
  return {&unpack_full_avx2<static_cast<unsigned>(I + 1)>...};
}

constexpr auto kUnpackFullAvx2 = make_avx2_table(std::make_index_sequence<32>{});

// out[i] += base + out[0] + ... + out[i-1], eight lanes at a time.
__attribute__((target("avx2"))) void prefix_sum_avx2(std::uint32_t* v, std::uint32_t base) {
  __m256i carry = _mm256_set1_epi32(static_cast<int>(base));
  const __m256i last = _mm256_set1_epi32(7);
  for (size_t g = 0; g < kBlockSize / 8; ++g) {
    __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + 8 * g));
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));  // within each 128-bit half
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
    // The lower half's total, carried into the upper half.
    const __m256i low_total = _mm256_permute2x128_si256(x, x, 0x08);  // [0, lo]
    x = _mm256_add_epi32(x, _mm256_shuffle_epi32(low_total, 0xff));
    x = _mm256_add_epi32(x, carry);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + 8 * g), x);
    carry = _mm256_permutevar8x32_epi32(x, last);
  }
}

#else
constexpr unsigned kMaxAvx2Bits = 0;
constexpr size_t kAvx2Overread = 0;
#endif

bool full_block_readable(const std::uint8_t* in, unsigned bits, size_t overread,
                         const std::uint8_t* readable_end) {
  return readable_end - in >=
         static_cast<std::ptrdiff_t>(packed_bytes(kBlockSize, bits) + overread);
}

}  // namespace

bool use_avx2() {
#if defined(__x86_64__)
  static const bool yes = [] {
    const char* env = std::getenv("PB_SIMD");
    return __builtin_cpu_supports("avx2") && !(env && std::string_view(env) == "0");
  }();
  return yes;
#else
  return false;
#endif
}

size_t unpack_block(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t* out,
                    const std::uint8_t* readable_end) {
  if (bits > 0 && bits <= 32 && count <= kBlockSize) {
#if defined(__x86_64__)
    if (bits <= kMaxAvx2Bits && use_avx2() &&
        full_block_readable(in, bits, kAvx2Overread, readable_end)) {
      kUnpackFullAvx2[bits - 1](in, out);
      return packed_bytes(count, bits);
    }
#endif
    if (full_block_readable(in, bits, 7, readable_end)) {
      kUnpackFull[bits - 1](in, out);
      return packed_bytes(count, bits);
    }
  }
  return unpack(in, count, bits, out);
}

size_t unpack_gaps_block(const std::uint8_t* in, size_t count, unsigned bits, std::uint32_t base,
                         std::uint32_t* out, const std::uint8_t* readable_end,
                         std::uint64_t& last) {
  const size_t bytes = unpack_block(in, count, bits, out, readable_end);
#if defined(__x86_64__)
  // 32-bit lanes cannot wrap when all 128 sums stay below 2^32 (garbage past `count` included).
  constexpr unsigned kSafeBits = 24;
  if (count > 0 && count <= kBlockSize && bits <= kSafeBits && base < (1u << 31) && use_avx2()) {
    prefix_sum_avx2(out, base);
    last = out[count - 1];
    return bytes;
  }
#endif
  std::uint64_t prev = base;
  for (size_t i = 0; i < count; ++i) {
    prev += out[i];
    out[i] = static_cast<std::uint32_t>(prev);
  }
  last = prev;
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
