#include "index/lexical/segment_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/ascii.hpp"
#include "core/hash.hpp"
#include "index/lexical/codec.hpp"

namespace pb::lexical {
namespace {

std::uint8_t saturate8(std::uint32_t v) {
  return static_cast<std::uint8_t>(std::min<std::uint32_t>(v, 255));
}

Status write_all(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::io(fmt::format("writing {}: {}", path, std::strerror(errno)));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return ok_status();
}

}  // namespace

std::uint8_t length_code(std::uint32_t length) {
  // The table increases strictly: the code is the last entry <= length.
  auto it = std::upper_bound(kLengthOfCode.begin(), kLengthOfCode.end(), length);
  return static_cast<std::uint8_t>(it - kLengthOfCode.begin() - 1);
}

std::uint64_t title_hash_of(const std::vector<text::Token>& tokens) {
  std::string joined;
  for (const auto& t : tokens) {
    if (t.joined) continue;
    if (!joined.empty()) joined += ' ';
    joined += t.term;
  }
  if (joined.empty()) return 0;
  std::uint64_t h = fnv1a64(joined);
  return h == 0 ? 1 : h;
}

std::uint64_t title_hash(std::string_view title, text::Analyzer& analyzer) {
  std::vector<text::Token> tokens;
  analyzer.analyze(title, tokens);
  return title_hash_of(tokens);
}

void SegmentWriter::add_doc(const DocInfo& doc) {
  DocEntry e{};
  e.id_offset = static_cast<std::uint32_t>(ids_.size());
  e.id_size = static_cast<std::uint16_t>(std::min<size_t>(doc.id.size(), 65535));
  ids_.append(doc.id, 0, e.id_size);
  for (int f = 0; f < 3; ++f) {
    e.length[f] = doc.length[f];
    length_sum_[f] += doc.length[f];
  }
  e.day = doc.day;
  if (doc.title_hash != 0)
    titles_.emplace_back(doc.title_hash, static_cast<std::uint32_t>(docs_.size()));
  docs_.push_back(e);
}

void SegmentWriter::begin_term(std::string_view term) {
  PB_CHECK(!in_term_);
  PB_CHECK(terms_.empty() || term > std::string_view(last_term_));
  PB_CHECK(term.size() <= 65535);
  // Offsets inside a segment are 32-bit; segments are cut well below that (~200k papers).
  PB_CHECK(postings_.size() < UINT32_MAX && positions_.size() < UINT32_MAX);
  last_term_.assign(term);
  TermEntry e{};
  e.bytes_offset = static_cast<std::uint32_t>(term_bytes_.size());
  e.bytes_size = static_cast<std::uint16_t>(term.size());
  term_bytes_.append(term);
  e.first_block = static_cast<std::uint32_t>(blocks_.size());
  e.postings_offset = static_cast<std::uint32_t>(postings_.size());
  e.positions_offset = static_cast<std::uint32_t>(positions_.size());
  terms_.push_back(e);
  in_term_ = true;
  term_df_ = 0;
  last_doc_ = 0;
}

void SegmentWriter::add_posting(std::uint32_t doc, const std::array<std::uint32_t, 3>& tf,
                                const std::array<std::span<const std::uint32_t>, 3>& positions) {
  if (block_docs_.empty()) block_positions_begin_ = positions_.size();
  for (int f = 0; f < 3; ++f) {
    if (tf[f] == 0) continue;
    // As many positions as the stored tf says, so the reader can skip by tf alone.
    size_t n = std::min<size_t>(positions[f].size(), 255);
    size_t stored = saturate8(tf[f]);
    std::uint32_t prev = 0;
    for (size_t i = 0; i < stored; ++i) {
      std::uint32_t p = i < n ? positions[f][i] : prev;
      put_varint(p - prev, positions_);
      prev = p;
    }
  }
  count_posting(doc, tf);
}

void SegmentWriter::add_posting_encoded(std::uint32_t doc, const std::array<std::uint32_t, 3>& tf,
                                        std::string_view positions) {
  if (block_docs_.empty()) block_positions_begin_ = positions_.size();
  positions_.append(positions);
  count_posting(doc, tf);
}

void SegmentWriter::count_posting(std::uint32_t doc, const std::array<std::uint32_t, 3>& tf) {
  PB_CHECK(in_term_);
  PB_CHECK(doc < docs_.size());
  PB_CHECK(term_df_ == 0 || doc > last_doc_);
  block_docs_.push_back(doc);
  for (int f = 0; f < 3; ++f) block_tf_[f].push_back(saturate8(tf[f]));
  ++term_df_;
  last_doc_ = doc;
  if (block_docs_.size() == kBlockSize) flush_block();
}

void SegmentWriter::reserve(size_t postings_bytes, size_t positions_bytes) {
  postings_.reserve(postings_bytes);
  positions_.reserve(positions_bytes);
}

void SegmentWriter::flush_block() {
  if (block_docs_.empty()) return;
  TermEntry& term = terms_.back();
  BlockMeta m{};
  m.last_doc = block_docs_.back();
  m.postings_offset = static_cast<std::uint32_t>(postings_.size() - term.postings_offset);
  m.positions_offset = static_cast<std::uint32_t>(block_positions_begin_ - term.positions_offset);
  m.count = static_cast<std::uint8_t>(block_docs_.size() - 1);
  for (int f = 0; f < 3; ++f) {
    std::uint32_t mx = 0;
    std::uint16_t mn = 65535;
    for (size_t i = 0; i < block_docs_.size(); ++i) {
      mx = std::max(mx, block_tf_[f][i]);
      mn = std::min(mn, docs_[block_docs_[i]].length[f]);
    }
    m.max_tf[f] = saturate8(mx);
    m.min_length[f] = length_code(mn);
  }
  // Gaps from the previous block's last document (the first block starts from 0).
  std::uint32_t prev = blocks_.size() > term.first_block ? blocks_.back().last_doc : 0;
  std::vector<std::uint32_t>& gaps = block_gaps_;
  gaps.resize(block_docs_.size());
  for (size_t i = 0; i < block_docs_.size(); ++i) {
    gaps[i] = block_docs_[i] - prev;
    prev = block_docs_[i];
  }
  unsigned doc_bits = bits_needed(gaps);
  std::array<unsigned, 3> tf_bits{};
  for (int f = 0; f < 3; ++f) tf_bits[f] = bits_needed(block_tf_[f]);
  postings_ += static_cast<char>(doc_bits);
  for (int f = 0; f < 3; ++f) postings_ += static_cast<char>(tf_bits[f]);
  pack(gaps, doc_bits, postings_);
  for (int f = 0; f < 3; ++f) pack(block_tf_[f], tf_bits[f], postings_);
  blocks_.push_back(m);
  block_docs_.clear();
  for (auto& t : block_tf_) t.clear();
}

void SegmentWriter::end_term() {
  PB_CHECK(in_term_);
  flush_block();
  TermEntry& term = terms_.back();
  term.df = term_df_;
  in_term_ = false;
  if (term_df_ == 0) {  // no postings: drop the term
    term_bytes_.resize(term.bytes_offset);
    terms_.pop_back();
  }
}

Status SegmentWriter::finish(const std::filesystem::path& path) {
  PB_CHECK(!in_term_);
  SegmentHeader h{};
  std::memcpy(h.magic, kSegmentMagic, sizeof h.magic);
  h.version = kSegmentVersion;
  h.doc_count = static_cast<std::uint32_t>(docs_.size());
  h.term_count = static_cast<std::uint32_t>(terms_.size());
  h.block_count = static_cast<std::uint32_t>(blocks_.size());
  for (int f = 0; f < 3; ++f) h.field_length_sum[f] = length_sum_[f];
  auto align8 = [](std::uint64_t v) { return (v + 7) & ~std::uint64_t{7}; };
  std::uint64_t off = align8(sizeof h);
  h.docs_offset = off;
  off = align8(off + docs_.size() * sizeof(DocEntry));
  h.ids_offset = off;
  h.ids_size = ids_.size();
  off = align8(off + ids_.size());
  // Documents in id order, and title hashes in hash order, for binary search.
  std::vector<std::uint32_t> id_order(docs_.size());
  for (std::uint32_t d = 0; d < id_order.size(); ++d) id_order[d] = d;
  auto id_of = [&](std::uint32_t d) {
    return std::string_view(ids_).substr(docs_[d].id_offset, docs_[d].id_size);
  };
  std::stable_sort(id_order.begin(), id_order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return id_of(a) < id_of(b); });
  h.id_order_offset = off;
  off = align8(off + id_order.size() * sizeof(std::uint32_t));
  std::sort(titles_.begin(), titles_.end());
  std::vector<std::uint64_t> title_hashes;
  std::vector<std::uint32_t> title_docs;
  for (const auto& [hash, doc] : titles_) {
    title_hashes.push_back(hash);
    title_docs.push_back(doc);
  }
  h.title_count = titles_.size();
  h.title_hash_offset = off;
  off = align8(off + title_hashes.size() * sizeof(std::uint64_t));
  h.title_doc_offset = off;
  off = align8(off + title_docs.size() * sizeof(std::uint32_t));
  h.terms_offset = off;
  off = align8(off + terms_.size() * sizeof(TermEntry));
  h.term_bytes_offset = off;
  h.term_bytes_size = term_bytes_.size();
  off = align8(off + term_bytes_.size());
  h.blocks_offset = off;
  off = align8(off + blocks_.size() * sizeof(BlockMeta));
  h.postings_offset = off;
  h.postings_size = postings_.size();
  off = align8(off + postings_.size());
  h.positions_offset = off;
  h.positions_size = positions_.size();
  // Slack so that 8-byte reads at the end of a packed block stay inside the file.
  off = align8(off + positions_.size() + 16);
  h.file_size = off;

