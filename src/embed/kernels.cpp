#include "embed/kernels.hpp"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace pb::embed::kernels {

void init_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void linear_f32(const float* x, int m, int k, int ldx, const float* w, int n, const float* bias,
                float* y, int ldy) {
  if (bias) {
    for (int i = 0; i < m; ++i) std::memcpy(y + static_cast<std::size_t>(i) * ldy, bias, n * 4);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, ldx, w, k,
              bias ? 1.0f : 0.0f, y, ldy);
}

void gemm_nt(int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
             float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, alpha, a, lda, b, ldb, 0.0f, c,
              ldc);
}

void gemm_nn(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
             int ldc) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c,
              ldc);
}

// ---------------------------------------------------------------------------------------------
// int8

namespace {

// Rounds to the nearest int8 in [-127, 127]; NaN (from a damaged model) becomes -127 instead of
// an undefined conversion.
inline std::int8_t quantize(float v) {
  v = v > -127.0f ? v : -127.0f;
  v = v < 127.0f ? v : 127.0f;
  return static_cast<std::int8_t>(static_cast<int>(v + (v >= 0 ? 0.5f : -0.5f)));
}

}  // namespace

QuantizedLinear quantize_linear(const float* w, int n, int k, const float* bias) {
  return quantize_linear(w, n, k, bias, !has_int8_simd());
}

QuantizedLinear quantize_linear(const float* w, int n, int k, const float* bias,
                                bool keep_dequantized) {
  QuantizedLinear q;
  q.n = n;
  q.k = k;
  q.n_pad = (n + 31) / 32 * 32;
  q.k_pad = (k + 3) / 4 * 4;
  const int kq = q.k_pad / 4;
  q.packed.assign(static_cast<std::size_t>(q.n_pad) * q.k_pad, 0);
  q.offset.assign(q.n_pad, 0);
  q.scale.assign(q.n_pad, 0.0f);
  q.bias.assign(q.n_pad, 0.0f);
  for (int o = 0; o < n; ++o) {
    const float* row = w + static_cast<std::size_t>(o) * k;
    float mx = 0;
    for (int i = 0; i < k; ++i) mx = std::max(mx, std::fabs(row[i]));
    float scale = mx > 0 ? mx / 127.0f : 1.0f;
    q.scale[o] = scale;
    if (bias) q.bias[o] = bias[o];
    std::int32_t sum = 0;
    const int block = o / 16, lane = o % 16;
    for (int i = 0; i < k; ++i) {
      std::int8_t v = quantize(row[i] / scale);
      sum += v;
      q.packed[(static_cast<std::size_t>(block) * kq + i / 4) * 64 + lane * 4 + i % 4] = v;
    }
    q.offset[o] = 128 * sum;
  }
  if (keep_dequantized) {
    q.dequantized.resize(static_cast<std::size_t>(n) * k);
    for (int o = 0; o < n; ++o) {
      for (int i = 0; i < k; ++i) {
        q.dequantized[static_cast<std::size_t>(o) * k + i] =
            q.scale[o] *
            q.packed[(static_cast<std::size_t>(o / 16) * kq + i / 4) * 64 + (o % 16) * 4 + i % 4];
      }
    }
  }
  return q;
}

