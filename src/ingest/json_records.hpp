#pragma once
// Internal to ingest: maps parsed JSON objects of each JSON format onto Paper.
// Each returns kInvalidInput with a short reason ("bad arXiv id 'x'", "missing title").

#include <simdjson.h>

#include "core/paper.hpp"
#include "core/result.hpp"
#include "ingest/reader.hpp"

namespace pb::ingest {

Result<Paper> paper_from_snapshot(simdjson::dom::object o);
Result<Paper> paper_from_paperboy(simdjson::dom::object o);
// One element of Hugging Face's api/daily_papers array ({"paper": {...}, ...}).
Result<Paper> paper_from_hf_item(simdjson::dom::object o);

// Guesses the JSON-lines dialect of one object from its keys.
Format detect_json_object(simdjson::dom::object o);

}  // namespace pb::ingest
