#pragma once
// Internals of the server module, shared by its .cpp files (routes, views, accounts). Not a
// public header: only src/server includes it (it brings in cpp-httplib).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "index/lexical/index.hpp"
#include "rank/trending.hpp"
#include "server/metrics.hpp"
#include "server/rate_limiter.hpp"
#include "server/response_cache.hpp"
#include "server/server.hpp"
#include "store/store.hpp"
#include "text/analyzer.hpp"

// cpp-httplib defines a macro named _res in some configurations; keep it last.
#include <httplib.h>

namespace pb::server {

using Json = nlohmann::json;

// What one request thread needs for itself: a store connection and an analyzer (neither is
// thread-safe). Leased from WorkerPool for the duration of a request.
struct Worker {
  std::unique_ptr<Store> store;
  // A small term cache: there is one analyzer per concurrent request, and the default (400k
  // words, for indexing) grew the server by gigabytes under search load.
  text::Analyzer analyzer{text::AnalyzerOptions{.term_cache_entries = 20'000}};
};

class WorkerPool {
 public:
  explicit WorkerPool(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  struct Returner {
    WorkerPool* pool;
    void operator()(Worker* w) const { pool->release(w); }
  };
  using Lease = std::unique_ptr<Worker, Returner>;
  Result<Lease> acquire();

 private:
  void release(Worker* w);
  std::filesystem::path data_dir_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Worker>> free_;
};

// The semantic side as loaded at one time (swapped whole when the active set changes).
struct SemanticState {
  engine::LoadedSemantic loaded;
  std::string active_stamp;  // what ACTIVE looked like when loaded
};

// A signed-in user (or none) and the CSRF token the request's forms must carry.
struct Visitor {
  std::optional<User> user;
  std::string session_hash;  // of the session cookie, when signed in
  std::string csrf;          // session's token, else the pb_csrf cookie's (set if missing)
  bool new_csrf_cookie = false;
  bool secure = false;  // the request came over TLS (X-Forwarded-Proto: https)
};

struct TrendingCache {
  std::mutex mu;
  std::chrono::steady_clock::time_point computed{};
  std::vector<rank::TrendingScore> scores;  // best first
  std::int64_t reference = 0;
  bool valid = false;
};

struct App {
  ServeOptions options;
  WorkerPool workers;
  std::filesystem::path index_dir, vectors_dir;
  std::filesystem::path katex_dir;  // empty: no KaTeX

  // Current index and vectors, swapped by the reload thread.
  mutable std::mutex state_mu;
  std::shared_ptr<lexical::LexicalIndex> index;
  std::shared_ptr<const SemanticState> semantic;
  std::shared_ptr<lexical::LexicalIndex> current_index() const {
    std::lock_guard lock(state_mu);
    return index;
  }
  std::shared_ptr<const SemanticState> current_semantic() const {
    std::lock_guard lock(state_mu);
    return semantic;
  }

  MetricsRegistry metrics;
  RateLimiter login_by_ip{20, std::chrono::minutes(15)};
  RateLimiter login_by_name{10, std::chrono::minutes(15)};
  RateLimiter signup_by_ip{10, std::chrono::hours(1)};
  std::string secret;  // HMAC key (DATA/secret.key)
  TrendingCache trending;
  // API responses by route, parameters, index generation, vector set and vote count.
  ResponseCache api_cache;
  std::atomic<std::uint64_t> user_changes{0};  // bumped on every vote and submission

  // Wakes the mail scheduler (after a subscribe), when there is one.
  std::function<void()> wake_mailer;

  std::mutex log_mu;
  std::FILE* access_log = nullptr;
  bool own_access_log = false;

  explicit App(ServeOptions o)
      : options(std::move(o)),
        workers(options.data_dir),
        api_cache(options.api_cache_mb * 1024 * 1024) {}
  void log(const std::string& line) const;
};

// --- helpers shared by the route files (routes.cpp)
Visitor visitor_of(App& app, Worker& w, const httplib::Request& req, httplib::Response& res);
// Checks the CSRF token of a state-changing request (form field "csrf" or header
// X-CSRF-Token) and its Origin; false after answering 403.
bool check_csrf(App& app, const Visitor& v, const httplib::Request& req, httplib::Response& res);
// Answers with an error: JSON for /api/ and fetch requests, else an HTML page. Internal
// errors are logged, never shown.
void send_error(App& app, const httplib::Request& req, httplib::Response& res, int status,
                const std::string& message);
void send_status(App& app, const httplib::Request& req, httplib::Response& res, const Error& error);
bool wants_json(const httplib::Request& req);
std::string base_url(const App& app, const httplib::Request& req);
// The mail settings for links: the site's URL (--base-url, else from the request when there
// is one), the secret.
digest::MailSettings mail_settings(const App& app, const httplib::Request* req);

// --- views (views.cpp)
// A paper as the API and the templates see it. Field names follow Hugging Face's papers API
// where it has the same field (id, title, summary, authors[].name, publishedAt, upvotes,
// ai_keywords, githubRepo, projectPage) so that its clients work.
Json paper_json(const Paper& p, const UpvoteCount* votes);
// Renders templates/NAME.mustache into the page layout.
std::string render_page(const App& app, const std::string& name, Json page, const Visitor& v);
std::string render_template(const std::string& name, const Json& data);

// --- routes
void add_api_routes(App& app, httplib::Server& http);
void add_page_routes(App& app, httplib::Server& http);
void add_account_routes(App& app, httplib::Server& http);

// Route handlers with a leased worker (and the visitor): `f` returns a Status, and an error
// becomes the right error answer (send_status).
template <typename F>
httplib::Server::Handler with_worker(App& app, F f) {
  return [&app, f](const httplib::Request& req, httplib::Response& res) {
    auto w = app.workers.acquire();
    if (!w.ok()) return send_status(app, req, res, w.error());
    Status st = f(**w, req, res);
    if (!st.ok()) send_status(app, req, res, st.error());
  };
}

template <typename F>
httplib::Server::Handler with_visitor(App& app, F f) {
  return with_worker(
      app, [&app, f](Worker& w, const httplib::Request& req, httplib::Response& res) -> Status {
        Visitor v = visitor_of(app, w, req, res);
        return f(w, v, req, res);
      });
}

// Trending scores (cached for a few seconds; votes invalidate the cache).
Result<std::vector<rank::TrendingScore>> trending_scores(App& app, Worker& w,
                                                         std::int64_t* reference = nullptr);
void invalidate_trending(App& app);

}  // namespace pb::server
