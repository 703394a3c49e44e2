#include "engine/vectors.hpp"

#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "index/vector/exact.hpp"
#include "text/tex.hpp"

namespace pb::engine {
namespace fs = std::filesystem;
namespace {

constexpr const char* kActive = "ACTIVE";
constexpr const char* kPending = "PENDING";

std::string name_for(const std::string& model_id) {
  return fmt::format("m{:016x}", fnv1a64(model_id));
}

Result<std::optional<VectorSetInfo>> read_info(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<VectorSetInfo>();
  std::ifstream in(file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("model_id") || !j.contains("name") ||
      !j["model_id"].is_string() || !j["name"].is_string())
    return Error::corrupt(fmt::format("{}: not a vector set description", file.string()));
  VectorSetInfo info;
  info.model_id = j["model_id"];
  info.name = j["name"];
  info.model_dir = j.value("model_dir", "");
  info.precision = j.value("precision", "fp32");
  info.store_seq = j.value("store_seq", std::int64_t{0});
  if (info.name.find('/') != std::string::npos || info.name.empty())
    return Error::corrupt(fmt::format("{}: bad set name", file.string()));
  return std::optional<VectorSetInfo>(info);
}

Status write_info(const fs::path& file, const VectorSetInfo& info) {
  nlohmann::ordered_json j;
  j["model_id"] = info.model_id;
  j["model_dir"] = info.model_dir;
  j["precision"] = info.precision;
  j["name"] = info.name;
  j["store_seq"] = info.store_seq;
  return replace_file_atomically(file, j.dump(1) + "\n");
}

}  // namespace

std::string embedding_text(const Paper& p) {
  return text::tex_to_text(p.title) + "\n\n" + text::tex_to_text(p.abstract);
}

Result<std::unique_ptr<VectorSet>> VectorSet::open_active(const fs::path& dir) {
  PB_ASSIGN_OR_RETURN(auto info, read_info(dir / kActive));
  if (!info) return std::unique_ptr<VectorSet>();
  auto set = std::unique_ptr<VectorSet>(new VectorSet());
  set->info_ = *info;
  PB_ASSIGN_OR_RETURN(set->store_, vector::VectorStore::open(dir / (info->name + ".pbv")));
  PB_ASSIGN_OR_RETURN(set->graph_, vector::Hnsw::load(dir / (info->name + ".hnsw")));
  if (set->graph_->size() != set->store_->rows() || set->graph_->dim() != set->store_->dim())
    return Error::corrupt(fmt::format("{}: graph and vectors disagree ({} vs {} rows)",
                                      dir.string(), set->graph_->size(), set->store_->rows()));
  return set;
}

std::vector<VectorSet::Match> VectorSet::nearest(std::span<const float> query, size_t k, size_t ef,
                                                 const vector::RowFilter* filter) const {
  std::vector<vector::Neighbor> found;
  if (store_->rows() <= kExactSearchRows) {
    found = vector::exact_search(*store_, query, k, filter);
  } else {
    vector::RowFilter live = [&](std::uint32_t r) {
      return store_->live(r) && (!filter || (*filter)(r));
    };
    // The best max(4k, 64) of the beam by the codes are re-ranked with the exact vectors.
    const size_t beam = std::max(ef, k);
    auto cand = graph_->search(query, std::min(beam, std::max<size_t>(4 * k, 64)), beam, &live);
    found = vector::rerank(*store_, query, cand, k);
  }
  std::vector<Match> out;
  for (const auto& n : found) out.push_back({std::string(store_->id(n.row)), n.score});
  return out;
}

Result<EmbedSummary> embed_store(Store& store, const fs::path& dir, const embed::Embedder& embedder,
                                 const EmbedRunOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::io(fmt::format("creating {}: {}", dir.string(), ec.message()));
  PB_ASSIGN_OR_RETURN(auto active, read_info(dir / kActive));
  EmbedSummary summary;
  summary.model_id = embedder.model_id();
  const bool same = active && active->model_id == embedder.model_id();
  VectorSetInfo target;
  if (same) {
    target = *active;
  } else {
    PB_ASSIGN_OR_RETURN(auto pending, read_info(dir / kPending));
    if (pending && pending->model_id == embedder.model_id()) {
      target = *pending;  // resume an interrupted switch
    } else {
      if (pending && (!active || pending->name != active->name)) {
        // An unfinished set of yet another model: superseded by this one.
        fs::remove(dir / (pending->name + ".pbv"), ec);
        fs::remove(dir / (pending->name + ".hnsw"), ec);
      }
      target.model_id = embedder.model_id();
      target.name = name_for(target.model_id);
      target.store_seq = 0;
      if (active && active->name == target.name) target.name += "b";  // never clobber
      std::unique_ptr<vector::VectorStore> fresh;
      PB_ASSIGN_OR_RETURN(fresh, vector::VectorStore::create(
                                     dir / (target.name + ".pbv"),
                                     static_cast<std::uint32_t>(embedder.dim()), target.model_id));
      fs::remove(dir / (target.name + ".hnsw"), ec);
      target.model_dir = fs::absolute(options.model_dir, ec).string();
      PB_RETURN_IF_ERROR(write_info(dir / kPending, target));
    }
  }
  if (!options.model_dir.empty()) target.model_dir = fs::absolute(options.model_dir, ec).string();
  target.precision = options.precision;
  const fs::path info_file = dir / (same ? kActive : kPending);

  PB_ASSIGN_OR_RETURN(auto vectors, vector::VectorStore::open(dir / (target.name + ".pbv")));
  if (vectors->dim() != embedder.dim() || vectors->model_id() != embedder.model_id())
    return Error::corrupt(
        fmt::format("{}: holds vectors of another model", (dir / (target.name + ".pbv")).string()));

  // Embed what changed since the set's seq, in durable batches.
  PB_ASSIGN_OR_RETURN(std::int64_t to_seq, store.max_seq());
  const std::int64_t from_seq = target.store_seq;
  const std::uint64_t total = to_seq > from_seq ? static_cast<std::uint64_t>(to_seq - from_seq) : 0;
  std::vector<std::string> ids, texts;
  std::int64_t last_seq = target.store_seq;
  embed::EmbedOptions eo;
  eo.threads = options.threads;
  auto flush = [&]() -> Status {
    if (ids.empty()) return ok_status();
    PB_ASSIGN_OR_RETURN(embed::Embeddings e, embedder.embed(texts, embed::Kind::kDocument, eo));
    PB_RETURN_IF_ERROR(vectors->append(ids, e.data));
    summary.embedded += ids.size();
    ids.clear();
    texts.clear();
    target.store_seq = last_seq;
    return write_info(info_file, target);
  };
  Status failure;
  PB_RETURN_IF_ERROR(store.scan_changed(target.store_seq, [&](const Paper& p, std::int64_t seq) {
    last_seq = seq;
    if (p.id.size() > vector::VectorStore::kMaxIdSize) return true;  // cannot be keyed
    ids.push_back(p.id);
    texts.push_back(embedding_text(p));
    if (ids.size() >= options.batch) {
      failure = flush();
      if (failure.ok() && options.should_stop && options.should_stop())
        failure = Error::cancelled("embedding stopped; run it again to resume");
      if (!failure.ok()) return false;
      if (options.on_progress)
        options.on_progress(static_cast<std::uint64_t>(seq - from_seq), total);
    }
    return true;
  }));
  PB_RETURN_IF_ERROR(failure);
  PB_RETURN_IF_ERROR(flush());
  if (last_seq > target.store_seq) {  // the run ended on papers that could not be keyed
    target.store_seq = last_seq;
    PB_RETURN_IF_ERROR(write_info(info_file, target));
  }

  // The graph follows the rows (node i = row i).
  const fs::path graph_file = dir / (target.name + ".hnsw");
  std::unique_ptr<vector::Hnsw> graph;
  if (fs::exists(graph_file, ec)) {
    auto loaded = vector::Hnsw::load(graph_file);
    if (loaded.ok() && (*loaded)->size() <= vectors->rows() && (*loaded)->dim() == vectors->dim())
      graph = std::move(*loaded);
  }
  if (!graph) graph = std::make_unique<vector::Hnsw>(vectors->dim(), options.graph);
  const vector::VectorStore& rows = *vectors;
  graph->set_exact_vectors([&rows](std::uint32_t i) { return rows.vector(i).data(); });
  if (graph->size() < vectors->rows() || !fs::exists(graph_file, ec)) {
    for (size_t r = graph->size(); r < vectors->rows(); ++r) graph->add(vectors->vector(r));
    PB_RETURN_IF_ERROR(graph->save(graph_file));
  }
  summary.vectors = vectors->live_rows();

  if (!same) {
    // The new set is complete: make it the active one, then drop the old.
    PB_RETURN_IF_ERROR(write_info(dir / kActive, target));
    fs::remove(dir / kPending, ec);
    if (active && active->name != target.name) {
      fs::remove(dir / (active->name + ".pbv"), ec);
      fs::remove(dir / (active->name + ".hnsw"), ec);
    }
    PB_RETURN_IF_ERROR(fsync_path(dir, true));
    summary.switched = true;
  }
  return summary;
}

Result<HybridOptions> hybrid_options(const SemanticSettings& settings,
                                     const std::string& model_dir) {
  HybridOptions h;
  h.depth = settings.depth;
  std::string fusion = settings.fusion;
  double weight = settings.semantic_weight;
  std::ifstream in(fs::path(model_dir) / "paperboy.json");
  if (in) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object()) {
      if (weight < 0 && j.contains("hybrid_weight") && j["hybrid_weight"].is_number())
        weight = j["hybrid_weight"];
      if (j.contains("fusion") && j["fusion"].is_string() && fusion.empty()) fusion = j["fusion"];
      h.prefer_hybrid = j.contains("default_mode") && j["default_mode"] == "hybrid";
    }
  }
  h.semantic_weight = weight < 0 ? 1.0 : weight;
  if (fusion.empty() || fusion == "rrf") {
    h.method = FusionMethod::kRrf;
  } else if (fusion == "score") {
    h.method = FusionMethod::kScore;
  } else {
    return Error::invalid_input(fmt::format("--fusion must be rrf or score, not '{}'", fusion));
  }
  return h;
}

