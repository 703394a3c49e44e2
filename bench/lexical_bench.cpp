// Lexical search benchmark: paperboy's own engine raced against SQLite FTS5 and Xapian 1.4,
// side by side in one process — same machine, same corpus, same queries, same run.
//
//   lexical_bench --corpus arxiv.jsonl.gz --scifact DIR --out-dir DIR [--queries N] [--scale N]
//                 [--paperboy-only]   (development: paperboy alone, printed, no report)
//                 [--lockstep-in FIFO --lockstep-out FIFO [--lockstep-start]]
//                   (development, with --paperboy-only: A/B two builds, see bench/ab_lockstep.sh)
//
// Measures, one thread throughout (the script pins the process to one core):
//  1. index build of the shared arXiv corpus: papers/s, seconds, size on disk;
//  2. query latency (p50/p99/mean) for N sampled paper titles and the SciFact test claims,
//     top 10, OR semantics, after a warm-up pass each query timed in three passes per
//     engine, engines in rotating order, its median kept (time_rounds); overlap@10 with
//     paperboy's results as a sanity check that the engines answer the same question;
//  3. effectiveness on SciFact test (nDCG@10, Recall@100), each engine with its own BM25;
//  4. instead, with --scale N: paperboy alone on N synthetic papers (real titles and abstracts
//     recombined), built in 200k-document segments then merged to one: build time, size,
//     peak RSS, title-query latency (written to OUT_DIR/scale.md; a process of its own, so
//     that the race does not run in the heap it leaves behind).
// Prints tables to stdout and writes the Markdown section OUT_DIR/lexical.md (which
// bench/lexical.sh appends to bench/RESULTS.md). A benchmark, never a test.
//
// All three engines index the same text: title, abstract and authors (TeX normalised by
// engine::to_index_doc), with positions. Queries are stripped of query-language characters
// (as engine::run_lexical does) and English stopwords are dropped for every engine the way
// paperboy's parser drops them (kept when the query has nothing else).

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xapian.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/beir_eval.hpp"
#include "engine/lexical_search.hpp"
#include "eval/beir.hpp"
#include "eval/metrics.hpp"
#include "index/lexical/index.hpp"
#include "index/lexical/query.hpp"
#include "index/lexical/searcher.hpp"
#include "ingest/reader.hpp"
#include "text/analyzer.hpp"
#include "text/tex.hpp"

namespace fs = std::filesystem;
using namespace pb;

namespace {

using Clock = std::chrono::steady_clock;

#ifdef PB_WITH_TCMALLOC
constexpr const char* kAllocator = "tcmalloc_minimal (gperftools), as the paperboy binary";
#else
constexpr const char* kAllocator = "glibc malloc";
#endif

// CLOCK_MONOTONIC in seconds (what `perf record -k CLOCK_MONOTONIC` stamps samples with), so
// that a profile can be cut to one phase with `perf report --time FROM,TO`.
double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "lexical_bench: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T need(Result<T> r, std::string_view what) {
  if (!r.ok()) die(fmt::format("{}: {}", what, r.error().message()));
  return std::move(r).value();
}

void need(const Status& s, std::string_view what) {
  if (!s.ok()) die(fmt::format("{}: {}", what, s.error().message()));
}

