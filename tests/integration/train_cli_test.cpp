// `paperboy train-embedder` through the binary: from the store and from files, the model it
// writes used by eval and search, re-embedding with --embed, resuming a stopped run, bad input.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "test_util.hpp"

namespace pb {
namespace {

using pb::testing::run;
using pb::testing::TempDir;
namespace fs = std::filesystem;

std::string demo() {
  return (pb::testing::source_dir() / "examples" / "demo-papers.jsonl").string();
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

class TrainCli : public ::testing::Test {
 protected:
  std::string data() const { return (dir_ / "data").string(); }
  TempDir dir_;
};

TEST_F(TrainCli, FromFilesThenEvalAndResume) {
  const std::string out = (dir_ / "m").string();
  const std::vector<std::string> base = {
      "train-embedder", "--from", demo(),        "--dim", "32", "--epochs", "3",
      "--batch",        "16",     "--min-count", "2"};
  auto args = base;
  args.insert(args.end(), {"--out", out});
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("train-embedder: 60 papers"), std::string::npos) << r.out;
  auto config = nlohmann::json::parse(pb::testing::read_file(fs::path(out) / "config.json"));
  EXPECT_EQ(config["model_type"], "model2vec");
  EXPECT_EQ(config["training"]["settings"]["dim"], 32);

  // Evaluated with the model on a tiny collection.
  auto corpus = pb::testing::write_file(
      dir_ / "corpus.jsonl",
      "{\"_id\": \"d1\", \"title\": \"Diffusion models\", \"text\": \"image synthesis\"}\n"
      "{\"_id\": \"d2\", \"title\": \"Quantum error correction\", \"text\": \"qubits\"}\n");
  auto queries =
      pb::testing::write_file(dir_ / "q.jsonl", "{\"_id\": \"q\", \"text\": \"qubits\"}\n");
  auto qrels =
      pb::testing::write_file(dir_ / "qrels.tsv", "query-id\tcorpus-id\tscore\nq\td2\t1\n");
  auto e = run({"eval", "beir", "--corpus", corpus.string(), "--queries", queries.string(),
                "--qrels", qrels.string(), "--mode", "hybrid", "--model", out});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out.rfind("nDCG@10 ", 0), 0u) << e.out;

  // Stopped by a step budget, then resumed: the same model as the uninterrupted run.
  const std::string cut = (dir_ / "cut").string();
  args = base;
  args.insert(args.end(), {"--out", cut, "--max-steps", "4"});
  auto stopped = run(args);
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("run the same command again to resume"), std::string::npos)
      << stopped.err;
  EXPECT_FALSE(fs::exists(fs::path(cut) / "config.json"));
  args = base;
  args.insert(args.end(), {"--out", cut, "--threads", "2"});
  auto resumed = run(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from step 4"), std::string::npos) << resumed.err;
  EXPECT_EQ(pb::testing::read_file(fs::path(out) / "model.safetensors"),
            pb::testing::read_file(fs::path(cut) / "model.safetensors"));
}

TEST_F(TrainCli, FromTheStoreWithEmbed) {
  auto i = run({"--data", data(), "ingest", demo()});
  ASSERT_EQ(i.exit_code, 0) << i.err;
  auto r = run({"--data", data(), "train-embedder", "--dim", "16", "--epochs", "1", "--batch", "16",
                "--min-count", "2", "--embed"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("models/embedder-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("60 papers embedded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(now active)"), std::string::npos) << r.out;
  auto s = run({"--data", data(), "search", "--mode", "hybrid", "diffusion", "--json"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_FALSE(nlohmann::json::parse(s.out).empty());
  // A trained model makes hybrid the default: search without --mode answers as --mode hybrid.
  auto settings = nlohmann::json::parse(
      pb::testing::read_file(fs::path(data()) / "models" / "embedder-1" / "paperboy.json"));
  EXPECT_EQ(settings["default_mode"], "hybrid");
  auto d = run({"--data", data(), "search", "diffusion", "--json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(nlohmann::json::parse(d.out), nlohmann::json::parse(s.out));
  // New papers: `embed` without --model catches the active model's set up.
  auto more = pb::testing::write_file(
      dir_ / "more.jsonl",
      "{\"id\": \"2611.00001\", \"title\": \"Diffusion transformers for video\", "
      "\"abstract\": \"We scale diffusion models with attention.\"}\n"
      "{\"id\": \"2611.00002\", \"title\": \"Quantum error correction codes\", "
      "\"abstract\": \"Surface codes protect qubits.\"}\n");
  ASSERT_EQ(run({"--data", data(), "ingest", more.string()}).exit_code, 0);
  auto catch_up = run({"--data", data(), "embed"});
  ASSERT_EQ(catch_up.exit_code, 0) << catch_up.err;
  EXPECT_NE(catch_up.out.find("2 papers embedded"), std::string::npos) << catch_up.out;
  EXPECT_EQ(catch_up.out.find("(now active)"), std::string::npos) << catch_up.out;
  // Retraining makes the next version and switches the vectors to it.
  auto again = run({"--data", data(), "train-embedder", "--dim", "16", "--epochs", "1", "--seed",
                    "2", "--batch", "16", "--min-count", "2", "--embed"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("models/embedder-2"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("62 papers embedded"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("(now active)"), std::string::npos) << again.out;
}

TEST_F(TrainCli, BadInputIsOneLineAndNoCrash) {
  auto nothing = run({"--data", data(), "embed"});  // no --model and nothing embedded yet
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("give --model"), std::string::npos) << nothing.err;
  auto empty = run({"--data", data(), "train-embedder"});  // an empty store
  EXPECT_EQ(empty.exit_code, 4);
  EXPECT_EQ(lines(empty.err), 2) << empty.err;  // the corpus count line, then the error
  EXPECT_NE(empty.err.find("corpus is empty"), std::string::npos) << empty.err;
  auto missing = run({"-q", "train-embedder", "--from", (dir_ / "nope.jsonl").string(), "--out",
                      (dir_ / "m").string()});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_EQ(lines(missing.err), 1) << missing.err;
  auto dim =
      run({"-q", "train-embedder", "--from", demo(), "--out", (dir_ / "m").string(), "--dim", "0"});
  EXPECT_EQ(dim.exit_code, 4);
  EXPECT_EQ(lines(dim.err), 1) << dim.err;
  EXPECT_NE(dim.err.find("--dim"), std::string::npos) << dim.err;
  auto no_out = run({"train-embedder", "--from", demo()});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_NE(no_out.err.find("--out"), std::string::npos) << no_out.err;
  auto bad_number = run({"train-embedder", "--from", demo(), "--out", "x", "--dim", "many"});
  EXPECT_EQ(bad_number.exit_code, 2);
}

}  // namespace
}  // namespace pb
