// Views: papers as JSON (for the API and, with a few display fields, for templates) and
// Mustache templates (kainjow) rendered into the site layout. Templates escape every {{value}}
// (& < > " '); the only triple-mustache values are HTML we made (snippets, rendered pages).

#include <fmt/format.h>

#include <kainjow/mustache.hpp>
#include <map>
#include <unordered_map>

#include "core/dates.hpp"
#include "server/app.hpp"
#include "server/assets.hpp"
#include "server/html.hpp"

namespace pb::server {
namespace mu = kainjow::mustache;

const EmbeddedAsset* find_asset(std::string_view path) {
  for (const auto& a : embedded_assets())
    if (a.path == path) return &a;
  return nullptr;
}

namespace {

mu::data to_data(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      mu::data d{mu::data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case Json::value_t::array: {
      mu::data d{mu::data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case Json::value_t::string:
      // An empty string is "unknown" in our model: false, so {{#field}} sections skip it.
      if (j.get_ref<const std::string&>().empty()) return mu::data{mu::data::type::bool_false};
      return mu::data{j.get_ref<const std::string&>()};
    case Json::value_t::boolean:
      return j.get<bool>() ? mu::data{mu::data::type::bool_true}
                           : mu::data{mu::data::type::bool_false};
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return mu::data{std::to_string(j.get<std::int64_t>())};
    case Json::value_t::number_float:
      return mu::data{fmt::format("{:.3g}", j.get<double>())};
    default:
      return mu::data{mu::data::type::bool_false};
  }
}

std::string template_text(const std::string& name) {
  const EmbeddedAsset* a = find_asset("templates/" + name + ".mustache");
  return a ? std::string(a->data) : std::string();
}

// Parsed templates, one set per thread (a kainjow template keeps render state).
mu::mustache& parsed(const std::string& name) {
  thread_local std::unordered_map<std::string, std::unique_ptr<mu::mustache>> cache;
  auto& slot = cache[name];
  if (!slot) slot = std::make_unique<mu::mustache>(template_text(name));
  return *slot;
}

// Partials every template may use: {{> NAME}} for each templates/_NAME.mustache.
void add_partials(mu::data& d) {
  for (const auto& a : embedded_assets()) {
    std::string_view p = a.path;
    if (p.rfind("templates/_", 0) != 0 || !p.ends_with(".mustache")) continue;
    std::string name(p.substr(11, p.size() - 11 - 9));
    std::string text(a.data);
    d.set(name, mu::partial([text] { return text; }));
  }
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
  mu::data d = to_data(data);
  add_partials(d);
  auto& t = parsed(name);
  if (!t.is_valid()) return "template error in " + name + ": " + t.error_message();
  return t.render(d);
}

std::string render_page(const App& app, const std::string& name, Json page, const Visitor& v) {
  if (v.user) page["user"] = {{"name", v.user->name}};
  page["csrf"] = v.csrf;
  Json layout = page;
  layout["content"] = render_template(name, page);
  layout["katex"] = !app.katex_dir.empty() && page.value("math", false);
  if (!layout.contains("title")) layout["title"] = "paperboy";
  return render_template("layout", layout);
}

Json paper_json(const Paper& p, const UpvoteCount* votes) {
  Json authors = Json::array();
  for (const auto& a : p.authors)
    authors.push_back({{"name", a}, {"url", "/authors/" + url_encode(a)}});
  const std::string published = p.submitted.empty() ? p.announced : p.submitted;
  Json j = {
      {"id", p.id},
      {"title", p.title},
      {"summary", p.abstract},
      {"authors", std::move(authors)},
      {"publishedAt", published},
      {"updatedAt", p.updated},
      {"announcedAt", p.announced},
      {"date", display_date(p.announced.empty() ? published : p.announced)},
      {"categories", p.categories},
      {"primaryCategory", p.primary_category},
      {"upvotes", votes ? votes->total() : 0},
      {"ai_keywords", p.keywords},
      {"githubRepo", p.code_url},
      {"projectPage", p.project_url},
      {"comments", p.comments},
      {"journalRef", p.journal_ref},
      {"doi", p.doi},
      {"version", p.version},
      {"url", "/papers/" + p.id},
      {"arxivUrl", "https://arxiv.org/abs/" + p.id},
      {"pdfUrl", "https://arxiv.org/pdf/" + p.id},
  };
  return j;
}

}  // namespace pb::server
