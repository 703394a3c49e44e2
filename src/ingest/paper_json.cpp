#include "ingest/paper_json.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

namespace pb::ingest {

using Json = nlohmann::ordered_json;

std::string paper_to_json(const Paper& p) {
  Json j;
  j["id"] = p.id;
  if (p.version > 0) j["version"] = p.version;
  j["title"] = p.title;
  if (!p.abstract.empty()) j["abstract"] = p.abstract;
  if (!p.authors.empty()) j["authors"] = p.authors;
  if (!p.categories.empty()) j["categories"] = p.categories;
  if (!p.primary_category.empty()) j["primary_category"] = p.primary_category;
  if (!p.submitted.empty()) j["published"] = p.submitted;
  if (!p.updated.empty()) j["updated"] = p.updated;
  if (!p.announced.empty()) j["announce_date"] = p.announced;
  if (!p.comments.empty()) j["comment"] = p.comments;
  if (!p.journal_ref.empty()) j["journal_ref"] = p.journal_ref;
  if (!p.doi.empty()) j["doi"] = p.doi;
  if (!p.submitter.empty()) j["submitter"] = p.submitter;
  if (!p.code_url.empty() || !p.project_url.empty()) {
    Json links = Json::object();
    if (!p.code_url.empty()) links["code"] = p.code_url;
    if (!p.project_url.empty()) links["project"] = p.project_url;
    j["links"] = links;
  }
  if (!p.keywords.empty()) j["keywords"] = p.keywords;
  if (!p.versions.empty()) {
    Json vs = Json::array();
    for (const auto& v : p.versions) {
      Json e;
      e["version"] = v.version;
      if (!v.created.empty()) e["created"] = v.created;
      vs.push_back(e);
    }
    j["versions"] = vs;
  }
  if (!p.signals.empty()) {
    Json ss = Json::array();
    for (const auto& s : p.signals)
      ss.push_back({{"kind", s.kind},
                    {"value", s.value},
                    {"source", s.source},
                    {"observed_at", s.observed_at}});
    j["signals"] = ss;
  }
  if (!p.daily.empty()) {
    Json ds = Json::array();
    for (const auto& d : p.daily) {
      Json e{{"day", d.day}, {"source", d.source}};
      if (!d.submitted_by.empty()) e["submitted_by"] = d.submitted_by;
      ds.push_back(e);
    }
    j["daily"] = ds;
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pb::ingest
