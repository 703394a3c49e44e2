#pragma once
// Learns a static embedding model from a corpus of papers, self-supervised (no labels), on the
// CPU, in minutes. The model is the simplest one that works for retrieval (Sent2Vec, Pagliardini
// et al. 2018; StarSpace, Wu et al. 2018): a text's vector is the normalised weighted sum of the
// embedding rows of its WordPiece tokens, v(x) = norm(sum_t w_t E_t), with a vocabulary learned
// from the corpus (vocab.hpp) so unseen scientific terms still get vectors from their pieces,
// and a learned scalar weight per token (initialised from idf).
//
// Objective: InfoNCE with in-batch negatives (van den Oord et al. 2018; symmetric, as in CLIP)
// over two kinds of pairs made from each paper: (title -> abstract) and (one abstract
// sentence -> title and the rest of the abstract). Sparse Adagrad (Duchi et al. 2011) updates
// only the rows a batch touches.
//
// Determinism: every random choice (initial rows, pair order, sentence picked) is a hash of
// (seed, epoch, index), and every sum is taken in a fixed order whatever the thread count (a
// row's gradient is accumulated by the one thread that owns the row, in batch order), so a
// seed gives the same model bit for bit with any --threads on a given machine and build.
//
// Checkpoints: DIR/.train/ holds the vocabulary and, every checkpoint_seconds and when stopped,
// the parameters with their Adagrad state and the position (epoch, step), written atomically
// (temp file, fsync, rename). Training from a checkpoint continues exactly where it stopped:
// the result equals an uninterrupted run.
//
// Output: the model2vec layout that embed::load_model reads (config.json with the training
// configuration, tokenizer.json, model.safetensors with the weights w_t baked into the rows,
// paperboy.json with the default fusion settings); DIR/.train is removed when done.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "train/corpus.hpp"
#include "train/vocab.hpp"

namespace pb::train {

struct TrainProgress {
  unsigned epoch = 0;  // 1-based
  unsigned epochs = 0;
  std::uint64_t step = 0;  // steps done, over all epochs
  std::uint64_t total_steps = 0;
  double loss = 0;  // running mean of the current epoch
};

struct TrainOptions {
  std::size_t dim = 256;
  unsigned epochs = 5;
  std::uint64_t seed = 1;
  std::size_t batch = 512;    // pairs per step (in-batch negatives)
  float temperature = 0.05f;  // of the softmax over cosine similarities
  float lr = 0.05f;           // Adagrad, embedding rows
  float weight_lr = 0.05f;    // Adagrad, token weights
  // Also train on (two short phrases of an abstract -> the paper): keyword-style queries.
  bool phrase_pairs = true;
  VocabOptions vocab;
  unsigned threads = 0;  // 0 = all cores; the model does not depend on it
  // Stop (with a checkpoint) once this many steps are done in all; 0 = no limit.
  std::uint64_t max_steps = 0;
  double checkpoint_seconds = 300;
  bool resume = true;  // continue from DIR/.train when it holds a checkpoint
  // Written to paperboy.json (hybrid search defaults; bench/tune_fusion.sh picks them).
  std::string fusion = "score";
  double hybrid_weight = 0.2;  // tuned on SciFact train (bench/RESULTS.md)
  // The search mode used when a query names none: hybrid beat BM25F on all three checks of
  // bench/RESULTS.md ("Learned embedder"), so it is the default for models trained here.
  std::string default_mode = "hybrid";
  std::function<void(const TrainProgress&)> on_progress;
  std::function<void(const std::string&)> on_status;  // one-line phase messages
  // Checked after each step: true stops with a checkpoint (a later run resumes).
  std::function<bool()> should_stop;
};

struct TrainSummary {
  std::size_t docs = 0;
  std::size_t vocab = 0;
  std::uint64_t pairs_per_epoch = 0;
  std::uint64_t steps = 0;         // done, over all epochs
  std::uint64_t resumed_at = 0;    // step the run resumed from (0: fresh)
  bool finished = false;           // false: stopped early, checkpoint in DIR/.train
  std::vector<double> epoch_loss;  // mean InfoNCE loss of each finished epoch
};

// Trains on `docs` and writes the model into `dir` (created if needed). Fails with
// kInvalidInput on bad options, an empty corpus or a directory that already holds a model.
Result<TrainSummary> train_model(const std::vector<TrainDoc>& docs,
                                 const std::filesystem::path& dir, const TrainOptions& options);

// Splits plain text into sentences (after . ? ! followed by white space; pieces shorter than
// 20 bytes join the next).
std::vector<std::string_view> split_sentences(std::string_view text);

}  // namespace pb::train
