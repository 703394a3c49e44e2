// train-embedder's trainer: determinism, the saved model, learning on held-out papers,
// checkpoints (resumed == uninterrupted), bad inputs, corpus files, and the life of a trained
// model in a data directory (a retrained model's vectors replace the old set only when complete).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "embed/embedder.hpp"
#include "engine/vectors.hpp"
#include "index/vector/kernels.hpp"
#include "store/store.hpp"
#include "train/corpus.hpp"
#include "train/trainer.hpp"

namespace pb::train {
namespace {

namespace fs = std::filesystem;
using pb::testing::TempDir;

// A made-up word: consonant-vowel syllables from a number.
std::string word(std::uint64_t n) {
  static const char* kSyl[] = {"ka", "lo", "mi", "ne", "pu", "ra", "si", "to",
                               "vu", "ze", "bo", "da", "fi", "gu", "he", "jo"};
  std::string w;
  for (int i = 0; i < 3; ++i, n /= 16) w += kSyl[n % 16];
  return w;
}

// Papers on kTopics topics. A topic's titles and abstracts use disjoint word lists, so a title
// shares no token with its abstract: ranking abstracts by title needs what training learns.
constexpr int kTopics = 12;
TrainDoc synthetic_paper(int i, std::mt19937_64& rng) {
  const int topic = static_cast<int>(rng() % kTopics);
  auto title_word = [&] { return word(static_cast<std::uint64_t>(topic * 8 + rng() % 8)); };
  auto abstract_word = [&] {
    return word(static_cast<std::uint64_t>(200 + topic * 20 + rng() % 20));
  };
  auto common = [&] { return word(static_cast<std::uint64_t>(3000 + rng() % 10)); };
  TrainDoc d;
  d.id = "p" + std::to_string(i);
  for (int w = 0; w < 4; ++w) d.title += (w ? " " : "") + title_word();
  for (int s = 0; s < 3; ++s) {
    for (int w = 0; w < 10; ++w)
      d.abstract += (w ? " " : "") + (w % 3 ? abstract_word() : common());
    d.abstract += ". ";
  }
  return d;
}

std::vector<TrainDoc> corpus(int n, std::uint64_t seed, int first_id = 0) {
  std::mt19937_64 rng(seed);
  std::vector<TrainDoc> v;
  for (int i = 0; i < n; ++i) v.push_back(synthetic_paper(first_id + i, rng));
  return v;
}

TrainOptions small_options() {
  TrainOptions o;
  o.dim = 32;
  o.epochs = 4;
  o.batch = 32;
  o.seed = 7;
  o.threads = 1;
  o.vocab.min_count = 2;
  o.vocab.prefixes = 50;
  o.vocab.continuations = 50;
  return o;
}

std::string model_bytes(const fs::path& dir) {
  return pb::testing::read_file(dir / "model.safetensors");
}

class TrainTest : public ::testing::Test {
 protected:
  const std::vector<TrainDoc> docs_ = corpus(240, 1);
  TempDir dir_;
};

TEST_F(TrainTest, DeterministicForASeedWhateverTheThreads) {
  auto o = small_options();
  auto a = train_model(docs_, dir_ / "a", o);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_TRUE(a->finished);
  EXPECT_EQ(a->epoch_loss.size(), 4u);
  EXPECT_LT(a->epoch_loss.back(), a->epoch_loss.front());
  o.threads = 2;
  ASSERT_TRUE(train_model(docs_, dir_ / "b", o).ok());
  EXPECT_EQ(model_bytes(dir_ / "a"), model_bytes(dir_ / "b"));
  EXPECT_FALSE(fs::exists(dir_ / "a" / ".train"));  // the work directory is gone
  o.seed = 8;
  ASSERT_TRUE(train_model(docs_, dir_ / "c", o).ok());
  EXPECT_NE(model_bytes(dir_ / "a"), model_bytes(dir_ / "c"));
}

TEST_F(TrainTest, SavedModelLoadsAndRanksHeldOutPapersAboveChance) {
  auto o = small_options();
  o.epochs = 8;
  ASSERT_TRUE(train_model(docs_, dir_ / "m", o).ok());
  auto model = embed::load_model(dir_ / "m");
  ASSERT_TRUE(model.ok()) << model.error().message();
  EXPECT_EQ((*model)->dim(), 32u);
  // Held-out papers (never trained on): rank each title's abstract among all their abstracts.
  const auto held = corpus(60, 99, 1000);
  std::vector<std::string> titles, abstracts;
  for (const auto& d : held) {
    titles.push_back(d.title);
    abstracts.push_back(d.abstract);
  }
  auto q = (*model)->embed(titles, embed::Kind::kQuery);
  auto a = (*model)->embed(abstracts, embed::Kind::kDocument);
  ASSERT_TRUE(q.ok() && a.ok());
  double mrr = 0;
  for (size_t i = 0; i < held.size(); ++i) {
    const float own = vector::dot(q->row(i).data(), a->row(i).data(), q->dim);
    size_t rank = 1;
    for (size_t j = 0; j < held.size(); ++j)
      rank += j != i && vector::dot(q->row(i).data(), a->row(j).data(), q->dim) > own;
    mrr += 1.0 / static_cast<double>(rank);
  }
  mrr /= static_cast<double>(held.size());
  // Chance: about (1/60) * H(60) = 0.08; the topic's papers (~5 of 60) share the top ranks.
  EXPECT_GT(mrr, 0.3) << "MRR of held-out title -> abstract";
  // A word never seen is embedded from its pieces rather than dropped.
  auto unseen = (*model)->embed_one(word(200) + word(201), embed::Kind::kQuery);
  ASSERT_TRUE(unseen.ok());
  float norm = 0;
  for (float x : *unseen) norm += x * x;
  EXPECT_NEAR(norm, 1.0f, 1e-4f);
}

TEST_F(TrainTest, ResumedTrainingEqualsUninterrupted) {
  auto o = small_options();
  ASSERT_TRUE(train_model(docs_, dir_ / "whole", o).ok());
  // Stopped twice: by the step budget (mid-epoch), then by the stop callback with a
  // checkpoint after every step.
  o.max_steps = 7;
  auto first = train_model(docs_, dir_ / "cut", o);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(first->finished);
  EXPECT_EQ(first->steps, 7u);
  EXPECT_TRUE(fs::exists(dir_ / "cut" / ".train" / "checkpoint.bin"));
  EXPECT_FALSE(embed::load_model(dir_ / "cut").ok());  // not a model until finished
  o.max_steps = 0;
  o.checkpoint_seconds = 0;
  int steps = 0;
  o.should_stop = [&] { return ++steps > 5; };
  auto second = train_model(docs_, dir_ / "cut", o);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->resumed_at, 7u);
  EXPECT_FALSE(second->finished);
  EXPECT_EQ(second->steps, 12u);
  o.should_stop = nullptr;
  o.threads = 2;
  auto third = train_model(docs_, dir_ / "cut", o);
  ASSERT_TRUE(third.ok()) << third.error().message();
  EXPECT_TRUE(third->finished);
  EXPECT_EQ(third->resumed_at, 12u);
  EXPECT_EQ(model_bytes(dir_ / "whole"), model_bytes(dir_ / "cut"));
  EXPECT_EQ(pb::testing::read_file(dir_ / "whole" / "config.json"),
            pb::testing::read_file(dir_ / "cut" / "config.json"));
}

TEST_F(TrainTest, BadInputsAreErrors) {
  auto o = small_options();
  auto empty = train_model({}, dir_ / "e", o);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(empty.error().message().find("empty"), std::string::npos);
  for (std::size_t dim : {0, 7, 5000}) {
    o.dim = dim;
    auto r = train_model(docs_, dir_ / "d", o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("--dim"), std::string::npos) << r.error().message();
  }
  o = small_options();
  o.epochs = 0;
  EXPECT_FALSE(train_model(docs_, dir_ / "d", o).ok());
  o = small_options();
  o.batch = 1 << 20;  // would need a terabyte of similarities
  EXPECT_FALSE(train_model(docs_, dir_ / "d", o).ok());
  // Papers without text give no pairs.
  std::vector<TrainDoc> blank = {{"x", "", "."}, {"y", "", ""}};
  EXPECT_FALSE(train_model(blank, dir_ / "b", small_options()).ok());
  // A finished model is never overwritten.
  o = small_options();
  o.epochs = 1;
  ASSERT_TRUE(train_model(docs_, dir_ / "m", o).ok());
  auto again = train_model(docs_, dir_ / "m", o);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message().find("already holds a model"), std::string::npos);
  // A checkpoint of another corpus is not resumed silently; --no-resume starts over.
  o.max_steps = 2;
  ASSERT_TRUE(train_model(docs_, dir_ / "c", o).ok());
  o.max_steps = 0;
  auto other = corpus(200, 5);
  auto mismatch = train_model(other, dir_ / "c", o);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message().find("other settings"), std::string::npos);
  o.resume = false;
  EXPECT_TRUE(train_model(other, dir_ / "c", o).ok());
}

