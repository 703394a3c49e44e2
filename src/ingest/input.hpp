#pragma once
// Streaming byte and line input. Files are read through zlib, so `.gz` (and concatenated
// gzip members) is decompressed transparently and plain files pass through unchanged.
// Memory stays flat whatever the file size: one fixed buffer plus the longest line.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pb::ingest {

class InputStream {
 public:
  // `path` "-" reads standard input.
  static Result<std::unique_ptr<InputStream>> open(const std::string& path);
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Reads up to n bytes; 0 at end of input.
  Result<size_t> read(char* buf, size_t n);
  // Peeks at the first bytes (after decompression) without consuming them.
  Result<std::string_view> peek(size_t n);

  const std::string& path() const { return path_; }
  // Progress in file bytes (compressed bytes for .gz) and the file size (0 if unknown).
  std::uint64_t position() const;
  std::uint64_t size() const { return size_; }

 private:
  InputStream() = default;
  std::string path_;
  void* gz_ = nullptr;  // gzFile
  std::uint64_t size_ = 0;
  std::string peeked_;
  size_t peek_pos_ = 0;
};

// Splits an InputStream into lines (without the trailing "\n" or "\r\n").
class LineReader {
 public:
  // Lines longer than max_line are returned truncated with `too_long()` set.
  explicit LineReader(InputStream& in, size_t max_line = 64u << 20);
  // Returns false at end of input.
  Result<bool> next(std::string_view& line);
  std::uint64_t line_number() const { return line_no_; }
  bool too_long() const { return too_long_; }

 private:
  Result<bool> fill();
  InputStream& in_;
  size_t max_line_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool too_long_ = false;
  std::uint64_t line_no_ = 0;
};

}  // namespace pb::ingest
