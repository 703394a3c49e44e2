// paperboy command line: the only place that wires concrete adapters (SQLite store, curl
// HTTP client) to the use cases, and the only place that maps errors to exit codes.

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#ifdef PB_WITH_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/train_embedder.hpp"
#include "core/arxiv_id.hpp"
#include "core/dates.hpp"
#include "engine/beir_eval.hpp"
#include "engine/lexical_search.hpp"
#include "engine/recommend.hpp"
#include "engine/vectors.hpp"
#include "eval/beir.hpp"
#include "eval/metrics.hpp"
#include "ingest/harvester.hpp"
#include "ingest/http_client.hpp"
#include "ingest/ingester.hpp"
#include "ingest/paper_json.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "store/store.hpp"
#include "text/analyzer.hpp"
#include "text/tex.hpp"

namespace pb::cli {
namespace {

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

std::string summary_line(const ingest::IngestCounts& c) {
  std::string s =
      fmt::format("{} records: {} added, {} updated, {} unchanged, {} skipped",
                  format_count(c.records), format_count(c.added), format_count(c.updated),
                  format_count(c.unchanged), format_count(c.skipped));
  if (c.ignored) s += fmt::format(", {} ignored (deleted)", format_count(c.ignored));
  if (c.repaired_utf8)
    s += fmt::format(", {} with invalid UTF-8 repaired", format_count(c.repaired_utf8));
  return s;
}

// Prints the first few skip reports in full, then only counts them.
class SkipReporter {
 public:
  explicit SkipReporter(size_t limit) : limit_(limit) {}
  void operator()(const std::string& msg) {
    if (++count_ <= limit_) fmt::print(stderr, "paperboy: skipped {}\n", msg);
  }
  void finish() {
    if (count_ > limit_)
      fmt::print(stderr, "paperboy: ... and {} more skipped records\n", count_ - limit_);
    count_ = 0;
  }

 private:
  size_t limit_;
  size_t count_ = 0;
};

int refresh(const Globals& g, Store& store, bool rebuild, bool merge_all);

int cmd_ingest(const Globals& g, const std::vector<std::string>& files,
               const std::string& format_name, bool update_index) {
  std::optional<ingest::Format> format;
  if (!format_name.empty() && format_name != "auto") {
    format = ingest::parse_format_name(format_name);
    if (!format) {
      fmt::print(stderr, "paperboy: unknown format '{}'\n", format_name);
      return kUsage;
    }
  }
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());

  int status = kOk;
  ingest::IngestCounts total;
  auto t0 = std::chrono::steady_clock::now();
  SkipReporter skips(20);
  for (const auto& file : files) {
    Progress progress("ingest", stderr_is_tty() && !g.quiet);
    ingest::IngestOptions opts;
    opts.format = format;
    opts.on_skip = std::ref(skips);
    opts.on_progress = [&](const ingest::RecordReader& r, const ingest::IngestCounts& c) {
      progress.update(r.input().position(), r.input().size(), c.records, "papers");
    };
    auto f0 = std::chrono::steady_clock::now();
    auto counts = ingest::ingest_file(**store, file, opts);
    progress.finish();
    skips.finish();
    if (!counts.ok()) {
      fmt::print(stderr, "paperboy: {}\n", counts.error().message());
      int code = exit_for(counts.error());
      if (status == kOk || status == kPartial) status = code;
      continue;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
    if (!g.quiet)
      fmt::print("{}: {} in {:.1f} s ({}/s)\n", file, summary_line(*counts), secs,
                 format_count(static_cast<std::uint64_t>(static_cast<double>(counts->records) /
                                                         std::max(secs, 1e-9))));
    if (counts->skipped > 0 && status == kOk) status = kPartial;
    total += *counts;
  }
  if (files.size() > 1 && !g.quiet) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("total: {} in {:.1f} s\n", summary_line(total), secs);
  }
  if (!g.quiet) {
    if (auto n = (*store)->count(); n.ok()) fmt::print("papers: {}\n", *n);
  }
  // Keep the search index current with what was just stored.
  if (update_index && (status == kOk || status == kPartial)) {
    int rc = refresh(g, **store, false, false);
    if (rc != kOk) return rc;
  }
  return status;
}

int cmd_stats(const Globals& g, bool json, size_t top) {
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto st = (*store)->stats();
  if (!st.ok()) return fail(st.error());
  if (json) {
    nlohmann::ordered_json j;
    j["papers"] = st->papers;
    j["versions"] = st->versions;
    j["signals"] = st->signals;
    j["daily_listings"] = st->daily_listings;
    j["by_category"] = nlohmann::ordered_json::object();
    for (const auto& c : st->by_category)
      j["by_category"][c.key.empty() ? "unknown" : c.key] = c.count;
    j["by_month"] = nlohmann::ordered_json::object();
    for (const auto& c : st->by_month) j["by_month"][c.key.empty() ? "unknown" : c.key] = c.count;
    fmt::print("{}\n", j.dump(2));
    return kOk;
  }
  fmt::print("papers: {}\n", st->papers);
  fmt::print("versions: {}\nsignals: {}\ndaily listings: {}\n", st->versions, st->signals,
             st->daily_listings);
  fmt::print("\nby primary category (top {} of {}):\n", std::min(top, st->by_category.size()),
             st->by_category.size());
  for (size_t i = 0; i < st->by_category.size() && i < top; ++i)
    fmt::print("  {:<20} {:>10}\n",
               st->by_category[i].key.empty() ? "(unknown)" : st->by_category[i].key,
               format_count(static_cast<std::uint64_t>(st->by_category[i].count)));
  fmt::print("\nby month (announced, else submitted):\n");
  for (const auto& m : st->by_month)
    fmt::print("  {:<20} {:>10}\n", m.key.empty() ? "(unknown)" : m.key,
               format_count(static_cast<std::uint64_t>(m.count)));
  return kOk;
}

int cmd_show(const Globals& g, const std::string& raw_id, bool json) {
  auto id = ArxivId::parse(raw_id);
  if (!id) {
    fmt::print(stderr, "paperboy: '{}' is not an arXiv id\n", raw_id);
    return kUsage;
  }
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto p = (*store)->get(id->id);
  if (!p.ok()) return fail(p.error());
  if (!*p) {
    fmt::print(stderr, "paperboy: paper {} is not in the store\n", id->id);
    return kNotFound;
  }
  const Paper& paper = **p;
  if (json) {
    fmt::print("{}\n", ingest::paper_to_json(paper));
    return kOk;
  }
  auto line = [](std::string_view k, const std::string& v) {
    if (!v.empty()) fmt::print("{:<12} {}\n", k, v);
  };
  line("id", paper.version ? fmt::format("{} (v{})", paper.id, paper.version) : paper.id);
  line("title", text::tex_to_text(paper.title));
  if (text::tex_to_text(paper.title) != paper.title) line("title (TeX)", paper.title);
  std::string authors;
  for (const auto& a : paper.authors) authors += (authors.empty() ? "" : ", ") + a;
  line("authors", authors);
  std::string cats;
  for (const auto& c : paper.categories) cats += (cats.empty() ? "" : " ") + c;
  line("categories", cats);
  line("submitted", paper.submitted);
  line("updated", paper.updated);
  line("announced", paper.announced);
  line("comments", paper.comments);
  line("journal-ref", paper.journal_ref);
  line("doi", paper.doi);
  line("code", paper.code_url);
  line("project", paper.project_url);
  line("abs", "https://arxiv.org/abs/" + paper.id);
  line("pdf", "https://arxiv.org/pdf/" + paper.id);
  for (const auto& v : paper.versions)
    line(fmt::format("v{}", v.version), v.created.empty() ? "(date unknown)" : v.created);
  for (const auto& s : paper.signals)
    line(s.kind, fmt::format("{} ({}, observed {})", s.value, s.source, s.observed_at));
  for (const auto& d : paper.daily) line("daily", fmt::format("{} ({})", d.day, d.source));
  if (!paper.abstract.empty()) fmt::print("\n{}\n", text::tex_to_text(paper.abstract));
  return kOk;
}

int cmd_export(const Globals& g, const std::string& format, const std::string& out_path) {
  if (format != "jsonl") {
    fmt::print(stderr, "paperboy: unsupported export format '{}' (supported: jsonl)\n", format);
    return kUsage;
  }
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  std::ofstream file;
  std::ostream* out = &std::cout;
  std::string tmp;
  if (!out_path.empty() && out_path != "-") {
    // Write beside the target and rename, so a failed export never leaves half a file.
    tmp = out_path + ".tmp";
    file.open(tmp, std::ios::binary | std::ios::trunc);
    if (!file) {
      fmt::print(stderr, "paperboy: cannot write {}\n", out_path);
      return kBadInput;
    }
    out = &file;
  }
  std::uint64_t n = 0;
  auto st = (*store)->scan([&](const Paper& p) {
    *out << ingest::paper_to_json(p) << '\n';
    ++n;
    return static_cast<bool>(*out);
  });
  if (!st.ok()) return fail(st.error());
  out->flush();
  if (!*out) {
    fmt::print(stderr, "paperboy: write failed\n");
    return kFailure;
  }
  if (!tmp.empty()) {
    file.close();
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
      fmt::print(stderr, "paperboy: cannot write {}\n", out_path);
      return kFailure;
    }
  }
  if (!g.quiet) fmt::print(stderr, "exported {} papers\n", format_count(n));
  return kOk;
}

