// Tests of the lexical index storage: integer codecs, segment writing and reading (against a
// brute-force inverted index built with the same Analyzer), corrupt segment files, and the
// LexicalIndex life cycle (updates, tombstones, merges, crash safety of the manifest switch).

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "index/lexical/codec.hpp"
#include "index/lexical/index.hpp"
#include "index/lexical/query.hpp"
#include "index/lexical/searcher.hpp"
#include "index/lexical/segment.hpp"
#include "index/lexical/segment_format.hpp"
#include "index/lexical/segment_writer.hpp"
#include "lexical_test_util.hpp"
#include "text/analyzer.hpp"

namespace pb::lexical {
namespace {

using pb::testing::TempDir;

// ---------------------------------------------------------------------------------------------
// Codec

TEST(CodecTest, BitsNeeded) {
  EXPECT_EQ(bits_needed({}), 0u);
  std::vector<std::uint32_t> v = {0, 0, 0};
  EXPECT_EQ(bits_needed(v), 0u);
  v = {0, 1, 0};
  EXPECT_EQ(bits_needed(v), 1u);
  v = {5, 2};
  EXPECT_EQ(bits_needed(v), 3u);
  v = {0x80000000u};
  EXPECT_EQ(bits_needed(v), 32u);
  v = {0xffffffffu, 0};
  EXPECT_EQ(bits_needed(v), 32u);
  for (unsigned bits = 1; bits <= 32; ++bits) {
    std::vector<std::uint32_t> one = {std::uint32_t{1} << (bits - 1)};
    EXPECT_EQ(bits_needed(one), bits);
  }
}

TEST(CodecTest, PackUnpackRoundTripsEveryWidthAndCount) {
  std::mt19937_64 rng(42);
  for (unsigned bits = 0; bits <= 32; ++bits) {
    const std::uint64_t max = bits == 0 ? 0 : (bits == 32 ? 0xffffffffull : (1ull << bits) - 1);
    for (size_t count = 1; count <= kBlockSize; ++count) {
      std::vector<std::uint32_t> values(count);
      for (auto& v : values) v = static_cast<std::uint32_t>(rng() & max);
      // The top value of the width must survive too.
      values[rng() % count] = static_cast<std::uint32_t>(max);
      ASSERT_LE(bits_needed(values), bits);

      // Pack after some existing bytes: pack appends and must not touch them.
      std::string out = "xyz";
      size_t written = pack(values, bits, out);
      ASSERT_EQ(written, packed_bytes(count, bits)) << "bits " << bits << " count " << count;
      ASSERT_EQ(out.size(), 3 + written);
      ASSERT_EQ(out.substr(0, 3), "xyz");

      // The reader may read 8 bytes at a time: give it a buffer of exactly the packed size
      // (ASan catches an overread of a separately allocated buffer).
      std::vector<std::uint8_t> in(out.begin() + 3, out.end());
      std::vector<std::uint32_t> decoded(count, 0xdeadbeef);
      size_t consumed = unpack(in.data(), count, bits, decoded.data());
      ASSERT_EQ(consumed, written);
      ASSERT_EQ(decoded, values) << "bits " << bits << " count " << count;
    }
  }
}

TEST(CodecTest, WidthZeroStoresNothingAndUnpacksZeros) {
  std::vector<std::uint32_t> zeros(kBlockSize, 0);
  std::string out;
  EXPECT_EQ(pack(zeros, 0, out), 0u);
  EXPECT_TRUE(out.empty());
  std::vector<std::uint32_t> decoded(kBlockSize, 7);
  EXPECT_EQ(unpack(nullptr, kBlockSize, 0, decoded.data()), 0u);
  EXPECT_EQ(decoded, zeros);
}

// unpack_block's fast paths (AVX2 where the CPU has it, else 64-bit words) must agree with
// unpack() at every width and count, whatever the readable bytes after the block allow: each
// case is decoded with exactly 0, 7, 8, 15, 16, 40 and 600 readable bytes after the packed data
// (600 lets even a 1-value block take a full-block path; ASan catches an overread of the
// separately allocated buffer).
TEST(CodecTest, BlockUnpackMatchesPlainUnpackAtEveryWidth) {
  std::mt19937_64 rng(11);
  for (unsigned bits = 0; bits <= 32; ++bits) {
    const std::uint64_t max = bits == 0 ? 0 : (bits == 32 ? 0xffffffffull : (1ull << bits) - 1);
    for (size_t count :
         {size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{64}, size_t{127}, kBlockSize}) {
      std::vector<std::uint32_t> values(count);
      for (auto& v : values) v = static_cast<std::uint32_t>(rng() & max);
      values[rng() % count] = static_cast<std::uint32_t>(max);
      std::string packed;
      pack(values, bits, packed);
      for (size_t slack : {0, 7, 8, 15, 16, 40, 600}) {
        // Slack bytes full of ones: a fast path that let them into a value would show.
        std::vector<std::uint8_t> in(packed.begin(), packed.end());
        in.resize(packed.size() + slack, 0xff);
        std::vector<std::uint32_t> decoded(kBlockSize, 0xdeadbeef);
        size_t consumed =
            unpack_block(in.data(), count, bits, decoded.data(), in.data() + in.size());
        ASSERT_EQ(consumed, packed.size());
        decoded.resize(count);
        ASSERT_EQ(decoded, values) << "bits " << bits << " count " << count << " slack " << slack;
      }
    }
  }
}

// The PB_SIMD=0 seam (CTest's lexical_test_scalar) really selects the scalar paths.
TEST(CodecTest, SimdSeamFollowsTheEnvironment) {
  const char* env = std::getenv("PB_SIMD");
  if (env && std::string_view(env) == "0") {
    EXPECT_FALSE(use_avx2());
  } else {
#if defined(__x86_64__)
    EXPECT_EQ(use_avx2(), __builtin_cpu_supports("avx2") != 0);
#else
    EXPECT_FALSE(use_avx2());
#endif
  }
}

// Gaps become ids: every prefix sum from the base, on the vector path and the scalar one
// alike; a block whose sums pass 2^32 reports its true (unwrapped) last sum, so the caller's
// check against the block's last document catches it.
TEST(CodecTest, GapBlocksDecodeToIdsAndNeverHideAWrap) {
  std::mt19937_64 rng(5);
  for (unsigned bits : {1u, 3u, 8u, 13u, 17u, 24u, 25u, 31u, 32u}) {
    for (std::uint32_t base : {0u, 1u, 1000u, (1u << 31) - 1, 0xfffff000u}) {
      for (size_t count : {size_t{1}, size_t{5}, size_t{100}, kBlockSize}) {
        const std::uint64_t max = bits == 32 ? 0xffffffffull : (1ull << bits) - 1;
        std::vector<std::uint32_t> gaps(count);
        for (auto& g : gaps) g = static_cast<std::uint32_t>(rng() & max);
        gaps[rng() % count] = static_cast<std::uint32_t>(max);
        std::string packed;
        pack(gaps, bits, packed);
        packed.append(40, '\x7f');
        const auto* in = reinterpret_cast<const std::uint8_t*>(packed.data());
        std::vector<std::uint32_t> ids(kBlockSize, 0);
        std::uint64_t last = 0;
        size_t consumed =
            unpack_gaps_block(in, count, bits, base, ids.data(), in + packed.size(), last);
        ASSERT_EQ(consumed, packed_bytes(count, bits));
        std::uint64_t sum = base;
        for (size_t i = 0; i < count; ++i) {
          sum += gaps[i];
          ASSERT_EQ(ids[i], static_cast<std::uint32_t>(sum))
              << "bits " << bits << " base " << base << " i " << i;
        }
        EXPECT_EQ(last, sum) << "bits " << bits << " base " << base << " count " << count;
      }
    }
  }
}

TEST(CodecTest, ConsecutiveBlocksDecodeIndependently) {
  std::mt19937_64 rng(7);
  std::string out;
  std::vector<std::vector<std::uint32_t>> blocks;
  std::vector<unsigned> widths;
  for (int b = 0; b < 20; ++b) {
    unsigned bits = static_cast<unsigned>(rng() % 33);
    size_t count = 1 + rng() % kBlockSize;
    std::vector<std::uint32_t> v(count);
    for (auto& x : v) x = bits == 0 ? 0 : static_cast<std::uint32_t>(rng() >> (64 - bits));
    pack(v, bits, out);
    blocks.push_back(v);
    widths.push_back(bits);
  }
  out.append(8, '\0');
  const auto* p = reinterpret_cast<const std::uint8_t*>(out.data());
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::vector<std::uint32_t> decoded(blocks[b].size());
    p += unpack(p, decoded.size(), widths[b], decoded.data());
    EXPECT_EQ(decoded, blocks[b]) << "block " << b;
  }
  EXPECT_EQ(p, reinterpret_cast<const std::uint8_t*>(out.data()) + out.size() - 8);
}

TEST(CodecTest, VarintRoundTrips) {
  std::vector<std::uint64_t> values = {0,
                                       1,
                                       127,
                                       128,
                                       255,
                                       300,
                                       16383,
                                       16384,
                                       0xffffffffull,
                                       0x100000000ull,
                                       (1ull << 63) - 1,
                                       1ull << 63,
                                       std::numeric_limits<std::uint64_t>::max()};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) values.push_back(rng() >> (rng() % 64));
  std::string out;
  std::vector<size_t> sizes;
  for (auto v : values) {
    size_t before = out.size();
    put_varint(v, out);
    sizes.push_back(out.size() - before);
  }
  EXPECT_EQ(sizes[0], 1u);
  EXPECT_EQ(sizes[2], 1u);    // 127
  EXPECT_EQ(sizes[3], 2u);    // 128
  EXPECT_EQ(sizes[12], 10u);  // max uint64
  const auto* p = reinterpret_cast<const std::uint8_t*>(out.data());
  const auto* end = p + out.size();
  for (size_t i = 0; i < values.size(); ++i) {
    std::uint64_t v = 0;
    const auto* q = get_varint(p, end, v);
    ASSERT_NE(q, nullptr) << i;
    EXPECT_EQ(v, values[i]) << i;
    EXPECT_EQ(static_cast<size_t>(q - p), sizes[i]) << i;
    p = q;
  }
  EXPECT_EQ(p, end);
}

