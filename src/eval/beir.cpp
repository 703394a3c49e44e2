// BEIR corpus, query and qrels loaders. JSON lines are parsed with simdjson's DOM parser, one
// line at a time, so memory stays proportional to the longest line plus the result.

#include "eval/beir.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

namespace pb::eval {
namespace {

Error bad_line(const std::string& path, std::size_t line, std::string_view reason) {
  return Error::invalid_input(fmt::format("{}:{}: {}", path, line, reason));
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits on tabs when the line has one (BEIR TSV, where fields are tab separated), otherwise on
// runs of spaces (TREC qrels). Surrounding whitespace of each field is dropped.
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  const bool tabs = line.find('\t') != std::string_view::npos;
  const char* seps = tabs ? "\t" : " \t\r\n\f\v";
  size_t i = 0;
  while (i <= line.size()) {
    if (!tabs) {
      i = line.find_first_not_of(seps, i);
      if (i == std::string_view::npos) break;
    }
    size_t j = line.find_first_of(seps, i);
    if (j == std::string_view::npos) j = line.size();
    std::string_view f = line.substr(i, j - i);
    while (!f.empty() && (f.front() == ' ' || f.front() == '\r')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\r')) f.remove_suffix(1);
    out.push_back(f);
    i = j + 1;
  }
  // A TSV line with trailing tabs would otherwise end in empty fields.
  while (tabs && !out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// Parses JSON lines into objects and extracts the BEIR fields. Owns the parser and the padded
// line buffer simdjson needs; one per load call.
class JsonLines {
 public:
  explicit JsonLines(std::string path) : path_(std::move(path)) {}

  // Parses `line` into obj(); errors name the line.
  Status parse(std::string_view line, std::size_t number) {
    number_ = number;
    padded_.assign(line.data(), line.size());
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::dom::element doc;
    auto err = parser_.parse(padded_.data(), line.size(), false).get(doc);
    if (err) return bad(fmt::format("invalid JSON ({})", simdjson::error_message(err)));
    if (doc.get_object().get(obj_) != simdjson::SUCCESS) return bad("expected a JSON object");
    return ok_status();
  }

  // "_id" as a string or the decimal text of an integer; required and non-empty.
  Result<std::string> id() {
    simdjson::dom::element e;
    if (obj_["_id"].get(e) != simdjson::SUCCESS) return bad("missing \"_id\"");
    std::string out;
    switch (e.type()) {
      case simdjson::dom::element_type::STRING:
        out = std::string(e.get_string().value_unsafe());
        break;
      case simdjson::dom::element_type::INT64:
        out = std::to_string(e.get_int64().value_unsafe());
        break;
      case simdjson::dom::element_type::UINT64:
        out = std::to_string(e.get_uint64().value_unsafe());
        break;
      default:
        return bad("\"_id\" must be a string or an integer");
    }
    if (out.empty()) return bad("empty \"_id\"");
    return out;
  }

  // A string field; missing or null is "" unless `required`.
  Result<std::string> text(std::string_view key, bool required) {
    simdjson::dom::element e;
    if (obj_[key].get(e) != simdjson::SUCCESS || e.is_null()) {
      if (required) return bad(fmt::format("missing \"{}\"", key));
      return std::string();
    }
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS)
      return bad(fmt::format("\"{}\" must be a string", key));
    return std::string(s);
  }

  // Fails when `id` was already seen on an earlier line.
  Status check_unique(const std::string& id) {
    auto [it, inserted] = seen_.emplace(id, number_);
    if (!inserted)
      return bad(fmt::format("duplicate \"_id\" {} (first on line {})", id, it->second));
    return ok_status();
  }

  Error bad(std::string_view reason) const { return bad_line(path_, number_, reason); }

 private:
  std::string path_;
  std::size_t number_ = 0;
  simdjson::dom::parser parser_;
  std::string padded_;
  simdjson::dom::object obj_;
  std::unordered_map<std::string, std::size_t> seen_;
};

}  // namespace

Status for_each_line(const std::string& path,
                     const std::function<Status(std::string_view line, std::size_t number)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::io(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view v = line;
    if (number == 1 && v.starts_with("\xEF\xBB\xBF")) v.remove_prefix(3);
    if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
    PB_RETURN_IF_ERROR(fn(v, number));
  }
  if (in.bad()) return Error::io(fmt::format("{}: read error after line {}", path, number));
  return ok_status();
}

Result<std::vector<BeirDoc>> load_corpus(const std::string& path) {
  std::vector<BeirDoc> docs;
  JsonLines json(path);
  auto st = for_each_line(path, [&](std::string_view line, std::size_t number) -> Status {
    if (is_blank(line)) return ok_status();
    PB_RETURN_IF_ERROR(json.parse(line, number));
    BeirDoc d;
    PB_ASSIGN_OR_RETURN(d.id, json.id());
    PB_ASSIGN_OR_RETURN(d.title, json.text("title", false));
    PB_ASSIGN_OR_RETURN(d.text, json.text("text", true));
    PB_RETURN_IF_ERROR(json.check_unique(d.id));
    docs.push_back(std::move(d));
    return ok_status();
  });
  if (!st) return st.error();
  return docs;
}

Result<std::vector<BeirQuery>> load_queries(const std::string& path) {
  std::vector<BeirQuery> queries;
  JsonLines json(path);
  auto st = for_each_line(path, [&](std::string_view line, std::size_t number) -> Status {
    if (is_blank(line)) return ok_status();
    PB_RETURN_IF_ERROR(json.parse(line, number));
    BeirQuery q;
    PB_ASSIGN_OR_RETURN(q.id, json.id());
    PB_ASSIGN_OR_RETURN(q.text, json.text("text", true));
    PB_RETURN_IF_ERROR(json.check_unique(q.id));
    queries.push_back(std::move(q));
    return ok_status();
  });
  if (!st) return st.error();
  return queries;
}

Result<Qrels> load_qrels(const std::string& path) {
  Qrels qrels;
  bool first = true;
  std::size_t width = 0;  // 3 = BEIR TSV, 4 = TREC; fixed by the first data line
  std::size_t width_line = 0;
  auto st = for_each_line(path, [&](std::string_view line, std::size_t number) -> Status {
    if (is_blank(line)) return ok_status();
    auto f = split_fields(line);
    const bool header = first && f.size() >= 3 && !parse_int(f.back());
    first = false;
    if (header) return ok_status();
    if (width == 0) {
      if (f.size() != 3 && f.size() != 4)
        return bad_line(path, number,
                        fmt::format("expected 3 fields (query-id corpus-id score) or 4 (qid iter "
                                    "docid rel), got {}",
                                    f.size()));
      width = f.size();
      width_line = number;
    } else if (f.size() != width) {
      return bad_line(
          path, number,
          fmt::format("expected {} fields like line {}, got {}", width, width_line, f.size()));
    }
    std::string_view qid = f[0], doc = width == 3 ? f[1] : f[2], grade = f.back();
    if (qid.empty()) return bad_line(path, number, "empty query id");
    if (doc.empty()) return bad_line(path, number, "empty doc id");
    auto rel = parse_int(grade);
    if (!rel)
      return bad_line(path, number, fmt::format("relevance \"{}\" is not an integer", grade));
    qrels[std::string(qid)][std::string(doc)] = *rel;
    return ok_status();
  });
  if (!st) return st.error();
  return qrels;
}

}  // namespace pb::eval
