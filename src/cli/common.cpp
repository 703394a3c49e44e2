#include "cli/common.hpp"

#include <fmt/format.h>

#include <cctype>

namespace pb::cli {

int exit_for(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kIo:
    case ErrorCode::kUnsupported:
    case ErrorCode::kInvalidInput:
      return kBadInput;
    case ErrorCode::kNetwork:
      return kNetwork;
    case ErrorCode::kNotFound:
      return kNotFound;
    default:
      return kFailure;
  }
}

int fail(const Error& e) {
  fmt::print(stderr, "paperboy: {}\n", e.message());
  return exit_for(e);
}

Result<std::unique_ptr<Store>> open_store(const Globals& g, bool read_only) {
  return open_sqlite_store({.data_dir = g.data_dir, .read_only = read_only});
}

std::filesystem::path lexical_dir(const Globals& g) {
  return std::filesystem::path(g.data_dir) / "index" / "lexical";
}

std::filesystem::path vectors_dir(const Globals& g) {
  return std::filesystem::path(g.data_dir) / "vectors";
}

Result<std::unique_ptr<lexical::LexicalIndex>> open_index(const Globals& g) {
  auto index = lexical::LexicalIndex::open(lexical_dir(g));
  if (!index.ok())
    return Error(index.error().code(),
                 fmt::format("{} (run `paperboy index --rebuild`)", index.error().message()));
  return index;
}

Result<std::unique_ptr<engine::VectorSet>> open_active_vectors(const Globals& g) {
  return engine::VectorSet::open_active(vectors_dir(g));
}

void add_env_names(CLI::App* cmd) {
  for (CLI::Option* o : cmd->get_options()) {
    std::string var = o->get_single_name();
    if (var.empty() || var == "help" || !o->get_envname().empty()) continue;
    for (char& c : var) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
    o->envname("PAPERBOY_" + var);
  }
}

}  // namespace pb::cli
