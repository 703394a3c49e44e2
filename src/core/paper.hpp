#pragma once
// The paper model shared by every module. Strings are UTF-8; an empty string or an empty
// list means "unknown" (real crawls lack authors, abstracts or dates), never "empty".
// Title and abstract are stored raw (TeX kept for display); text::tex_to_text() gives the
// plain Unicode text that indexes use.

#include <cstdint>
#include <string>
#include <vector>

namespace pb {

// One arXiv version of a paper as seen by some source.
struct PaperVersion {
  int version = 0;      // 1, 2, ...
  std::string created;  // ISO 8601 date or timestamp, "" when unknown
  bool operator==(const PaperVersion&) const = default;
};

// An external signal about a paper (upvotes, comments, GitHub stars), with where it came from
// and when it was observed. The key is (kind, source, observed_at): re-importing the same
// observation changes nothing, a later observation adds a point to the series.
struct Signal {
  std::string kind;  // "upvotes", "comments", "github_stars"
  std::int64_t value = 0;
  std::string source;       // "huggingface", "github", "paperboy"
  std::string observed_at;  // ISO 8601
  bool operator==(const Signal&) const = default;
};

// The paper was listed on a curated daily list (e.g. Hugging Face daily papers) on `day`.
struct DailyListing {
  std::string day;     // YYYY-MM-DD
  std::string source;  // "huggingface"
  std::string submitted_by;
  bool operator==(const DailyListing&) const = default;
};

struct Paper {
  std::string id;   // normalised arXiv id without version (see ArxivId)
  int version = 0;  // latest known version, 0 when unknown
  std::string title;
  std::string abstract;
  std::vector<std::string> authors;     // in paper order
  std::vector<std::string> categories;  // primary first
  std::string primary_category;
  std::string submitted;  // first version, ISO 8601
  std::string updated;    // latest version, ISO 8601
  std::string announced;  // arXiv announcement day, YYYY-MM-DD
  std::string comments;
  std::string journal_ref;
  std::string doi;
  std::string submitter;
  std::string code_url;                // code repository
  std::string project_url;             // project page
  std::vector<std::string> keywords;   // e.g. Hugging Face ai_keywords
  std::vector<PaperVersion> versions;  // sorted by version
  std::vector<Signal> signals;
  std::vector<DailyListing> daily;

  bool operator==(const Paper&) const = default;
};

// Merges `incoming` into `stored` (same id) and returns true when anything changed.
// Rules, chosen so that ingesting the same input twice changes nothing and the order of
// sources matters as little as possible:
//  - a strictly newer version replaces the bibliographic fields it carries;
//  - otherwise incoming fields only fill what is unknown in `stored`;
//  - versions, signals and daily listings are unions keyed by their natural keys.
bool merge_paper(Paper& stored, const Paper& incoming);

// Puts categories in canonical order (primary first, no duplicates) and fills
// primary_category from the first category when it is unknown.
void canonicalise(Paper& p);

}  // namespace pb
