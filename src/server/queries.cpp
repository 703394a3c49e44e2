// The lists the site shows, computed once for the pages, the JSON API and the feeds: search
// results, a day's (week's, month's) papers, trending papers, an author's papers.

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "core/dates.hpp"
#include "server/app.hpp"
#include "server/queries.hpp"

namespace pb::server {

namespace {

std::int64_t latest_signal(const Paper& p, std::string_view kind) {
  std::int64_t v = 0;
  std::string at;
  for (const auto& s : p.signals)
    if (s.kind == kind && s.observed_at >= at) {
      at = s.observed_at;
      v = s.value;
    }
  return v;
}

// Hydrates ids into items with their upvote counts (missing papers skipped).
Result<std::vector<ListItem>> hydrate_ids(Worker& w, const std::vector<std::string>& ids) {
  PB_ASSIGN_OR_RETURN(auto papers, w.store->get_many(ids));
  std::vector<std::string> found;
  found.reserve(papers.size());
  for (const auto& p : papers) found.push_back(p.id);
  PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(found));
  std::vector<ListItem> out;
  out.reserve(papers.size());
  for (size_t i = 0; i < papers.size(); ++i) {
    ListItem it;
    it.votes = counts[i];
    it.paper = std::move(papers[i]);
    out.push_back(std::move(it));
  }
  return out;
}

std::string published_of(const Paper& p) { return p.submitted.empty() ? p.announced : p.submitted; }

void sort_items(App& app, Worker& w, std::vector<ListItem>& items, std::string_view sort) {
  if (sort == "recent") {
    std::stable_sort(items.begin(), items.end(), [](const ListItem& a, const ListItem& b) {
      return published_of(a.paper) > published_of(b.paper);
    });
    return;
  }
  if (sort == "trending") {
    auto scores = trending_scores(app, w);
    if (scores.ok()) {
      std::unordered_map<std::string, double> by_id;
      for (const auto& s : *scores) by_id[s.paper_id] = s.score;
      for (auto& it : items) {
        auto f = by_id.find(it.paper.id);
        it.trending = f == by_id.end() ? 0 : f->second;
      }
    }
    std::stable_sort(items.begin(), items.end(), [](const ListItem& a, const ListItem& b) {
      if (a.trending != b.trending) return a.trending > b.trending;
      return a.votes.total() > b.votes.total();
    });
    return;
  }
  std::stable_sort(items.begin(), items.end(), [](const ListItem& a, const ListItem& b) {
    return a.votes.total() > b.votes.total();
  });
}

}  // namespace

Json item_json(const ListItem& it) {
  Json j = Json::object();
  j["title"] = it.paper.title;
  j["summary"] = it.paper.abstract;
  j["numComments"] = latest_signal(it.paper, "comments");
  Json paper = paper_json(it.paper, &it.votes);
  j["publishedAt"] = paper["publishedAt"];
  j["paper"] = std::move(paper);
  if (!it.day.empty()) {
    j["submittedOnDailyAt"] = it.day;
    j["submittedBy"] = {{"name", it.submitted_by}, {"fullname", it.submitted_by}};
  }
  if (it.score) j["score"] = *it.score;
  if (!it.snippet.empty()) j["highlight"] = it.snippet;
  if (it.trending > 0) j["trendingScore"] = it.trending;
  return j;
}

Result<SearchPage> run_search(App& app, Worker& w, const SearchParams& p) {
  SearchPage page;
  std::string q = p.q;
  if (!p.category.empty()) q += " cat:" + p.category;
  if (!p.after.empty()) q += " after:" + p.after;
  if (!p.before.empty()) q += " before:" + p.before;
  engine::SearchRequest req;
  req.query = q;
  req.k = p.limit + 1;  // one more tells whether there is a next page
  req.offset = p.offset;
  req.sort = p.sort == "date" ? lexical::SortOrder::kDate : lexical::SortOrder::kRelevance;
  req.mode = p.mode;
  auto semantic = app.current_semantic();
  engine::SemanticSource src;
  if (semantic && semantic->loaded.vectors && semantic->loaded.model) {
    src.vectors = semantic->loaded.vectors.get();
    src.embedder = semantic->loaded.model.get();
    req.hybrid = semantic->loaded.hybrid;
  }
  auto index = app.current_index();
  PB_ASSIGN_OR_RETURN(auto res, engine::search(*w.store, *index->snapshot(), req, w.analyzer, src));
  page.notes = std::move(res.notes);
  page.mode = engine::mode_name(res.mode);
  page.has_more = res.items.size() > p.limit;
  if (page.has_more) res.items.resize(p.limit);
  std::vector<std::string> ids;
  for (const auto& it : res.items) ids.push_back(it.paper.id);
  PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
  for (size_t i = 0; i < res.items.size(); ++i) {
    ListItem it;
    it.paper = std::move(res.items[i].paper);
    it.votes = counts[i];
    it.score = res.items[i].score;
    it.snippet = std::move(res.items[i].snippet);
    page.items.push_back(std::move(it));
  }
  return page;
}