std::uint64_t dir_bytes(const fs::path& p) {
  std::uint64_t total = 0;
  if (fs::is_regular_file(p)) return fs::file_size(p);
  for (const auto& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

double mb(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

std::string first_line_of(const std::string& command) {
  std::string out;
  if (FILE* f = popen(command.c_str(), "r")) {
    char buf[512];
    if (std::fgets(buf, sizeof buf, f)) out = buf;
    pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string proc_value(const char* file, std::string_view key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "unknown";
}

// ------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string corpus;
  std::string scifact;
  std::string out_dir;
  size_t queries = 1000;
  size_t scale = 0;                       // > 0: the scale run alone
  bool paperboy_only = false;             // a quick development run: no peers, no report
  std::string lockstep_in, lockstep_out;  // FIFOs of a lockstep A/B (bench/ab_lockstep.sh)
  bool lockstep_start = false;            // this side takes the first turn
  size_t lockstep_rounds = 7;             // times each query is timed (the minimum is kept)
  size_t build_rounds = 1;                // --paperboy-only: builds timed (each printed)
  std::string command;                    // argv as typed, for the record
};

Options parse_args(int argc, char** argv) {
  Options o;
  o.command = argv[0];
  for (int i = 1; i < argc; ++i) o.command += std::string(" ") + argv[i];
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) die(fmt::format("{} needs a value", argv[i]));
    return argv[++i];
  };
  auto number = [&](int& i) -> size_t {
    std::string v = value(i);
    char* end = nullptr;
    unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') die(fmt::format("{}: not a number: {}", argv[i - 1], v));
    return static_cast<size_t>(n);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--corpus")
      o.corpus = value(i);
    else if (a == "--scifact")
      o.scifact = value(i);
    else if (a == "--paperboy-only")
      o.paperboy_only = true;
    else if (a == "--out-dir")
      o.out_dir = value(i);
    else if (a == "--lockstep-in")
      o.lockstep_in = value(i);
    else if (a == "--lockstep-out")
      o.lockstep_out = value(i);
    else if (a == "--lockstep-start")
      o.lockstep_start = true;
    else if (a == "--lockstep-rounds")
      o.lockstep_rounds = std::max<size_t>(1, number(i));
    else if (a == "--build-rounds")
      o.build_rounds = std::max<size_t>(1, number(i));
    else if (a == "--queries")
      o.queries = number(i);
    else if (a == "--scale")
      o.scale = number(i);
    else
      die(
          fmt::format("unknown option {} (usage: --corpus PATH --scifact DIR --out-dir DIR "
                      "[--queries N] [--scale N] [--paperboy-only [--build-rounds N]] "
                      "[--lockstep-in FIFO --lockstep-out FIFO [--lockstep-start] "
                      "[--lockstep-rounds N]])",
                      a));
  }
  if (o.corpus.empty() || o.scifact.empty() || o.out_dir.empty())
    die("--corpus, --scifact and --out-dir are required");
  if (o.lockstep_in.empty() != o.lockstep_out.empty() ||
      (!o.lockstep_in.empty() && !o.paperboy_only))
    die("--lockstep-in and --lockstep-out go together, with --paperboy-only");
  if (o.build_rounds > 1 && !o.paperboy_only) die("--build-rounds goes with --paperboy-only");
  if (o.scale > 0 && o.paperboy_only) die("--scale is a run of its own, not with --paperboy-only");
  return o;
}

// ------------------------------------------------------------------------------------------
// Corpus

// The paper corpus as the index sees it, one entry per distinct id (the last record wins).
std::vector<lexical::IndexDoc> load_papers(const std::string& path, size_t& records) {
  auto reader = need(ingest::open_reader(path), "open " + path);
  std::vector<lexical::IndexDoc> docs;
  std::unordered_map<std::string, size_t> slot;
  ingest::Record r;
  records = 0;
  while (true) {
    bool more = need(reader->next(r), "read " + path);
    if (!more) break;
    if (r.ignored || !r.paper.ok()) continue;
    ++records;
    auto doc = engine::to_index_doc(*r.paper);
    auto [it, fresh] = slot.emplace(doc.id, docs.size());
    if (fresh)
      docs.push_back(std::move(doc));
    else
      docs[it->second] = std::move(doc);
  }
  return docs;
}

// What the peers index: the same plain text, authors as one field.
struct PeerDoc {
  std::string title, abstract, authors;
};

std::vector<PeerDoc> peer_docs(const std::vector<lexical::IndexDoc>& docs) {
  std::vector<PeerDoc> out;
  out.reserve(docs.size());
  for (const auto& d : docs) {
    PeerDoc p{d.title, d.abstract, {}};
    for (const auto& a : d.authors) {
      if (!p.authors.empty()) p.authors += ", ";
      p.authors += a;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Queries of a test collection are bags of words, not query-language expressions: the same
// stripping as engine::run_lexical, applied to the text every engine receives.
std::string strip_query_syntax(std::string q) {
  for (size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    bool at_word_start = i == 0 || q[i - 1] == ' ';
    if (c == '"' || c == ':' || ((c == '-' || c == '+') && at_word_start)) q[i] = ' ';
  }
  return q;
}

// ------------------------------------------------------------------------------------------
// Engines. Each answers a query with its top-k as (corpus index, score), best first.

struct Scored {
  std::uint32_t doc;  // index into the corpus vector
  double score;
};

struct BuildResult {
  double seconds = 0;       // indexing, through the final commit
  double post_seconds = 0;  // FTS5 'optimize' / Xapian compact (0 for paperboy)
  std::uint64_t bytes = 0;  // on disk, as queried
};

class Paperboy {
 public:
  BuildResult build(const std::vector<lexical::IndexDoc>& docs, const fs::path& dir) {
    fs::remove_all(dir);
    BuildResult b;
    auto t0 = Clock::now();
    index_ = need(lexical::LexicalIndex::open(dir), "open paperboy index");
    need(index_->update(docs, {}, 0, analyzer_), "paperboy update");
    b.seconds = seconds_since(t0);
    b.bytes = dir_bytes(dir);
    attach(docs);
    return b;
  }

  void attach(const std::vector<lexical::IndexDoc>& docs) {
    snapshot_ = index_->snapshot();
    position_.clear();
    position_.reserve(docs.size());
    for (size_t i = 0; i < docs.size(); ++i)
      position_.emplace(docs[i].id, static_cast<std::uint32_t>(i));
  }

  void adopt(std::unique_ptr<lexical::LexicalIndex> index) { index_ = std::move(index); }

  // Only the engine's work is timed by the caller; mapping ids to corpus positions is not.
  lexical::SearchResponse query(const std::string& text, size_t k) {
    lexical::SearchOptions so;
    so.k = k;
    so.bm25 = engine::default_bm25();
    so.pin_exact = false;
    auto parsed = lexical::parse_query(text, analyzer_);
    return lexical::search(*snapshot_, parsed, so, analyzer_);
  }

  std::vector<Scored> to_scored(const lexical::SearchResponse& r) const {
    std::vector<Scored> out;
    for (const auto& h : r.hits) {
      auto it = position_.find(h.id);
      if (it != position_.end()) out.push_back({it->second, h.score});
    }
    return out;
  }

 private:
  text::Analyzer analyzer_;
  std::unique_ptr<lexical::LexicalIndex> index_;
  std::shared_ptr<const lexical::IndexSnapshot> snapshot_;
  std::unordered_map<std::string, std::uint32_t> position_;
};

// An FTS5 MATCH expression for a bag of words: the words OR'ed, each double-quoted (so no
// word is read as an operator), punctuation dropped, stopwords dropped unless nothing else.
std::string fts5_match(std::string_view q) {
  std::vector<std::string> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) words.push_back(std::move(w));
    w.clear();
  };
  for (char c : q) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u))
      w += static_cast<char>(std::tolower(u));
    else
      flush();
  }
  flush();
  bool any_content = std::any_of(words.begin(), words.end(), [](const std::string& x) {
    return !text::Analyzer::is_stopword(x);
  });
  std::string out;
  for (const auto& x : words) {
    if (any_content && text::Analyzer::is_stopword(x)) continue;
    if (!out.empty()) out += " OR ";
    out += '"';
    for (char c : x) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

class Fts5 {
 public:
  ~Fts5() { close(); }

  BuildResult build(const std::vector<PeerDoc>& docs, const fs::path& file) {
    close();
    fs::remove(file);
    fs::remove(file.string() + "-journal");
    BuildResult b;
    auto t0 = Clock::now();
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
      die("sqlite3_open " + file.string());
    exec(
        "CREATE VIRTUAL TABLE docs USING fts5(title, abstract, authors, content='', "
        "tokenize='porter unicode61 remove_diacritics 2')");
    exec("BEGIN");
    sqlite3_stmt* ins = prepare(
        "INSERT INTO docs(rowid, title, abstract, authors) "
        "VALUES (?, ?, ?, ?)");
    for (size_t i = 0; i < docs.size(); ++i) {
      sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(i) + 1);
      bind(ins, 2, docs[i].title);
      bind(ins, 3, docs[i].abstract);
      bind(ins, 4, docs[i].authors);
      if (sqlite3_step(ins) != SQLITE_DONE) die(std::string("fts5 insert: ") + sqlite3_errmsg(db_));
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec("COMMIT");
    b.seconds = seconds_since(t0);
    t0 = Clock::now();
    exec("INSERT INTO docs(docs) VALUES('optimize')");
    b.post_seconds = seconds_since(t0);
    exec("VACUUM");
    b.bytes = fs::file_size(file);
    top_ = prepare(
        "SELECT rowid, bm25(docs) FROM docs WHERE docs MATCH ? "
        "ORDER BY bm25(docs) LIMIT ?");
    return b;
  }

  // Returns false when FTS5 rejected the expression (counted, never expected).
  bool query(const std::string& text, size_t k, std::vector<Scored>& out) {
    out.clear();
    std::string match = fts5_match(text);
    if (match.empty()) return true;
    bind(top_, 1, match);
    sqlite3_bind_int64(top_, 2, static_cast<sqlite3_int64>(k));
    int rc;
    while ((rc = sqlite3_step(top_)) == SQLITE_ROW) {
      auto rowid = sqlite3_column_int64(top_, 0);
      // bm25() is negated so that better is lower; flip it back.
      out.push_back({static_cast<std::uint32_t>(rowid - 1), -sqlite3_column_double(top_, 1)});
    }
    sqlite3_reset(top_);
    return rc == SQLITE_DONE;
  }

 private:
  void close() {
    if (top_) sqlite3_finalize(top_);
    top_ = nullptr;
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
  }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      die(fmt::format("sqlite: {}: {}", sql, m));
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK)
      die(fmt::format("sqlite prepare: {}: {}", sql, sqlite3_errmsg(db_)));
    return s;
  }
  static void bind(sqlite3_stmt* s, int col, const std::string& v) {
    sqlite3_bind_text(s, col, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* top_ = nullptr;
};

// paperboy's English stopword list, so that Xapian drops exactly the words paperboy drops.
class PaperboyStopper : public Xapian::Stopper {
 public:
  bool operator()(const std::string& term) const override {
    return text::Analyzer::is_stopword(term);
  }
};

class XapianEngine {
 public:
  BuildResult build(const std::vector<PeerDoc>& docs, const fs::path& dir) {
    fs::remove_all(dir);
    fs::path raw = dir / "raw", compact = dir / "compact";
    fs::create_directories(dir);
    BuildResult b;
    auto t0 = Clock::now();
    {
      Xapian::WritableDatabase db(raw.string(), Xapian::DB_CREATE_OR_OVERWRITE);
      Xapian::TermGenerator tg;
      tg.set_stemmer(Xapian::Stem("english"));
      tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
      for (const auto& d : docs) {
        Xapian::Document doc;
        tg.set_document(doc);
        tg.index_text(d.title);
        tg.increase_termpos();
        tg.index_text(d.abstract);
        tg.increase_termpos();
        tg.index_text(d.authors);
        db.add_document(doc);
      }
      db.commit();
    }
    b.seconds = seconds_since(t0);
    raw_bytes_ = dir_bytes(raw);
    t0 = Clock::now();
    Xapian::Database(raw.string()).compact(compact.string());
    b.post_seconds = seconds_since(t0);
    b.bytes = dir_bytes(compact);
    db_ = Xapian::Database(compact.string());
    enquire_ = std::make_unique<Xapian::Enquire>(db_);
    parser_.set_stemmer(Xapian::Stem("english"));
    parser_.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    parser_.set_default_op(Xapian::Query::OP_OR);
    parser_.set_stopper(&stopper_);
    parser_.set_database(db_);
    set_weight(Xapian::BM25Weight());
    return b;
  }

  void set_weight(const Xapian::Weight& w) { enquire_->set_weighting_scheme(w); }
  std::uint64_t raw_bytes() const { return raw_bytes_; }

  // Returns false when Xapian rejected the query (counted, never expected).
  bool query(const std::string& text, size_t k, std::vector<Scored>& out) {
    out.clear();
    try {
      // FLAG_DEFAULT without boolean operators and quoted phrases: a bag of words.
      auto q = parser_.parse_query(text, Xapian::QueryParser::FLAG_LOVEHATE);
      enquire_->set_query(q);
      auto mset = enquire_->get_mset(0, static_cast<Xapian::doccount>(k));
      for (auto it = mset.begin(); it != mset.end(); ++it)
        out.push_back({*it - 1, it.get_weight()});
    } catch (const Xapian::Error&) {
      return false;
    }
    return true;
  }

 private:
  Xapian::Database db_;
  std::unique_ptr<Xapian::Enquire> enquire_;
  Xapian::QueryParser parser_;
  PaperboyStopper stopper_;
  std::uint64_t raw_bytes_ = 0;
};

// ------------------------------------------------------------------------------------------
// Latency

struct Latency {
  double p50 = 0, p99 = 0, mean = 0;
  size_t errors = 0;
};

Latency summarise(std::vector<double> ms, size_t errors) {
  Latency l;
  l.errors = errors;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double p) {  // nearest-rank percentile
    size_t r = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::clamp<size_t>(r, 1, ms.size()) - 1];
  };
  l.p50 = rank(0.50);
  l.p99 = rank(0.99);
  l.mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  return l;
}

