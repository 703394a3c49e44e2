// JSON-lines readers: the arXiv snapshot, paperboy JSONL (and the shared corpus files), and
// Hugging Face API items one per line. The dialect is decided per line from its keys, so a
// file mixing them still reads; the reader's format() reports the first line's dialect.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/arxiv_id.hpp"
#include "core/dates.hpp"
#include "core/utf8.hpp"
#include "ingest/fields.hpp"
#include "ingest/json_records.hpp"

namespace pb::ingest {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// The string at `key`, or "" when missing, null or not a string.
std::string_view str(object o, std::string_view key) {
  std::string_view v;
  if (o[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// An integer at `key` given as a number or a numeric string; nullopt otherwise.
std::optional<std::int64_t> integer(object o, std::string_view key) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  std::uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<std::int64_t>(u);
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS && d >= -9e18 && d <= 9e18)
    return static_cast<std::int64_t>(d);
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
    std::int64_t v;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
  }
  return std::nullopt;
}

std::string date_at(object o, std::string_view key) {
  auto d = dates::normalise(str(o, key));
  return d ? *d : std::string();
}

// A list of strings given as a JSON array (of strings, or of objects with "name"), or as a
// delimited string (split by `split`).
template <typename Split>
std::vector<std::string> string_list(object o, std::string_view key, Split split) {
  std::vector<std::string> out;
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return out;
  array a;
  std::string_view s;
  if (e.get_array().get(a) == simdjson::SUCCESS) {
    for (element x : a) {
      if (x.get_string().get(s) == simdjson::SUCCESS) {
        std::string t = collapse_whitespace(s);
        if (!t.empty()) out.push_back(std::move(t));
      } else if (x.is_object()) {
        std::string_view name;
        if (x["name"].get_string().get(name) == simdjson::SUCCESS) {
          std::string t = collapse_whitespace(name);
          if (!t.empty()) out.push_back(std::move(t));
        }
      }
    }
  } else if (e.get_string().get(s) == simdjson::SUCCESS) {
    out = split(s);
  }
  return out;
}

// Validates the id and title shared by all formats and sets them on `p`.
Status set_id_and_title(Paper& p, std::string_view raw_id, std::string_view title) {
  if (raw_id.empty()) return Error::invalid_input("missing id");
  auto id = ArxivId::parse(raw_id);
  if (!id)
    return Error::invalid_input(fmt::format("bad arXiv id '{}'", utf8::truncate(raw_id, 60)));
  p.id = id->id;
  p.version = id->version;
  p.title = collapse_whitespace(title);
  if (p.title.empty()) return Error::invalid_input(fmt::format("{}: missing title", p.id));
  return ok_status();
}

void add_signal(Paper& p, object o, std::string_view key, std::string_view kind,
                std::string_view source, const std::string& observed_at) {
  if (auto v = integer(o, key); v && !observed_at.empty())
    p.signals.push_back({std::string(kind), *v, std::string(source), observed_at});
}

}  // namespace

Format detect_json_object(object o) {
  element e;
  if (o["paper"].get(e) == simdjson::SUCCESS && e.is_object()) return Format::kHfDailyApi;
  if (o["authors_parsed"].get(e) == simdjson::SUCCESS ||
      o["update_date"].get(e) == simdjson::SUCCESS || o["journal-ref"].get(e) == simdjson::SUCCESS)
    return Format::kArxivSnapshot;
  std::string_view authors;
  if (o["versions"].get(e) == simdjson::SUCCESS && e.is_array() &&
      o["authors"].get_string().get(authors) == simdjson::SUCCESS)
    return Format::kArxivSnapshot;
  return Format::kPaperboyJsonl;
}