  std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::io(fmt::format("creating {}: {}", tmp, std::strerror(errno)));
  std::uint64_t written = 0;
  auto put = [&](const void* data, size_t size, std::uint64_t at) -> Status {
    static const char zeros[64] = {};
    while (written < at) {
      size_t pad = static_cast<size_t>(std::min<std::uint64_t>(at - written, sizeof zeros));
      PB_RETURN_IF_ERROR(write_all(fd, zeros, pad, tmp));
      written += pad;
    }
    PB_RETURN_IF_ERROR(write_all(fd, data, size, tmp));
    written += size;
    return ok_status();
  };
  Status st = put(&h, sizeof h, 0);
  if (st.ok()) st = put(docs_.data(), docs_.size() * sizeof(DocEntry), h.docs_offset);
  if (st.ok()) st = put(ids_.data(), ids_.size(), h.ids_offset);
  if (st.ok()) st = put(id_order.data(), id_order.size() * 4, h.id_order_offset);
  if (st.ok()) st = put(title_hashes.data(), title_hashes.size() * 8, h.title_hash_offset);
  if (st.ok()) st = put(title_docs.data(), title_docs.size() * 4, h.title_doc_offset);
  if (st.ok()) st = put(terms_.data(), terms_.size() * sizeof(TermEntry), h.terms_offset);
  if (st.ok()) st = put(term_bytes_.data(), term_bytes_.size(), h.term_bytes_offset);
  if (st.ok()) st = put(blocks_.data(), blocks_.size() * sizeof(BlockMeta), h.blocks_offset);
  if (st.ok()) st = put(postings_.data(), postings_.size(), h.postings_offset);
  if (st.ok()) st = put(positions_.data(), positions_.size(), h.positions_offset);
  if (st.ok()) st = put("", 0, h.file_size);
  if (st.ok() && ::fsync(fd) != 0)
    st = Error::io(fmt::format("syncing {}: {}", tmp, std::strerror(errno)));
  ::close(fd);
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0)
    st = Error::io(fmt::format("renaming {}: {}", tmp, std::strerror(errno)));
  if (!st.ok()) std::remove(tmp.c_str());
  return st;
}

