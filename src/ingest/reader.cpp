// Format detection: the first non-blank bytes (after gzip) decide.
//   '<'  XML: an OAI-PMH response or an Atom feed (by root element)
//   '['  a JSON array: Hugging Face api/daily_papers
//   '{'  JSON lines: the dialect of the first object (snapshot, paperboy, HF items)

#include <fmt/format.h>

#include <cctype>

#include "ingest/json_records.hpp"
#include "ingest/reader.hpp"

namespace pb::ingest {
namespace {

constexpr size_t kSniffBytes = 64 * 1024;

Result<Format> sniff(InputStream& in) {
  PB_ASSIGN_OR_RETURN(std::string_view head, in.peek(kSniffBytes));
  size_t i = 0;
  // Skip a UTF-8 byte order mark and whitespace.
  if (head.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  if (i == head.size()) return Error::unsupported(fmt::format("{}: file is empty", in.path()));
  char c = head[i];
  if (c == '<') {
    std::string_view rest = head.substr(i);
    if (rest.find("OAI-PMH") != std::string_view::npos) return Format::kOaiPmh;
    if (rest.find("<feed") != std::string_view::npos) return Format::kAtom;
    return Error::unsupported(
        fmt::format("{}: XML but neither an OAI-PMH response nor an Atom feed", in.path()));
  }
  if (c == '[') return Format::kHfDailyApi;
  if (c == '{') {
    // Classify by the first line's keys.
    std::string_view first = head.substr(i);
    first = first.substr(0, first.find('\n'));
    simdjson::dom::parser parser;
    simdjson::padded_string line(first);
    simdjson::dom::object o;
    if (parser.parse(line).get_object().get(o) == simdjson::SUCCESS) return detect_json_object(o);
    return Format::kPaperboyJsonl;  // per-line errors are reported by the reader
  }
  if (head[i] == 0x1f && i + 1 < head.size() && static_cast<unsigned char>(head[i + 1]) == 0x8b)
    return Error::unsupported(fmt::format("{}: doubly compressed gzip", in.path()));
  return Error::unsupported(
      fmt::format("{}: unsupported format (expected JSON lines, a JSON array, OAI-PMH or Atom XML)",
                  in.path()));
}

}  // namespace

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kArxivSnapshot:
      return "arxiv-snapshot";
    case Format::kPaperboyJsonl:
      return "jsonl";
    case Format::kHfDailyApi:
      return "hf-daily";
    case Format::kOaiPmh:
      return "oai-pmh";
    case Format::kAtom:
      return "atom";
  }
  return "unknown";
}

std::optional<Format> parse_format_name(std::string_view name) {
  for (Format f : {Format::kArxivSnapshot, Format::kPaperboyJsonl, Format::kHfDailyApi,
                   Format::kOaiPmh, Format::kAtom})
    if (format_name(f) == name) return f;
  return std::nullopt;
}

Result<std::unique_ptr<RecordReader>> open_reader(const std::string& path,
                                                  std::optional<Format> forced) {
  PB_ASSIGN_OR_RETURN(auto in, InputStream::open(path));
  Format format;
  if (forced) {
    format = *forced;
  } else {
    PB_ASSIGN_OR_RETURN(format, sniff(*in));
  }
  switch (format) {
    case Format::kArxivSnapshot:
    case Format::kPaperboyJsonl:
      return make_jsonl_reader(std::move(in), format);
    case Format::kHfDailyApi: {
      // A JSON array is the API response; JSON lines of API items go through the line reader.
      PB_ASSIGN_OR_RETURN(std::string_view head, in->peek(kSniffBytes));
      auto first = head.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
      if (first != std::string_view::npos && head[first] == '{')
        return make_jsonl_reader(std::move(in), format);
      return make_hf_api_reader(std::move(in));
    }
    case Format::kOaiPmh:
      return make_oai_reader(std::move(in));
    case Format::kAtom:
      return make_atom_reader(std::move(in));
  }
  return Error::unsupported("unknown format");
}

}  // namespace pb::ingest
