// Tests of the retrieval-evaluation library: hand-computed metric cases, the BEIR and TREC
// loaders on small files, and a cross-check against the independent reference script
// ../shared/tools/ir_metrics.py on random runs over the real SciFact test qrels.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "../test_support.hpp"
#include "eval/beir.hpp"
#include "eval/metrics.hpp"

namespace pb::eval {
namespace {

using pb::testing::TempDir;
using pb::testing::write_file;

double dcg_term(double gain, int rank) { return gain / std::log2(rank + 1.0); }

// --- metrics, by hand --------------------------------------------------------------------------

TEST(Evaluate, GradedRelevanceAndAveraging) {
  Qrels qrels{
      {"q1", {{"d1", 2}, {"d2", 1}, {"d3", 0}, {"d4", 1}}},
      {"q2", {{"d9", 1}}},              // relevant doc never retrieved
      {"q3", {{"d1", 0}, {"d2", -1}}},  // no relevant judgment: not averaged over
      {"q4", {{"d1", 1}}},              // missing from the run: scores 0
  };
  eval::Run run{
      {"q1", {{"d3", 0.9}, {"d1", 0.8}, {"d5", 0.7}, {"d2", 0.6}}},
      {"q2", {{"d7", 2.0}, {"d8", 1.0}}},
      {"q3", {{"d1", 1.0}}},
      {"q5", {{"d1", 1.0}}},  // not in the qrels: ignored
  };
  Metrics m = evaluate(run, qrels);
  EXPECT_EQ(m.queries, 3u);
  // q1: d3 (judged 0) at rank 1, d1 (grade 2) at 2, d5 (unjudged) at 3, d2 (grade 1) at 4.
  const double dcg = dcg_term(2, 2) + dcg_term(1, 4);
  const double idcg = dcg_term(2, 1) + dcg_term(1, 2) + dcg_term(1, 3);  // linear gains 2,1,1
  EXPECT_NEAR(m.ndcg10, dcg / idcg / 3, 1e-12);
  EXPECT_NEAR(dcg / idcg, 0.5405858, 1e-6);  // the same, worked out on paper
  EXPECT_NEAR(m.mrr10, 0.5 / 3, 1e-12);
  EXPECT_NEAR(m.recall10, (2.0 / 3) / 3, 1e-12);
  EXPECT_NEAR(m.recall100, (2.0 / 3) / 3, 1e-12);
}

TEST(Evaluate, PerfectRankingWithMoreThanTenRelevant) {
  Qrels qrels;
  eval::Run run;
  for (int i = 0; i < 12; ++i) {
    qrels["q"]["d" + std::to_string(i)] = i < 3 ? 3 : 1;
    run["q"].push_back({"d" + std::to_string(i), 100.0 - i});
  }
  Metrics m = evaluate(run, qrels);
  EXPECT_DOUBLE_EQ(m.ndcg10, 1.0);  // ideal DCG is cut at 10 too
  EXPECT_DOUBLE_EQ(m.mrr10, 1.0);
  EXPECT_DOUBLE_EQ(m.recall10, 10.0 / 12);
  EXPECT_DOUBLE_EQ(m.recall100, 1.0);
}

TEST(Evaluate, CutOffsAtTenAndHundred) {
  Qrels qrels{{"q", {{"r10", 1}, {"r11", 1}, {"r100", 1}, {"r101", 1}}}};
  eval::Run run;
  for (int rank = 1; rank <= 150; ++rank) {
    std::string id = "x" + std::to_string(rank);
    if (rank == 10 || rank == 11 || rank == 100 || rank == 101) id = "r" + std::to_string(rank);
    run["q"].push_back({id, 1000.0 - rank});
  }
  Metrics m = evaluate(run, qrels);
  EXPECT_DOUBLE_EQ(m.mrr10, 0.1);
  EXPECT_DOUBLE_EQ(m.recall10, 0.25);
  EXPECT_DOUBLE_EQ(m.recall100, 0.75);
  EXPECT_NEAR(m.ndcg10, dcg_term(1, 10) / (1 + dcg_term(1, 2) + dcg_term(1, 3) + dcg_term(1, 4)),
              1e-12);
}

TEST(Evaluate, ReranksByScoreNotByGivenOrder) {
  Qrels qrels{{"q", {{"good", 1}}}};
  eval::Run run{{"q", {{"bad", 0.1}, {"good", 0.9}}}};  // listed worst first
  EXPECT_DOUBLE_EQ(evaluate(run, qrels).mrr10, 1.0);
}

TEST(Evaluate, TiesBreakByDocIdDescending) {
  Qrels qrels{{"q", {{"b", 1}}}};
  // All tied: the order is c, b, a whatever order they come in.
  eval::Run run{{"q", {{"a", 1.0}, {"b", 1.0}, {"c", 1.0}}}};
  EXPECT_DOUBLE_EQ(evaluate(run, qrels).mrr10, 0.5);
  run["q"] = {{"c", 1.0}, {"a", 1.0}, {"b", 1.0}};
  EXPECT_DOUBLE_EQ(evaluate(run, qrels).mrr10, 0.5);
  // A higher score still wins over the tie-break.
  run["q"] = {{"a", 2.0}, {"b", 1.0}, {"c", 1.0}};
  EXPECT_DOUBLE_EQ(evaluate(run, qrels).mrr10, 1.0 / 3);
}

TEST(Evaluate, TiedIdThatIsAPrefixComesFirst) {
  // The reference script sorts by [-ord(c) for c in id]: "123" before "1234" (strcmp would put
  // "1234" first), but "13" before "1234" since '3' > '2'.
  EXPECT_TRUE(ranks_before({"123", 1.0}, {"1234", 1.0}));
  EXPECT_FALSE(ranks_before({"1234", 1.0}, {"123", 1.0}));
  EXPECT_TRUE(ranks_before({"13", 1.0}, {"1234", 1.0}));
  EXPECT_TRUE(ranks_before({"a", 2.0}, {"b", 1.0}));
  EXPECT_TRUE(ranks_before({"a", 1.0}, {"b", std::nan("")}));
  EXPECT_FALSE(ranks_before({"a", 1.0}, {"a", 1.0}));
  // Non-ASCII bytes compare as unsigned (= code point order for UTF-8).
  EXPECT_TRUE(ranks_before({"\xC3\xA9", 1.0}, {"z", 1.0}));

  Qrels qrels{{"q", {{"1234", 1}}}};
  eval::Run run{{"q", {{"1234", 5.0}, {"123", 5.0}}}};
  EXPECT_DOUBLE_EQ(evaluate(run, qrels).mrr10, 0.5);

  std::vector<Ranked> list{{"1", 0.5}, {"123", 1.0}, {"1234", 1.0}, {"2", 1.0}, {"0", 3.0}};
  sort_ranked(list);
  std::vector<std::string> ids;
  for (const auto& r : list) ids.push_back(r.doc_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"0", "2", "123", "1234", "1"}));
}

