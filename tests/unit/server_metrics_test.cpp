#include "server/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace pb::server {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Every line of the text format 0.0.4 as we write it: HELP, TYPE, or a sample.
void expect_valid_exposition(const std::string& text) {
  ASSERT_TRUE(text.empty() || text.back() == '\n');
  static const std::regex kHelp(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\\\|\\n)*)");
  static const std::regex kType(R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))");
  static const std::regex kSample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*)"
      R"((\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})?)"
      R"( (NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?))");
  for (const std::string& line : lines(text)) {
    EXPECT_TRUE(std::regex_match(line, kHelp) || std::regex_match(line, kType) ||
                std::regex_match(line, kSample))
        << "bad line: " << line;
  }
}

TEST(Metrics, CountersWithLabels) {
  MetricsRegistry registry;
  auto request = [&](std::string_view route, std::string_view method, std::string_view status) {
    registry
        .counter("paperboy_http_requests_total", "HTTP requests served.",
                 {{"route", route}, {"method", method}, {"status", status}})
        .inc();
  };
  request("/api/papers/search", "GET", "200");
  request("/api/papers/search", "GET", "200");
  request("/login", "POST", "429");
  registry.counter("paperboy_searches_total", "Searches run.").inc(5);
  EXPECT_EQ(registry.render(),
            "# HELP paperboy_http_requests_total HTTP requests served.\n"
            "# TYPE paperboy_http_requests_total counter\n"
            "paperboy_http_requests_total{method=\"GET\",route=\"/api/papers/search\","
            "status=\"200\"} 2\n"
            "paperboy_http_requests_total{method=\"POST\",route=\"/login\",status=\"429\"} 1\n"
            "# HELP paperboy_searches_total Searches run.\n"
            "# TYPE paperboy_searches_total counter\n"
            "paperboy_searches_total 5\n");
  expect_valid_exposition(registry.render());
}

