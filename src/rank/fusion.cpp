#include "rank/fusion.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace pb::rank {
namespace {

struct Acc {
  double score = 0;
  size_t list = std::numeric_limits<size_t>::max();  // earliest list holding the document
  size_t rank = 0;                                   // its rank there
};

template <typename Contribution>
std::vector<Scored> fuse(std::span<const FusionList> lists, size_t limit, Contribution contrib) {
  std::unordered_map<std::string, Acc> acc;
  std::vector<std::string> order;
  for (size_t l = 0; l < lists.size(); ++l) {
    const auto& list = lists[l];
    for (size_t r = 0; r < list.items.size(); ++r) {
      const std::string& id = list.items[r].id;
      auto it = acc.find(id);
      if (it == acc.end()) {
        if (list.weight <= 0) continue;  // only lists that count bring documents in
        it = acc.emplace(id, Acc{}).first;
        order.push_back(id);
      }
      Acc& a = it->second;
      if (a.list > l) {
        a.list = l;
        a.rank = r;
      }
      if (list.weight > 0) a.score += contrib(l, r);
    }
  }
  std::vector<Scored> out;
  out.reserve(order.size());
  for (const auto& id : order) out.push_back({id, acc[id].score});
  std::sort(out.begin(), out.end(), [&](const Scored& x, const Scored& y) {
    if (x.score != y.score) return x.score > y.score;
    const Acc& a = acc[x.id];
    const Acc& b = acc[y.id];
    if (a.list != b.list) return a.list < b.list;
    if (a.rank != b.rank) return a.rank < b.rank;
    return x.id < y.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace

std::vector<Scored> reciprocal_rank_fusion(std::span<const FusionList> lists, size_t limit,
                                           double k) {
  return fuse(lists, limit, [&](size_t l, size_t r) {
    return lists[l].weight / (k + static_cast<double>(r + 1));
  });
}

std::vector<Scored> score_fusion(std::span<const FusionList> lists, size_t limit) {
  std::vector<std::pair<double, double>> range(lists.size());  // min, max per list
  for (size_t l = 0; l < lists.size(); ++l) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& s : lists[l].items) {
      lo = std::min(lo, s.score);
      hi = std::max(hi, s.score);
    }
    range[l] = {lo, hi};
  }
  return fuse(lists, limit, [&](size_t l, size_t r) {
    const auto [lo, hi] = range[l];
    const double norm = hi > lo ? (lists[l].items[r].score - lo) / (hi - lo) : 1.0;
    return lists[l].weight * norm;
  });
}

}  // namespace pb::rank
