// Personal recommendations over a real SQLite store and lexical index: a user's saved or
// upvoted papers shape the model, one saved paper is enough, follows give a cold start, and
// every recommendation is explained.

#include "engine/recommend.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../model_util.hpp"
#include "../test_support.hpp"
#include "embed/embedder.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "store/store.hpp"

namespace pb::engine {
namespace {

using pb::testing::TempDir;

struct Topic {
  std::string name, category, author;
  std::vector<std::string> words;
};

const std::vector<Topic> kTopics = {
    {"diffusion",
     "cs.CV",
     "Dee Fusion",
     {"diffusion", "denoising", "image", "generation", "score", "sampler", "latent", "pixel"}},
    {"protein",
     "q-bio.BM",
     "Pro Tein",
     {"protein", "folding", "residue", "structure", "enzyme", "binding", "amino", "molecule"}},
    {"galaxy",
     "astro-ph.GA",
     "Gal Axy",
     {"galaxy", "cluster", "dark", "matter", "halo", "redshift", "stellar", "survey"}},
    {"quantum",
     "quant-ph",
     "Quinn Tum",
     {"quantum", "qubit", "circuit", "entanglement", "error", "correction", "gate", "noise"}},
    {"robot",
     "cs.RO",
     "Rob Otto",
     {"robot", "manipulation", "grasp", "policy", "locomotion", "control", "reward", "arm"}},
};
const std::vector<std::string> kFiller = {"we",      "propose", "novel",    "method",
                                          "results", "show",    "approach", "experiments",
                                          "based",   "new",     "study",    "analysis"};

class RecommendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({dir_ / "data"});
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(*s);
    std::mt19937_64 rng(3);
    std::vector<Paper> papers;
    for (size_t t = 0; t < kTopics.size(); ++t) {
      for (int i = 0; i < 20; ++i) {
        const auto& topic = kTopics[t];
        Paper p;
        p.id = fmt::format("2501.{:05d}", t * 100 + static_cast<size_t>(i));
        p.version = 1;
        for (int w = 0; w < 4; ++w) p.title += (w ? " " : "") + topic.words[rng() % 8];
        for (int w = 0; w < 30; ++w)
          p.abstract +=
              (w ? " " : "") + (w % 2 ? topic.words[rng() % 8] : kFiller[rng() % kFiller.size()]);
        p.categories = {topic.category};
        p.primary_category = topic.category;
        p.authors = {i % 2 ? topic.author : "Someone Else", "Co Author"};
        p.announced = fmt::format("2025-01-0{}", 1 + i % 3);
        topic_of_[p.id] = topic.name;
        papers.push_back(std::move(p));
      }
    }
    ASSERT_TRUE(store_->upsert(papers).ok());
    auto index = lexical::LexicalIndex::open(dir_ / "lexical");
    ASSERT_TRUE(index.ok());
    index_ = std::move(*index);
    ASSERT_TRUE(refresh_index(*store_, *index_, {}).ok());
    auto u = store_->create_user("ada", "ada@example.org", "x", 1);
    ASSERT_TRUE(u.ok());
    user_ = *u;
  }

