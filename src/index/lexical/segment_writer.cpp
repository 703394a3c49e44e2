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
  PB_CHECK(in_term_);
  PB_CHECK(doc < docs_.size());
  PB_CHECK(term_df_ == 0 || doc > last_doc_);
  block_docs_.push_back(doc);
  for (int f = 0; f < 3; ++f) {
    block_tf_[f].push_back(saturate8(tf[f]));
    size_t n = std::min<size_t>(positions[f].size(), 255);
    if (tf[f] == 0) continue;
    // As many positions as the stored tf says, so the reader can skip by tf alone.
    size_t stored = std::min<size_t>(saturate8(tf[f]), 255);
    std::uint32_t prev = 0;
    for (size_t i = 0; i < stored; ++i) {
      std::uint32_t p = i < n ? positions[f][i] : prev;
      put_varint(p - prev, block_positions_);
      prev = p;
    }
  }
  ++term_df_;
  last_doc_ = doc;
  if (block_docs_.size() == kBlockSize) flush_block();
}

void SegmentWriter::flush_block() {
  if (block_docs_.empty()) return;
  TermEntry& term = terms_.back();
  BlockMeta m{};
  m.last_doc = block_docs_.back();
  m.postings_offset = static_cast<std::uint32_t>(postings_.size() - term.postings_offset);
  m.positions_offset = static_cast<std::uint32_t>(positions_.size() - term.positions_offset);
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
  positions_ += block_positions_;
  blocks_.push_back(m);
  block_docs_.clear();
  for (auto& t : block_tf_) t.clear();
  block_positions_.clear();
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
  postings_.emplace_back();
  return id;
}

std::uint32_t SegmentBuilder::term_id(const text::Token& token) {
  if (token.term_key == text::kNoTermKey) return term_id(token.term);
  if (token.term_key >= key_terms_.size())
    key_terms_.resize(std::max<size_t>(token.term_key + 1, key_terms_.size() * 2), kNoTerm);
  std::uint32_t& term = key_terms_[token.term_key];
  if (term == kNoTerm) term = term_id(analyzer_.term_text(token.term_key));
  return term;
}

void SegmentBuilder::add(const IndexDoc& doc) {
  const auto doc_id = static_cast<std::uint32_t>(docs_.size());
  DocInfo info;
  info.id = doc.id;
  info.day = doc.day;
  const std::uint32_t local = (doc_id - batch_first_doc_) << 2;
  // Term text is only needed for the title's hash; elsewhere the term keys suffice.
  auto analyze_field = [&](std::uint32_t field, std::string_view text, std::uint32_t first) {
    tokens_.clear();
    std::uint32_t next = field == 0 ? analyzer_.analyze(text, tokens_, first)
                                    : analyzer_.analyze_keys(text, tokens_, first);
    if (analyzer_.term_key_epoch() != key_epoch_) {
      key_epoch_ = analyzer_.term_key_epoch();
      key_terms_.clear();
    }
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

  // Categories are special terms (the analyzer never makes them): no positions, so they go
  // straight to their postings, in document order like everything else.
  for (const auto& c : doc.categories) {
    const std::string lower = ascii_lower(c);
    if (lower.empty()) continue;
    auto& out = postings_[term_id(prefixed(kCategoryPrefix, lower))];
    if (out.size() >= 4 && out[out.size() - 4] == doc_id) continue;  // duplicate category
    out.insert(out.end(), {doc_id, 0, 0, 0});
  }
  if (batch_.size() >= kBatchOccurrences) flush_batch();
}

void SegmentBuilder::flush_batch() {
  if (batch_.empty()) {
    batch_first_doc_ = static_cast<std::uint32_t>(docs_.size());
    return;
  }
  // Stable LSD radix sort by term, 11 bits a pass, as many passes as the term ids need: within
  // a term the occurrences stay in analysis order (document, then field, then position).
  const auto max_term = static_cast<std::uint32_t>(terms_.size()) - 1;  // terms_ is not empty
  sorted_.resize(batch_.size());
  for (unsigned shift = 0; shift < 32 && (shift == 0 || max_term >> shift); shift += 11) {
    std::array<std::uint32_t, 2049> count{};
    for (const Occurrence& o : batch_) ++count[((o.term >> shift) & 2047) + 1];
    for (size_t i = 1; i < count.size(); ++i) count[i] += count[i - 1];
    for (const Occurrence& o : batch_) sorted_[count[(o.term >> shift) & 2047]++] = o;
    batch_.swap(sorted_);
  }
  // Each term's run, document by document: [doc, tf0, tf1, tf2, positions...]. Within a field
  // positions come out in increasing order, except that a compound's joined form, emitted
  // after its parts at the first part's position, can follow a larger position of the same
  // term; such (rare) runs are sorted.
  for (size_t i = 0; i < batch_.size();) {
    const std::uint32_t term = batch_[i].term;
    auto& out = postings_[term];
    while (i < batch_.size() && batch_[i].term == term) {
      const std::uint32_t doc_bits = batch_[i].doc_field >> 2;
      size_t j = i;
      std::array<std::uint32_t, 3> tf{};
      for (; j < batch_.size() && batch_[j].term == term && batch_[j].doc_field >> 2 == doc_bits;
           ++j)
        ++tf[batch_[j].doc_field & 3];
      const size_t at = out.size();
      out.resize(at + 4 + (j - i));
      std::uint32_t* p = out.data() + at;
      p[0] = batch_first_doc_ + doc_bits;
      p[1] = tf[0];
      p[2] = tf[1];
      p[3] = tf[2];
      p += 4;
      for (size_t k = i; k < j; ++k) *p++ = batch_[k].position;
      p = out.data() + at + 4;
      for (std::uint32_t f : tf) {
        if (!std::is_sorted(p, p + f)) std::sort(p, p + f);
        p += f;
      }
      i = j;
    }
  }
  batch_.clear();
  batch_first_doc_ = static_cast<std::uint32_t>(docs_.size());
}

Status SegmentBuilder::write(const std::filesystem::path& path) {
  flush_batch();
  SegmentWriter w;
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
  for (const auto& [prefix, t] : order) {
    w.begin_term(terms_[t]);
    const auto& p = postings_[t];
    size_t i = 0;
    while (i < p.size()) {
      std::uint32_t doc = p[i];
      std::array<std::uint32_t, 3> tf = {p[i + 1], p[i + 2], p[i + 3]};
      i += 4;
      std::array<std::span<const std::uint32_t>, 3> pos;
      for (int f = 0; f < 3; ++f) {
        pos[f] = std::span<const std::uint32_t>(p.data() + i, tf[f]);
        i += tf[f];
      }
      w.add_posting(doc, tf, pos);
    }
    w.end_term();
  }
  return w.finish(path);
}

}  // namespace pb::lexical
