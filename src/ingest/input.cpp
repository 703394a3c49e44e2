#include "ingest/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pb::ingest {

Result<std::unique_ptr<InputStream>> InputStream::open(const std::string& path) {
  auto in = std::unique_ptr<InputStream>(new InputStream());
  in->path_ = path;
  int fd;
  if (path == "-") {
    fd = dup(STDIN_FILENO);
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return Error::io(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    if (S_ISDIR(st.st_mode)) return Error::io(fmt::format("cannot read {}: is a directory", path));
    in->size_ = static_cast<std::uint64_t>(st.st_size);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return Error::io(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  gzFile gz = gzdopen(fd, "rb");
  if (!gz) {
    ::close(fd);
    return Error::io(fmt::format("cannot read {}: out of memory", path));
  }
  gzbuffer(gz, 1u << 17);
  in->gz_ = gz;
  return in;
}

InputStream::~InputStream() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

Result<size_t> InputStream::read(char* buf, size_t n) {
  if (peek_pos_ < peeked_.size()) {
    size_t k = std::min(n, peeked_.size() - peek_pos_);
    std::memcpy(buf, peeked_.data() + peek_pos_, k);
    peek_pos_ += k;
    return k;
  }
  auto* gz = static_cast<gzFile>(gz_);
  size_t want = std::min<size_t>(n, 1u << 30);
  int got = gzread(gz, buf, static_cast<unsigned>(want));
  if (got < 0) {
    int errnum = 0;
    const char* msg = gzerror(gz, &errnum);
    if (errnum == Z_ERRNO) msg = std::strerror(errno);
    return Error::io(fmt::format("{}: read failed: {}", path_, msg));
  }
  if (got == 0) {
    // zlib reports a truncated gzip stream only through gzerror.
    int errnum = 0;
    const char* msg = gzerror(gz, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END)
      return Error::io(fmt::format("{}: read failed: {}", path_, msg));
  }
  return static_cast<size_t>(got);
}

Result<std::string_view> InputStream::peek(size_t n) {
  while (peeked_.size() - peek_pos_ < n) {
    char buf[4096];
    size_t want = std::min(sizeof buf, n - (peeked_.size() - peek_pos_));
    auto* gz = static_cast<gzFile>(gz_);
    int got = gzread(gz, buf, static_cast<unsigned>(want));
    if (got < 0) return Error::io(fmt::format("{}: read failed", path_));
    if (got == 0) break;
    peeked_.append(buf, static_cast<size_t>(got));
  }
  return std::string_view(peeked_).substr(peek_pos_);
}

std::uint64_t InputStream::position() const {
  auto off = gzoffset(static_cast<gzFile>(gz_));
  return off < 0 ? 0 : static_cast<std::uint64_t>(off);
}

LineReader::LineReader(InputStream& in, size_t max_line) : in_(in), max_line_(max_line) {
  buf_.resize(1u << 20);
}

Result<bool> LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  PB_ASSIGN_OR_RETURN(size_t got, in_.read(buf_.data() + end_, buf_.size() - end_));
  if (got == 0) eof_ = true;
  end_ += got;
  return got > 0;
}

Result<bool> LineReader::next(std::string_view& line) {
  too_long_ = false;
  size_t scan_from = begin_;
  for (;;) {
    const char* start = buf_.data() + scan_from;
    const void* nl = std::memchr(start, '\n', end_ - scan_from);
    if (nl) {
      size_t pos = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      size_t len = pos - begin_;
      line = std::string_view(buf_.data() + begin_, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      begin_ = pos + 1;
      ++line_no_;
      return true;
    }
    if (end_ - begin_ > max_line_) {
      // Discard the rest of an over-long line, keeping memory flat.
      line_no_++;
      too_long_ = true;
      for (;;) {
        begin_ = end_ = 0;
        PB_ASSIGN_OR_RETURN(bool more, fill());
        if (!more) break;
        if (const void* p = std::memchr(buf_.data(), '\n', end_)) {
          begin_ = static_cast<size_t>(static_cast<const char*>(p) - buf_.data()) + 1;
          break;
        }
      }
      line = std::string_view();
      return true;
    }
    if (eof_) {
      if (begin_ == end_) return false;
      line = std::string_view(buf_.data() + begin_, end_ - begin_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      begin_ = end_;
      ++line_no_;
      return true;
    }
    size_t scanned = end_ - begin_;
    PB_ASSIGN_OR_RETURN(bool more, fill());
    (void)more;
    scan_from = begin_ + scanned;
  }
}

}  // namespace pb::ingest