struct HarvestArgs {
  std::string source = "arxiv";
  std::string set;
  std::string from, until;
  std::string endpoint = "https://oaipmh.arxiv.org/oai";
  std::string prefix = "arXiv";
  double delay = 3.0;
  int retries = 5;
  bool restart = false;
};

int cmd_harvest(const Globals& g, const HarvestArgs& a) {
  if (a.source != "arxiv") {
    fmt::print(stderr, "paperboy: unknown harvest source '{}' (supported: arxiv)\n", a.source);
    return kUsage;
  }
  for (const auto* d : {&a.from, &a.until})
    if (!d->empty() && !dates::valid_day(*d)) {
      fmt::print(stderr, "paperboy: '{}' is not a date (YYYY-MM-DD)\n", *d);
      return kUsage;
    }
  if (a.prefix != "arXiv" && a.prefix != "arXivRaw") {
    fmt::print(stderr, "paperboy: --metadata-prefix must be arXiv or arXivRaw\n");
    return kUsage;
  }
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto http = ingest::make_curl_http_client(ingest::default_user_agent());
  ingest::HarvestOptions opts;
  opts.endpoint = a.endpoint;
  opts.set = a.set;
  opts.from = a.from;
  opts.until = a.until;
  opts.metadata_prefix = a.prefix;
  opts.delay = std::chrono::milliseconds(static_cast<std::int64_t>(a.delay * 1000));
  opts.max_retries = a.retries;
  opts.restart = a.restart;
  Progress progress("harvest", stderr_is_tty() && !g.quiet);
  SkipReporter skips(20);
  opts.on_skip = std::ref(skips);
  opts.on_info = [&](const std::string& m) {
    progress.finish();
    if (!g.quiet) fmt::print(stderr, "paperboy: {}\n", m);
  };
  opts.on_progress = [&](const ingest::HarvestProgress& p) {
    std::uint64_t total =
        p.complete_list_size ? static_cast<std::uint64_t>(*p.complete_list_size) : 0;
    progress.update(static_cast<std::uint64_t>(p.records), total,
                    static_cast<std::uint64_t>(p.records), "records");
    if (!stderr_is_tty() && !g.quiet)
      fmt::print(stderr, "harvest: page {} done, {} records\n", p.pages, p.records);
  };
  auto t0 = std::chrono::steady_clock::now();
  auto summary = ingest::harvest(**store, *http, opts);
  progress.finish();
  skips.finish();
  if (!summary.ok()) {
    fmt::print(stderr, "paperboy: harvest stopped: {} (run the same command again to resume)\n",
               summary.error().message());
    return exit_for(summary.error()) == kBadInput ? kNetwork : exit_for(summary.error());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!g.quiet) {
    fmt::print("harvest{}: {} pages, {} in {:.1f} s; complete up to {}\n",
               summary->resumed ? " (resumed)" : "", summary->pages, summary_line(summary->counts),
               secs, summary->completed_until.empty() ? "?" : summary->completed_until);
    if (auto n = (*store)->count(); n.ok()) fmt::print("papers: {}\n", *n);
  }
  return summary->counts.skipped > 0 ? kPartial : kOk;
}