Result<DailyPage> daily_page(App& app, Worker& w, const DailyParams& params) {
  DailyPage d;
  d.view = params.view;
  d.all = params.all && params.view == "day";
  d.sort = params.sort;
  Store& s = *w.store;
  std::string day = params.date;
  if (day.empty()) {
    PB_ASSIGN_OR_RETURN(day, d.all ? s.latest_announcement_day() : s.latest_listing_day());
    if (day.empty() && !d.all) {
      // Nothing curated yet: show the newest arXiv papers instead.
      PB_ASSIGN_OR_RETURN(day, s.latest_announcement_day());
      if (!day.empty()) d.all = d.view == "day";
    }
    if (day.empty()) day = dates::today_utc();
  }
  if (!dates::valid_day(day))
    return Error::invalid_input(fmt::format("date must be YYYY-MM-DD, not '{}'", day));
  d.date = day;
  if (d.view == "week") {
    d.first = dates::add_days(day, -dates::weekday(day));
    d.last = dates::add_days(d.first, 6);
  } else if (d.view == "month") {
    d.first = day.substr(0, 8) + "01";
    d.last = dates::add_days(dates::add_days(d.first, 32).substr(0, 8) + "01", -1);
  } else {
    d.view = "day";
    d.first = d.last = day;
  }
  std::vector<std::string> ids;
  std::unordered_map<std::string, const ListingEntry*> listing_of;
  std::vector<ListingEntry> listings;
  if (d.all) {
    PB_ASSIGN_OR_RETURN(ids, s.announced_on(day, params.categories));
    PB_ASSIGN_OR_RETURN(d.prev, s.announcement_day_before(day));
    PB_ASSIGN_OR_RETURN(d.next, s.announcement_day_after(day));
  } else {
    PB_ASSIGN_OR_RETURN(listings, s.listings(d.first, d.last));
    for (const auto& l : listings) {
      if (listing_of.emplace(l.paper_id, &l).second) ids.push_back(l.paper_id);
    }
    PB_ASSIGN_OR_RETURN(std::string before, s.listing_day_before(d.first));
    PB_ASSIGN_OR_RETURN(std::string after, s.listing_day_after(d.last));
    d.prev = before;
    d.next = after;
  }
  PB_ASSIGN_OR_RETURN(d.items, hydrate_ids(w, ids));
  for (auto& it : d.items) {
    auto f = listing_of.find(it.paper.id);
    if (f != listing_of.end()) {
      it.day = f->second->day;
      it.submitted_by = f->second->submitted_by;
    }
  }
  if (!params.categories.empty() && !d.all) {
    // The curated list filtered to the chosen categories.
    std::erase_if(d.items, [&](const ListItem& it) {
      for (const auto& c : it.paper.categories)
        if (std::find(params.categories.begin(), params.categories.end(), c) !=
            params.categories.end())
          return false;
      return true;
    });
  }
  sort_items(app, w, d.items, d.sort);
  d.total = d.items.size();
  if (params.offset >= d.items.size()) {
    d.items.clear();
  } else {
    d.items.erase(d.items.begin(), d.items.begin() + static_cast<std::ptrdiff_t>(params.offset));
    if (d.items.size() > params.limit) {
      d.items.resize(params.limit);
    }
  }
  d.has_more = params.offset + d.items.size() < d.total;
  return d;
}

Result<std::vector<ListItem>> trending_page(App& app, Worker& w, std::string_view sort,
                                            size_t limit, std::int64_t* reference) {
  PB_ASSIGN_OR_RETURN(auto scores, trending_scores(app, w, reference));
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> score_of;
  for (const auto& s : scores) {
    ids.push_back(s.paper_id);
    score_of[s.paper_id] = s.score;
  }
  PB_ASSIGN_OR_RETURN(auto items, hydrate_ids(w, ids));
  for (auto& it : items) it.trending = score_of[it.paper.id];
  if (sort == "recent" || sort == "upvotes") sort_items(app, w, items, sort);
  if (items.size() > limit) items.resize(limit);
  return items;
}

Result<std::vector<ListItem>> author_papers(App& app, Worker& w, const std::string& name,
                                            size_t limit) {
  // The index finds candidates by the name's words; the exact name (case-insensitive)
  // decides.
  std::string q = "au:\"";
  for (char c : name)
    if (c != '"') q += c;
  q += "\"";
  engine::SearchRequest req;
  req.query = q;
  req.k = 300;
  req.sort = lexical::SortOrder::kDate;
  req.snippets = false;
  auto index = app.current_index();
  PB_ASSIGN_OR_RETURN(auto res, engine::search(*w.store, *index->snapshot(), req, w.analyzer));
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string want = lower(name);
  std::vector<ListItem> out;
  std::vector<std::string> ids;
  for (auto& it : res.items) {
    bool match = false;
    for (const auto& a : it.paper.authors) match = match || lower(a) == want;
    if (!match) continue;
    ids.push_back(it.paper.id);
    out.emplace_back(std::move(it.paper));
    if (out.size() >= limit) break;
  }
  PB_ASSIGN_OR_RETURN(auto counts, w.store->upvote_counts(ids));
  for (size_t i = 0; i < out.size(); ++i) out[i].votes = counts[i];
  return out;
}

}  // namespace pb::server