TEST(Metrics, HandlesAreStableAndLabelOrderIsIrrelevant) {
  MetricsRegistry registry;
  Counter& a = registry.counter("c_total", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = registry.counter("c_total", "other help is ignored", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
  // Many more series do not move the first one.
  for (int i = 0; i < 1000; ++i) registry.counter("c_total", "h", {{"x", std::to_string(i)}});
  EXPECT_EQ(&a, &registry.counter("c_total", "h", {{"x", "1"}, {"y", "2"}}));
  std::vector<Label> dynamic = {{"x", "1"}, {"y", "2"}};
  EXPECT_EQ(&a, &registry.counter("c_total", "h", dynamic));
  EXPECT_NE(registry.render().find("# HELP c_total h\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.counter("e_total", "Line one\nback\\slash \"quotes\" stay", {{"v", "a\\b\"c\nd"}}).inc();
  registry.counter("e_total", "", {{"v", "bad\xff utf8"}}).inc();
  std::string text = registry.render();
  EXPECT_EQ(text,
            "# HELP e_total Line one\\nback\\\\slash \"quotes\" stay\n"
            "# TYPE e_total counter\n"
            "e_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"
            "e_total{v=\"bad\xEF\xBF\xBD utf8\"} 1\n");
  expect_valid_exposition(text);
}

TEST(Metrics, HistogramBucketsSumAndCount) {
  MetricsRegistry registry;
  const double bounds[] = {0.5, 1, 2.5};
  Histogram& h = registry.histogram("job_seconds", "Job time.", {{"kind", "embed"}}, bounds);
  for (double v : {0.25, 0.5, 0.75, 3.0, 100.0}) h.observe(v);
  h.observe(std::nan(""));  // ignored
  EXPECT_EQ(registry.render(),
            "# HELP job_seconds Job time.\n"
            "# TYPE job_seconds histogram\n"
            "job_seconds_bucket{kind=\"embed\",le=\"0.5\"} 2\n"  // upper bounds are inclusive
            "job_seconds_bucket{kind=\"embed\",le=\"1\"} 3\n"
            "job_seconds_bucket{kind=\"embed\",le=\"2.5\"} 3\n"
            "job_seconds_bucket{kind=\"embed\",le=\"+Inf\"} 5\n"
            "job_seconds_sum{kind=\"embed\"} 104.5\n"
            "job_seconds_count{kind=\"embed\"} 5\n");
}

TEST(Metrics, DefaultLatencyBuckets) {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("paperboy_http_request_duration_seconds", "Latency.");
  h.observe(0.0005);
  h.observe(0.003);
  h.observe(20);
  std::vector<std::string> got = lines(registry.render());
  std::vector<std::string> want = {
      "# HELP paperboy_http_request_duration_seconds Latency.",
      "# TYPE paperboy_http_request_duration_seconds histogram",
  };
  const char* les[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                       "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
  int cumulative[] = {1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  for (int i = 0; i < 14; ++i) {
    want.push_back(std::string("paperboy_http_request_duration_seconds_bucket{le=\"") + les[i] +
                   "\"} " + std::to_string(cumulative[i]));
  }
  want.push_back("paperboy_http_request_duration_seconds_bucket{le=\"+Inf\"} 3");
  ASSERT_EQ(got.size(), want.size() + 2);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]);
  ASSERT_TRUE(got[want.size()].starts_with("paperboy_http_request_duration_seconds_sum "));
  EXPECT_NEAR(std::stod(got[want.size()].substr(got[want.size()].find(' ') + 1)), 20.0035, 1e-12);
  EXPECT_EQ(got[want.size() + 1], "paperboy_http_request_duration_seconds_count 3");
}

TEST(Metrics, GaugesAndCallbacks) {
  MetricsRegistry registry;
  double papers = 10;
  registry.gauge_callback("paperboy_papers", "Papers in the store.", {}, [&] { return papers; });
  registry.gauge_callback("paperboy_index_bytes", "Index size.", {{"index", "lexical"}},
                          [] { return 1.5e9; });
  // A callback may use the registry (it runs outside the registry's lock).
  registry.gauge_callback("paperboy_series", "Series of c_total.", {}, [&] {
    return static_cast<double>(registry.counter("c_total", "c").value());
  });
  Gauge& inflight = registry.gauge("paperboy_inflight", "Requests in flight.");
  inflight.add(3);
  inflight.add(-1);
  registry.gauge("paperboy_odd", "Special values.", {{"v", "nan"}}).set(std::nan(""));
  registry.gauge("paperboy_odd", "", {{"v", "inf"}}).set(std::numeric_limits<double>::infinity());
  registry.gauge("paperboy_odd", "", {{"v", "neg"}}).set(-0.25);
  registry.counter("c_total", "c").inc(4);
  std::string text = registry.render();
  EXPECT_EQ(text,
            "# HELP c_total c\n# TYPE c_total counter\nc_total 4\n"
            "# HELP paperboy_index_bytes Index size.\n# TYPE paperboy_index_bytes gauge\n"
            "paperboy_index_bytes{index=\"lexical\"} 1500000000\n"
            "# HELP paperboy_inflight Requests in flight.\n# TYPE paperboy_inflight gauge\n"
            "paperboy_inflight 2\n"
            "# HELP paperboy_odd Special values.\n# TYPE paperboy_odd gauge\n"
            "paperboy_odd{v=\"inf\"} +Inf\n"
            "paperboy_odd{v=\"nan\"} NaN\n"
            "paperboy_odd{v=\"neg\"} -0.25\n"
            "# HELP paperboy_papers Papers in the store.\n# TYPE paperboy_papers gauge\n"
            "paperboy_papers 10\n"
            "# HELP paperboy_series Series of c_total.\n# TYPE paperboy_series gauge\n"
            "paperboy_series 4\n");
  expect_valid_exposition(text);
  papers = 12;
  registry.gauge_callback("paperboy_index_bytes", "", {{"index", "lexical"}}, [] { return 7.0; });
  text = registry.render();
  EXPECT_NE(text.find("\npaperboy_papers 12\n"), std::string::npos);
  EXPECT_NE(text.find("\npaperboy_index_bytes{index=\"lexical\"} 7\n"), std::string::npos);
}

TEST(Metrics, ConcurrentUpdatesSumCorrectly) {
  MetricsRegistry registry;
  Counter& hot = registry.counter("hot_total", "Pre-resolved.");
  Histogram& latency = registry.histogram("lat_seconds", "Latency.");
  constexpr int kThreads = 4, kIterations = 20000;
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop.load()) expect_valid_exposition(registry.render());
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        hot.inc();
        latency.observe(0.5);
        // Lookups by label set, including series created concurrently.
        registry.counter("req_total", "By status.", {{"status", i % 2 ? "200" : "404"}}).inc();
        if (i % 1000 == 0)
          registry.counter("req_total", "", {{"status", std::to_string(t * 100 + i / 1000)}});
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  scraper.join();
  EXPECT_EQ(hot.value(), std::uint64_t{kThreads} * kIterations);
  EXPECT_EQ(registry.counter("req_total", "", {{"status", "200"}}).value() +
                registry.counter("req_total", "", {{"status", "404"}}).value(),
            std::uint64_t{kThreads} * kIterations);
  Histogram::Snapshot s = latency.snapshot();
  EXPECT_EQ(s.count, std::uint64_t{kThreads} * kIterations);
  EXPECT_DOUBLE_EQ(s.sum, 0.5 * kThreads * kIterations);  // exact: multiples of 0.5
}

TEST(MetricsDeathTest, MisuseIsABug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  MetricsRegistry registry;
  registry.counter("x_total", "x");
  EXPECT_DEATH(registry.gauge("x_total", "x"), "internal check failed");
  EXPECT_DEATH(registry.counter("bad name", "x"), "internal check failed");
  EXPECT_DEATH(registry.counter("y_total", "x", {{"__reserved", "v"}}), "internal check failed");
  EXPECT_DEATH(registry.counter("y_total", "x", {{"a", "1"}, {"a", "2"}}), "internal check failed");
  EXPECT_DEATH(registry.histogram("h", "x", {{"le", "1"}}), "internal check failed");
  const double unsorted[] = {1, 0.5};
  EXPECT_DEATH(registry.histogram("h2", "x", {}, unsorted), "internal check failed");
}

}  // namespace
}  // namespace pb::server
