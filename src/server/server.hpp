#pragma once
// `paperboy serve`: the web app (server-rendered HTML), the JSON API, feeds and operations
// endpoints over one data directory. See docs/web.md for the routes and ARCHITECTURE.md for
// how requests flow.
//
// Thread safety: run() serves on a pool of threads; stop() may be called from any thread
// (e.g. a signal-watching one): the listener closes, requests in flight finish, run() returns.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "digest/digest.hpp"
#include "engine/vectors.hpp"

namespace pb::server {

struct ServeOptions {
  std::filesystem::path data_dir;
  std::string bind = "127.0.0.1";
  int port = 8080;               // 0: any free port (see Server::port())
  size_t threads = 64;           // connection threads (keep-alive connections hold one each)
  std::string access_log = "-";  // "-": stderr, "": off, else a file to append to
  size_t max_body_bytes = 64 * 1024;
  int read_timeout_seconds = 10;
  int write_timeout_seconds = 10;
  // Absolute links in feeds ("" = from the request's Host header).
  std::string base_url;
  // KaTeX's dist directory ("" = look for node_modules/katex/dist near the binary and in the
  // working directory); without it math is shown as TeX source.
  std::filesystem::path katex_dir;
  double trending_half_life_hours = 72;
  double imported_vote_weight = 1.0;  // Hugging Face upvotes against local ones
  bool secure_cookies = false;        // also set per request when X-Forwarded-Proto is https
  bool signup = true;                 // allow creating accounts
  engine::SemanticSettings semantic;
  int reload_seconds = 2;  // how often to look for a newer index or vector set
  // Memory for cached API responses (search, daily, trending, similar); 0 turns it off.
  size_t api_cache_mb = 64;
  // E-mail: the sender, site name and public URL for links in mail (confirmation mail is
  // queued by /subscribe whatever happens next). With `smtp`, a scheduler composes the due
  // digests and sends the outbox every mail_interval_seconds (and soon after a subscribe).
  digest::MailSettings mail;  // its base_url: base_url above, else the request's host
  std::optional<mail::SmtpSettings> smtp;
  int mail_interval_seconds = 60;
  // Diagnostics (startup notes, internal errors); default: stderr.
  std::function<void(const std::string&)> log;
};

class Server {
 public:
  // Opens the store, brings the index up to date when it is behind and loads the vectors.
  static Result<std::unique_ptr<Server>> open(ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port (useful with port 0).
  Result<int> bind();
  // Serves until stop(); binds first when bind() was not called.
  Status run();
  void stop();
  int port() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pb::server