std::uint32_t SegmentBuilder::term_id(std::string_view term) {
  if (const std::uint32_t* found = vocabulary_.find(term)) return *found;
  auto id = static_cast<std::uint32_t>(terms_.size());
  vocabulary_.insert(term, id);
  terms_.emplace_back(term);
  return id;
}

std::uint32_t SegmentBuilder::term_id(const text::Token& token) {
  if (token.term_key == text::kNoTermKey) return term_id(token.term);
  if (token.key_value != text::kNoTermKey) return token.key_value;
  // The first time this binding meets the word (or again within the same analyze() call).
  const std::uint32_t term = term_id(analyzer_.term_text(token.term_key));
  analyzer_.set_term_key_value(token.term_key, term);
  return term;
}

void SegmentBuilder::add(const IndexDoc& doc) {
  const auto doc_id = static_cast<std::uint32_t>(docs_.size());
  DocInfo info;
  info.id = doc.id;
  info.day = doc.day;
  const std::uint32_t local = (doc_id - batch_first_doc_) << 2;
  // Another user of the analyzer (another builder) may have bound its values since.
  if (analyzer_.term_key_binding() != key_binding_) key_binding_ = analyzer_.bind_term_key_values();
  // Term text is only needed for the title's hash; elsewhere the term keys suffice.
  auto analyze_field = [&](std::uint32_t field, std::string_view text, std::uint32_t first) {
    tokens_.clear();
    std::uint32_t next = field == 0 ? analyzer_.analyze(text, tokens_, first)
                                    : analyzer_.analyze_keys(text, tokens_, first);
    for (const auto& t : tokens_) batch_.push_back({term_id(t), local | field, t.position});
    return next;
  };
  std::uint32_t n = analyze_field(0, doc.title, 0);
  info.title_hash = title_hash_of(tokens_);
  info.length[0] = static_cast<std::uint16_t>(std::min<std::uint32_t>(n, 65535));
  n = analyze_field(1, doc.abstract, 0);
  info.length[1] = static_cast<std::uint16_t>(std::min<std::uint32_t>(n, 65535));
  // Authors: a gap of 8 positions between names so a phrase never spans two authors.
  std::uint32_t pos = 0, words = 0;
  for (const auto& a : doc.authors) {
    std::uint32_t next = analyze_field(2, a, pos);
    words += next - pos;
    pos = next + 8;
  }
  info.length[2] = static_cast<std::uint16_t>(std::min<std::uint32_t>(words, 65535));
  docs_.push_back(info);

  // Categories are special terms (the analyzer never makes them): occurrences of "field" 3,
  // which counts towards no field's frequency and has no positions.
  for (const auto& c : doc.categories) {
    const std::string lower = ascii_lower(c);
    if (lower.empty()) continue;
    batch_.push_back({term_id(prefixed(kCategoryPrefix, lower)), local | 3, 0});
  }
  if (batch_.size() >= options_.batch_occurrences) flush_batch();
}