TEST(CodecTest, GetVarintRejectsTruncatedAndOverlongInput) {
  std::string out;
  put_varint(std::numeric_limits<std::uint64_t>::max(), out);
  ASSERT_EQ(out.size(), 10u);
  // Every proper prefix is truncated.
  for (size_t n = 0; n < out.size(); ++n) {
    std::vector<std::uint8_t> buf(out.begin(), out.begin() + static_cast<long>(n));
    std::uint64_t v = 0;
    EXPECT_EQ(get_varint(buf.data(), buf.data() + buf.size(), v), nullptr) << n;
  }
  // Empty input.
  std::uint8_t one = 5;
  std::uint64_t v = 0;
  EXPECT_EQ(get_varint(&one, &one, v), nullptr);
  // Eleven continuation bytes: longer than any uint64.
  std::vector<std::uint8_t> overlong(11, 0x80);
  overlong.push_back(0);
  EXPECT_EQ(get_varint(overlong.data(), overlong.data() + overlong.size(), v), nullptr);
  // A truncated varint after a good one: the first decodes, the second does not.
  std::string two;
  put_varint(300, two);
  put_varint(1ull << 40, two);
  two.pop_back();
  const auto* p = reinterpret_cast<const std::uint8_t*>(two.data());
  const auto* end = p + two.size();
  p = get_varint(p, end, v);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(v, 300u);
  EXPECT_EQ(get_varint(p, end, v), nullptr);
}

// ---------------------------------------------------------------------------------------------
// A brute-force inverted index: term -> doc -> per-field positions, built with the Analyzer
// exactly as a reader expects the segment to hold it (authors separated by 8 positions).

struct ModelPosting {
  std::array<std::vector<std::uint32_t>, 3> pos;
  bool special = false;
};

struct Model {
  std::map<std::string, std::map<std::uint32_t, ModelPosting>> terms;
  std::vector<std::array<std::uint32_t, 3>> lengths;
  std::vector<std::string> ids;             // per doc
  std::vector<std::uint64_t> title_hashes;  // per doc, 0 = no title words
};

// FNV-1a 64 written out here, so that a change of the on-disk title hash is noticed.
std::uint64_t expected_title_hash(std::string_view title, text::Analyzer& analyzer) {
  std::vector<text::Token> tokens;
  analyzer.analyze(title, tokens);
  std::string joined;
  for (const auto& t : tokens) {
    if (t.joined) continue;
    if (!joined.empty()) joined += ' ';
    joined += t.term;
  }
  if (joined.empty()) return 0;
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : joined) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h == 0 ? 1 : h;
}

void add_to_model(const IndexDoc& d, std::uint32_t doc, text::Analyzer& analyzer, Model& m) {
  std::vector<text::Token> tokens;
  auto field = [&](int f, std::string_view text, std::uint32_t first) {
    tokens.clear();
    std::uint32_t next = analyzer.analyze(text, tokens, first);
    for (const auto& t : tokens) m.terms[t.term][doc].pos[f].push_back(t.position);
    return next;
  };
  std::array<std::uint32_t, 3> len{};
  len[0] = field(0, d.title, 0);
  len[1] = field(1, d.abstract, 0);
  std::uint32_t pos = 0;
  for (const auto& a : d.authors) {
    std::uint32_t next = field(2, a, pos);
    len[2] += next - pos;
    pos = next + 8;
  }
  m.lengths.push_back(len);
  for (const auto& c : d.categories) {
    std::string lower = c;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!lower.empty()) m.terms[kCategoryPrefix + lower][doc].special = true;
  }
  m.ids.push_back(d.id);
  m.title_hashes.push_back(expected_title_hash(d.title, analyzer));
}

// What a cursor reports for a model posting: tf saturated at 255, the first 255 positions.
std::array<std::uint32_t, 3> expected_tf(const ModelPosting& p) {
  std::array<std::uint32_t, 3> tf{};
  for (int f = 0; f < 3; ++f)
    tf[f] = std::min<std::uint32_t>(static_cast<std::uint32_t>(p.pos[f].size()), 255);
  return tf;
}

std::vector<std::uint32_t> expected_positions(const ModelPosting& p, int f) {
  std::vector<std::uint32_t> v = p.pos[f];
  std::sort(v.begin(), v.end());
  if (v.size() > 255) v.resize(255);
  return v;
}

std::vector<std::uint32_t> to_vector(std::span<const std::uint32_t> s) {
  return {s.begin(), s.end()};
}

const char* const kWords[] = {"apple", "banana", "cherry", "damson", "elder",  "fig",
                              "grape", "guava",  "kiwi",   "lemon",  "lime",   "mango",
                              "melon", "nectar", "olive",  "papaya", "peach",  "pear",
                              "plum",  "quince", "raisin", "sloe",   "tomato", "ugli"};
const char* const kAuthors[] = {"Ada Lovelace",       "Alan Turing",    "Grace Hopper",
                                "Edsger W. Dijkstra", "Barbara Liskov", "Donald E. Knuth",
                                "Tony Hoare",         "John McCarthy",  "Frances Allen"};
const char* const kCategories[] = {"cs.LG", "cs.CL", "stat.ML", "math.OC", "CS.lg"};

std::string random_text(std::mt19937_64& rng, size_t words) {
  std::string s;
  for (size_t i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += kWords[rng() % std::size(kWords)];
  }
  return s;
}

std::string arxiv_id(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "2401.%05d", n);
  return buf;
}

// `n` documents of random fruit; every abstract has "common" (a list over several blocks),
// a few have "rare", one has a word 300 times (tf saturation), one has compounds.
std::vector<IndexDoc> make_docs(size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<IndexDoc> docs;
  for (size_t i = 0; i < n; ++i) {
    IndexDoc d;
    d.id = arxiv_id(static_cast<int>(i));
    d.title = random_text(rng, 2 + rng() % 6);
    d.abstract = random_text(rng, 5 + rng() % 40) + " common " + random_text(rng, rng() % 10);
    size_t na = rng() % 4;
    for (size_t a = 0; a < na; ++a) d.authors.push_back(kAuthors[rng() % std::size(kAuthors)]);
    size_t nc = rng() % 3;
    for (size_t c = 0; c < nc; ++c)
      d.categories.push_back(kCategories[rng() % std::size(kCategories)]);
    if (rng() % 5 != 0) d.day = 19000 + static_cast<std::int32_t>(rng() % 1000);
    if (i % 97 == 5) d.abstract += " rare";
    docs.push_back(std::move(d));
  }
  if (n > 10) {
    std::string many;
    for (int k = 0; k < 300; ++k) many += " saturate";
    docs[3].abstract += many;
    docs[7].title = "GPT-4 and k-means: fine-tuning Llama-3.1-8B";
    docs[8].authors = {"Smith Jones", "Jones Smith", "", "Smith"};
    docs[9].title = "";
    docs[9].categories = {"cs.LG", "cs.lg", "CS.LG"};  // one category, three spellings
  }
  return docs;
}

Model make_model(const std::vector<IndexDoc>& docs, text::Analyzer& analyzer) {
  Model m;
  for (std::uint32_t i = 0; i < docs.size(); ++i) add_to_model(docs[i], i, analyzer, m);
  return m;
}

std::shared_ptr<const Segment> build_segment(const std::vector<IndexDoc>& docs,
                                             const std::filesystem::path& path,
                                             text::Analyzer& analyzer) {
  SegmentBuilder builder(analyzer);
  for (const auto& d : docs) builder.add(d);
  EXPECT_EQ(builder.doc_count(), docs.size());
  auto st = builder.write(path);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message());
  auto seg = Segment::open(path);
  EXPECT_TRUE(seg.ok()) << (seg.ok() ? "" : seg.error().message());
  return seg.ok() ? *seg : nullptr;
}

// Walks every posting list with next(), checking docs, tfs, positions and block metadata.
void check_against_model(const Segment& seg, const Model& m, std::mt19937_64& rng) {
  ASSERT_EQ(seg.term_count(), m.terms.size());
  for (std::uint32_t i = 1; i < seg.term_count(); ++i) ASSERT_LT(seg.term(i - 1), seg.term(i));
  std::uint32_t i = 0;
  for (const auto& [term, postings] : m.terms) {
    SCOPED_TRACE(::testing::Message() << "term '" << term << "'");
    ASSERT_EQ(seg.term(i), term);
    const TermEntry* e = seg.find(term);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e, &seg.term_entry(i));
    EXPECT_EQ(e->df, postings.size());
    ++i;

    // Block metadata against the model.
    auto blocks = seg.blocks(*e);
    EXPECT_EQ(blocks.size(), (postings.size() + kBlockSize - 1) / kBlockSize);
    {
      auto it = postings.begin();
      for (const BlockMeta& b : blocks) {
        size_t count = size_t{b.count} + 1;
        std::array<std::uint32_t, 3> max_tf{};
        std::array<std::uint32_t, 3> min_len = {65535, 65535, 65535};
        std::uint32_t last = 0;
        for (size_t k = 0; k < count; ++k, ++it) {
          ASSERT_NE(it, postings.end());
          auto tf = expected_tf(it->second);
          for (int f = 0; f < 3; ++f) {
            max_tf[f] = std::max(max_tf[f], tf[f]);
            min_len[f] = std::min(min_len[f], m.lengths[it->first][f]);
          }
          last = it->first;
        }
        EXPECT_EQ(b.last_doc, last);
        for (int f = 0; f < 3; ++f) {
          EXPECT_EQ(b.max_tf[f], max_tf[f]) << f;
          // Stored as a code that decodes to a lower bound, exact below 64, within 3% above.
          std::uint32_t bound = length_from_code(b.min_length[f]);
          EXPECT_LE(bound, min_len[f]) << f;
          EXPECT_GE(bound * 1.031 + 1, static_cast<double>(min_len[f])) << f;
        }
      }
      EXPECT_EQ(it, postings.end());
    }

    // next(), with tf() and positions() asked for some documents only and in varying order,
    // which exercises the lazy decoding and the skipping of unread positions.
    PostingCursor c(seg, *e);
    EXPECT_EQ(c.df(), postings.size());
    for (const auto& [doc, p] : postings) {
      ASSERT_EQ(c.doc(), doc);
      auto tf = expected_tf(p);
      switch (rng() % 4) {
        case 0:
          break;
        case 1:
          EXPECT_EQ(c.tf(), tf);
          break;
        case 2:
          for (int f = 2; f >= 0; --f)
            EXPECT_EQ(to_vector(c.positions(f)), expected_positions(p, f));
          EXPECT_EQ(c.tf(), tf);
          break;
        default:
          EXPECT_EQ(c.tf(), tf);
          for (int f = 0; f < 3; ++f) {
            EXPECT_EQ(to_vector(c.positions(f)), expected_positions(p, f)) << "field " << f;
          }
          EXPECT_EQ(c.tf(), tf);  // asked twice
          break;
      }
      if (p.special) {
        EXPECT_EQ(c.tf(), (std::array<std::uint32_t, 3>{0, 0, 0}));
      }
      c.next();
    }
    EXPECT_EQ(c.doc(), kNoMoreDocs);
    c.next();
    EXPECT_EQ(c.doc(), kNoMoreDocs);
    EXPECT_TRUE(c.positions(0).empty());
    EXPECT_EQ(c.current_block(), nullptr);
  }
}

