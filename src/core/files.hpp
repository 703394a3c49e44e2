#pragma once
// Durable file operations shared by the index writers: a file's bytes and its directory entry
// reach the disk before a caller reports success (or renames a new file into place).

#include <filesystem>
#include <string_view>

#include "core/result.hpp"

namespace pb {

// fsync() a file, or a directory (to persist the entries created, renamed or removed in it).
Status fsync_path(const std::filesystem::path& path, bool directory);

// Creates or truncates `path`, writes `content` and fsyncs it.
Status write_file_durably(const std::filesystem::path& path, std::string_view content);

// Writes `content` to `path` atomically: a temporary file beside it is written and synced,
// then renamed over `path`, and the directory synced. A crash leaves the old or the new file.
Status replace_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace pb
