// Embedded SQLite store (WAL). See store/store.hpp for the contract.
//
// Durability: WAL with synchronous=NORMAL. A committed transaction survives a crash of the
// process (kill -9); after an OS crash the last transactions may roll back, never half of one.

#include <sqlite3.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/ascii.hpp"
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

// The day a paper was announced: `announced`, else the day of `submitted`. Must agree with the
// expression that migration v2 fills papers.announcement_day with (substr(..., 1, 10)).
std::string announcement_day_of(const Paper& p) {
  std::string_view src = p.announced.empty() ? p.submitted : p.announced;
  return std::string(src.substr(0, 10));
}

// User names and e-mail addresses compare case-insensitively in ASCII (accounts.hpp).
std::string_view trim_ascii(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Library tags: trimmed, lower-cased (ASCII), without empties, sorted and unique.
std::string normalise_tag(std::string_view tag) { return ascii_lower(trim_ascii(tag)); }

std::vector<std::string> normalise_tags(std::span<const std::string> tags) {
  std::vector<std::string> out;
  for (const auto& t : tags)
    if (auto n = normalise_tag(t); !n.empty()) out.push_back(std::move(n));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<SubscriptionState> parse_state(std::string_view s) {
  if (s == "pending") return SubscriptionState::kPending;
  if (s == "confirmed") return SubscriptionState::kConfirmed;
  if (s == "unsubscribed") return SubscriptionState::kUnsubscribed;
  if (s == "bouncing") return SubscriptionState::kBouncing;
  return std::nullopt;
}

constexpr std::array<std::string_view, 6> kMailStates = {"queued", "sending", "sent",
                                                         "failed", "bounced", "cancelled"};

std::string_view mail_state_name(MailState s) { return kMailStates[static_cast<size_t>(s)]; }

std::optional<MailState> parse_mail_state(std::string_view s) {
  for (size_t i = 0; i < kMailStates.size(); ++i)
    if (kMailStates[i] == s) return static_cast<MailState>(i);
  return std::nullopt;
}

std::string_view kind_name(FollowKind k) {
  return k == FollowKind::kAuthor ? "author" : "category";
}

// The ids, sorted and without duplicates: what IN lists are built from.
std::vector<std::string> unique_sorted(std::span<const std::string> ids) {
  std::vector<std::string> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The columns of a paper's own row, in the order read_paper_columns() reads them.
#define PB_PAPER_COLUMNS                                                                  \
  "version, title, abstract, authors, categories, primary_category, submitted, updated, " \
  "announced, comments, journal_ref, doi, submitter, code_url, project_url, keywords"

#define PB_USER_COLUMNS "id, name, email, password_hash, created_at"
#define PB_SUBSCRIPTION_COLUMNS                                                      \
  "id, email, frequency, state, queries, authors, categories, top_papers, user_id, " \
  "created_at, recommend, last_digest_day, last_digest_period"
#define PB_OUTBOX_COLUMNS                                                                    \
  "o.id, o.idem_key, o.subscription_id, o.kind, o.recipient, o.message, o.papers, o.state, " \
  "o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at, s.state"

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override {
    stmts_.clear();
    in_stmts_.clear();
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
    PB_RETURN_IF_ERROR(store->exec(
        fmt::format("PRAGMA cache_size=-{}", std::max(1, options.page_cache_mb) * 1024)));
    if (options.mmap_mb > 0)
      PB_RETURN_IF_ERROR(
          store->exec(fmt::format("PRAGMA mmap_size={}", std::int64_t{options.mmap_mb} << 20)));
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
      PB_RETURN_IF_ERROR(read_children_in_range(kById, std::string_view(after),
                                                std::string_view(page.back().id), page));
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
      PB_RETURN_IF_ERROR(read_children_in_range(kBySeq, after, seqs.back(), page));
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

  Result<std::vector<Paper>> get_many(std::span<const std::string> ids) override {
    // Papers and their children are read per chunk of ids with the same row readers as scans;
    // the result follows `ids` (each paper once, at its first occurrence).
    std::vector<std::string> keys = unique_sorted(ids);
    std::vector<Paper> found;
    found.reserve(keys.size());
    for (size_t at = 0; at < keys.size(); at += kInChunk) {
      std::span<const std::string> chunk =
          std::span<const std::string>(keys).subspan(at, std::min(kInChunk, keys.size() - at));
      std::vector<Paper> page;
      {
        PB_ASSIGN_OR_RETURN(Stmt * s,
                            in_list_stmt("SELECT id, seq, " PB_PAPER_COLUMNS " FROM papers "
                                         "WHERE id IN (",
                                         ")", chunk.size()));
        ResetGuard g{*s};
        bind_list(*s, 1, chunk);
        PB_RETURN_IF_ERROR(read_page(*s, page, nullptr));
      }
      if (page.empty()) continue;
      static constexpr std::array<std::string_view, 3> kHeads = {
          "SELECT paper_id, version, created FROM paper_versions WHERE paper_id IN (",
          "SELECT paper_id, kind, value, source, observed_at FROM signals WHERE paper_id IN (",
          "SELECT paper_id, day, source, submitted_by FROM daily_listings WHERE paper_id IN ("};
      static constexpr std::array<std::string_view, 3> kTails = {
          ") ORDER BY paper_id, version", ") ORDER BY paper_id, kind, source, observed_at",
          ") ORDER BY paper_id, day, source"};
      PB_RETURN_IF_ERROR(read_children(
          [&](int table) -> Result<Stmt*> {
            PB_ASSIGN_OR_RETURN(Stmt * v, in_list_stmt(kHeads[table], kTails[table], chunk.size()));
            bind_list(*v, 1, chunk);
            return v;
          },
          page));
      for (auto& p : page) found.push_back(std::move(p));
    }
    std::unordered_map<std::string_view, Paper*> by_id;
    by_id.reserve(found.size());
    for (auto& p : found) by_id.emplace(p.id, &p);
    std::vector<Paper> out;
    out.reserve(found.size());
    for (const auto& id : ids) {
      auto it = by_id.find(id);
      if (it == by_id.end() || it->second == nullptr) continue;
      out.push_back(std::move(*it->second));
      it->second = nullptr;  // a repeated id gives the paper once
    }
    return out;
  }

  // --- users and sessions

  Result<UserId> create_user(std::string_view name, std::string_view email,
                             std::string_view password_hash, std::int64_t now) override {
    if (name.empty() || email.empty())
      return Error::invalid_input("a user needs a name and an e-mail address");
    const std::string name_key = ascii_lower(name), email_key = ascii_lower(email);
    return transaction([&]() -> Result<UserId> {
      PB_ASSIGN_OR_RETURN(bool name_taken,
                          exists("SELECT 1 FROM users WHERE name_key = ?", name_key));
      if (name_taken) return Error::conflict("user name is taken");
      PB_ASSIGN_OR_RETURN(bool email_taken,
                          exists("SELECT 1 FROM users WHERE email_key = ?", email_key));
      if (email_taken) return Error::conflict("e-mail address is already registered");
      PB_ASSIGN_OR_RETURN(Stmt * s, stmt("INSERT INTO users (name, name_key, email, email_key, "
                                         "password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                                         "RETURNING id"));
      ResetGuard g{*s};
      s->bind(1, name).bind(2, name_key).bind(3, email).bind(4, email_key);
      s->bind(5, password_hash).bind(6, now);
      int rc = s->step();
      if (rc != SQLITE_ROW) return step_error(rc, "creating user");
      UserId id = s->integer(0);
      if ((rc = s->step()) != SQLITE_DONE) return step_error(rc, "creating user");
      return id;
    });
  }

  Result<std::optional<User>> find_user(std::string_view name_or_email) override {
    // A name that is also someone's e-mail address finds the user of that name.
    PB_ASSIGN_OR_RETURN(
        Stmt * s, stmt("SELECT " PB_USER_COLUMNS " FROM users WHERE name_key = ? OR email_key = ? "
                       "ORDER BY CASE WHEN name_key = ? THEN 0 ELSE 1 END LIMIT 1"));
    const std::string key = ascii_lower(name_or_email);
    s->bind(1, key).bind(2, key).bind(3, key);
    return read_user(*s);
  }

  Result<std::optional<User>> get_user(UserId id) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT " PB_USER_COLUMNS " FROM users WHERE id = ?"));
    s->bind(1, id);
    return read_user(*s);
  }

  Status create_session(const Session& session) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("INSERT INTO sessions (token_hash, user_id, csrf_token, "
                                       "created_at, expires_at) VALUES (?, ?, ?, ?, ?)"));
    ResetGuard g{*s};
    s->bind(1, session.token_hash).bind(2, session.user_id).bind(3, session.csrf_token);
    s->bind(4, session.created_at).bind(5, session.expires_at);
    return done(*s, "creating session");
  }

  Result<std::optional<Session>> find_session(std::string_view token_hash,
                                              std::int64_t now) override {
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("SELECT user_id, csrf_token, created_at, expires_at FROM sessions "
                             "WHERE token_hash = ? AND expires_at > ?"));
    ResetGuard g{*s};
    s->bind(1, token_hash).bind(2, now);
    int rc = s->step();
    if (rc == SQLITE_DONE) return std::optional<Session>();
    if (rc != SQLITE_ROW) return db_error("reading session");
    Session out{std::string(token_hash), s->integer(0), s->text(1), s->integer(2), s->integer(3)};
    return std::optional<Session>(std::move(out));
  }

  Status delete_session(std::string_view token_hash) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("DELETE FROM sessions WHERE token_hash = ?"));
    ResetGuard g{*s};
    s->bind(1, token_hash);
    return done(*s, "deleting session");
  }

  Result<std::int64_t> delete_expired_sessions(std::int64_t now) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("DELETE FROM sessions WHERE expires_at <= ?"));
    ResetGuard g{*s};
    s->bind(1, now);
    PB_RETURN_IF_ERROR(done(*s, "deleting expired sessions"));
    return static_cast<std::int64_t>(sqlite3_changes(db_));
  }

  // --- upvotes

  Result<bool> set_vote(UserId user, std::string_view paper_id, bool up,
                        std::int64_t now) override {
    return set_mark(kVotes, user, paper_id, up, now);
  }

  Result<std::vector<std::string>> voted(UserId user,
                                         std::span<const std::string> paper_ids) override {
    std::vector<std::string> keys = unique_sorted(paper_ids);
    std::vector<std::string> yes;
    PB_RETURN_IF_ERROR(query_in(
        "SELECT paper_id FROM votes WHERE user_id = ? AND paper_id IN (", ")", keys,
        [&](Stmt& s) {
          s.bind(1, user);
          return 2;
        },
        [&](const Stmt& s) { yes.push_back(s.text(0)); }));
    std::sort(yes.begin(), yes.end());
    std::vector<std::string> out;
    for (const auto& id : paper_ids)
      if (std::binary_search(yes.begin(), yes.end(), id)) out.push_back(id);
    return out;
  }

  Result<std::vector<std::string>> votes_of(UserId user) override {
    return marked_papers(kVotes, user);
  }

  Result<std::vector<UpvoteCount>> upvote_counts(std::span<const std::string> paper_ids) override {
    std::vector<std::string> keys = unique_sorted(paper_ids);
    struct Latest {
      UpvoteCount count;
      // The latest imported observation so far: parsed times beat unparsable ones, then later
      // times, then (equal times from two sources) the larger count.
      std::optional<std::int64_t> at;
      std::string observed_at;
      bool seen = false;
    };
    std::unordered_map<std::string, Latest> by_id;
    auto no_fixed = [](Stmt&) { return 1; };
    PB_RETURN_IF_ERROR(query_in(
        "SELECT paper_id, count(*) FROM votes WHERE paper_id IN (", ") GROUP BY paper_id", keys,
        no_fixed, [&](const Stmt& s) { by_id[s.text(0)].count.local = s.integer(1); }));
    PB_RETURN_IF_ERROR(query_in(
        "SELECT paper_id, observed_at, value FROM signals "
        "WHERE kind = 'upvotes' AND source <> 'paperboy' AND paper_id IN (",
        ")", keys, no_fixed, [&](const Stmt& s) {
          Latest& l = by_id[s.text(0)];
          std::string observed = s.text(1);
          std::optional<std::int64_t> at = dates::iso_to_unix(observed);
          std::int64_t value = s.integer(2);
          auto rank = [](const std::optional<std::int64_t>& t) {
            return std::make_pair(t.has_value(), t.value_or(0));
          };
          bool later =
              !l.seen || rank(at) > rank(l.at) ||
              (rank(at) == rank(l.at) && (observed > l.observed_at ||
                                          (observed == l.observed_at && value > l.count.imported)));
          if (!later) return;
          l.seen = true;
          l.at = at;
          l.observed_at = std::move(observed);
          l.count.imported = value;
        }));
    std::vector<UpvoteCount> out;
    out.reserve(paper_ids.size());
    for (const auto& id : paper_ids) {
      UpvoteCount c;
      if (auto it = by_id.find(id); it != by_id.end()) c = it->second.count;
      c.paper_id = id;
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<VoteEvent>> vote_events(std::int64_t since) override {
    std::vector<VoteEvent> out;
    {
      PB_ASSIGN_OR_RETURN(Stmt * s,
                          stmt("SELECT paper_id, created_at FROM votes WHERE created_at >= ?"));
      ResetGuard g{*s};
      s->bind(1, since);
      int rc;
      while ((rc = s->step()) == SQLITE_ROW)
        out.push_back({s->text(0), "paperboy", 1, s->integer(1)});
      if (rc != SQLITE_DONE) return db_error("reading votes");
    }
    {
      // Imported times are text in several ISO 8601 forms, so the exact test is done here
      // after parsing; the query only narrows them down through the (kind, observed_at)
      // index: a time at or after `since` starts with a day no earlier than the day before
      // since's UTC day (zone offsets are under a day).
      std::string floor_day =
          since > 2 * 86400 ? dates::day_from_unix(since - 86400) : std::string();
      PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT paper_id, source, value, observed_at FROM "
                                         "signals WHERE kind = 'upvotes' AND observed_at >= ? "
                                         "AND source <> 'paperboy'"));
      ResetGuard g{*s};
      s->bind(1, floor_day);
      int rc;
      while ((rc = s->step()) == SQLITE_ROW) {
        auto at = dates::iso_to_unix(s->text(3));
        if (at && *at >= since) out.push_back({s->text(0), s->text(1), s->integer(2), *at});
      }
      if (rc != SQLITE_DONE) return db_error("reading upvote signals");
    }
    std::sort(out.begin(), out.end(), [](const VoteEvent& a, const VoteEvent& b) {
      return std::tie(a.at, a.paper_id, a.source, a.value) <
             std::tie(b.at, b.paper_id, b.source, b.value);
    });
    return out;
  }

  // --- the library

  Status save_paper(UserId user, std::string_view paper_id, std::span<const std::string> tags,
                    std::int64_t now) override {
    // Re-tagging keeps the time the paper was first saved (the library's order).
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("INSERT INTO saved_papers (user_id, paper_id, tags, saved_at) "
                             "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, paper_id) DO UPDATE "
                             "SET tags = excluded.tags"));
    ResetGuard g{*s};
    s->bind(1, user).bind(2, paper_id).bind(3, to_json_array(normalise_tags(tags))).bind(4, now);
    return done(*s, "saving paper");
  }

  Status unsave_paper(UserId user, std::string_view paper_id) override {
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("DELETE FROM saved_papers WHERE user_id = ? AND paper_id = ?"));
    ResetGuard g{*s};
    s->bind(1, user).bind(2, paper_id);
    return done(*s, "removing saved paper");
  }

  Result<bool> set_not_interested(UserId user, std::string_view paper_id, bool on,
                                  std::int64_t now) override {
    return set_mark(kDismissed, user, paper_id, on, now);
  }

  Result<std::vector<std::string>> not_interested(UserId user) override {
    return marked_papers(kDismissed, user);
  }

  Result<std::vector<SavedPaper>> library(UserId user, std::string_view tag) override {
    // Tags live in a JSON array per row; a library is small, so the filter runs here.
    const std::string want = normalise_tag(tag);
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT paper_id, tags, saved_at FROM saved_papers "
                                       "WHERE user_id = ? ORDER BY saved_at DESC, paper_id"));
    ResetGuard g{*s};
    s->bind(1, user);
    std::vector<SavedPaper> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      SavedPaper p{s->text(0), from_json_array(s->text(1)), s->integer(2)};
      if (want.empty() || std::binary_search(p.tags.begin(), p.tags.end(), want))
        out.push_back(std::move(p));
    }
    if (rc != SQLITE_DONE) return db_error("reading library");
    return out;
  }

  Result<std::optional<SavedPaper>> saved(UserId user, std::string_view paper_id) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT tags, saved_at FROM saved_papers "
                                       "WHERE user_id = ? AND paper_id = ?"));
    ResetGuard g{*s};
    s->bind(1, user).bind(2, paper_id);
    int rc = s->step();
    if (rc == SQLITE_DONE) return std::optional<SavedPaper>();
    if (rc != SQLITE_ROW) return db_error("reading saved paper");
    return std::optional<SavedPaper>(
        SavedPaper{std::string(paper_id), from_json_array(s->text(0)), s->integer(1)});
  }

  // --- follows

  Status follow(UserId user, const Follow& f, std::int64_t now) override {
    PB_ASSIGN_OR_RETURN(
        Stmt * s, stmt("INSERT INTO follows (user_id, kind, value, created_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (user_id, kind, value) DO NOTHING"));
    ResetGuard g{*s};
    s->bind(1, user).bind(2, kind_name(f.kind)).bind(3, f.value).bind(4, now);
    return done(*s, "following");
  }

  Status unfollow(UserId user, const Follow& f) override {
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("DELETE FROM follows WHERE user_id = ? AND kind = ? AND value = ?"));
    ResetGuard g{*s};
    s->bind(1, user).bind(2, kind_name(f.kind)).bind(3, f.value);
    return done(*s, "unfollowing");
  }

  Result<std::vector<Follow>> follows(UserId user) override {
    // Authors first, then categories, each alphabetically.
    PB_ASSIGN_OR_RETURN(
        Stmt * s, stmt("SELECT kind, value FROM follows WHERE user_id = ? ORDER BY kind, value"));
    ResetGuard g{*s};
    s->bind(1, user);
    std::vector<Follow> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW)
      out.push_back(
          {s->text(0) == "author" ? FollowKind::kAuthor : FollowKind::kCategory, s->text(1)});
    if (rc != SQLITE_DONE) return db_error("reading follows");
    return out;
  }

  // --- subscriptions

  Result<std::int64_t> upsert_subscription(const Subscription& sub) override {
    if (sub.email.empty()) return Error::invalid_input("a subscription needs an e-mail address");
    if (sub.frequency != "daily" && sub.frequency != "weekly")
      return Error::invalid_input(
          fmt::format("unknown digest frequency '{}' (daily or weekly)", sub.frequency));
    // An existing address keeps its id, address as first typed, creation time and state (an
    // unsubscribed one is pending again); a subscription made while signed in keeps its user.
    PB_ASSIGN_OR_RETURN(
        Stmt * s,
        stmt("INSERT INTO subscriptions (email, email_key, frequency, state, queries, authors, "
             "categories, top_papers, user_id, created_at, recommend) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (email_key) DO UPDATE SET frequency = excluded.frequency, "
             "queries = excluded.queries, authors = excluded.authors, "
             "categories = excluded.categories, top_papers = excluded.top_papers, "
             "recommend = excluded.recommend, "
             "user_id = coalesce(excluded.user_id, subscriptions.user_id), "
             "state = CASE WHEN subscriptions.state = 'unsubscribed' THEN 'pending' "
             "ELSE subscriptions.state END "
             "RETURNING id"));
    ResetGuard g{*s};
    s->bind(1, sub.email).bind(2, ascii_lower(sub.email)).bind(3, sub.frequency);
    s->bind(4, subscription_state_name(sub.state)).bind(5, to_json_array(sub.queries));
    s->bind(6, to_json_array(sub.authors)).bind(7, to_json_array(sub.categories));
    s->bind(8, static_cast<std::int64_t>(sub.top_papers ? 1 : 0));
    if (sub.user_id)
      s->bind(9, *sub.user_id);
    else
      s->bind_null(9);
    s->bind(10, sub.created_at).bind(11, static_cast<std::int64_t>(sub.recommend ? 1 : 0));
    int rc = s->step();
    if (rc != SQLITE_ROW) return step_error(rc, "saving subscription");
    std::int64_t id = s->integer(0);
    if ((rc = s->step()) != SQLITE_DONE) return step_error(rc, "saving subscription");
    return id;
  }

  Result<std::optional<Subscription>> find_subscription(std::string_view email) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT " PB_SUBSCRIPTION_COLUMNS
                                       " FROM subscriptions WHERE email_key = ?"));
    ResetGuard g{*s};
    s->bind(1, ascii_lower(email));
    int rc = s->step();
    if (rc == SQLITE_DONE) return std::optional<Subscription>();
    if (rc != SQLITE_ROW) return db_error("reading subscription");
    PB_ASSIGN_OR_RETURN(Subscription sub, read_subscription(*s));
    return std::optional<Subscription>(std::move(sub));
  }

  Result<std::vector<Subscription>> subscriptions() override {
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("SELECT " PB_SUBSCRIPTION_COLUMNS " FROM subscriptions ORDER BY id"));
    ResetGuard g{*s};
    std::vector<Subscription> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      PB_ASSIGN_OR_RETURN(Subscription sub, read_subscription(*s));
      out.push_back(std::move(sub));
    }
    if (rc != SQLITE_DONE) return db_error("reading subscriptions");
    return out;
  }

  Status set_subscription_state(std::int64_t id, SubscriptionState state) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("UPDATE subscriptions SET state = ? WHERE id = ?"));
    ResetGuard g{*s};
    s->bind(1, subscription_state_name(state)).bind(2, id);
    PB_RETURN_IF_ERROR(done(*s, "updating subscription"));
    if (sqlite3_changes(db_) == 0)
      return Error::not_found(fmt::format("no subscription with id {}", id));
    return ok_status();
  }

  Status remove_subscription(std::string_view email) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("DELETE FROM subscriptions WHERE email_key = ?"));
    ResetGuard g{*s};
    s->bind(1, ascii_lower(email));
    return done(*s, "removing subscription");
  }

  Result<std::optional<Subscription>> get_subscription(std::int64_t id) override {
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("SELECT " PB_SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE id = ?"));
    ResetGuard g{*s};
    s->bind(1, id);
    int rc = s->step();
    if (rc == SQLITE_DONE) return std::optional<Subscription>();
    if (rc != SQLITE_ROW) return db_error("reading subscription");
    PB_ASSIGN_OR_RETURN(Subscription sub, read_subscription(*s));
    return std::optional<Subscription>(std::move(sub));
  }

  // --- the outbox

  Result<bool> enqueue_mail(const OutboxMessage& m, const DigestMark* mark) override {
    if (m.key.empty() || m.recipient.empty())
      return Error::invalid_input("an outbox message needs a key and a recipient");
    return transaction([&]() -> Result<bool> {
      PB_ASSIGN_OR_RETURN(
          Stmt * s,
          stmt("INSERT INTO outbox (idem_key, subscription_id, kind, recipient, message, papers, "
               "state, attempts, next_attempt_at, created_at) "
               "VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) ON CONFLICT (idem_key) DO NOTHING"));
      {
        ResetGuard g{*s};
        s->bind(1, m.key);
        if (m.subscription_id)
          s->bind(2, *m.subscription_id);
        else
          s->bind_null(2);
        s->bind(3, m.kind).bind(4, m.recipient).bind(5, m.message);
        s->bind(6, to_json_array(m.papers)).bind(7, m.next_attempt_at).bind(8, m.created_at);
        int rc = s->step();
        if (rc != SQLITE_DONE) return step_error(rc, "queueing mail");
      }
      if (sqlite3_changes(db_) == 0) return false;
      if (mark) {
        PB_ASSIGN_OR_RETURN(Stmt * u, stmt("UPDATE subscriptions SET last_digest_day = ?, "
                                           "last_digest_period = ? WHERE id = ?"));
        ResetGuard g{*u};
        u->bind(1, mark->day).bind(2, mark->period).bind(3, mark->subscription_id);
        PB_RETURN_IF_ERROR(done(*u, "recording the digest"));
      }
      return true;
    });
  }

  Result<std::vector<OutboxMessage>> due_mail(std::int64_t now, size_t limit) override {
    PB_ASSIGN_OR_RETURN(
        Stmt * s,
        stmt("SELECT " PB_OUTBOX_COLUMNS " FROM outbox o LEFT JOIN subscriptions s ON "
             "s.id = o.subscription_id WHERE o.state = 'sending' OR (o.state = 'queued' AND "
             "o.next_attempt_at <= ?) ORDER BY o.id LIMIT ?"));
    ResetGuard g{*s};
    s->bind(1, now).bind(2, static_cast<std::int64_t>(limit));
    return read_outbox_rows(*s);
  }

  Status update_mail(std::int64_t id, MailState state, std::int64_t now,
                     std::int64_t next_attempt_at, std::string_view error) override {
    PB_ASSIGN_OR_RETURN(
        Stmt * s, stmt("UPDATE outbox SET state = ?, attempts = attempts + ?, next_attempt_at = ?, "
                       "last_error = ?, sent_at = ? WHERE id = ?"));
    ResetGuard g{*s};
    s->bind(1, mail_state_name(state))
        .bind(2, static_cast<std::int64_t>(state == MailState::kSending ? 1 : 0))
        .bind(3, next_attempt_at)
        .bind(4, error)
        .bind(5, state == MailState::kSent ? now : 0)
        .bind(6, id);
    PB_RETURN_IF_ERROR(done(*s, "updating the outbox"));
    if (sqlite3_changes(db_) == 0)
      return Error::not_found(fmt::format("no outbox message with id {}", id));
    return ok_status();
  }

  Result<std::optional<std::int64_t>> next_mail_at() override {
    PB_ASSIGN_OR_RETURN(Stmt * s,
                        stmt("SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'"));
    ResetGuard g{*s};
    if (s->step() != SQLITE_ROW) return db_error("reading the outbox");
    if (s->is_null(0)) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(s->integer(0));
  }

  Result<std::vector<std::string>> digest_papers_since(std::int64_t subscription_id,
                                                       std::int64_t since) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT papers FROM outbox WHERE subscription_id = ? AND "
                                       "kind = 'digest' AND created_at >= ?"));
    ResetGuard g{*s};
    s->bind(1, subscription_id).bind(2, since);
    std::vector<std::string> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW)
      for (auto& id : from_json_array(s->text(0))) out.push_back(std::move(id));
    if (rc != SQLITE_DONE) return db_error("reading the outbox");
    return out;
  }

  Result<std::vector<OutboxMessage>> outbox(std::optional<std::int64_t> subscription_id,
                                            size_t limit) override {
    PB_ASSIGN_OR_RETURN(
        Stmt * s, stmt("SELECT " PB_OUTBOX_COLUMNS " FROM outbox o LEFT JOIN subscriptions s ON "
                       "s.id = o.subscription_id WHERE (? IS NULL OR o.subscription_id = ?) "
                       "ORDER BY o.id DESC LIMIT ?"));
    ResetGuard g{*s};
    if (subscription_id)
      s->bind(1, *subscription_id).bind(2, *subscription_id);
    else
      s->bind_null(1).bind_null(2);
    s->bind(3, static_cast<std::int64_t>(limit));
    return read_outbox_rows(*s);
  }

  Result<std::int64_t> count_mail(MailState state) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT count(*) FROM outbox WHERE state = ?"));
    ResetGuard g{*s};
    s->bind(1, mail_state_name(state));
    if (s->step() != SQLITE_ROW) return db_error("reading the outbox");
    return s->integer(0);
  }

  Result<std::int64_t> prune_outbox(std::int64_t clear_before,
                                    std::int64_t delete_before) override {
    return transaction([&]() -> Result<std::int64_t> {
      PB_ASSIGN_OR_RETURN(Stmt * c, stmt("UPDATE outbox SET message = '' WHERE created_at < ? AND "
                                         "message <> '' AND state IN ('sent', 'failed', 'bounced', "
                                         "'cancelled')"));
      std::int64_t changed = 0;
      {
        ResetGuard g{*c};
        c->bind(1, clear_before);
        PB_RETURN_IF_ERROR(done(*c, "pruning the outbox"));
        changed += sqlite3_changes(db_);
      }
      PB_ASSIGN_OR_RETURN(Stmt * d, stmt("DELETE FROM outbox WHERE created_at < ? AND state IN "
                                         "('sent', 'failed', 'bounced', 'cancelled')"));
      ResetGuard g{*d};
      d->bind(1, delete_before);
      PB_RETURN_IF_ERROR(done(*d, "pruning the outbox"));
      return changed + sqlite3_changes(db_);
    });
  }

  // --- the daily curated lists

  Status add_listing(const ListingEntry& entry) override {
    if (!dates::valid_day(entry.day))
      return Error::invalid_input(fmt::format("'{}' is not a day (YYYY-MM-DD)", entry.day));
    const std::string_view source =
        entry.source.empty() ? std::string_view("paperboy") : std::string_view(entry.source);
    return transaction([&]() -> Status {
      PB_ASSIGN_OR_RETURN(bool known, exists("SELECT 1 FROM papers WHERE id = ?", entry.paper_id));
      if (!known) return Error::not_found(fmt::format("no paper {} in the store", entry.paper_id));
      PB_ASSIGN_OR_RETURN(Stmt * c, stmt("SELECT 1 FROM daily_listings WHERE day = ? AND "
                                         "paper_id = ? LIMIT 1"));
      {
        ResetGuard gc{*c};
        c->bind(1, entry.day).bind(2, entry.paper_id);
        int rc = c->step();
        if (rc == SQLITE_ROW)
          return Error::conflict(
              fmt::format("{} is already on the list of {}", entry.paper_id, entry.day));
        if (rc != SQLITE_DONE) return db_error("reading daily listings");
      }
      // Not through upsert(): the paper's seq stays, indexes need not see a listing.
      PB_ASSIGN_OR_RETURN(Stmt * s, stmt("INSERT INTO daily_listings (day, paper_id, source, "
                                         "submitted_by) VALUES (?, ?, ?, ?)"));
      ResetGuard g{*s};
      s->bind(1, entry.day).bind(2, entry.paper_id).bind(3, source).bind(4, entry.submitted_by);
      return done(*s, "adding listing");
    });
  }

  Result<std::vector<ListingEntry>> listings(std::string_view first,
                                             std::string_view last) override {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt("SELECT day, paper_id, source, submitted_by FROM "
                                       "daily_listings WHERE day >= ? AND day <= ? "
                                       "ORDER BY day, paper_id, source"));
    ResetGuard g{*s};
    s->bind(1, first).bind(2, last);
    std::vector<ListingEntry> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW)
      out.push_back({s->text(0), s->text(1), s->text(2), s->text(3)});
    if (rc != SQLITE_DONE) return db_error("reading listings");
    return out;
  }

  Result<std::string> listing_day_before(std::string_view day) override {
    return day_query("SELECT day FROM daily_listings WHERE day < ? ORDER BY day DESC LIMIT 1", day);
  }
  Result<std::string> listing_day_after(std::string_view day) override {
    return day_query("SELECT day FROM daily_listings WHERE day > ? ORDER BY day LIMIT 1", day);
  }
  Result<std::string> latest_listing_day() override {
    return day_query("SELECT day FROM daily_listings ORDER BY day DESC LIMIT 1", std::nullopt);
  }

  Result<std::vector<std::string>> announced_on(std::string_view day,
                                                std::span<const std::string> categories) override {
    std::vector<std::string> out;
    if (day.empty()) return out;  // '' is "no date known", not a day
    // The categories column is a space-separated list: matched here, exactly, rather than with
    // LIKE patterns (whose wildcards a category could contain). A day has at most a few
    // thousand papers.
    PB_ASSIGN_OR_RETURN(Stmt * s, categories.empty()
                                      ? stmt("SELECT id, '' FROM papers "
                                             "WHERE announcement_day = ? ORDER BY id")
                                      : stmt("SELECT id, categories FROM papers "
                                             "WHERE announcement_day = ? ORDER BY id"));
    ResetGuard g{*s};
    s->bind(1, day);
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      if (!categories.empty()) {
        auto cats = split_categories(s->text(1));
        if (std::none_of(cats.begin(), cats.end(), [&](const std::string& c) {
              return std::find(categories.begin(), categories.end(), c) != categories.end();
            }))
          continue;
      }
      out.push_back(s->text(0));
    }
    if (rc != SQLITE_DONE) return db_error("reading announcements");
    return out;
  }

  Result<std::string> announcement_day_before(std::string_view day) override {
    return day_query(
        "SELECT announcement_day FROM papers WHERE announcement_day < ? AND "
        "announcement_day > '' ORDER BY announcement_day DESC LIMIT 1",
        day);
  }
  Result<std::string> announcement_day_after(std::string_view day) override {
    return day_query(
        "SELECT announcement_day FROM papers WHERE announcement_day > ? "
        "ORDER BY announcement_day LIMIT 1",
        day);
  }
  Result<std::string> latest_announcement_day() override {
    return day_query("SELECT announcement_day FROM papers ORDER BY announcement_day DESC LIMIT 1",
                     std::nullopt);
  }

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

  // Runs fn() inside BEGIN IMMEDIATE ... COMMIT, rolling back when it (or the commit) fails.
  template <typename Fn>
  auto transaction(Fn&& fn) -> decltype(fn()) {
    PB_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    auto result = fn();
    if (!result.ok()) {
      (void)exec("ROLLBACK");
      return result;
    }
    if (auto st = exec("COMMIT"); !st.ok()) {
      (void)exec("ROLLBACK");
      return st.error();
    }
    return result;
  }

  // The error of a failed step: a broken foreign key means the user (or other parent row) does
  // not exist, a broken unique key that the row does.
  Error step_error(int rc, std::string_view what) const {
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return Error::not_found(fmt::format("store: {}: no such user", what));
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
      return Error::conflict(fmt::format("store: {}: already exists", what));
    return db_error(what);
  }

  // Steps a statement that returns no rows.
  // Per-user marks on papers, in tables of (user_id, paper_id, created_at): set or clear one
  // (returning whether anything changed), list them newest first. The SQL is literal so that
  // prepared statements are cached by it.
  struct MarkTable {
    const char* insert;
    const char* remove;
    const char* list;
    const char* what;
  };
  static constexpr MarkTable kVotes{
      "INSERT INTO votes (user_id, paper_id, created_at) VALUES (?, ?, ?) "
      "ON CONFLICT (user_id, paper_id) DO NOTHING",
      "DELETE FROM votes WHERE user_id = ? AND paper_id = ?",
      "SELECT paper_id FROM votes WHERE user_id = ? ORDER BY created_at DESC, paper_id", "votes"};
  static constexpr MarkTable kDismissed{
      "INSERT INTO dismissed_papers (user_id, paper_id, created_at) VALUES (?, ?, ?) "
      "ON CONFLICT (user_id, paper_id) DO NOTHING",
      "DELETE FROM dismissed_papers WHERE user_id = ? AND paper_id = ?",
      "SELECT paper_id FROM dismissed_papers WHERE user_id = ? "
      "ORDER BY created_at DESC, paper_id",
      "dismissed papers"};

  Result<bool> set_mark(const MarkTable& t, UserId user, std::string_view paper_id, bool on,
                        std::int64_t now) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt(on ? t.insert : t.remove));
    ResetGuard g{*s};
    s->bind(1, user).bind(2, paper_id);
    if (on) s->bind(3, now);
    PB_RETURN_IF_ERROR(done(*s, fmt::format("recording {}", t.what)));
    return sqlite3_changes(db_) > 0;
  }

  Result<std::vector<std::string>> marked_papers(const MarkTable& t, UserId user) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt(t.list));
    ResetGuard g{*s};
    s->bind(1, user);
    std::vector<std::string> out;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) out.push_back(s->text(0));
    if (rc != SQLITE_DONE) return db_error(fmt::format("reading {}", t.what));
    return out;
  }

  Status done(Stmt& s, std::string_view what) {
    int rc = s.step();
    if (rc != SQLITE_DONE) return step_error(rc, what);
    return ok_status();
  }

  Result<bool> exists(const char* sql, std::string_view key) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt(sql));
    ResetGuard g{*s};
    s->bind(1, key);
    int rc = s->step();
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) return db_error("query");
    return false;
  }

  // A query that returns one day or none ("").
  Result<std::string> day_query(const char* sql, std::optional<std::string_view> day) {
    PB_ASSIGN_OR_RETURN(Stmt * s, stmt(sql));
    ResetGuard g{*s};
    if (day) s->bind(1, *day);
    int rc = s->step();
    if (rc == SQLITE_ROW) return s->text(0);
    if (rc != SQLITE_DONE) return db_error("reading days");
    return std::string();
  }

  // IN lists. Ids are looked up in chunks of at most kInChunk; a chunk's list is padded to a
  // power of two (or kInChunk) by repeating its last id, so that a handful of distinct
  // statements are prepared and then reused from the cache like the fixed ones.
  static constexpr size_t kInChunk = 500;

  static size_t padded_size(size_t n) {
    size_t p = 1;
    while (p < n) p <<= 1;
    return std::min(p, kInChunk);
  }

  // The statement `head` ?, ?, ... `tail` for a list of n ids (padded).
  Result<Stmt*> in_list_stmt(std::string_view head, std::string_view tail, size_t n) {
    const size_t padded = padded_size(n);
    std::string sql;
    sql.reserve(head.size() + tail.size() + 3 * padded);
    sql += head;
    for (size_t i = 0; i < padded; ++i) sql += i == 0 ? "?" : ", ?";
    sql += tail;
    auto it = in_stmts_.find(sql);
    if (it != in_stmts_.end()) return &it->second;
    Stmt s(db_, sql);
    if (!s.valid()) return db_error("preparing statement");
    return &in_stmts_.emplace(std::move(sql), std::move(s)).first->second;
  }

  // Binds `ids` (and the padding) from parameter `first` on.
  static void bind_list(Stmt& s, int first, std::span<const std::string> ids) {
    const size_t padded = padded_size(ids.size());
    for (size_t i = 0; i < padded; ++i)
      s.bind(first + static_cast<int>(i), ids[std::min(i, ids.size() - 1)]);
  }

  // Runs `head` (?, ...) `tail` for each chunk of `ids` (unique: padding repeats one), after
  // bind_fixed(stmt) has bound the parameters before the list and returned the list's first
  // parameter index; calls row(stmt) for every row.
  template <typename BindFixed, typename Row>
  Status query_in(std::string_view head, std::string_view tail, std::span<const std::string> ids,
                  BindFixed&& bind_fixed, Row&& row) {
    for (size_t at = 0; at < ids.size(); at += kInChunk) {
      auto chunk = ids.subspan(at, std::min(kInChunk, ids.size() - at));
      PB_ASSIGN_OR_RETURN(Stmt * s, in_list_stmt(head, tail, chunk.size()));
      ResetGuard g{*s};
      bind_list(*s, bind_fixed(*s), chunk);
      int rc;
      while ((rc = s->step()) == SQLITE_ROW) row(*s);
      if (rc != SQLITE_DONE) return db_error("query");
    }
    return ok_status();
  }

  // Reads one row of PB_USER_COLUMNS (or none), and resets the statement.
  Result<std::optional<User>> read_user(Stmt& s) {
    ResetGuard g{s};
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<User>();
    if (rc != SQLITE_ROW) return db_error("reading user");
    return std::optional<User>(User{s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4)});
  }

  Result<Subscription> read_subscription(const Stmt& s) {
    Subscription sub;
    sub.id = s.integer(0);
    sub.email = s.text(1);
    sub.frequency = s.text(2);
    auto state = parse_state(s.text(3));
    if (!state)
      return Error::corrupt(
          fmt::format("store: subscription {} has an unknown state '{}'", sub.id, s.text(3)));
    sub.state = *state;
    sub.queries = from_json_array(s.text(4));
    sub.authors = from_json_array(s.text(5));
    sub.categories = from_json_array(s.text(6));
    sub.top_papers = s.integer(7) != 0;
    if (!s.is_null(8)) sub.user_id = s.integer(8);
    sub.created_at = s.integer(9);
    sub.recommend = s.integer(10) != 0;
    sub.last_digest_day = s.text(11);
    sub.last_digest_period = s.text(12);
    return sub;
  }

  Result<OutboxMessage> read_outbox(const Stmt& s) {
    OutboxMessage m;
    m.id = s.integer(0);
    m.key = s.text(1);
    if (!s.is_null(2)) m.subscription_id = s.integer(2);
    m.kind = s.text(3);
    m.recipient = s.text(4);
    m.message = s.text(5);
    m.papers = from_json_array(s.text(6));
    auto state = parse_mail_state(s.text(7));
    if (!state)
      return Error::corrupt(
          fmt::format("store: outbox message {} has an unknown state '{}'", m.id, s.text(7)));
    m.state = *state;
    m.attempts = s.integer(8);
    m.next_attempt_at = s.integer(9);
    m.last_error = s.text(10);
    m.created_at = s.integer(11);
    m.sent_at = s.integer(12);
    if (!s.is_null(13)) m.subscription_state = parse_state(s.text(13));
    return m;
  }

  Result<std::vector<OutboxMessage>> read_outbox_rows(Stmt& s) {
    std::vector<OutboxMessage> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      PB_ASSIGN_OR_RETURN(OutboxMessage m, read_outbox(s));
      out.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) return db_error("reading the outbox");
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
  // query per table instead of three queries per paper. Each query returns paper_id first and
  // orders by it, and then each paper's rows as load() orders them. `child(t)` gives the
  // query of table t (0 versions, 1 signals, 2 daily listings) with its parameters bound.
  struct PageChildSql {
    const char* versions;
    const char* signals;
    const char* daily;
  };

  template <typename ChildStmt>
  Status read_children(ChildStmt&& child, std::vector<Paper>& page) {
    std::unordered_map<std::string_view, Paper*> by_id;
    by_id.reserve(page.size());
    for (auto& p : page) by_id.emplace(p.id, &p);
    // Rows of papers outside the page (none, by construction) are skipped.
    auto read = [&](int table, auto&& add) -> Status {
      PB_ASSIGN_OR_RETURN(Stmt * v, child(table));
      ResetGuard g{*v};
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
    PB_RETURN_IF_ERROR(read(0, [](const Stmt& v, Paper& p) {
      p.versions.push_back({static_cast<int>(v.integer(1)), v.text(2)});
    }));
    PB_RETURN_IF_ERROR(read(1, [](const Stmt& v, Paper& p) {
      p.signals.push_back({v.text(1), v.integer(2), v.text(3), v.text(4)});
    }));
    return read(2, [](const Stmt& v, Paper& p) {
      p.daily.push_back({v.text(1), v.text(2), v.text(3)});
    });
  }

  // The children of a page whose papers are those with low < key <= high (see scan).
  template <typename Key>
  Status read_children_in_range(const PageChildSql& sql, Key low, Key high,
                                std::vector<Paper>& page) {
    return read_children(
        [&](int table) -> Result<Stmt*> {
          const char* q = table == 0 ? sql.versions : table == 1 ? sql.signals : sql.daily;
          PB_ASSIGN_OR_RETURN(Stmt * v, stmt(q));
          v->bind(1, low).bind(2, high);
          return v;
        },
        page);
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
             "submitter, code_url, project_url, keywords, seq, announcement_day) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
             "title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, "
             "categories = excluded.categories, primary_category = excluded.primary_category, "
             "submitted = excluded.submitted, updated = excluded.updated, "
             "announced = excluded.announced, comments = excluded.comments, "
             "journal_ref = excluded.journal_ref, doi = excluded.doi, "
             "submitter = excluded.submitter, code_url = excluded.code_url, "
             "project_url = excluded.project_url, keywords = excluded.keywords, "
             "seq = excluded.seq, announcement_day = excluded.announcement_day"));
    ResetGuard g{*s};
    s->bind(1, p.id).bind(2, static_cast<std::int64_t>(p.version)).bind(3, p.title);
    s->bind(4, p.abstract).bind(5, to_json_array(p.authors));
    s->bind(6, join_categories(p.categories)).bind(7, p.primary_category);
    s->bind(8, p.submitted).bind(9, p.updated).bind(10, p.announced).bind(11, p.comments);
    s->bind(12, p.journal_ref).bind(13, p.doi).bind(14, p.submitter).bind(15, p.code_url);
    s->bind(16, p.project_url).bind(17, to_json_array(p.keywords)).bind(18, seq);
    s->bind(19, announcement_day_of(p));
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
  // Statements with IN lists, keyed by their SQL (see in_list_stmt).
  std::unordered_map<std::string, Stmt> in_stmts_;
  int schema_version_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options) {
  return SqliteStore::open(options);
}

}  // namespace pb

namespace pb {

std::string_view subscription_state_name(SubscriptionState s) {
  switch (s) {
    case SubscriptionState::kPending:
      return "pending";
    case SubscriptionState::kConfirmed:
      return "confirmed";
    case SubscriptionState::kUnsubscribed:
      return "unsubscribed";
    case SubscriptionState::kBouncing:
      return "bouncing";
  }
  return "pending";
}

}  // namespace pb
