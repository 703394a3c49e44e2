#pragma once
// Helpers shared by tests: a temporary directory removed at the end of the test, file
// writers (plain and gzip), and paths to the repository and shared data.

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace pb::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pb-test-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    if (p) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("PB_KEEP_TEMP")) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path write_file(const std::filesystem::path& path,
                                        std::string_view content) {
  std::ofstream f(path, std::ios::binary);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  return path;
}

inline std::filesystem::path write_gz(const std::filesystem::path& path, std::string_view content) {
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
  gzclose(gz);
  return path;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The repository root ($PB_SOURCE_DIR, else the one this test was built from).
// Runs a shell command; its standard output.
inline std::string capture(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

inline std::filesystem::path source_dir() {
  if (const char* s = std::getenv("PB_SOURCE_DIR")) return s;
#ifdef PB_SOURCE_DIR_DEFAULT
  return PB_SOURCE_DIR_DEFAULT;
#else
  return std::filesystem::current_path();
#endif
}

// ../shared/data relative to the repository root.
inline std::filesystem::path shared_data() {
  return source_dir().parent_path() / "shared" / "data";
}

}  // namespace pb::testing
