// Vector sets in a data directory: embedding the store, catching up incrementally, switching
// models without disturbing search, resuming an interrupted switch; and hybrid search.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../model_util.hpp"
#include "../test_support.hpp"
#include "embed/embedder.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "index/vector/kernels.hpp"
#include "store/store.hpp"

namespace pb::engine {
namespace {

namespace fs = std::filesystem;
using pb::testing::TempDir;

const std::vector<std::string> kWords = {
    "graph",   "neural", "network",  "protein", "folding", "galaxy", "cluster",   "quantum",
    "circuit", "error",  "language", "model",   "vision",  "image",  "diffusion", "robot",
    "policy",  "reward", "spectral", "dark",    "matter",  "kernel", "sparse",    "attention"};

Paper paper(int i, std::mt19937_64& rng) {
  Paper p;
  p.id = "2401." + std::string(i < 10 ? "0000" : "000") + std::to_string(i);
  p.version = 1;
  for (int w = 0; w < 4; ++w) p.title += (w ? " " : "") + kWords[rng() % kWords.size()];
  for (int w = 0; w < 30; ++w) p.abstract += (w ? " " : "") + kWords[rng() % kWords.size()];
  return p;
}

std::vector<std::string> ids(const SearchResults& r) {
  std::vector<std::string> v;
  for (const auto& it : r.items) v.push_back(it.paper.id);
  return v;
}

class VectorSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({dir_ / "data"});
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(*s);
    std::mt19937_64 rng(9);
    for (int i = 0; i < 60; ++i) papers_.push_back(paper(i, rng));
    ASSERT_TRUE(store_->upsert(papers_).ok());
    pb::testing::write_static_model(dir_ / "m1", kWords, 16, 1);
    pb::testing::write_static_model(dir_ / "m2", kWords, 16, 2);
    auto m1 = embed::load_model(dir_ / "m1");
    auto m2 = embed::load_model(dir_ / "m2");
    ASSERT_TRUE(m1.ok()) << m1.error().message();
    ASSERT_TRUE(m2.ok()) << m2.error().message();
    m1_ = std::move(*m1);
    m2_ = std::move(*m2);
    ASSERT_NE(m1_->model_id(), m2_->model_id());
  }
  fs::path vdir() const { return dir_ / "vectors"; }
  Result<EmbedSummary> embed(const embed::Embedder& m, size_t batch = 16,
                             std::function<bool()> stop = nullptr) {
    EmbedRunOptions o;
    o.batch = batch;
    o.threads = 1;
    o.should_stop = std::move(stop);
    return embed_store(*store_, vdir(), m, o);
  }
  // The papers embedded with m1 and indexed: what the search tests query.
  struct Searchable {
    Result<std::unique_ptr<VectorSet>> set = std::unique_ptr<VectorSet>();
    std::unique_ptr<lexical::LexicalIndex> index;
    std::shared_ptr<const lexical::IndexSnapshot> snap;
  };
  void searchable(Searchable& sb) {
    ASSERT_TRUE(embed(*m1_).ok());
    sb.set = VectorSet::open_active(vdir());
    ASSERT_TRUE(sb.set.ok() && *sb.set);
    auto index = lexical::LexicalIndex::open(dir_ / "lexical");
    ASSERT_TRUE(index.ok());
    sb.index = std::move(*index);
    ASSERT_TRUE(refresh_index(*store_, *sb.index, {}).ok());
    sb.snap = sb.index->snapshot();
  }
  std::vector<float> vector_of(const embed::Embedder& m, const Paper& p) {
    auto v = m.embed_one(embedding_text(p), embed::Kind::kDocument);
    EXPECT_TRUE(v.ok());
    return *v;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<Paper> papers_;
  std::unique_ptr<embed::Embedder> m1_, m2_;
};

TEST_F(VectorSetTest, EmbedCatchUpSwitchAndResume) {
  auto none = VectorSet::open_active(vdir());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);