// Options shared by the commands that embed or fuse.
struct SemanticArgs {
  std::string mode = "lexical";  // search / eval
  std::string model;             // model directory (default: the one the vectors came from)
  bool int8 = false;
  std::string fusion;           // rrf or score; empty: the model's paperboy.json, else rrf
  double semantic_weight = -1;  // < 0: the model's paperboy.json "hybrid_weight", else 1
  size_t depth = 100;
  unsigned threads = 0;
};

// --mode; an empty one is kAuto only where `allow_auto` (search, not eval).
Result<engine::SearchMode> parse_mode(const std::string& m, bool allow_auto) {
  auto mode = engine::parse_mode(m);
  if (mode.ok() && (allow_auto || *mode != engine::SearchMode::kAuto)) return mode;
  return Error::invalid_input(
      fmt::format("--mode must be lexical, semantic or hybrid, not '{}'", m));
}

Result<std::unique_ptr<embed::Embedder>> load_embedder(const std::string& dir, bool int8) {
  embed::LoadOptions lo;
  lo.precision = int8 ? embed::Precision::kInt8 : embed::Precision::kFloat32;
  return embed::load_model(dir, lo);
}

engine::SemanticSettings settings_of(const SemanticArgs& a) {
  engine::SemanticSettings s;
  s.model = a.model;
  s.int8 = a.int8;
  s.fusion = a.fusion;
  s.semantic_weight = a.semantic_weight;
  s.depth = a.depth;
  return s;
}

Result<engine::HybridOptions> hybrid_options(const SemanticArgs& a, const std::string& model_dir) {
  return engine::hybrid_options(settings_of(a), model_dir);
}

using Semantic = engine::LoadedSemantic;

Result<Semantic> open_semantic(const Globals& g, const SemanticArgs& a, bool need_model) {
  return engine::open_semantic(vectors_dir(g), settings_of(a), need_model);
}

int cmd_embed(const Globals& g, const SemanticArgs& given, size_t batch) {
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  SemanticArgs a = given;
  if (a.model.empty()) {  // catch the active set up with the model that made it
    auto active = engine::VectorSet::open_active(vectors_dir(g));
    if (!active.ok()) return fail(active.error());
    if (!*active) {
      fmt::print(stderr, "paperboy: nothing is embedded yet: give --model DIR\n");
      return kUsage;
    }
    a.model = (*active)->info().model_dir;
    a.int8 = a.int8 || (*active)->info().precision == "int8";
  }
  auto model = load_embedder(a.model, a.int8);
  if (!model.ok()) return fail(model.error());
  if (!g.quiet) fmt::print(stderr, "model: {}\n", (*model)->describe());
  Progress progress("embed", stderr_is_tty() && !g.quiet);
  engine::EmbedRunOptions opts;
  opts.batch = batch;
  opts.threads = a.threads;
  opts.model_dir = a.model;
  opts.precision = a.int8 ? "int8" : "fp32";
  opts.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    progress.update(done, total, done, "papers");
  };
  auto t0 = std::chrono::steady_clock::now();
  auto summary = engine::embed_store(**store, vectors_dir(g), **model, opts);
  progress.finish();
  if (!summary.ok()) return fail(summary.error());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!g.quiet)
    fmt::print("embed: {} papers embedded in {:.1f} s; {} vectors of {}{}\n",
               format_count(summary->embedded), secs, format_count(summary->vectors),
               summary->model_id, summary->switched ? " (now active)" : "");
  return kOk;
}

// Brings the lexical index up to date with the store, with a progress bar.
int refresh(const Globals& g, Store& store, bool rebuild, bool merge_all) {
  auto index = lexical::LexicalIndex::open(lexical_dir(g));
  if (!index.ok() && (index.error().code() == ErrorCode::kCorrupt ||
                      index.error().code() == ErrorCode::kUnsupported)) {
    // The index is derived from the store: an unreadable or older-format one is rebuilt.
    fmt::print(stderr, "paperboy: {}; rebuilding the index from the store\n",
               index.error().message());
    std::error_code ec;
    std::filesystem::remove_all(lexical_dir(g), ec);
    rebuild = true;
    index = lexical::LexicalIndex::open(lexical_dir(g));
  }
  if (!index.ok()) return fail(index.error());
  Progress progress("index", stderr_is_tty() && !g.quiet);
  engine::RefreshOptions opts;
  opts.rebuild = rebuild;
  opts.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    progress.update(done, total, done, "papers");
  };
  auto t0 = std::chrono::steady_clock::now();
  auto summary = engine::refresh_index(store, **index, opts);
  progress.finish();
  if (!summary.ok()) return fail(summary.error());
  if (merge_all) {
    if (auto st = (*index)->merge(1); !st.ok()) return fail(st.error());
    summary->stats = (*index)->stats();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!g.quiet)
    fmt::print("index: {} papers indexed in {:.1f} s; {} documents in {} segments, {:.1f} MB\n",
               format_count(summary->indexed), secs, format_count(summary->stats.docs),
               summary->stats.segments, static_cast<double>(summary->stats.bytes) / 1e6);
  return kOk;
}

int cmd_index(const Globals& g, bool rebuild, bool merge_all) {
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  return refresh(g, **store, rebuild, merge_all);
}

volatile std::sig_atomic_t g_stop_signal = 0;

// Serves until SIGTERM or SIGINT; then the listener closes and requests in flight finish.
int cmd_serve(const Globals& g, server::ServeOptions o, const SemanticArgs& sa) {
#ifdef PB_WITH_TCMALLOC
  // Many request threads allocate and free at once: with tcmalloc's default 32 MB for all
  // thread caches they keep returning memory to the shared lists (measured: 30% of the time
  // in its locks, and throughput falling as caches thrash). 256 MB keeps them local.
  MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes",
                                                  256u << 20);