namespace {

// Quantises each row of x to int8 with its own scale and stores it as uint8 (+128), the
// operand type of VPDPBUSD; padding columns hold 128 (zero).
void quantize_rows(const float* x, int m, int k, int ldx, int k_pad, Int8Scratch& s) {
  s.a.resize(static_cast<std::size_t>(m) * k_pad);
  s.row_scale.resize(m);
  for (int r = 0; r < m; ++r) {
    const float* row = x + static_cast<std::size_t>(r) * ldx;
    float mx = 0;
    for (int i = 0; i < k; ++i) mx = std::max(mx, std::fabs(row[i]));
    float scale = mx > 0 ? mx / 127.0f : 1.0f;
    float inv = 1.0f / scale;
    s.row_scale[r] = scale;
    std::uint8_t* out = s.a.data() + static_cast<std::size_t>(r) * k_pad;
    for (int i = 0; i < k; ++i) {
      out[i] = static_cast<std::uint8_t>(quantize(row[i] * inv) + 128);
    }
    for (int i = k; i < k_pad; ++i) out[i] = 128;
  }
}

void int8_scalar(const Int8Scratch& s, int m, const QuantizedLinear& q, float* y, int ldy) {
  const int kq = q.k_pad / 4;
  for (int r = 0; r < m; ++r) {
    const std::uint8_t* a = s.a.data() + static_cast<std::size_t>(r) * q.k_pad;
    for (int o = 0; o < q.n; ++o) {
      const std::int8_t* w =
          q.packed.data() + static_cast<std::size_t>(o / 16) * kq * 64 + (o % 16) * 4;
      std::int32_t acc = 0;
      for (int kk = 0; kk < kq; ++kk) {
        for (int t = 0; t < 4; ++t)
          acc += static_cast<std::int32_t>(a[kk * 4 + t]) * w[kk * 64 + t];
      }
      y[static_cast<std::size_t>(r) * ldy + o] =
          static_cast<float>(acc - q.offset[o]) * (s.row_scale[r] * q.scale[o]) + q.bias[o];
    }
  }
}

#if defined(__x86_64__)
#define PB_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
// GCC 12's AVX-512 headers pass _mm512_undefined_*() operands that -Wmaybe-uninitialized
// flags inside the intrinsics (GCC bug 105593): a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// MR rows × 32 outputs: 2·MR accumulators of 16 int32, each VPDPBUSD adds 4 products per lane.
template <int MR>
PB_VNNI inline void vnni_tile(const std::uint8_t* a, int lda, int kq, const std::int8_t* w0,
                              const float* row_scale, const QuantizedLinear& q, int o0, float* y,
                              int ldy, int n_valid) {
  __m512i acc0[MR], acc1[MR];
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm512_setzero_si512();
  const std::int8_t* w1 = w0 + static_cast<std::size_t>(kq) * 64;
  for (int kk = 0; kk < kq; ++kk) {
    __m512i b0 = _mm512_loadu_si512(w0 + kk * 64);
    __m512i b1 = _mm512_loadu_si512(w1 + kk * 64);
    for (int r = 0; r < MR; ++r) {
      std::int32_t a4;
      std::memcpy(&a4, a + static_cast<std::size_t>(r) * lda + kk * 4, 4);
      __m512i av = _mm512_set1_epi32(a4);
      acc0[r] = _mm512_dpbusd_epi32(acc0[r], av, b0);
      acc1[r] = _mm512_dpbusd_epi32(acc1[r], av, b1);
    }
  }
  for (int h = 0; h < 2; ++h) {
    const int o = o0 + 16 * h;
    __m512i off = _mm512_loadu_si512(q.offset.data() + o);
    __m512 ws = _mm512_loadu_ps(q.scale.data() + o);
    __m512 bias = _mm512_loadu_ps(q.bias.data() + o);
    int valid = std::clamp(n_valid - 16 * h, 0, 16);
    __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
    for (int r = 0; r < MR; ++r) {
      __m512i acc = _mm512_sub_epi32(h == 0 ? acc0[r] : acc1[r], off);
      __m512 s = _mm512_mul_ps(ws, _mm512_set1_ps(row_scale[r]));
      __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), s, bias);
      _mm512_mask_storeu_ps(y + static_cast<std::size_t>(r) * ldy + o, mask, v);
    }
  }
}

// quantize_rows with AVX-512 (the VNNI path only): same scales; rounding to nearest even.
PB_VNNI void quantize_rows_avx512(const float* x, int m, int k, int ldx, int k_pad,
                                  Int8Scratch& s) {
  s.a.resize(static_cast<std::size_t>(m) * k_pad);
  s.row_scale.resize(m);
  for (int r = 0; r < m; ++r) {
    const float* row = x + static_cast<std::size_t>(r) * ldx;
    __m512 vmax = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= k; i += 16)
      vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(row + i)));
    float mx = _mm512_reduce_max_ps(vmax);
    for (; i < k; ++i) mx = std::max(mx, std::fabs(row[i]));
    float scale = mx > 0 ? mx / 127.0f : 1.0f;
    float inv = 1.0f / scale;
    s.row_scale[r] = scale;
    std::uint8_t* out = s.a.data() + static_cast<std::size_t>(r) * k_pad;
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i bias = _mm512_set1_epi32(128);
    const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    for (i = 0; i + 16 <= k; i += 16) {
      __m512 v =
          _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_loadu_ps(row + i), vinv), lo), hi);
      __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), bias);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtepi32_epi8(q));
    }
    for (; i < k; ++i) out[i] = static_cast<std::uint8_t>(quantize(row[i] * inv) + 128);
    for (i = k; i < k_pad; ++i) out[i] = 128;
  }
}