Result<Paper> paper_from_snapshot(object o) {
  Paper p;
  PB_RETURN_IF_ERROR(set_id_and_title(p, str(o, "id"), str(o, "title")));
  p.abstract = trimmed(str(o, "abstract"));
  p.submitter = trimmed(str(o, "submitter"));
  p.comments = trimmed(str(o, "comments"));
  p.journal_ref = trimmed(str(o, "journal-ref"));
  p.doi = trimmed(str(o, "doi"));
  p.categories = split_whitespace(str(o, "categories"));
  // authors_parsed is [[last, first, suffix], ...]; it is cleaner than the TeX author string.
  array parsed;
  if (o["authors_parsed"].get_array().get(parsed) == simdjson::SUCCESS) {
    for (element a : parsed) {
      array parts;
      if (a.get_array().get(parts) != simdjson::SUCCESS) continue;
      std::string last, first, suffix;
      size_t k = 0;
      for (element part : parts) {
        std::string_view s;
        if (part.get_string().get(s) != simdjson::SUCCESS) s = {};
        (k == 0 ? last : k == 1 ? first : suffix) = collapse_whitespace(s);
        if (++k == 3) break;
      }
      std::string name = first;
      if (!last.empty()) name += (name.empty() ? "" : " ") + last;
      if (!suffix.empty()) name += " " + suffix;
      if (!name.empty()) p.authors.push_back(std::move(name));
    }
  }
  if (p.authors.empty()) p.authors = split_authors(str(o, "authors"));
  array versions;
  if (o["versions"].get_array().get(versions) == simdjson::SUCCESS) {
    for (element v : versions) {
      object vo;
      if (v.get_object().get(vo) != simdjson::SUCCESS) continue;
      auto n = integer(vo, "version");
      if (!n || *n <= 0 || *n > 10000) continue;
      p.versions.push_back({static_cast<int>(*n), date_at(vo, "created")});
    }
  }
  canonicalise(p);
  if (!p.versions.empty()) {
    p.submitted = p.versions.front().created;
    p.updated = p.versions.back().created;
  }
  return p;
}

Result<Paper> paper_from_paperboy(object o) {
  Paper p;
  std::string_view title = str(o, "title");
  PB_RETURN_IF_ERROR(set_id_and_title(p, str(o, "id"), title));
  std::string_view abstract = str(o, "abstract");
  if (abstract.empty()) abstract = str(o, "summary");
  p.abstract = trimmed(abstract);
  p.authors = string_list(o, "authors", split_authors);
  p.categories = string_list(o, "categories", split_whitespace);
  p.primary_category = trimmed(str(o, "primary_category"));
  if (auto v = integer(o, "version"); v && *v > p.version && *v < 10000)
    p.version = static_cast<int>(*v);

  p.submitted = date_at(o, "published");
  if (p.submitted.empty()) p.submitted = date_at(o, "submitted");
  if (p.submitted.empty()) p.submitted = date_at(o, "publishedAt");
  p.updated = date_at(o, "updated");
  p.announced = dates::day_of(date_at(o, "announce_date"));
  if (p.announced.empty()) p.announced = dates::day_of(date_at(o, "announced"));
  p.comments = trimmed(str(o, "comment"));
  if (p.comments.empty()) p.comments = trimmed(str(o, "comments"));
  p.journal_ref = trimmed(str(o, "journal_ref"));
  if (p.journal_ref.empty()) p.journal_ref = trimmed(str(o, "journal-ref"));
  p.doi = trimmed(str(o, "doi"));
  p.submitter = trimmed(str(o, "submitter"));

  object links;
  if (o["links"].get_object().get(links) == simdjson::SUCCESS) {
    p.code_url = trimmed(str(links, "code"));
    p.project_url = trimmed(str(links, "project"));
  }
  if (p.code_url.empty()) p.code_url = trimmed(str(o, "githubRepo"));
  if (p.project_url.empty()) p.project_url = trimmed(str(o, "projectPage"));
  p.keywords = string_list(o, "keywords", split_whitespace);
  if (p.keywords.empty()) p.keywords = string_list(o, "ai_keywords", split_whitespace);

  array arr;
  if (o["versions"].get_array().get(arr) == simdjson::SUCCESS) {
    for (element v : arr) {
      object vo;
      if (v.get_object().get(vo) != simdjson::SUCCESS) continue;
      auto n = integer(vo, "version");
      if (n && *n > 0 && *n < 10000)
        p.versions.push_back({static_cast<int>(*n), date_at(vo, "created")});
    }
  }
  if (o["signals"].get_array().get(arr) == simdjson::SUCCESS) {
    for (element s : arr) {
      object so;
      if (s.get_object().get(so) != simdjson::SUCCESS) continue;
      auto v = integer(so, "value");
      std::string kind = trimmed(str(so, "kind")), source = trimmed(str(so, "source"));
      std::string at = date_at(so, "observed_at");
      if (v && !kind.empty() && !source.empty() && !at.empty())
        p.signals.push_back({kind, *v, source, at});
    }
  }
  if (o["daily"].get_array().get(arr) == simdjson::SUCCESS) {
    for (element d : arr) {
      object dobj;
      if (d.get_object().get(dobj) != simdjson::SUCCESS) continue;
      std::string day = dates::day_of(date_at(dobj, "day"));
      std::string source = trimmed(str(dobj, "source"));
      if (!day.empty())
        p.daily.push_back(
            {day, source.empty() ? "huggingface" : source, trimmed(str(dobj, "submitted_by"))});
    }
  }
  // The Hugging Face daily-papers rows: a listing on daily_date with that day's counts.
  std::string daily_date = dates::day_of(date_at(o, "daily_date"));
  if (!daily_date.empty()) {
    p.daily.push_back({daily_date, "huggingface", ""});
    add_signal(p, o, "upvotes", "upvotes", "huggingface", daily_date);
    add_signal(p, o, "numComments", "comments", "huggingface", daily_date);
    add_signal(p, o, "githubStars", "github_stars", "huggingface", daily_date);
  }
  canonicalise(p);
  return p;
}