#endif
  o.data_dir = g.data_dir;
  o.semantic = settings_of(sa);
  if (g.quiet) o.log = [](const std::string&) {};
  // A signal only raises a flag (any thread may receive it: libraries start threads of their
  // own before main); a watcher thread turns the flag into stop().
  struct sigaction action {};
  action.sa_handler = [](int sig) { g_stop_signal = sig; };
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  const std::string bind = o.bind;
  auto srv = server::Server::open(std::move(o));
  if (!srv.ok()) return fail(srv.error());
  auto port = (*srv)->bind();
  if (!port.ok()) return fail(port.error());
  fmt::print("paperboy: serving {} on http://{}:{}/\n", g.data_dir, bind, *port);
  std::fflush(stdout);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (g_stop_signal != 0) {
        if (!g.quiet) fmt::print(stderr, "paperboy: stopping (finishing requests in flight)\n");
        (*srv)->stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  Status st = (*srv)->run();
  done = true;
  watcher.join();
  if (!st.ok()) return fail(st.error());
  return kOk;
}

int print_results(const engine::SearchResults& res, size_t offset, bool json);

int cmd_search(const Globals& g, const std::string& query, size_t k, size_t offset,
               const std::string& sort, bool json, bool prf, const SemanticArgs& sa) {
  // No --mode: hybrid where the active vectors' model prefers it, else lexical.
  Result<engine::SearchMode> mode = parse_mode(sa.mode, true);
  if (!mode.ok()) {
    fmt::print(stderr, "paperboy: {}\n", mode.error().message());
    return kUsage;
  }
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto index = open_index(g);
  if (!index.ok()) return fail(index.error());
  // Searching never writes; say so when papers are waiting to be indexed.
  auto seq = (*store)->max_seq();
  if (seq.ok() && *seq > (*index)->snapshot()->store_seq && !json && !g.quiet)
    fmt::print(stderr, "note: some papers are not indexed yet; run `paperboy index`\n");
  engine::SearchRequest req;
  req.query = query;
  req.k = k;
  req.offset = offset;
  req.prf = prf;
  req.mode = *mode;
  Semantic semantic;
  if (*mode == engine::SearchMode::kAuto) {
    // The model is loaded only when its paperboy.json prefers hybrid; a model that fails to
    // load degrades the default to lexical search (an explicit --mode fails instead).
    auto s = open_semantic(g, sa, false);
    if (s.ok() && s->vectors && !s->hybrid.prefer_hybrid) {
      const std::string dir = !sa.model.empty() ? sa.model : s->vectors->info().model_dir;
      std::error_code ec;
      if (!std::filesystem::exists(std::filesystem::path(dir) / "config.json", ec) && !g.quiet)
        fmt::print(stderr, "note: the embedding model {} is missing: answered lexically\n", dir);
    }
    Status loaded = s.ok() ? Status() : Status(s.error());
    if (s.ok() && s->hybrid.prefer_hybrid)
      loaded = engine::load_semantic_model(*s, settings_of(sa));
    if (loaded.ok() && s->model) {
      semantic = std::move(*s);
      req.hybrid = semantic.hybrid;
    } else if (!loaded.ok() && !g.quiet) {
      fmt::print(stderr, "note: {}: answered lexically\n", loaded.error().message());
    }
  } else if (*mode != engine::SearchMode::kLexical) {
    auto s = open_semantic(g, sa, true);
    if (!s.ok()) return fail(s.error());
    semantic = std::move(*s);
    req.hybrid = semantic.hybrid;
  }
  if (sort == "date") {
    req.sort = lexical::SortOrder::kDate;
  } else if (sort != "relevance") {
    fmt::print(stderr, "paperboy: --sort must be relevance or date\n");
    return kUsage;
  }
  text::Analyzer analyzer;
  auto snap = (*index)->snapshot();
  auto res =
      engine::search(**store, *snap, req, analyzer, {semantic.vectors.get(), semantic.model.get()});
  if (!res.ok()) return fail(res.error());
  return print_results(*res, offset, json);
}

int cmd_similar(const Globals& g, const std::string& id, size_t k, bool json,
                const SemanticArgs& sa) {
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto index = open_index(g);
  if (!index.ok()) return fail(index.error());
  text::Analyzer analyzer;
  auto snap = (*index)->snapshot();
  // The paper's stored vector is the query: no model needed.
  auto semantic = open_semantic(g, sa, false);
  if (!semantic.ok()) return fail(semantic.error());
  auto res =
      engine::similar(**store, *snap, id, k, analyzer, semantic->vectors.get(), semantic->hybrid);
  if (!res.ok()) return fail(res.error());
  return print_results(*res, 0, json);
}

struct RecommendArgs {
  std::string user;
  size_t k = 10;
  bool json = false;
  std::string query;
  size_t days = 7;
  std::vector<std::string> dismiss;
  double embedding_weight = engine::RecommendOptions{}.embedding_weight;
};

