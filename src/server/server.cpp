// The HTTP server: cpp-httplib underneath, our middleware around every route (visitor,
// security headers, metrics, access log, error pages), and the reload thread that swaps in a
// newer index or vector set when another process (ingest, embed) publishes one.

#include "server/server.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/dates.hpp"
#include "core/files.hpp"
#include "digest/digest.hpp"
#include "server/app.hpp"
#include "server/security.hpp"

namespace pb::server {
namespace fs = std::filesystem;

// --- WorkerPool

Result<WorkerPool::Lease> WorkerPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      Worker* w = free_.back().release();
      free_.pop_back();
      return Lease(w, Returner{this});
    }
  }
  StoreOptions so;
  so.data_dir = data_dir_;
  so.page_cache_mb = 4;  // one connection per request thread: keep each small...
  so.mmap_mb = 4096;     // ...and read through the OS page cache, shared by all of them
  PB_ASSIGN_OR_RETURN(auto store, open_sqlite_store(so));
  auto w = std::make_unique<Worker>();
  w->store = std::move(store);
  return Lease(w.release(), Returner{this});
}

void WorkerPool::release(Worker* w) {
  std::lock_guard lock(mu_);
  free_.emplace_back(w);
}

void App::log(const std::string& line) const {
  if (options.log) {
    options.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

namespace {

// A stamp that changes whenever a writer publishes: the MANIFEST's inode, size and mtime.
std::string file_stamp(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}:{}.{}", st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

fs::path find_katex(const ServeOptions& o) {
  std::vector<fs::path> candidates;
  if (!o.katex_dir.empty()) return fs::exists(o.katex_dir / "katex.min.js") ? o.katex_dir : "";
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // build/<preset>/paperboy in a checkout, or <prefix>/bin/paperboy.
    candidates.push_back(exe.parent_path() / "../../node_modules/katex/dist");
    candidates.push_back(exe.parent_path() / "../share/paperboy/katex");
  }
  candidates.push_back(fs::current_path(ec) / "node_modules/katex/dist");
  for (const auto& c : candidates)
    if (fs::exists(c / "katex.min.js", ec)) return fs::weakly_canonical(c, ec);
  return "";
}

// The route a request matched, for metrics labels (bounded cardinality).
std::string route_label(const httplib::Request& req) {
  const std::string& p = req.path;
  auto starts = [&](std::string_view s) { return p.rfind(s, 0) == 0; };
  if (starts("/api/papers/search")) return "/api/papers/search";
  if (starts("/api/papers/") && p.size() > 8 && p.ends_with("/similar"))
    return "/api/papers/{id}/similar";
  if (starts("/api/papers/")) return "/api/papers/{id}";
  if (starts("/api/")) return p.size() < 40 ? p : "/api/other";
  if (starts("/papers/") && (p.ends_with("/upvote") || p.ends_with("/save") ||
                             p.ends_with("/unsave") || p.ends_with("/not-interested")))
    return "/papers/{id}/action";
  if (starts("/papers/")) return "/papers/{id}";
  if (starts("/authors/")) return "/authors/{name}";
  if (starts("/static/") || starts("/katex/")) return "/static";
  if (starts("/feeds/")) return "/feeds";
  static const char* const kKnown[] = {"/",
                                       "/papers",
                                       "/trending",
                                       "/search",
                                       "/about",
                                       "/login",
                                       "/signup",
                                       "/logout",
                                       "/library",
                                       "/account",
                                       "/follow",
                                       "/unfollow",
                                       "/for-you",
                                       "/subscribe",
                                       "/submit",
                                       "/healthz",
                                       "/metrics",
                                       "/subscription",
                                       "/subscription/confirm",
                                       "/unsubscribe"};
  for (const char* k : kKnown)
    if (p == k) return p;
  return "other";
}

// When the request being served on this thread was parsed (a request stays on one thread).
thread_local std::chrono::steady_clock::time_point t_request_start;

std::string clf_time() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServeOptions o) : app(std::move(o)) {}
  App app;
  httplib::Server http;
  int port = -1;
  std::thread reloader;
  std::thread mailer;
  bool mail_wanted = false;  // a subscribe asked for an early run (under stop_mu)
  std::string pruned_day;    // when the mail thread last pruned the outbox
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::string index_stamp, vectors_stamp;

  Status load_semantic(bool initial);
  void reload_loop();
  void mail_loop();
  Status mail_round(mail::Transport& transport, Store& store, text::Analyzer& analyzer);
  void install();
};