TEST(Evaluate, RepeatedDocCountsOnceForRecall) {
  Qrels qrels{{"q", {{"d", 1}, {"e", 1}}}};
  eval::Run run{{"q", {{"d", 2.0}, {"d", 1.0}}}};
  Metrics m = evaluate(run, qrels);
  EXPECT_DOUBLE_EQ(m.recall10, 0.5);
  EXPECT_DOUBLE_EQ(m.recall100, 0.5);
}

TEST(Evaluate, NothingToAverage) {
  Metrics m = evaluate(eval::Run{{"q", {{"d", 1.0}}}}, Qrels{{"q", {{"d", 0}}}});
  EXPECT_EQ(m.queries, 0u);
  EXPECT_EQ(m.ndcg10, 0.0);
  EXPECT_EQ(format_metrics(m),
            "nDCG@10 0.0000\nMRR@10 0.0000\nRecall@10 0.0000\nRecall@100 0.0000\n");
}

TEST(FormatMetrics, FourLinesFourDecimals) {
  Metrics m{.ndcg10 = 0.123449, .mrr10 = 1, .recall10 = 0.5, .recall100 = 0.99994, .queries = 2};
  EXPECT_EQ(format_metrics(m),
            "nDCG@10 0.1234\nMRR@10 1.0000\nRecall@10 0.5000\nRecall@100 0.9999\n");
}