PB_VNNI void int8_vnni(const Int8Scratch& s, int m, const QuantizedLinear& q, float* y, int ldy) {
  const int kq = q.k_pad / 4;
  const std::uint8_t* a = s.a.data();
  const float* rs = s.row_scale.data();
  for (int o0 = 0; o0 < q.n; o0 += 32) {
    const std::int8_t* w0 = q.packed.data() + static_cast<std::size_t>(o0 / 16) * kq * 64;
    const int n_valid = q.n - o0;
    int r = 0;
    const std::size_t lda = q.k_pad;
    for (; r + 6 <= m; r += 6)
      vnni_tile<6>(a + r * lda, q.k_pad, kq, w0, rs + r, q, o0,
                   y + static_cast<std::size_t>(r) * ldy, ldy, n_valid);
    for (; r + 2 <= m; r += 2)
      vnni_tile<2>(a + r * lda, q.k_pad, kq, w0, rs + r, q, o0,
                   y + static_cast<std::size_t>(r) * ldy, ldy, n_valid);
    for (; r < m; ++r)
      vnni_tile<1>(a + r * lda, q.k_pad, kq, w0, rs + r, q, o0,
                   y + static_cast<std::size_t>(r) * ldy, ldy, n_valid);
  }
}

#pragma GCC diagnostic pop

bool cpu_has_vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vnni");
}
#else
bool cpu_has_vnni() { return false; }
#endif

}  // namespace

bool has_int8_simd() {
  static const bool has = cpu_has_vnni();
  return has;
}

void linear_int8(const float* x, int m, int ldx, const QuantizedLinear& q, float* y, int ldy,
                 Int8Scratch& scratch, Int8Kernel kernel) {
  if (kernel == Int8Kernel::kAuto)
    kernel = has_int8_simd() ? Int8Kernel::kVnni : Int8Kernel::kDequantizedBlas;
#if defined(__x86_64__)
  if (kernel == Int8Kernel::kVnni && has_int8_simd()) {
    quantize_rows_avx512(x, m, q.k, ldx, q.k_pad, scratch);
    int8_vnni(scratch, m, q, y, ldy);
    return;
  }
#endif
  quantize_rows(x, m, q.k, ldx, q.k_pad, scratch);
  if (kernel == Int8Kernel::kDequantizedBlas && !q.dequantized.empty()) {
    // The quantised activations as floats: y = (a·s_a)(w·s_w)ᵀ + b with exact small integers.
    scratch.fake.resize(static_cast<std::size_t>(m) * q.k);
    for (int r = 0; r < m; ++r) {
      const std::uint8_t* a = scratch.a.data() + static_cast<std::size_t>(r) * q.k_pad;
      float* f = scratch.fake.data() + static_cast<std::size_t>(r) * q.k;
      for (int i = 0; i < q.k; ++i) f[i] = static_cast<float>(a[i] - 128) * scratch.row_scale[r];
    }
    linear_f32(scratch.fake.data(), m, q.k, q.k, q.dequantized.data(), q.n, q.bias.data(), y, ldy);
    return;
  }
  int8_scalar(scratch, m, q, y, ldy);
}

// ---------------------------------------------------------------------------------------------
// Element-wise. Branch-free polynomial forms so that the compiler vectorises the loops;
// std::erf / std::exp calls would cost more than the matrix products around them.

float exp_approx(float x) {
  // Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n by exponent bits.
  x = std::clamp(x, -87.0f, 88.0f);
  float t = x * 1.44269504088896341f;
  int n = static_cast<int>(t + (t >= 0 ? 0.5f : -0.5f));
  float fn = static_cast<float>(n);
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  std::int32_t bits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

float erf_approx(float x) {
  // Rational approximation on [-4, 4] (erf is ±1 in float beyond), as in Eigen/XLA.
  x = std::clamp(x, -4.0f, 4.0f);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

namespace {

#if defined(__x86_64__)
#define PB_AVX2 __attribute__((target("avx2,fma")))

// 8-lane forms of exp_approx and erf_approx (same polynomials; round-to-nearest-even for n).
PB_AVX2 inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  __m256 fn = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i n = _mm256_cvtps_epi32(fn);
  __m256 scale =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(p, scale);
}

PB_AVX2 inline __m256 erf8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
  __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
  p = _mm256_mul_ps(p, x);
  __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
  return _mm256_div_ps(p, q);
}

PB_AVX2 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

PB_AVX2 inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

PB_AVX2 void gelu_avx2(float* x, std::size_t n) {
  std::size_t i = 0;
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f),
               rsqrt2 = _mm256_set1_ps(0.70710678118654752f);
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 e = erf8(_mm256_mul_ps(v, rsqrt2));
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, e)));
  }
  for (; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + erf_approx(x[i] * 0.70710678118654752f));
}

