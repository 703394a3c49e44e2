#include "server/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/result.hpp"
#include "core/utf8.hpp"

namespace pb::server {
namespace {

enum class Type { kCounter, kGauge, kHistogram };

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool name_char(char c, bool first, bool colon_ok) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (colon_ok && c == ':') || (!first && c >= '0' && c <= '9');
}

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0, true)) return false;
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, names starting with "__" being reserved.
bool valid_label_name(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0, false)) return false;
  return true;
}

void append_label_value(std::string& out, std::string_view value) {
  std::string repaired;
  if (!utf8::valid(value)) value = repaired = utf8::repair(value);
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  std::string repaired;
  if (!utf8::valid(help)) help = repaired = utf8::repair(help);
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// `name{labels}` or `name{labels,extra}`; no braces when both are empty.
void append_series_name(std::string& out, std::string_view name, std::string_view suffix,
                        std::string_view labels, std::string_view extra = {}) {
  out += name;
  out += suffix;
  if (labels.empty() && extra.empty()) return;
  out += '{';
  out += labels;
  if (!labels.empty() && !extra.empty()) out += ',';
  out += extra;
  out += '}';
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    PB_CHECK(std::isfinite(bounds_[i]));
    PB_CHECK(i == 0 || bounds_[i - 1] < bounds_[i]);
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  // The first bucket whose upper bound is >= v (buckets are "less than or equal").
  auto i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

struct MetricsRegistry::Series {
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::function<double()> read;
};

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<double> bounds;  // histograms
  // Keyed by the rendered label set ("a=\"x\",b=\"y\"", sorted by label name).
  std::map<std::string, Series, std::less<>> series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::series(Kind kind, std::string_view name,
                                                 std::string_view help,
                                                 std::span<const Label> labels,
                                                 std::span<const double> bounds,
                                                 std::function<double()> read) {
  PB_CHECK(valid_metric_name(name));
  Type type = kind == Kind::kCounter     ? Type::kCounter
              : kind == Kind::kHistogram ? Type::kHistogram
                                         : Type::kGauge;
  std::vector<Label> sorted(labels.begin(), labels.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const Label& a, const Label& b) { return a.first < b.first; });
  std::string key;
  for (size_t i = 0; i < sorted.size(); ++i) {
    PB_CHECK(valid_label_name(sorted[i].first));
    PB_CHECK(i == 0 || sorted[i - 1].first != sorted[i].first);
    PB_CHECK(type != Type::kHistogram || sorted[i].first != "le");
    if (i > 0) key += ',';
    key += sorted[i].first;
    key += "=\"";
    append_label_value(key, sorted[i].second);
    key += '"';
  }

  auto check_family = [&](const Family& f) {
    PB_CHECK(f.type == type);
    PB_CHECK(type != Type::kHistogram ||
             std::equal(f.bounds.begin(), f.bounds.end(), bounds.begin(), bounds.end()));
  };
  auto check_series = [&](const Series& s) {
    // A gauge series is either set directly or read from a callback, never both.
    if (kind == Kind::kGauge) PB_CHECK(s.gauge != nullptr);
    if (kind == Kind::kGaugeCallback) PB_CHECK(s.gauge == nullptr);
  };

  if (kind != Kind::kGaugeCallback) {
    std::shared_lock lock(mu_);
    if (auto f = families_.find(name); f != families_.end()) {
      check_family(*f->second);
      if (auto s = f->second->series.find(key); s != f->second->series.end()) {
        check_series(s->second);
        return s->second;
      }
    }
  }

  std::unique_lock lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) {
    auto family = std::make_unique<Family>();
    family->name = name;
    family->help = help;
    family->type = type;
    if (type == Type::kHistogram) family->bounds.assign(bounds.begin(), bounds.end());
    f = families_.emplace(std::string(name), std::move(family)).first;
  }
  Family& family = *f->second;
  check_family(family);
  auto [it, inserted] = family.series.try_emplace(std::move(key));
  Series& s = it->second;
  if (inserted) {
    switch (kind) {
      case Kind::kCounter:
        s.counter = std::make_unique<Counter>();
        break;
      case Kind::kGauge:
        s.gauge = std::make_unique<Gauge>();
        break;
      case Kind::kGaugeCallback:
        break;
      case Kind::kHistogram:
        s.histogram = std::make_unique<Histogram>(bounds);
        break;
    }
  }
  check_series(s);
  if (kind == Kind::kGaugeCallback) s.read = std::move(read);
  return s;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  std::initializer_list<Label> labels) {
  return counter(name, help, std::span<const Label>(labels.begin(), labels.size()));
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  std::span<const Label> labels) {
  return *series(Kind::kCounter, name, help, labels).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              std::initializer_list<Label> labels) {
  return gauge(name, help, std::span<const Label>(labels.begin(), labels.size()));
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              std::span<const Label> labels) {
  return *series(Kind::kGauge, name, help, labels).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::initializer_list<Label> labels,
                                      std::span<const double> bounds) {
  return histogram(name, help, std::span<const Label>(labels.begin(), labels.size()), bounds);
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::span<const Label> labels,
                                      std::span<const double> bounds) {
  return *series(Kind::kHistogram, name, help, labels, bounds).histogram;
}