TEST_F(TrainTest, SentencesSplitAtSentenceEnds) {
  auto s =
      split_sentences("We study a new thing here. It works well in all cases? Yes! Short. The end");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "We study a new thing here.");
  EXPECT_EQ(s[1], "It works well in all cases?");
  EXPECT_EQ(s[2], "Yes! Short. The end");
}

TEST_F(TrainTest, CorpusFromFiles) {
  auto jsonl = pb::testing::write_file(
      dir_ / "papers.jsonl",
      "{\"id\": \"2401.00001\", \"title\": \"A\", \"abstract\": \"first paper\"}\n"
      "{\"id\": \"2401.00002\", \"title\": \"B\", \"abstract\": \"second paper\"}\n"
      "{\"id\": \"2401.00001\", \"title\": \"A again\", \"abstract\": \"dup\"}\n");
  auto beir =
      pb::testing::write_file(dir_ / "corpus.jsonl",
                              "{\"_id\": \"d1\", \"title\": \"Cats\", \"text\": \"cats purr\"}\n"
                              "{\"_id\": \"d2\", \"title\": \"\", \"text\": \"dogs bark\"}\n");
  std::vector<TrainDoc> docs;
  CorpusCounts c;
  auto st = load_file_corpus({jsonl.string(), beir.string()}, docs, &c);
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(c.duplicates, 1u);
  EXPECT_EQ(docs[0].title, "A");
  EXPECT_EQ(docs[3].abstract, "dogs bark");
  auto missing = load_file_corpus({(dir_ / "nope.jsonl").string()}, docs);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("nope.jsonl"), std::string::npos);
}

