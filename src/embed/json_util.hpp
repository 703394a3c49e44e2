#pragma once
// JSON helpers private to src/embed: files are parsed without exceptions and typed getters
// return a default instead of throwing, so a malformed config is an error value.

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "core/result.hpp"

namespace pb::embed {

inline Result<std::string> read_text_file(const std::filesystem::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return Error::io(file.string() + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Error::io(file.string() + ": read error");
  return ss.str();
}

inline Result<nlohmann::json> read_json_file(const std::filesystem::path& file) {
  PB_ASSIGN_OR_RETURN(std::string text, read_text_file(file));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::invalid_input(file.string() + ": invalid JSON");
  if (!j.is_object()) return Error::invalid_input(file.string() + ": not a JSON object");
  return j;
}

inline std::optional<bool> json_bool(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

inline std::optional<std::int64_t> json_int(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

inline std::optional<double> json_number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// A string, or the "content" of an AddedToken object ({"content": "[UNK]", ...}).
inline std::optional<std::string> json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  return std::nullopt;
}

}  // namespace pb::embed