Result<LoadedSemantic> open_semantic(const fs::path& dir, const SemanticSettings& settings,
                                     bool need_model) {
  LoadedSemantic s;
  PB_ASSIGN_OR_RETURN(s.vectors, VectorSet::open_active(dir));
  const std::string model_dir = !settings.model.empty() ? settings.model
                                : s.vectors             ? s.vectors->info().model_dir
                                                        : "";
  PB_ASSIGN_OR_RETURN(s.hybrid, hybrid_options(settings, model_dir));
  if (need_model) PB_RETURN_IF_ERROR(load_semantic_model(s, settings));
  return s;
}

Status load_semantic_model(LoadedSemantic& s, const SemanticSettings& settings) {
  if (!s.vectors) return Status();
  const std::string model_dir =
      !settings.model.empty() ? settings.model : s.vectors->info().model_dir;
  embed::LoadOptions lo;
  lo.precision = settings.int8 || s.vectors->info().precision == "int8"
                     ? embed::Precision::kInt8
                     : embed::Precision::kFloat32;
  PB_ASSIGN_OR_RETURN(s.model, embed::load_model(model_dir, lo));
  if (s.model->model_id() != s.vectors->info().model_id)
    return Error::invalid_input(
        fmt::format("the papers were embedded with {}, not {} (run `paperboy embed --model {}`)",
                    s.vectors->info().model_id, s.model->model_id(), model_dir));
  return Status();
}

}  // namespace pb::engine