// advance() against lower_bound in the model, with small and large (multi-block) jumps.
void check_advance(const Segment& seg, const Model& m, std::mt19937_64& rng) {
  const std::uint32_t n = seg.doc_count();
  for (const auto& [term, postings] : m.terms) {
    SCOPED_TRACE(::testing::Message() << "term '" << term << "'");
    const TermEntry* e = seg.find(term);
    ASSERT_NE(e, nullptr);
    for (int round = 0; round < 3; ++round) {
      PostingCursor c(seg, *e);
      std::uint32_t target = 0;
      while (true) {
        // Jumps of up to a few docs, or up to ~2.5 blocks of docs.
        std::uint32_t jump = rng() % 3 == 0 ? static_cast<std::uint32_t>(rng() % 320)
                                            : static_cast<std::uint32_t>(rng() % 6);
        target += jump;
        // block_for() must not move the cursor and must name the block holding target.
        const BlockMeta* b = c.block_for(target);
        auto blocks = seg.blocks(*e);
        auto want_block = std::find_if(blocks.begin(), blocks.end(),
                                       [&](const BlockMeta& x) { return x.last_doc >= target; });
        if (want_block == blocks.end()) {
          EXPECT_EQ(b, nullptr);
        } else {
          EXPECT_EQ(b, &*want_block);
        }
        std::uint32_t before = c.doc();
        c.advance(target);
        auto it = postings.lower_bound(std::max(target, before == kNoMoreDocs ? target : before));
        if (before != kNoMoreDocs && before >= target) {
          ASSERT_EQ(c.doc(), before);  // never backwards
        } else if (it == postings.end()) {
          ASSERT_EQ(c.doc(), kNoMoreDocs);
          break;
        } else {
          ASSERT_EQ(c.doc(), it->first) << "target " << target;
        }
        if (c.doc() == kNoMoreDocs) break;
        const ModelPosting& p = postings.at(c.doc());
        if (rng() % 2) {
          EXPECT_EQ(c.tf(), expected_tf(p));
        }
        if (rng() % 2) {
          for (int f = 0; f < 3; ++f)
            EXPECT_EQ(to_vector(c.positions(f)), expected_positions(p, f));
        }
        ASSERT_NE(c.current_block(), nullptr);
        EXPECT_GE(c.current_block()->last_doc, c.doc());
        if (target > n + 10) break;
      }
      c.advance(n + 1000);
      EXPECT_EQ(c.doc(), kNoMoreDocs);
    }
  }
}

class SegmentTest : public ::testing::Test {
 protected:
  TempDir dir_;
  text::Analyzer analyzer_;
};

TEST_F(SegmentTest, DocumentTable) {
  auto docs = make_docs(300, 1);
  auto model = make_model(docs, analyzer_);
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  ASSERT_EQ(seg->doc_count(), docs.size());
  std::array<std::uint64_t, 3> sum{};
  for (std::uint32_t d = 0; d < docs.size(); ++d) {
    EXPECT_EQ(seg->doc_id(d), docs[d].id);
    EXPECT_EQ(seg->doc(d).day, docs[d].day);
    for (int f = 0; f < 3; ++f) {
      EXPECT_EQ(seg->doc(d).length[f], model.lengths[d][f]) << "doc " << d << " field " << f;
      sum[f] += model.lengths[d][f];
    }
  }
  for (int f = 0; f < 3; ++f) EXPECT_EQ(seg->field_length_sum(f), sum[f]);
  EXPECT_EQ(seg->path(), dir_ / "a.seg");
  EXPECT_EQ(seg->file_size(), std::filesystem::file_size(dir_ / "a.seg"));
  // Spot checks independent of the model: unknown days, word counts of known strings.
  EXPECT_EQ(seg->doc(8).length[2], 5u);  // "Smith Jones", "Jones Smith", "", "Smith"
  EXPECT_EQ(seg->doc(9).length[0], 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "a.seg.tmp"));
}

TEST_F(SegmentTest, PostingsMatchBruteForce) {
  std::mt19937_64 rng(11);
  auto docs = make_docs(700, 2);
  auto model = make_model(docs, analyzer_);
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  // The fixtures exercise what they are meant to.
  const TermEntry* common = seg->find("common");
  ASSERT_NE(common, nullptr);
  EXPECT_EQ(common->df, 700u);
  EXPECT_EQ(seg->blocks(*common).size(), 6u);
  const TermEntry* sat = seg->find(analyzer_.normalize_word("saturate"));
  ASSERT_NE(sat, nullptr);
  PostingCursor sc(*seg, *sat);
  sc.advance(3);
  ASSERT_EQ(sc.doc(), 3u);
  EXPECT_EQ(sc.tf()[1], 255u);
  EXPECT_EQ(sc.positions(1).size(), 255u);
  ASSERT_NE(seg->find("gpt4"), nullptr);
  ASSERT_NE(seg->find("kmean"), nullptr);
  ASSERT_NE(seg->find(std::string(1, kCategoryPrefix) + "cs.lg"), nullptr);
  EXPECT_EQ(seg->find(std::string(1, kCategoryPrefix) + "CS.lg"), nullptr);
  ASSERT_EQ(seg->docs_with_id("2401.00042").size(), 1u);
  EXPECT_EQ(seg->doc_id(seg->docs_with_id("2401.00042")[0]), "2401.00042");
  EXPECT_TRUE(seg->docs_with_id("2401.0004").empty());
  // Ids and title hashes as the model expects them.
  for (std::uint32_t d = 0; d < model.ids.size(); ++d) {
    auto with_id = seg->docs_with_id(model.ids[d]);
    EXPECT_NE(std::find(with_id.begin(), with_id.end(), d), with_id.end()) << model.ids[d];
    if (model.title_hashes[d] != 0) {
      auto with_title = seg->docs_with_title(model.title_hashes[d]);
      EXPECT_NE(std::find(with_title.begin(), with_title.end(), d), with_title.end()) << d;
    }
  }

  check_against_model(*seg, model, rng);
  check_advance(*seg, model, rng);
}

// Bulk iteration visits exactly the postings before each window end, with their tfs, and
// leaves the cursor where advance() would, also when windows start past skipped postings.
TEST_F(SegmentTest, ForEachBeforeMatchesTheModel) {
  std::mt19937_64 rng(5);
  auto docs = make_docs(700, 2);
  auto model = make_model(docs, analyzer_);
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  for (const auto& [term, postings] : model.terms) {
    SCOPED_TRACE(::testing::Message() << "term '" << term << "'");
    const TermEntry* e = seg->find(term);
    ASSERT_NE(e, nullptr);
    PostingCursor c(*seg, *e);
    std::uint32_t begin = 0;
    while (begin < seg->doc_count()) {
      const std::uint32_t end = begin + 1 + static_cast<std::uint32_t>(rng() % 300);
      if (rng() % 4 == 0) {  // a skipped window
        begin = end;
        continue;
      }
      c.advance(begin);
      std::vector<std::uint32_t> seen;
      c.for_each_before(
          end, [&](std::uint32_t d, std::uint32_t t0, std::uint32_t t1, std::uint32_t t2) {
            seen.push_back(d);
            ASSERT_TRUE(postings.count(d)) << d;
            EXPECT_EQ((std::array<std::uint32_t, 3>{t0, t1, t2}), expected_tf(postings.at(d))) << d;
          });
      std::vector<std::uint32_t> want;
      for (auto it = postings.lower_bound(begin); it != postings.end() && it->first < end; ++it)
        want.push_back(it->first);
      ASSERT_EQ(seen, want) << "window [" << begin << ", " << end << ")";
      auto next = postings.lower_bound(end);
      ASSERT_EQ(c.doc(), next == postings.end() ? kNoMoreDocs : next->first);
      if (c.doc() != kNoMoreDocs) {
        EXPECT_EQ(c.tf(), expected_tf(next->second));
      }
      begin = end;
    }
  }
}

// Length normalisers are c0 + c1 * weighted length per document (as floats), cached per
// parameter set.
TEST_F(SegmentTest, NormsFollowTheFormulaAndAreCachedPerParameters) {
  auto docs = make_docs(300, 1);
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  Segment::NormParams p{0.25, 0.01, {2.0, 1.0, 0.5}};
  auto n = seg->norms(p);
  ASSERT_EQ(n->size(), seg->doc_count());
  for (std::uint32_t d = 0; d < seg->doc_count(); ++d) {
    const auto& l = seg->doc(d).length;
    EXPECT_EQ((*n)[d], static_cast<float>(0.25 + 0.01 * (2.0 * l[0] + 1.0 * l[1] + 0.5 * l[2])))
        << d;
  }
  EXPECT_EQ(seg->norms(p), n);  // the same parameters share one array
  Segment::NormParams q = p;
  q.w[2] = 1.0;
  auto m = seg->norms(q);
  EXPECT_NE(m, n);
  EXPECT_NE(*m, *n);
  EXPECT_EQ(seg->norms(p), n);
  // Older parameter sets are dropped after a few others; asking again recomputes them.
  for (int i = 0; i < 8; ++i) seg->norms({0.25, 0.01 * (i + 2), {1.0, 1.0, 1.0}});
  auto again = seg->norms(p);
  EXPECT_NE(again, n);
  EXPECT_EQ(*again, *n);
}

// A length code decodes to the largest coded length not above the length (a lower bound, which
// keeps block score bounds valid): exact below 64, then within 3%.
TEST(LengthCode, IsTheLargestCodeNotAboveTheLength) {
  for (std::uint32_t len = 0; len <= 70000; ++len) {
    const std::uint8_t c = length_code(len);
    ASSERT_LE(length_from_code(c), len) << len;
    if (c < 255) {
      ASSERT_GT(length_from_code(static_cast<std::uint8_t>(c + 1)), len) << len;
    }
    if (len < 64) {
      ASSERT_EQ(c, len);
    } else if (c < 255) {
      ASSERT_GE(length_from_code(c) * 1.031, len) << len;
    }
  }
}