// Development A/B of two builds (bench/ab_lockstep.sh): two processes on one core take turns
// query by query, passing a byte through two FIFOs, so that whatever else the machine does at
// the time falls on both alike; each query is timed `rounds` times, its minimum kept (7 by
// default: the warm time of a query; 1: the one-shot time that the race reports, cold caches
// included).
struct Lockstep {
  int in = -1, out = -1;
  bool start = false;
  bool synced = false;
  size_t rounds = 7;
};
Lockstep g_lockstep;

// Writes or reads the turn token on a FIFO.
void lockstep_token(int fd, bool write) {
  char token = 't';
  if ((write ? ::write(fd, &token, 1) : ::read(fd, &token, 1)) != 1)
    die("lockstep: FIFO read or write failed");
}

// In a lockstep A/B, waits for this side's turn, and passes the turn to the other side.
// No-ops otherwise.
// The first call is also a barrier: neither side starts timing while the other still loads
// the corpus or warms up on the same core.
void lockstep_wait() {
  if (g_lockstep.in < 0) return;
  if (!g_lockstep.synced) {
    g_lockstep.synced = true;
    lockstep_token(g_lockstep.out, true);
    lockstep_token(g_lockstep.in, false);
    if (g_lockstep.start) lockstep_token(g_lockstep.in, true);  // the first turn is this side's
  }
  lockstep_token(g_lockstep.in, false);
}
void lockstep_pass() {
  if (g_lockstep.out >= 0) lockstep_token(g_lockstep.out, true);
}

