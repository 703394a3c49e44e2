#include "embed/embedder.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include "embed/backends.hpp"
#include "embed/json_util.hpp"
#include "embed/safetensors.hpp"

namespace pb::embed {

Result<std::vector<float>> Embedder::embed_one(std::string_view text, Kind kind) const {
  std::string s(text);
  PB_ASSIGN_OR_RETURN(Embeddings e, embed(std::span<const std::string>(&s, 1), kind));
  return std::move(e.data);
}

namespace detail {

// FNV-1a over 8-byte little-endian words (then the tail byte by byte): weights files are
// hundreds of megabytes, and this runs on every model load.
void ContentHash::add(std::string_view bytes) {
  std::uint64_t x = h;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = (w << 8) | static_cast<unsigned char>(bytes[i + b]);
    x ^= w;
    x *= 1099511628211ull;
  }
  for (; i < bytes.size(); ++i) {
    x ^= static_cast<unsigned char>(bytes[i]);
    x *= 1099511628211ull;
  }
  h = x;
}

Status ContentHash::add_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return ok_status();
  PB_ASSIGN_OR_RETURN(std::string content, read_text_file(file));
  add(file.filename().string());
  add(content);
  return ok_status();
}

std::string ContentHash::id(const std::filesystem::path& dir) const {
  std::filesystem::path p = dir;
  if (p.filename().empty()) p = p.parent_path();  // "dir/" has an empty file name
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return p.filename().string() + "@" + hex;
}

unsigned resolve_threads(unsigned threads, std::size_t n) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(n, 1)));
}

void parallel_for(std::size_t n, unsigned threads,
                  const std::function<void(unsigned, std::size_t)>& fn) {
  threads = resolve_threads(threads, n);
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(0, i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  auto work = [&](unsigned w) {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(w, i);
  };
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
}

void normalize(float* v, std::size_t n) {
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) ss += static_cast<double>(v[i]) * v[i];
  if (ss <= 0) return;
  auto inv = static_cast<float>(1.0 / std::sqrt(ss));
  for (std::size_t i = 0; i < n; ++i) v[i] *= inv;
}

Result<Settings> resolve_settings(const std::filesystem::path& dir, const LoadOptions& options) {
  Settings s;
  std::error_code ec;
  const auto file = dir / "paperboy.json";
  if (std::filesystem::exists(file, ec)) {
    PB_ASSIGN_OR_RETURN(nlohmann::json j, read_json_file(file));
    if (auto v = json_string(j, "query_prefix")) s.query_prefix = *v;
    if (auto v = json_string(j, "document_prefix")) s.document_prefix = *v;
    if (auto v = json_string(j, "pooling")) {
      if (*v == "cls") {
        s.pooling = Pooling::kCls;
      } else if (*v == "mean") {
        s.pooling = Pooling::kMean;
      } else {
        return Error::invalid_input(file.string() + ": pooling must be \"cls\" or \"mean\"");
      }
    }
    if (j.contains("max_length")) {
      auto v = json_int(j, "max_length");
      if (!v || *v < 2) return Error::invalid_input(file.string() + ": max_length must be >= 2");
      s.max_length = static_cast<std::size_t>(*v);
    }
  }
  if (options.pooling) s.pooling = options.pooling;
  if (options.query_prefix) s.query_prefix = *options.query_prefix;
  if (options.document_prefix) s.document_prefix = *options.document_prefix;
  if (options.max_length) {
    if (*options.max_length < 2) return Error::invalid_input("max_length must be >= 2");
    s.max_length = options.max_length;
  }
  return s;
}

}  // namespace detail

Result<std::unique_ptr<Embedder>> load_model(const std::filesystem::path& dir,
                                             const LoadOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Error::not_found(dir.string() + ": model directory does not exist");
  if (!std::filesystem::exists(dir / "config.json", ec))
    return Error::not_found(dir.string() + ": no config.json (not a Hugging Face model directory)");
  PB_ASSIGN_OR_RETURN(detail::Settings settings, detail::resolve_settings(dir, options));
  PB_ASSIGN_OR_RETURN(nlohmann::json config, read_json_file(dir / "config.json"));
  std::string type = json_string(config, "model_type").value_or("");
  if (type.empty() && std::filesystem::exists(dir / "model.safetensors", ec)) {
    // Older model2vec configs have no model_type: recognise the embedding table.
    auto st = SafeTensors::open(dir / "model.safetensors");
    if (st.ok() && (*st)->find("embeddings")) type = "model2vec";
  }
  if (type == "model2vec") return detail::load_static(dir, settings);
  if (type == "bert") return detail::load_bert(dir, options, settings);
  return Error::unsupported(dir.string() + ": model type '" + type +
                            "' is not supported (bert and model2vec are)");
}

}  // namespace pb::embed