// Dictionary lookups find every term, also among many that share their first eight bytes (the
// sampled prefixes find() narrows by) or are prefixes of each other, and nothing else.
TEST_F(SegmentTest, FindLocatesEveryTermAmongSharedPrefixes) {
  auto docs = make_docs(200, 5);
  std::vector<std::string> words;
  for (int i = 0; i < 300; ++i) words.push_back("zzzsharedprefix" + std::to_string(i) + "q");
  for (int i = 1; i <= 12; ++i) words.push_back(std::string(static_cast<size_t>(i), 'y'));
  for (size_t i = 0; i < words.size(); ++i) docs[i % docs.size()].abstract += " " + words[i];
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  for (std::uint32_t i = 0; i < seg->term_count(); ++i) {
    const TermEntry* e = seg->find(seg->term(i));
    ASSERT_NE(e, nullptr) << seg->term(i);
    EXPECT_EQ(e, &seg->term_entry(i));
  }
  for (const std::string& w : words)
    EXPECT_NE(seg->find(analyzer_.normalize_word(w)), nullptr) << w;
  for (std::string absent : {"", "a", "zzzsharedprefix", "zzzsharedprefix7", "zzzsharedprefix999q",
                             "yyyyyyyyyyyyy", "\xff\xff", "zzzz"})
    EXPECT_EQ(seg->find(absent), nullptr) << absent;
}

// Dense terms get a bitset of their documents, equal to their posting lists; sparse terms and
// small segments get none; a bitset is built once and shared.
TEST_F(SegmentTest, PresenceBitsetsMatchDenseTermsPostings) {
  auto docs = make_docs(Segment::kMinDenseDocs + 200, 3);
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  size_t dense = 0, sparse = 0;
  for (std::uint32_t i = 0; i < seg->term_count(); ++i) {
    const TermEntry& t = seg->term_entry(i);
    auto bits = seg->presence(t);
    if (std::uint64_t{t.df} * Segment::kDenseFraction < seg->doc_count()) {
      EXPECT_EQ(bits, nullptr) << seg->term(i);
      ++sparse;
      continue;
    }
    ASSERT_NE(bits, nullptr) << seg->term(i);
    ++dense;
    EXPECT_EQ(seg->presence(t), bits);  // cached
    std::vector<bool> expected(seg->doc_count(), false);
    for (PostingCursor c(*seg, t); c.doc() != kNoMoreDocs; c.next()) expected[c.doc()] = true;
    for (std::uint32_t d = 0; d < seg->doc_count(); ++d)
      ASSERT_EQ(((*bits)[d >> 6] >> (d & 63)) & 1, expected[d] ? 1u : 0u) << seg->term(i) << d;
  }
  EXPECT_GT(dense, 0u);
  EXPECT_GT(sparse, 0u);
  // Below kMinDenseDocs documents no term is worth a bitset.
  auto small = build_segment(make_docs(100, 4), dir_ / "b.seg", analyzer_);
  ASSERT_NE(small, nullptr);
  for (std::uint32_t i = 0; i < small->term_count(); ++i)
    EXPECT_EQ(small->presence(small->term_entry(i)), nullptr);
}

// The builder maps the analyzer's term keys to its term ids: a segment is the same byte for
// byte whatever the analyzer's term cache does (none, emptied every few calls, the default,
// or already warm), and with a compound whose joined form repeats one of its parts.
TEST_F(SegmentTest, SegmentBytesDoNotDependOnTheTermCache) {
  auto docs = make_docs(700, 2);
  docs[11].abstract = "run-ning running ning run kmeans k-means means-k x-x x x-x-x xx";
  text::Analyzer none({.term_cache_entries = 0});
  ASSERT_NE(build_segment(docs, dir_ / "none.seg", none), nullptr);
  const std::string expected = pb::testing::read_file(dir_ / "none.seg");
  ASSERT_FALSE(expected.empty());
  text::Analyzer tiny({.term_cache_entries = 5});
  ASSERT_NE(build_segment(docs, dir_ / "tiny.seg", tiny), nullptr);
  EXPECT_EQ(pb::testing::read_file(dir_ / "tiny.seg"), expected);
  EXPECT_GT(tiny.term_key_epoch(), 0u);
  for (int run = 0; run < 2; ++run) {  // cold, then warm
    ASSERT_NE(build_segment(docs, dir_ / "default.seg", analyzer_), nullptr);
    EXPECT_EQ(pb::testing::read_file(dir_ / "default.seg"), expected);
  }
}

// Builders attach their term ids to the analyzer's term keys: two builders that take turns
// with one analyzer (each rebinding it) write what each writes with an analyzer of its own.
TEST_F(SegmentTest, BuildersSharingAnAnalyzerWriteTheSameSegments) {
  const auto docs_a = make_docs(300, 2);
  auto docs_b = make_docs(300, 5);
  std::reverse(docs_b.begin(), docs_b.end());  // other term ids for the same words
  text::Analyzer own_a, own_b;
  ASSERT_NE(build_segment(docs_a, dir_ / "own_a.seg", own_a), nullptr);
  ASSERT_NE(build_segment(docs_b, dir_ / "own_b.seg", own_b), nullptr);
  SegmentBuilder a(analyzer_), b(analyzer_);
  for (size_t i = 0; i < docs_a.size(); ++i) {
    a.add(docs_a[i]);
    b.add(docs_b[i]);
  }
  ASSERT_TRUE(a.write(dir_ / "shared_a.seg").ok());
  ASSERT_TRUE(b.write(dir_ / "shared_b.seg").ok());
  EXPECT_EQ(pb::testing::read_file(dir_ / "shared_a.seg"),
            pb::testing::read_file(dir_ / "own_a.seg"));
  EXPECT_EQ(pb::testing::read_file(dir_ / "shared_b.seg"),
            pb::testing::read_file(dir_ / "own_b.seg"));
}

// The builder inverts a batch of occurrences at a time into chunked slices; how it cuts them
// must not show in the segment: a term's postings spread over many batches and chunks (and a
// saturated tf, a compound's out-of-order joined form, a repeated category across cuts) read
// back exactly as from one batch.
TEST_F(SegmentTest, SegmentBytesDoNotDependOnBatchOrChunkSizes) {
  auto docs = make_docs(700, 4);
  docs[20].abstract = "run-ning running ning run kmeans k-means means-k x-x x x-x-x xx";
  docs[21].categories = {"cs.CL", "cs.cl", "math.AG", "cs.CL"};
  auto build = [&](SegmentBuilderOptions options, const std::string& name) {
    SegmentBuilder builder(analyzer_, options);
    for (const auto& d : docs) builder.add(d);
    EXPECT_TRUE(builder.write(dir_ / name).ok());
    return pb::testing::read_file(dir_ / name);
  };
  const std::string expected = build({}, "one.seg");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(build({.batch_occurrences = 97, .chunk_bytes = 64}, "small.seg"), expected);
  EXPECT_EQ(build({.batch_occurrences = 1, .chunk_bytes = 1}, "tiny.seg"), expected);
  EXPECT_EQ(build({.batch_occurrences = 5000, .chunk_bytes = 4096}, "mid.seg"), expected);
  // And the bytes hold what the model says.
  auto seg = Segment::open(dir_ / "tiny.seg");
  ASSERT_TRUE(seg.ok());
  std::mt19937_64 rng(3);
  check_against_model(**seg, make_model(docs, analyzer_), rng);
}