// Runs every query once untimed (warm-up) and then once timed (in a lockstep A/B,
// g_lockstep.rounds times, keeping the minimum); keeps the timed results. `run` returns false
// on an engine error.
Latency time_queries(const std::vector<std::string>& queries,
                     const std::function<bool(size_t, bool)>& run) {
  for (size_t i = 0; i < queries.size(); ++i) run(i, false);
  const size_t rounds = g_lockstep.in >= 0 ? g_lockstep.rounds : 1;
  std::vector<double> ms;
  ms.reserve(queries.size());
  size_t errors = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    bool ok = true;
    for (size_t r = 0; r < rounds; ++r) {
      lockstep_wait();
      auto t0 = Clock::now();
      ok = run(i, true) && ok;
      best = std::min(best, seconds_since(t0) * 1e3);
      lockstep_pass();
    }
    ms.push_back(best);
    if (!ok) ++errors;
  }
  return summarise(std::move(ms), errors);
}

// |A ∩ B| / max(|A|, |B|) over the top-10 sets, averaged over queries where either answered.
double mean_overlap(const std::vector<std::vector<Scored>>& a,
                    const std::vector<std::vector<Scored>>& b) {
  double sum = 0;
  size_t n = 0;
  for (size_t q = 0; q < a.size(); ++q) {
    size_t denom = std::max(a[q].size(), b[q].size());
    if (denom == 0) continue;
    std::unordered_set<std::uint32_t> in_a;
    for (const auto& s : a[q]) in_a.insert(s.doc);
    size_t common = 0;
    for (const auto& s : b[q]) common += in_a.count(s.doc);
    sum += static_cast<double>(common) / static_cast<double>(denom);
    ++n;
  }
  return n ? sum / static_cast<double>(n) : 0;
}

struct QuerySetResult {
  std::string name;
  size_t count = 0;
  Latency paperboy, fts5, xapian;
  double overlap_fts5 = 0, overlap_xapian = 0;
  double mean_hits_paperboy = 0, mean_hits_fts5 = 0, mean_hits_xapian = 0;
};

double mean_hits(const std::vector<std::vector<Scored>>& r) {
  double n = 0;
  for (const auto& v : r) n += static_cast<double>(v.size());
  return r.empty() ? 0 : n / static_cast<double>(r.size());
}

