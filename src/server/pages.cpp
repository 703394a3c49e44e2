// The HTML pages: daily papers, trending, search, paper, author, about; static assets.

#include <fmt/format.h>

#include <fstream>

#include "core/arxiv_id.hpp"
#include "core/dates.hpp"
#include "server/app.hpp"
#include "server/assets.hpp"
#include "server/html.hpp"
#include "server/queries.hpp"

namespace pb::server {
namespace {

using Req = httplib::Request;
using Res = httplib::Response;
namespace fs = std::filesystem;

std::string param(const Req& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

void send_html(Res& res, std::string html) {
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(html), "text/html; charset=utf-8");
}

bool has_math(std::string_view s) { return s.find('$') != std::string_view::npos; }

// The first ~`max` bytes of an abstract, cut at a space, never inside $...$ math.
std::string short_text(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = s.rfind(' ', max);
  if (cut == std::string::npos || cut < max / 2) cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  std::string out = s.substr(0, cut);
  if (std::count(out.begin(), out.end(), '$') % 2 == 1) out.resize(out.rfind('$'));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + " …";
}

const char* content_type_of(std::string_view path) {
  auto ends = [&](std::string_view s) { return path.ends_with(s); };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".woff2")) return "font/woff2";
  if (ends(".woff")) return "font/woff";
  if (ends(".ttf")) return "font/ttf";
  if (ends(".json")) return "application/json";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

std::string day_label(const std::string& day) {
  if (!dates::valid_day(day)) return day;
  static const char* const kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                      "Friday", "Saturday", "Sunday"};
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  return fmt::format("{}, {} {} {}", kDays[dates::weekday(day)], std::stoi(day.substr(8, 2)),
                     kMonths[std::stoi(day.substr(5, 2)) - 1], day.substr(0, 4));
}

std::string month_label(const std::string& day) {
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  return fmt::format("{} {}", kMonths[std::stoi(day.substr(5, 2)) - 1], day.substr(0, 4));
}

Status daily(App& app, Worker& w, const Visitor& v, const Req& req, Res& res) {
  PB_ASSIGN_OR_RETURN(auto p, daily_params(req));
  PB_ASSIGN_OR_RETURN(auto d, daily_page(app, w, p));
  bool math = false;
  PB_ASSIGN_OR_RETURN(Json items, items_view(w, v, d.items, math));
  std::string cats;
  for (const auto& c : p.categories) cats += (cats.empty() ? "" : ",") + c;
  auto link = [&](const std::string& date, const std::string& view, bool all, size_t page_no) {
    std::string q = "/papers?date=" + date + "&view=" + view;
    if (all) q += "&all=1";
    if (!cats.empty()) q += "&cat=" + url_encode(cats);
    if (d.sort != "upvotes") q += "&sort=" + d.sort;
    if (page_no > 1) q += "&page=" + std::to_string(page_no);
    return q;
  };
  std::string heading = d.view == "week"    ? fmt::format("Week of {}", day_label(d.first))
                        : d.view == "month" ? month_label(d.first)
                                            : day_label(d.date);
  const size_t page_no = p.offset / p.limit + 1;
  Json page = {
      {"title", "Daily papers · " + heading},
      {"nav_daily", true},
      {"heading", heading},
      {"date", d.date},
      {"items", std::move(items)},
      {"count", d.total},
      {"all", d.all},
      {"curated", !d.all},
      {"cats", cats},
      {"sub_category", p.categories.size() == 1 ? p.categories[0] : std::string()},
      {"math", math},
      {"view_day", d.view == "day"},
      {"view_week", d.view == "week"},
      {"view_month", d.view == "month"},
      {"sort_upvotes", d.sort == "upvotes"},
      {"sort_trending", d.sort == "trending"},
      {"sort_recent", d.sort == "recent"},
      {"link_day", link(d.date, "day", d.all, 1)},
      {"link_week", link(d.date, "week", false, 1)},
      {"link_month", link(d.date, "month", false, 1)},
      {"link_curated", link(d.date, "day", false, 1)},
      {"link_all", link(d.date, "day", true, 1)},
      {"feed_rss", "/feeds/daily.rss?date=" + d.date},
      {"feed_atom", "/feeds/daily.atom?date=" + d.date},
      {"today", dates::today_utc()},
      {"can_submit", v.user.has_value() && !d.all},
  };
  if (!d.prev.empty()) page["link_prev"] = link(d.prev, d.view, d.all, 1);
  if (!d.next.empty()) page["link_next"] = link(d.next, d.view, d.all, 1);
  if (page_no > 1) page["link_newer_page"] = link(d.date, d.view, d.all, page_no - 1);
  if (d.has_more) page["link_more"] = link(d.date, d.view, d.all, page_no + 1);
  if (d.total == 0) {
    page["empty"] = d.all ? "No new arXiv papers were announced that day (arXiv announces on "
                            "weekdays, except holidays)."
                          : "No papers were listed for this period.";
  }
  send_html(res, render_page(app, "daily", std::move(page), v));
  return Status();
}

