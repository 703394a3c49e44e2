#pragma once
// The lists the site shows (see queries.cpp). Internal to the server module.

#include <optional>
#include <string>
#include <vector>

#include "server/app.hpp"

namespace pb::server {

// A paper in a list, with what the list knows about it.
struct ListItem {
  ListItem() = default;
  explicit ListItem(Paper p, UpvoteCount v = {}, std::optional<double> s = {})
      : paper(std::move(p)), votes(std::move(v)), score(s) {}
  Paper paper;
  UpvoteCount votes;
  std::optional<double> score;  // search relevance
  std::string snippet;          // HTML-safe, terms in <mark>
  double trending = 0;
  std::string day;  // the curated day it was listed on
  std::string submitted_by;
};

// One list item as the API returns it: {"paper": {...}, "title", "summary", "publishedAt",
// "numComments", ...} as in Hugging Face's daily_papers and search responses.
Json item_json(const ListItem& it);

struct SearchParams {
  std::string q, sort = "relevance", category, after, before;
  engine::SearchMode mode = engine::SearchMode::kAuto;  // kAuto: none asked for
  size_t limit = 10, offset = 0;
};
struct SearchPage {
  std::vector<ListItem> items;
  std::vector<std::string> notes;
  std::string mode;  // how the query was answered: lexical, semantic or hybrid
  bool has_more = false;
};
Result<SearchPage> run_search(App& app, Worker& w, const SearchParams& params);

struct DailyParams {
  std::string date;              // YYYY-MM-DD; "" = the latest day with papers
  std::string view = "day";      // day | week | month
  std::string sort = "upvotes";  // upvotes | trending | recent
  bool all = false;              // every new arXiv paper that day instead of the curated list
  std::vector<std::string> categories;
  size_t limit = 100, offset = 0;
};
struct DailyPage {
  std::string date, view, sort, first, last;
  bool all = false;
  std::string prev, next;  // nearest days with papers before / after ("" = none)
  std::vector<ListItem> items;
  size_t total = 0;
  bool has_more = false;
};
Result<DailyPage> daily_page(App& app, Worker& w, const DailyParams& params);

Result<std::vector<ListItem>> trending_page(App& app, Worker& w, std::string_view sort,
                                            size_t limit, std::int64_t* reference = nullptr);

Result<std::vector<ListItem>> author_papers(App& app, Worker& w, const std::string& name,
                                            size_t limit);

// List items as the page templates see them (pages.cpp): item_json() plus the authors shown,
// a short abstract when there is no snippet, and whether the visitor upvoted each. Sets
// `math` when a title or abstract has TeX math.
Result<Json> items_view(Worker& w, const Visitor& v, const std::vector<ListItem>& items,
                        bool& math);

// Query parameters shared by pages, API and feeds (bad values: kInvalidInput naming them).
Result<SearchParams> search_params(const httplib::Request& req, size_t default_limit);
Result<DailyParams> daily_params(const httplib::Request& req);

}  // namespace pb::server
