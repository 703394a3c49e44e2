// Views: papers as JSON (for the API and, with a few display fields, for templates) and
// the Mustache templates of web/templates (template.hpp) rendered into the site layout.
// Templates escape every {{value}} (& < > " '); the only triple-mustache values are HTML we
// made (snippets, rendered pages).

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "core/dates.hpp"
#include "server/app.hpp"
#include "server/assets.hpp"
#include "server/html.hpp"
#include "server/template.hpp"

namespace pb::server {

const EmbeddedAsset* find_asset(std::string_view path) {
  for (const auto& a : embedded_assets())
    if (a.path == path) return &a;
  return nullptr;
}

namespace {

// Every template of web/templates, compiled once (partials: templates/_NAME.mustache).
class Templates {
 public:
  Templates() {
    auto partial = [](std::string_view name) -> std::optional<std::string> {
      const EmbeddedAsset* a = find_asset("templates/_" + std::string(name) + ".mustache");
      if (!a) return std::nullopt;
      return std::string(a->data);
    };
    for (const auto& a : embedded_assets()) {
      std::string_view p = a.path;
      if (p.rfind("templates/", 0) != 0 || !p.ends_with(".mustache")) continue;
      std::string name(p.substr(10, p.size() - 10 - 9));
      auto t = Template::compile(name, a.data, partial);
      if (!t.ok()) {  // our own embedded templates: a bug, caught by the tests
        std::fprintf(stderr, "paperboy: %s\n", t.error().message().c_str());
        std::abort();
      }
      by_name_.emplace(name, std::move(*t));
    }
  }
  const Template* find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, Template> by_name_;
};

const Templates& templates() {
  static const Templates t;
  return t;
}

std::string display_date(const std::string& iso) {
  std::string day = dates::day_of(iso);
  if (!dates::valid_day(day)) return "";
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int m = std::stoi(day.substr(5, 2));
  return fmt::format("{} {} {}", std::stoi(day.substr(8, 2)), kMonths[m - 1], day.substr(0, 4));
}

}  // namespace

std::string render_template(const std::string& name, const Json& data) {
  const Template* t = templates().find(name);
  PB_CHECK(t != nullptr);
  return t->render(data);
}

std::string render_page(const App& app, const std::string& name, Json page, const Visitor& v) {
  if (v.user) page["user"] = {{"name", v.user->name}};
  page["csrf"] = v.csrf;
  // The layout renders from the same data (title, feeds, user...), plus the page's HTML.
  std::string content = render_template(name, page);
  page["content"] = std::move(content);
  page["katex"] = !app.katex_dir.empty() && page.value("math", false);
  if (!page.contains("title")) page["title"] = "paperboy";
  return render_template("layout", page);
}

Json paper_json(const Paper& p, const UpvoteCount* votes) {
  // Built field by field (initializer lists would copy every value once more).
  Json j = Json::object();
  j["id"] = p.id;
  j["title"] = p.title;
  j["summary"] = p.abstract;
  Json& authors = j["authors"] = Json::array();
  for (const auto& a : p.authors) {
    Json author = Json::object();
    author["name"] = a;
    author["url"] = "/authors/" + url_encode(a);
    authors.push_back(std::move(author));
  }
  const std::string& published = p.submitted.empty() ? p.announced : p.submitted;
  j["publishedAt"] = published;
  j["updatedAt"] = p.updated;
  j["announcedAt"] = p.announced;
  j["date"] = display_date(p.announced.empty() ? published : p.announced);
  j["categories"] = p.categories;
  j["primaryCategory"] = p.primary_category;
  j["upvotes"] = votes ? votes->total() : 0;
  j["ai_keywords"] = p.keywords;
  j["githubRepo"] = p.code_url;
  j["projectPage"] = p.project_url;
  j["comments"] = p.comments;
  j["journalRef"] = p.journal_ref;
  j["doi"] = p.doi;
  j["version"] = p.version;
  j["url"] = "/papers/" + p.id;
  j["arxivUrl"] = "https://arxiv.org/abs/" + p.id;
  j["pdfUrl"] = "https://arxiv.org/pdf/" + p.id;
  return j;
}

}  // namespace pb::server
