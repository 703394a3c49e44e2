#include "cli/train_embedder.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "embed/embedder.hpp"
#include "engine/vectors.hpp"
#include "store/store.hpp"
#include "train/corpus.hpp"
#include "train/trainer.hpp"

namespace pb::cli {
namespace {
namespace fs = std::filesystem;

volatile std::sig_atomic_t g_train_stop = 0;

struct TrainArgs {
  train::TrainOptions options;
  std::vector<std::string> from;
  std::string out;
  bool embed = false;
  bool no_resume = false;
};

// DATA/models/embedder-N: the unfinished one to resume, else the next free N.
fs::path default_model_dir(const fs::path& data) {
  const fs::path models = data / "models";
  std::error_code ec;
  int last = 0;
  fs::path unfinished;
  for (const auto& e : fs::directory_iterator(models, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("embedder-", 0) != 0) continue;
    int n = std::atoi(name.c_str() + 9);
    last = std::max(last, n);
    if (fs::exists(e.path() / ".train", ec) && !fs::exists(e.path() / "config.json", ec))
      unfinished = e.path();
  }
  if (!unfinished.empty()) return unfinished;
  return models / fmt::format("embedder-{}", last + 1);
}

int run_train(const TrainArgs& a, const std::string& data_dir, bool quiet) {
  const bool tty = isatty(STDERR_FILENO) == 1 && !quiet;
  std::vector<train::TrainDoc> docs;
  train::CorpusCounts counts;
  std::unique_ptr<Store> store;
  if (a.from.empty() || a.embed) {
    auto s = open_sqlite_store({.data_dir = data_dir, .read_only = false});
    if (!s.ok()) return fail(s.error());
    store = std::move(*s);
  }
  auto t0 = std::chrono::steady_clock::now();
  Status loaded = a.from.empty() ? train::load_store_corpus(*store, docs, &counts)
                                 : train::load_file_corpus(a.from, docs, &counts);
  if (!loaded.ok()) return fail(loaded.error());
  if (!quiet)
    fmt::print(stderr, "corpus: {} papers ({} records, {} duplicates, {} skipped)\n",
               format_count(docs.size()), format_count(counts.read),
               format_count(counts.duplicates), format_count(counts.skipped));
  const fs::path dir = !a.out.empty() ? fs::path(a.out) : default_model_dir(data_dir);

  train::TrainOptions o = a.options;
  o.resume = !a.no_resume;
  Progress progress("train", tty);
  o.on_progress = [&](const train::TrainProgress& p) {
    progress.update(p.step, p.total_steps, p.step, "steps",
                    fmt::format("epoch {}/{}  loss {:.3f}", p.epoch, p.epochs, p.loss));
  };
  o.on_status = [&](const std::string& s) {
    if (quiet) return;
    progress.finish();
    fmt::print(stderr, "{}\n", s);
  };
  g_train_stop = 0;
  struct sigaction action {};
  action.sa_handler = [](int) { g_train_stop = 1; };
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  o.should_stop = [] { return g_train_stop != 0; };
  auto summary = train::train_model(docs, dir, o);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  progress.finish();
  if (!summary.ok()) return fail(summary.error());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!summary->finished) {
    fmt::print(stderr,
               "paperboy: training stopped after {} steps; the checkpoint is in {}; run the same "
               "command again to resume\n",
               summary->steps, (dir / ".train").string());
    return g_train_stop ? 1 : 0;
  }
  if (!quiet) {
    std::string losses;
    for (double l : summary->epoch_loss) losses += fmt::format(" {:.3f}", l);
    fmt::print("train-embedder: {} papers, vocabulary {}, {} steps in {:.1f} s; loss by epoch:{}\n",
               format_count(summary->docs), format_count(summary->vocab), summary->steps, secs,
               losses);
    fmt::print("model: {}\n", dir.string());
  }
  if (!a.embed) return 0;

  // Re-embed with the new model: a new vector set is built beside the active one, which search
  // keeps using until the new set is complete and switched in.
  auto model = embed::load_model(dir);
  if (!model.ok()) return fail(model.error());
  Progress eprog("embed", tty);
  engine::EmbedRunOptions eo;
  eo.threads = o.threads;
  eo.model_dir = dir;
  eo.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    eprog.update(done, total, done, "papers");
  };
  auto es = engine::embed_store(*store, fs::path(data_dir) / "vectors", **model, eo);
  eprog.finish();
  if (!es.ok()) return fail(es.error());
  if (!quiet)
    fmt::print("embed: {} papers embedded; {} vectors of {}{}\n", format_count(es->embedded),
               format_count(es->vectors), es->model_id, es->switched ? " (now active)" : "");
  return 0;
}

}  // namespace

std::function<int()> add_train_embedder(CLI::App& app, const std::string& data_dir,
                                        const bool& quiet) {
  auto a = std::make_shared<TrainArgs>();
  auto* c = app.add_subcommand(
      "train-embedder",
      "Learn an embedding model from the stored papers (or --from files), self-supervised, on "
      "the CPU: a sub-word vocabulary from the corpus and a static embedding table trained "
      "with in-batch InfoNCE on (title, abstract), (sentence, rest of the paper) and (two short "
      "phrases, paper) pairs. Deterministic for a seed; shows loss and ETA; checkpointed "
      "(Ctrl-C or --max-steps, then the same command resumes). "
      "Writes a model directory that `embed --model` and `eval beir --model` load.");
  auto& o = a->options;
  c->add_option("--epochs", o.epochs, "Passes over the corpus")->capture_default_str();
  c->add_option("--dim", o.dim, "Vector dimension (8-1024)")->capture_default_str();
  c->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  c->add_option("--from", a->from,
                "Train on these files instead of the store (paperboy JSONL, arXiv snapshot, any "
                "ingest format, or a BEIR corpus.jsonl); needs --out");
  c->add_option("--out", a->out,
                "Model directory to write (default: DATA/models/embedder-N, the next N)");
  c->add_flag("--embed", a->embed,
              "Then embed the stored papers with the new model (search keeps the previous "
              "vectors until the new set is complete)");
  c->add_option("--threads", o.threads, "Threads (0 = all cores; the model does not depend on it)")
      ->capture_default_str();
  c->add_option("--batch", o.batch, "Pairs per step (in-batch negatives)")->capture_default_str();
  c->add_option("--lr", o.lr, "Adagrad learning rate of the embedding rows")->capture_default_str();
  c->add_option("--weight-lr", o.weight_lr, "Adagrad learning rate of the token weights")
      ->capture_default_str();
  c->add_option("--temperature", o.temperature, "Softmax temperature")->capture_default_str();
  c->add_option("--max-words", o.vocab.max_words, "Whole words in the vocabulary")
      ->capture_default_str();
  c->add_option("--min-count", o.vocab.min_count, "Minimum count of a vocabulary entry")
      ->capture_default_str();
  c->add_option("--max-steps", o.max_steps,
                "Stop after this many steps in all, with a checkpoint (0 = train to the end)")
      ->capture_default_str();
  c->add_option("--checkpoint-every", o.checkpoint_seconds, "Seconds between checkpoints")
      ->capture_default_str();
  c->add_flag("--no-resume", a->no_resume, "Ignore a checkpoint in the model directory");
  c->callback([c, a] {
    if (!a->from.empty() && a->out.empty())
      throw CLI::ValidationError("--from", "needs --out DIR (where to write the model)");
  });
  return [a, &data_dir, &quiet]() { return run_train(*a, data_dir, quiet); };
}

}  // namespace pb::cli