TEST_F(SegmentTest, AuthorNamesAreEightPositionsApart) {
  IndexDoc d;
  d.id = "x";
  d.title = "alpha beta";
  d.abstract = "gamma";
  d.authors = {"Smith Jones", "Brown", "", "Jones Smith"};
  auto seg = build_segment({d}, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  auto positions = [&](std::string_view term, int f) {
    const TermEntry* e = seg->find(analyzer_.normalize_word(term));
    EXPECT_NE(e, nullptr) << term;
    if (!e) return std::vector<std::uint32_t>{};
    PostingCursor c(*seg, *e);
    return to_vector(c.positions(f));
  };
  // "Smith Jones" 0 1, gap to 10, "Brown" 10, gap to 19, "" (nothing), gap to 27: 27 28.
  EXPECT_EQ(positions("smith", 2), (std::vector<std::uint32_t>{0, 28}));
  EXPECT_EQ(positions("jones", 2), (std::vector<std::uint32_t>{1, 27}));
  EXPECT_EQ(positions("brown", 2), (std::vector<std::uint32_t>{10}));
  EXPECT_EQ(positions("beta", 0), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(positions("gamma", 1), (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(seg->doc(0).length[2], 5u);
}

TEST_F(SegmentTest, FindAbsentTerms) {
  auto docs = make_docs(50, 3);
  auto seg = build_segment(docs, dir_ / "a.seg", analyzer_);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->find(""), nullptr);
  EXPECT_EQ(seg->find("zzzzzz"), nullptr);              // after every term
  EXPECT_EQ(seg->find("\x01"), nullptr);                // the bare category prefix
  EXPECT_EQ(seg->find(std::string(1, '\0')), nullptr);  // before every term
  EXPECT_EQ(seg->find("applex"), nullptr);
  EXPECT_TRUE(seg->docs_with_id("2401.99999").empty());
  EXPECT_TRUE(seg->docs_with_title(12345).empty());
  // Every term it lists, it finds; its neighbours (a prefix, an extension) it does not.
  std::set<std::string> all;
  for (std::uint32_t i = 0; i < seg->term_count(); ++i) all.emplace(seg->term(i));
  ASSERT_EQ(all.size(), seg->term_count());
  for (std::uint32_t i = 0; i < seg->term_count(); ++i) {
    std::string t(seg->term(i));
    EXPECT_EQ(seg->find(t), &seg->term_entry(i));
    for (std::string other : {t + '\x7f', t + 'a', t.substr(0, t.size() - 1)}) {
      if (!all.count(other)) {
        EXPECT_EQ(seg->find(other), nullptr) << other;
      }
    }
  }
}

TEST_F(SegmentTest, WriterHandlesWideGapsSaturationAndEmptyTerms) {
  SegmentWriter w;
  const std::uint32_t n = 70000;
  for (std::uint32_t d = 0; d < n; ++d) {
    DocInfo info;
    info.id = "d" + std::to_string(d);
    info.length = {static_cast<std::uint16_t>(d % 7), 65535, 0};
    info.day = d % 2 ? static_cast<std::int32_t>(d) : kUnknownDay;
    w.add_doc(info);
  }
  EXPECT_EQ(w.doc_count(), n);
  std::vector<std::uint32_t> many(300);
  for (std::uint32_t i = 0; i < many.size(); ++i) many[i] = i * 3;
  std::vector<std::uint32_t> one = {7};
  using Span = std::span<const std::uint32_t>;
  using Pos = std::array<Span, 3>;
  w.begin_term("a");  // no postings: dropped
  w.end_term();
  w.begin_term("b");
  w.add_posting(0, {300, 0, 1}, Pos{Span(many), Span(), Span(one)});
  w.add_posting(65536, {0, 2, 0}, Pos{Span(), Span(many).subspan(5, 2), Span()});
  w.add_posting(n - 1, {1, 0, 0}, Pos{Span(one), Span(), Span()});
  w.end_term();
  w.begin_term("c");  // every doc: 547 blocks, the last one partial
  for (std::uint32_t d = 0; d < n; ++d) w.add_posting(d, {0, 1, 0}, Pos{Span(), Span(one), Span()});
  w.end_term();
  w.begin_term("d");
  w.end_term();  // dropped too
  ASSERT_TRUE(w.finish(dir_ / "w.seg").ok());
  auto seg_or = Segment::open(dir_ / "w.seg");
  ASSERT_TRUE(seg_or.ok());
  const Segment& seg = **seg_or;
  ASSERT_EQ(seg.doc_count(), n);
  ASSERT_EQ(seg.term_count(), 2u);
  EXPECT_EQ(seg.term(0), "b");
  EXPECT_EQ(seg.term(1), "c");
  EXPECT_EQ(seg.find("a"), nullptr);
  EXPECT_EQ(seg.find("d"), nullptr);
  EXPECT_EQ(seg.doc_id(12345), "d12345");
  EXPECT_EQ(seg.doc(12345).day, 12345);
  EXPECT_EQ(seg.doc(12346).day, kUnknownDay);
  EXPECT_EQ(seg.doc(1).length[1], 65535u);
  EXPECT_EQ(seg.field_length_sum(1), std::uint64_t{65535} * n);

  PostingCursor b(seg, *seg.find("b"));
  ASSERT_EQ(b.doc(), 0u);
  EXPECT_EQ(b.tf(), (std::array<std::uint32_t, 3>{255, 0, 1}));
  std::vector<std::uint32_t> first255(many.begin(), many.begin() + 255);
  EXPECT_EQ(to_vector(b.positions(0)), first255);
  EXPECT_EQ(to_vector(b.positions(2)), one);
  b.next();
  ASSERT_EQ(b.doc(), 65536u);
  EXPECT_EQ(to_vector(b.positions(1)), (std::vector<std::uint32_t>{15, 18}));
  b.next();
  ASSERT_EQ(b.doc(), n - 1);
  EXPECT_EQ(to_vector(b.positions(0)), one);
  b.next();
  EXPECT_EQ(b.doc(), kNoMoreDocs);
  ASSERT_EQ(seg.blocks(*seg.find("b")).size(), 1u);
  EXPECT_EQ(seg.blocks(*seg.find("b"))[0].max_tf[0], 255u);

  const TermEntry* ce = seg.find("c");
  EXPECT_EQ(ce->df, n);
  EXPECT_EQ(seg.blocks(*ce).size(), (n + kBlockSize - 1) / kBlockSize);
  PostingCursor c(seg, *ce);
  std::uint32_t expect = 0;
  for (std::uint32_t target : {0u, 1u, 127u, 128u, 129u, 5000u, 5000u, 40000u, 69999u}) {
    c.advance(target);
    expect = std::max(expect, target);
    ASSERT_EQ(c.doc(), expect);
    EXPECT_EQ(to_vector(c.positions(1)), one);
  }
  c.next();
  EXPECT_EQ(c.doc(), kNoMoreDocs);
  // A cursor that only calls next() sees every document once.
  std::uint32_t count = 0;
  for (PostingCursor all(seg, *ce); all.doc() != kNoMoreDocs; all.next()) {
    ASSERT_EQ(all.doc(), count);
    ++count;
  }
  EXPECT_EQ(count, n);
}

TEST_F(SegmentTest, EmptySegmentOpens) {
  SegmentWriter w;
  ASSERT_TRUE(w.finish(dir_ / "empty.seg").ok());
  auto seg = Segment::open(dir_ / "empty.seg");
  ASSERT_TRUE(seg.ok());
  EXPECT_EQ((*seg)->doc_count(), 0u);
  EXPECT_EQ((*seg)->term_count(), 0u);
  EXPECT_EQ((*seg)->find("anything"), nullptr);
  EXPECT_EQ((*seg)->find(""), nullptr);
}

TEST_F(SegmentTest, FinishReportsUnwritablePath) {
  SegmentWriter w;
  auto st = w.finish(dir_ / "no" / "such" / "dir" / "x.seg");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kIo);
}

TEST_F(SegmentTest, OpenMissingFileIsAnError) {
  auto seg = Segment::open(dir_ / "missing.seg");
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.error().code(), ErrorCode::kIo);
  // A directory is not a segment either.
  EXPECT_FALSE(Segment::open(dir_.path()).ok());
}

// Corrupt files: open() must report an error, never crash or read out of bounds.
class CorruptSegmentTest : public SegmentTest {
 protected:
  void SetUp() override {
    auto docs = make_docs(200, 5);
    auto seg = build_segment(docs, dir_ / "good.seg", analyzer_);
    ASSERT_NE(seg, nullptr);
    good_ = pb::testing::read_file(dir_ / "good.seg");
    ASSERT_GT(good_.size(), sizeof(SegmentHeader));
    std::memcpy(&header_, good_.data(), sizeof header_);
  }
  // Writes `bytes` and opens them; a successful open must still be safe to read.
  Result<std::shared_ptr<const Segment>> open_bytes(const std::string& bytes) {
    auto path = pb::testing::write_file(dir_ / "bad.seg", bytes);
    return Segment::open(path);
  }
  template <typename T>
  std::string with_field(size_t offset, T value) {
    std::string s = good_;
    std::memcpy(s.data() + offset, &value, sizeof value);
    return s;
  }
  std::string good_;
  SegmentHeader header_{};
};

TEST_F(CorruptSegmentTest, GoodFileOpens) { EXPECT_TRUE(open_bytes(good_).ok()); }

// Damage inside posting data and block metadata is not caught by open() (that would mean
// decoding everything); reading such a segment must still stay in bounds (ASan checks) and end
// lists early rather than crash.
TEST_F(CorruptSegmentTest, DamagedBlocksAreReadSafely) {
  std::mt19937 rng(7);
  const size_t blocks_begin = header_.blocks_offset;
  const size_t blocks_end = blocks_begin + header_.block_count * sizeof(BlockMeta);
  const size_t post_begin = header_.postings_offset;
  const size_t post_end = post_begin + header_.postings_size;
  for (int round = 0; round < 60; ++round) {
    std::string bad = good_;
    for (int k = 0; k < 20; ++k) {
      bool meta = rng() % 2 == 0;
      size_t lo = meta ? blocks_begin : post_begin, hi = meta ? blocks_end : post_end;
      if (hi <= lo) continue;
      bad[lo + rng() % (hi - lo)] = static_cast<char>(rng());
    }
    auto seg = open_bytes(bad);
    if (!seg.ok()) continue;
    std::uint64_t visited = 0;
    for (std::uint32_t t = 0; t < (*seg)->term_count(); ++t) {
      PostingCursor c(**seg, (*seg)->term_entry(t));
      for (int steps = 0; c.doc() != kNoMoreDocs && steps < 1000; ++steps) {
        ASSERT_LT(c.doc(), (*seg)->doc_count());
        (void)c.tf();
        (void)c.positions(steps % 3);
        if (steps % 5 == 4)
          c.advance(c.doc() + 3);
        else
          c.next();
        ++visited;
      }
    }
    EXPECT_GT(visited + 1, 0u);
  }
}

TEST_F(CorruptSegmentTest, TruncatedFile) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{8}, sizeof(SegmentHeader) - 1,
                   sizeof(SegmentHeader), good_.size() / 2, good_.size() - 17, good_.size() - 1}) {
    auto seg = open_bytes(good_.substr(0, n));
    ASSERT_FALSE(seg.ok()) << "size " << n;
    EXPECT_EQ(seg.error().code(), ErrorCode::kCorrupt) << "size " << n;
  }
  // Extra bytes at the end are damage too (file_size no longer matches).
  EXPECT_FALSE(open_bytes(good_ + std::string(8, '\0')).ok());
}

TEST_F(CorruptSegmentTest, GarbageBytes) {
  std::mt19937_64 rng(99);
  for (size_t n : {size_t{100}, sizeof(SegmentHeader), size_t{4096}, good_.size()}) {
    std::string garbage(n, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    auto seg = open_bytes(garbage);
    ASSERT_FALSE(seg.ok()) << n;
    EXPECT_EQ(seg.error().code(), ErrorCode::kCorrupt);
  }
  // Garbage after a valid magic and version.
  std::string garbage(good_.size(), '\0');
  for (auto& c : garbage) c = static_cast<char>(rng());
  std::memcpy(garbage.data(), kSegmentMagic, 8);
  std::uint32_t version = kSegmentVersion;
  std::memcpy(garbage.data() + offsetof(SegmentHeader, version), &version, 4);
  EXPECT_FALSE(open_bytes(garbage).ok());
}

TEST_F(CorruptSegmentTest, WrongMagicOrVersion) {
  std::string bad = good_;
  bad[0] = 'X';
  auto seg = open_bytes(bad);
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.error().code(), ErrorCode::kCorrupt);
  bad = good_;
  bad[7] = '2';  // PBLXSEG2
  EXPECT_FALSE(open_bytes(bad).ok());
  // Another format version is refused as unsupported (the CLI then rebuilds the index).
  auto other = open_bytes(with_field(offsetof(SegmentHeader, version), kSegmentVersion + 1));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code(), ErrorCode::kUnsupported);
  EXPECT_FALSE(open_bytes(with_field(offsetof(SegmentHeader, version), std::uint32_t{1})).ok());
  EXPECT_FALSE(open_bytes(with_field(offsetof(SegmentHeader, version), std::uint32_t{0})).ok());
}