  auto s = embed(*m1_);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->embedded, 60u);
  EXPECT_EQ(s->vectors, 60u);
  EXPECT_TRUE(s->switched);
  {
    auto set = VectorSet::open_active(vdir());
    ASSERT_TRUE(set.ok() && *set) << (set.ok() ? "none" : set.error().message());
    EXPECT_EQ((*set)->info().model_id, m1_->model_id());
    // Every paper's stored vector is its embedding; its nearest paper is itself.
    for (const auto& p : papers_) {
      auto row = (*set)->row_of(p.id);
      ASSERT_TRUE(row.has_value()) << p.id;
      auto want = vector_of(*m1_, p);
      auto got = (*set)->store().vector(*row);
      for (size_t i = 0; i < want.size(); ++i) ASSERT_FLOAT_EQ(got[i], want[i]);
      auto near = (*set)->nearest(want, 1);
      ASSERT_EQ(near.size(), 1u);
      EXPECT_EQ(near[0].id, p.id);
      EXPECT_NEAR(near[0].score, 1.0, 1e-5);
    }
  }
  // Nothing changed: nothing to do. Then one changed and two new papers: only those.
  auto again = embed(*m1_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->embedded, 0u);
  std::mt19937_64 rng(77);
  Paper changed = papers_[5];
  changed.version = 2;
  changed.title = "quantum error circuit";
  std::vector<Paper> more = {changed, paper(60, rng), paper(61, rng)};
  ASSERT_TRUE(store_->upsert(more).ok());
  auto inc = embed(*m1_);
  ASSERT_TRUE(inc.ok()) << inc.error().message();
  EXPECT_EQ(inc->embedded, 3u);
  EXPECT_EQ(inc->vectors, 62u);
  EXPECT_FALSE(inc->switched);
  auto stored = store_->get(changed.id);
  ASSERT_TRUE(stored.ok() && *stored);
  {
    auto set = VectorSet::open_active(vdir());
    ASSERT_TRUE(set.ok() && *set);
    EXPECT_EQ((*set)->store().rows(), 63u);  // the old row of the changed paper stays, dead
    auto near = (*set)->nearest(vector_of(*m1_, **stored), 3);
    ASSERT_FALSE(near.empty());
    EXPECT_EQ(near[0].id, changed.id);
    for (size_t i = 1; i < near.size(); ++i) EXPECT_NE(near[i].id, changed.id);  // once only
  }

  // A new model, interrupted after two batches: search keeps the complete old set.
  int batches = 0;
  auto cut = embed(*m2_, 10, [&] { return ++batches == 2; });
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code(), ErrorCode::kCancelled);
  EXPECT_TRUE(fs::exists(vdir() / "PENDING"));
  {
    auto set = VectorSet::open_active(vdir());
    ASSERT_TRUE(set.ok() && *set);
    EXPECT_EQ((*set)->info().model_id, m1_->model_id());
    EXPECT_EQ((*set)->store().live_rows(), 62u);
  }
  // A third model started and interrupted: it replaces the unfinished second one on disk.
  pb::testing::write_static_model(dir_ / "m3", kWords, 16, 3);
  auto m3 = embed::load_model(dir_ / "m3");
  ASSERT_TRUE(m3.ok());
  int b3 = 0;
  ASSERT_FALSE(embed(**m3, 10, [&] { return ++b3 == 1; }).ok());
  size_t sets = 0;
  for (const auto& e : fs::directory_iterator(vdir())) sets += e.path().extension() == ".pbv";
  EXPECT_EQ(sets, 2u);  // the active set and the third model's unfinished one
  // Back to the second model: it starts over (its unfinished set was dropped).
  batches = 0;
  ASSERT_FALSE(embed(*m2_, 10, [&] { return ++batches == 2; }).ok());
  // Resumed: only the rest is embedded, then the new set becomes active and the old one goes.
  auto resumed = embed(*m2_, 10);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message();
  EXPECT_EQ(resumed->embedded, 62u - 20u);
  EXPECT_TRUE(resumed->switched);
  EXPECT_EQ(resumed->vectors, 62u);
  EXPECT_FALSE(fs::exists(vdir() / "PENDING"));
  auto set = VectorSet::open_active(vdir());
  ASSERT_TRUE(set.ok() && *set);
  EXPECT_EQ((*set)->info().model_id, m2_->model_id());
  size_t vector_files = 0;
  for (const auto& e : fs::directory_iterator(vdir()))
    vector_files += e.path().extension() == ".pbv";
  EXPECT_EQ(vector_files, 1u);
  for (const auto& p : papers_) {
    auto row = (*set)->row_of(p.id);
    ASSERT_TRUE(row.has_value());
    if (p.id == changed.id) continue;
    auto want = vector_of(*m2_, p);
    EXPECT_FLOAT_EQ((*set)->store().vector(*row)[0], want[0]) << p.id;
  }
}

// Fusion settings in paperboy.json do not change the model id (no re-embedding needed);
// settings that change vectors do.
TEST_F(VectorSetTest, ModelIdFollowsWhatChangesVectors) {
  pb::testing::write_file(dir_ / "m1" / "paperboy.json", R"({"hybrid_weight": 0.5})");
  auto same = embed::load_model(dir_ / "m1");
  ASSERT_TRUE(same.ok()) << same.error().message();
  EXPECT_EQ((*same)->model_id(), m1_->model_id());
  pb::testing::write_file(dir_ / "m1" / "paperboy.json", R"({"query_prefix": "query: "})");
  auto other = embed::load_model(dir_ / "m1");
  ASSERT_TRUE(other.ok()) << other.error().message();
  EXPECT_NE((*other)->model_id(), m1_->model_id());
}