PB_AVX2 void softmax_avx2(float* x, int m, int n, int ld) {
  for (int i = 0; i < m; ++i) {
    float* row = x + static_cast<std::size_t>(i) * ld;
    int j = 0;
    __m256 vmax = _mm256_set1_ps(-3.4e38f);
    for (; j + 8 <= n; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + j));
    float mx = hmax8(vmax);
    for (; j < n; ++j) mx = std::max(mx, row[j]);
    const __m256 vm = _mm256_set1_ps(mx);
    __m256 vsum = _mm256_setzero_ps();
    float sum = 0;
    for (j = 0; j + 8 <= n; j += 8) {
      __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), vm));
      _mm256_storeu_ps(row + j, e);
      vsum = _mm256_add_ps(vsum, e);
    }
    if (j < n) {  // tail: pad to a full vector with values whose exponential is ~0
      alignas(32) float buf[8];
      for (int t = 0; t < 8; ++t) buf[t] = j + t < n ? row[j + t] : mx - 100.0f;
      __m256 e = exp8(_mm256_sub_ps(_mm256_load_ps(buf), vm));
      _mm256_store_ps(buf, e);
      for (int t = 0; j + t < n; ++t) {
        row[j + t] = buf[t];
        sum += buf[t];
      }
    }
    sum += hsum8(vsum);
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (j = 0; j + 8 <= n; j += 8)
      _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
    for (; j < n; ++j) row[j] *= 1.0f / sum;
  }
}

PB_AVX2 void add_layer_norm_avx2(float* x, const float* r, int m, int n, const float* gamma,
                                 const float* beta, float eps) {
  for (int i = 0; i < m; ++i) {
    float* row = x + static_cast<std::size_t>(i) * n;
    int j = 0;
    __m256 vs = _mm256_setzero_ps();
    if (r) {
      const float* rr = r + static_cast<std::size_t>(i) * n;
      for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(rr + j));
        _mm256_storeu_ps(row + j, v);
        vs = _mm256_add_ps(vs, v);
      }
      for (; j < n; ++j) row[j] += rr[j];
    } else {
      for (; j + 8 <= n; j += 8) vs = _mm256_add_ps(vs, _mm256_loadu_ps(row + j));
    }
    float sum = hsum8(vs);
    for (int t = n / 8 * 8; t < n; ++t) sum += row[t];
    const float mean = sum / static_cast<float>(n);
    const __m256 vm = _mm256_set1_ps(mean);
    __m256 vv = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
      __m256 d = _mm256_sub_ps(_mm256_loadu_ps(row + j), vm);
      vv = _mm256_fmadd_ps(d, d, vv);
    }
    float var = hsum8(vv);
    for (; j < n; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<float>(n);
    const float inv = 1.0f / std::sqrt(var + eps);
    const __m256 vi = _mm256_set1_ps(inv);
    for (j = 0; j + 8 <= n; j += 8) {
      __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + j), vm), vi);
      _mm256_storeu_ps(row + j,
                       _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + j), _mm256_loadu_ps(beta + j)));
    }
    for (; j < n; ++j) row[j] = (row[j] - mean) * inv * gamma[j] + beta[j];
  }
}

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
bool cpu_has_avx2() { return false; }
#endif

const bool kAvx2 = cpu_has_avx2();

}  // namespace

void gelu(float* x, std::size_t n, bool simd) {
#if defined(__x86_64__)
  if (simd && kAvx2) return gelu_avx2(x, n);
#endif
  for (std::size_t i = 0; i < n; ++i) {
    float v = x[i];
    x[i] = 0.5f * v * (1.0f + erf_approx(v * 0.70710678118654752f));
  }
}

void add_layer_norm(float* x, const float* r, int m, int n, const float* gamma, const float* beta,
                    float eps, bool simd) {
#if defined(__x86_64__)
  if (simd && kAvx2) return add_layer_norm_avx2(x, r, m, n, gamma, beta, eps);
#endif
  for (int i = 0; i < m; ++i) {
    float* row = x + static_cast<std::size_t>(i) * n;
    if (r) {
      const float* rr = r + static_cast<std::size_t>(i) * n;
      for (int j = 0; j < n; ++j) row[j] += rr[j];
    }
    float mean = 0;
    for (int j = 0; j < n; ++j) mean += row[j];
    mean /= static_cast<float>(n);
    float var = 0;
    for (int j = 0; j < n; ++j) {
      float d = row[j] - mean;
      var += d * d;
    }
    var /= static_cast<float>(n);
    float inv = 1.0f / std::sqrt(var + eps);
    for (int j = 0; j < n; ++j) row[j] = (row[j] - mean) * inv * gamma[j] + beta[j];
  }
}

void softmax_rows(float* x, int m, int n, int ld, bool simd) {
#if defined(__x86_64__)
  if (simd && kAvx2) return softmax_avx2(x, m, n, ld);
#endif
  for (int i = 0; i < m; ++i) {
    float* row = x + static_cast<std::size_t>(i) * ld;
    float mx = row[0];
    for (int j = 1; j < n; ++j) mx = std::max(mx, row[j]);
    float sum = 0;
    for (int j = 0; j < n; ++j) {
      row[j] = exp_approx(row[j] - mx);
      sum += row[j];
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < n; ++j) row[j] *= inv;
  }
}

}  // namespace pb::embed::kernels