TEST_F(CorruptSegmentTest, HeaderOffsetsAndCountsOutOfRange) {
  const std::uint64_t huge = 0xfffffffffffffff0ull;
  for (size_t off :
       {offsetof(SegmentHeader, docs_offset), offsetof(SegmentHeader, ids_offset),
        offsetof(SegmentHeader, ids_size), offsetof(SegmentHeader, terms_offset),
        offsetof(SegmentHeader, term_bytes_offset), offsetof(SegmentHeader, term_bytes_size),
        offsetof(SegmentHeader, blocks_offset), offsetof(SegmentHeader, postings_offset),
        offsetof(SegmentHeader, postings_size), offsetof(SegmentHeader, positions_offset),
        offsetof(SegmentHeader, positions_size), offsetof(SegmentHeader, file_size)}) {
    EXPECT_FALSE(open_bytes(with_field(off, huge)).ok()) << "offset " << off;
    EXPECT_FALSE(open_bytes(with_field(off, std::uint64_t{good_.size()} + 1)).ok())
        << "offset " << off;
  }
  for (size_t off : {offsetof(SegmentHeader, doc_count), offsetof(SegmentHeader, term_count),
                     offsetof(SegmentHeader, block_count)}) {
    EXPECT_FALSE(open_bytes(with_field(off, std::uint32_t{0xffffffff})).ok()) << off;
    EXPECT_FALSE(open_bytes(with_field(off, std::uint32_t{0x10000000})).ok()) << off;
  }
}

TEST_F(CorruptSegmentTest, DamagedDictionaryAndDocumentTable) {
  ASSERT_GT(header_.term_count, 0u);
  ASSERT_GT(header_.doc_count, 0u);
  const size_t term0 = header_.terms_offset;
  const size_t last_term = header_.terms_offset + (header_.term_count - 1) * sizeof(TermEntry);
  for (size_t t : {term0, last_term}) {
    EXPECT_FALSE(
        open_bytes(with_field(t + offsetof(TermEntry, bytes_offset), std::uint32_t{0xfffffff0}))
            .ok());
    EXPECT_FALSE(
        open_bytes(with_field(t + offsetof(TermEntry, bytes_size), std::uint16_t{0xffff})).ok());
    EXPECT_FALSE(open_bytes(with_field(t + offsetof(TermEntry, first_block),
                                       static_cast<std::uint32_t>(header_.block_count)))
                     .ok());
    EXPECT_FALSE(
        open_bytes(with_field(t + offsetof(TermEntry, df), std::uint32_t{0xffffffff})).ok());
    EXPECT_FALSE(open_bytes(with_field(t + offsetof(TermEntry, postings_offset),
                                       static_cast<std::uint32_t>(header_.postings_size + 1)))
                     .ok());
    EXPECT_FALSE(open_bytes(with_field(t + offsetof(TermEntry, positions_offset),
                                       static_cast<std::uint32_t>(header_.positions_size + 1)))
                     .ok());
  }
  const size_t last_doc = header_.docs_offset + (header_.doc_count - 1) * sizeof(DocEntry);
  EXPECT_FALSE(
      open_bytes(with_field(last_doc + offsetof(DocEntry, id_offset), std::uint32_t{0xfffffff0}))
          .ok());
  EXPECT_FALSE(open_bytes(with_field(last_doc + offsetof(DocEntry, id_size),
                                     static_cast<std::uint16_t>(0xffff)))
                   .ok());
}

// Regression: a misaligned table offset used to pass open() and then be read through
// misaligned TermEntry/DocEntry/BlockMeta pointers (undefined behaviour, flagged by UBSan).
TEST_F(CorruptSegmentTest, MisalignedTablesAreRejected) {
  for (size_t off : {offsetof(SegmentHeader, docs_offset), offsetof(SegmentHeader, terms_offset),
                     offsetof(SegmentHeader, blocks_offset)}) {
    std::uint64_t value = 0;
    std::memcpy(&value, good_.data() + off, sizeof value);
    auto seg = open_bytes(with_field(off, value + 4));
    ASSERT_FALSE(seg.ok()) << "offset " << off;
    EXPECT_EQ(seg.error().code(), ErrorCode::kCorrupt);
  }
}

TEST_F(CorruptSegmentTest, RandomHeaderDamageNeverCrashes) {
  // Damage anywhere in the header and the tables open() validates: either an error, or a
  // segment whose document ids and terms can all be read within bounds.
  std::mt19937_64 rng(123);
  const size_t span = std::min<size_t>(good_.size(), header_.term_bytes_offset);
  for (int i = 0; i < 300; ++i) {
    std::string bad = good_;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t at = i < 150 ? rng() % sizeof(SegmentHeader) : rng() % span;
      bad[at] = static_cast<char>(bad[at] ^ (1u << (rng() % 8)));
    }
    auto seg = open_bytes(bad);
    if (!seg.ok()) continue;
    const Segment& s = **seg;
    size_t total = 0;
    for (std::uint32_t d = 0; d < s.doc_count(); ++d) total += s.doc_id(d).size();
    for (std::uint32_t t = 0; t < s.term_count(); ++t) total += s.term(t).size();
    EXPECT_GE(total, 0u);
  }
}

// ---------------------------------------------------------------------------------------------
// LexicalIndex

std::set<std::string> dir_listing(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.insert(e.path().filename().string());
  return names;
}

// MANIFEST plus every file the manifest names (segments and deletion bitmaps).
std::set<std::string> manifest_files(const std::filesystem::path& dir) {
  std::set<std::string> names = {"MANIFEST"};
  std::string text = pb::testing::read_file(dir / "MANIFEST");
  std::regex file_re("\"(seg_[^\"]+)\"");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), file_re);
       it != std::sregex_iterator(); ++it)
    names.insert((*it)[1].str());
  return names;
}

std::vector<std::string> live_ids(const IndexSnapshot& snap) {
  std::vector<std::string> ids;
  for (const auto& v : snap.segments)
    for (std::uint32_t d = 0; d < v.segment->doc_count(); ++d)
      if (!v.is_deleted(d)) ids.emplace_back(v.segment->doc_id(d));
  return ids;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

using testing::doc;

class LexicalIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<LexicalIndex> open_index() {
    auto index = LexicalIndex::open(dir_ / "idx");
    EXPECT_TRUE(index.ok()) << (index.ok() ? "" : index.error().message());
    return index.ok() ? std::move(*index) : nullptr;
  }
  Status update(LexicalIndex& index, const std::vector<IndexDoc>& docs,
                const std::vector<std::string>& deleted = {}, std::int64_t seq = 0) {
    return index.update(docs, deleted, seq, analyzer_);
  }
  std::vector<Hit> search_hits(const IndexSnapshot& snap, std::string_view q, size_t k = 1000,
                               bool exhaustive = false) {
    SearchOptions opt;
    opt.k = k;
    opt.pin_exact = false;
    opt.exhaustive = exhaustive;
    return search(snap, parse_query(q, analyzer_), opt, analyzer_).hits;
  }
  std::vector<std::string> search_ids(const IndexSnapshot& snap, std::string_view q) {
    std::vector<std::string> ids;
    for (const auto& h : search_hits(snap, q)) ids.push_back(h.id);
    return ids;
  }
  std::filesystem::path idx() const { return dir_ / "idx"; }

  TempDir dir_;
  text::Analyzer analyzer_;
};

TEST_F(LexicalIndexTest, OpenEmptyDirectory) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(idx()));
  auto snap = index->snapshot();
  EXPECT_TRUE(snap->segments.empty());
  EXPECT_EQ(snap->generation, 0u);
  EXPECT_EQ(snap->store_seq, 0);
  EXPECT_EQ(snap->live_docs(), 0u);
  EXPECT_EQ(snap->total_docs, 0u);
  EXPECT_FALSE(snap->find_id("2401.00001").has_value());
  EXPECT_EQ(snap->document_frequency("apple"), 0u);
  EXPECT_TRUE(search_ids(*snap, "apple").empty());
  auto stats = index->stats();
  EXPECT_EQ(stats.segments, 0u);
  EXPECT_EQ(stats.docs, 0u);
  // Reopening an index that never published is fine too.
  index.reset();
  EXPECT_NE(open_index(), nullptr);
}

TEST_F(LexicalIndexTest, UpdatePublishesManifestAndReopenSeesIt) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  std::vector<IndexDoc> docs = {
      doc("2401.00001", "Apple pie", "A recipe for apple pie", {"Ada Lovelace"}, {"cs.LG"}, 19000),
      doc("2401.00002", "Banana bread", "Bread made from banana", {"Alan Turing"}, {"cs.CL"}),
      doc("2401.00003", "Cherry tart", "A tart of cherry and apple", {}, {}, 19010)};
  ASSERT_TRUE(update(*index, docs, {}, 5).ok());
  EXPECT_TRUE(std::filesystem::exists(idx() / "MANIFEST"));
  EXPECT_FALSE(std::filesystem::exists(idx() / "MANIFEST.tmp"));
  auto snap = index->snapshot();
  ASSERT_EQ(snap->segments.size(), 1u);
  EXPECT_EQ(snap->generation, 1u);
  EXPECT_EQ(snap->store_seq, 5);
  EXPECT_EQ(snap->live_docs(), 3u);
  EXPECT_EQ(snap->total_docs, 3u);
  EXPECT_EQ(snap->document_frequency(analyzer_.normalize_word("apple")), 2u);
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
  EXPECT_EQ(dir_listing(idx()).size(), 2u);  // MANIFEST and one segment
  auto where = snap->find_id("2401.00002");
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(where->first, 0u);
  EXPECT_EQ(snap->segments[0].segment->doc_id(where->second), "2401.00002");
  auto hits_before = search_hits(*snap, "apple");
  ASSERT_EQ(hits_before.size(), 2u);
  EXPECT_GT(snap->bytes_on_disk(), 0u);

  index.reset();
  auto reopened = open_index();
  ASSERT_NE(reopened, nullptr);
  auto snap2 = reopened->snapshot();
  EXPECT_EQ(snap2->generation, 1u);
  EXPECT_EQ(snap2->store_seq, 5);
  EXPECT_EQ(live_ids(*snap2), (std::vector<std::string>{"2401.00001", "2401.00002", "2401.00003"}));
  EXPECT_EQ(snap2->total_docs, snap->total_docs);
  EXPECT_EQ(snap2->field_length_sum, snap->field_length_sum);
  auto hits_after = search_hits(*snap2, "apple");
  ASSERT_EQ(hits_after.size(), hits_before.size());
  for (size_t i = 0; i < hits_after.size(); ++i) {
    EXPECT_EQ(hits_after[i].id, hits_before[i].id);
    EXPECT_DOUBLE_EQ(hits_after[i].score, hits_before[i].score);
  }
}

