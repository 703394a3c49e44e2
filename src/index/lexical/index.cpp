#include "index/lexical/index.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/files.hpp"

namespace pb::lexical {
namespace {

constexpr const char* kManifest = "MANIFEST";

std::string deletes_name(const std::filesystem::path& seg, std::uint64_t generation) {
  return fmt::format("{}.g{}.del", seg.stem().string(), generation);
}

}  // namespace

std::uint64_t IndexSnapshot::live_docs() const {
  std::uint64_t n = 0;
  for (const auto& s : segments) n += s.segment->doc_count() - s.deleted_count;
  return n;
}

std::uint64_t IndexSnapshot::document_frequency(std::string_view term) const {
  std::uint64_t df = 0;
  for (const auto& s : segments)
    if (const TermEntry* t = s.segment->find(term)) df += t->df;
  return df;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> IndexSnapshot::find_id(
    std::string_view id) const {
  for (std::uint32_t i = static_cast<std::uint32_t>(segments.size()); i-- > 0;) {
    const auto& s = segments[i];
    for (std::uint32_t d : s.segment->docs_with_id(id))
      if (!s.is_deleted(d)) return std::make_pair(i, d);
  }
  return std::nullopt;
}

std::uint64_t IndexSnapshot::bytes_on_disk() const {
  std::uint64_t n = 0;
  for (const auto& s : segments)
    n += s.segment->file_size() + (s.deleted ? s.deleted->size() * 8 : 0);
  return n;
}

Result<std::unique_ptr<LexicalIndex>> LexicalIndex::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::io(fmt::format("creating {}: {}", dir.string(), ec.message()));
  auto index = std::unique_ptr<LexicalIndex>(new LexicalIndex());
  index->dir_ = dir;
  auto snap = std::make_shared<IndexSnapshot>();
  auto manifest_path = dir / kManifest;
  if (std::filesystem::exists(manifest_path)) {
    std::ifstream mf(manifest_path);
    auto j = nlohmann::json::parse(mf, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", 0) != 1 ||
        !j["segments"].is_array())
      return Error::corrupt(fmt::format("{}: unreadable index manifest", manifest_path.string()));
    snap->generation = j.value("generation", std::uint64_t{0});
    snap->store_seq = j.value("store_seq", std::int64_t{0});
    index->next_segment_ = j.value("next_segment", std::uint64_t{1});
    for (const auto& s : j["segments"]) {
      if (!s.is_object() || !s["file"].is_string())
        return Error::corrupt(fmt::format("{}: bad segment entry", manifest_path.string()));
      PB_ASSIGN_OR_RETURN(auto seg, Segment::open(dir / s["file"].get<std::string>()));
      SegmentView v;
      v.segment = seg;
      if (s.contains("deletes") && s["deletes"].is_string()) {
        auto path = dir / s["deletes"].get<std::string>();
        std::ifstream df(path, std::ios::binary);
        auto bits = std::make_shared<std::vector<std::uint64_t>>((seg->doc_count() + 63) / 64);
        df.read(reinterpret_cast<char*>(bits->data()),
                static_cast<std::streamsize>(bits->size() * 8));
        if (!df) return Error::corrupt(fmt::format("{}: truncated deletions", path.string()));
        std::uint32_t n = 0;
        for (auto w : *bits) n += static_cast<std::uint32_t>(__builtin_popcountll(w));
        v.deleted = bits;
        v.deleted_count = n;
        v.deletes_file = s["deletes"].get<std::string>();
      }
      snap->total_docs += seg->doc_count();
      for (int f = 0; f < 3; ++f) snap->field_length_sum[f] += seg->field_length_sum(f);
      snap->segments.push_back(std::move(v));
    }
  }
  index->current_ = snap;
  PB_RETURN_IF_ERROR(index->remove_unreferenced());
  return index;
}

std::shared_ptr<const IndexSnapshot> LexicalIndex::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

IndexStats LexicalIndex::stats() const {
  auto s = snapshot();
  IndexStats st;
  st.segments = s->segments.size();
  st.docs = s->live_docs();
  st.deleted = s->total_docs - st.docs;
  st.bytes = s->bytes_on_disk();
  return st;
}

Status LexicalIndex::remove_unreferenced() {
  auto snap = snapshot();
  std::set<std::string> keep = {kManifest};
  for (const auto& s : snap->segments) {
    keep.insert(s.segment->path().filename().string());
    if (!s.deletes_file.empty()) keep.insert(s.deletes_file);
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (keep.count(name) || name == "LOCK") continue;
    std::filesystem::remove(e.path(), ec);
  }
  return ok_status();
}

Status LexicalIndex::publish(std::shared_ptr<IndexSnapshot> next, std::uint64_t next_segment) {
  next->generation = current_->generation + 1;
  next->total_docs = 0;
  next->field_length_sum = {};
  nlohmann::json segs = nlohmann::json::array();
  for (auto& v : next->segments) {
    next->total_docs += v.segment->doc_count();
    for (int f = 0; f < 3; ++f) next->field_length_sum[f] += v.segment->field_length_sum(f);
    // A changed bitmap gets a new file named by generation, so the files of the manifest
    // still in force stay intact until the switch; unchanged bitmaps keep their file.
    if (v.deleted && v.deletes_file.empty()) {
      v.deletes_file = deletes_name(v.segment->path(), next->generation);
      PB_RETURN_IF_ERROR(write_file_durably(
          dir_ / v.deletes_file, std::string_view(reinterpret_cast<const char*>(v.deleted->data()),
                                                  v.deleted->size() * 8)));
    }
    nlohmann::json s = {{"file", v.segment->path().filename().string()},
                        {"docs", v.segment->doc_count()},
                        {"deleted", v.deleted_count}};
    if (v.deleted) s["deletes"] = v.deletes_file;
    segs.push_back(s);
  }
  nlohmann::json j = {{"format", 1},
                      {"generation", next->generation},
                      {"store_seq", next->store_seq},
                      {"next_segment", next_segment},
                      {"segments", segs}};
  auto tmp = dir_ / "MANIFEST.tmp";
  PB_RETURN_IF_ERROR(write_file_durably(tmp, j.dump(1)));
  PB_RETURN_IF_ERROR(fsync_path(dir_, true));  // the new segment and deletion files
  if (crash_before_publish_) return Error::cancelled("crash injected before publishing");
  if (std::rename(tmp.c_str(), (dir_ / kManifest).c_str()) != 0)
    return Error::io(
        fmt::format("publishing {}: {}", (dir_ / kManifest).string(), std::strerror(errno)));
  PB_RETURN_IF_ERROR(fsync_path(dir_, true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(next);
    next_segment_ = next_segment;
  }
  return remove_unreferenced();
}

Status LexicalIndex::update(std::span<const IndexDoc> docs,
                            std::span<const std::string> deleted_ids, std::int64_t store_seq,
                            text::Analyzer& analyzer) {
  auto cur = snapshot();
  auto next = std::make_shared<IndexSnapshot>(*cur);
  next->store_seq = std::max(store_seq, cur->store_seq);
  std::uint64_t next_segment = next_segment_;

  // Newest copy wins when an id appears twice in one batch.
  std::vector<const IndexDoc*> unique;
  {
    std::set<std::string_view> seen;
    for (size_t i = docs.size(); i-- > 0;)
      if (seen.insert(docs[i].id).second) unique.push_back(&docs[i]);
    std::reverse(unique.begin(), unique.end());
  }
  // Tombstone older copies (an index without segments has none).
  std::set<std::string> gone;
  if (!next->segments.empty()) {
    gone.insert(deleted_ids.begin(), deleted_ids.end());
    for (const auto* d : unique) gone.insert(d->id);
  }
  if (!gone.empty()) {
    for (auto& v : next->segments) {
      std::shared_ptr<std::vector<std::uint64_t>> bits;
      for (const auto& id : gone) {
        for (std::uint32_t d : v.segment->docs_with_id(id)) {
          if (v.is_deleted(d) || (bits && ((*bits)[d >> 6] >> (d & 63)) & 1)) continue;
          if (!bits)
            bits = v.deleted ? std::make_shared<std::vector<std::uint64_t>>(*v.deleted)
                             : std::make_shared<std::vector<std::uint64_t>>(
                                   (v.segment->doc_count() + 63) / 64, 0);
          (*bits)[d >> 6] |= std::uint64_t{1} << (d & 63);
          ++v.deleted_count;
        }
      }
      if (bits) {
        v.deleted = bits;
        v.deletes_file.clear();  // written by publish
      }
    }
  }
  if (!unique.empty()) {
    SegmentBuilder builder(analyzer);
    for (const auto* d : unique) builder.add(*d);
    auto path = dir_ / fmt::format("seg_{:06}.seg", next_segment++);
    PB_RETURN_IF_ERROR(builder.write(path));
    PB_ASSIGN_OR_RETURN(auto seg, Segment::open(path));
    next->segments.push_back({seg, nullptr, 0, {}});
  }
  // Segments whose every document is deleted are dropped.
  std::erase_if(next->segments,
                [](const SegmentView& v) { return v.deleted_count >= v.segment->doc_count(); });
  return publish(next, next_segment);
}

Status LexicalIndex::clear() {
  auto next = std::make_shared<IndexSnapshot>();
  next->store_seq = 0;
  return publish(next, next_segment_);
}

Status LexicalIndex::merge(size_t max_segments) {
  if (max_segments == 0) max_segments = 1;
  auto cur = snapshot();
  if (cur->segments.size() <= max_segments &&
      std::none_of(cur->segments.begin(), cur->segments.end(),
                   [&](const SegmentView& v) { return max_segments == 1 && v.deleted_count; }))
    return ok_status();
  // Merge the smallest segments into one, keeping the others as they are.
  std::vector<size_t> order(cur->segments.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return cur->segments[a].segment->doc_count() < cur->segments[b].segment->doc_count();
  });
  size_t take = std::max<size_t>(cur->segments.size() - max_segments + 1, 1);
  std::vector<size_t> chosen(order.begin(), order.begin() + static_cast<long>(take));
  std::sort(chosen.begin(), chosen.end());

  SegmentWriter w;
  std::vector<std::vector<std::uint32_t>> remap(chosen.size());
  std::uint32_t next_doc = 0;
  for (size_t k = 0; k < chosen.size(); ++k) {
    const auto& v = cur->segments[chosen[k]];
    remap[k].assign(v.segment->doc_count(), kNoMoreDocs);
    std::vector<std::uint64_t> hashes(v.segment->doc_count(), 0);
    v.segment->for_each_title([&](std::uint64_t h, std::uint32_t d) { hashes[d] = h; });
    for (std::uint32_t d = 0; d < v.segment->doc_count(); ++d) {
      if (v.is_deleted(d)) continue;
      const DocEntry& e = v.segment->doc(d);
      DocInfo info;
      info.id = std::string(v.segment->doc_id(d));
      info.length = {e.length[0], e.length[1], e.length[2]};
      info.day = e.day;
      info.title_hash = hashes[d];
      w.add_doc(info);
      remap[k][d] = next_doc++;
    }
  }
  // k-way merge of the sorted dictionaries.
  std::vector<std::uint32_t> pos(chosen.size(), 0);
  for (;;) {
    std::optional<std::string_view> least;
    for (size_t k = 0; k < chosen.size(); ++k) {
      const auto& seg = *cur->segments[chosen[k]].segment;
      if (pos[k] < seg.term_count() && (!least || seg.term(pos[k]) < *least))
        least = seg.term(pos[k]);
    }
    if (!least) break;
    std::string term(*least);
    w.begin_term(term);
    for (size_t k = 0; k < chosen.size(); ++k) {
      const auto& seg = *cur->segments[chosen[k]].segment;
      if (pos[k] >= seg.term_count() || seg.term(pos[k]) != term) continue;
      for (PostingCursor c(seg, seg.term_entry(pos[k])); c.doc() != kNoMoreDocs; c.next()) {
        std::uint32_t nd = remap[k][c.doc()];
        if (nd == kNoMoreDocs) continue;
        const auto& tf = c.tf();
        std::array<std::span<const std::uint32_t>, 3> p;
        for (int f = 0; f < 3; ++f)
          p[f] = tf[f] ? c.positions(f) : std::span<const std::uint32_t>();
        w.add_posting(nd, tf, p);
      }
      ++pos[k];
    }
    w.end_term();
  }
  std::uint64_t next_segment = next_segment_;
  auto next = std::make_shared<IndexSnapshot>(*cur);
  next->segments.clear();
  for (size_t i = 0; i < cur->segments.size(); ++i)
    if (!std::binary_search(chosen.begin(), chosen.end(), i))
      next->segments.push_back(cur->segments[i]);
  if (w.doc_count() > 0) {
    auto path = dir_ / fmt::format("seg_{:06}.seg", next_segment++);
    PB_RETURN_IF_ERROR(w.finish(path));
    PB_ASSIGN_OR_RETURN(auto seg, Segment::open(path));
    next->segments.push_back({seg, nullptr, 0, {}});
  }
  return publish(next, next_segment);
}

}  // namespace pb::lexical
