#pragma once
// Numeric kernels of the BERT encoder: fp32 linear layers on OpenBLAS sgemm, int8 linear
// layers with dynamic quantisation (own AVX-512 VNNI kernel; sgemm on the dequantised values
// on CPUs without VNNI; a portable integer kernel as the reference), and the element-wise
// parts (GELU, LayerNorm, softmax; AVX2+FMA or portable code).
// All functions are pure (no shared state) and may run concurrently.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pb::embed::kernels {

// Keeps OpenBLAS to one thread per call: paperboy parallelises over texts instead.
void init_blas();

// y[m×n] = x[m×k] · w[n×k]ᵀ + bias[n] (bias may be null). Row-major, leading dims given.
void linear_f32(const float* x, int m, int k, int ldx, const float* w, int n, const float* bias,
                float* y, int ldy);
// c[m×n] = alpha · a[m×k] · bᵀ (b is n×k) or alpha · a · b (b is k×n), row-major.
void gemm_nt(int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
             float* c, int ldc);
void gemm_nn(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
             int ldc);

// A linear layer quantised per output channel (symmetric, scale = max|w|/127). Weights are
// packed for the int8 kernel: blocks of 16 outputs × 4 consecutive inputs (VNNI layout), the
// output count padded to a multiple of 32 and the input count to a multiple of 4.
struct QuantizedLinear {
  int n = 0, k = 0, n_pad = 0, k_pad = 0;
  std::vector<std::int8_t> packed;   // n_pad/16 blocks × k_pad/4 × 16 × 4
  std::vector<std::int32_t> offset;  // 128 · Σ_k w[o][k]: undoes the +128 on activations
  std::vector<float> scale;          // per output channel
  std::vector<float> bias;           // n_pad (zeros when absent)
  std::vector<float> dequantized;    // n × k, q·scale: only for Int8Kernel::kDequantizedBlas
};

// How linear_int8 computes. kAuto: the VNNI kernel when the CPU has AVX-512 VNNI, else
// kDequantizedBlas. kDequantizedBlas runs sgemm on the dequantised weights and activations
// (the same values as the integer kernels up to float rounding, at fp32 speed: an int8 kernel
// without VNNI would not be faster than OpenBLAS). kPortable is plain C++ integer arithmetic.
enum class Int8Kernel { kAuto, kVnni, kDequantizedBlas, kPortable };

// `keep_dequantized` defaults to what kAuto needs on this CPU.
QuantizedLinear quantize_linear(const float* w, int n, int k, const float* bias);
QuantizedLinear quantize_linear(const float* w, int n, int k, const float* bias,
                                bool keep_dequantized);

// Per-thread scratch for linear_int8.
struct Int8Scratch {
  std::vector<std::uint8_t> a;
  std::vector<float> row_scale;
  std::vector<float> fake;  // dequantised activations (kDequantizedBlas)
};

// y[m×n] ≈ x[m×k] · wᵀ + bias: each row of x is quantised to int8 with its own scale
// (dynamic quantisation), products are accumulated in int32 and rescaled.
void linear_int8(const float* x, int m, int ldx, const QuantizedLinear& q, float* y, int ldy,
                 Int8Scratch& scratch, Int8Kernel kernel = Int8Kernel::kAuto);
bool has_int8_simd();  // AVX-512 VNNI

// The element-wise functions use AVX2+FMA when the CPU has it; `simd` = false forces the
// portable code (the tests compare both).
// GELU with the exact erf form, 0.5·x·(1 + erf(x/√2)) (Hendrycks & Gimpel 2016), as BERT uses.
void gelu(float* x, std::size_t n, bool simd = true);
float erf_approx(float x);  // |error| < 5e-7 (exposed for the tests)
float exp_approx(float x);  // relative error < 2e-7
// x[i] = LayerNorm(x[i] + r[i]) row by row (r may be null), γ/β per column.
void add_layer_norm(float* x, const float* r, int m, int n, const float* gamma, const float* beta,
                    float eps, bool simd = true);
// Row-wise softmax of an m×n matrix with leading dimension ld.
void softmax_rows(float* x, int m, int n, int ld, bool simd = true);

}  // namespace pb::embed::kernels
