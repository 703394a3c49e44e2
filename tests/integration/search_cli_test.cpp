// End-to-end tests of indexing, searching and evaluation through the paperboy binary.

#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "../model_util.hpp"
#include "../test_support.hpp"
#include "test_util.hpp"

namespace pb {
namespace {

using pb::testing::run;
using pb::testing::TempDir;

std::string demo() {
  return (pb::testing::source_dir() / "examples" / "demo-papers.jsonl").string();
}

class SearchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run({"--data", data(), "ingest", demo()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_NE(r.out.find("index: "), std::string::npos) << "ingest should index: " << r.out;
  }
  std::string data() const { return (dir_ / "data").string(); }
  nlohmann::json search_json(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--data", data(), "search"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--json");
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << r.out;
    return j;
  }
  TempDir dir_;
};

TEST_F(SearchCli, ExactTitleAndIdRankFirst) {
  auto j = search_json({"Attention Is All You Need"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j[0]["id"], "1706.03762");
  EXPECT_TRUE(j[0].contains("score"));
  EXPECT_TRUE(j[0].contains("title"));
  auto byid = search_json({"1706.03762"});
  ASSERT_FALSE(byid.empty());
  EXPECT_EQ(byid[0]["id"], "1706.03762");
}

TEST_F(SearchCli, FindsByTopicWithSnippetAndLimit) {
  auto j = search_json({"generative adversarial networks", "-k", "3"});
  ASSERT_FALSE(j.empty());
  EXPECT_LE(j.size(), 3u);
  EXPECT_EQ(j[0]["id"], "1406.2661");
  std::string snippet = j[0]["snippet"];
  EXPECT_NE(snippet.find("<mark>"), std::string::npos) << snippet;
}

TEST_F(SearchCli, FiltersAndOperators) {
  for (const auto& hit : search_json({"cat:hep-th", "-k", "50"})) {
    bool has = false;
    for (const auto& c : hit["categories"]) has |= c == "hep-th";
    EXPECT_TRUE(has) << hit.dump();
  }
  for (const auto& hit : search_json({"learning after:2020-01 before:2021-12-31", "-k", "50"})) {
    std::string date = hit["date"];
    EXPECT_GE(date, "2020-01-01");
    EXPECT_LE(date, "2021-12-31");
  }
  auto with = search_json({"image", "-k", "100"});
  auto without = search_json({"image -segmentation", "-k", "100"});
  EXPECT_LT(without.size(), with.size());
  auto expanded = search_json({"generative adversarial", "--prf", "-k", "5"});
  ASSERT_FALSE(expanded.empty());
  EXPECT_EQ(expanded[0]["id"], "1406.2661");
  auto dated = search_json({"learning", "--sort", "date", "-k", "20"});
  for (size_t i = 1; i < dated.size(); ++i) EXPECT_GE(dated[i - 1]["date"], dated[i]["date"]);
}

TEST_F(SearchCli, MalformedQueriesNeverFail) {
  std::string big(10 * 1024, 'a');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = ' ';
  for (std::string q : {"\"unbalanced quote", "foo:bar", "the of and", "-", "+", ":", "\"\"",
                        "cat:", "after:2025-13", big.c_str(), "\xff\xfe bad utf8"}) {
    auto r = run({"--data", data(), "search", q, "--json"});
    EXPECT_EQ(r.exit_code, 0) << q.substr(0, 40) << ": " << r.err;
    EXPECT_TRUE(nlohmann::json::parse(r.out, nullptr, false).is_array()) << q.substr(0, 40);
  }
  auto plain = run({"--data", data(), "search", "transformer"});
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_NE(plain.out.find("1706.03762"), std::string::npos) << plain.out;
}

// More like this: a paper's neighbours share its topic, and the paper itself never appears.
TEST_F(SearchCli, SimilarPapers) {
  auto similar = [&](const std::string& id, const std::string& k) {
    auto r = run({"--data", data(), "similar", id, "-k", k, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << r.out;
    return j;
  };
  // Latent diffusion's nearest papers include DDPM and score-based SDEs (also diffusion).
  auto j = similar("2112.10752", "3");
  ASSERT_EQ(j.size(), 3u);
  std::set<std::string> ids;
  for (const auto& h : j) ids.insert(h["id"]);
  EXPECT_TRUE(ids.count("2006.11239")) << j.dump();
  EXPECT_TRUE(ids.count("2011.13456")) << j.dump();
  // Never the paper itself (also typed with a version), over every demo paper.
  auto all = search_json({"after:1900", "--sort", "date", "-k", "100"});
  ASSERT_GE(all.size(), 50u);
  for (const auto& p : all) {
    const std::string id = p["id"];
    for (const auto& h : similar(id + "v1", "5")) EXPECT_NE(h["id"], id);
  }
  // A plain listing; an unknown paper is "not found" (exit 6).
  auto text = run({"--data", data(), "similar", "2112.10752", "-k", "2"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("  1. 2006.11239"), std::string::npos) << text.out;
  auto missing = run({"--data", data(), "similar", "2501.99999"});
  EXPECT_EQ(missing.exit_code, 6) << missing.err;
  EXPECT_NE(missing.err.find("no paper 2501.99999"), std::string::npos) << missing.err;
}

TEST_F(SearchCli, KilledIndexerLeavesTheLastGoodIndexReadable) {
  // Many more papers, not indexed yet.
  std::string lines;
  for (int i = 0; i < 60000; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%02d%02d.%05d", 16 + i / 99999, 1 + i % 12, i % 99999 + 1);
    lines += std::string("{\"id\": \"") + id + "\", \"title\": \"Synthetic paper " +
             std::to_string(i) +
             "\", \"abstract\": \"We study gradient descent, sparse attention and graph "
             "neural networks on problem " +
             std::to_string(i) + ".\", \"authors\": [\"A. Person\"]}\n";
  }
  auto big = pb::testing::write_file(dir_ / "big.jsonl", lines);
  ASSERT_EQ(run({"--data", data(), "-q", "ingest", "--no-index", big.string()}).exit_code, 0);
  pid_t pid = pb::testing::spawn({"--data", data(), "index"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(pid, SIGKILL);
  pb::testing::wait_child(pid);
  // The old index still answers.
  auto j = search_json({"Attention Is All You Need"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j[0]["id"], "1706.03762");
  // A new run finishes the job and leaves no temporary files behind.
  auto r = run({"--data", data(), "index"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "data" / "index" / "lexical"))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  auto s = search_json({"Synthetic paper 12345"});
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0]["title"], "Synthetic paper 12345");
}

TEST_F(SearchCli, UnreadableIndexIsRebuiltFromTheStore) {
  // Damage every segment's format version: the index is derived data, so `index` rebuilds it.
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "data" / "index" / "lexical")) {
    if (e.path().extension() != ".seg") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    const char v[4] = {99, 0, 0, 0};
    f.write(v, 4);
  }
  auto broken = run({"--data", data(), "search", "transformer"});
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.err.find("index --rebuild"), std::string::npos) << broken.err;
  auto r = run({"--data", data(), "index"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("rebuilding"), std::string::npos) << r.err;
  auto j = search_json({"Attention Is All You Need"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j[0]["id"], "1706.03762");
}

// Semantic and hybrid search through the binary, with a small static model written here.
TEST_F(SearchCli, EmbedThenSemanticAndHybridSearch) {
  // Before anything is embedded, semantic search says so and answers lexically.
  auto before = run({"--data", data(), "search", "--mode", "semantic", "diffusion", "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.err.find("no embedding model"), std::string::npos) << before.err;
  auto lexical = search_json({"diffusion"});
  EXPECT_EQ(nlohmann::json::parse(before.out), lexical);

  std::vector<std::string> words;
  for (const char* w : {"diffusion", "image", "language", "model", "models", "transformer",
                        "attention", "quantum", "neural", "network", "learning", "graph"})
    words.push_back(w);
  pb::testing::write_static_model(dir_ / "model", words, 24, 3);
  auto e = run({"--data", data(), "embed", "--model", (dir_ / "model").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("60 papers embedded"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("(now active)"), std::string::npos) << e.out;
  auto e2 = run({"--data", data(), "embed", "--model", (dir_ / "model").string()});
  ASSERT_EQ(e2.exit_code, 0) << e2.err;
  EXPECT_NE(e2.out.find("0 papers embedded"), std::string::npos) << e2.out;

  auto sem = search_json({"--mode", "semantic", "diffusion image", "-k", "5"});
  ASSERT_EQ(sem.size(), 5u);
  for (const auto& h : sem) EXPECT_LE(h["score"].get<double>(), 1.0 + 1e-6);
  auto hyb = search_json({"--mode", "hybrid", "diffusion image", "-k", "5"});
  EXPECT_EQ(hyb.size(), 5u);
  // Weight 0 gives the lexical ranking; the exact title still ranks first in hybrid mode.
  auto zero = search_json({"--mode", "hybrid", "--semantic-weight", "0", "diffusion image"});
  auto lex = search_json({"diffusion image"});
  ASSERT_EQ(zero.size(), lex.size());
  for (size_t i = 0; i < lex.size(); ++i) EXPECT_EQ(zero[i]["id"], lex[i]["id"]);
  auto exact = search_json({"--mode", "hybrid", "Attention Is All You Need"});
  ASSERT_FALSE(exact.empty());
  EXPECT_EQ(exact[0]["id"], "1706.03762");
  // Bad usage and a bad model directory: one line, no crash.
  auto bad_mode = run({"--data", data(), "search", "--mode", "fuzzy", "x"});
  EXPECT_EQ(bad_mode.exit_code, 2);
  EXPECT_NE(bad_mode.err.find("--mode must be"), std::string::npos) << bad_mode.err;
  auto bad_model = run({"--data", data(), "embed", "--model", (dir_ / "nope").string()});
  EXPECT_NE(bad_model.exit_code, 0);
  EXPECT_EQ(std::count(bad_model.err.begin(), bad_model.err.end(), '\n'), 1) << bad_model.err;
  // Similar papers now fuse vector neighbours; still never the paper itself.
  auto sim = run({"--data", data(), "similar", "2112.10752", "--json"});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  for (const auto& h : nlohmann::json::parse(sim.out)) EXPECT_NE(h["id"], "2112.10752");
}

// Without --mode, search follows the active model's paperboy.json: hybrid for free text when
// it says "default_mode": "hybrid", else lexical; a model that cannot load leaves keyword search.
TEST_F(SearchCli, DefaultModeFollowsTheModel) {
  std::vector<std::string> words;
  for (const char* w : {"diffusion", "image", "language", "model", "models", "transformer",
                        "attention", "quantum", "neural", "network", "learning", "graph"})
    words.push_back(w);
  const auto model = dir_ / "model";
  pb::testing::write_static_model(model, words, 24, 3);
  ASSERT_EQ(run({"--data", data(), "embed", "--model", model.string()}).exit_code, 0);
  const std::vector<std::string> queries = {"diffusion image", "language model attention",
                                            "quantum neural network"};
  auto lexical = [&](const std::string& q) { return search_json({"--mode", "lexical", q}); };
  auto hybrid = [&](const std::string& q) { return search_json({"--mode", "hybrid", q}); };
  for (const auto& q : queries) EXPECT_EQ(search_json({q}), lexical(q)) << q;

  pb::testing::write_file(model / "paperboy.json",
                          R"({"fusion": "rrf", "default_mode": "hybrid"})");
  bool some_differ = false;
  for (const auto& q : queries) {
    EXPECT_EQ(search_json({q}), hybrid(q)) << q;
    some_differ = some_differ || hybrid(q) != lexical(q);
  }
  EXPECT_TRUE(some_differ) << "hybrid should reorder at least one query";
  // Fielded queries and date order stay lexical.
  EXPECT_EQ(search_json({"ti:diffusion"}), lexical("ti:diffusion"));
  EXPECT_EQ(search_json({"diffusion image", "--sort", "date"}),
            search_json({"--mode", "lexical", "diffusion image", "--sort", "date"}));

  // The model is damaged, then goes missing: the default degrades to lexical with a note; an
  // explicit hybrid request is an error of one line.
  const std::string weights = pb::testing::read_file(model / "model.safetensors");
  pb::testing::write_file(model / "model.safetensors", weights.substr(0, 12));
  auto broken = [&] {
    auto r = run({"--data", data(), "search", "diffusion image", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out, nullptr, false), lexical("diffusion image"));
    EXPECT_NE(r.err.find("answered lexically"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    auto h = run({"--data", data(), "search", "--mode", "hybrid", "diffusion image"});
    EXPECT_NE(h.exit_code, 0);
    EXPECT_EQ(std::count(h.err.begin(), h.err.end(), '\n'), 1) << h.err;
  };
  broken();
  std::filesystem::rename(model, dir_ / "moved");
  broken();
}

TEST(EvalCli, PrintsTheFourMetricsOnATinyCollection) {
  TempDir d;
  auto corpus = pb::testing::write_file(
      d / "corpus.jsonl",
      "{\"_id\": \"d1\", \"title\": \"Cats\", \"text\": \"cats purr and sleep all day\"}\n"
      "{\"_id\": \"d2\", \"title\": \"Dogs\", \"text\": \"dogs bark at the mail carrier\"}\n"
      "{\"_id\": \"d3\", \"title\": \"Birds\", \"text\": \"birds sing at dawn\"}\n");
  auto queries = pb::testing::write_file(d / "queries.jsonl",
                                         "{\"_id\": \"q1\", \"text\": \"purring cats\"}\n{\"_id\": "
                                         "\"q2\", \"text\": \"barking dog\"}\n");
  auto qrels = pb::testing::write_file(d / "qrels.tsv",
                                       "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");
  auto runfile = d / "run.trec";
  auto r = run({"eval", "beir", "--corpus", corpus.string(), "--queries", queries.string(),
                "--qrels", qrels.string(), "--run", runfile.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "nDCG@10 1.0000\nMRR@10 1.0000\nRecall@10 1.0000\nRecall@100 1.0000\n");
  EXPECT_NE(pb::testing::read_file(runfile).find("q1 Q0 d1 1 "), std::string::npos);
  auto prf = run({"eval", "beir", "--corpus", corpus.string(), "--queries", queries.string(),
                  "--qrels", qrels.string(), "--prf"});
  ASSERT_EQ(prf.exit_code, 0) << prf.err;
  EXPECT_EQ(prf.out.rfind("nDCG@10 ", 0), 0u) << prf.out;
  auto bad = run({"eval", "beir", "--corpus", (d / "missing.jsonl").string(), "--queries",
                  queries.string(), "--qrels", qrels.string()});
  EXPECT_EQ(bad.exit_code, 4);
  // Semantic and hybrid modes with a model; without one they say so and answer lexically.
  pb::testing::write_static_model(d / "model", {"cats", "purr", "dogs", "bark", "birds", "sing"}, 8,
                                  5);
  for (const char* mode : {"semantic", "hybrid"}) {
    auto m = run({"eval", "beir", "--corpus", corpus.string(), "--queries", queries.string(),
                  "--qrels", qrels.string(), "--mode", mode, "--model", (d / "model").string()});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    EXPECT_EQ(m.out.rfind("nDCG@10 ", 0), 0u) << m.out;
    EXPECT_NE(m.out.find("Recall@100 "), std::string::npos) << m.out;
  }
  auto no_model = run({"eval", "beir", "--corpus", corpus.string(), "--queries", queries.string(),
                       "--qrels", qrels.string(), "--mode", "hybrid"});
  ASSERT_EQ(no_model.exit_code, 0) << no_model.err;
  EXPECT_NE(no_model.err.find("answers lexically"), std::string::npos) << no_model.err;
  EXPECT_EQ(no_model.out, r.out);
}

TEST(EvalCli, SciFactTestReachesTheTarget) {
  auto s = pb::testing::shared_data() / "ir_eval" / "scifact";
  if (!std::filesystem::exists(s)) GTEST_SKIP() << "shared data not found at " << s;
  auto r = run({"eval", "beir", "--corpus", (s / "corpus.jsonl").string(), "--queries",
                (s / "queries.test.jsonl").string(), "--qrels", (s / "qrels.test.tsv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double ndcg = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "nDCG@10 %lf", &ndcg), 1) << r.out;
  EXPECT_GE(ndcg, 0.69) << r.out;
}

}  // namespace
}  // namespace pb