std::uint8_t* SegmentBuilder::chunk_room(size_t bytes) {
  if (chunks_.empty() || chunk_capacity_ - chunk_used_ < bytes) {
    // Uninitialised: pages are touched only as slices are written into them.
    chunk_capacity_ = std::max(options_.chunk_bytes, bytes);
    chunks_.push_back(std::make_unique_for_overwrite<std::uint8_t[]>(chunk_capacity_));
    chunk_used_ = 0;
  }
  return chunks_.back().get() + chunk_used_;
}

namespace {

std::uint8_t* put_varint32(std::uint32_t v, std::uint8_t* out) {
  while (v >= 0x80) {
    *out++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(v);
  return out;
}

// For the builder's own slices (well-formed by construction).
std::uint32_t take_varint32(const std::uint8_t*& p) {
  std::uint32_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const std::uint8_t b = *p++;
    v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
}

// A posting's three term frequencies: one byte when each is at most 3 (nearly always), else
// a marker byte and three varints.
constexpr std::uint8_t kWideTfs = 64;
std::uint8_t* put_tfs(const std::array<std::uint32_t, 4>& tf, std::uint8_t* out) {
  if (tf[0] <= 3 && tf[1] <= 3 && tf[2] <= 3) {
    *out++ = static_cast<std::uint8_t>(tf[0] | tf[1] << 2 | tf[2] << 4);
    return out;
  }
  *out++ = kWideTfs;
  for (int f = 0; f < 3; ++f) out = put_varint32(tf[f], out);
  return out;
}

std::array<std::uint32_t, 3> take_tfs(const std::uint8_t*& p) {
  const std::uint8_t b = *p++;
  if (b != kWideTfs) return {b & 3u, (b >> 2) & 3u, (b >> 4) & 3u};
  std::array<std::uint32_t, 3> tf;
  for (auto& f : tf) f = take_varint32(p);
  return tf;
}

}  // namespace

void SegmentBuilder::flush_batch() {
  if (batch_.empty()) {
    batch_first_doc_ = static_cast<std::uint32_t>(docs_.size());
    return;
  }
  // Stable LSD radix sort by term, 11 bits a pass, as many passes as the term ids need: within
  // a term the occurrences stay in analysis order (document, then field, then position). The
  // counts of every pass come from one read of the batch.
  const auto max_term = static_cast<std::uint32_t>(terms_.size()) - 1;  // terms_ is not empty
  constexpr unsigned kBits = 11, kMaxPasses = (32 + kBits - 1) / kBits;
  unsigned passes = 1;
  while (passes < kMaxPasses && (max_term >> (passes * kBits)) != 0) ++passes;
  std::array<std::array<std::uint32_t, 2048>, kMaxPasses> count{};
  auto count_digits = [&]<unsigned kPasses>() {
    for (const Occurrence& o : batch_) {
      for (unsigned p = 0; p < kPasses; ++p) ++count[p][(o.term >> (p * kBits)) & 2047];
    }
  };
  static_assert(kMaxPasses == 3);
  if (passes == 1)
    count_digits.operator()<1>();
  else if (passes == 2)
    count_digits.operator()<2>();
  else
    count_digits.operator()<3>();
  sorted_.resize(batch_.size());
  for (unsigned p = 0; p < passes; ++p) {
    std::uint32_t sum = 0;  // counts to starting offsets
    for (std::uint32_t& c : count[p]) {
      const std::uint32_t n = c;
      c = sum;
      sum += n;
    }
    const unsigned shift = p * kBits;
    for (const Occurrence& o : batch_) sorted_[count[p][(o.term >> shift) & 2047]++] = o;
    batch_.swap(sorted_);
  }
  // Each term's run becomes one slice. Within a field positions come out in increasing order,
  // except that a compound's joined form, emitted after its parts at the first part's
  // position, can follow a larger position of the same term; such (rare) runs are sorted.
  for (size_t i = 0; i < batch_.size();) {
    const std::uint32_t term = batch_[i].term;
    size_t run_end = i;
    while (run_end < batch_.size() && batch_[run_end].term == term) ++run_end;
    // Worst case per occurrence: a document header (a varint and put_tfs()) and a position.
    std::uint8_t* const start = chunk_room(4 + (run_end - i) * 26);
    slices_.push_back({term, static_cast<std::uint32_t>(chunks_.size() - 1),
                       static_cast<std::uint32_t>(chunk_used_)});
    // The slice starts with its document count, four bytes filled in at the end.
    std::uint8_t* out = start + 4;
    std::uint32_t docs = 0;
    std::uint32_t prev_doc = 0;
    while (i < run_end) {
      ++docs;
      const std::uint32_t doc_bits = batch_[i].doc_field >> 2;
      size_t j = i;
      std::array<std::uint32_t, 4> tf{};
      for (; j < run_end && batch_[j].doc_field >> 2 == doc_bits; ++j)
        ++tf[batch_[j].doc_field & 3];
      const std::uint32_t doc = batch_first_doc_ + doc_bits;
      out = put_varint32(doc - prev_doc, out);  // the first absolute, then gaps
      prev_doc = doc;
      out = put_tfs(tf, out);
      const std::uint8_t* positions_begin = out;
      size_t k = i;
      for (int f = 0; f < 3; ++f) {
        if (tf[f] == 0) continue;
        const Occurrence* o = batch_.data() + k;
        k += tf[f];
        std::uint32_t prev = 0;
        const size_t stored = std::min<std::uint32_t>(tf[f], 255);  // as SegmentWriter keeps
        bool in_order = true;
        for (size_t m = 1; m < tf[f] && in_order; ++m)
          in_order = o[m - 1].position <= o[m].position;
        if (in_order) {
          for (size_t m = 0; m < stored; ++m) {
            out = put_varint32(o[m].position - prev, out);
            prev = o[m].position;
          }
        } else {
          scratch_positions_.clear();
          for (size_t m = 0; m < tf[f]; ++m) scratch_positions_.push_back(o[m].position);
          std::sort(scratch_positions_.begin(), scratch_positions_.end());
          for (size_t m = 0; m < stored; ++m) {
            out = put_varint32(scratch_positions_[m] - prev, out);
            prev = scratch_positions_[m];
          }
        }
      }
      position_bytes_ += static_cast<std::uint64_t>(out - positions_begin);
      ++postings_count_;
      i = j;
    }
    std::memcpy(start, &docs, 4);
    chunk_used_ += static_cast<size_t>(out - start);
  }
  batch_.clear();
  batch_first_doc_ = static_cast<std::uint32_t>(docs_.size());
}

Status SegmentBuilder::write(const std::filesystem::path& path) {
  flush_batch();
  SegmentWriter w;
  // About a byte per value for gaps and frequencies (a bound is not needed: it is a hint).
  w.reserve(static_cast<size_t>(postings_count_ * 2), static_cast<size_t>(position_bytes_));
  for (const auto& d : docs_) w.add_doc(d);
  // Terms in byte order. Sorted by their first eight bytes as a big-endian number first (the
  // same order for those bytes), so that most comparisons are one integer compare.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order(terms_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) {
    std::uint64_t prefix = 0;
    const std::string& term = terms_[i];
    for (size_t k = 0; k < 8; ++k) {
      prefix <<= 8;
      if (k < term.size()) prefix |= static_cast<unsigned char>(term[k]);
    }
    order[i] = {prefix, i};
  }
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return terms_[a.second] < terms_[b.second];
  });
  // Each term's slices, in term byte order and within a term in batch order (a stable
  // counting sort of the slices by the term's rank), so that the loop below walks the slice
  // list and its counts sequentially: only the slices' data lies scattered over the chunks,
  // and that is prefetched a few slices ahead.
  std::vector<std::uint32_t> rank(terms_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) rank[order[i].second] = i;
  std::vector<std::uint32_t> first(terms_.size() + 1, 0);
  for (const Slice& s : slices_) ++first[rank[s.term] + 1];
  for (size_t t = 1; t < first.size(); ++t) first[t] += first[t - 1];
  // The data of each slice, in the order it is read.
  std::vector<const std::uint8_t*> by_rank(slices_.size());
  {
    std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
    for (const Slice& s : slices_)
      by_rank[next[rank[s.term]]++] = chunks_[s.chunk].get() + s.offset;
  }
  slices_.clear();
  slices_.shrink_to_fit();
  rank.clear();
  rank.shrink_to_fit();
  // Most of the 426k terms of the 102k-paper corpus are rare, and each would miss the CPU
  // caches on its text and on its first slice: those are prefetched ahead.
  constexpr size_t kTermsAhead = 16, kSlicesAhead = 16;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i + 2 * kTermsAhead < order.size())
      __builtin_prefetch(&terms_[order[i + 2 * kTermsAhead].second]);
    if (i + kTermsAhead < order.size())
      __builtin_prefetch(terms_[order[i + kTermsAhead].second].data());
    w.begin_term(terms_[order[i].second]);
    for (std::uint32_t k = first[i]; k < first[i + 1]; ++k) {
      if (k + kSlicesAhead < by_rank.size()) __builtin_prefetch(by_rank[k + kSlicesAhead]);
      const std::uint8_t* p = by_rank[k];
      std::uint32_t docs;
      std::memcpy(&docs, p, 4);
      p += 4;
      std::uint32_t doc = 0;
      while (docs-- > 0) {
        doc += take_varint32(p);
        const std::array<std::uint32_t, 3> tf = take_tfs(p);
        const std::uint8_t* positions = p;
        for (std::uint32_t f : tf) {
          for (std::uint32_t m = std::min<std::uint32_t>(f, 255); m > 0; --m) {
            while (*p & 0x80) ++p;
            ++p;
          }
        }
        w.add_posting_encoded(doc, tf,
                              std::string_view(reinterpret_cast<const char*>(positions),
                                               static_cast<size_t>(p - positions)));
      }
    }
    w.end_term();
  }
  return w.finish(path);
}

}  // namespace pb::lexical
