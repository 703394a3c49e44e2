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

void add_env_names(CLI::App* cmd) {
  for (CLI::Option* o : cmd->get_options()) {
    std::string var = o->get_single_name();
    if (var.empty() || var == "help" || !o->get_envname().empty()) continue;
    for (char& c : var) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
    o->envname("PAPERBOY_" + var);
  }
}

}  // namespace pb::cli
