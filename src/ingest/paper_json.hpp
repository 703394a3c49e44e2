#pragma once
// paperboy's own JSONL: one paper per line. It is what `paperboy export` writes and a
// superset of the shared corpus files (arxiv_combined.jsonl, hf_daily_papers.jsonl), whose
// field names it reuses where they overlap. Documented in docs/formats.md.

#include <string>
#include <string_view>
#include <vector>

#include "core/paper.hpp"

namespace pb::ingest {

// One line of paperboy JSONL, without the trailing newline. Unknown fields are omitted.
std::string paper_to_json(const Paper& p);

}  // namespace pb::ingest