int cmd_recommend(const Globals& g, const RecommendArgs& a) {
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto user = (*store)->find_user(a.user);
  if (!user.ok()) return fail(user.error());
  if (!*user) {
    fmt::print(stderr, "paperboy: no user {}\n", a.user);
    return kNotFound;
  }
  for (const auto& raw : a.dismiss) {
    auto id = ArxivId::parse(raw);
    if (!id) {
      fmt::print(stderr, "paperboy: not an arXiv id: {}\n", raw);
      return kUsage;
    }
    auto st = (*store)->set_not_interested((*user)->id, id->id, true, std::time(nullptr));
    if (!st.ok()) return fail(st.error());
  }
  auto index = open_index(g);
  if (!index.ok()) return fail(index.error());
  engine::RecommendOptions o;
  o.k = a.k;
  o.query = a.query;
  o.candidate_days = a.days;
  o.embedding_weight = a.embedding_weight;
  // Embedding features from the active vector set, when there is one.
  auto vectors = open_active_vectors(g);
  if (!vectors.ok()) return fail(vectors.error());
  o.vectors = vectors->get();
  text::Analyzer analyzer;
  auto snap = (*index)->snapshot();
  auto res = engine::recommend(**store, *snap, (*user)->id, o, analyzer);
  if (!res.ok()) return fail(res.error());
  for (const auto& n : res->notes) fmt::print(stderr, "note: {}\n", n);
  auto date_of = [](const Paper& p) {
    return !p.announced.empty() ? p.announced : dates::day_of(p.submitted);
  };
  if (a.json) {
    nlohmann::ordered_json out;
    out["user"] = (*user)->name;
    out["basis"] = res->basis;
    out["positives"] = res->positives;
    out["negatives"] = res->negatives;
    out["candidates"] = res->candidates;
    out["train_ms"] = res->train_ms;
    out["items"] = nlohmann::ordered_json::array();
    for (const auto& it : res->items) {
      nlohmann::ordered_json j;
      j["id"] = it.paper.id;
      j["score"] = it.score;
      j["title"] = it.title_text;
      j["authors"] = it.paper.authors;
      j["categories"] = it.paper.categories;
      j["date"] = date_of(it.paper);
      j["terms"] = it.terms;
      j["words"] = it.words;
      if (!it.nearest_id.empty())
        j["nearest"] = {{"id", it.nearest_id},
                        {"title", it.nearest_title},
                        {"similarity", it.nearest_similarity}};
      out["items"].push_back(j);
    }
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    return kOk;
  }
  if (res->items.empty()) {
    fmt::print("no recommendations\n");
    return kOk;
  }
  if (!g.quiet)
    fmt::print(stderr,
               "{} from {} papers ({}), {} negatives, {} candidates, trained in {:.1f} ms\n",
               res->items.size(), res->positives, res->basis, res->negatives, res->candidates,
               res->train_ms);
  size_t rank = 0;
  for (const auto& it : res->items) {
    fmt::print("{:>3}. {:<12} {:7.3f}  {}\n", ++rank, it.paper.id, it.score, it.title_text);
    std::string first = it.paper.authors.empty() ? "" : it.paper.authors[0];
    if (it.paper.authors.size() > 1) first += " et al.";
    std::string date = date_of(it.paper);
    fmt::print("     {}{}{}\n", first, first.empty() || date.empty() ? "" : " · ", date);
    std::string why;
    for (const auto& t : it.words) why += (why.empty() ? "" : ", ") + t;
    if (!why.empty()) fmt::print("     terms: {}\n", why);
    if (!it.nearest_id.empty())
      fmt::print("     like {} ({:.2f}): {}\n", it.nearest_id, it.nearest_similarity,
                 it.nearest_title);
  }
  return kOk;
}

// Prints results as a ranked list (or a JSON array), numbering from offset + 1.
int print_results(const engine::SearchResults& res, size_t offset, bool json) {
  for (const auto& n : res.notes) fmt::print(stderr, "note: {}\n", n);
  if (json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& it : res.items) {
      nlohmann::ordered_json j;
      j["id"] = it.paper.id;
      j["score"] = it.score;
      j["title"] = it.title_text;
      j["authors"] = it.paper.authors;
      j["categories"] = it.paper.categories;
      j["date"] =
          !it.paper.announced.empty() ? it.paper.announced : dates::day_of(it.paper.submitted);
      j["snippet"] = it.snippet;
      if (it.exact) j["exact_match"] = true;
      arr.push_back(j);
    }
    fmt::print("{}\n", arr.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    return kOk;
  }
  if (res.items.empty()) {
    fmt::print("no results\n");
    return kOk;
  }
  size_t rank = offset;
  for (const auto& it : res.items) {
    std::string date =
        !it.paper.announced.empty() ? it.paper.announced : dates::day_of(it.paper.submitted);
    std::string first = it.paper.authors.empty() ? "" : it.paper.authors[0];
    if (it.paper.authors.size() > 1) first += " et al.";
    fmt::print("{:>3}. {:<12} {:7.3f}  {}\n", ++rank, it.paper.id, it.score, it.title_text);
    fmt::print("     {}{}{}\n", first, first.empty() || date.empty() ? "" : " · ", date);
    if (!it.snippet.empty()) {
      // Terminal rendering of the HTML-safe snippet: marks become bold.
      std::string s = it.snippet;
      auto replace_all = [&](std::string_view from, std::string_view to) {
        for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
          s.replace(p, from.size(), to);
      };
      bool tty = isatty(STDOUT_FILENO) == 1;
      replace_all("<mark>", tty ? "\x1b[1m" : "*");
      replace_all("</mark>", tty ? "\x1b[0m" : "*");
      replace_all("&lt;", "<");
      replace_all("&gt;", ">");
      replace_all("&quot;", "\"");
      replace_all("&#39;", "'");
      replace_all("&amp;", "&");
      fmt::print("     {}\n", s);
    }
  }
  return kOk;
}

struct EvalArgs {
  std::string corpus, queries, qrels, run_out;
  SemanticArgs sem;
  size_t k = 1000;
  float k1 = -1, b = -1, title_weight = -1;
  bool prf = false;
  size_t fb_docs = 10, fb_terms = 10;
  float fb_weight = 0.5f;
};

