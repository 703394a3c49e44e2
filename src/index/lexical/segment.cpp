#include "index/lexical/segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstring>

#include "core/string_map.hpp"

namespace pb::lexical {

Result<std::shared_ptr<const Segment>> Segment::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::io(fmt::format("opening {}: {}", path.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Error::io(fmt::format("stat {}: {}", path.string(), std::strerror(errno)));
  }
  auto size = static_cast<size_t>(st.st_size);
  if (size < sizeof(SegmentHeader)) {
    ::close(fd);
    return Error::corrupt(fmt::format("{}: truncated segment", path.string()));
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return Error::io(fmt::format("mapping {}: {}", path.string(), std::strerror(errno)));
  auto seg = std::shared_ptr<Segment>(new Segment());
  seg->path_ = path;
  seg->map_ = map;
  seg->map_size_ = size;
  const auto* base = static_cast<const std::uint8_t*>(map);
  const auto* h = reinterpret_cast<const SegmentHeader*>(base);
  if (std::memcmp(h->magic, kSegmentMagic, sizeof h->magic) != 0)
    return Error::corrupt(fmt::format("{}: not a paperboy index segment", path.string()));
  if (h->version != kSegmentVersion)
    return Error::unsupported(fmt::format("{}: index format v{}, this paperboy reads v{}",
                                          path.string(), h->version, kSegmentVersion));
  auto in_bounds = [&](std::uint64_t off, std::uint64_t len) {
    return off <= size && len <= size - off;
  };
  // The writer aligns every section to 8 bytes; the tables are read in place, so a misaligned
  // offset (damage) would mean misaligned DocEntry/TermEntry/BlockMeta reads.
  auto aligned = [](std::uint64_t off) { return off % 8 == 0; };
  if (!aligned(h->docs_offset) || !aligned(h->terms_offset) || !aligned(h->blocks_offset) ||
      !aligned(h->id_order_offset) || !aligned(h->title_hash_offset) ||
      !aligned(h->title_doc_offset))
    return Error::corrupt(fmt::format("{}: damaged segment (misaligned tables)", path.string()));
  if (h->file_size != size ||
      !in_bounds(h->docs_offset, std::uint64_t{h->doc_count} * sizeof(DocEntry)) ||
      !in_bounds(h->ids_offset, h->ids_size) ||
      !in_bounds(h->id_order_offset, std::uint64_t{h->doc_count} * 4) ||
      h->title_count > h->doc_count || !in_bounds(h->title_hash_offset, h->title_count * 8) ||
      !in_bounds(h->title_doc_offset, h->title_count * 4) ||
      !in_bounds(h->terms_offset, std::uint64_t{h->term_count} * sizeof(TermEntry)) ||
      !in_bounds(h->term_bytes_offset, h->term_bytes_size) ||
      !in_bounds(h->blocks_offset, std::uint64_t{h->block_count} * sizeof(BlockMeta)) ||
      !in_bounds(h->postings_offset, h->postings_size + kPostingsSlack) ||
      !in_bounds(h->positions_offset, h->positions_size))
    return Error::corrupt(fmt::format("{}: damaged segment (sizes do not add up)", path.string()));
  seg->header_ = h;
  seg->docs_ = reinterpret_cast<const DocEntry*>(base + h->docs_offset);
  seg->ids_ = reinterpret_cast<const char*>(base + h->ids_offset);
  seg->id_order_ = reinterpret_cast<const std::uint32_t*>(base + h->id_order_offset);
  seg->title_hashes_ = reinterpret_cast<const std::uint64_t*>(base + h->title_hash_offset);
  seg->title_docs_ = reinterpret_cast<const std::uint32_t*>(base + h->title_doc_offset);
  seg->title_count_ = static_cast<size_t>(h->title_count);
  seg->terms_ = reinterpret_cast<const TermEntry*>(base + h->terms_offset);
  seg->term_bytes_ = reinterpret_cast<const char*>(base + h->term_bytes_offset);
  seg->blocks_ = reinterpret_cast<const BlockMeta*>(base + h->blocks_offset);
  seg->postings_ = base + h->postings_offset;
  seg->positions_ = base + h->positions_offset;
  seg->positions_end_ = base + h->positions_offset + h->positions_size;
  // Validate the dictionary and document table once, so readers can trust offsets; each term,
  // once checked, goes into find()'s hash (one pass over the dictionary).
  size_t slots = 16;
  while (slots < 2 * size_t{h->term_count}) slots <<= 1;
  seg->term_slots_.assign(slots, TermSlot{});
  seg->term_mask_ = slots - 1;
  for (std::uint32_t i = 0; i < h->term_count; ++i) {
    const TermEntry& t = seg->terms_[i];
    if (std::uint64_t{t.bytes_offset} + t.bytes_size > h->term_bytes_size || t.df == 0 ||
        t.df > h->doc_count || std::uint64_t{t.first_block} + block_count(t) > h->block_count ||
        t.postings_offset > h->postings_size || t.positions_offset > h->positions_size)
      return Error::corrupt(fmt::format("{}: damaged term dictionary", path.string()));
    const std::uint64_t hash = hash_bytes(seg->term(i));
    size_t at = hash & seg->term_mask_;
    while (seg->term_slots_[at].index != UINT32_MAX) at = (at + 1) & seg->term_mask_;
    seg->term_slots_[at] = {static_cast<std::uint32_t>(hash >> 32), i};
  }
  for (std::uint32_t d = 0; d < h->doc_count; ++d)
    if (std::uint64_t{seg->docs_[d].id_offset} + seg->docs_[d].id_size > h->ids_size ||
        seg->id_order_[d] >= h->doc_count)
      return Error::corrupt(fmt::format("{}: damaged document table", path.string()));
  for (size_t i = 0; i < seg->title_count_; ++i)
    if (seg->title_docs_[i] >= h->doc_count)
      return Error::corrupt(fmt::format("{}: damaged title table", path.string()));
  madvise(map, size, MADV_WILLNEED);
  return std::shared_ptr<const Segment>(std::move(seg));
}

std::span<const std::uint32_t> Segment::docs_with_id(std::string_view id) const {
  const std::uint32_t* begin = id_order_;
  const std::uint32_t* end = id_order_ + header_->doc_count;
  auto lo = std::lower_bound(begin, end, id,
                             [&](std::uint32_t d, std::string_view v) { return doc_id(d) < v; });
  auto hi = lo;
  while (hi != end && doc_id(*hi) == id) ++hi;
  return {lo, static_cast<size_t>(hi - lo)};
}

std::span<const std::uint32_t> Segment::docs_with_title(std::uint64_t hash) const {
  auto lo = std::lower_bound(title_hashes_, title_hashes_ + title_count_, hash);
  auto hi = std::upper_bound(lo, title_hashes_ + title_count_, hash);
  return {title_docs_ + (lo - title_hashes_), static_cast<size_t>(hi - lo)};
}

std::shared_ptr<const std::vector<float>> Segment::norms(const NormParams& p) const {
  std::lock_guard<std::mutex> lock(norms_mu_);
  for (auto it = norms_.begin(); it != norms_.end(); ++it) {
    if (it->first == p) {
      auto found = it->second;
      if (it != norms_.begin()) std::rotate(norms_.begin(), it, it + 1);  // most recent first
      return found;
    }
  }
  auto v = std::make_shared<std::vector<float>>(doc_count());
  for (std::uint32_t d = 0; d < doc_count(); ++d) {
    const DocEntry& e = docs_[d];
    (*v)[d] = static_cast<float>(
        p.c0 + p.c1 * (p.w[0] * e.length[0] + p.w[1] * e.length[1] + p.w[2] * e.length[2]));
  }
  constexpr size_t kKeep = 4;
  norms_.insert(norms_.begin(), {p, v});
  if (norms_.size() > kKeep) norms_.pop_back();
  return v;
}

std::shared_ptr<const Segment::Bitset> Segment::presence(const TermEntry& t) const {
  if (doc_count() < kMinDenseDocs || std::uint64_t{t.df} * kDenseFraction < doc_count())
    return nullptr;
  std::lock_guard<std::mutex> lock(presence_mu_);
  if (auto it = presence_.find(&t); it != presence_.end()) return it->second;
  const size_t words = (size_t{doc_count()} + 63) / 64;
  if (presence_bytes_ + words * 8 > kPresenceBudget) return nullptr;
  auto bits = std::make_shared<Bitset>(words, 0);
  for (PostingCursor c(*this, t); c.doc() != kNoMoreDocs; c.next())
    (*bits)[c.doc() >> 6] |= std::uint64_t{1} << (c.doc() & 63);
  presence_bytes_ += words * 8;
  presence_.emplace(&t, bits);
  return bits;
}

Segment::~Segment() {
  if (map_) ::munmap(map_, map_size_);
}

const TermEntry* Segment::find(std::string_view t) const {
  const std::uint64_t hash = hash_bytes(t);
  const auto tag = static_cast<std::uint32_t>(hash >> 32);
  for (size_t at = hash & term_mask_;; at = (at + 1) & term_mask_) {
    const TermSlot& slot = term_slots_[at];
    if (slot.index == UINT32_MAX) return nullptr;
    if (slot.tag == tag && term(slot.index) == t) return &terms_[slot.index];
  }
}

PostingCursor::PostingCursor(const Segment& segment, const TermEntry& term, std::uint32_t target)
    : segment_(&segment),
      postings_(segment.postings(term)),
      positions_(segment.positions(term)),
      blocks_(segment.blocks(term)),
      df_(term.df) {
  // load_block() ends an empty list (no blocks) at once.
  auto b = std::partition_point(blocks_.begin(), blocks_.end(),
                                [&](const BlockMeta& m) { return m.last_doc < target; });
  load_block(static_cast<size_t>(b - blocks_.begin()));
  if (doc_ != kNoMoreDocs) seek_in_block(target);
}

void PostingCursor::load_block(size_t b) {
  block_ = b;
  if (b >= blocks_.size()) {
    doc_ = kNoMoreDocs;
    count_ = 0;
    return;
  }
  const BlockMeta& m = blocks_[b];
  count_ = static_cast<size_t>(m.count) + 1;
  // A damaged block ends the list instead of being read out of bounds: its header, widths,
  // packed size and decoded documents are checked against the segment before use.
  auto damaged = [&] {
    doc_ = kNoMoreDocs;
    count_ = 0;
    block_ = blocks_.size();
  };
  const std::uint8_t* end = segment_->postings_end();
  const std::uint8_t* p = postings_ + m.postings_offset;
  if (count_ > kBlockSize || p + 4 > end) return damaged();
  unsigned doc_bits = p[0];
  for (int f = 0; f < 3; ++f) tf_bits_[f] = p[1 + f];
  if (doc_bits > 32 || tf_bits_[0] > 8 || tf_bits_[1] > 8 || tf_bits_[2] > 8) return damaged();
  size_t packed = packed_bytes(count_, doc_bits);
  for (int f = 0; f < 3; ++f) packed += packed_bytes(count_, tf_bits_[f]);
  if (p + 4 + packed > end) return damaged();
  p += 4;
  std::uint64_t prev = 0;
  p += unpack_gaps_block(p, count_, doc_bits, b > 0 ? blocks_[b - 1].last_doc : 0, docs_.data(),
                         segment_->postings_readable_end(), prev);
  if (prev != m.last_doc || m.last_doc >= segment_->doc_count()) return damaged();
  for (int f = 0; f < 3; ++f) {
    tf_field_[f] = p;
    p += packed_bytes(count_, tf_bits_[f]);
  }
  tfs_decoded_ = false;
  tf_index_ = SIZE_MAX;
  pos_cursor_ = positions_ + m.positions_offset;
  pos_index_ = 0;
  pos_doc_ = SIZE_MAX;
  index_ = 0;
  doc_ = docs_[0];
}

void PostingCursor::next() {
  if (doc_ == kNoMoreDocs) return;
  if (++index_ < count_) {
    doc_ = docs_[index_];
  } else {
    load_block(block_ + 1);
  }
}

void PostingCursor::advance_block(std::uint32_t target) {
  // Skip whole blocks by their last document (galloping would help on huge lists).
  size_t b = block_ + 1;
  while (b < blocks_.size() && blocks_[b].last_doc < target) ++b;
  load_block(b);
  if (doc_ != kNoMoreDocs) seek_in_block(target);
}

const BlockMeta* PostingCursor::block_for(std::uint32_t target) {
  if (shallow_ < block_) shallow_ = block_;
  while (shallow_ < blocks_.size() && blocks_[shallow_].last_doc < target) ++shallow_;
  return shallow_ < blocks_.size() ? &blocks_[shallow_] : nullptr;
}

void PostingCursor::decode_tfs() {
  for (int f = 0; f < 3; ++f)
    unpack_block(tf_field_[f], count_, tf_bits_[f], tfs_[f].data(),
                 segment_->postings_readable_end());
  tfs_decoded_ = true;
}

const std::array<std::uint32_t, 3>& PostingCursor::tf() {
  if (tf_index_ != index_ || tf_index_ == SIZE_MAX) {
    if (tfs_decoded_) {
      for (int f = 0; f < 3; ++f) tf_[f] = tfs_[f][index_];
    } else {
      // One document's frequencies straight from the packed fields: a probe into a block
      // need not decode its 128 frequencies of each field. (Reads at most 7 bytes past the
      // packed data: segment files end in slack.)
      for (int f = 0; f < 3; ++f) {
        const unsigned bits = tf_bits_[f];
        if (bits == 0) {
          tf_[f] = 0;
          continue;
        }
        const size_t bitpos = index_ * bits;
        std::uint64_t word;
        std::memcpy(&word, tf_field_[f] + (bitpos >> 3), 8);
        tf_[f] = static_cast<std::uint32_t>((word >> (bitpos & 7)) & ((1u << bits) - 1));
      }
    }
    tf_index_ = index_;
  }
  return tf_;
}

void PostingCursor::decode_positions() {
  if (!tfs_decoded_) decode_tfs();
  const std::uint8_t* end = segment_->positions_end();
  // Skip the positions of earlier documents in the block.
  while (pos_index_ < index_) {
    for (int f = 0; f < 3; ++f) {
      for (std::uint32_t k = 0; k < tfs_[f][pos_index_]; ++k) {
        std::uint64_t v;
        const std::uint8_t* q = get_varint(pos_cursor_, end, v);
        pos_cursor_ = q ? q : end;
      }
    }
    ++pos_index_;
  }
  for (int f = 0; f < 3; ++f) {
    pos_[f].clear();
    std::uint32_t prev = 0;
    for (std::uint32_t k = 0; k < tfs_[f][index_]; ++k) {
      std::uint64_t v = 0;
      const std::uint8_t* q = get_varint(pos_cursor_, end, v);
      pos_cursor_ = q ? q : end;
      prev += static_cast<std::uint32_t>(v);
      pos_[f].push_back(prev);
    }
  }
  ++pos_index_;
  pos_doc_ = index_;
}

std::span<const std::uint32_t> PostingCursor::positions(int field) {
  if (doc_ == kNoMoreDocs) return {};
  if (pos_doc_ != index_) {
    if (pos_index_ > index_) {  // went backwards within a block: restart its positions
      pos_cursor_ = positions_ + blocks_[block_].positions_offset;
      pos_index_ = 0;
    }
    decode_positions();
  }
  return pos_[field];
}

}  // namespace pb::lexical
