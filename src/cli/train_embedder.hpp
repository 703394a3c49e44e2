#pragma once
// `paperboy train-embedder`: learns an embedding model from the stored papers (or from files)
// and, with --embed, re-embeds the store with it (the new vector set replaces the old one only
// when complete). Kept out of main.cpp; main registers it and runs it when given.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace pb::cli {

// Declares the subcommand on `app`; the returned function runs it (after parsing) and returns
// the exit code. `data_dir` and `quiet` are read when it runs.
std::function<int()> add_train_embedder(CLI::App& app, const std::string& data_dir,
                                        const bool& quiet);

}  // namespace pb::cli