int cmd_eval_beir(const Globals& g, const EvalArgs& a) {
  auto mode = parse_mode(a.sem.mode, false);
  if (!mode.ok()) {
    fmt::print(stderr, "paperboy: {}\n", mode.error().message());
    return kUsage;
  }
  std::unique_ptr<embed::Embedder> model;
  engine::HybridOptions hybrid;
  if (*mode != engine::SearchMode::kLexical) {
    if (a.sem.model.empty()) {
      fmt::print(stderr,
                 "paperboy: no embedding model given (--model DIR): --mode {} answers lexically\n",
                 a.sem.mode);
      *mode = engine::SearchMode::kLexical;
    } else {
      auto m = load_embedder(a.sem.model, a.sem.int8);
      if (!m.ok()) return fail(m.error());
      model = std::move(*m);
      auto h = hybrid_options(a.sem, a.sem.model);
      if (!h.ok()) return fail(h.error());
      hybrid = *h;
    }
  }
  auto corpus = eval::load_corpus(a.corpus);
  if (!corpus.ok()) return fail(corpus.error());
  auto queries = eval::load_queries(a.queries);
  if (!queries.ok()) return fail(queries.error());
  auto qrels = eval::load_qrels(a.qrels);
  if (!qrels.ok()) return fail(qrels.error());
  std::string tmpl = (std::filesystem::temp_directory_path() / "paperboy-eval-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    fmt::print(stderr, "paperboy: cannot create a scratch directory\n");
    return kFailure;
  }
  std::filesystem::path scratch = tmpl;
  auto t0 = std::chrono::steady_clock::now();
  auto index = engine::index_beir_corpus(*corpus, scratch);
  if (!index.ok()) {
    std::filesystem::remove_all(scratch);
    return fail(index.error());
  }
  double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  engine::BeirRunOptions opts;
  opts.k = a.k;
  opts.bm25 = engine::default_bm25();
  if (a.k1 >= 0) opts.bm25.k1 = a.k1;
  if (a.b >= 0) opts.bm25.b = a.b;
  if (a.title_weight >= 0) opts.bm25.field_weight[0] = a.title_weight;
  auto t1 = std::chrono::steady_clock::now();
  opts.prf = a.prf;
  opts.prf_options.feedback_docs = a.fb_docs;
  opts.prf_options.feedback_terms = a.fb_terms;
  opts.prf_options.original_weight = a.fb_weight;
  eval::Run run;
  if (*mode != engine::SearchMode::kSemantic)
    run = engine::run_lexical(*(*index)->snapshot(), *queries, opts, &*corpus);
  if (*mode != engine::SearchMode::kLexical) {
    auto sem = engine::run_semantic(
        *corpus, *queries, *model,
        *mode == engine::SearchMode::kHybrid ? std::max(a.k, hybrid.depth) : a.k, a.sem.threads);
    if (!sem.ok()) {
      std::filesystem::remove_all(scratch);
      return fail(sem.error());
    }
    run = *mode == engine::SearchMode::kSemantic ? std::move(*sem)
                                                 : engine::fuse_runs(run, *sem, hybrid, a.k);
  }
  double qsecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  index->reset();
  std::filesystem::remove_all(scratch);
  if (!a.run_out.empty()) {
    std::ofstream out(a.run_out, std::ios::binary | std::ios::trunc);
    out << eval::to_trec(run, "paperboy-" + a.sem.mode);
    if (!out) {
      fmt::print(stderr, "paperboy: cannot write {}\n", a.run_out);
      return kFailure;
    }
  }
  auto m = eval::evaluate(run, *qrels);
  fmt::print("{}", eval::format_metrics(m));
  if (!g.quiet)
    fmt::print(
        stderr, "{} documents indexed in {:.2f} s; {} queries in {:.2f} s; {} judged queries\n",
        format_count(corpus->size()), build, format_count(queries->size()), qsecs, m.queries);
  return kOk;
}

}  // namespace