// --- TREC runs ---------------------------------------------------------------------------------

TEST(Trec, WritesCanonicalOrderRanksAndShortestScores) {
  eval::Run run{
      {"q2", {{"a", 0.1}, {"b", 1e-5}}},
      {"q1", {{"x", 1.0}, {"z", 1.0}, {"y", 2.5}}},
  };
  EXPECT_EQ(to_trec(run, "bm25"),
            "q1 Q0 y 1 2.5 bm25\n"
            "q1 Q0 z 2 1 bm25\n"
            "q1 Q0 x 3 1 bm25\n"
            "q2 Q0 a 1 0.1 bm25\n"
            "q2 Q0 b 2 1e-05 bm25\n");
  EXPECT_EQ(to_trec(eval::Run{}, "t"), "");
}

TEST(Trec, RoundTripKeepsScoresExactly) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> score(-50, 50);
  eval::Run run;
  for (int q = 0; q < 20; ++q) {
    auto& list = run["q" + std::to_string(q)];
    for (int d = 0; d < 50; ++d) list.push_back({"doc" + std::to_string(d), score(rng)});
    list.push_back({"tied1", 1.0 / 3});
    list.push_back({"tied2", 1.0 / 3});
    sort_ranked(list);
  }
  TempDir dir;
  auto path = write_file(dir / "run.trec", to_trec(run, "rand"));
  auto back = load_trec_run(path.string());
  ASSERT_TRUE(back.ok()) << back.error().message();
  ASSERT_EQ(back->size(), run.size());
  for (const auto& [qid, list] : run) {
    const auto& got = back->at(qid);
    ASSERT_EQ(got.size(), list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(got[i].doc_id, list[i].doc_id);
      EXPECT_EQ(got[i].score, list[i].score);  // bit-exact
    }
  }
}

TEST(Trec, LoadOrdersByRankColumn) {
  TempDir dir;
  auto path = write_file(dir / "run.trec",
                         "q1 Q0 b 2 0.5 t\n\nq1 Q0 a 1 0.9 t\r\nq2\tQ0\tc\t1\t-1.5e2\tt\n");
  auto run = load_trec_run(path.string());
  ASSERT_TRUE(run.ok()) << run.error().message();
  ASSERT_EQ(run->at("q1").size(), 2u);
  EXPECT_EQ(run->at("q1")[0].doc_id, "a");
  EXPECT_EQ(run->at("q1")[1].doc_id, "b");
  EXPECT_EQ(run->at("q2")[0].score, -150.0);
}

