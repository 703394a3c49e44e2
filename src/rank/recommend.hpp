#pragma once
// The per-user model of the recommender, in the arxiv-sanity tradition (Karpathy): a linear
// classifier over sparse, L2-normalised TF-IDF vectors, trained per user with the papers they
// saved or upvoted as positives and other papers as negatives; candidates are ranked by the
// decision value and explained by the terms that contributed most to it. Pure functions.
//
// The classifier is a linear SVM with the squared hinge loss (L2-loss, as sklearn's LinearSVC
// that arxiv-sanity uses), trained by dual coordinate descent (Hsieh, Chang, Lin, Keerthi,
// Sundararajan 2008, "A Dual Coordinate Descent Method for Large-scale Linear SVM", the
// liblinear solver): no learning rate to tune, a few passes suffice, and each step touches only
// one example's non-zeros. The bias is learnt as the weight of a constant feature (liblinear's
// `-B 1`). Classes are weighted by their sizes (C_pos = C * n / (2 n_pos)), so a single saved
// paper against hundreds of negatives still shapes the model. Deterministic for a given seed.

#include <cstdint>
#include <span>
#include <vector>

namespace pb::rank {

// One non-zero of a sparse vector.
struct Feature {
  std::uint32_t id = 0;
  float value = 0;
  bool operator==(const Feature&) const = default;
};

// Sorted by id, ids unique.
using SparseVector = std::vector<Feature>;

// Sorts by id, sums duplicate ids and scales to unit length (an all-zero vector stays empty).
void normalise(SparseVector& v);
// Dot product of two sorted sparse vectors.
double dot(const SparseVector& a, const SparseVector& b);

struct SvmOptions {
  double c = 0.1;  // inverse regularisation strength (arxiv-sanity uses 0.1)
  int max_epochs = 50;
  double tolerance = 0.01;  // stop when the projected gradient's spread falls below it
  bool balance = true;      // weight classes by their sizes
  std::uint64_t seed = 1;   // example order in each pass
};

// A trained linear model: score(x) = w . x + bias.
struct LinearModel {
  SparseVector weights;  // sorted by feature id; features absent from training weigh 0
  double bias = 0;
  int epochs = 0;  // passes the solver made

  double score(const SparseVector& x) const { return dot(weights, x) + bias; }
};

// Trains on `positives` (label +1) and `negatives` (label -1). With no positives or no
// negatives the model is empty (every score equals the bias).
LinearModel train_linear_svm(std::span<const SparseVector> positives,
                             std::span<const SparseVector> negatives,
                             const SvmOptions& options = {});

// score(x) for every x, through a dense copy of the weights (a merge join per candidate
// costs the model's size each time: 5x slower on 2,000 arXiv candidates).
std::vector<double> score_all(const LinearModel& model, std::span<const SparseVector> xs);

// The features of `x` that raise its score the most (w_t * x_t > 0), largest first, at most
// `top`; ties by feature id.
std::vector<Feature> explain(const LinearModel& model, const SparseVector& x, size_t top);

// The mean of unit vectors, normalised (the centroid baseline and a simple profile).
SparseVector centroid(std::span<const SparseVector> vectors);

}  // namespace pb::rank
