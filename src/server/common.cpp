// What every route shares: who is asking (session, CSRF token), error answers, trending.

#include <fmt/format.h>

#include <ctime>

#include "core/dates.hpp"
#include "server/app.hpp"
#include "server/html.hpp"
#include "server/security.hpp"

namespace pb::server {

namespace {

std::string cookie(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  std::string_view s = header;
  while (!s.empty()) {
    size_t semi = s.find(';');
    std::string_view part = s.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return "";
}

bool is_token(std::string_view s) {
  if (s.size() < 16 || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

}  // namespace

bool wants_json(const httplib::Request& req) {
  return req.path.rfind("/api/", 0) == 0 ||
         req.get_header_value("Accept").find("application/json") != std::string::npos;
}

std::string base_url(const App& app, const httplib::Request& req) {
  if (!app.options.base_url.empty()) return app.options.base_url;
  std::string host = req.get_header_value("Host");
  if (host.empty() || host.find_first_of(" \"<>\\/") != std::string::npos) host = "localhost";
  const bool tls = req.get_header_value("X-Forwarded-Proto") == "https";
  return (tls ? "https://" : "http://") + host;
}

Visitor visitor_of(App& app, Worker& w, const httplib::Request& req, httplib::Response& res) {
  Visitor v;
  v.secure = app.options.secure_cookies || req.get_header_value("X-Forwarded-Proto") == "https";
  const std::string token = cookie(req, "pb_session");
  if (is_token(token)) {
    const std::string hash = sha256_hex(token);
    auto s = w.store->find_session(hash, dates::unix_now());
    if (s.ok() && *s) {
      auto u = w.store->get_user((*s)->user_id);
      if (u.ok() && *u) {
        v.user = std::move(**u);
        v.session_hash = hash;
        v.csrf = (*s)->csrf_token;
        return v;
      }
    }
  }
  // Anonymous forms (log in, sign up, subscribe) use a double-submit cookie.
  v.csrf = cookie(req, "pb_csrf");
  if (!is_token(v.csrf)) {
    v.csrf = random_token(24);
    v.new_csrf_cookie = true;
    res.set_header("Set-Cookie", fmt::format("pb_csrf={}; Path=/; HttpOnly; SameSite=Lax{}", v.csrf,
                                             v.secure ? "; Secure" : ""));
  }
  return v;
}

bool check_csrf(App& app, const Visitor& v, const httplib::Request& req, httplib::Response& res) {
  // A browser names the page's origin on cross-site POSTs: it must be ours.
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty() && origin != "null") {
    std::string host = req.get_header_value("Host");
    size_t scheme = origin.find("://");
    std::string origin_host = scheme == std::string::npos ? origin : origin.substr(scheme + 3);
    if (origin_host != host) {
      send_error(app, req, res, 403, "cross-site request refused");
      return false;
    }
  }
  std::string sent =
      req.has_param("csrf") ? req.get_param_value("csrf") : req.get_header_value("X-CSRF-Token");
  if (v.new_csrf_cookie || sent.empty() || !constant_time_equal(sent, v.csrf)) {
    send_error(app, req, res, 403,
               "this form has expired or did not come from this site; reload the page and retry");
    return false;
  }
  return true;
}

void send_error(App& app, const httplib::Request& req, httplib::Response& res, int status,
                const std::string& message) {
  res.status = status;
  if (wants_json(req)) {
    res.set_content(Json{{"error", message}, {"status", status}}.dump(), "application/json");
    return;
  }
  Visitor v;  // error pages do not look up the session (the store may be the problem)
  Json page = {
      {"title", fmt::format("{} · error", status)}, {"status", status}, {"message", message}};
  res.set_content(render_page(app, "error", std::move(page), v), "text/html; charset=utf-8");
}

void send_status(App& app, const httplib::Request& req, httplib::Response& res,
                 const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidInput:
      return send_error(app, req, res, 400, error.message());
    case ErrorCode::kNotFound:
      return send_error(app, req, res, 404, error.message());
    case ErrorCode::kConflict:
      return send_error(app, req, res, 409, error.message());
    default:
      app.log(fmt::format("serve: {} {}: {}", req.method, req.path, error.message()));
      return send_error(app, req, res, 500, "internal error");
  }
}

Result<std::vector<rank::TrendingScore>> trending_scores(App& app, Worker& w,
                                                         std::int64_t* reference) {
  auto& c = app.trending;
  std::lock_guard lock(c.mu);
  const auto now = std::chrono::steady_clock::now();
  if (!c.valid || now - c.computed > std::chrono::seconds(30)) {
    PB_ASSIGN_OR_RETURN(auto events, w.store->vote_events(0));
    std::vector<rank::UpvoteEvent> ev;
    ev.reserve(events.size());
    for (auto& e : events)
      ev.push_back({std::move(e.paper_id), e.source, e.value, e.at, e.source != "paperboy"});
    rank::TrendingParams p;
    p.half_life_hours = app.options.trending_half_life_hours;
    p.imported_weight = app.options.imported_vote_weight;
    c.reference = rank::trending_reference(ev, dates::unix_now(), p);
    c.scores = rank::trending(std::move(ev), dates::unix_now(), p, 500);
    c.computed = now;
    c.valid = true;
  }
  if (reference) *reference = c.reference;
  return c.scores;
}

void invalidate_trending(App& app) {
  std::lock_guard lock(app.trending.mu);
  app.trending.valid = false;
}

}  // namespace pb::server

namespace pb::server {

digest::MailSettings mail_settings(const App& app, const httplib::Request* req) {
  digest::MailSettings m = app.options.mail;
  m.secret = app.secret;
  if (req) {
    m.base_url = base_url(app, *req);
  } else if (!app.options.base_url.empty()) {
    m.base_url = app.options.base_url;
  }
  while (!m.base_url.empty() && m.base_url.back() == '/') m.base_url.pop_back();
  return m;
}

}  // namespace pb::server
