#pragma once
// Vector arithmetic used by the vector indexes: dot products in float32 and int8, L2
// normalisation and symmetric int8 quantisation. The dot products pick AVX2 code at run time
// when the CPU has it (the binary itself targets baseline x86-64) and plain loops otherwise.

#include <cstddef>
#include <cstdint>
#include <span>

namespace pb::vector {

float dot(const float* a, const float* b, size_t n);
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, size_t n);
// Float vector times int8 codes (asymmetric: the query keeps full precision).
float dot_f32_i8(const float* a, const std::int8_t* b, size_t n);

// Scales x to unit length; false (and x untouched) when it is zero or not finite.
bool normalize(std::span<float> x);

// Symmetric per-vector quantisation: x ~= scale * code, codes in [-127, 127]. Returns scale
// (0 for the zero vector, whose codes are all 0).
float quantize(std::span<const float> x, std::int8_t* codes);

// Which implementation dot() and dot_i8() use ("avx2" or "scalar"), for benchmark reports.
const char* kernel_name();

}  // namespace pb::vector