// For `serve --config FILE`: appends the file's settings to `args` as flags, except those the
// command line or an environment variable sets. Unknown keys are errors ("FILE:LINE"-style).
Status add_config_file_args(CLI::App& serve, std::vector<std::string>& args) {
  auto sub = std::find(args.begin(), args.end(), "serve");
  if (sub == args.end()) return Status();
  std::string file;
  for (auto it = sub + 1; it != args.end(); ++it) {
    if (*it == "--config" && it + 1 != args.end()) file = *(it + 1);
    if (it->rfind("--config=", 0) == 0) file = it->substr(9);
  }
  if (file.empty()) return Status();
  PB_ASSIGN_OR_RETURN(auto entries, server::read_config_file(file));
  auto given = [&](const std::string& flag) {
    for (auto it = sub + 1; it != args.end(); ++it)
      if (*it == flag || it->rfind(flag + "=", 0) == 0) return true;
    return false;
  };
  std::vector<std::string> extra;
  for (const auto& [key, value] : entries) {
    const std::string flag = "--" + key;
    const CLI::Option* opt = serve.get_option_no_throw(flag);
    if (!opt || key == "config")
      return Error::invalid_input(fmt::format("{}: unknown setting '{}'", file, key));
    if (given(flag)) continue;
    const std::string env = opt->get_envname();
    if (!env.empty() && std::getenv(env.c_str())) continue;
    if (opt->get_expected_min() == 0) {  // a flag: true/false
      if (value == "true" || value == "1" || value == "yes" || value == "on") {
        extra.push_back(flag);
      } else if (!(value == "false" || value == "0" || value == "no" || value == "off")) {
        return Error::invalid_input(
            fmt::format("{}: setting '{}' is true or false, not '{}'", file, key, value));
      }
      continue;
    }
    extra.push_back(flag);
    extra.push_back(value);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return Status();
}

int run(int argc, char** argv) {
  CLI::App app{
      "paperboy: a self-hosted research-paper discovery engine.\n"
      "Stores papers in an embedded SQLite database in the data directory."};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  Globals g;
  const char* env = std::getenv("PAPERBOY_DATA");
  g.data_dir = env && *env ? env : "./paperboy-data";
  app.add_option("--data", g.data_dir,
                 "Data directory (default: $PAPERBOY_DATA, else ./paperboy-data)");
  app.add_flag("-q,--quiet", g.quiet, "Print only errors");
  app.set_version_flag("--version", "paperboy 0.1.0");

  std::vector<std::string> files;
  std::string format = "auto";
  auto* ingest = app.add_subcommand(
      "ingest",
      "Ingest paper metadata files: the arXiv metadata snapshot, OAI-PMH responses, arXiv Atom "
      "feeds, Hugging Face daily-papers JSON or paperboy JSONL. The format is detected; .gz is "
      "read transparently; '-' reads standard input. Re-ingesting is idempotent.");
  ingest->add_option("files", files, "Input files")->required();
  ingest
      ->add_option("--format", format,
                   "Force a format: auto, arxiv-snapshot, jsonl, hf-daily, oai-pmh, atom")
      ->capture_default_str();
  ingest->footer(kExitCodes);

  HarvestArgs h;
  auto* harvest = app.add_subcommand(
      "harvest",
      "Harvest arXiv metadata over OAI-PMH, politely (one request at a time, at least 3 s "
      "apart, honouring 503 Retry-After). An interrupted harvest resumes where it stopped "
      "when run again with the same arguments.");
  harvest->add_option("source", h.source, "What to harvest (arxiv)")->capture_default_str();
  harvest->add_option("--set", h.set, "OAI-PMH set, e.g. cs, physics:hep-th, math");
  harvest->add_option("--from", h.from,
                      "First datestamp, YYYY-MM-DD (default: where the last harvest ended)");
  harvest->add_option("--until", h.until, "Last datestamp, YYYY-MM-DD");
  harvest->add_option("--endpoint", h.endpoint, "OAI-PMH base URL")->capture_default_str();
  harvest->add_option("--metadata-prefix", h.prefix, "arXiv or arXivRaw")->capture_default_str();
  harvest->add_option("--delay", h.delay, "Seconds between requests (arXiv asks for >= 3)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  harvest->add_option("--retries", h.retries, "Retries per page on errors")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  harvest->add_flag("--restart", h.restart, "Ignore a saved resumption token and start over");
  harvest->footer(kExitCodes);

  std::string export_format = "jsonl", export_out;
  auto* exp = app.add_subcommand("export", "Write every stored paper as paperboy JSONL");
  exp->add_option("--format", export_format, "Output format (jsonl)")->capture_default_str();
  exp->add_option("-o,--out", export_out, "Output file (default: standard output)");

  bool stats_json = false;
  size_t stats_top = 25;
  auto* stats = app.add_subcommand("stats", "Count papers in total, by category and by month");
  stats->add_flag("--json", stats_json, "Print JSON");
  stats->add_option("--top", stats_top, "Categories to list")->capture_default_str();

  std::string show_id;
  bool show_json = false;
  auto* show = app.add_subcommand("show", "Print one paper");
  show->add_option("id", show_id, "arXiv id, e.g. 2401.01234 or hep-th/9901001")->required();
  show->add_flag("--json", show_json, "Print the paper as paperboy JSON");
  show->footer(kExitCodes);

  bool no_index = false;
  ingest->add_flag("--no-index", no_index, "Do not update the search index afterwards");

  bool rebuild = false, merge_all = false;
  auto* index = app.add_subcommand(
      "index", "Build or refresh the search index from the store (ingest does this too)");
  index->add_flag("--rebuild", rebuild, "Drop the index and re-index every paper");
  index->add_flag("--merge", merge_all, "Merge all segments into one afterwards");

  std::string query, sort = "relevance";
  size_t k = 10, offset = 0;
  bool search_json = false;
  auto* search = app.add_subcommand(
      "search",
      "Search papers. Query language: words (ranked, any may match), \"exact phrase\", -exclude, "
      "+require, ti: au: abs: cat: id: fields, after:YYYY[-MM[-DD]] before:...");
  // -k and --json, shared by the commands that print ranked papers.
  auto add_listing = [](CLI::App* c, size_t& limit, bool& json) {
    c->add_option("-k,--limit", limit, "Number of results")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    c->add_flag("--json", json, "Print a JSON array of results");
  };
  search->add_option("query", query, "The query")->required();
  add_listing(search, k, search_json);
  search->add_option("--offset", offset, "Skip this many results (pagination)");
  search->add_option("--sort", sort, "relevance or date")->capture_default_str();
  bool search_prf = false;
  search->add_flag("--prf", search_prf, "Expand the query from the top results (RM3)");
  SemanticArgs search_sem;
  auto add_fusion = [](CLI::App* c, SemanticArgs& sa) {
    c->add_option("--fusion", sa.fusion,
                  "How hybrid fuses: rrf (reciprocal rank) or score (default: the model's "
                  "paperboy.json fusion, else rrf)");
    c->add_option("--semantic-weight", sa.semantic_weight,
                  "Weight of the semantic ranking in hybrid fusion (lexical: 1; default: the "
                  "model's paperboy.json hybrid_weight, else 1)");
    c->add_option("--depth", sa.depth, "Candidates from each side for hybrid fusion")
        ->capture_default_str();
  };
  search_sem.mode.clear();
  search->add_option("--mode", search_sem.mode,
                     "lexical, semantic or hybrid (default: hybrid for free text when the papers "
                     "are embedded with a model that prefers it, as train-embedder's do; else "
                     "lexical)");
  search->add_option("--model", search_sem.model,
                     "Embedding model directory (default: the one the papers were embedded with)");
  add_fusion(search, search_sem);

  SemanticArgs embed_sem;
  size_t embed_batch = 256;
  auto* embedc = app.add_subcommand(
      "embed",
      "Embed the stored papers with a model (BERT-family or model2vec directory); a new model "
      "builds a new vector set while search keeps using the old one until it is complete");
  embedc->add_option("--model", embed_sem.model,
                     "Model directory (default: the active vectors' model, to catch up with new "
                     "papers)");
  embedc->add_flag("--int8", embed_sem.int8, "int8-quantised inference (BERT models)");
  embedc->add_option("--threads", embed_sem.threads, "Threads (0 = all cores)")
      ->capture_default_str();
  embedc->add_option("--batch", embed_batch, "Papers per batch (and durable append)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));

  std::string similar_id;
  size_t similar_k = 10;
  bool similar_json = false;
  auto* similar = app.add_subcommand(
      "similar",
      "Papers like a given paper (its strongest terms as a query, fused with its vector's "
      "neighbours when papers are embedded); never the paper itself");
  similar->add_option("id", similar_id, "arXiv id of the paper")->required();
  add_listing(similar, similar_k, similar_json);
  SemanticArgs similar_sem;
  add_fusion(similar, similar_sem);

  RecommendArgs rec;
  auto* recommendc = app.add_subcommand(
      "recommend",
      "Recommended recent papers for a user: a linear model trained on the papers they saved or "
      "upvoted, against the ones marked not interested (cold start: followed authors and "
      "categories, or --query), each explained");
  recommendc->add_option("--user", rec.user, "User name or e-mail")->required();
  add_listing(recommendc, rec.k, rec.json);
  recommendc->add_option("--query", rec.query, "Cold start: also learn from this search");
  recommendc->add_option("--days", rec.days, "Latest announcement days to recommend from")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  recommendc
      ->add_option("--embedding-weight", rec.embedding_weight,
                   "Weight of the papers' embeddings (the active vector set) next to TF-IDF "
                   "terms in the user's model (0: terms only)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  recommendc->add_option("--not-interested", rec.dismiss,
                         "Mark these papers not interested for the user first (they become "
                         "negatives and are never recommended)");

  server::ServeOptions serve_opts;
  SemanticArgs serve_sem;
  auto* serve = app.add_subcommand(
      "serve",
      "Serve the web app, the JSON API (/api/openapi.json), feeds, /healthz and /metrics. "
      "Options also come from PAPERBOY_* environment variables and --config FILE");
  serve->add_option("--bind", serve_opts.bind, "Address to listen on")->capture_default_str();
  serve->add_option("--port", serve_opts.port, "Port (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve
      ->add_option("--threads", serve_opts.threads,
                   "Connection threads (each keep-alive connection holds one)")
      ->capture_default_str()
      ->check(CLI::Range(2, 4096));
  serve
      ->add_option("--access-log", serve_opts.access_log,
                   "Access log file ('-': standard error, '': none)")
      ->capture_default_str();
  serve->add_option("--base-url", serve_opts.base_url,
                    "Public URL of the site, for feed links (default: from the Host header)");
  serve->add_option("--katex-dir", serve_opts.katex_dir,
                    "KaTeX dist directory (default: node_modules/katex/dist of the checkout)");
  serve
      ->add_option("--trending-half-life", serve_opts.trending_half_life_hours,
                   "Hours for an upvote to lose half its trending weight")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 24.0 * 365));
  serve
      ->add_option("--imported-vote-weight", serve_opts.imported_vote_weight,
                   "Trending weight of an imported (Hugging Face) upvote against a local one")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  serve->add_flag("--secure-cookies", serve_opts.secure_cookies,
                  "Mark cookies Secure (automatic behind a proxy sending X-Forwarded-Proto)");
  bool no_signup = false;
  serve->add_flag("--no-signup", no_signup, "Do not let visitors create accounts");
  serve->add_option("--max-body", serve_opts.max_body_bytes, "Largest request body in bytes")
      ->capture_default_str()
      ->check(CLI::Range(1024, 64 * 1024 * 1024));
  serve
      ->add_option("--timeout", serve_opts.read_timeout_seconds,
                   "Seconds to wait for a request (and to write a response)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  serve
      ->add_option("--api-cache", serve_opts.api_cache_mb,
                   "Megabytes of memory for cached API responses (0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65536));
  serve->add_option("--model", serve_sem.model,
                    "Embedding model for semantic search (default: the one the papers were "
                    "embedded with)");
  add_fusion(serve, serve_sem);
  std::string serve_config;
  MailArgs serve_mail;
  add_mail_options(serve, serve_mail, /*with_base_url=*/false);
  serve
      ->add_option("--mail-interval", serve_opts.mail_interval_seconds,
                   "Seconds between the mail scheduler's runs (compose due digests, send the "
                   "outbox); only with --smtp")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  // Every serve option may also come from PAPERBOY_<NAME> (--max-body: PAPERBOY_MAX_BODY).
  add_env_names(serve);
  serve->add_option("--config", serve_config,
                    "Read options from a file: `key = value` lines named like the long flags "
                    "(port = 8081), # comments");
  serve->footer("Precedence: command-line flags, then PAPERBOY_* variables, then the config file.");

  auto run_train_embedder = add_train_embedder(app, g.data_dir, g.quiet);

  EvalArgs ea;
  auto* evalc = app.add_subcommand("eval", "Evaluate retrieval quality");
  auto* beir = evalc->add_subcommand(
      "beir",
      "Evaluate on a BEIR-format collection; prints nDCG@10, MRR@10, Recall@10, Recall@100");
  evalc->require_subcommand(1);
  beir->add_option("--corpus", ea.corpus, "corpus.jsonl ({\"_id\",\"title\",\"text\"})")
      ->required();
  beir->add_option("--queries", ea.queries, "queries.jsonl ({\"_id\",\"text\"})")->required();
  beir->add_option("--qrels", ea.qrels, "qrels TSV (query-id, corpus-id, score; header line)")
      ->required();
  beir->add_option("--mode", ea.sem.mode, "lexical, semantic or hybrid")->capture_default_str();
  beir->add_option("--model", ea.sem.model, "Embedding model directory (semantic, hybrid)");
  beir->add_flag("--int8", ea.sem.int8, "int8-quantised inference (BERT models)");
  beir->add_option("--threads", ea.sem.threads, "Embedding threads (0 = all cores)")
      ->capture_default_str();
  add_fusion(beir, ea.sem);
  beir->add_option("-k", ea.k, "Documents retrieved per query")->capture_default_str();
  beir->add_option("--run", ea.run_out, "Write the run in TREC format to this file");
  beir->add_option("--k1", ea.k1, "BM25 k1 (default: tuned value)");
  beir->add_option("--b", ea.b, "BM25 b (default: tuned value)");
  beir->add_option("--title-weight", ea.title_weight, "BM25F title weight (default: tuned value)");
  beir->add_flag("--prf", ea.prf, "RM3 pseudo-relevance feedback (query expansion)");
  beir->add_option("--fb-docs", ea.fb_docs, "RM3 feedback documents")->capture_default_str();
  beir->add_option("--fb-terms", ea.fb_terms, "RM3 expansion terms")->capture_default_str();
  beir->add_option("--fb-weight", ea.fb_weight, "RM3 weight of the original query")
      ->capture_default_str();

  auto run_mail_command = add_mail_commands(app);

  // `serve --config FILE`: the file's settings become flags unless the command line or the
  // environment already sets them.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto st = add_config_file_args(*serve, args); !st.ok()) {
    fmt::print(stderr, "paperboy: {}\n", st.error().message());
    return kUsage;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  if (*ingest) {
    return cmd_ingest(g, files, format, !no_index);
  }
  if (*index) return cmd_index(g, rebuild, merge_all);
  if (*search) return cmd_search(g, query, k, offset, sort, search_json, search_prf, search_sem);
  if (*embedc) return cmd_embed(g, embed_sem, embed_batch);
  if (app.got_subcommand("train-embedder")) return run_train_embedder();
  if (*similar) return cmd_similar(g, similar_id, similar_k, similar_json, similar_sem);
  if (*beir) return cmd_eval_beir(g, ea);
  if (*recommendc) return cmd_recommend(g, rec);
  if (int rc = run_mail_command(g); rc >= 0) return rc;
  if (*serve) {
    auto setup = mail_setup(g, serve_mail);
    if (!setup.ok()) return fail(setup.error());
    serve_opts.mail = setup->settings;
    serve_opts.smtp = setup->smtp;
    serve_opts.signup = !no_signup;
    serve_opts.write_timeout_seconds = serve_opts.read_timeout_seconds;
    return cmd_serve(g, serve_opts, serve_sem);
  }
  if (*harvest) return cmd_harvest(g, h);
  if (*exp) return cmd_export(g, export_format, export_out);
  if (*stats) return cmd_stats(g, stats_json, stats_top);
  if (*show) return cmd_show(g, show_id, show_json);
  return kUsage;
}

}  // namespace pb::cli

int main(int argc, char** argv) { return pb::cli::run(argc, argv); }