TEST_F(LexicalIndexTest, UpdatingAnIdTombstonesTheOldCopy) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "old title", "zebra stripes"), doc("b", "other", "lion"),
                              doc("c", "third", "tiger")})
                  .ok());
  ASSERT_TRUE(
      update(*index, {doc("a", "new title", "giraffe neck"), doc("d", "fourth", "zebra")}).ok());
  auto check = [&](const IndexSnapshot& snap) {
    ASSERT_EQ(snap.segments.size(), 2u);
    EXPECT_EQ(snap.segments[0].deleted_count, 1u);
    EXPECT_TRUE(snap.segments[0].is_deleted(0));
    EXPECT_FALSE(snap.segments[0].is_deleted(1));
    EXPECT_EQ(snap.live_docs(), 4u);
    EXPECT_EQ(snap.total_docs, 5u);  // statistics keep the deleted copy
    auto where = snap.find_id("a");
    ASSERT_TRUE(where.has_value());
    EXPECT_EQ(where->first, 1u);  // the newest segment
    EXPECT_EQ(snap.segments[1].segment->doc_id(where->second), "a");
    EXPECT_EQ(search_ids(snap, "giraffe"), (std::vector<std::string>{"a"}));
    EXPECT_EQ(search_ids(snap, "zebra"), (std::vector<std::string>{"d"}));  // not the old "a"
    EXPECT_EQ(search_ids(snap, "old"), (std::vector<std::string>{}));
    EXPECT_EQ(sorted(live_ids(snap)), (std::vector<std::string>{"a", "b", "c", "d"}));
    auto stats = index->stats();
    EXPECT_EQ(stats.segments, 2u);
    EXPECT_EQ(stats.docs, 4u);
    EXPECT_EQ(stats.deleted, 1u);
  };
  check(*index->snapshot());
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
  index.reset();
  index = open_index();
  ASSERT_NE(index, nullptr);
  check(*index->snapshot());  // the deletions were persisted
}

TEST_F(LexicalIndexTest, NewestCopyWinsWithinOneBatch) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(
      update(*index, {doc("a", "first", "walrus"), doc("b", "b", "b"), doc("a", "second", "otter")})
          .ok());
  auto snap = index->snapshot();
  EXPECT_EQ(snap->live_docs(), 2u);
  EXPECT_EQ(snap->total_docs, 2u);
  EXPECT_EQ(search_ids(*snap, "otter"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(search_ids(*snap, "walrus").empty());
}

TEST_F(LexicalIndexTest, DeletedIdsAreRemoved) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "moose"), doc("b", "t", "moose elk")}).ok());
  ASSERT_TRUE(update(*index, {doc("c", "t", "moose")}).ok());
  ASSERT_TRUE(update(*index, {}, {"b", "nonexistent"}).ok());
  auto snap = index->snapshot();
  EXPECT_EQ(snap->live_docs(), 2u);
  EXPECT_FALSE(snap->find_id("b").has_value());
  EXPECT_EQ(sorted(search_ids(*snap, "moose")), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(search_ids(*snap, "elk").empty());
  // Deleting every document of a segment drops the segment.
  ASSERT_TRUE(update(*index, {}, {"c"}).ok());
  snap = index->snapshot();
  ASSERT_EQ(snap->segments.size(), 1u);
  EXPECT_EQ(live_ids(*snap), (std::vector<std::string>{"a"}));
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
  // Deleting twice changes nothing.
  ASSERT_TRUE(update(*index, {}, {"b", "c"}).ok());
  EXPECT_EQ(index->snapshot()->segments[0].deleted_count, 1u);
  index.reset();
  index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(live_ids(*index->snapshot()), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(search_ids(*index->snapshot(), "elk").empty());
}

TEST_F(LexicalIndexTest, SnapshotsAreImmutable) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "moose"), doc("b", "t", "moose elk")}).ok());
  ASSERT_TRUE(update(*index, {doc("c", "t", "moose")}, {"a"}).ok());
  auto old = index->snapshot();
  const auto old_bits = *old->segments[0].deleted;
  ASSERT_TRUE(update(*index, {doc("b", "t", "reindeer")}, {"c"}).ok());
  ASSERT_TRUE(index->merge(1).ok());
  // A reader holding the old snapshot sees it unchanged, files removed or not.
  EXPECT_EQ(old->generation, 2u);
  EXPECT_EQ(*old->segments[0].deleted, old_bits);
  EXPECT_EQ(old->segments[0].deleted_count, 1u);
  EXPECT_EQ(old->segments[1].deleted, nullptr);
  EXPECT_EQ(sorted(live_ids(*old)), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(sorted(search_ids(*old, "moose")), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(search_ids(*old, "elk"), (std::vector<std::string>{"b"}));
  auto now = index->snapshot();
  EXPECT_EQ(live_ids(*now), (std::vector<std::string>{"b"}));
  EXPECT_EQ(search_ids(*now, "reindeer"), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(search_ids(*now, "elk").empty());
}

TEST_F(LexicalIndexTest, TruncatedDeletionFileFailsOpen) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "x"), doc("b", "t", "y")}).ok());
  ASSERT_TRUE(update(*index, {}, {"a"}).ok());
  index.reset();
  std::filesystem::path del;
  for (const auto& name : dir_listing(idx()))
    if (name.ends_with(".del")) del = idx() / name;
  ASSERT_FALSE(del.empty());
  pb::testing::write_file(del, "");
  auto reopened = LexicalIndex::open(idx());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code(), ErrorCode::kCorrupt);
}

TEST_F(LexicalIndexTest, StoreSeqPersistsAndNeverGoesBack) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "x")}, {}, 42).ok());
  EXPECT_EQ(index->snapshot()->store_seq, 42);
  ASSERT_TRUE(update(*index, {}, {}, 10).ok());
  EXPECT_EQ(index->snapshot()->store_seq, 42);
  ASSERT_TRUE(update(*index, {}, {}, 43).ok());
  index.reset();
  index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->snapshot()->store_seq, 43);
  EXPECT_EQ(index->snapshot()->generation, 3u);
}

// Queries over the make_docs() vocabulary.
const char* const kQueries[] = {"apple",
                                "common",
                                "apple banana",
                                "rare",
                                "\"apple banana\"",
                                "ti:grape",
                                "plum -pear",
                                "au:turing",
                                "cat:cs.lg mango",
                                "melon after:2022-01",
                                "gpt-4",
                                "kiwi lime lemon olive peach",
                                "saturate",
                                "+fig guava"};

void expect_same_hits(const std::vector<Hit>& a, const std::vector<Hit>& b, std::string_view q) {
  ASSERT_EQ(a.size(), b.size()) << q;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << q << " rank " << i;
    EXPECT_NEAR(a[i].score, b[i].score, 1e-9 * std::max(1.0, std::abs(a[i].score)))
        << q << " rank " << i;
  }
}

TEST_F(LexicalIndexTest, MergeWithoutDeletionsKeepsResults) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto docs = make_docs(400, 21);
  ASSERT_TRUE(update(*index, {docs.begin(), docs.begin() + 150}).ok());
  ASSERT_TRUE(update(*index, {docs.begin() + 150, docs.begin() + 200}).ok());
  ASSERT_TRUE(update(*index, {docs.begin() + 200, docs.end()}).ok());
  auto before = index->snapshot();
  ASSERT_EQ(before->segments.size(), 3u);
  // merge(3) and merge(4) have nothing to do.
  ASSERT_TRUE(index->merge(3).ok());
  ASSERT_TRUE(index->merge(4).ok());
  EXPECT_EQ(index->snapshot()->generation, before->generation);
  ASSERT_TRUE(index->merge(1).ok());
  auto after = index->snapshot();
  ASSERT_EQ(after->segments.size(), 1u);
  EXPECT_EQ(live_ids(*after), live_ids(*before));  // the same order, too
  EXPECT_EQ(after->total_docs, before->total_docs);
  EXPECT_EQ(after->field_length_sum, before->field_length_sum);
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
  EXPECT_EQ(dir_listing(idx()).size(), 2u);
  for (const char* q : kQueries) {
    for (bool exhaustive : {false, true}) {
      auto a = search_hits(*before, q, 1000, exhaustive);
      auto b = search_hits(*after, q, 1000, exhaustive);
      EXPECT_FALSE(a.empty()) << q;
      expect_same_hits(a, b, q);
    }
  }
  // The merged postings equal those of a segment built from the documents directly.
  Model model = make_model(docs, analyzer_);
  std::mt19937_64 rng(5);
  check_against_model(*after->segments[0].segment, model, rng);
}

TEST_F(LexicalIndexTest, MergeTwoSmallestSegments) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto docs = make_docs(400, 23);
  ASSERT_TRUE(update(*index, {docs.begin(), docs.begin() + 150}).ok());
  ASSERT_TRUE(update(*index, {docs.begin() + 150, docs.begin() + 200}).ok());
  ASSERT_TRUE(update(*index, {docs.begin() + 200, docs.end()}).ok());
  auto before = index->snapshot();
  const auto largest = before->segments[2].segment;
  ASSERT_TRUE(index->merge(2).ok());
  auto after = index->snapshot();
  ASSERT_EQ(after->segments.size(), 2u);
  EXPECT_EQ(after->segments[0].segment, largest);  // kept as it was
  EXPECT_EQ(after->segments[1].segment->doc_count(), 200u);
  EXPECT_EQ(sorted(live_ids(*after)), sorted(live_ids(*before)));
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
  // The same documents with the same scores; ties may be ordered differently now.
  for (const char* q : kQueries) {
    std::map<std::string, double> a, b;
    for (const auto& h : search_hits(*before, q)) a[h.id] = h.score;
    for (const auto& h : search_hits(*after, q)) b[h.id] = h.score;
    ASSERT_EQ(a.size(), b.size()) << q;
    for (const auto& [id, score] : a) {
      ASSERT_TRUE(b.count(id)) << q << " " << id;
      EXPECT_NEAR(b[id], score, 1e-9 * std::max(1.0, score)) << q << " " << id;
    }
  }
}