Status trending_html(App& app, Worker& w, const Visitor& v, const Req& req, Res& res) {
  std::string sort = param(req, "sort");
  if (sort.empty()) sort = "trending";
  if (sort != "trending" && sort != "recent" && sort != "upvotes")
    return Error::invalid_input("sort must be trending, recent or upvotes");
  std::int64_t ref = 0;
  PB_ASSIGN_OR_RETURN(auto list, trending_page(app, w, sort, 50, &ref));
  bool math = false;
  PB_ASSIGN_OR_RETURN(Json items, items_view(w, v, list, math));
  Json page = {{"title", "Trending papers"},          {"nav_trending", true},
               {"items", std::move(items)},           {"math", math},
               {"sort_trending", sort == "trending"}, {"sort_recent", sort == "recent"},
               {"sort_upvotes", sort == "upvotes"},   {"feed_rss", "/feeds/trending.rss"},
               {"feed_atom", "/feeds/trending.atom"}};
  if (ref + 86400 < dates::unix_now()) page["as_of"] = dates::day_from_unix(ref);
  send_html(res, render_page(app, "trending", std::move(page), v));
  return Status();
}

Status search_html(App& app, Worker& w, const Visitor& v, const Req& req, Res& res) {
  auto parsed = search_params(req, 10);
  Json page = {{"title", "Search"}, {"nav_search", true}};
  if (!parsed.ok()) {
    res.status = 400;
    page["error"] = parsed.error().message();
    send_html(res, render_page(app, "search", std::move(page), v));
    return Status();
  }
  SearchParams p = *parsed;
  auto semantic = app.current_semantic();
  const bool have_vectors = semantic && semantic->loaded.vectors && semantic->loaded.model;
  // With no mode asked for, the form shows the default: hybrid where the model prefers it.
  const engine::SearchMode shown = p.mode != engine::SearchMode::kAuto ? p.mode
                                   : have_vectors && semantic->loaded.hybrid.prefer_hybrid
                                       ? engine::SearchMode::kHybrid
                                       : engine::SearchMode::kLexical;
  page.update({{"query", p.q},
               {"cat", p.category},
               {"after", p.after},
               {"before", p.before},
               {"mode_lexical", shown == engine::SearchMode::kLexical},
               {"mode_semantic", shown == engine::SearchMode::kSemantic},
               {"mode_hybrid", shown == engine::SearchMode::kHybrid},
               {"sort_date", p.sort == "date"},
               {"semantic_available", have_vectors}});
  if (!p.q.empty() || !p.category.empty()) {
    PB_ASSIGN_OR_RETURN(auto s, run_search(app, w, p));
    bool math = false;
    PB_ASSIGN_OR_RETURN(Json items, items_view(w, v, s.items, math));
    page["title"] = "Search: " + p.q;
    page["searched"] = true;
    page["items"] = std::move(items);
    page["math"] = math;
    page["notes"] = s.notes;
    page["feed_rss"] = "/feeds/search.rss?q=" + url_encode(p.q);
    page["feed_atom"] = "/feeds/search.atom?q=" + url_encode(p.q);
    auto link = [&](size_t page_no) {
      std::string l = "/search?q=" + url_encode(p.q);
      if (p.mode != engine::SearchMode::kAuto)
        l += "&mode=" + std::string(engine::mode_name(p.mode));
      if (!p.category.empty()) l += "&cat=" + url_encode(p.category);
      if (!p.after.empty()) l += "&after=" + url_encode(p.after);
      if (!p.before.empty()) l += "&before=" + url_encode(p.before);
      if (p.sort != "relevance") l += "&sort=" + p.sort;
      return l + "&page=" + std::to_string(page_no);
    };
    const size_t page_no = p.offset / p.limit + 1;
    page["page_no"] = page_no;
    if (page_no > 1) page["link_prev"] = link(page_no - 1);
    if (s.has_more) page["link_next"] = link(page_no + 1);
  }
  send_html(res, render_page(app, "search", std::move(page), v));
  return Status();
}

