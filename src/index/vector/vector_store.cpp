#include "index/vector/vector_store.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "core/files.hpp"

namespace pb::vector {
namespace {

constexpr char kMagic[8] = {'P', 'B', 'V', 'E', 'C', 'T', '0', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 64;

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t dim;
  std::uint64_t rows;
  std::uint64_t model_id_size;
  std::uint8_t reserved[32];
};
static_assert(sizeof(Header) == kHeaderSize);

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

Error io_error(const std::filesystem::path& p, const char* what) {
  return Error::io(fmt::format("{} {}: {}", what, p.string(), std::strerror(errno)));
}

Status pwrite_all(int fd, const void* data, size_t size, off_t offset,
                  const std::filesystem::path& p) {
  const auto* b = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, b, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(p, "writing");
    b += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<VectorStore>> VectorStore::create(const std::filesystem::path& path,
                                                         std::uint32_t dim, std::string model_id) {
  if (dim == 0 || dim > kMaxDim)
    return Error::invalid_input(fmt::format("vector dimension {} out of range", dim));
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.dim = dim;
  h.rows = 0;
  h.model_id_size = model_id.size();
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof h);
  bytes += model_id;
  bytes.resize(round_up(bytes.size(), 64), '\0');
  PB_RETURN_IF_ERROR(replace_file_atomically(path, bytes));
  return open(path);
}

Result<std::unique_ptr<VectorStore>> VectorStore::open(const std::filesystem::path& path) {
  std::unique_ptr<VectorStore> s(new VectorStore());
  s->path_ = path;
  s->fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (s->fd_ < 0) {
    if (errno == ENOENT) return Error::not_found(fmt::format("{}: no such file", path.string()));
    return io_error(path, "opening");
  }
  Header h{};
  ssize_t n = ::pread(s->fd_, &h, sizeof h, 0);
  auto corrupt = [&](std::string_view why) {
    return Error::corrupt(fmt::format("{}: not a paperboy vector file ({})", path.string(), why));
  };
  if (n != static_cast<ssize_t>(sizeof h)) return corrupt("short header");
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return corrupt("bad magic");
  if (h.version != kVersion) return corrupt(fmt::format("version {}", h.version));
  if (h.dim == 0 || h.dim > kMaxDim) return corrupt(fmt::format("dimension {}", h.dim));
  struct stat st {};
  if (::fstat(s->fd_, &st) != 0) return io_error(path, "reading");
  const size_t file_size = static_cast<size_t>(st.st_size);
  if (h.model_id_size > 4096 || kHeaderSize + h.model_id_size > file_size)
    return corrupt("model id size");
  s->dim_ = h.dim;
  s->model_id_.resize(h.model_id_size);
  if (h.model_id_size > 0 && ::pread(s->fd_, s->model_id_.data(), h.model_id_size, kHeaderSize) !=
                                 static_cast<ssize_t>(h.model_id_size))
    return corrupt("model id");
  s->data_offset_ = round_up(kHeaderSize + h.model_id_size, 64);
  if (h.rows > (file_size - std::min(file_size, s->data_offset_)) / s->row_size())
    return corrupt(fmt::format("{} rows do not fit in {} bytes", h.rows, file_size));
  s->rows_ = h.rows;
  PB_RETURN_IF_ERROR(s->map_rows());
  s->index_rows(0);
  return s;
}

VectorStore::~VectorStore() {
  if (map_) ::munmap(const_cast<std::uint8_t*>(map_), map_size_);
  if (fd_ >= 0) ::close(fd_);
}

Status VectorStore::map_rows() {
  if (map_) ::munmap(const_cast<std::uint8_t*>(map_), map_size_);
  map_ = nullptr;
  map_size_ = data_offset_ + rows_ * row_size();
  void* m = ::mmap(nullptr, map_size_, PROT_READ, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) {
    map_size_ = 0;
    return io_error(path_, "mapping");
  }
  map_ = static_cast<const std::uint8_t*>(m);
  return ok_status();
}

void VectorStore::index_rows(size_t from) {
  live_.resize(rows_, false);
  for (size_t r = from; r < rows_; ++r) {
    auto [it, inserted] = by_id_.try_emplace(std::string(id(r)), static_cast<std::uint32_t>(r));
    if (!inserted) {
      live_[it->second] = false;
      it->second = static_cast<std::uint32_t>(r);
    }
    live_[r] = true;
  }
}

std::string_view VectorStore::id(size_t row) const {
  const char* p = reinterpret_cast<const char*>(map_ + data_offset_ + row * row_size());
  return {p, ::strnlen(p, kMaxIdSize)};
}

std::span<const float> VectorStore::vector(size_t row) const {
  const auto* p = map_ + data_offset_ + row * row_size() + 64;
  return {reinterpret_cast<const float*>(p), dim_};
}

std::optional<std::uint32_t> VectorStore::find(std::string_view id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

Status VectorStore::append(std::span<const std::string> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * dim_)
    return Error::invalid_input(
        fmt::format("{} floats for {} vectors of dimension {}", vectors.size(), ids.size(), dim_));
  if (ids.empty()) return ok_status();
  std::string bytes(ids.size() * row_size(), '\0');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty() || ids[i].size() > kMaxIdSize || ids[i].find('\0') != std::string::npos)
      return Error::invalid_input(fmt::format("vector id '{}' must have 1 to {} bytes, no NUL",
                                              ids[i].substr(0, 80), kMaxIdSize));
    for (size_t j = 0; j < dim_; ++j)
      if (!std::isfinite(vectors[i * dim_ + j]))
        return Error::invalid_input(fmt::format("vector for '{}' is not finite", ids[i]));
    char* row = bytes.data() + i * row_size();
    std::memcpy(row, ids[i].data(), ids[i].size());
    std::memcpy(row + 64, vectors.data() + i * dim_, sizeof(float) * dim_);
  }
  const off_t at = static_cast<off_t>(data_offset_ + rows_ * row_size());
  PB_RETURN_IF_ERROR(pwrite_all(fd_, bytes.data(), bytes.size(), at, path_));
  if (::fdatasync(fd_) != 0) return io_error(path_, "syncing");
  const std::uint64_t new_rows = rows_ + ids.size();
  PB_RETURN_IF_ERROR(pwrite_all(fd_, &new_rows, sizeof new_rows, offsetof(Header, rows), path_));
  if (::fdatasync(fd_) != 0) return io_error(path_, "syncing");
  const size_t from = rows_;
  rows_ = new_rows;
  PB_RETURN_IF_ERROR(map_rows());
  index_rows(from);
  return ok_status();
}

}  // namespace pb::vector
