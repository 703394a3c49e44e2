#include "core/paper.hpp"

#include <algorithm>
#include <tuple>

namespace pb {
namespace {

template <typename T>
bool fill(T& dst, const T& src) {
  if (dst.empty() && !src.empty()) {
    dst = src;
    return true;
  }
  return false;
}

template <typename T>
bool replace(T& dst, const T& src) {
  if (!src.empty() && dst != src) {
    dst = src;
    return true;
  }
  return false;
}

}  // namespace

void canonicalise(Paper& p) {
  if (p.primary_category.empty() && !p.categories.empty()) p.primary_category = p.categories[0];
  std::vector<std::string> cats;
  if (!p.primary_category.empty()) cats.push_back(p.primary_category);
  for (auto& c : p.categories)
    if (!c.empty() && std::find(cats.begin(), cats.end(), c) == cats.end()) cats.push_back(c);
  p.categories = std::move(cats);
  std::sort(p.versions.begin(), p.versions.end(),
            [](const PaperVersion& a, const PaperVersion& b) { return a.version < b.version; });
  p.versions.erase(std::unique(p.versions.begin(), p.versions.end(),
                               [](const PaperVersion& a, const PaperVersion& b) {
                                 return a.version == b.version;
                               }),
                   p.versions.end());
  if (!p.versions.empty() && p.version < p.versions.back().version)
    p.version = p.versions.back().version;
}

bool merge_paper(Paper& s, const Paper& in) {
  bool changed = false;
  const bool newer = in.version > s.version;
  auto take = [&](auto& dst, const auto& src) {
    changed |= newer ? replace(dst, src) : fill(dst, src);
  };
  if (newer) {
    s.version = in.version;
    changed = true;
  }
  take(s.title, in.title);
  take(s.abstract, in.abstract);
  take(s.authors, in.authors);
  take(s.categories, in.categories);
  take(s.primary_category, in.primary_category);
  take(s.updated, in.updated);
  take(s.comments, in.comments);
  take(s.journal_ref, in.journal_ref);
  take(s.doi, in.doi);
  // These do not change with a new version: first-seen wins.
  changed |= fill(s.submitted, in.submitted);
  changed |= fill(s.announced, in.announced);
  changed |= fill(s.submitter, in.submitter);
  changed |= fill(s.code_url, in.code_url);
  changed |= fill(s.project_url, in.project_url);
  changed |= fill(s.keywords, in.keywords);

  for (const auto& v : in.versions) {
    auto it = std::find_if(s.versions.begin(), s.versions.end(),
                           [&](const PaperVersion& x) { return x.version == v.version; });
    if (it == s.versions.end()) {
      s.versions.push_back(v);
      changed = true;
    } else if (it->created.empty() && !v.created.empty()) {
      it->created = v.created;
      changed = true;
    }
  }
  for (const auto& sig : in.signals) {
    auto it = std::find_if(s.signals.begin(), s.signals.end(), [&](const Signal& x) {
      return x.kind == sig.kind && x.source == sig.source && x.observed_at == sig.observed_at;
    });
    if (it == s.signals.end()) {
      s.signals.push_back(sig);
      changed = true;
    } else if (it->value != sig.value) {
      it->value = sig.value;
      changed = true;
    }
  }
  for (const auto& d : in.daily) {
    auto it = std::find_if(s.daily.begin(), s.daily.end(), [&](const DailyListing& x) {
      return x.day == d.day && x.source == d.source;
    });
    if (it == s.daily.end()) {
      s.daily.push_back(d);
      changed = true;
    }
  }
  if (changed) canonicalise(s);
  return changed;
}

}  // namespace pb
