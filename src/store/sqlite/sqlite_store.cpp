// Embedded SQLite store (WAL). See store/store.hpp for the contract.
//
// Durability: WAL with synchronous=NORMAL. A committed transaction survives a crash of the
// process (kill -9); after an OS crash the last transactions may roll back, never half of one.

#include <sqlite3.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "core/dates.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

using Json = nlohmann::json;

// A prepared statement, reset after each use by its owner.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK)
      stmt_ = nullptr;
  }
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }

  bool valid() const { return stmt_ != nullptr; }
  Stmt& bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whatever path leaves it.
struct ResetGuard {
  Stmt& s;
  ~ResetGuard() { s.reset(); }
};

std::string join_categories(const std::vector<std::string>& cats) {
  std::string out;
  for (const auto& c : cats) {
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

std::vector<std::string> split_categories(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string to_json_array(const std::vector<std::string>& v) { return Json(v).dump(); }

std::vector<std::string> from_json_array(const std::string& s) {
  auto j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& e : j)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

// The columns of a paper's own row, in the order read_paper_columns() reads them.
#define PB_PAPER_COLUMNS                                                                  \
  "version, title, abstract, authors, categories, primary_category, submitted, updated, " \
  "announced, comments, journal_ref, doi, submitter, code_url, project_url, keywords"

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override {
    stmts_.clear();
    if (db_) sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<Store>> open(const StoreOptions& options) {
    std::error_code ec;
    if (!options.read_only) std::filesystem::create_directories(options.data_dir, ec);
    if (ec)
      return Error::io(fmt::format("cannot create data directory {}: {}", options.data_dir.string(),
                                   ec.message()));
    auto path = options.data_dir / "paperboy.db";
    if (options.read_only && !std::filesystem::exists(path))
      return Error::not_found(fmt::format("no paperboy store in {}", options.data_dir.string()));
    auto store = std::unique_ptr<SqliteStore>(new SqliteStore());
    int flags =
        options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &store->db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      std::string msg = store->db_ ? sqlite3_errmsg(store->db_) : "out of memory";
      return Error::io(fmt::format("cannot open store {}: {}", path.string(), msg));
    }
    sqlite3_busy_timeout(store->db_, 30000);
    sqlite3_extended_result_codes(store->db_, 1);
    if (!options.read_only) {
      PB_RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL"));
      PB_RETURN_IF_ERROR(store->exec("PRAGMA synchronous=NORMAL"));
    }
    PB_RETURN_IF_ERROR(store->exec("PRAGMA foreign_keys=ON"));
    PB_RETURN_IF_ERROR(store->exec("PRAGMA cache_size=-65536"));  // 64 MB page cache
    PB_RETURN_IF_ERROR(store->exec("PRAGMA temp_store=MEMORY"));
    // Make sure this really is a database before touching it.
    PB_RETURN_IF_ERROR(store->exec("SELECT count(*) FROM sqlite_master"));
    PB_RETURN_IF_ERROR(store->migrate(options.read_only));
    return std::unique_ptr<Store>(std::move(store));
  }

  Result<std::vector<UpsertOutcome>> upsert(std::span<const Paper> papers,
                                            const HarvestState* state) override {
    std::vector<UpsertOutcome> outcomes;
    outcomes.reserve(papers.size());
    PB_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    auto result = upsert_in_tx(papers, state, outcomes);
    if (!result.ok()) {
      (void)exec("ROLLBACK");
      return result.error();
    }
    PB_RETURN_IF_ERROR(exec("COMMIT"));
    return outcomes;
  }

  Result<std::optional<Paper>> get(std::string_view id) override { return load(id); }

  Result<std::vector<VersionRecord>> version_history(std::string_view id) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT version, created, title, abstract FROM "
                                       "paper_versions WHERE paper_id = ? ORDER BY version"));
    ResetGuard g{*s};
    s->bind(1, id);
    std::vector<VersionRecord> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW)
      out.push_back({static_cast<int>(s->integer(0)), s->text(1), s->text(2), s->text(3)});
    if (rc != SQLITE_DONE) return db_error("reading versions");
    return out;
  }

  Result<std::int64_t> count() override { return scalar("SELECT count(*) FROM papers"); }

  Result<StoreStats> stats() override {
    StoreStats st;
    PB_ASSIGN_OR_RETURN(st.papers, scalar("SELECT count(*) FROM papers"));
    PB_ASSIGN_OR_RETURN(st.versions, scalar("SELECT count(*) FROM paper_versions"));
    PB_ASSIGN_OR_RETURN(st.signals, scalar("SELECT count(*) FROM signals"));
    PB_ASSIGN_OR_RETURN(st.daily_listings, scalar("SELECT count(*) FROM daily_listings"));
    PB_ASSIGN_OR_RETURN(st.by_category,
                        count_by("SELECT primary_category, count(*) AS n FROM papers "
                                 "GROUP BY primary_category ORDER BY n DESC, primary_category"));
    PB_ASSIGN_OR_RETURN(
        st.by_month,
        count_by("SELECT substr(CASE WHEN announced <> '' THEN announced ELSE submitted END, "
                 "1, 7) AS month, count(*) FROM papers GROUP BY month ORDER BY month"));
    return st;
  }

  Status scan(const std::function<bool(const Paper&)>& fn) override {
    // Keyset pagination keeps each read short, so a long export never blocks writers.
    std::string after;
    std::vector<Paper> page;
    for (;;) {
      page.clear();
      {
        PB_ASSIGN_OR_RETURN(Stmt * s,
                            stmt("SELECT id, seq, " PB_PAPER_COLUMNS " FROM papers WHERE id > ? "
                                 "ORDER BY id LIMIT 1000"));
        ResetGuard g{*s};
        s->bind(1, after);
        PB_RETURN_IF_ERROR(read_page(*s, page, nullptr));
      }
      if (page.empty()) return ok_status();
      static constexpr PageChildSql kById = {
          "SELECT paper_id, version, created FROM paper_versions "
          "WHERE paper_id > ? AND paper_id <= ? ORDER BY paper_id, version",
          "SELECT paper_id, kind, value, source, observed_at FROM signals "
          "WHERE paper_id > ? AND paper_id <= ? ORDER BY paper_id, kind, source, observed_at",
          "SELECT paper_id, day, source, submitted_by FROM daily_listings "
          "WHERE paper_id > ? AND paper_id <= ? ORDER BY paper_id, day, source"};
      PB_RETURN_IF_ERROR(
          read_children(kById, std::string_view(after), std::string_view(page.back().id), page));
      for (const auto& p : page)
        if (!fn(p)) return ok_status();
      after = page.back().id;
    }
  }

  Status scan_changed(std::int64_t after_seq,
                      const std::function<bool(const Paper&, std::int64_t)>& fn) override {
    std::int64_t after = after_seq;
    std::vector<Paper> page;
    std::vector<std::int64_t> seqs;
    for (;;) {
      page.clear();
      seqs.clear();
      {
        PB_ASSIGN_OR_RETURN(Stmt * s,
                            stmt("SELECT id, seq, " PB_PAPER_COLUMNS " FROM papers WHERE seq > ? "
                                 "ORDER BY seq LIMIT 1000"));
        ResetGuard g{*s};
        s->bind(1, after);
        PB_RETURN_IF_ERROR(read_page(*s, page, &seqs));
      }
      if (page.empty()) return ok_status();
      // The page's papers are the ones with seq in (after, last]: joined on that range, each
      // child table is read through its paper_id index.
      static constexpr PageChildSql kBySeq = {
          "SELECT v.paper_id, v.version, v.created FROM papers p "
          "JOIN paper_versions v ON v.paper_id = p.id WHERE p.seq > ? AND p.seq <= ? "
          "ORDER BY v.paper_id, v.version",
          "SELECT v.paper_id, v.kind, v.value, v.source, v.observed_at FROM papers p "
          "JOIN signals v ON v.paper_id = p.id WHERE p.seq > ? AND p.seq <= ? "
          "ORDER BY v.paper_id, v.kind, v.source, v.observed_at",
          "SELECT v.paper_id, v.day, v.source, v.submitted_by FROM papers p "
          "JOIN daily_listings v ON v.paper_id = p.id WHERE p.seq > ? AND p.seq <= ? "
          "ORDER BY v.paper_id, v.day, v.source"};
      PB_RETURN_IF_ERROR(read_children(kBySeq, after, seqs.back(), page));
      for (size_t i = 0; i < page.size(); ++i)
        if (!fn(page[i], seqs[i])) return ok_status();
      after = seqs.back();
    }
  }

  Result<std::int64_t> max_seq() override {
    return scalar("SELECT coalesce(max(seq), 0) FROM papers");
  }

  Result<std::optional<HarvestState>> harvest_state(std::string_view key) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT from_date, until_date, token, pages, records, "
                                       "completed_until FROM harvest_state WHERE key = ?"));
    ResetGuard g{*s};
    s->bind(1, key);
    int rc = s->step();
    if (rc == SQLITE_DONE) return std::optional<HarvestState>();
    if (rc != SQLITE_ROW) return db_error("reading harvest state");
    HarvestState h;
    h.key = std::string(key);
    h.from_date = s->text(0);
    h.until_date = s->text(1);
    h.token = s->text(2);
    h.pages = s->integer(3);
    h.records = s->integer(4);
    h.completed_until = s->text(5);
    return std::optional<HarvestState>(std::move(h));
  }

  Status save_harvest_state(const HarvestState& state) override {
    PB_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    auto st = write_harvest_state(state);
    if (!st.ok()) {
      (void)exec("ROLLBACK");
      return st;
    }
    return exec("COMMIT");
  }

  int schema_version() const override { return schema_version_; }

 private:
  SqliteStore() = default;

  Error db_error(std::string_view what) const {
    return Error::internal(fmt::format("store: {}: {}", what, sqlite3_errmsg(db_)));
  }

  Status exec(std::string_view sql) {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      int code = sqlite3_errcode(db_);
      if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT)
        return Error::corrupt("store: database file is damaged or not a paperboy store: " + msg);
      return Error::internal("store: " + msg);
    }
    return ok_status();
  }

  Result<Stmt*> stmt(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return &it->second;
    Stmt s(db_, sql);
    if (!s.valid()) return db_error("preparing statement");
    return &stmts_.emplace(sql, std::move(s)).first->second;
  }

  Result<std::int64_t> scalar(const char* sql) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt(sql));
    ResetGuard g{*s};
    if (s->step() != SQLITE_ROW) return db_error("query");
    return s->integer(0);
  }

  Result<std::vector<CountBy>> count_by(const char* sql) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt(sql));
    ResetGuard g{*s};
    std::vector<CountBy> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) out.push_back({s->text(0), s->integer(1)});
    if (rc != SQLITE_DONE) return db_error("query");
    return out;
  }

  Status migrate(bool read_only) {
    if (!read_only)
      PB_RETURN_IF_ERROR(
          exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
               "applied_at TEXT NOT NULL)"));
    auto current = scalar("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!current.ok()) return current.error();
    schema_version_ = static_cast<int>(*current);
    auto all = store_sqlite::migrations();
    if (schema_version_ > all.back().version)
      return Error::unsupported(fmt::format(
          "store schema v{} is newer than this paperboy understands (v{}); upgrade paperboy",
          schema_version_, all.back().version));
    for (const auto& m : all) {
      if (m.version <= schema_version_) continue;
      if (read_only) return Error::unsupported("store needs a migration; open it read-write");
      PB_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
      // Another process may have migrated while we waited for the lock.
      auto again = scalar("SELECT coalesce(max(version), 0) FROM schema_migrations");
      if (!again.ok() || *again >= m.version) {
        (void)exec("ROLLBACK");
        schema_version_ = again.ok() ? static_cast<int>(*again) : schema_version_;
        continue;
      }
      auto st = exec(m.sql);
      if (st.ok()) {
        Stmt ins(db_,
                 "INSERT INTO schema_migrations (version, description, applied_at) "
                 "VALUES (?, ?, ?)");
        ins.bind(1, static_cast<std::int64_t>(m.version)).bind(2, m.description);
        ins.bind(3, dates::now_utc());
        if (ins.step() != SQLITE_DONE) st = db_error("recording migration");
      }
      if (!st.ok()) {
        (void)exec("ROLLBACK");
        return st;
      }
      PB_RETURN_IF_ERROR(exec("COMMIT"));
      schema_version_ = m.version;
    }
    return ok_status();
  }

  // The columns of PB_PAPER_COLUMNS, from column `c` on.
  static void read_paper_columns(const Stmt& s, int c, Paper& p) {
    p.version = static_cast<int>(s.integer(c));
    p.title = s.text(c + 1);
    p.abstract = s.text(c + 2);
    p.authors = from_json_array(s.text(c + 3));
    p.categories = split_categories(s.text(c + 4));
    p.primary_category = s.text(c + 5);
    p.submitted = s.text(c + 6);
    p.updated = s.text(c + 7);
    p.announced = s.text(c + 8);
    p.comments = s.text(c + 9);
    p.journal_ref = s.text(c + 10);
    p.doi = s.text(c + 11);
    p.submitter = s.text(c + 12);
    p.code_url = s.text(c + 13);
    p.project_url = s.text(c + 14);
    p.keywords = from_json_array(s.text(c + 15));
  }

  // Reads the rows of a page query (id, seq, PB_PAPER_COLUMNS) into `page`, and their seqs
  // into `seqs` if given.
  Status read_page(Stmt& s, std::vector<Paper>& page, std::vector<std::int64_t>* seqs) {
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      Paper& p = page.emplace_back();
      p.id = s.text(0);
      if (seqs) seqs->push_back(s.integer(1));
      read_paper_columns(s, 2, p);
    }
    if (rc != SQLITE_DONE) return db_error("scanning papers");
    return ok_status();
  }

  // A scan reads the versions, signals and daily listings of a whole page of papers with one
  // query per table instead of three queries per paper. Each query takes the page's range as
  // two parameters (low, high], returns paper_id first and orders by it, and then each
  // paper's rows as load() orders them.
  struct PageChildSql {
    const char* versions;
    const char* signals;
    const char* daily;
  };

  template <typename Key>
  Status read_children(const PageChildSql& sql, Key low, Key high, std::vector<Paper>& page) {
    std::unordered_map<std::string_view, Paper*> by_id;
    by_id.reserve(page.size());
    for (auto& p : page) by_id.emplace(p.id, &p);
    // Rows of papers outside the page (none, by construction) are skipped.
    auto read = [&](const char* query, auto&& add) -> Status {
      PB_ASSIGN_OR_RETURN(Stmt * v, stmt(query));
      ResetGuard g{*v};
      v->bind(1, low).bind(2, high);
      int rc;
      std::string id;
      Paper* p = nullptr;
      while ((rc = v->step()) == SQLITE_ROW) {
        std::string next = v->text(0);
        if (p == nullptr || next != id) {
          id = std::move(next);
          auto it = by_id.find(id);
          p = it == by_id.end() ? nullptr : it->second;
          if (p == nullptr) continue;
        }
        add(*v, *p);
      }
      if (rc != SQLITE_DONE) return db_error("scanning papers");
      return ok_status();
    };
    PB_RETURN_IF_ERROR(read(sql.versions, [](const Stmt& v, Paper& p) {
      p.versions.push_back({static_cast<int>(v.integer(1)), v.text(2)});
    }));
    PB_RETURN_IF_ERROR(read(sql.signals, [](const Stmt& v, Paper& p) {
      p.signals.push_back({v.text(1), v.integer(2), v.text(3), v.text(4)});
    }));
    return read(sql.daily, [](const Stmt& v, Paper& p) {
      p.daily.push_back({v.text(1), v.text(2), v.text(3)});
    });
  }

  Result<std::optional<Paper>> load(std::string_view id) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT " PB_PAPER_COLUMNS " FROM papers WHERE id = ?"));
    Paper p;
    {
      ResetGuard g{*s};
      s->bind(1, id);
      int rc = s->step();
      if (rc == SQLITE_DONE) return std::optional<Paper>();
      if (rc != SQLITE_ROW) return db_error("reading paper");
      p.id = std::string(id);
      read_paper_columns(*s, 0, p);
    }
    {
      PB_ASSIGN_OR_RETURN(Stmt * v, stmt("SELECT version, created FROM paper_versions "
                                         "WHERE paper_id = ? ORDER BY version"));
      ResetGuard g{*v};
      v->bind(1, id);
      while (v->step() == SQLITE_ROW)
        p.versions.push_back({static_cast<int>(v->integer(0)), v->text(1)});
    }
    {
      PB_ASSIGN_OR_RETURN(Stmt * v, stmt("SELECT kind, value, source, observed_at FROM signals "
                                         "WHERE paper_id = ? ORDER BY kind, source, observed_at"));
      ResetGuard g{*v};
      v->bind(1, id);
      while (v->step() == SQLITE_ROW)
        p.signals.push_back({v->text(0), v->integer(1), v->text(2), v->text(3)});
    }
    {
      PB_ASSIGN_OR_RETURN(Stmt * v, stmt("SELECT day, source, submitted_by FROM daily_listings "
                                         "WHERE paper_id = ? ORDER BY day, source"));
      ResetGuard g{*v};
      v->bind(1, id);
      while (v->step() == SQLITE_ROW) p.daily.push_back({v->text(0), v->text(1), v->text(2)});
    }
    return std::optional<Paper>(std::move(p));
  }

  Status write_paper(const Paper& p, std::int64_t seq) {
    PB_ASSIGN_OR_RETURN(
        Stmt * s,
        stmt("INSERT INTO papers (id, version, title, abstract, authors, categories, "
             "primary_category, submitted, updated, announced, comments, journal_ref, doi, "
             "submitter, code_url, project_url, keywords, seq) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
             "title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, "
             "categories = excluded.categories, primary_category = excluded.primary_category, "
             "submitted = excluded.submitted, updated = excluded.updated, "
             "announced = excluded.announced, comments = excluded.comments, "
             "journal_ref = excluded.journal_ref, doi = excluded.doi, "
             "submitter = excluded.submitter, code_url = excluded.code_url, "
             "project_url = excluded.project_url, keywords = excluded.keywords, "
             "seq = excluded.seq"));
    ResetGuard g{*s};
    s->bind(1, p.id).bind(2, static_cast<std::int64_t>(p.version)).bind(3, p.title);
    s->bind(4, p.abstract).bind(5, to_json_array(p.authors));
    s->bind(6, join_categories(p.categories)).bind(7, p.primary_category);
    s->bind(8, p.submitted).bind(9, p.updated).bind(10, p.announced).bind(11, p.comments);
    s->bind(12, p.journal_ref).bind(13, p.doi).bind(14, p.submitter).bind(15, p.code_url);
    s->bind(16, p.project_url).bind(17, to_json_array(p.keywords)).bind(18, seq);
    if (s->step() != SQLITE_DONE) return db_error("writing paper " + p.id);

    for (const auto& v : p.versions) {
      PB_ASSIGN_OR_RETURN(Stmt * vs,
                          stmt("INSERT INTO paper_versions (paper_id, version, created) "
                               "VALUES (?, ?, ?) ON CONFLICT (paper_id, version) DO UPDATE "
                               "SET created = excluded.created WHERE paper_versions.created = ''"));
      ResetGuard gv{*vs};
      vs->bind(1, p.id).bind(2, static_cast<std::int64_t>(v.version)).bind(3, v.created);
      if (vs->step() != SQLITE_DONE) return db_error("writing version");
    }
    for (const auto& sig : p.signals) {
      PB_ASSIGN_OR_RETURN(Stmt * ss,
                          stmt("INSERT INTO signals (paper_id, kind, source, observed_at, value) "
                               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (paper_id, kind, source, "
                               "observed_at) DO UPDATE SET value = excluded.value"));
      ResetGuard gs{*ss};
      ss->bind(1, p.id).bind(2, sig.kind).bind(3, sig.source).bind(4, sig.observed_at);
      ss->bind(5, sig.value);
      if (ss->step() != SQLITE_DONE) return db_error("writing signal");
    }
    for (const auto& d : p.daily) {
      PB_ASSIGN_OR_RETURN(
          Stmt * ds, stmt("INSERT INTO daily_listings (day, paper_id, source, submitted_by) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT (day, paper_id, source) DO NOTHING"));
      ResetGuard gd{*ds};
      ds->bind(1, d.day).bind(2, p.id).bind(3, d.source).bind(4, d.submitted_by);
      if (ds->step() != SQLITE_DONE) return db_error("writing daily listing");
    }
    return ok_status();
  }

  // Keeps the title and abstract of each version as first seen, so history survives updates.
  Status record_version_text(const Paper& incoming) {
    if (incoming.version <= 0) return ok_status();
    PB_ASSIGN_OR_RETURN(
        Stmt * s, stmt("INSERT INTO paper_versions (paper_id, version, created, title, abstract) "
                       "VALUES (?, ?, '', ?, ?) ON CONFLICT (paper_id, version) DO UPDATE SET "
                       "title = excluded.title, abstract = excluded.abstract "
                       "WHERE paper_versions.title IS NULL"));
    ResetGuard g{*s};
    s->bind(1, incoming.id).bind(2, static_cast<std::int64_t>(incoming.version));
    s->bind(3, incoming.title).bind(4, incoming.abstract);
    if (s->step() != SQLITE_DONE) return db_error("writing version text");
    return ok_status();
  }

  Status upsert_in_tx(std::span<const Paper> papers, const HarvestState* state,
                      std::vector<UpsertOutcome>& outcomes) {
    PB_ASSIGN_OR_RETURN(std::int64_t seq, scalar("SELECT coalesce(max(seq), 0) FROM papers"));
    for (const auto& in : papers) {
      PB_ASSIGN_OR_RETURN(auto existing, load(in.id));
      UpsertOutcome outcome;
      if (!existing) {
        Paper p = in;
        canonicalise(p);
        PB_RETURN_IF_ERROR(write_paper(p, ++seq));
        outcome = UpsertOutcome::kAdded;
      } else if (merge_paper(*existing, in)) {
        PB_RETURN_IF_ERROR(write_paper(*existing, ++seq));
        outcome = UpsertOutcome::kUpdated;
      } else {
        outcome = UpsertOutcome::kUnchanged;
      }
      if (outcome != UpsertOutcome::kUnchanged) PB_RETURN_IF_ERROR(record_version_text(in));
      outcomes.push_back(outcome);
    }
    if (state) PB_RETURN_IF_ERROR(write_harvest_state(*state));
    return ok_status();
  }

  Status write_harvest_state(const HarvestState& h) {
    PB_ASSIGN_OR_RETURN(
        Stmt * s,
        stmt("INSERT INTO harvest_state (key, from_date, until_date, token, pages, records, "
             "completed_until, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (key) DO UPDATE SET from_date = excluded.from_date, "
             "until_date = excluded.until_date, token = excluded.token, pages = excluded.pages, "
             "records = excluded.records, completed_until = excluded.completed_until, "
             "updated_at = excluded.updated_at"));
    ResetGuard g{*s};
    s->bind(1, h.key).bind(2, h.from_date).bind(3, h.until_date).bind(4, h.token);
    s->bind(5, h.pages).bind(6, h.records).bind(7, h.completed_until).bind(8, dates::now_utc());
    if (s->step() != SQLITE_DONE) return db_error("writing harvest state");
    return ok_status();
  }

  sqlite3* db_ = nullptr;
  // Keyed by the address of the SQL literal: each call site's statement is prepared once.
  std::unordered_map<const char*, Stmt> stmts_;
  int schema_version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options) {
  return SqliteStore::open(options);
}

}  // namespace pb