void MetricsRegistry::gauge_callback(std::string_view name, std::string_view help,
                                     std::initializer_list<Label> labels,
                                     std::function<double()> read) {
  gauge_callback(name, help, std::span<const Label>(labels.begin(), labels.size()),
                 std::move(read));
}

void MetricsRegistry::gauge_callback(std::string_view name, std::string_view help,
                                     std::span<const Label> labels, std::function<double()> read) {
  PB_CHECK(read != nullptr);
  series(Kind::kGaugeCallback, name, help, labels, {}, std::move(read));
}

std::string MetricsRegistry::render() const {
  // Families, series and their keys are never removed or changed once created, so pointers
  // to them stay valid after the lock is released; callbacks can be replaced, so they are
  // copied. Values are then read (and callbacks run) without the lock.
  struct SeriesView {
    const std::string* key;
    const Series* series;
    std::function<double()> read;
  };
  struct FamilyView {
    const Family* family;
    std::vector<SeriesView> series;
  };
  std::vector<FamilyView> views;
  {
    std::shared_lock lock(mu_);
    views.reserve(families_.size());
    for (const auto& [name, family] : families_) {
      FamilyView& v = views.emplace_back(FamilyView{family.get(), {}});
      v.series.reserve(family->series.size());
      for (const auto& [key, s] : family->series) v.series.push_back({&key, &s, s.read});
    }
  }

  std::string out;
  for (const FamilyView& v : views) {
    const Family& f = *v.family;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_help(out, f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    for (const SeriesView& s : v.series) {
      const std::string& labels = *s.key;
      if (s.series->counter) {
        append_series_name(out, f.name, "", labels);
        out += fmt::format(" {}\n", s.series->counter->value());
      } else if (s.series->gauge || s.read) {
        append_series_name(out, f.name, "", labels);
        out += ' ';
        out += format_value(s.series->gauge ? s.series->gauge->value() : s.read());
        out += '\n';
      } else if (s.series->histogram) {
        Histogram::Snapshot snap = s.series->histogram->snapshot();
        for (size_t i = 0; i < snap.cumulative.size(); ++i) {
          std::string le = "le=\"";
          le += i < f.bounds.size() ? format_value(f.bounds[i]) : "+Inf";
          le += '"';
          append_series_name(out, f.name, "_bucket", labels, le);
          out += fmt::format(" {}\n", snap.cumulative[i]);
        }
        append_series_name(out, f.name, "_sum", labels);
        out += ' ';
        out += format_value(snap.sum);
        out += '\n';
        append_series_name(out, f.name, "_count", labels);
        out += fmt::format(" {}\n", snap.count);
      }
    }
  }
  return out;
}

}  // namespace pb::server
