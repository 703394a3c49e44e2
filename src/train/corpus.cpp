#include "train/corpus.hpp"

#include <fmt/format.h>

#include <unordered_set>

#include "eval/beir.hpp"
#include "ingest/input.hpp"
#include "ingest/reader.hpp"

namespace pb::train {
namespace {

bool usable(const TrainDoc& d) { return !d.title.empty() || !d.abstract.empty(); }

// True when the file's first non-blank line is a JSON object with an "_id" key (BEIR corpus).
Result<bool> is_beir_corpus(const std::string& path) {
  PB_ASSIGN_OR_RETURN(auto in, ingest::InputStream::open(path));
  PB_ASSIGN_OR_RETURN(std::string_view head, in->peek(4096));
  size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || head[i] != '{') return false;
  std::string_view line = head.substr(i, head.find('\n', i) - i);
  return line.find("\"_id\"") != std::string_view::npos;
}

}  // namespace

Status load_store_corpus(Store& store, std::vector<TrainDoc>& out, CorpusCounts* counts) {
  CorpusCounts c;
  PB_RETURN_IF_ERROR(store.scan([&](const Paper& p) {
    ++c.read;
    TrainDoc d{p.id, p.title, p.abstract};
    if (usable(d)) {
      out.push_back(std::move(d));
    } else {
      ++c.skipped;
    }
    return true;
  }));
  if (counts) *counts = c;
  return ok_status();
}

Status load_file_corpus(const std::vector<std::string>& files, std::vector<TrainDoc>& out,
                        CorpusCounts* counts) {
  CorpusCounts c;
  std::unordered_set<std::string> seen;
  for (const auto& d : out) seen.insert(d.id);
  auto add = [&](TrainDoc d) {
    ++c.read;
    if (!usable(d)) {
      ++c.skipped;
    } else if (!seen.insert(d.id).second) {
      ++c.duplicates;
    } else {
      out.push_back(std::move(d));
    }
  };
  for (const auto& file : files) {
    PB_ASSIGN_OR_RETURN(bool beir, is_beir_corpus(file));
    if (beir) {
      PB_ASSIGN_OR_RETURN(auto docs, eval::load_corpus(file));
      for (auto& d : docs) add({std::move(d.id), std::move(d.title), std::move(d.text)});
      continue;
    }
    auto reader = ingest::open_reader(file);
    if (!reader.ok())
      return Error(reader.error().code(), fmt::format("{}: {}", file, reader.error().message()));
    ingest::Record rec;
    for (;;) {
      PB_ASSIGN_OR_RETURN(bool more, (*reader)->next(rec));
      if (!more) break;
      if (rec.ignored) continue;
      if (!rec.paper.ok()) {
        ++c.read;
        ++c.skipped;
        continue;
      }
      Paper& p = *rec.paper;
      add({std::move(p.id), std::move(p.title), std::move(p.abstract)});
    }
  }
  if (counts) *counts = c;
  return ok_status();
}

}  // namespace pb::train
