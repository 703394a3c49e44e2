// Accounts and what signed-in people do: sign up, log in and out (argon2id, session cookies,
// CSRF tokens, rate limits), upvote, save to the library with tags, follow authors and
// categories, subscribe, submit a paper to the day's list.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/arxiv_id.hpp"
#include "core/dates.hpp"
#include "digest/digest.hpp"
#include "engine/recommend.hpp"
#include "mail/message.hpp"
#include "server/app.hpp"
#include "server/html.hpp"
#include "server/queries.hpp"
#include "server/security.hpp"

namespace pb::server {
namespace {

using Req = httplib::Request;
using Res = httplib::Response;

constexpr std::int64_t kSessionSeconds = 30LL * 24 * 3600;

std::string param(const Req& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

std::string trim(std::string s) {
  auto sp = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && sp(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && sp(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// A local path to go back to (never another site).
std::string safe_next(const std::string& next, const std::string& fallback = "/") {
  if (next.size() > 1 && next[0] == '/' && next[1] != '/' && next[1] != '\\' &&
      next.find_first_of("\r\n") == std::string::npos)
    return next;
  return next == "/" ? next : fallback;
}

// Where a form came from, when it is this site's page.
std::string back(const Req& req, const std::string& fallback) {
  std::string ref = req.get_header_value("Referer");
  const std::string host = req.get_header_value("Host");
  for (const char* scheme : {"http://", "https://"}) {
    std::string prefix = std::string(scheme) + host;
    if (!host.empty() && ref.rfind(prefix, 0) == 0)
      return safe_next(ref.substr(prefix.size()), fallback);
  }
  return fallback;
}

void redirect(Res& res, const std::string& to) {
  res.status = 303;
  res.set_header("Location", to);
}

void set_session_cookie(Res& res, const std::string& token, const Visitor& v, std::int64_t age) {
  res.set_header("Set-Cookie",
                 fmt::format("pb_session={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}", token,
                             age, v.secure ? "; Secure" : ""));
}

bool valid_name(const std::string& n) {
  if (n.size() < 2 || n.size() > 32) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

// A subscription's state as the pages say it.
const char* state_description(SubscriptionState s) {
  static const char* const kText[] = {"waiting for confirmation", "active", "unsubscribed",
                                      "paused: mail to this address bounced"};
  return kText[static_cast<int>(s)];
}

// A state-changing form: CSRF checked; with `need_user`, anonymous visitors are sent to log in.
template <typename F>
httplib::Server::Handler action(App& app, bool need_user, F f) {
  return with_visitor(
      app, [&app, need_user, f](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
        if (!check_csrf(app, v, req, res)) return Status();
        if (need_user && !v.user) {
          if (wants_json(req)) {
            send_error(app, req, res, 401, "log in first");
          } else {
            redirect(res, "/login?next=" + url_encode(back(req, "/")));
          }
          return Status();
        }
        return f(w, v, req, res);
      });
}

// Recommendations for a user, with embedding features when the site has vectors.
Result<engine::Recommendations> recommend_for(App& app, Worker& w, UserId user, size_t k) {
  engine::RecommendOptions opts;
  opts.k = k;
  auto semantic = app.current_semantic();
  if (semantic) opts.vectors = semantic->loaded.vectors.get();
  auto index = app.current_index();
  return engine::recommend(*w.store, *index->snapshot(), user, opts, w.analyzer);
}

Status start_session(App&, Worker& w, Visitor& v, const User& user, Res& res) {
  const std::string token = random_token(32);
  Session s;
  s.token_hash = sha256_hex(token);
  s.user_id = user.id;
  s.csrf_token = random_token(24);
  s.created_at = dates::unix_now();
  s.expires_at = s.created_at + kSessionSeconds;
  PB_RETURN_IF_ERROR(w.store->create_session(s));
  set_session_cookie(res, token, v, kSessionSeconds);
  return Status();
}

void form_page(App& app, const Visitor& v, Res& res, const std::string& name, Json page,
               int status = 200) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(render_page(app, name, std::move(page), v), "text/html; charset=utf-8");
}

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      cur = trim(cur);
      if (!cur.empty() && cur.size() <= 40 && out.size() < 20) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

Result<std::string> paper_id_param(Worker& w, const std::string& raw) {
  auto id = ArxivId::parse(raw);
  if (!id) return Error::invalid_input(fmt::format("'{}' is not an arXiv id", raw));
  PB_ASSIGN_OR_RETURN(auto p, w.store->get(id->id));
  if (!p) return Error::not_found(fmt::format("this server has no paper {}", id->id));
  return id->id;
}

}  // namespace

void add_account_routes(App& app, httplib::Server& http) {
  http.Get("/signup",
           with_visitor(app, [&app](Worker&, Visitor& v, const Req& req, Res& res) -> Status {
             form_page(app, v, res, "signup",
                       {{"title", "Sign up"},
                        {"next", safe_next(param(req, "next"))},
                        {"closed", !app.options.signup}});
             return Status();
           }));
  http.Post("/signup",
            action(app, false, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              const std::string name = trim(param(req, "name"));
              const std::string email = trim(param(req, "email"));
              const std::string password = param(req, "password");
              const std::string next = safe_next(param(req, "next"));
              Json page = {{"title", "Sign up"}, {"name", name}, {"email", email}, {"next", next}};
              auto fail = [&](const std::string& msg, int status) {
                page["error"] = msg;
                form_page(app, v, res, "signup", page, status);
                return Status();
              };
              if (!app.options.signup) return fail("Sign-up is closed on this server.", 403);
              if (!app.signup_by_ip.allow(req.remote_addr, std::chrono::steady_clock::now()))
                return fail("Too many sign-ups from your address; try again later.", 429);
              if (!valid_name(name))
                return fail("A user name has 2 to 32 letters, digits, '.', '_' or '-'.", 400);
              if (!mail::valid_email(email))
                return fail("That does not look like an e-mail address.", 400);
              if (password.size() < 8 || password.size() > 1024)
                return fail("A password has at least 8 characters.", 400);
              PB_ASSIGN_OR_RETURN(auto hash, hash_password(password));
              auto id = w.store->create_user(name, email, hash, dates::unix_now());
              if (!id.ok() && id.error().code() == ErrorCode::kConflict)
                return fail(id.error().message() + ".", 409);
              if (!id.ok()) return Status(id.error());
              PB_ASSIGN_OR_RETURN(auto user, w.store->get_user(*id));
              PB_RETURN_IF_ERROR(start_session(app, w, v, *user, res));
              redirect(res, next);
              return Status();
            }));

  http.Get("/login",
           with_visitor(app, [&app](Worker&, Visitor& v, const Req& req, Res& res) -> Status {
             form_page(app, v, res, "login",
                       {{"title", "Log in"}, {"next", safe_next(param(req, "next"))}});
             return Status();
           }));
  http.Post("/login",
            action(app, false, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              const std::string name = trim(param(req, "name"));
              const std::string password = param(req, "password");
              const std::string next = safe_next(param(req, "next"));
              Json page = {{"title", "Log in"}, {"name", name}, {"next", next}};
              const auto now = std::chrono::steady_clock::now();
              std::string name_key = name;
              for (auto& c : name_key)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              if (!app.login_by_ip.allow(req.remote_addr, now) ||
                  !app.login_by_name.allow(name_key, now)) {
                auto wait = std::max(app.login_by_ip.retry_after(req.remote_addr, now),
                                     app.login_by_name.retry_after(name_key, now));
                res.set_header("Retry-After", std::to_string(wait.count()));
                page["error"] = "Too many attempts; wait a few minutes and try again.";
                form_page(app, v, res, "login", page, 429);
                return Status();
              }
              PB_ASSIGN_OR_RETURN(auto user, w.store->find_user(name));
              if (!user || !verify_password(user->password_hash, password)) {
                page["error"] = "Wrong user name or password.";
                form_page(app, v, res, "login", page, 401);
                return Status();
              }
              app.login_by_name.reset(name_key);
              PB_RETURN_IF_ERROR(start_session(app, w, v, *user, res));
              redirect(res, next);
              return Status();
            }));

  http.Post("/logout",
            action(app, false, [](Worker& w, Visitor& v, const Req&, Res& res) -> Status {
              if (!v.session_hash.empty())
                PB_RETURN_IF_ERROR(w.store->delete_session(v.session_hash));
              set_session_cookie(res, "", v, 0);
              redirect(res, "/");
              return Status();
            }));

  http.Post(
      R"(/papers/(.+)/upvote)",
      action(app, true, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
        PB_ASSIGN_OR_RETURN(std::string id, paper_id_param(w, req.matches[1]));
        std::vector<std::string> ids{id};
        bool up = true;
        const std::string want = param(req, "up");
        if (want == "0") {
          up = false;
        } else if (want.empty()) {
          PB_ASSIGN_OR_RETURN(auto voted, w.store->voted(v.user->id, ids));
          up = voted.empty();  // a toggle
        }
        PB_ASSIGN_OR_RETURN(bool changed, w.store->set_vote(v.user->id, id, up, dates::unix_now()));
        if (changed) {
          invalidate_trending(app);
          app.user_changes.fetch_add(1);
        }
        if (wants_json(req)) {
          PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
          res.set_content(Json{{"id", id}, {"upvoted", up}, {"upvotes", counts[0].total()}}.dump(),
                          "application/json");
        } else {
          redirect(res, back(req, "/papers/" + id));
        }
        return Status();
      }));

  http.Post(R"(/papers/(.+)/save)",
            action(app, true, [](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              PB_ASSIGN_OR_RETURN(std::string id, paper_id_param(w, req.matches[1]));
              auto tags = split_tags(param(req, "tags"));
              PB_RETURN_IF_ERROR(w.store->save_paper(v.user->id, id, tags, dates::unix_now()));
              if (wants_json(req)) {
                res.set_content(Json{{"id", id}, {"saved", true}, {"tags", tags}}.dump(),
                                "application/json");
              } else {
                redirect(res, back(req, "/papers/" + id));
              }
              return Status();
            }));
  http.Post(R"(/papers/(.+)/unsave)",
            action(app, true, [](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              PB_ASSIGN_OR_RETURN(std::string id, paper_id_param(w, req.matches[1]));
              PB_RETURN_IF_ERROR(w.store->unsave_paper(v.user->id, id));
              redirect(res, back(req, "/papers/" + id));
              return Status();
            }));

  http.Get("/library",
           with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
             if (!v.user) {
               redirect(res, "/login?next=/library");
               return Status();
             }
             const std::string tag = param(req, "tag");
             PB_ASSIGN_OR_RETURN(auto all, w.store->library(v.user->id, ""));
             std::map<std::string, int> tag_counts;
             std::vector<std::string> ids;
             std::map<std::string, std::vector<std::string>> tags_of;
             for (const auto& s : all) {
               for (const auto& t : s.tags) ++tag_counts[t];
               if (tag.empty() || std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end()) {
                 ids.push_back(s.paper_id);
                 tags_of[s.paper_id] = s.tags;
               }
             }
             PB_ASSIGN_OR_RETURN(auto papers, w.store->get_many(ids));
             PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
             Json items = Json::array();
             std::unordered_map<std::string, size_t> row;
             for (size_t i = 0; i < ids.size(); ++i) row[ids[i]] = i;
             for (const auto& p : papers) {
               ListItem it{p, counts[row[p.id]]};
               Json j = item_json(it);
               Json tags = Json::array();
               for (const auto& t : tags_of[p.id])
                 tags.push_back({{"tag", t}, {"url", "/library?tag=" + url_encode(t)}});
               j["tags"] = std::move(tags);
               items.push_back(std::move(j));
             }
             Json cloud = Json::array();
             for (const auto& [t, n] : tag_counts)
               cloud.push_back({{"tag", t},
                                {"count", n},
                                {"url", "/library?tag=" + url_encode(t)},
                                {"current", t == tag}});
             form_page(app, v, res, "library",
                       {{"title", "Library"},
                        {"nav_library", true},
                        {"items", std::move(items)},
                        {"tags", std::move(cloud)},
                        {"tag", tag},
                        {"count", ids.size()}});
             return Status();
           }));

