#pragma once
// Fusion of ranked lists (lexical and semantic results) into one ranking. Pure functions.
//
//  - Reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009): score(d) =
//    sum_i w_i / (k + rank_i(d)), ranks from 1; robust because it ignores score scales.
//  - Normalised score fusion ("convex combination", e.g. Bruch et al., TOIS 2023): each list's
//    scores are min-max normalised to [0, 1] over the list, then score(d) = sum_i w_i norm_i(d)
//    (0 for a list that did not return d).
// A document enters the fused list only through a list of positive weight, so with a weight of
// zero the fused ranking is exactly the other list's. Ties: higher fused score first, then the
// better rank in the earliest list that has the document, then id.

#include <span>
#include <string>
#include <vector>

namespace pb::rank {

struct Scored {
  std::string id;
  double score = 0;
};

struct FusionList {
  std::span<const Scored> items;  // best first
  double weight = 1.0;
};

std::vector<Scored> reciprocal_rank_fusion(std::span<const FusionList> lists, size_t limit,
                                           double k = 60.0);

std::vector<Scored> score_fusion(std::span<const FusionList> lists, size_t limit);

}  // namespace pb::rank