TEST(Trec, MalformedLinesNameFileAndLine) {
  TempDir dir;
  struct Case {
    std::string content, expected;
  } cases[] = {
      {"q Q0 d 1 0.5 t\nq Q0 e 2 0.4\n", "run.trec:2: expected 6 fields"},
      {"q Q0 d one 0.5 t\n", "run.trec:1: rank \"one\" is not an integer"},
      {"q Q0 d 1 high t\n", "run.trec:1: score \"high\" is not a number"},
      {"q Q0 d 1 0.5 t\nq Q0 d 2 0.4 t\n",
       "run.trec:2: doc d repeated for query q (first on line 1)"},
  };
  for (const auto& c : cases) {
    auto path = write_file(dir / "run.trec", c.content);
    auto run = load_trec_run(path.string());
    ASSERT_FALSE(run.ok()) << c.content;
    EXPECT_EQ(run.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(run.error().message().find(c.expected), std::string::npos) << run.error().message();
    EXPECT_EQ(run.error().message().find('\n'), std::string::npos);
  }
  auto missing = load_trec_run((dir / "nope.trec").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
}

// --- BEIR loaders ------------------------------------------------------------------------------

TEST(Beir, LoadsCorpus) {
  TempDir dir;
  auto path =
      write_file(dir / "corpus.jsonl",
                 "\xEF\xBB\xBF{\"_id\": \"4983\", \"title\": \"T\\u00e9 1\", \"text\": \"Body.\"}\n"
                 "{\"_id\": 12, \"text\": \"no title\", \"metadata\": {}}\r\n"
                 "\n"
                 "{\"_id\": \"x\", \"title\": null, \"text\": \"\"}");
  auto docs = load_corpus(path.string());
  ASSERT_TRUE(docs.ok()) << docs.error().message();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0].id, "4983");
  EXPECT_EQ((*docs)[0].title, "T\xC3\xA9 1");
  EXPECT_EQ((*docs)[0].text, "Body.");
  EXPECT_EQ((*docs)[1].id, "12");
  EXPECT_EQ((*docs)[1].title, "");
  EXPECT_EQ((*docs)[2].id, "x");
  EXPECT_EQ((*docs)[2].text, "");
}

TEST(Beir, LoadsQueries) {
  TempDir dir;
  auto path = write_file(dir / "queries.jsonl",
                         "{\"_id\": \"1\", \"text\": \"0-dimensional biomaterials\", "
                         "\"metadata\": {}}\n{\"_id\": 3, \"text\": \"q3\"}\n");
  auto queries = load_queries(path.string());
  ASSERT_TRUE(queries.ok()) << queries.error().message();
  ASSERT_EQ(queries->size(), 2u);
  EXPECT_EQ((*queries)[0].id, "1");
  EXPECT_EQ((*queries)[0].text, "0-dimensional biomaterials");
  EXPECT_EQ((*queries)[1].id, "3");
}