// One round of the mail scheduler: the digests due today into the outbox, then the outbox
// out. Idempotent, so rounds may run as often as wanted; another process sending the same
// outbox (a `digest run`) makes this round skip sending.
Status Server::Impl::mail_round(mail::Transport& transport, Store& store,
                                text::Analyzer& analyzer) {
  const digest::MailSettings m = mail_settings(app, nullptr);
  auto index = app.current_index();
  auto semantic = app.current_semantic();
  digest::ComposeOptions co;
  if (semantic) co.vectors = semantic->loaded.vectors.get();
  PB_ASSIGN_OR_RETURN(auto composed,
                      digest::compose_digests(store, *index->snapshot(), analyzer, m, co));
  if (composed.queued > 0)
    app.log(fmt::format("serve: {} digests queued for {}", composed.queued, composed.latest_day));
  PB_ASSIGN_OR_RETURN(auto lock, digest::DeliveryLock::try_acquire(app.options.data_dir));
  if (!lock) return Status();
  digest::DeliverOptions d;
  d.on_result = [this](const OutboxMessage& msg, const mail::SendResult& r) {
    if (r.outcome != mail::SendOutcome::kSent)
      app.log(fmt::format("serve: {} to {}: {}", msg.kind, msg.recipient, r.error));
  };
  PB_ASSIGN_OR_RETURN(auto sent, digest::deliver(store, transport, m, d));
  app.metrics.counter("paperboy_mail_sent_total", "Messages the SMTP server accepted")
      .inc(sent.sent);
  app.metrics.counter("paperboy_mail_bounced_total", "Messages refused for good (5xx)")
      .inc(sent.bounced);
  if (const std::string today = dates::today_utc(); today != pruned_day) {  // daily
    if (auto pruned = digest::prune_outbox(store, dates::unix_now()); !pruned.ok())
      return pruned.error();
    pruned_day = today;
  }
  return Status();
}