TEST_F(LexicalIndexTest, MergeKeepsExactlyTheLiveDocuments) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto docs = make_docs(300, 22);
  ASSERT_TRUE(update(*index, {docs.begin(), docs.begin() + 120}).ok());
  // Rewrite some documents, delete others.
  std::vector<IndexDoc> changed;
  std::vector<std::string> deleted;
  std::mt19937_64 rng(8);
  for (size_t i = 0; i < 120; i += 7) {
    IndexDoc d = docs[i];
    d.abstract = random_text(rng, 20) + " rewritten";
    changed.push_back(d);
  }
  for (size_t i = 3; i < 120; i += 11)
    if (i % 7 != 0) deleted.push_back(docs[i].id);  // not one of the rewritten
  changed.insert(changed.end(), docs.begin() + 120, docs.begin() + 200);
  ASSERT_TRUE(update(*index, changed, deleted).ok());
  ASSERT_TRUE(update(*index, {docs.begin() + 200, docs.end()}, {docs[150].id}).ok());
  auto before = index->snapshot();
  ASSERT_EQ(before->segments.size(), 3u);
  ASSERT_GT(before->total_docs, before->live_docs());
  auto live = live_ids(*before);

  ASSERT_TRUE(index->merge(1).ok());
  auto after = index->snapshot();
  ASSERT_EQ(after->segments.size(), 1u);
  EXPECT_EQ(after->segments[0].deleted_count, 0u);
  EXPECT_EQ(after->segments[0].deleted, nullptr);
  EXPECT_EQ(live_ids(*after), live);
  EXPECT_EQ(after->total_docs, live.size());
  for (const auto& id : deleted) EXPECT_FALSE(after->find_id(id).has_value()) << id;
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));

  // Reference: the live documents indexed afresh, in the merged order. Statistics now leave
  // out the deleted copies, so scores equal those of the reference exactly.
  std::map<std::string, IndexDoc> latest;
  for (size_t i = 0; i < 120; ++i) latest[docs[i].id] = docs[i];
  for (const auto& d : changed) latest[d.id] = d;
  for (size_t i = 200; i < docs.size(); ++i) latest[docs[i].id] = docs[i];
  std::vector<IndexDoc> fresh;
  for (const auto& id : live) fresh.push_back(latest.at(id));
  auto ref = LexicalIndex::open(dir_ / "ref");
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE((*ref)->update(fresh, {}, 0, analyzer_).ok());
  auto ref_snap = (*ref)->snapshot();
  for (const char* q : {"rewritten", "common", "apple banana", "rare", "\"apple banana\"",
                        "ti:grape", "plum -pear"}) {
    expect_same_hits(search_hits(*ref_snap, q), search_hits(*after, q), q);
  }
  // And a merge of an index without deletions and one segment is a no-op.
  const auto generation = after->generation;
  ASSERT_TRUE(index->merge(1).ok());
  EXPECT_EQ(index->snapshot()->generation, generation);

  index.reset();
  index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(live_ids(*index->snapshot()), live);
}

TEST_F(LexicalIndexTest, MergeOfFullyDeletedSegmentsLeavesNothing) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "x"), doc("b", "t", "y")}).ok());
  ASSERT_TRUE(update(*index, {doc("c", "t", "z")}).ok());
  ASSERT_TRUE(update(*index, {}, {"a"}).ok());
  ASSERT_TRUE(index->merge(1).ok());
  auto snap = index->snapshot();
  ASSERT_EQ(snap->segments.size(), 1u);
  EXPECT_EQ(sorted(live_ids(*snap)), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
}

TEST_F(LexicalIndexTest, ClearEmptiesTheIndex) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "x"), doc("b", "t", "y")}, {}, 9).ok());
  ASSERT_TRUE(update(*index, {doc("a", "t2", "x2")}).ok());
  ASSERT_TRUE(index->clear().ok());
  auto snap = index->snapshot();
  EXPECT_TRUE(snap->segments.empty());
  EXPECT_EQ(snap->live_docs(), 0u);
  EXPECT_EQ(snap->total_docs, 0u);
  EXPECT_EQ(snap->store_seq, 0);
  EXPECT_EQ(snap->generation, 3u);
  EXPECT_EQ(dir_listing(idx()), (std::set<std::string>{"MANIFEST"}));
  EXPECT_TRUE(search_ids(*snap, "x").empty());
  // Usable afterwards, and new segment names do not reuse old ones.
  ASSERT_TRUE(update(*index, {doc("z", "t", "x")}).ok());
  index.reset();
  index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(live_ids(*index->snapshot()), (std::vector<std::string>{"z"}));
  EXPECT_EQ(dir_listing(idx()), (std::set<std::string>{"MANIFEST", "seg_000003.seg"}));
}

TEST_F(LexicalIndexTest, OpenRemovesLeftoversButKeepsLock) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "x")}).ok());
  index.reset();
  pb::testing::write_file(idx() / "seg_000099.seg", "partial");
  pb::testing::write_file(idx() / "seg_000099.seg.tmp", "partial");
  pb::testing::write_file(idx() / "MANIFEST.tmp", "{");
  pb::testing::write_file(idx() / "LOCK", "");
  index = open_index();
  ASSERT_NE(index, nullptr);
  auto expected = manifest_files(idx());
  expected.insert("LOCK");
  EXPECT_EQ(dir_listing(idx()), expected);
  EXPECT_EQ(live_ids(*index->snapshot()), (std::vector<std::string>{"a"}));
}

TEST_F(LexicalIndexTest, UnreadableManifestIsAnError) {
  std::filesystem::create_directories(idx());
  pb::testing::write_file(idx() / "MANIFEST", "not json");
  auto index = LexicalIndex::open(idx());
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().code(), ErrorCode::kCorrupt);
  pb::testing::write_file(idx() / "MANIFEST", R"({"format": 2, "segments": []})");
  EXPECT_FALSE(LexicalIndex::open(idx()).ok());
  pb::testing::write_file(idx() / "MANIFEST",
                          R"({"format": 1, "segments": [{"file": "seg_000001.seg"}]})");
  EXPECT_FALSE(LexicalIndex::open(idx()).ok());  // the segment is missing
  pb::testing::write_file(idx() / "MANIFEST", R"({"format": 1, "segments": [{"file": 3}]})");
  EXPECT_FALSE(LexicalIndex::open(idx()).ok());
}

TEST_F(LexicalIndexTest, DamagedSegmentFailsOpen) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(update(*index, {doc("a", "t", "x")}).ok());
  index.reset();
  pb::testing::write_file(idx() / "seg_000001.seg", "garbage");
  auto reopened = LexicalIndex::open(idx());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code(), ErrorCode::kCorrupt);
}

class CrashTest : public LexicalIndexTest {
 protected:
  // Generation 2: two segments, one deletion.
  void SetUp() override {
    index_ = open_index();
    ASSERT_NE(index_, nullptr);
    ASSERT_TRUE(update(*index_, {doc("a", "alpha", "one"), doc("b", "beta", "two")}, {}, 1).ok());
    ASSERT_TRUE(update(*index_, {doc("c", "gamma", "three")}, {"b"}, 2).ok());
    files_ = dir_listing(idx());
    manifest_ = pb::testing::read_file(idx() / "MANIFEST");
    ASSERT_EQ(files_, manifest_files(idx()));
  }
  // A fresh open sees generation 2 unchanged and only its files.
  void expect_previous_generation() {
    auto reopened = open_index();
    ASSERT_NE(reopened, nullptr);
    auto snap = reopened->snapshot();
    EXPECT_EQ(snap->generation, 2u);
    EXPECT_EQ(snap->store_seq, 2);
    EXPECT_EQ(live_ids(*snap), (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(snap->total_docs, 3u);
    EXPECT_EQ(search_ids(*snap, "one"), (std::vector<std::string>{"a"}));
    EXPECT_TRUE(search_ids(*snap, "two").empty());
    EXPECT_EQ(pb::testing::read_file(idx() / "MANIFEST"), manifest_);
    EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
    EXPECT_EQ(dir_listing(idx()), files_);
  }
  std::unique_ptr<LexicalIndex> index_;
  std::set<std::string> files_;
  std::string manifest_;
};

TEST_F(CrashTest, CrashDuringUpdate) {
  index_->set_crash_before_publish(true);
  auto st = update(*index_, {doc("a", "alpha", "replaced"), doc("d", "delta", "four")}, {"c"}, 3);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kCancelled);
  // The writer left its files behind, as a crash would.
  EXPECT_TRUE(std::filesystem::exists(idx() / "MANIFEST.tmp"));
  EXPECT_GT(dir_listing(idx()).size(), files_.size());
  // The running index still serves generation 2.
  auto snap = index_->snapshot();
  EXPECT_EQ(snap->generation, 2u);
  EXPECT_EQ(live_ids(*snap), (std::vector<std::string>{"a", "c"}));
  index_.reset();
  expect_previous_generation();
}

TEST_F(CrashTest, CrashDuringMergeAndClear) {
  index_->set_crash_before_publish(true);
  EXPECT_FALSE(index_->merge(1).ok());
  EXPECT_FALSE(index_->clear().ok());
  EXPECT_EQ(index_->snapshot()->generation, 2u);
  index_.reset();
  expect_previous_generation();
}

TEST_F(CrashTest, WriterRecoversAfterAFailedPublish) {
  index_->set_crash_before_publish(true);
  ASSERT_FALSE(update(*index_, {doc("d", "delta", "four")}, {}, 3).ok());
  index_->set_crash_before_publish(false);
  ASSERT_TRUE(update(*index_, {doc("e", "epsilon", "five")}, {"a"}, 4).ok());
  auto snap = index_->snapshot();
  EXPECT_EQ(snap->generation, 3u);
  EXPECT_EQ(live_ids(*snap), (std::vector<std::string>{"c", "e"}));
  EXPECT_TRUE(search_ids(*snap, "four").empty());
  EXPECT_EQ(dir_listing(idx()), manifest_files(idx()));
  index_.reset();
  auto reopened = open_index();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(live_ids(*reopened->snapshot()), (std::vector<std::string>{"c", "e"}));
  EXPECT_EQ(reopened->snapshot()->store_seq, 4);
}

}  // namespace
}  // namespace pb::lexical
