#include "index/vector/hnsw.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <queue>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "index/vector/kernels.hpp"

namespace pb::vector {
namespace {

constexpr char kMagic[8] = {'P', 'B', 'H', 'N', 'S', 'W', '0', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kNone = UINT32_MAX;
constexpr int kMaxLevel = 15;

struct FileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t dim;
  std::uint32_t m;
  std::uint32_t ef_construction;
  std::uint64_t seed;
  std::uint64_t count;
  std::uint64_t upper_size;
  std::uint32_t entry;
  std::int32_t max_level;
  std::uint64_t checksum;  // FNV-1a 64 of everything after the header
};

template <typename T>
std::string_view bytes_of(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

// Best first for the candidate queue; worst on top for the result queue.
struct Closer {
  bool operator()(const std::pair<float, std::uint32_t>& a,
                  const std::pair<float, std::uint32_t>& b) const {
    return a.first < b.first;
  }
};
struct Farther {
  bool operator()(const std::pair<float, std::uint32_t>& a,
                  const std::pair<float, std::uint32_t>& b) const {
    return a.first > b.first;
  }
};

}  // namespace

Hnsw::Hnsw(std::uint32_t dim, HnswParams params) : params_(params), dim_(dim), rng_(params.seed) {
  params_.m = std::clamp<std::uint32_t>(params_.m, 2, 128);
  params_.ef_construction = std::max<std::uint32_t>(params_.ef_construction, params_.m);
  stride_ = 2 + 2 * static_cast<size_t>(params_.m) + (dim_ + 3) / 4;
}

float Hnsw::scale(std::uint32_t node) const {
  return std::bit_cast<float>(block(node)[1 + 2 * params_.m]);
}

int Hnsw::random_level() {
  std::uniform_real_distribution<double> u(std::numeric_limits<double>::min(), 1.0);
  const double ml = 1.0 / std::log(static_cast<double>(params_.m));
  return std::min(kMaxLevel, static_cast<int>(-std::log(u(rng_)) * ml));
}

std::span<std::uint32_t> Hnsw::links(std::uint32_t node, int level) {
  if (level == 0) {
    std::uint32_t* p = block(node);
    return {p + 1, p[0]};
  }
  std::uint32_t* p =
      upper_.data() + upper_offset_[node] + static_cast<size_t>(level - 1) * (1 + params_.m);
  return {p + 1, p[0]};
}

std::span<const std::uint32_t> Hnsw::links(std::uint32_t node, int level) const {
  return const_cast<Hnsw*>(this)->links(node, level);
}

void Hnsw::set_links(std::uint32_t node, int level, const std::vector<std::uint32_t>& to) {
  std::uint32_t* p = level == 0 ? block(node)
                                : upper_.data() + upper_offset_[node] +
                                      static_cast<size_t>(level - 1) * (1 + params_.m);
  p[0] = static_cast<std::uint32_t>(to.size());
  std::copy(to.begin(), to.end(), p + 1);
}

float Hnsw::sim(const Target& t, std::uint32_t node) const {
  if (t.query) return scale(node) * dot_f32_i8(t.query, code(node), dim_);
  return t.scale * scale(node) * static_cast<float>(dot_i8(t.codes, code(node), dim_));
}

float Hnsw::sim(std::uint32_t a, std::uint32_t b) const {
  if (exact_) return dot(exact_(a), exact_(b), dim_);
  return sim(Target{code(a), scale(a)}, b);
}

std::uint32_t Hnsw::greedy(const Target& t, std::uint32_t entry, int level) const {
  std::uint32_t cur = entry;
  float best = sim(t, cur);
  for (bool moved = true; moved;) {
    moved = false;
    for (std::uint32_t n : links(cur, level)) {
      float s = sim(t, n);
      if (s > best) {
        best = s;
        cur = n;
        moved = true;
      }
    }
  }
  return cur;
}

std::vector<Hnsw::Scored> Hnsw::search_layer(const Target& t, std::uint32_t entry, size_t ef,
                                             int level, const RowFilter* filter) const {
  std::vector<std::uint64_t> visited((size() + 63) / 64, 0);
  auto visit = [&](std::uint32_t n) {
    std::uint64_t bit = std::uint64_t{1} << (n & 63);
    if (visited[n >> 6] & bit) return false;
    visited[n >> 6] |= bit;
    return true;
  };
  std::priority_queue<Scored, std::vector<Scored>, Closer> candidates;
  std::priority_queue<Scored, std::vector<Scored>, Farther> results;
  auto accept = [&](std::uint32_t n) { return !filter || (*filter)(n); };
  visit(entry);
  const float s0 = sim(t, entry);
  candidates.push({s0, entry});
  if (accept(entry)) results.push({s0, entry});
  while (!candidates.empty()) {
    const auto [s, c] = candidates.top();
    if (results.size() >= ef && s < results.top().first) break;
    candidates.pop();
    const auto nl = links(c, level);
    for (size_t i = 0; i < nl.size(); ++i) {
      const std::uint32_t n = nl[i];
      if (i + 1 < nl.size()) __builtin_prefetch(code(nl[i + 1]));
      if (!visit(n)) continue;
      const float sn = sim(t, n);
      if (results.size() < ef || sn > results.top().first) {
        candidates.push({sn, n});
        if (accept(n)) {
          results.push({sn, n});
          if (results.size() > ef) results.pop();
        }
      }
    }
  }
  std::vector<Scored> out;
  out.reserve(results.size());
  for (; !results.empty(); results.pop()) out.push_back(results.top());
  std::reverse(out.begin(), out.end());  // best first
  return out;
}

// Algorithm 4 of the paper: take candidates best first, keeping one only if it is closer to
// the target than to every neighbour kept so far (which spreads links in all directions).
std::vector<std::uint32_t> Hnsw::select(const std::vector<Scored>& candidates, size_t m) const {
  std::vector<std::uint32_t> kept;
  for (const auto& [s, c] : candidates) {
    if (kept.size() >= m) break;
    bool diverse = true;
    for (std::uint32_t r : kept) {
      if (sim(c, r) > s) {
        diverse = false;
        break;
      }
    }
    if (diverse) kept.push_back(c);
  }
  return kept;
}

void Hnsw::add(std::span<const float> v) {
  const auto id = static_cast<std::uint32_t>(size());
  nodes_.resize(nodes_.size() + stride_, 0);
  {
    std::uint32_t* b = block(id);
    auto* codes = reinterpret_cast<std::int8_t*>(b + 2 + 2 * params_.m);
    b[1 + 2 * params_.m] =
        std::bit_cast<std::uint32_t>(quantize(v.first(std::min<size_t>(v.size(), dim_)), codes));
  }
  const int level = random_level();
  levels_.push_back(static_cast<std::uint8_t>(level));
  if (level > 0) {
    upper_offset_.push_back(static_cast<std::uint32_t>(upper_.size()));
    upper_.resize(upper_.size() + static_cast<size_t>(level) * (1 + params_.m), 0);
  } else {
    upper_offset_.push_back(kNone);
  }
  if (max_level_ < 0) {
    entry_ = id;
    max_level_ = level;
    return;
  }
  const Target t{code(id), scale(id), v.size() == dim_ ? v.data() : nullptr};
  std::uint32_t ep = entry_;
  for (int l = max_level_; l > level; --l) ep = greedy(t, ep, l);
  for (int l = std::min(level, max_level_); l >= 0; --l) {
    auto found = search_layer(t, ep, params_.ef_construction, l, nullptr);
    auto chosen = select(found, params_.m);
    set_links(id, l, chosen);
    for (std::uint32_t n : chosen) {
      auto nl = links(n, l);
      if (nl.size() < max_links(l)) {
        std::uint32_t* p = nl.data() - 1;
        p[1 + p[0]] = id;
        ++p[0];
        continue;
      }
      std::vector<Scored> pool;
      pool.reserve(nl.size() + 1);
      pool.push_back({sim(n, id), id});
      for (std::uint32_t x : nl) pool.push_back({sim(n, x), x});
      std::sort(pool.begin(), pool.end(), [](const Scored& a, const Scored& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      set_links(n, l, select(pool, max_links(l)));
    }
    if (!found.empty()) ep = found.front().second;
  }
  if (level > max_level_) {
    max_level_ = level;
    entry_ = id;
  }
}

std::vector<Neighbor> Hnsw::search(std::span<const float> query, size_t k, size_t ef,
                                   const RowFilter* filter) const {
  if (size() == 0 || k == 0 || query.size() != dim()) return {};
  const Target t{nullptr, 0, query.data()};
  std::uint32_t ep = entry_;
  for (int l = max_level_; l > 0; --l) ep = greedy(t, ep, l);
  auto found = search_layer(t, ep, std::max(ef, k), 0, filter);
  std::vector<Neighbor> out;
  for (size_t i = 0; i < found.size() && i < k; ++i)
    out.push_back({found[i].second, found[i].first});
  return out;
}

std::vector<Neighbor> Hnsw::exact_search(std::span<const float> query, size_t k) const {
  TopK top(k);
  if (query.size() != dim()) return {};
  std::vector<std::int8_t> q(dim());
  const Target t{q.data(), quantize(query, q.data())};
  for (std::uint32_t i = 0; i < size(); ++i) top.offer(i, sim(t, i));
  return top.take();
}

size_t Hnsw::memory_bytes() const {
  return levels_.size() +
         sizeof(std::uint32_t) * (nodes_.size() + upper_offset_.size() + upper_.size());
}

Status Hnsw::save(const std::filesystem::path& path) const {
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.dim = dim();
  h.m = params_.m;
  h.ef_construction = params_.ef_construction;
  h.seed = params_.seed;
  h.count = size();
  h.upper_size = upper_.size();
  h.entry = entry_;
  h.max_level = max_level_;
  std::string body;
  body.reserve(memory_bytes());
  body += bytes_of(nodes_);
  body += bytes_of(levels_);
  body += bytes_of(upper_offset_);
  body += bytes_of(upper_);
  h.checksum = fnv1a64(body);
  std::string file(reinterpret_cast<const char*>(&h), sizeof h);
  file += body;
  return replace_file_atomically(path, file);
}

Result<std::unique_ptr<Hnsw>> Hnsw::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::not_found(fmt::format("{}: cannot open", path.string()));
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto corrupt = [&](std::string_view why) {
    return Error::corrupt(fmt::format("{}: damaged HNSW index ({})", path.string(), why));
  };
  FileHeader h{};
  if (file.size() < sizeof h) return corrupt("short header");
  std::memcpy(&h, file.data(), sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return corrupt("bad magic");
  if (h.version != kVersion) return corrupt(fmt::format("version {}", h.version));
  if (h.dim == 0 || h.dim > VectorStore::kMaxDim || h.m < 2 || h.m > 128)
    return corrupt("parameters");
  const std::uint64_t n = h.count, m0 = 2ull * h.m;
  const std::uint64_t stride = 2 + m0 + (h.dim + 3) / 4;
  const std::uint64_t need = n * stride * 4 + n + n * 4 + h.upper_size * 4;
  if (n > (1ull << 32) - 2 || h.upper_size > (1ull << 40) || file.size() - sizeof h != need)
    return corrupt("size");
  std::string_view body(file.data() + sizeof h, file.size() - sizeof h);
  if (fnv1a64(body) != h.checksum) return corrupt("checksum");
  HnswParams p;
  p.m = h.m;
  p.ef_construction = h.ef_construction;
  p.seed = h.seed;
  auto g = std::make_unique<Hnsw>(h.dim, p);
  const char* at = body.data();
  auto read = [&](auto& v, size_t count) {
    v.resize(count);
    if (count == 0) return;  // a graph with no upper levels: data() may be null
    std::memcpy(v.data(), at, count * sizeof(v[0]));
    at += count * sizeof(v[0]);
  };
  read(g->nodes_, n * g->stride_);
  read(g->levels_, n);
  read(g->upper_offset_, n);
  read(g->upper_, h.upper_size);
  g->entry_ = h.entry;
  g->max_level_ = h.max_level;
  // Structure checks, so that search never follows a bad link.
  if (n == 0 ? h.max_level != -1
             : (h.entry >= n || h.max_level < 0 || h.max_level > kMaxLevel ||
                g->levels_[h.entry] != h.max_level))
    return corrupt("entry point");
  for (std::uint32_t i = 0; i < n; ++i) {
    const int lv = g->levels_[i];
    if (lv > h.max_level) return corrupt("node level");
    if (lv > 0 && (g->upper_offset_[i] == kNone ||
                   g->upper_offset_[i] + static_cast<std::uint64_t>(lv) * (1 + h.m) > h.upper_size))
      return corrupt("upper links offset");
    for (int l = 0; l <= lv; ++l) {
      const std::uint32_t* q =
          l == 0 ? g->block(i)
                 : g->upper_.data() + g->upper_offset_[i] + static_cast<size_t>(l - 1) * (1 + h.m);
      if (q[0] > (l == 0 ? m0 : h.m)) return corrupt("link count");
      for (std::uint32_t j = 0; j < q[0]; ++j)
        if (q[1 + j] >= n || g->levels_[q[1 + j]] < l) return corrupt("link target");
    }
  }
  g->rng_.seed(h.seed + n);  // new nodes after a reload get fresh, reproducible levels
  return g;
}

}  // namespace pb::vector