void Server::Impl::mail_loop() {
  auto transport = mail::smtp_transport(*app.options.smtp);
  auto store = open_sqlite_store({.data_dir = app.options.data_dir});
  if (!transport.ok() || !store.ok()) {
    app.log(fmt::format("serve: mail off: {}",
                        !transport.ok() ? transport.error().message() : store.error().message()));
    return;
  }
  text::Analyzer analyzer{text::AnalyzerOptions{.term_cache_entries = 20'000}};
  std::unique_lock lock(stop_mu);
  while (!stopping) {
    lock.unlock();
    if (Status st = mail_round(**transport, **store, analyzer); !st.ok())
      app.log(fmt::format("serve: mail: {}", st.error().message()));
    lock.lock();
    stop_cv.wait_for(lock, std::chrono::seconds(std::max(1, app.options.mail_interval_seconds)),
                     [this] { return stopping || mail_wanted; });
    mail_wanted = false;
  }
}

Status Server::Impl::load_semantic(bool initial) {
  vectors_stamp = file_stamp(app.vectors_dir / "ACTIVE");
  auto loaded = engine::open_semantic(app.vectors_dir, app.options.semantic, true);
  if (!loaded.ok()) {
    // The site still works lexically; say why semantic search is off.
    app.log(fmt::format("serve: semantic search off: {}", loaded.error().message()));
    return Status();
  }
  auto st = std::make_shared<SemanticState>();
  st->loaded = std::move(*loaded);
  st->active_stamp = vectors_stamp;
  if (initial && st->loaded.vectors)
    app.log(fmt::format("serve: semantic search with {}", st->loaded.vectors->info().model_id));
  std::lock_guard lock(app.state_mu);
  app.semantic = std::move(st);
  return Status();
}

void Server::Impl::reload_loop() {
  std::unique_lock lock(stop_mu);
  while (!stopping) {
    stop_cv.wait_for(lock, std::chrono::seconds(std::max(1, app.options.reload_seconds)));
    if (stopping) break;
    lock.unlock();
    std::string s = file_stamp(app.index_dir / "MANIFEST");
    if (s != index_stamp) {
      auto index = lexical::LexicalIndex::open(app.index_dir);
      if (index.ok()) {
        index_stamp = s;
        std::shared_ptr<lexical::LexicalIndex> shared(std::move(*index));
        std::lock_guard g(app.state_mu);
        app.index = std::move(shared);
      } else {
        app.log(fmt::format("serve: keeping the current index: {}", index.error().message()));
      }
    }
    if (file_stamp(app.vectors_dir / "ACTIVE") != vectors_stamp) (void)load_semantic(false);
    lock.lock();
  }
}

Result<std::unique_ptr<Server>> Server::open(ServeOptions options) {
  PB_RETURN_IF_ERROR(init_crypto());
  auto impl = std::make_unique<Impl>(std::move(options));
  App& app = impl->app;
  app.index_dir = app.options.data_dir / "index" / "lexical";
  app.vectors_dir = app.options.data_dir / "vectors";
  {
    // Bring the index up to date with the store once, before serving (ingest and harvest
    // keep it current afterwards; the reload thread picks up what they publish).
    PB_ASSIGN_OR_RETURN(auto w, app.workers.acquire());
    auto index = lexical::LexicalIndex::open(app.index_dir);
    bool rebuild = false;
    if (!index.ok() && (index.error().code() == ErrorCode::kCorrupt ||
                        index.error().code() == ErrorCode::kUnsupported)) {
      // The index is derived from the store: an unreadable or older-format one is rebuilt.
      app.log(
          fmt::format("serve: {}; rebuilding the index from the store", index.error().message()));
      std::error_code ec;
      fs::remove_all(app.index_dir, ec);
      index = lexical::LexicalIndex::open(app.index_dir);
      rebuild = true;
    }
    if (!index.ok()) return index.error();
    PB_ASSIGN_OR_RETURN(auto seq, w->store->max_seq());
    if (rebuild || seq > (*index)->snapshot()->store_seq) {
      app.log("serve: indexing papers added since the last index update");
      PB_RETURN_IF_ERROR(engine::refresh_index(*w->store, **index, {}));
    }
    impl->index_stamp = file_stamp(app.index_dir / "MANIFEST");
    app.index = std::shared_ptr<lexical::LexicalIndex>(std::move(*index));
  }
  PB_ASSIGN_OR_RETURN(app.secret, digest::load_secret(app.options.data_dir));
  PB_RETURN_IF_ERROR(impl->load_semantic(true));
  app.katex_dir = find_katex(app.options);
  if (app.katex_dir.empty())
    app.log("serve: KaTeX not found (run scripts/setup or pass --katex-dir); math shows as TeX");
  if (app.options.access_log == "-") {
    app.access_log = stderr;
  } else if (!app.options.access_log.empty()) {
    app.access_log = std::fopen(app.options.access_log.c_str(), "a");
    if (!app.access_log)
      return Error::io(fmt::format("cannot open access log {}", app.options.access_log));
    app.own_access_log = true;
  }
  Impl* raw = impl.get();
  app.wake_mailer = [raw] {
    {
      std::lock_guard lock(raw->stop_mu);
      raw->mail_wanted = true;
    }
    raw->stop_cv.notify_all();
  };
  impl->install();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
  if (impl_->reloader.joinable()) impl_->reloader.join();
  if (impl_->mailer.joinable()) impl_->mailer.join();
  if (impl_->app.own_access_log) std::fclose(impl_->app.access_log);
}

void Server::Impl::install() {
  const size_t threads = std::max<size_t>(2, app.options.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_keep_alive_max_count(10000);
  http.set_tcp_nodelay(true);  // headers and body go out as separate writes: no Nagle delay
  http.set_keep_alive_timeout(5);
  http.set_read_timeout(app.options.read_timeout_seconds, 0);
  http.set_write_timeout(app.options.write_timeout_seconds, 0);
  http.set_payload_max_length(app.options.max_body_bytes);

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "same-origin");
    res.set_header("X-Frame-Options", "DENY");
    if (req.path.rfind("/api/", 0) == 0) {
      // The read-only API is public: any site may call it from a browser.
      res.set_header("Access-Control-Allow-Origin", "*");
      if (req.method == "OPTIONS") {
        res.set_header("Access-Control-Allow-Methods", "GET, OPTIONS");
        res.set_header("Access-Control-Allow-Headers", "Content-Type");
        res.set_header("Access-Control-Max-Age", "86400");
        res.status = 204;
        return httplib::Server::HandlerResponse::Handled;
      }
    } else {
      // KaTeX sets inline styles; scripts come only from this site.
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                     "img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; "
                     "form-action 'self'; base-uri 'none'");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  http.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        app.log(fmt::format("serve: internal error on {} {}: {}", req.method, req.path, what));
        send_error(app, req, res, 500, "internal error");
      });

  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already explained itself
    const char* msg = res.status == 404   ? "not found"
                      : res.status == 413 ? "request too large"
                      : res.status == 400 ? "bad request"
                      : res.status == 405 ? "method not allowed"
                                          : "error";
    send_error(app, req, res, res.status, msg);
  });

  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const std::string route = route_label(req);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request_start).count();
    const std::string status = std::to_string(res.status);
    app.metrics
        .counter("paperboy_http_requests_total", "HTTP requests by route, method and status",
                 {{"route", route}, {"method", req.method}, {"status", status}})
        .inc();
    app.metrics
        .histogram("paperboy_http_request_duration_seconds",
                   "Time from request parsed to response written, by route", {{"route", route}})
        .observe(seconds);
    if (app.access_log) {
      // Combined Log Format plus the duration in milliseconds.
      auto line = fmt::format("{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" {:.2f}ms\n",
                              req.remote_addr, clf_time(), req.method, req.target, req.version,
                              res.status, res.body.size(), req.get_header_value("Referer"),
                              req.get_header_value("User-Agent"), seconds * 1000);
      std::lock_guard lock(app.log_mu);
      std::fputs(line.c_str(), app.access_log);
      std::fflush(app.access_log);
    }
  });

  add_api_routes(app, http);
  add_account_routes(app, http);
  add_page_routes(app, http);
}

