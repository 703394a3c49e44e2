#pragma once
// Reader for the safetensors format (Hugging Face): an 8-byte little-endian header length, a
// JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}} and
// the tensor bytes, offsets relative to the end of the header. The file is memory-mapped;
// every offset, size and shape is validated on open, so a truncated or corrupt file is an
// error value and never a read out of bounds.
// Thread safety: immutable after open(); all methods are const and may run concurrently.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb::embed {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool, kOther };

struct TensorInfo {
  std::string name;
  DType dtype = DType::kOther;
  std::string dtype_name;            // as written in the header ("F32", "BF16", ...)
  std::vector<std::int64_t> shape;   // empty for a scalar
  std::span<const std::byte> bytes;  // inside the mapping, size checked against shape × dtype
  std::int64_t elements() const;
};

class SafeTensors {
 public:
  static Result<std::unique_ptr<SafeTensors>> open(const std::filesystem::path& file);
  // Parses an in-memory image (the caller keeps `data` alive); used by open() and the tests.
  static Result<std::unique_ptr<SafeTensors>> parse(std::span<const std::byte> data,
                                                    std::string what);
  ~SafeTensors();
  SafeTensors(const SafeTensors&) = delete;
  SafeTensors& operator=(const SafeTensors&) = delete;

  const TensorInfo* find(std::string_view name) const;
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // The whole file (for content hashing).
  std::span<const std::byte> file_bytes() const { return data_; }

  // Converts a F32/F16/BF16 tensor to float32. `expected_shape` (if not empty) must match.
  Result<std::vector<float>> read_float(std::string_view name,
                                        std::span<const std::int64_t> expected_shape = {}) const;

 private:
  SafeTensors() = default;
  std::string what_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::span<const std::byte> data_;
  std::vector<TensorInfo> tensors_;  // sorted by name
};

// IEEE half and bfloat16 to float (exact).
float half_to_float(std::uint16_t h);
float bf16_to_float(std::uint16_t h);

}  // namespace pb::embed
