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

// v2: what people do on the site (store/accounts.hpp) and the day of each paper's announcement.
// User names and e-mail addresses are kept as typed; `name_key` / `email_key` are their ASCII
// lower-cased forms, computed by the store, and carry the uniqueness. Times are Unix seconds.
// List-valued columns (tags, subscription topics) are JSON arrays of strings.
//
// papers.announcement_day is the day a paper was announced (`announced`, else the day of
// `submitted`; '' when neither is known). It is an ordinary column that the store writes with
// every paper (a plain column rather than an expression index or a generated column, whose
// syntax differs between SQLite and PostgreSQL), so that "papers of day D" and "the previous
// day with papers" are index lookups.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  name_key      TEXT NOT NULL UNIQUE,
  email         TEXT NOT NULL,
  email_key     TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE votes (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  paper_id   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, paper_id)
);
CREATE INDEX votes_paper ON votes (paper_id);
CREATE INDEX votes_created ON votes (created_at);

CREATE TABLE saved_papers (
  user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  paper_id TEXT NOT NULL,
  tags     TEXT NOT NULL DEFAULT '[]',
  saved_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, paper_id)
);

CREATE TABLE follows (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,
  value      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, kind, value)
);

CREATE TABLE subscriptions (
  id         INTEGER PRIMARY KEY,
  email      TEXT NOT NULL,
  email_key  TEXT NOT NULL UNIQUE,
  frequency  TEXT NOT NULL DEFAULT 'daily',
  state      TEXT NOT NULL DEFAULT 'pending',
  queries    TEXT NOT NULL DEFAULT '[]',
  authors    TEXT NOT NULL DEFAULT '[]',
  categories TEXT NOT NULL DEFAULT '[]',
  top_papers INTEGER NOT NULL DEFAULT 1,
  user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL
);

CREATE INDEX signals_kind_observed ON signals (kind, observed_at);

ALTER TABLE papers ADD COLUMN announcement_day TEXT NOT NULL DEFAULT '';
UPDATE papers
  SET announcement_day = substr(CASE WHEN announced <> '' THEN announced ELSE submitted END, 1, 10);
CREATE INDEX papers_announcement_day ON papers (announcement_day, id);
)sql";

// Papers a user marked "not interested": the recommender's explicit negatives.
constexpr const char* kV3 = R"sql(
CREATE TABLE dismissed_papers (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  paper_id   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, paper_id)
);
)sql";

// E-mail: the outbox (one row per message, unique by idempotency key, so that a digest is
// queued once and sent once), what a subscription's last digest covered, and "papers like my
// library" as a subscription topic.
constexpr const char* kV4 = R"sql(
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  idem_key        TEXT NOT NULL UNIQUE,
  subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  message         TEXT NOT NULL,
  papers          TEXT NOT NULL DEFAULT '[]',
  state           TEXT NOT NULL DEFAULT 'queued',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_subscription ON outbox (subscription_id, created_at);

ALTER TABLE subscriptions ADD COLUMN recommend INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN last_digest_day TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN last_digest_period TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::array<Migration, 4> kMigrations = {{
    {1, "papers, versions, signals, daily listings, harvest state", kV1},
    {2, "users, sessions, votes, library, follows, subscriptions; announcement day", kV2},
    {3, "papers marked not interested", kV3},
    {4, "e-mail outbox; digest progress per subscription", kV4},
}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace pb::store_sqlite
