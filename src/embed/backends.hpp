#pragma once
// Internals shared by the embedder backends (not part of the module's API).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "embed/embedder.hpp"

namespace pb::embed::detail {

// Settings resolved from LoadOptions, paperboy.json and the model's own files.
struct Settings {
  std::optional<Pooling> pooling;
  std::string query_prefix;
  std::string document_prefix;
  std::optional<std::size_t> max_length;
};

Result<Settings> resolve_settings(const std::filesystem::path& dir, const LoadOptions& options);

// Incremental FNV-1a 64 (the function of core/hash.hpp's fnv1a64, fed in pieces).
struct ContentHash {
  std::uint64_t h = 1469598103934665603ull;
  void add(std::string_view bytes);
  // Adds the file's name and content if it exists.
  Status add_file(const std::filesystem::path& file);
  std::string id(const std::filesystem::path& dir) const;  // "<dir name>@<16 hex>"
};

// Runs fn(worker, i) for i in [0, n) on `threads` threads (0 = all cores); worker < threads.
void parallel_for(std::size_t n, unsigned threads,
                  const std::function<void(unsigned worker, std::size_t i)>& fn);
unsigned resolve_threads(unsigned threads, std::size_t n);

void normalize(float* v, std::size_t n);

Result<std::unique_ptr<Embedder>> load_bert(const std::filesystem::path& dir,
                                            const LoadOptions& options, const Settings& settings);
Result<std::unique_ptr<Embedder>> load_static(const std::filesystem::path& dir,
                                              const Settings& settings);

}  // namespace pb::embed::detail