// A paper whose id cannot key a vector row is skipped, but the set still catches up past it
// (it is not scanned again by every later run).
TEST_F(VectorSetTest, UnkeyablePapersAreSkippedOnce) {
  Paper odd = papers_[0];
  odd.id = std::string(80, 'x');
  ASSERT_TRUE(store_->upsert(std::vector<Paper>{odd}).ok());
  auto first = embed(*m1_);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->embedded, 60u);
  auto max_seq = store_->max_seq();
  ASSERT_TRUE(max_seq.ok());
  auto set = VectorSet::open_active(vdir());
  ASSERT_TRUE(set.ok() && *set);
  EXPECT_EQ((*set)->info().store_seq, *max_seq);
  EXPECT_FALSE((*set)->row_of(odd.id).has_value());
}

TEST_F(VectorSetTest, DamagedDescriptionIsAnError) {
  fs::create_directories(vdir());
  pb::testing::write_file(vdir() / "ACTIVE", "{not json");
  auto set = VectorSet::open_active(vdir());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code(), ErrorCode::kCorrupt);
  pb::testing::write_file(vdir() / "ACTIVE", R"({"model_id": "x", "name": "../etc"})");
  EXPECT_FALSE(VectorSet::open_active(vdir()).ok());
}

// Hybrid search through the engine: semantic weight 0 is lexical exactly; filters hold in
// semantic mode; without vectors, semantic requests are answered lexically with a note.
TEST_F(VectorSetTest, HybridAndSemanticSearch) {
  Searchable sb;
  ASSERT_NO_FATAL_FAILURE(searchable(sb));
  auto& set = sb.set;
  auto snap = sb.snap;
  text::Analyzer analyzer;
  SemanticSource src{set->get(), m1_.get()};
  for (const std::string q : {"quantum circuit", "protein folding attention", "dark matter"}) {
    SearchRequest lex;
    lex.query = q;
    lex.k = 10;
    auto l = search(*store_, *snap, lex, analyzer, src);
    ASSERT_TRUE(l.ok());
    SearchRequest hyb = lex;
    hyb.mode = SearchMode::kHybrid;
    for (auto method : {FusionMethod::kRrf, FusionMethod::kScore}) {
      hyb.hybrid.method = method;
      hyb.hybrid.semantic_weight = 0;
      auto h = search(*store_, *snap, hyb, analyzer, src);
      ASSERT_TRUE(h.ok());
      EXPECT_EQ(ids(*h), ids(*l)) << q;
      hyb.hybrid.semantic_weight = 1;
      auto h1 = search(*store_, *snap, hyb, analyzer, src);
      ASSERT_TRUE(h1.ok());
      EXPECT_EQ(h1->items.size(), 10u);
    }
    SearchRequest sem = lex;
    sem.mode = SearchMode::kSemantic;
    auto s = search(*store_, *snap, sem, analyzer, src);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->items.size(), 10u);
    auto qv = m1_->embed_one(q, embed::Kind::kQuery);
    ASSERT_TRUE(qv.ok());
    auto exact = (*set)->nearest(*qv, 10);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(s->items[i].paper.id, exact[i].id);
    // A required term filters semantic results.
    sem.query = q + " +galaxy";
    auto f = search(*store_, *snap, sem, analyzer, src);
    ASSERT_TRUE(f.ok());
    ASSERT_FALSE(f->items.empty());
    for (const auto& it : f->items)
      EXPECT_NE((it.paper.title + " " + it.paper.abstract).find("galaxy"), std::string::npos);
  }
  SearchRequest sem;
  sem.query = "quantum";
  sem.mode = SearchMode::kSemantic;
  auto plain = search(*store_, *snap, sem, analyzer, {});
  ASSERT_TRUE(plain.ok());
  ASSERT_FALSE(plain->notes.empty());
  EXPECT_NE(plain->notes.back().find("no embedding model"), std::string::npos);
  // Similar papers with vectors: never the paper itself, and k results.
  auto sim = similar(*store_, *snap, papers_[3].id, 5, analyzer, set->get(), {});
  ASSERT_TRUE(sim.ok());
  EXPECT_EQ(sim->items.size(), 5u);
  for (const auto& it : sim->items) EXPECT_NE(it.paper.id, papers_[3].id);
}