Status paper_html(App& app, Worker& w, const Visitor& v, const Req& req, Res& res) {
  std::string id = req.matches[1];
  if (auto parsed = ArxivId::parse(id)) id = parsed->id;
  PB_ASSIGN_OR_RETURN(auto paper, w.store->get(id));
  if (!paper) return Error::not_found(fmt::format("this server has no paper {}", id));
  std::vector<std::string> ids{paper->id};
  PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
  ListItem self{*paper, counts[0]};
  Json page = item_json(self);
  page["title"] = paper->title;
  bool math = has_math(paper->title) || has_math(paper->abstract);
  if (v.user) {
    PB_ASSIGN_OR_RETURN(auto voted, w.store->voted(v.user->id, ids));
    page["voted"] = !voted.empty();
    PB_ASSIGN_OR_RETURN(auto saved, w.store->saved(v.user->id, paper->id));
    if (saved) {
      std::string tags;
      for (const auto& t : saved->tags) tags += (tags.empty() ? "" : ", ") + t;
      page["saved"] = true;
      page["saved_tags"] = tags;
    }
  }
  Json versions = Json::array();
  for (const auto& ver : paper->versions)
    versions.push_back({{"version", ver.version}, {"date", dates::day_of(ver.created)}});
  page["versions"] = std::move(versions);
  // Similar papers: failures here do not take the page down.
  auto semantic = app.current_semantic();
  const engine::VectorSet* vectors =
      semantic && semantic->loaded.vectors ? semantic->loaded.vectors.get() : nullptr;
  engine::HybridOptions h = semantic ? semantic->loaded.hybrid : engine::HybridOptions{};
  auto index = app.current_index();
  auto sim = engine::similar(*w.store, *index->snapshot(), paper->id, 6, w.analyzer, vectors, h);
  if (sim.ok()) {
    std::vector<ListItem> list;
    std::vector<std::string> sim_ids;
    for (const auto& it : sim->items) sim_ids.push_back(it.paper.id);
    PB_ASSIGN_OR_RETURN(auto sim_counts, w.store->upvote_counts(sim_ids));
    for (size_t i = 0; i < sim->items.size(); ++i)
      list.emplace_back(std::move(sim->items[i].paper), sim_counts[i]);
    bool sim_math = false;
    PB_ASSIGN_OR_RETURN(Json items, items_view(w, v, list, sim_math));
    page["similar"] = std::move(items);
  }
  page["math"] = math;
  page["has_keywords"] = !paper->keywords.empty();
  send_html(res, render_page(app, "paper", std::move(page), v));
  return Status();
}

