#include "index/vector/kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

namespace pb::vector {
namespace {

float dot_scalar(const float* a, const float* b, size_t n) {
  // Four independent partial sums (instruction-level parallelism).
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

std::int32_t dot_i8_scalar(const std::int8_t* a, const std::int8_t* b, size_t n) {
  std::int32_t s = 0;
  for (size_t i = 0; i < n; ++i) s += std::int32_t{a[i]} * std::int32_t{b[i]};
  return s;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8)
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  __m256 s = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

__attribute__((target("avx2"))) std::int32_t dot_i8_avx2(const std::int8_t* a, const std::int8_t* b,
                                                         size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
  }
  __m128i h = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
  std::int32_t r = _mm_cvtsi128_si32(h);
  for (; i < n; ++i) r += std::int32_t{a[i]} * std::int32_t{b[i]};
  return r;
}

float dot_f32_i8_scalar(const float* a, const std::int8_t* b, size_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * static_cast<float>(b[i]);
    s1 += a[i + 1] * static_cast<float>(b[i + 1]);
    s2 += a[i + 2] * static_cast<float>(b[i + 2]);
    s3 += a[i + 3] * static_cast<float>(b[i + 3]);
  }
  for (; i < n; ++i) s0 += a[i] * static_cast<float>(b[i]);
  return (s0 + s1) + (s2 + s3);
}

__attribute__((target("avx2,fma"))) float dot_f32_i8_avx2(const float* a, const std::int8_t* b,
                                                          size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c));
    __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(c, 8)));
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), lo, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), hi, s1);
  }
  __m256 s = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) r += a[i] * static_cast<float>(b[i]);
  return r;
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

}  // namespace

float dot(const float* a, const float* b, size_t n) {
  return has_avx2() ? dot_avx2(a, b, n) : dot_scalar(a, b, n);
}

std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, size_t n) {
  return has_avx2() ? dot_i8_avx2(a, b, n) : dot_i8_scalar(a, b, n);
}

float dot_f32_i8(const float* a, const std::int8_t* b, size_t n) {
  return has_avx2() ? dot_f32_i8_avx2(a, b, n) : dot_f32_i8_scalar(a, b, n);
}

const char* kernel_name() { return has_avx2() ? "avx2" : "scalar"; }

bool normalize(std::span<float> x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  if (!(s > 0) || !std::isfinite(s)) return false;
  const float inv = static_cast<float>(1.0 / std::sqrt(s));
  for (float& v : x) v *= inv;
  return true;
}

float quantize(std::span<const float> x, std::int8_t* codes) {
  float m = 0;
  for (float v : x) m = std::max(m, std::fabs(v));
  if (!(m > 0) || !std::isfinite(m)) {
    std::fill(codes, codes + x.size(), std::int8_t{0});
    return 0;
  }
  const float scale = m / 127.0f;
  const float inv = 127.0f / m;
  for (size_t i = 0; i < x.size(); ++i)
    codes[i] = static_cast<std::int8_t>(std::clamp(std::lround(x[i] * inv), -127L, 127L));
  return scale;
}

}  // namespace pb::vector