// SearchMode::kAuto: hybrid for free text ranked by relevance when the model prefers it
// (its paperboy.json), lexical for everything else; the results say which mode answered.
TEST_F(VectorSetTest, AutoModeIsHybridOnlyWhereTheModelPrefersIt) {
  Searchable sb;
  ASSERT_NO_FATAL_FAILURE(searchable(sb));
  auto snap = sb.snap;
  text::Analyzer analyzer;
  SemanticSource src{sb.set->get(), m1_.get()};
  auto run = [&](const std::string& q, SearchMode mode, const HybridOptions& h,
                 lexical::SortOrder sort = lexical::SortOrder::kRelevance,
                 const SemanticSource& from = {}) {
    SearchRequest r;
    r.query = q;
    r.k = 10;
    r.mode = mode;
    r.hybrid = h;
    r.sort = sort;
    auto res = search(*store_, *snap, r, analyzer, from);
    EXPECT_TRUE(res.ok()) << q;
    return res.ok() ? *res : SearchResults{};
  };
  pb::testing::write_file(dir_ / "m1" / "paperboy.json",
                          R"({"fusion": "rrf", "default_mode": "hybrid"})");
  auto preferred = hybrid_options({}, (dir_ / "m1").string());
  ASSERT_TRUE(preferred.ok());
  EXPECT_TRUE(preferred->prefer_hybrid);
  pb::testing::write_file(dir_ / "m1" / "paperboy.json", R"({"default_mode": 3})");
  auto odd = hybrid_options({}, (dir_ / "m1").string());
  ASSERT_TRUE(odd.ok());
  EXPECT_FALSE(odd->prefer_hybrid);
  const HybridOptions plain = *hybrid_options({}, (dir_ / "nowhere").string());
  EXPECT_FALSE(plain.prefer_hybrid);

  bool some_differ = false;
  for (const std::string q : {"quantum circuit", "protein folding attention", "dark matter"}) {
    auto lex = run(q, SearchMode::kLexical, *preferred, lexical::SortOrder::kRelevance, src);
    auto hyb = run(q, SearchMode::kHybrid, *preferred, lexical::SortOrder::kRelevance, src);
    EXPECT_EQ(lex.mode, SearchMode::kLexical);
    EXPECT_EQ(hyb.mode, SearchMode::kHybrid);
    some_differ = some_differ || ids(lex) != ids(hyb);
    auto a = run(q, SearchMode::kAuto, *preferred, lexical::SortOrder::kRelevance, src);
    EXPECT_EQ(a.mode, SearchMode::kHybrid) << q;
    EXPECT_EQ(ids(a), ids(hyb)) << q;
    // A model that does not prefer hybrid, or no vectors: lexical, without a note.
    for (const auto& [h, from] : {std::pair{plain, src}, std::pair{*preferred, SemanticSource{}}}) {
      auto b = run(q, SearchMode::kAuto, h, lexical::SortOrder::kRelevance, from);
      EXPECT_EQ(b.mode, SearchMode::kLexical) << q;
      EXPECT_EQ(ids(b), ids(lex)) << q;
      EXPECT_TRUE(b.notes.empty()) << q;
    }
    // Date order and structured queries (no free text) stay lexical.
    auto by_date = run(q, SearchMode::kAuto, *preferred, lexical::SortOrder::kDate, src);
    EXPECT_EQ(by_date.mode, SearchMode::kLexical);
    EXPECT_EQ(ids(by_date),
              ids(run(q, SearchMode::kLexical, *preferred, lexical::SortOrder::kDate, src)));
    EXPECT_TRUE(by_date.notes.empty());
    const std::string fielded = "ti:" + q.substr(0, q.find(' '));
    auto f = run(fielded, SearchMode::kAuto, *preferred, lexical::SortOrder::kRelevance, src);
    EXPECT_EQ(f.mode, SearchMode::kLexical) << fielded;
    EXPECT_FALSE(f.items.empty()) << fielded;
  }
  EXPECT_TRUE(some_differ) << "hybrid should reorder at least one of the queries";
}

// What users type (CLI --mode, the API's and the web form's mode=) reads back as mode_name()
// writes it; "" is kAuto, and anything else is one line naming the choices.
TEST(SearchModeNames, ParseIsTheInverseOfModeName) {
  for (SearchMode m : {SearchMode::kLexical, SearchMode::kSemantic, SearchMode::kHybrid}) {
    auto back = parse_mode(mode_name(m));
    ASSERT_TRUE(back.ok()) << mode_name(m);
    EXPECT_EQ(*back, m);
  }
  auto empty = parse_mode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, SearchMode::kAuto);
  for (std::string_view bad : {"auto", "Hybrid", "lexical ", "dense"}) {
    auto r = parse_mode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
    EXPECT_EQ(r.error().message(),
              fmt::format("mode must be lexical, semantic or hybrid, not '{}'", bad));
  }
}

}  // namespace
}  // namespace pb::engine