Result<int> Server::bind() {
  if (impl_->port >= 0) return impl_->port;
  auto& o = impl_->app.options;
  int port = o.port == 0 ? impl_->http.bind_to_any_port(o.bind)
                         : (impl_->http.bind_to_port(o.bind, o.port) ? o.port : -1);
  if (port < 0)
    return Error::io(
        fmt::format("cannot listen on {}:{} (in use, or not an address here)", o.bind, o.port));
  impl_->port = port;
  return port;
}

Status Server::run() {
  PB_ASSIGN_OR_RETURN(int port, bind());
  (void)port;
  auto& im = *impl_;
  im.reloader = std::thread([this] { impl_->reload_loop(); });
  if (im.app.options.smtp) im.mailer = std::thread([this] { impl_->mail_loop(); });
  // httplib's stop() does nothing before listening has begun, so a stop() that comes early (a
  // SIGTERM right after start) is repeated until the listener has really returned.
  std::atomic<bool> listening_done{false};
  std::thread stopper([&im, &listening_done] {
    std::unique_lock lock(im.stop_mu);
    im.stop_cv.wait(lock, [&] { return im.stopping; });
    lock.unlock();
    while (!listening_done.load()) {
      im.http.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  im.http.listen_after_bind();  // returns once stop() closed the listener and drained
  listening_done = true;
  {
    std::lock_guard lock(im.stop_mu);
    im.stopping = true;
  }
  im.stop_cv.notify_all();
  stopper.join();
  if (im.reloader.joinable()) im.reloader.join();
  if (im.mailer.joinable()) im.mailer.join();
  return Status();
}

void Server::stop() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->http.stop();
}

int Server::port() const { return impl_->port; }

}  // namespace pb::server
