#include "rank/recommend.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>

namespace pb::rank {

void normalise(SparseVector& v) {
  std::sort(v.begin(), v.end(), [](const Feature& a, const Feature& b) { return a.id < b.id; });
  size_t out = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (out > 0 && v[out - 1].id == v[i].id)
      v[out - 1].value += v[i].value;
    else
      v[out++] = v[i];
  }
  v.resize(out);
  double norm = 0;
  for (const auto& f : v) norm += static_cast<double>(f.value) * f.value;
  if (norm <= 0) {
    v.clear();
    return;
  }
  const double inv = 1.0 / std::sqrt(norm);
  for (auto& f : v) f.value = static_cast<float>(f.value * inv);
}

double dot(const SparseVector& a, const SparseVector& b) {
  double s = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].id < b[j].id) {
      ++i;
    } else if (b[j].id < a[i].id) {
      ++j;
    } else {
      s += static_cast<double>(a[i].value) * b[j].value;
      ++i;
      ++j;
    }
  }
  return s;
}

LinearModel train_linear_svm(std::span<const SparseVector> positives,
                             std::span<const SparseVector> negatives, const SvmOptions& options) {
  LinearModel model;
  if (positives.empty() || negatives.empty()) return model;
  // Features seen in training, numbered densely in order of appearance (a hash map: sorting
  // every occurrence cost more than the solver); the constant bias feature comes last. The
  // numbering does not change the arithmetic, so the model does not depend on it.
  std::unordered_map<std::uint32_t, std::uint32_t> local;
  std::vector<std::uint32_t> ids;  // local index -> feature id
  local.reserve(4096);
  for (auto set : {positives, negatives})
    for (const auto& x : set)
      for (const auto& f : x)
        if (local.try_emplace(f.id, static_cast<std::uint32_t>(ids.size())).second)
          ids.push_back(f.id);
  const size_t bias = ids.size();

  struct Example {
    std::vector<std::pair<std::uint32_t, double>> x;  // local index, value (bias excluded)
    double y = 0, d = 0, q = 0, alpha = 0;
  };
  const double n = static_cast<double>(positives.size() + negatives.size());
  const double c_pos =
      options.balance ? options.c * n / (2.0 * static_cast<double>(positives.size())) : options.c;
  const double c_neg =
      options.balance ? options.c * n / (2.0 * static_cast<double>(negatives.size())) : options.c;
  std::vector<Example> examples;
  examples.reserve(positives.size() + negatives.size());
  auto add = [&](const SparseVector& x, double y, double c) {
    Example e;
    e.y = y;
    e.d = 1.0 / (2.0 * c);  // squared hinge: D_ii = 1 / (2 C_i), no upper bound on alpha
    double sq = 1.0;        // the bias feature
    for (const auto& f : x) {
      e.x.push_back({local.at(f.id), f.value});
      sq += static_cast<double>(f.value) * f.value;
    }
    e.q = sq + e.d;
    examples.push_back(std::move(e));
  };
  for (const auto& x : positives) add(x, 1.0, c_pos);
  for (const auto& x : negatives) add(x, -1.0, c_neg);

  std::vector<double> w(ids.size() + 1, 0.0);
  std::vector<size_t> order(examples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(options.seed);
  int epoch = 0;
  while (epoch < options.max_epochs) {
    ++epoch;
    // Fisher-Yates with the raw generator: the same order on every standard library.
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    double pg_max = -std::numeric_limits<double>::infinity();
    double pg_min = std::numeric_limits<double>::infinity();
    for (size_t i : order) {
      Example& e = examples[i];
      double wx = w[bias];
      for (const auto& [j, v] : e.x) wx += w[j] * v;
      const double g = e.y * wx - 1.0 + e.d * e.alpha;
      const double pg = e.alpha == 0 ? std::min(g, 0.0) : g;
      pg_max = std::max(pg_max, pg);
      pg_min = std::min(pg_min, pg);
      if (std::abs(pg) < 1e-12) continue;
      const double old = e.alpha;
      e.alpha = std::max(e.alpha - g / e.q, 0.0);
      const double step = (e.alpha - old) * e.y;
      for (const auto& [j, v] : e.x) w[j] += step * v;
      w[bias] += step;
    }
    if (pg_max - pg_min < options.tolerance) break;
  }
  model.epochs = epoch;
  model.bias = w[bias];
  for (size_t j = 0; j < ids.size(); ++j)
    if (w[j] != 0) model.weights.push_back({ids[j], static_cast<float>(w[j])});
  std::sort(model.weights.begin(), model.weights.end(),
            [](const Feature& a, const Feature& b) { return a.id < b.id; });
  return model;
}

std::vector<double> score_all(const LinearModel& model, std::span<const SparseVector> xs) {
  std::vector<double> out;
  out.reserve(xs.size());
  const std::uint32_t dims = model.weights.empty() ? 0 : model.weights.back().id + 1;
  if (dims > (std::uint32_t{1} << 22) && dims / 64 > model.weights.size()) {
    // Sparse ids far apart (e.g. embedding dimensions numbered after a large vocabulary): a
    // dense table would be mostly empty, so merge instead.
    for (const auto& x : xs) out.push_back(model.score(x));
    return out;
  }
  std::vector<float> w(dims, 0.0f);
  for (const auto& f : model.weights) w[f.id] = f.value;
  for (const auto& x : xs) {
    double s = model.bias;
    for (const auto& f : x)
      if (f.id < dims) s += static_cast<double>(w[f.id]) * f.value;
    out.push_back(s);
  }
  return out;
}

std::vector<Feature> explain(const LinearModel& model, const SparseVector& x, size_t top) {
  std::vector<Feature> out;
  size_t i = 0, j = 0;
  const auto& w = model.weights;
  while (i < w.size() && j < x.size()) {
    if (w[i].id < x[j].id) {
      ++i;
    } else if (x[j].id < w[i].id) {
      ++j;
    } else {
      const float c = w[i].value * x[j].value;
      if (c > 0) out.push_back({x[j].id, c});
      ++i;
      ++j;
    }
  }
  std::sort(out.begin(), out.end(), [](const Feature& a, const Feature& b) {
    return a.value != b.value ? a.value > b.value : a.id < b.id;
  });
  if (out.size() > top) out.resize(top);
  return out;
}

SparseVector centroid(std::span<const SparseVector> vectors) {
  SparseVector sum;
  for (const auto& v : vectors) sum.insert(sum.end(), v.begin(), v.end());
  normalise(sum);
  return sum;
}

}  // namespace pb::rank