  // Recommendations for the signed-in user (engine/recommend.hpp), explained; as JSON for
  // scripts and apps (the session cookie authenticates; CORS gives other sites no access, as
  // `Access-Control-Allow-Origin: *` never carries credentials).
  http.Get("/api/recommendations",
           with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
             if (!v.user) {
               send_error(app, req, res, 401, "log in first");
               return Status();
             }
             size_t k = 20;
             if (req.has_param("limit")) {
               const std::string l = req.get_param_value("limit");
               if (l.empty() || l.size() > 3 ||
                   l.find_first_not_of("0123456789") != std::string::npos || std::stoul(l) < 1 ||
                   std::stoul(l) > 100) {
                 send_error(app, req, res, 400, "limit must be 1 to 100");
                 return Status();
               }
               k = std::stoul(l);
             }
             PB_ASSIGN_OR_RETURN(auto recs, recommend_for(app, w, v.user->id, k));
             std::vector<std::string> ids;
             for (const auto& r : recs.items) ids.push_back(r.paper.id);
             PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
             Json items = Json::array();
             for (size_t i = 0; i < recs.items.size(); ++i) {
               const auto& r = recs.items[i];
               Json j = item_json(ListItem(r.paper, counts[i], r.score));
               Json why = {{"words", r.words}, {"terms", r.terms}};
               if (!r.nearest_id.empty())
                 why["nearest"] = {{"id", r.nearest_id},
                                   {"title", r.nearest_title},
                                   {"similarity", r.nearest_similarity}};
               j["why"] = std::move(why);
               items.push_back(std::move(j));
             }
             res.set_header("Cache-Control", "private, no-store");
             res.set_content(Json{{"basis", recs.basis}, {"items", std::move(items)}}.dump(
                                 -1, ' ', false, Json::error_handler_t::replace),
                             "application/json");
             return Status();
           }));

  http.Get(
      "/for-you", with_visitor(app, [&app](Worker& w, Visitor& v, const Req&, Res& res) -> Status {
        if (!v.user) {
          redirect(res, "/login?next=/for-you");
          return Status();
        }
        PB_ASSIGN_OR_RETURN(auto recs, recommend_for(app, w, v.user->id, 20));
        std::vector<std::string> ids;
        for (const auto& r : recs.items) ids.push_back(r.paper.id);
        PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
        std::vector<ListItem> list;
        for (size_t i = 0; i < recs.items.size(); ++i)
          list.emplace_back(recs.items[i].paper, counts[i], recs.items[i].score);
        bool math = false;
        PB_ASSIGN_OR_RETURN(Json items, items_view(w, v, list, math));
        for (size_t i = 0; i < recs.items.size(); ++i) {  // why each was chosen
          const auto& r = recs.items[i];
          std::string terms;
          for (const auto& t : r.words) terms += (terms.empty() ? "" : ", ") + t;
          items[i]["why_terms"] = terms;
          if (!r.nearest_id.empty())
            items[i]["why_like"] = {{"url", "/papers/" + r.nearest_id}, {"title", r.nearest_title}};
          items[i]["dismissable"] = true;
        }
        form_page(app, v, res, "for_you",
                  {{"title", "For you"},
                   {"nav_for_you", true},
                   {"items", std::move(items)},
                   {"math", math},
                   {"cold_start", recs.basis == "cold-start"},
                   {"no_basis", recs.basis == "none"}});
        return Status();
      }));
  http.Post(R"(/papers/(.+)/not-interested)",
            action(app, true, [](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              PB_ASSIGN_OR_RETURN(std::string id, paper_id_param(w, req.matches[1]));
              auto changed = w.store->set_not_interested(v.user->id, id, true, dates::unix_now());
              if (!changed.ok()) return Status(changed.error());
              redirect(res, back(req, "/for-you"));
              return Status();
            }));

  auto follow_route = [&app](bool on) {
    return action(app, true, [on](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
      const std::string kind = param(req, "kind");
      const std::string value = trim(param(req, "value"));
      if ((kind != "author" && kind != "category") || value.empty() || value.size() > 200)
        return Status(Error::invalid_input("follow needs kind=author|category and a value"));
      Follow f{kind == "author" ? FollowKind::kAuthor : FollowKind::kCategory, value};
      if (on) {
        PB_RETURN_IF_ERROR(w.store->follow(v.user->id, f, dates::unix_now()));
      } else {
        PB_RETURN_IF_ERROR(w.store->unfollow(v.user->id, f));
      }
      redirect(res, back(req, "/account"));
      return Status();
    });
  };
  http.Post("/follow", follow_route(true));
  http.Post("/unfollow", follow_route(false));

  http.Get(
      "/account", with_visitor(app, [&app](Worker& w, Visitor& v, const Req&, Res& res) -> Status {
        if (!v.user) {
          redirect(res, "/login?next=/account");
          return Status();
        }
        PB_ASSIGN_OR_RETURN(auto follows, w.store->follows(v.user->id));
        Json authors = Json::array(), cats = Json::array();
        for (const auto& f : follows) {
          if (f.kind == FollowKind::kAuthor) {
            authors.push_back({{"value", f.value}, {"url", "/authors/" + url_encode(f.value)}});
          } else {
            cats.push_back(
                {{"value", f.value}, {"url", "/papers?all=1&cat=" + url_encode(f.value)}});
          }
        }
        PB_ASSIGN_OR_RETURN(auto sub, w.store->find_subscription(v.user->email));
        Json page = {{"title", "Your account"},       {"nav_account", true},
                     {"name", v.user->name},          {"email", v.user->email},
                     {"authors", std::move(authors)}, {"categories", std::move(cats)}};
        if (sub) {
          page["subscription"] = {{"frequency", sub->frequency},
                                  {"state", state_description(sub->state)}};
        }
        form_page(app, v, res, "account", std::move(page));
        return Status();
      }));

  http.Post("/subscribe",
            action(app, false, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              std::string email = trim(param(req, "email"));
              if (email.empty() && v.user) email = v.user->email;
              Json page = {{"title", "Subscribe"}, {"email", email}};
              if (!mail::valid_email(email)) {
                page["error"] = "That does not look like an e-mail address.";
                form_page(app, v, res, "subscribed", page, 400);
                return Status();
              }
              Subscription s;
              s.email = email;
              s.frequency = param(req, "frequency") == "weekly" ? "weekly" : "daily";
              const std::string q = trim(param(req, "query"));
              if (!q.empty() && q.size() <= 500) s.queries.push_back(q);
              const std::string author = trim(param(req, "author"));
              if (!author.empty() && author.size() <= 200) s.authors.push_back(author);
              const std::string cat = trim(param(req, "category"));
              if (!cat.empty() && cat.size() <= 40) s.categories.push_back(cat);
              if (v.user) s.user_id = v.user->id;
              s.recommend = v.user && param(req, "recommend") == "1";
              s.top_papers =
                  s.queries.empty() && s.authors.empty() && s.categories.empty() && !s.recommend;
              const std::int64_t now = dates::unix_now();
              s.created_at = now;
              // Adding a topic to an existing subscription keeps its other topics.
              PB_ASSIGN_OR_RETURN(auto existing, w.store->find_subscription(email));
              if (existing && existing->state != SubscriptionState::kUnsubscribed) {
                auto add = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
                  for (const auto& x : from)
                    if (std::find(to.begin(), to.end(), x) == to.end()) to.push_back(x);
                };
                Subscription merged = *existing;
                merged.frequency = s.frequency;
                add(merged.queries, s.queries);
                add(merged.authors, s.authors);
                add(merged.categories, s.categories);
                merged.recommend = merged.recommend || s.recommend;
                merged.top_papers = merged.top_papers || s.top_papers;
                if (s.user_id) merged.user_id = s.user_id;
                s = std::move(merged);
              }
              PB_ASSIGN_OR_RETURN(std::int64_t id, w.store->upsert_subscription(s));
              PB_ASSIGN_OR_RETURN(auto saved, w.store->get_subscription(id));
              if (saved && saved->state == SubscriptionState::kPending) {
                PB_RETURN_IF_ERROR(
                    digest::queue_confirmation(*w.store, *saved, mail_settings(app, &req), now));
                if (app.wake_mailer) app.wake_mailer();
              }
              page["frequency"] = s.frequency;
              page["done"] = true;
              page["pending"] = saved && saved->state == SubscriptionState::kPending;
              form_page(app, v, res, "subscribed", page);
              return Status();
            }));

  // --- links in mail: signed tokens stand for the address (no session, no CSRF token: the
  // token is the proof, and a forged request cannot know it).
  auto open_token = [&app](Worker& w, Visitor& v, const Req& req, Res& res,
                           digest::LinkPurpose purpose) -> std::optional<Subscription> {
    auto sub = digest::open_link_token(mail_settings(app, &req), purpose, param(req, "t"), *w.store,
                                       dates::unix_now());
    if (!sub.ok()) {
      form_page(app, v, res, "subscription",
                {{"title", "E-mail subscription"}, {"error", sub.error().message()}}, 400);
      return std::nullopt;
    }
    return std::move(*sub);
  };
  auto prefs_page = [&app](const Req& req, const Subscription& sub) {
    const auto m = mail_settings(app, &req);
    auto lines = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += x + "\n";
      return out;
    };
    std::string cats;
    for (const auto& c : sub.categories) cats += (cats.empty() ? "" : " ") + c;
    return Json{{"title", "Your e-mail digest"},
                {"prefs", true},
                {"email", sub.email},
                {"token", digest::make_link_token(m, digest::LinkPurpose::kPreferences, sub,
                                                  dates::unix_now())},
                {"unsubscribe_token", digest::make_link_token(m, digest::LinkPurpose::kUnsubscribe,
                                                              sub, dates::unix_now())},
                {"weekly", sub.frequency == "weekly"},
                {"top_papers", sub.top_papers},
                {"recommend", sub.recommend},
                {"can_recommend", sub.user_id.has_value()},
                {"queries", lines(sub.queries)},
                {"authors", lines(sub.authors)},
                {"categories", cats},
                {"active", sub.state == SubscriptionState::kConfirmed},
                {"state", state_description(sub.state)}};
  };

  // The link proved the address: the subscription is active; show the preferences with a note.
  auto activate_and_show = [&app, prefs_page](Worker& w, Visitor& v, const Req& req, Res& res,
                                              Subscription& sub, const char* note) -> Status {
    if (sub.state != SubscriptionState::kConfirmed) {
      PB_RETURN_IF_ERROR(w.store->set_subscription_state(sub.id, SubscriptionState::kConfirmed));
      sub.state = SubscriptionState::kConfirmed;
    }
    Json page = prefs_page(req, sub);
    page[note] = true;
    form_page(app, v, res, "subscription", std::move(page));
    return Status();
  };

  http.Get("/subscription/confirm",
           with_visitor(app,
                        [open_token, activate_and_show](Worker& w, Visitor& v, const Req& req,
                                                        Res& res) -> Status {
                          auto sub = open_token(w, v, req, res, digest::LinkPurpose::kConfirm);
                          if (!sub) return Status();
                          return activate_and_show(w, v, req, res, *sub, "confirmed");
                        }));

  http.Get("/subscription",
           with_visitor(app,
                        [&app, open_token, prefs_page](Worker& w, Visitor& v, const Req& req,
                                                       Res& res) -> Status {
                          auto sub = open_token(w, v, req, res, digest::LinkPurpose::kPreferences);
                          if (!sub) return Status();
                          form_page(app, v, res, "subscription", prefs_page(req, *sub));
                          return Status();
                        }));

  http.Post("/subscription",
            with_visitor(app,
                         [open_token, activate_and_show](Worker& w, Visitor& v, const Req& req,
                                                         Res& res) -> Status {
                           auto sub = open_token(w, v, req, res, digest::LinkPurpose::kPreferences);
                           if (!sub) return Status();
                           auto lines = [](const std::string& text, char sep, size_t max_len) {
                             std::vector<std::string> out;
                             std::string cur;
                             for (char c : text + sep) {
                               if (c == sep || c == '\n') {
                                 cur = trim(cur);
                                 if (!cur.empty() && cur.size() <= max_len && out.size() < 50 &&
                                     std::find(out.begin(), out.end(), cur) == out.end())
                                   out.push_back(cur);
                                 cur.clear();
                               } else if (c != '\r') {
                                 cur += c;
                               }
                             }
                             return out;
                           };
                           sub->frequency =
                               param(req, "frequency") == "weekly" ? "weekly" : "daily";
                           sub->top_papers = param(req, "top_papers") == "1";
                           sub->recommend = sub->user_id && param(req, "recommend") == "1";
                           sub->queries = lines(param(req, "queries"), '\n', 500);
                           sub->authors = lines(param(req, "authors"), '\n', 200);
                           sub->categories = lines(param(req, "categories"), ' ', 40);
                           if (sub->queries.empty() && sub->authors.empty() &&
                               sub->categories.empty() && !sub->recommend)
                             sub->top_papers = true;  // a digest needs something in it
                           if (auto up = w.store->upsert_subscription(*sub); !up.ok())
                             return up.error();
                           // Saving from the link (re)activates an unsubscribed or bouncing
                           // address.
                           return activate_and_show(w, v, req, res, *sub, "saved");
                         }));

  http.Get("/unsubscribe",
           with_visitor(
               app, [&app, open_token](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
                 // A GET never unsubscribes: mail scanners follow links (RFC 8058).
                 auto sub = open_token(w, v, req, res, digest::LinkPurpose::kUnsubscribe);
                 if (!sub) return Status();
                 form_page(app, v, res, "subscription",
                           {{"title", "Unsubscribe"},
                            {"unsubscribe_ask", true},
                            {"email", sub->email},
                            {"token", param(req, "t")}});
                 return Status();
               }));

  // One-click unsubscribe (RFC 8058: a POST of "List-Unsubscribe=One-Click" to the
  // List-Unsubscribe URL), and the button of the page above.
  http.Post("/unsubscribe",
            with_visitor(
                app, [&app, open_token](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
                  auto sub = open_token(w, v, req, res, digest::LinkPurpose::kUnsubscribe);
                  if (!sub) return Status();
                  if (sub->state != SubscriptionState::kUnsubscribed)
                    PB_RETURN_IF_ERROR(
                        w.store->set_subscription_state(sub->id, SubscriptionState::kUnsubscribed));
                  const auto m = mail_settings(app, &req);
                  form_page(app, v, res, "subscription",
                            {{"title", "Unsubscribed"},
                             {"unsubscribe_done", true},
                             {"email", sub->email},
                             {"token", digest::make_link_token(m, digest::LinkPurpose::kPreferences,
                                                               *sub, dates::unix_now())}});
                  return Status();
                }));

  http.Post("/submit",
            action(app, true, [&app](Worker& w, Visitor& v, const Req& req, Res& res) -> Status {
              PB_ASSIGN_OR_RETURN(std::string id, paper_id_param(w, trim(param(req, "id"))));
              const std::string day = dates::today_utc();
              ListingEntry e{day, id, "paperboy", v.user->name};
              Status st = w.store->add_listing(e);
              if (!st.ok() && st.error().code() != ErrorCode::kConflict) return st;
              app.user_changes.fetch_add(1);
              redirect(res, "/papers?date=" + day);
              return Status();
            }));
}

}  // namespace pb::server
