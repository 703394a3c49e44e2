#include "store/sqlite/migrations.hpp"

#include <array>

namespace pb::store_sqlite {
namespace {

// v1: papers and what hangs off them. Authors and keywords are JSON arrays, categories a
// space-separated list with the primary category first. `seq` is a store-wide change counter:
// every insert or change of a paper takes the next value, which lets indexes catch up
// incrementally ("papers changed since seq N").
constexpr std::string_view kV1 = R"sql(
CREATE TABLE papers (
  id               TEXT PRIMARY KEY,
  version          INTEGER NOT NULL DEFAULT 0,
  title            TEXT NOT NULL,
  abstract         TEXT NOT NULL DEFAULT '',
  authors          TEXT NOT NULL DEFAULT '[]',
  categories       TEXT NOT NULL DEFAULT '',
  primary_category TEXT NOT NULL DEFAULT '',
  submitted        TEXT NOT NULL DEFAULT '',
  updated          TEXT NOT NULL DEFAULT '',
  announced        TEXT NOT NULL DEFAULT '',
  comments         TEXT NOT NULL DEFAULT '',
  journal_ref      TEXT NOT NULL DEFAULT '',
  doi              TEXT NOT NULL DEFAULT '',
  submitter        TEXT NOT NULL DEFAULT '',
  code_url         TEXT NOT NULL DEFAULT '',
  project_url      TEXT NOT NULL DEFAULT '',
  keywords         TEXT NOT NULL DEFAULT '[]',
  seq              INTEGER NOT NULL
);
CREATE INDEX papers_primary_category ON papers (primary_category);
CREATE INDEX papers_announced ON papers (announced);
CREATE INDEX papers_seq ON papers (seq);

CREATE TABLE paper_versions (
  paper_id TEXT NOT NULL,
  version  INTEGER NOT NULL,
  created  TEXT NOT NULL DEFAULT '',
  title    TEXT,
  abstract TEXT,
  PRIMARY KEY (paper_id, version)
);

CREATE TABLE signals (
  paper_id    TEXT NOT NULL,
  kind        TEXT NOT NULL,
  source      TEXT NOT NULL,
  observed_at TEXT NOT NULL,
  value       INTEGER NOT NULL,
  PRIMARY KEY (paper_id, kind, source, observed_at)
);

CREATE TABLE daily_listings (
  day          TEXT NOT NULL,
  paper_id     TEXT NOT NULL,
  source       TEXT NOT NULL,
  submitted_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (day, paper_id, source)
);
CREATE INDEX daily_listings_paper ON daily_listings (paper_id);

CREATE TABLE harvest_state (
  key             TEXT PRIMARY KEY,
  from_date       TEXT NOT NULL DEFAULT '',
  until_date      TEXT NOT NULL DEFAULT '',
  token           TEXT NOT NULL DEFAULT '',
  pages           INTEGER NOT NULL DEFAULT 0,
  records         INTEGER NOT NULL DEFAULT 0,
  completed_until TEXT NOT NULL DEFAULT '',
  updated_at      TEXT NOT NULL DEFAULT ''
);
)sql";

constexpr std::array<Migration, 1> kMigrations = {{
    {1, "papers, versions, signals, daily listings, harvest state", kV1},
}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace pb::store_sqlite