Result<Paper> paper_from_hf_item(object item) {
  object paper;
  if (item["paper"].get_object().get(paper) != simdjson::SUCCESS)
    return Error::invalid_input("missing \"paper\" object");
  Paper p;
  std::string_view title = str(paper, "title");
  if (title.empty()) title = str(item, "title");
  PB_RETURN_IF_ERROR(set_id_and_title(p, str(paper, "id"), title));
  std::string_view summary = str(paper, "summary");
  if (summary.empty()) summary = str(item, "summary");
  p.abstract = trimmed(summary);
  array authors;
  if (paper["authors"].get_array().get(authors) == simdjson::SUCCESS) {
    for (element a : authors) {
      std::string_view name;
      bool hidden = false;
      if (a["hidden"].get_bool().get(hidden) == simdjson::SUCCESS && hidden) continue;
      if (a["name"].get_string().get(name) == simdjson::SUCCESS) {
        std::string n = collapse_whitespace(name);
        if (!n.empty()) p.authors.push_back(std::move(n));
      }
    }
  }
  p.submitted = date_at(paper, "publishedAt");
  p.code_url = trimmed(str(paper, "githubRepo"));
  p.project_url = trimmed(str(paper, "projectPage"));
  p.keywords = string_list(paper, "ai_keywords", split_whitespace);

  std::string day = dates::day_of(date_at(paper, "submittedOnDailyAt"));
  if (day.empty()) day = dates::day_of(date_at(item, "publishedAt"));
  if (!day.empty()) {
    std::string by;
    object sub;
    if (paper["submittedOnDailyBy"].get_object().get(sub) == simdjson::SUCCESS)
      by = trimmed(str(sub, "user"));
    p.daily.push_back({day, "huggingface", by});
    add_signal(p, paper, "upvotes", "upvotes", "huggingface", day);
    add_signal(p, item, "numComments", "comments", "huggingface", day);
    add_signal(p, paper, "githubStars", "github_stars", "huggingface", day);
  }
  canonicalise(p);
  return p;
}

namespace {

class JsonlReader final : public RecordReader {
 public:
  JsonlReader(std::unique_ptr<InputStream> in, Format format)
      : in_(std::move(in)), lines_(*in_), format_(format) {}

  Result<bool> next(Record& out) override {
    std::string_view line;
    for (;;) {
      PB_ASSIGN_OR_RETURN(bool more, lines_.next(line));
      if (!more) return false;
      if (lines_.too_long()) break;
      // Skip blank lines.
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) break;
    }
    out.where = fmt::format("{}:{}", in_->path(), lines_.line_number());
    out.ignored = false;
    out.repaired_utf8 = false;
    if (lines_.too_long()) {
      out.paper = Error::invalid_input("line too long");
      return true;
    }
    if (!simdjson::validate_utf8(line.data(), line.size())) {
      repaired_ = utf8::repair(line);
      line = repaired_;
      out.repaired_utf8 = true;
    }
    padded_.assign(line.data(), line.size());
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    element doc;
    auto err = parser_.parse(padded_.data(), line.size(), false).get(doc);
    if (err) {
      out.paper =
          Error::invalid_input(fmt::format("invalid JSON ({})", simdjson::error_message(err)));
      return true;
    }
    object o;
    if (doc.get_object().get(o) != simdjson::SUCCESS) {
      out.paper = Error::invalid_input("not a JSON object");
      return true;
    }
    switch (detect_json_object(o)) {
      case Format::kArxivSnapshot:
        out.paper = paper_from_snapshot(o);
        break;
      case Format::kHfDailyApi:
        out.paper = paper_from_hf_item(o);
        break;
      default:
        out.paper = paper_from_paperboy(o);
    }
    return true;
  }

  Format format() const override { return format_; }
  const InputStream& input() const override { return *in_; }

 private:
  std::unique_ptr<InputStream> in_;
  LineReader lines_;
  Format format_;
  simdjson::dom::parser parser_;
  std::string padded_;
  std::string repaired_;
};

}  // namespace

std::unique_ptr<RecordReader> make_jsonl_reader(std::unique_ptr<InputStream> in, Format format) {
  return std::make_unique<JsonlReader>(std::move(in), format);
}

}  // namespace pb::ingest
