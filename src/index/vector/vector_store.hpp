#pragma once
// The vectors of one embedding model, kept in one append-only file beside the indexes:
//
//   header (64 bytes)   magic "PBVECT01", version, dim, row count, model id size
//   model id            bytes, padded to a multiple of 64
//   rows                char id[64] (NUL-padded, at most 63 bytes) then float[dim]
//
// An append writes its rows past the current count and fsyncs them, then rewrites the count in
// the header and fsyncs again: a crash at any point leaves the rows of the last completed
// append (bytes beyond the count are ignored and overwritten by the next append). A paper
// embedded again gets a new row; the latest row of an id is its live one.
// Thread safety: const methods may run concurrently with each other, not with append().

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace pb::vector {

class VectorStore {
 public:
  static constexpr size_t kMaxIdSize = 63;
  static constexpr std::uint32_t kMaxDim = 1 << 16;

  // Creates a new, empty file (replacing any file at `path`).
  static Result<std::unique_ptr<VectorStore>> create(const std::filesystem::path& path,
                                                     std::uint32_t dim, std::string model_id);
  static Result<std::unique_ptr<VectorStore>> open(const std::filesystem::path& path);
  ~VectorStore();
  VectorStore(const VectorStore&) = delete;
  VectorStore& operator=(const VectorStore&) = delete;

  // Appends one row per id; `vectors` holds ids.size() * dim() floats. Durable on return.
  Status append(std::span<const std::string> ids, std::span<const float> vectors);

  std::uint32_t dim() const { return dim_; }
  const std::string& model_id() const { return model_id_; }
  size_t rows() const { return rows_; }
  size_t live_rows() const { return by_id_.size(); }
  std::string_view id(size_t row) const;
  std::span<const float> vector(size_t row) const;
  // The live (latest) row of `id`.
  std::optional<std::uint32_t> find(std::string_view id) const;
  bool live(size_t row) const { return live_[row]; }
  const std::filesystem::path& path() const { return path_; }

 private:
  VectorStore() = default;
  Status map_rows();
  void index_rows(size_t from);
  size_t row_size() const { return 64 + sizeof(float) * dim_; }

  std::filesystem::path path_;
  int fd_ = -1;
  std::uint32_t dim_ = 0;
  std::string model_id_;
  size_t data_offset_ = 0;  // where the rows start
  size_t rows_ = 0;
  const std::uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::uint32_t, IdHash, std::equal_to<>> by_id_;
  std::vector<bool> live_;
};

}  // namespace pb::vector