  Recommendations run(RecommendOptions o = {}) {
    auto r = recommend(*store_, *index_->snapshot(), user_, o, analyzer_);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : Recommendations{};
  }
  void expect_topic(const Recommendations& r, const std::string& topic, size_t n) {
    ASSERT_GE(r.items.size(), n);
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(topic_of_[r.items[i].paper.id], topic) << "rank " << i + 1;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<lexical::LexicalIndex> index_;
  text::Analyzer analyzer_;
  UserId user_ = 0;
  std::map<std::string, std::string> topic_of_;
};

TEST_F(RecommendTest, SavedDiffusionPapersBringDiffusionPapersFirst) {
  for (const char* id : {"2501.00001", "2501.00002", "2501.00003"})
    ASSERT_TRUE(store_->save_paper(user_, id, {}, 10).ok());
  RecommendOptions o;
  o.k = 10;
  auto r = run(o);
  EXPECT_EQ(r.basis, "library");
  EXPECT_EQ(r.positives, 3u);
  expect_topic(r, "diffusion", 10);
  for (const auto& it : r.items) {
    EXPECT_NE(it.paper.id, "2501.00001");  // saved papers are not recommended again
    EXPECT_FALSE(it.terms.empty());
    EXPECT_EQ(topic_of_[it.nearest_id], "diffusion");
    EXPECT_GT(it.nearest_similarity, 0);
    EXPECT_FALSE(it.nearest_title.empty());
  }
  // The explanation names the topic's words (stemmed as indexed).
  std::set<std::string> topic_terms;
  for (const auto& w : kTopics[0].words) topic_terms.insert(analyzer_.normalize_word(w));
  for (const auto& term : r.items[0].terms) EXPECT_TRUE(topic_terms.count(term)) << term;
  // For people, the same terms as the papers write them.
  const std::set<std::string> topic_words(kTopics[0].words.begin(), kTopics[0].words.end());
  ASSERT_EQ(r.items[0].words.size(), r.items[0].terms.size());
  for (const auto& word : r.items[0].words) EXPECT_TRUE(topic_words.count(word)) << word;
  // Deterministic.
  auto again = run(o);
  ASSERT_EQ(again.items.size(), r.items.size());
  for (size_t i = 0; i < r.items.size(); ++i)
    EXPECT_EQ(again.items[i].paper.id, r.items[i].paper.id);
}

// Embedding features find papers that share meaning but no words with the library: papers
// written with synonyms of the galaxy topic's words, which the embedding model places next to
// them, against decoys written with words of no topic. On terms alone the two kinds look the
// same (new words and filler).
TEST_F(RecommendTest, EmbeddingFeaturesFindPapersWithoutSharedTerms) {
  const std::vector<std::string> synonyms = {"nebula", "quasar",    "pulsar", "cosmos",
                                             "comet",  "telescope", "orbit",  "planet"};
  const std::vector<std::string> decoys = {"ledger",  "invoice", "tariff", "audit",
                                           "payroll", "bond",    "equity", "dividend"};
  std::mt19937_64 rng(5);
  std::vector<Paper> extra;
  for (int i = 0; i < 20; ++i) {
    const auto& vocab = i < 10 ? synonyms : decoys;
    Paper p;
    p.id = fmt::format("2501.{:05d}", 900 + i);
    p.version = 1;
    for (int w = 0; w < 4; ++w) p.title += (w ? " " : "") + vocab[rng() % 8];
    for (int w = 0; w < 30; ++w)
      p.abstract += (w ? " " : "") + (w % 2 ? vocab[rng() % 8] : kFiller[rng() % kFiller.size()]);
    p.categories = {"astro-ph.CO"};
    p.announced = fmt::format("2025-01-0{}", 1 + i % 3);
    extra.push_back(std::move(p));
  }
  ASSERT_TRUE(store_->upsert(extra).ok());
  ASSERT_TRUE(refresh_index(*store_, *index_, {}).ok());
  // One axis per topic; the synonyms share the galaxy axis; filler words point nowhere much.
  std::vector<std::string> words;
  std::vector<std::vector<float>> rows;
  std::normal_distribution<float> noise(0, 0.05f);
  auto axis = [&](size_t a) {
    std::vector<float> v(8);
    for (auto& x : v) x = noise(rng);
    v[a] += 1;
    return v;
  };
  for (size_t t = 0; t < kTopics.size(); ++t)
    for (const auto& w : kTopics[t].words) words.push_back(w), rows.push_back(axis(t));
  for (const auto& w : synonyms) words.push_back(w), rows.push_back(axis(2));  // galaxy
  for (const auto& w : decoys) words.push_back(w), rows.push_back(axis(6));
  for (const auto& w : kFiller) words.push_back(w), rows.push_back(axis(7));
  pb::testing::write_static_model_rows(dir_ / "model", words, rows);
  auto model = embed::load_model(dir_ / "model");
  ASSERT_TRUE(model.ok()) << model.error().message();
  ASSERT_TRUE(embed_store(*store_, dir_ / "vectors", **model, {}).ok());
  auto vectors = VectorSet::open_active(dir_ / "vectors");
  ASSERT_TRUE(vectors.ok()) << vectors.error().message();

  for (const char* id : {"2501.00201", "2501.00202", "2501.00203"})  // galaxy papers
    ASSERT_TRUE(store_->save_paper(user_, id, {}, 10).ok());
  // Whether every synonym paper ranks above every decoy.
  auto synonyms_first = [](const Recommendations& r) {
    size_t last_synonym = 0, first_decoy = r.items.size();
    for (size_t i = 0; i < r.items.size(); ++i) {
      const std::string& id = r.items[i].paper.id;
      if (id >= "2501.00900" && id < "2501.00910") last_synonym = i;
      if (id >= "2501.00910" && first_decoy == r.items.size()) first_decoy = i;
    }
    return last_synonym < first_decoy;
  };
  RecommendOptions o;
  o.k = 200;  // every candidate
  o.embedding_weight = 0;
  const auto terms_only = run(o);
  o.vectors = vectors->get();
  o.embedding_weight = 1.0;
  const auto with_embeddings = run(o);
  EXPECT_FALSE(synonyms_first(terms_only));  // on terms alone the two kinds are mixed
  EXPECT_TRUE(synonyms_first(with_embeddings));
  for (const auto& it : with_embeddings.items) {
    ASSERT_FALSE(it.terms.empty()) << it.paper.id;
    for (const auto& t : it.terms) EXPECT_FALSE(t.empty());  // words, never dimensions
  }
}

TEST_F(RecommendTest, ASingleSavedPaperOrUpvoteIsEnough) {
  ASSERT_TRUE(store_->save_paper(user_, "2501.00105", {}, 10).ok());
  expect_topic(run(), "protein", 5);
  ASSERT_TRUE(store_->unsave_paper(user_, "2501.00105").ok());
  ASSERT_TRUE(store_->set_vote(user_, "2501.00207", true, 11).ok());
  auto r = run();
  EXPECT_EQ(r.positives, 1u);
  expect_topic(r, "galaxy", 5);
  EXPECT_EQ(r.items[0].nearest_id, "2501.00207");
}

TEST_F(RecommendTest, NotInterestedPapersAreNegativesAndNeverRecommended) {
  for (const char* id : {"2501.00001", "2501.00002", "2501.00101", "2501.00102"})
    ASSERT_TRUE(store_->save_paper(user_, id, {}, 10).ok());
  std::vector<std::string> dismissed;
  for (int i = 103; i < 113; ++i) dismissed.push_back(fmt::format("2501.{:05d}", i));
  auto is_dismissed = [&](const std::string& id) {
    return std::find(dismissed.begin(), dismissed.end(), id) != dismissed.end();
  };
  RecommendOptions o;
  o.k = 1000;        // every candidate
  o.negatives = 20;  // few sampled negatives: the explicit ones are added to them
  // How far the protein papers that stay candidates score above the diffusion papers.
  auto protein_lead = [&](const Recommendations& r) {
    double protein = 0, diffusion = 0;
    int np = 0, nd = 0;
    for (const auto& it : r.items) {
      const auto& topic = topic_of_[it.paper.id];
      if (topic == "protein" && !is_dismissed(it.paper.id)) protein += it.score, ++np;
      if (topic == "diffusion") diffusion += it.score, ++nd;
    }
    return protein / np - diffusion / nd;
  };
  auto before = run(o);
  for (const auto& id : dismissed)
    ASSERT_TRUE(store_->set_not_interested(user_, id, true, 11).ok());
  auto after = run(o);
  EXPECT_EQ(before.negatives, 20u);
  EXPECT_EQ(after.negatives, 20u + dismissed.size());
  for (const auto& it : after.items) EXPECT_FALSE(is_dismissed(it.paper.id)) << it.paper.id;
  EXPECT_EQ(after.items.size() + dismissed.size(), before.items.size());
  EXPECT_LT(protein_lead(after), protein_lead(before) - 0.05);
  // Saving a dismissed paper makes it a positive again.
  ASSERT_TRUE(store_->save_paper(user_, dismissed[0], {}, 12).ok());
  EXPECT_EQ(run(o).positives, 5u);
}

TEST_F(RecommendTest, ColdStartFromAFollowedCategory) {
  ASSERT_TRUE(store_->follow(user_, {FollowKind::kCategory, "quant-ph"}, 5).ok());
  auto r = run();
  EXPECT_EQ(r.basis, "cold-start");
  expect_topic(r, "quantum", 5);
}

TEST_F(RecommendTest, ColdStartFromAFollowedAuthor) {
  ASSERT_TRUE(store_->follow(user_, {FollowKind::kAuthor, "Rob Otto"}, 5).ok());
  auto r = run();
  EXPECT_EQ(r.basis, "cold-start");
  expect_topic(r, "robot", 5);
}

TEST_F(RecommendTest, ColdStartFromAQuery) {
  RecommendOptions o;
  o.query = "qubit entanglement";
  expect_topic(run(o), "quantum", 5);
}

TEST_F(RecommendTest, NothingToLearnFromAndUnknownUser) {
  auto r = run();
  EXPECT_TRUE(r.items.empty());
  EXPECT_EQ(r.basis, "none");
  EXPECT_FALSE(r.notes.empty());
  auto missing = recommend(*store_, *index_->snapshot(), 9999, {}, analyzer_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pb::engine