Status author_html(App& app, Worker& w, const Visitor& v, const Req& req, Res& res) {
  const std::string name = req.matches[1];
  if (name.empty() || name.size() > 200) return Error::invalid_input("bad author name");
  PB_ASSIGN_OR_RETURN(auto list, author_papers(app, w, name, 200));
  bool math = false;
  PB_ASSIGN_OR_RETURN(Json items, items_view(w, v, list, math));
  Json page = {{"title", name},        {"name", name},
               {"sub_author", name},   {"items", std::move(items)},
               {"count", list.size()}, {"math", math}};
  std::int64_t votes = 0;
  std::map<std::string, int> cats;
  for (const auto& it : list) {
    votes += it.votes.total();
    if (!it.paper.primary_category.empty()) ++cats[it.paper.primary_category];
  }
  page["upvotes"] = votes;
  Json top = Json::array();
  for (const auto& [c, n] : cats) top.push_back({{"category", c}, {"papers", n}});
  page["categories"] = std::move(top);
  if (v.user) {
    PB_ASSIGN_OR_RETURN(auto follows, w.store->follows(v.user->id));
    for (const auto& f : follows)
      if (f.kind == FollowKind::kAuthor && f.value == name) page["following"] = true;
  }
  if (list.empty()) res.status = 404;
  send_html(res, render_page(app, "author", std::move(page), v));
  return Status();
}

}  // namespace

// List items as templates see them: the API's item plus display fields.
Result<Json> items_view(Worker& w, const Visitor& v, const std::vector<ListItem>& items,
                        bool& math) {
  std::vector<std::string> ids;
  for (const auto& it : items) ids.push_back(it.paper.id);
  std::vector<std::string> voted;
  if (v.user) {
    PB_ASSIGN_OR_RETURN(voted, w.store->voted(v.user->id, ids));
  }
  Json out = Json::array();
  for (const auto& it : items) {
    Json j = item_json(it);
    Json& p = j["paper"];
    Json shown = Json::array();
    for (size_t i = 0; i < p["authors"].size() && i < 5; ++i) shown.push_back(p["authors"][i]);
    j["authors_shown"] = std::move(shown);
    if (p["authors"].size() > 5) j["authors_more"] = p["authors"].size() - 5;
    if (!j.contains("highlight")) j["abstract_short"] = short_text(it.paper.abstract, 300);
    j["voted"] = std::find(voted.begin(), voted.end(), it.paper.id) != voted.end();
    math = math || has_math(it.paper.title) || has_math(it.paper.abstract);
    out.push_back(std::move(j));
  }
  return out;
}

void add_page_routes(App& app, httplib::Server& http) {
  auto daily_handler = with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) {
    return daily(app, w, v, req, res);
  });
  http.Get("/", daily_handler);
  http.Get("/papers", daily_handler);
  http.Get("/trending", with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) {
             return trending_html(app, w, v, req, res);
           }));
  http.Get("/search", with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) {
             return search_html(app, w, v, req, res);
           }));
  http.Get(R"(/papers/(.+))",
           with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) {
             return paper_html(app, w, v, req, res);
           }));
  http.Get(R"(/authors/(.+))",
           with_visitor(app, [&app](Worker& w, Visitor& v, const Req& req, Res& res) {
             return author_html(app, w, v, req, res);
           }));
  http.Get("/about", with_visitor(app, [&app](Worker&, Visitor& v, const Req&, Res& res) {
             Json page = {{"title", "About"},
                          {"nav_about", true},
                          {"half_life", app.options.trending_half_life_hours},
                          {"imported_weight", app.options.imported_vote_weight}};
             send_html(res, render_page(app, "about", std::move(page), v));
             return Status();
           }));

  http.Get(R"(/static/(.+))", [&app](const Req& req, Res& res) {
    const EmbeddedAsset* a = find_asset("static/" + std::string(req.matches[1]));
    if (!a) return send_error(app, req, res, 404, "not found");
    res.set_header("Cache-Control", "public, max-age=3600");
    res.set_content(std::string(a->data), content_type_of(a->path));
  });
  http.Get(R"(/katex/(.+))", [&app](const Req& req, Res& res) {
    const std::string rel = req.matches[1];
    if (app.katex_dir.empty() || rel.find("..") != std::string::npos || rel.front() == '/')
      return send_error(app, req, res, 404, "not found");
    const fs::path p = app.katex_dir / rel;
    std::ifstream in(p, std::ios::binary);
    if (!in) return send_error(app, req, res, 404, "not found");
    std::string body((std::istreambuf_iterator<char>(in)), {});
    res.set_header("Cache-Control", "public, max-age=86400");
    res.set_content(std::move(body), content_type_of(rel));
  });
}

}  // namespace pb::server