TEST(Beir, MalformedJsonLinesNameFileAndLine) {
  TempDir dir;
  const std::string ok = "{\"_id\": \"a\", \"text\": \"t\"}\n";
  struct Case {
    std::string content, expected;
  } cases[] = {
      {ok + "{\"_id\": \"b\", \"text\": \n", "f.jsonl:2: invalid JSON"},
      {ok + "[1, 2]\n", "f.jsonl:2: expected a JSON object"},
      {ok + "\n{\"text\": \"t\"}\n", "f.jsonl:3: missing \"_id\""},
      {"{\"_id\": 1.5, \"text\": \"t\"}\n", "f.jsonl:1: \"_id\" must be a string or an integer"},
      {"{\"_id\": \"\", \"text\": \"t\"}\n", "f.jsonl:1: empty \"_id\""},
      {"{\"_id\": \"a\"}\n", "f.jsonl:1: missing \"text\""},
      {"{\"_id\": \"a\", \"text\": 5}\n", "f.jsonl:1: \"text\" must be a string"},
      {"{\"_id\": \"a\", \"text\": \"t\", \"title\": []}\n",
       "f.jsonl:1: \"title\" must be a string"},
      {ok + ok, "f.jsonl:2: duplicate \"_id\" a (first on line 1)"},
  };
  for (const auto& c : cases) {
    auto path = write_file(dir / "f.jsonl", c.content);
    auto docs = load_corpus(path.string());
    ASSERT_FALSE(docs.ok()) << c.content;
    EXPECT_EQ(docs.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(docs.error().message().find(c.expected), std::string::npos) << docs.error().message();
    EXPECT_EQ(docs.error().message().find('\n'), std::string::npos);
  }
  auto path = write_file(dir / "q.jsonl", "{\"_id\": \"q\"}\n");
  auto queries = load_queries(path.string());
  ASSERT_FALSE(queries.ok());
  EXPECT_NE(queries.error().message().find("q.jsonl:1: missing \"text\""), std::string::npos);
  auto missing = load_corpus((dir / "missing.jsonl").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_NE(missing.error().message().find("missing.jsonl"), std::string::npos);
}

TEST(Beir, LoadsQrelsTsvWithHeader) {
  TempDir dir;
  auto path = write_file(dir / "qrels.tsv",
                         "query-id\tcorpus-id\tscore\n1\t31715818\t1\n3\t14717500\t2\r\n\n"
                         "3\t999\t0\n");
  auto qrels = load_qrels(path.string());
  ASSERT_TRUE(qrels.ok()) << qrels.error().message();
  ASSERT_EQ(qrels->size(), 2u);
  EXPECT_EQ(qrels->at("1").at("31715818"), 1);
  EXPECT_EQ(qrels->at("3").at("14717500"), 2);
  EXPECT_EQ(qrels->at("3").at("999"), 0);
}

TEST(Beir, LoadsQrelsWithoutHeaderAndTrecQrels) {
  TempDir dir;
  auto tsv = load_qrels(write_file(dir / "a.tsv", "q1\td1\t1\nq1\td2\t-1\n").string());
  ASSERT_TRUE(tsv.ok()) << tsv.error().message();
  EXPECT_EQ(tsv->at("q1").size(), 2u);
  EXPECT_EQ(tsv->at("q1").at("d2"), -1);

  auto trec = load_qrels(write_file(dir / "b.qrels",
                                    "301 0 FBIS3-10082 1\n301  0 FBIS3-10169 0\n"
                                    "302 1 LA010189-0001 2\n")
                             .string());
  ASSERT_TRUE(trec.ok()) << trec.error().message();
  EXPECT_EQ(trec->at("301").at("FBIS3-10082"), 1);
  EXPECT_EQ(trec->at("301").at("FBIS3-10169"), 0);
  EXPECT_EQ(trec->at("302").at("LA010189-0001"), 2);
}

TEST(Beir, MalformedQrelsNameFileAndLine) {
  TempDir dir;
  const std::string header = "query-id\tcorpus-id\tscore\n";
  struct Case {
    std::string content, expected;
  } cases[] = {
      {header + "q1\td1\t1\nq1\td2\tyes\n", "q.tsv:3: relevance \"yes\" is not an integer"},
      {header + "q1\td1\n", "q.tsv:2: expected 3 fields (query-id corpus-id score) or 4"},
      {header + "q1\td1\t1\nq1 0 d2 1\n", "q.tsv:3: expected 3 fields like line 2, got 4"},
      {header + "q1\t\t1\n", "q.tsv:2: empty doc id"},
      {header + "q1\td1\t1.5\n", "q.tsv:2: relevance \"1.5\" is not an integer"},
  };
  for (const auto& c : cases) {
    auto path = write_file(dir / "q.tsv", c.content);
    auto qrels = load_qrels(path.string());
    ASSERT_FALSE(qrels.ok()) << c.content;
    EXPECT_EQ(qrels.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(qrels.error().message().find(c.expected), std::string::npos)
        << qrels.error().message();
  }
}

// --- cross-check against the reference script -------------------------------------------------

// Runs `command` and returns its stdout, or nullopt when it could not run or exited non-zero.
std::optional<std::string> run_command(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) return std::nullopt;
  return out;
}

std::map<std::string, double> parse_metric_lines(const std::string& text) {
  std::map<std::string, double> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t space = line.find(' ');
    if (space != std::string::npos) out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    pos = end + 1;
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A realistic random run: 100-1000 corpus docs per query, relevant docs inserted at random
// ranks (often near the top), runs of tied scores, tied ids that are prefixes of relevant ids,
// some queries missing, some extra queries, and some lists not given best first.
Run random_run(const Qrels& qrels, const std::vector<std::string>& corpus_ids, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](size_t lo, size_t hi) {  // inclusive
    return std::uniform_int_distribution<size_t>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  std::vector<std::string> qids;
  for (const auto& [qid, judged] : qrels) qids.push_back(qid);
  std::sort(qids.begin(), qids.end());  // independent of hash order
  for (int i = 0; i < 5; ++i) qids.push_back("extra" + std::to_string(i));

  Run run;
  std::vector<std::string> pool = corpus_ids;
  for (const auto& qid : qids) {
    if (chance(0.08)) continue;  // missing from the run
    const size_t n = uniform(100, 1000);
    std::vector<std::string> ids;
    std::unordered_set<std::string> used;
    for (size_t i = 0; i < n; ++i) {  // partial Fisher-Yates: n distinct corpus ids
      std::swap(pool[i], pool[uniform(i, pool.size() - 1)]);
      ids.push_back(pool[i]);
      used.insert(pool[i]);
    }
    std::vector<std::string> relevant;
    if (auto it = qrels.find(qid); it != qrels.end()) {
      for (const auto& [doc, grade] : it->second) relevant.push_back(doc);
      std::sort(relevant.begin(), relevant.end());
    }
    std::vector<std::string> tied_prefix;  // ids to tie with the relevant doc they prefix
    for (const auto& doc : relevant) {
      if (used.count(doc) || !chance(0.75)) continue;
      const size_t pos = chance(0.6) ? uniform(0, 14) : uniform(0, ids.size());
      ids.insert(ids.begin() + static_cast<std::ptrdiff_t>(pos), doc);
      used.insert(doc);
      const std::string prefix = doc.substr(0, doc.size() - 1);
      if (doc.size() > 1 && chance(0.5) && used.insert(prefix).second)
        tied_prefix.push_back(prefix);
    }
    // Scores fall with position in steps, so neighbours often tie.
    std::vector<Ranked> list;
    double score = 20.0 + static_cast<double>(uniform(0, 100)) / 8;
    for (size_t i = 0; i < ids.size(); ++i) {
      list.push_back({ids[i], score});
      if (chance(0.6)) score -= static_cast<double>(uniform(1, 5)) / 64;
    }
    for (const std::string& id : tied_prefix) {
      // Same score as the relevant doc it prefixes (which may have shifted down by insertions).
      auto it = std::find_if(list.begin(), list.end(), [&](const Ranked& r) {
        return r.doc_id.size() == id.size() + 1 && r.doc_id.starts_with(id);
      });
      if (it != list.end()) list.push_back({id, it->score});
    }
    if (chance(0.3)) std::shuffle(list.begin(), list.end(), rng);
    run[qid] = std::move(list);
  }
  return run;
}

TEST(CrossCheck, AgreesWithReferenceScriptOnSciFact) {
  const auto data = pb::testing::shared_data() / "ir_eval" / "scifact";
  const auto qrels_path = data / "qrels.test.tsv";
  const auto corpus_path = data / "corpus.jsonl";
  const auto script = pb::testing::shared_data().parent_path() / "tools" / "ir_metrics.py";
  if (!std::filesystem::exists(qrels_path) || !std::filesystem::exists(corpus_path))
    GTEST_SKIP() << "SciFact data not found under " << data;
  if (!std::filesystem::exists(script)) GTEST_SKIP() << "reference script missing: " << script;
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 missing";

  auto qrels = load_qrels(qrels_path.string());
  ASSERT_TRUE(qrels.ok()) << qrels.error().message();
  auto corpus = load_corpus(corpus_path.string());
  ASSERT_TRUE(corpus.ok()) << corpus.error().message();
  ASSERT_GT(corpus->size(), 1000u);
  std::vector<std::string> corpus_ids;
  for (const auto& d : *corpus) corpus_ids.push_back(d.id);

  TempDir dir;
  // SciFact grades are all 1, so the last round uses a graded variant (grades 1-3, some judged
  // non-relevant docs, queries with no relevant doc) to check gains and averaging too.
  const auto graded_path = dir / "graded.tsv";
  {
    std::mt19937_64 rng(99);
    std::map<std::string, std::map<std::string, int>> sorted;  // independent of hash order
    for (const auto& [qid, judged] : *qrels) sorted[qid].insert(judged.begin(), judged.end());
    std::string tsv = "query-id\tcorpus-id\tscore\n";
    for (const auto& [qid, judged] : sorted) {
      for (const auto& [doc, grade] : judged)
        tsv += qid + "\t" + doc + "\t" + std::to_string(1 + rng() % 3) + "\n";
      if (rng() % 4 == 0) tsv += qid + "\t" + corpus_ids[rng() % corpus_ids.size()] + "\t0\n";
    }
    for (int i = 0; i < 5; ++i)
      tsv += "nonrel" + std::to_string(i) + "\t" + corpus_ids[rng() % corpus_ids.size()] + "\t0\n";
    write_file(graded_path, tsv);
  }

  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto& path = seed == 3 ? graded_path : qrels_path;
    if (seed == 3) {
      qrels = load_qrels(graded_path.string());
      ASSERT_TRUE(qrels.ok()) << qrels.error().message();
    }
    eval::Run run = random_run(*qrels, corpus_ids, seed);
    const auto run_path = write_file(dir / "run.trec", to_trec(run, "random"));
    auto out = run_command("/usr/bin/python3 " + shell_quote(script.string()) + " " +
                           shell_quote(path.string()) + " " + shell_quote(run_path.string()));
    ASSERT_TRUE(out.has_value()) << "reference script failed";
    auto theirs = parse_metric_lines(*out);
    Metrics m = evaluate(run, *qrels);
    auto ours = parse_metric_lines(format_metrics(m));
    ASSERT_EQ(theirs.size(), 4u) << *out;
    ASSERT_EQ(ours.size(), 4u);
    const std::map<std::string, double> exact{{"nDCG@10", m.ndcg10},
                                              {"MRR@10", m.mrr10},
                                              {"Recall@10", m.recall10},
                                              {"Recall@100", m.recall100}};
    for (const auto& [name, value] : exact) {
      ASSERT_TRUE(theirs.count(name)) << name << " missing from:\n" << *out;
      EXPECT_NEAR(value, theirs[name], 1e-4) << name << "\nours:\n"
                                             << format_metrics(m) << "script:\n"
                                             << *out;
    }
    EXPECT_GT(m.ndcg10, 0.05);  // the run is informative enough for the check to mean something
    EXPECT_GT(m.queries, 250u);

    // The check is sensitive to tie-breaking: ordering ties by strcmp (trec_eval) instead
    // changes the result on this data.
    eval::Run strcmp_run = run;
    for (auto& [qid, list] : strcmp_run) {
      std::sort(list.begin(), list.end(), [](const Ranked& a, const Ranked& b) {
        return a.score != b.score ? a.score > b.score : a.doc_id > b.doc_id;
      });
      for (size_t i = 0; i < list.size(); ++i) list[i].score = -static_cast<double>(i);
    }
    EXPECT_GT(std::abs(evaluate(strcmp_run, *qrels).ndcg10 - m.ndcg10), 1e-4);

    // Reading the run back changes nothing.
    auto back = load_trec_run(run_path.string());
    ASSERT_TRUE(back.ok()) << back.error().message();
    Metrics m2 = evaluate(*back, *qrels);
    EXPECT_DOUBLE_EQ(m2.ndcg10, m.ndcg10);
    EXPECT_DOUBLE_EQ(m2.mrr10, m.mrr10);
    EXPECT_DOUBLE_EQ(m2.recall10, m.recall10);
    EXPECT_DOUBLE_EQ(m2.recall100, m.recall100);
  }
}

}  // namespace
}  // namespace pb::eval