// The median seconds and post-seconds of `builds` (not empty), separately; the size is the
// last build's (every build writes the same bytes).
constexpr size_t kBuildRounds = 3;
BuildResult median_build(std::vector<BuildResult> builds) {
  auto median = [&](auto field) {
    std::vector<double> v;
    for (const auto& b : builds) v.push_back(static_cast<double>(b.*field));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  BuildResult m;
  m.seconds = median(&BuildResult::seconds);
  m.post_seconds = median(&BuildResult::post_seconds);
  m.bytes = builds.back().bytes;
  return m;
}

// The race's timing: each engine runs every query once untimed (warm-up), then the whole
// query set is timed kRaceRounds times per engine, in rounds whose engine order rotates (each
// engine times the set in one go, in its own caches: taking turns query by query was tried,
// and cost paperboy ~60% in caches left cold by the peers). A query's time is the median of
// its rounds: a phase in which this shared host runs slow (seen to last seconds to minutes)
// falls on one round of one engine, and the median leaves it out. `runs[e](i)` answers query
// i with engine e and returns false on an engine error.
constexpr size_t kRaceRounds = 3;
std::vector<Latency> time_rounds(const std::vector<std::string>& queries,
                                 const std::vector<std::function<bool(size_t)>>& runs) {
  const size_t n = queries.size(), engines = runs.size();
  for (const auto& run : runs)
    for (size_t i = 0; i < n; ++i) run(i);
  // ms[e][i]: the timings of query i by engine e, one per round.
  std::vector<std::vector<std::vector<double>>> ms(engines, std::vector<std::vector<double>>(n));
  std::vector<size_t> errors(engines, 0);
  for (size_t round = 0; round < kRaceRounds; ++round) {
    for (size_t k = 0; k < engines; ++k) {
      const size_t e = (round + k) % engines;
      for (size_t i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        if (!runs[e](i) && round == 0) ++errors[e];
        ms[e][i].push_back(seconds_since(t0) * 1e3);
      }
    }
  }
  std::vector<Latency> out;
  for (size_t e = 0; e < engines; ++e) {
    std::vector<double> median(n);
    for (size_t i = 0; i < n; ++i) {
      auto& t = ms[e][i];
      std::nth_element(t.begin(), t.begin() + static_cast<long>(t.size() / 2), t.end());
      median[i] = t[t.size() / 2];
    }
    out.push_back(summarise(std::move(median), errors[e]));
  }
  return out;
}

QuerySetResult race(const std::string& name, const std::vector<std::string>& queries, Paperboy& pb,
                    Fts5& fts, XapianEngine& xap) {
  QuerySetResult r;
  r.name = name;
  r.count = queries.size();
  const size_t n = queries.size();
  std::vector<std::vector<Scored>> rp(n), rf(n), rx(n);
  std::vector<lexical::SearchResponse> responses(n);
  auto lat = time_rounds(queries, {[&](size_t i) {
                                     responses[i] = pb.query(queries[i], 10);
                                     return true;
                                   },
                                   [&](size_t i) { return fts.query(queries[i], 10, rf[i]); },
                                   [&](size_t i) { return xap.query(queries[i], 10, rx[i]); }});
  r.paperboy = lat[0];
  r.fts5 = lat[1];
  r.xapian = lat[2];
  for (size_t i = 0; i < n; ++i) rp[i] = pb.to_scored(responses[i]);
  r.overlap_fts5 = mean_overlap(rp, rf);
  r.overlap_xapian = mean_overlap(rp, rx);
  r.mean_hits_paperboy = mean_hits(rp);
  r.mean_hits_fts5 = mean_hits(rf);
  r.mean_hits_xapian = mean_hits(rx);
  return r;
}

// ------------------------------------------------------------------------------------------
// SciFact effectiveness

struct Quality {
  std::string engine;
  eval::Metrics m;
};

eval::Run peer_run(const std::vector<eval::BeirQuery>& queries,
                   const std::vector<eval::BeirDoc>& corpus,
                   const std::function<bool(const std::string&, std::vector<Scored>&)>& run) {
  eval::Run out;
  std::vector<Scored> hits;
  for (const auto& q : queries) {
    if (!run(strip_query_syntax(q.text), hits)) die("peer query failed: " + q.text);
    auto& list = out[q.id];
    for (const auto& h : hits) list.push_back({corpus[h.doc].id, h.score});
  }
  return out;
}

std::vector<Quality> scifact_quality(const std::string& dir, const fs::path& work) {
  auto corpus = need(eval::load_corpus(dir + "/corpus.jsonl"), "scifact corpus");
  auto queries = need(eval::load_queries(dir + "/queries.test.jsonl"), "scifact queries");
  auto qrels = need(eval::load_qrels(dir + "/qrels.test.tsv"), "scifact qrels");
  std::vector<Quality> out;

  fs::remove_all(work / "scifact-paperboy");
  auto index = need(engine::index_beir_corpus(corpus, work / "scifact-paperboy"), "scifact index");
  engine::BeirRunOptions ro;
  ro.k = 100;
  ro.bm25 = engine::default_bm25();
  auto run = engine::run_lexical(*index->snapshot(), queries, ro);
  out.push_back({fmt::format("paperboy (BM25F k1={}, b={}, title weight {})", ro.bm25.k1, ro.bm25.b,
                             ro.bm25.field_weight[0]),
                 eval::evaluate(run, qrels)});

  // The peers index the same plain text (TeX normalised as index_beir_corpus does).
  std::vector<PeerDoc> docs;
  docs.reserve(corpus.size());
  for (const auto& d : corpus)
    docs.push_back({text::tex_to_text(d.title), text::tex_to_text(d.text), {}});

  Fts5 fts;
  fts.build(docs, work / "scifact-fts5.db");
  out.push_back({"SQLite FTS5 (bm25(), k1=1.2, b=0.75)",
                 eval::evaluate(peer_run(queries, corpus,
                                         [&](const std::string& q, std::vector<Scored>& h) {
                                           return fts.query(q, 100, h);
                                         }),
                                qrels)});

  XapianEngine xap;
  xap.build(docs, work / "scifact-xapian");
  auto xrun = [&](const std::string& q, std::vector<Scored>& h) { return xap.query(q, 100, h); };
  out.push_back({"Xapian (BM25Weight default: k1=1, b=0.5)",
                 eval::evaluate(peer_run(queries, corpus, xrun), qrels)});
  xap.set_weight(Xapian::BM25Weight(1.2, 0, 1, 0.75, 0.5));
  out.push_back({"Xapian (BM25Weight k1=1.2, b=0.75)",
                 eval::evaluate(peer_run(queries, corpus, xrun), qrels)});
  return out;
}

// ------------------------------------------------------------------------------------------
// Scale run (paperboy only)

struct ScaleResult {
  size_t docs = 0, segments_before_merge = 0;
  double update_seconds = 0, merge_seconds = 0, generate_seconds = 0;
  std::uint64_t bytes = 0;
  long rss_before_kb = 0, rss_after_kb = 0;
  Latency titles;
  double mean_hits = 0;
};

// Splits `s` near its middle at a space: recombining halves of two real abstracts keeps
// realistic term statistics while making every synthetic abstract distinct.
std::pair<std::string_view, std::string_view> halves(std::string_view s) {
  size_t mid = s.find(' ', s.size() / 2);
  if (mid == std::string_view::npos) return {s, {}};
  return {s.substr(0, mid), s.substr(mid)};
}

ScaleResult scale_run(const std::vector<lexical::IndexDoc>& real, size_t n,
                      const std::vector<std::string>& title_queries, const fs::path& dir) {
  constexpr size_t kSegmentDocs = 200000;
  ScaleResult s;
  s.docs = n;
  s.rss_before_kb = peak_rss_kb();
  fs::remove_all(dir);
  auto index = need(lexical::LexicalIndex::open(dir), "open scale index");
  text::Analyzer analyzer;
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<size_t> pick(0, real.size() - 1);
  std::vector<lexical::IndexDoc> batch;
  for (size_t start = 0; start < n; start += kSegmentDocs) {
    size_t end = std::min(n, start + kSegmentDocs);
    auto g0 = Clock::now();
    batch.clear();
    batch.reserve(end - start);
    for (size_t i = start; i < end; ++i) {
      const auto& a = real[pick(rng)];
      const auto& b = real[pick(rng)];
      const auto& c = real[pick(rng)];
      lexical::IndexDoc d;
      d.id = fmt::format("syn{:08}", i);
      d.title = a.title;
      d.abstract = std::string(halves(b.abstract).first) + std::string(halves(c.abstract).second);
      d.authors = c.authors;
      d.categories = a.categories;
      d.day = b.day;
      batch.push_back(std::move(d));
    }
    s.generate_seconds += seconds_since(g0);
    auto t0 = Clock::now();
    need(index->update(batch, {}, 0, analyzer), "scale update");
    s.update_seconds += seconds_since(t0);
    std::fprintf(stderr, "  scale: %zu / %zu indexed\n", end, n);
  }
  batch.clear();
  batch.shrink_to_fit();
  s.segments_before_merge = index->stats().segments;
  auto t0 = Clock::now();
  need(index->merge(1), "scale merge");
  s.merge_seconds = seconds_since(t0);
  s.bytes = dir_bytes(dir);

  auto snapshot = index->snapshot();
  lexical::SearchOptions so;
  so.k = 10;
  so.bm25 = engine::default_bm25();
  so.pin_exact = false;
  double hits = 0;
  s.titles = time_queries(title_queries, [&](size_t i, bool timed) {
    auto parsed = lexical::parse_query(title_queries[i], analyzer);
    auto r = lexical::search(*snapshot, parsed, so, analyzer);
    if (timed) hits += static_cast<double>(r.hits.size());
    return true;
  });
  s.mean_hits = title_queries.empty() ? 0 : hits / static_cast<double>(title_queries.size());
  s.rss_after_kb = peak_rss_kb();
  return s;
}

// ------------------------------------------------------------------------------------------
// Report

std::string ratio(double peer, double ours) {
  if (ours <= 0) return "–";
  return fmt::format("{:.2f}×", peer / ours);
}

struct Report {
  Options opt;
  std::string date, cpu, commit, sqlite_version, xapian_version, loadavg;
  unsigned cores = 0;
  std::string mem, xapian_flush;
  size_t records = 0, papers = 0;
  BuildResult build_pb, build_fts, build_xap;
  std::vector<BuildResult> builds_pb, builds_fts;  // every timed build (the medians above)
  std::uint64_t xapian_raw_bytes = 0;
  std::vector<QuerySetResult> sets;
  std::vector<Quality> quality;
  bool have_scale = false;
  ScaleResult scale;
};

std::string markdown(const Report& r) {
  std::string m;
  auto line = [&](const std::string& s) { m += s + "\n"; };
  line(fmt::format("## Lexical search: paperboy vs SQLite FTS5 vs Xapian — {} — {}", r.date,
                   r.commit));
  line("");
  line(
      fmt::format("Machine: {}, {} cores, {} RAM; load average at start {}. One thread; "
                  "the process is pinned to one core (taskset -c 0).",
                  r.cpu, r.cores, r.mem, r.loadavg));
  line(
      fmt::format("Peers: SQLite {} (FTS5), Xapian {} (glass). Compiler: GCC {}. Allocator, for "
                  "all three engines in the process: {}.",
                  r.sqlite_version, r.xapian_version, __VERSION__, kAllocator));
  line(fmt::format("Command: `{}`", r.opt.command));
  line("");
  line(fmt::format(
      "Corpus: {} ({} records, {} distinct papers). All three engines index the same plain text "
      "(title, abstract, authors; TeX normalised) with positions. paperboy: one "
      "segment via one LexicalIndex::update call. FTS5: contentless table, `porter unicode61 "
      "remove_diacritics 2`, one transaction, then `optimize` (timed separately) and VACUUM. "
      "Xapian: TermGenerator, English stemmer, STEM_SOME, flush threshold {} (a single "
      "in-memory batch measured 2.2× slower to build), one final commit, then compacted (timed "
      "separately; queries use the compacted database).",
      r.opt.corpus, r.records, r.papers, r.xapian_flush));
  line("");
  line(fmt::format(
      "### Build (paperboy and FTS5: {} builds each, taking turns, median kept; Xapian: one "
      "build)",
      r.builds_pb.size()));
  line("");
  line("| engine | index s | papers/s | then | size MB |");
  line("|---|---:|---:|---|---:|");
  auto build_row = [&](const char* name, const BuildResult& b, const std::string& post) {
    line(fmt::format("| {} | {:.2f} | {:.0f} | {} | {:.1f} |", name, b.seconds,
                     static_cast<double>(r.papers) / b.seconds, post, mb(b.bytes)));
  };
  build_row("paperboy", r.build_pb, "–");
  build_row("SQLite FTS5", r.build_fts,
            fmt::format(
                "optimize {:.2f} s (papers/s incl. optimize: {:.0f})", r.build_fts.post_seconds,
                static_cast<double>(r.papers) / (r.build_fts.seconds + r.build_fts.post_seconds)));
  build_row("Xapian", r.build_xap,
            fmt::format("compact {:.2f} s (size before compact {:.1f} MB)",
                        r.build_xap.post_seconds, mb(r.xapian_raw_bytes)));
  line("");
  auto seconds = [](const std::vector<BuildResult>& v, bool post) {
    std::string out;
    for (const auto& b : v) out += fmt::format(" {:.2f}", post ? b.post_seconds : b.seconds);
    return out;
  };
  line(fmt::format("Every build, s: paperboy{}; FTS5{} (optimize{}).", seconds(r.builds_pb, false),
                   seconds(r.builds_fts, false), seconds(r.builds_fts, true)));
  line("");
  line(
      "### Query latency (ms; top 10, OR of the query's words; one warm-up pass per engine, "
      "then three timed passes per engine in rotating order, each query's median kept)");
  line("");
  line("| query set | stat | paperboy | FTS5 | Xapian | FTS5/paperboy | Xapian/paperboy |");
  line("|---|---|---:|---:|---:|---:|---:|");
  for (const auto& s : r.sets) {
    auto row = [&](const char* stat, double a, double f, double x) {
      line(fmt::format("| {} ({}) | {} | {:.3f} | {:.3f} | {:.3f} | {} | {} |", s.name, s.count,
                       stat, a, f, x, ratio(f, a), ratio(x, a)));
    };
    row("p50", s.paperboy.p50, s.fts5.p50, s.xapian.p50);
    row("p99", s.paperboy.p99, s.fts5.p99, s.xapian.p99);
    row("mean", s.paperboy.mean, s.fts5.mean, s.xapian.mean);
  }
  line("");
  for (const auto& s : r.sets) {
    line(
        fmt::format("- {}: overlap@10 with paperboy: FTS5 {:.2f}, Xapian {:.2f}; mean hits "
                    "paperboy {:.1f}, FTS5 {:.1f}, Xapian {:.1f}; query errors FTS5 {}, "
                    "Xapian {}.",
                    s.name, s.overlap_fts5, s.overlap_xapian, s.mean_hits_paperboy,
                    s.mean_hits_fts5, s.mean_hits_xapian, s.fts5.errors, s.xapian.errors));
  }
  line("");
  line("### SciFact test (300 claims, top 100; each engine with its own BM25)");
  line("");
  line("| engine | nDCG@10 | Recall@100 |");
  line("|---|---:|---:|");
  for (const auto& q : r.quality)
    line(fmt::format("| {} | {:.4f} | {:.4f} |", q.engine, q.m.ndcg10, q.m.recall100));
  line("");
  line(
      "paperboy's k1, b and title weight were tuned on the SciFact training split "
      "(bench/tune_bm25.sh); the "
      "peers run their defaults.");
  return m;
}

// The scale run's section (--scale), a separate process from the race.
std::string scale_markdown(const Report& r) {
  std::string m;
  auto line = [&](const std::string& s) { m += s + "\n"; };
  const auto& s = r.scale;
  line(fmt::format("### Scale: paperboy on {} synthetic papers", s.docs));
  line("");
  line(
      "Real titles with abstracts recombined from halves of two real abstracts (fixed seed, "
      "unique ids); indexed in segments of 200,000 documents (one update() each), then "
      "merge(1). Title queries: the same sampled titles as above.");
  line("");
  line(
      "| papers | update s | merge s | total s | papers/s | size MB | peak RSS MB (before → "
      "after) | title p50 ms | title p99 ms | title mean ms |");
  line("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
  double total = s.update_seconds + s.merge_seconds;
  line(fmt::format(
      "| {} | {:.1f} | {:.1f} | {:.1f} | {:.0f} | {:.1f} | {:.0f} → {:.0f} | {:.3f} "
      "| {:.3f} | {:.3f} |",
      s.docs, s.update_seconds, s.merge_seconds, total, static_cast<double>(s.docs) / total,
      mb(s.bytes), static_cast<double>(s.rss_before_kb) / 1024.0,
      static_cast<double>(s.rss_after_kb) / 1024.0, s.titles.p50, s.titles.p99, s.titles.mean));
  line("");
  line(fmt::format(
      "{} segments before the merge; generating the documents ({:.1f} s) is not "
      "timed. Peak RSS is the process's (getrusage), which holds the {} real "
      "papers throughout; the scale run has a process of its own (bench/lexical.sh runs it "
      "after the race), so neither measurement inherits the other's heap.",
      s.segments_before_merge, s.generate_seconds, r.papers));
  return m;
}

void print_summary(const Report& r) {
  if (r.have_scale) {
    const auto& s = r.scale;
    std::printf(
        "\nscale: %zu papers, update %.1f s + merge %.1f s = %.0f papers/s, %.1f MB, peak "
        "RSS %ld MB, titles p50 %.3f ms p99 %.3f ms\n",
        s.docs, s.update_seconds, s.merge_seconds,
        static_cast<double>(s.docs) / (s.update_seconds + s.merge_seconds), mb(s.bytes),
        s.rss_after_kb / 1024, s.titles.p50, s.titles.p99);
    return;
  }
  std::printf("\n%-12s %10s %10s %10s %10s\n", "build", "seconds", "papers/s", "post s", "size MB");
  auto b = [&](const char* n, const BuildResult& x) {
    std::printf("%-12s %10.2f %10.0f %10.2f %10.1f\n", n, x.seconds,
                static_cast<double>(r.papers) / x.seconds, x.post_seconds, mb(x.bytes));
  };
  b("paperboy", r.build_pb);
  b("FTS5", r.build_fts);
  b("Xapian", r.build_xap);
  for (const auto& s : r.sets) {
    std::printf("\n%-22s %10s %10s %10s %8s %8s\n", s.name.c_str(), "paperboy", "FTS5", "Xapian",
                "F/pb", "X/pb");
    auto row = [&](const char* st, double a, double f, double x) {
      std::printf("  %-20s %10.3f %10.3f %10.3f %7.2fx %7.2fx\n", st, a, f, x, f / a, x / a);
    };
    row("p50 ms", s.paperboy.p50, s.fts5.p50, s.xapian.p50);
    row("p99 ms", s.paperboy.p99, s.fts5.p99, s.xapian.p99);
    row("mean ms", s.paperboy.mean, s.fts5.mean, s.xapian.mean);
    std::printf("  overlap@10 vs paperboy: FTS5 %.2f, Xapian %.2f (errors FTS5 %zu, Xapian %zu)\n",
                s.overlap_fts5, s.overlap_xapian, s.fts5.errors, s.xapian.errors);
  }
  std::printf("\n%-45s %9s %11s\n", "SciFact test", "nDCG@10", "Recall@100");
  for (const auto& q : r.quality)
    std::printf("%-45s %9.4f %11.4f\n", q.engine.c_str(), q.m.ndcg10, q.m.recall100);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Report r;
  r.opt = parse_args(argc, argv);
  if (!r.opt.lockstep_in.empty()) {
    // Read-write opens: a FIFO open for reading alone would wait for a writer.
    g_lockstep.in = ::open(r.opt.lockstep_in.c_str(), O_RDWR);
    g_lockstep.out = ::open(r.opt.lockstep_out.c_str(), O_RDWR);
    if (g_lockstep.in < 0 || g_lockstep.out < 0) die("lockstep: cannot open the FIFOs");
    g_lockstep.start = r.opt.lockstep_start;
    g_lockstep.rounds = r.opt.lockstep_rounds;
  }
  const fs::path work = r.opt.out_dir;
  fs::create_directories(work);
  r.date = utc_now();
  r.cpu = proc_value("/proc/cpuinfo", "model name");
  r.cores = std::thread::hardware_concurrency();
  r.mem = fmt::format(
      "{:.0f} GB",
      std::strtod(proc_value("/proc/meminfo", "MemTotal").c_str(), nullptr) / (1024.0 * 1024.0));
  const char* flush = std::getenv("XAPIAN_FLUSH_THRESHOLD");
  r.xapian_flush = flush ? std::string(flush) : "10000 (Xapian's default)";
  r.loadavg = first_line_of("cut -d' ' -f1-3 /proc/loadavg");
  r.commit = first_line_of("git describe --always --dirty 2>/dev/null");
  if (r.commit.empty()) r.commit = "unknown";
  r.sqlite_version = sqlite3_libversion();
  r.xapian_version = Xapian::version_string();

  std::fprintf(stderr, "loading %s\n", r.opt.corpus.c_str());
  auto docs = load_papers(r.opt.corpus, r.records);
  r.papers = docs.size();
  if (docs.empty()) die("empty corpus");
  std::fprintf(stderr, "  %zu records, %zu papers\n", r.records, r.papers);

  // Title queries: a fixed-seed sample of distinct papers.
  std::vector<size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(42);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::string> titles;
  for (size_t i = 0; i < order.size() && titles.size() < r.opt.queries; ++i)
    if (!docs[order[i]].title.empty()) titles.push_back(strip_query_syntax(docs[order[i]].title));
  auto claims_raw =
      need(eval::load_queries(r.opt.scifact + "/queries.test.jsonl"), "scifact queries");
  std::vector<std::string> claims;
  for (const auto& q : claims_raw) claims.push_back(strip_query_syntax(q.text));

  // --scale N is a run of its own: paperboy alone on N synthetic papers, in this process
  // only, so that its peak RSS is its own and the race never runs in the heap it leaves
  // (the race's paperboy build was ~15% slower after it in the same process).
  if (r.opt.scale > 0) {
    std::fprintf(stderr, "scale run: %zu synthetic papers\n", r.opt.scale);
    r.scale = scale_run(docs, r.opt.scale, titles, work / "scale-paperboy");
    r.have_scale = true;
    print_summary(r);
    std::ofstream out(work / "scale.md");
    out << scale_markdown(r);
    if (!out) die("cannot write " + (work / "scale.md").string());
    std::printf("\nwrote %s\n", (work / "scale.md").c_str());
    return 0;
  }

  if (r.opt.paperboy_only) {
    // Development mode: paperboy's build and query numbers alone, printed, nothing written.
    Paperboy pb;
    {
      rusage ru{};
      getrusage(RUSAGE_SELF, &ru);
      std::fprintf(stderr, "before build: minor faults %ld, peak RSS %ld MB\n", ru.ru_minflt,
                   ru.ru_maxrss / 1024);
    }
    // With --build-rounds N the build is repeated (in a lockstep A/B, one build a turn); the
    // first is reported as the race would, then every round's seconds.
    BuildResult b;
    std::string rounds;
    auto cpu = [](const timeval& from, const timeval& to) {
      return static_cast<double>(to.tv_sec - from.tv_sec) + (to.tv_usec - from.tv_usec) * 1e-6;
    };
    for (size_t round = 0; round < r.opt.build_rounds; ++round) {
      lockstep_wait();
      rusage before{}, after{};
      getrusage(RUSAGE_SELF, &before);
      std::fprintf(stderr, "build from %.6f\n", monotonic_seconds());
      auto one = pb.build(docs, work / "paperboy");
      std::fprintf(stderr, "build to %.6f\n", monotonic_seconds());
      getrusage(RUSAGE_SELF, &after);
      lockstep_pass();
      std::fprintf(stderr, "build round %zu: %.3f s, user %.3f s, sys %.3f s, minor faults %ld\n",
                   round, one.seconds, cpu(before.ru_utime, after.ru_utime),
                   cpu(before.ru_stime, after.ru_stime), after.ru_minflt - before.ru_minflt);
      if (round == 0) b = one;
      rounds += fmt::format(" {:.3f}", one.seconds);
    }
    {
      rusage ru{};
      getrusage(RUSAGE_SELF, &ru);
      std::fprintf(stderr, "after build: minor faults %ld, peak RSS %ld MB\n", ru.ru_minflt,
                   ru.ru_maxrss / 1024);
    }
    std::printf("build %.3f s, %.0f papers/s, %.1f MB\n", b.seconds,
                static_cast<double>(docs.size()) / b.seconds, static_cast<double>(b.bytes) / 1e6);
    if (r.opt.build_rounds > 1) std::printf("build rounds (s):%s\n", rounds.c_str());
    for (const auto* set : {&titles, &claims}) {
      std::fprintf(stderr, "%s from %.6f\n", set == &titles ? "titles" : "claims",
                   monotonic_seconds());
      auto l = time_queries(*set, [&](size_t i, bool) {
        pb.query((*set)[i], 10);
        return true;
      });
      std::fprintf(stderr, "%s to %.6f\n", set == &titles ? "titles" : "claims",
                   monotonic_seconds());
      std::printf("%s: p50 %.4f ms, p99 %.4f ms, mean %.4f ms\n",
                  set == &titles ? "titles" : "claims", l.p50, l.p99, l.mean);
    }
    return 0;
  }

  auto peers = peer_docs(docs);
  Paperboy pb;
  Fts5 fts;
  XapianEngine xap;
  // A single build falls wherever this shared host's slow phases fall (±15% from one minute
  // to the next), so paperboy and FTS5 build kBuildRounds times, taking turns in alternating
  // order, and each keeps its median; Xapian (~160 s a build) builds once.
  for (size_t round = 0; round < kBuildRounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      if ((round + k) % 2 == 0) {
        std::fprintf(stderr, "building paperboy (%zu)\n", round + 1);
        r.builds_pb.push_back(pb.build(docs, work / "paperboy"));
      } else {
        std::fprintf(stderr, "building FTS5 (%zu)\n", round + 1);
        r.builds_fts.push_back(fts.build(peers, work / "fts5.db"));
      }
    }
  }
  r.build_pb = median_build(r.builds_pb);
  r.build_fts = median_build(r.builds_fts);
  std::fprintf(stderr, "building Xapian\n");
  r.build_xap = xap.build(peers, work / "xapian");
  r.xapian_raw_bytes = xap.raw_bytes();

  std::fprintf(stderr, "querying\n");
  r.sets.push_back(race("arXiv titles", titles, pb, fts, xap));
  r.sets.push_back(race("SciFact claims", claims, pb, fts, xap));

  std::fprintf(stderr, "SciFact quality\n");
  r.quality = scifact_quality(r.opt.scifact, work);

  print_summary(r);
  auto md = markdown(r);
  std::ofstream out(work / "lexical.md");
  out << md;
  if (!out) die("cannot write " + (work / "lexical.md").string());
  std::printf("\nwrote %s\n", (work / "lexical.md").c_str());
  return 0;
}