// Retraining gives a new model version; embedding with it builds a new vector set beside the
// active one, search keeps the old set until the new one is complete, and new papers are
// embedded with whichever model is active.
TEST_F(TrainTest, RetrainedModelReplacesTheVectorSetOnlyWhenComplete) {
  auto s = open_sqlite_store({dir_ / "data"});
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto& store = **s;
  auto to_papers = [](const std::vector<TrainDoc>& v) {
    std::vector<Paper> out;
    for (const auto& d : v) {
      Paper p;
      p.id = "2401." + std::to_string(10000 + std::stoi(d.id.substr(1)));
      p.version = 1;
      p.title = d.title;
      p.abstract = d.abstract;
      out.push_back(p);
    }
    return out;
  };
  ASSERT_TRUE(store.upsert(to_papers(corpus(80, 3))).ok());
  std::vector<TrainDoc> stored;
  ASSERT_TRUE(load_store_corpus(store, stored).ok());
  ASSERT_EQ(stored.size(), 80u);
  auto o = small_options();
  o.epochs = 2;
  ASSERT_TRUE(train_model(stored, dir_ / "v1", o).ok());
  auto v1 = embed::load_model(dir_ / "v1");
  ASSERT_TRUE(v1.ok());
  const fs::path vdir = dir_ / "data" / "vectors";
  engine::EmbedRunOptions eo;
  eo.batch = 16;
  eo.threads = 1;
  eo.model_dir = dir_ / "v1";
  auto e1 = engine::embed_store(store, vdir, **v1, eo);
  ASSERT_TRUE(e1.ok()) << e1.error().message();
  EXPECT_TRUE(e1->switched);

  // New papers arrive: embedded with the current model.
  ASSERT_TRUE(store.upsert(to_papers(corpus(10, 4, 500))).ok());
  auto inc = engine::embed_store(store, vdir, **v1, eo);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(inc->embedded, 10u);
  EXPECT_FALSE(inc->switched);

  // Retrained (another seed: another version), re-embedding interrupted after two batches.
  stored.clear();
  ASSERT_TRUE(load_store_corpus(store, stored).ok());
  o.seed = 11;
  ASSERT_TRUE(train_model(stored, dir_ / "v2", o).ok());
  auto v2 = embed::load_model(dir_ / "v2");
  ASSERT_TRUE(v2.ok());
  ASSERT_NE((*v1)->model_id(), (*v2)->model_id());
  eo.model_dir = dir_ / "v2";
  int batches = 0;
  eo.should_stop = [&] { return ++batches == 2; };
  ASSERT_FALSE(engine::embed_store(store, vdir, **v2, eo).ok());
  engine::SemanticSettings ss;
  auto during = engine::open_semantic(vdir, ss, /*need_model=*/true);
  ASSERT_TRUE(during.ok()) << during.error().message();
  EXPECT_EQ(during->vectors->info().model_id, (*v1)->model_id());
  EXPECT_EQ(during->model->model_id(), (*v1)->model_id());
  EXPECT_EQ(during->vectors->store().live_rows(), 90u);  // one model's vectors, all of them
  // Resumed to completion: the new set is switched in whole.
  eo.should_stop = nullptr;
  auto done = engine::embed_store(store, vdir, **v2, eo);
  ASSERT_TRUE(done.ok()) << done.error().message();
  EXPECT_TRUE(done->switched);
  auto after = engine::open_semantic(vdir, ss, true);
  ASSERT_TRUE(after.ok()) << after.error().message();
  EXPECT_EQ(after->vectors->info().model_id, (*v2)->model_id());
  EXPECT_EQ(after->vectors->store().live_rows(), 90u);
}

}  // namespace
}  // namespace pb::train
