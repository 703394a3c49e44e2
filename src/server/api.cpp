// The JSON API (read-only, CORS-enabled), feeds and the operations endpoints.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/dates.hpp"
#include "server/app.hpp"
#include "server/feeds.hpp"
#include "server/html.hpp"
#include "server/openapi.hpp"
#include "server/queries.hpp"

namespace pb::server {
namespace {

using Req = httplib::Request;
using Res = httplib::Response;

std::string param(const Req& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

Result<size_t> size_param(const Req& req, const char* name, size_t fallback, size_t lo, size_t hi) {
  std::string v = param(req, name);
  if (v.empty()) return fallback;
  size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    return Error::invalid_input(
        fmt::format("{} must be a whole number from {} to {}", name, lo, hi));
  return n;
}

void send_json(Res& res, const Json& j) {
  res.set_content(j.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

// Serves a JSON route from the API cache when it can (see response_cache.hpp); `time_bucket`
// for lists that change with time alone (trending decays).
template <typename F>
httplib::Server::Handler cached(App& app, bool time_bucket, F f) {
  return with_worker(app, [&app, time_bucket, f](Worker& w, const Req& req, Res& res) -> Status {
    PB_ASSIGN_OR_RETURN(std::int64_t seq, w.store->max_seq());
    auto index = app.current_index();
    auto semantic = app.current_semantic();
    std::string key = req.path;
    std::vector<std::pair<std::string, std::string>> params(req.params.begin(), req.params.end());
    std::sort(params.begin(), params.end());
    for (const auto& [k, v] : params) key += fmt::format("\x1f{}={}", k, v);
    key += fmt::format("\x1e{}|{}|{}|{}|{}", index->snapshot()->generation,
                       semantic ? semantic->active_stamp : "", seq, app.user_changes.load(),
                       time_bucket ? dates::unix_now() / 30 : 0);
    if (auto hit = app.api_cache.get(key)) {
      for (const auto& [h, v] : hit->headers) res.set_header(h, v);
      res.set_content(hit->body, hit->content_type);
      return Status();
    }
    PB_RETURN_IF_ERROR(f(w, req, res));
    if (res.status == 200 || res.status == -1) {
      auto entry = std::make_shared<CachedResponse>();
      entry->body = res.body;
      entry->content_type = res.get_header_value("Content-Type");
      for (const auto& [h, v] : res.headers)
        if (h.rfind("X-Paperboy-", 0) == 0) entry->headers.emplace_back(h, v);
      app.api_cache.put(key, std::move(entry));
    }
    return Status();
  });
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find_first_of(", ", i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

Result<SearchParams> search_params(const httplib::Request& req, size_t default_limit) {
  SearchParams p;
  p.q = param(req, "q");
  PB_ASSIGN_OR_RETURN(p.mode, engine::parse_mode(param(req, "mode")));
  p.category = param(req, "cat");
  p.after = param(req, "after");
  p.before = param(req, "before");
  if (!param(req, "sort").empty()) p.sort = param(req, "sort");
  if (p.sort != "relevance" && p.sort != "date")
    return Error::invalid_input("sort must be relevance or date");
  for (const std::string* d : {&p.after, &p.before})
    if (!d->empty() && !dates::normalise(*d))
      return Error::invalid_input(fmt::format("'{}' is not a date (YYYY-MM-DD or YYYY-MM)", *d));
  if (!p.category.empty() && p.category.find_first_of(" \"") != std::string::npos)
    return Error::invalid_input("cat must be one arXiv category such as cs.CL");
  PB_ASSIGN_OR_RETURN(p.limit, size_param(req, "limit", default_limit, 1, 100));
  PB_ASSIGN_OR_RETURN(size_t page, size_param(req, "page", 1, 1, 1000));
  PB_ASSIGN_OR_RETURN(p.offset, size_param(req, "offset", (page - 1) * p.limit, 0, 100000));
  return p;
}

Result<DailyParams> daily_params(const httplib::Request& req) {
  DailyParams p;
  p.date = param(req, "date");
  if (!p.date.empty() && !dates::valid_day(p.date))
    return Error::invalid_input(fmt::format("date must be YYYY-MM-DD, not '{}'", p.date));
  if (!param(req, "view").empty()) p.view = param(req, "view");
  if (p.view != "day" && p.view != "week" && p.view != "month")
    return Error::invalid_input("view must be day, week or month");
  if (!param(req, "sort").empty()) p.sort = param(req, "sort");
  if (p.sort != "upvotes" && p.sort != "trending" && p.sort != "recent")
    return Error::invalid_input("sort must be upvotes, trending or recent");
  const std::string all = param(req, "all");
  p.all = all == "1" || all == "true" || all == "on";
  for (const auto& c : split_list(param(req, "cat"))) p.categories.push_back(c);
  if (p.categories.size() > 20) return Error::invalid_input("at most 20 categories");
  PB_ASSIGN_OR_RETURN(p.limit, size_param(req, "limit", 100, 1, 500));
  PB_ASSIGN_OR_RETURN(size_t page, size_param(req, "page", 1, 1, 10000));
  p.offset = (page - 1) * p.limit;
  return p;
}

Feed make_feed(const App& app, const Req& req, std::string title, std::string page_path,
               const std::vector<ListItem>& items) {
  (void)app;
  const std::string base = base_url(app, req);
  Feed f;
  f.title = std::move(title);
  f.link = base + page_path;
  f.self_link = base + req.target;
  f.id = f.self_link;
  f.description = f.title;
  f.updated = dates::now_utc();
  for (const auto& it : items) {
    FeedItem fi;
    fi.id = "arxiv:" + it.paper.id;
    fi.title = it.paper.title;
    fi.link = base + "/papers/" + it.paper.id;
    fi.summary = it.paper.abstract;
    fi.authors = it.paper.authors;
    fi.categories = it.paper.categories;
    fi.published = it.paper.submitted.empty() ? it.paper.announced : it.paper.submitted;
    fi.updated = it.paper.updated.empty() ? fi.published : it.paper.updated;
    f.items.push_back(std::move(fi));
  }
  return f;
}

void add_api_routes(App& app, httplib::Server& http) {
  http.Get("/api/openapi.json", [](const Req&, Res& res) {
    res.set_content(std::string(openapi_document()), "application/json");
  });

  http.Get("/api/papers/search",
           cached(app, false, [&app](Worker& w, const Req& req, Res& res) -> Status {
             PB_ASSIGN_OR_RETURN(auto p, search_params(req, 20));
             if (p.q.empty()) return Status(Error::invalid_input("q is required"));
             PB_ASSIGN_OR_RETURN(auto page, run_search(app, w, p));
             Json out = Json::array();
             for (const auto& it : page.items) out.push_back(item_json(it));
             if (!page.notes.empty()) {
               std::string notes;
               for (const auto& n : page.notes) notes += (notes.empty() ? "" : "; ") + n;
               res.set_header("X-Paperboy-Notes", notes);
             }
             if (page.has_more) res.set_header("X-Paperboy-Has-More", "true");
             res.set_header("X-Paperboy-Mode", page.mode);
             send_json(res, out);
             return Status();
           }));

  http.Get("/api/daily_papers",
           cached(app, true, [&app](Worker& w, const Req& req, Res& res) -> Status {
             PB_ASSIGN_OR_RETURN(auto p, daily_params(req));
             PB_ASSIGN_OR_RETURN(auto d, daily_page(app, w, p));
             Json out = Json::array();
             for (const auto& it : d.items) out.push_back(item_json(it));
             res.set_header("X-Paperboy-Date", d.date);
             send_json(res, out);
             return Status();
           }));

  http.Get("/api/trending",
           cached(app, true, [&app](Worker& w, const Req& req, Res& res) -> Status {
             std::string sort = param(req, "sort");
             if (sort.empty()) sort = "trending";
             if (sort != "trending" && sort != "recent" && sort != "upvotes")
               return Status(Error::invalid_input("sort must be trending, recent or upvotes"));
             PB_ASSIGN_OR_RETURN(size_t limit, size_param(req, "limit", 50, 1, 500));
             PB_ASSIGN_OR_RETURN(auto items, trending_page(app, w, sort, limit));
             Json out = Json::array();
             for (const auto& it : items) out.push_back(item_json(it));
             send_json(res, out);
             return Status();
           }));

  http.Get(R"(/api/papers/(.+)/similar)",
           cached(app, false, [&app](Worker& w, const Req& req, Res& res) -> Status {
             PB_ASSIGN_OR_RETURN(size_t limit, size_param(req, "limit", 10, 1, 100));
             auto semantic = app.current_semantic();
             const engine::VectorSet* vectors =
                 semantic && semantic->loaded.vectors ? semantic->loaded.vectors.get() : nullptr;
             engine::HybridOptions h = semantic ? semantic->loaded.hybrid : engine::HybridOptions{};
             auto index = app.current_index();
             PB_ASSIGN_OR_RETURN(
                 auto sim, engine::similar(*w.store, *index->snapshot(), req.matches[1], limit,
                                           w.analyzer, vectors, h));
             std::vector<std::string> ids;
             for (const auto& it : sim.items) ids.push_back(it.paper.id);
             PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
             Json out = Json::array();
             for (size_t i = 0; i < sim.items.size(); ++i) {
               ListItem li{std::move(sim.items[i].paper), counts[i], sim.items[i].score};
               out.push_back(item_json(li));
             }
             send_json(res, out);
             return Status();
           }));

  http.Get(R"(/api/papers/(.+))",
           with_worker(app, [](Worker& w, const Req& req, Res& res) -> Status {
             const std::string id = req.matches[1];
             PB_ASSIGN_OR_RETURN(auto paper, w.store->get(id));
             if (!paper) return Status(Error::not_found(fmt::format("no paper {}", id)));
             std::vector<std::string> ids{paper->id};
             PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
             send_json(res, paper_json(*paper, &counts[0]));
             return Status();
           }));

  // Feeds: /feeds/{daily,trending,search}.{rss,atom}
  http.Get(R"(/feeds/(daily|trending|search)\.(rss|atom))",
           with_worker(app, [&app](Worker& w, const Req& req, Res& res) -> Status {
             const std::string kind = req.matches[1], format = req.matches[2];
             std::vector<ListItem> items;
             std::string title, page;
             if (kind == "daily") {
               PB_ASSIGN_OR_RETURN(auto p, daily_params(req));
               PB_ASSIGN_OR_RETURN(auto d, daily_page(app, w, p));
               items = std::move(d.items);
               title = fmt::format("paperboy: daily papers, {}", d.date);
               page = "/papers?date=" + d.date;
             } else if (kind == "trending") {
               PB_ASSIGN_OR_RETURN(items, trending_page(app, w, "trending", 50));
               title = "paperboy: trending papers";
               page = "/trending";
             } else {
               PB_ASSIGN_OR_RETURN(auto p, search_params(req, 50));
               if (p.q.empty()) return Status(Error::invalid_input("q is required"));
               p.sort = param(req, "sort").empty() ? "date" : p.sort;
               PB_ASSIGN_OR_RETURN(auto s, run_search(app, w, p));
               items = std::move(s.items);
               title = fmt::format("paperboy: {}", p.q);
               page = "/search?q=" + url_encode(p.q);
             }
             Feed f = make_feed(app, req, title, page, items);
             if (format == "rss") {
               res.set_content(to_rss(f), "application/rss+xml; charset=utf-8");
             } else {
               res.set_content(to_atom(f), "application/atom+xml; charset=utf-8");
             }
             return Status();
           }));

  http.Get("/healthz", with_worker(app, [&app](Worker& w, const Req&, Res& res) -> Status {
             auto seq = w.store->max_seq();
             auto index = app.current_index();
             if (!seq.ok() || !index) {
               res.status = 503;
               send_json(res, {{"status", "unavailable"}});
               return Status();
             }
             auto snap = index->snapshot();
             send_json(res, {{"status", "ok"},
                             {"store_seq", *seq},
                             {"index_seq", snap->store_seq},
                             {"indexed", snap->live_docs()}});
             return Status();
           }));

  http.Get("/metrics", with_worker(app, [&app](Worker& w, const Req&, Res& res) -> Status {
             // Gauges of what is served, set at scrape time.
             auto papers = w.store->count();
             auto st = app.current_index()->stats();
             auto semantic = app.current_semantic();
             size_t vectors = 0;
             if (semantic && semantic->loaded.vectors)
               vectors = semantic->loaded.vectors->store().live_rows();
             auto& m = app.metrics;
             m.gauge("paperboy_papers", "Papers in the store.")
                 .set(papers.ok() ? static_cast<double>(*papers) : -1);
             m.gauge("paperboy_index_documents", "Live documents in the lexical index.")
                 .set(static_cast<double>(st.docs));
             m.gauge("paperboy_index_bytes", "Bytes of the lexical index on disk.")
                 .set(static_cast<double>(st.bytes));
             m.gauge("paperboy_index_segments", "Segments of the lexical index.")
                 .set(static_cast<double>(st.segments));
             m.gauge("paperboy_vectors", "Live vectors in the active vector set.")
                 .set(static_cast<double>(vectors));
             std::string out = m.render();
             res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
             return Status();
           }));
}

}  // namespace pb::server
