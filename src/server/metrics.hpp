#pragma once
// A small Prometheus registry: counters, gauges (set directly or read from a callback at
// scrape time) and histograms, each with labels, rendered in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Hot path: metric objects are plain atomics, so inc()/set()/observe() never lock. Looking a
// metric up by name and label set takes a lock and builds a key: a handler that runs often
// resolves its handle once and keeps the reference, which stays valid as long as the registry
// (metrics are never removed):
//
//   Counter& searches = registry.counter("paperboy_searches_total", "Searches run.");
//   ...
//   searches.inc();
//   registry.counter("paperboy_http_requests_total", "HTTP requests.",
//                    {{"route", route}, {"method", method}, {"status", status}}).inc();
//
// Label values should come from small sets (the route pattern, not the request path): every
// distinct label set is a time series kept forever.
//
// Misuse is a bug and fails PB_CHECK: invalid metric or label names, one name registered with
// two types (or a histogram with two bucket lists), a label name given twice, "le" as a
// histogram label. Labels are rendered sorted by name, so their order in a call is irrelevant.
// Thread safety: every method may be called concurrently.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pb::server {

using Label = std::pair<std::string_view, std::string_view>;  // name, value

// Request latency buckets, in seconds (0.5 ms to 10 s).
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A monotonically increasing count.
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets (upper bounds, inclusive) and keeps their sum.
class Histogram {
 public:
  // `bounds` must be finite and strictly increasing (PB_CHECK); +Inf is implicit.
  explicit Histogram(std::span<const double> bounds);
  // NaN is ignored.
  void observe(double v);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  // Read without stopping writers: each bucket is exact, but a concurrent observe() may be
  // in some buckets and not yet in the sum. The count is the +Inf bucket, so they agree.
  Snapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The metric `name` with these labels, created on first use. `help` is kept from the first
  // registration of the name.
  Counter& counter(std::string_view name, std::string_view help,
                   std::initializer_list<Label> labels = {});
  Counter& counter(std::string_view name, std::string_view help, std::span<const Label> labels);
  Gauge& gauge(std::string_view name, std::string_view help,
               std::initializer_list<Label> labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, std::span<const Label> labels);
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::initializer_list<Label> labels = {},
                       std::span<const double> bounds = kLatencyBuckets);
  Histogram& histogram(std::string_view name, std::string_view help, std::span<const Label> labels,
                       std::span<const double> bounds = kLatencyBuckets);

  // A gauge whose value `read` returns at each render() (the number of papers, the index
  // size). Registering the same name and labels again replaces the callback. `read` runs
  // outside the registry's lock (it may use the registry) on the rendering thread, and must
  // be thread-safe with respect to whatever it reads.
  void gauge_callback(std::string_view name, std::string_view help,
                      std::initializer_list<Label> labels, std::function<double()> read);
  void gauge_callback(std::string_view name, std::string_view help, std::span<const Label> labels,
                      std::function<double()> read);

  // Every metric in the text exposition format 0.0.4 (Content-Type:
  // "text/plain; version=0.0.4; charset=utf-8"): families sorted by name, each with its
  // # HELP and # TYPE lines, then its series sorted by label set.
  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kGaugeCallback, kHistogram };
  struct Family;
  struct Series;
  // Finds or creates the series; installs `read` for kGaugeCallback.
  Series& series(Kind kind, std::string_view name, std::string_view help,
                 std::span<const Label> labels, std::span<const double> bounds = {},
                 std::function<double()> read = nullptr);

  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace pb::server
