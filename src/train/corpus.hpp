#pragma once
// The texts an embedding model is trained on: one (title, abstract) per paper, from the store
// or from files (paperboy JSONL, the arXiv snapshot and the other ingest formats, or a BEIR
// corpus.jsonl). Titles and abstracts are kept as stored (raw TeX); the trainer converts them
// with text::tex_to_text, as embedding does.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace pb::train {

struct TrainDoc {
  std::string id;
  std::string title;
  std::string abstract;
};

struct CorpusCounts {
  std::uint64_t read = 0;        // records read
  std::uint64_t duplicates = 0;  // ids seen before (the first copy is kept)
  std::uint64_t skipped = 0;     // malformed records or papers with neither title nor abstract
};

// Appends every paper of `store`.
Status load_store_corpus(Store& store, std::vector<TrainDoc>& out, CorpusCounts* counts = nullptr);

// Appends the papers of each file, keeping the first copy of an id across all files. A BEIR
// corpus (first line has "_id") is read with eval::load_corpus, anything else with the ingest
// readers (format detected, .gz transparent). Malformed records are skipped and counted; a
// missing or unreadable file is an error.
Status load_file_corpus(const std::vector<std::string>& files, std::vector<TrainDoc>& out,
                        CorpusCounts* counts = nullptr);

}  // namespace pb::train
