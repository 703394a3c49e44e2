#include "core/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pb {

Status fsync_path(const std::filesystem::path& p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Error::io(fmt::format("opening {}: {}", p.string(), std::strerror(errno)));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error::io(fmt::format("syncing {}: {}", p.string(), std::strerror(errno)));
  return ok_status();
}

Status write_file_durably(const std::filesystem::path& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::io(fmt::format("creating {}: {}", path.string(), std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Error::io(fmt::format("writing {}: {}", path.string(), std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error::io(fmt::format("syncing {}: {}", path.string(), std::strerror(errno)));
  return ok_status();
}

Status replace_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  PB_RETURN_IF_ERROR(write_file_durably(tmp, content));
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Error::io(fmt::format("renaming {}: {}", tmp.string(), std::strerror(errno)));
  std::filesystem::path dir = path.parent_path();
  return fsync_path(dir.empty() ? std::filesystem::path(".") : dir, true);
}

}  // namespace pb
