// The OAI-PMH harvester end to end: a real HTTP server on 127.0.0.1 (cpp-httplib) serving
// generated ListRecords pages, the real libcurl client and a real SQLite store.
#include "ingest/harvester.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../test_support.hpp"

namespace pb::ingest {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kPages = 3;
constexpr int kPerPage = 50;
constexpr int kTotal = kPages * kPerPage;

// What the server saw of one request.
struct Seen {
  Clock::time_point at;
  std::map<std::string, std::string> params;  // decoded query parameters
  std::string user_agent;
  std::string accept_encoding;
  bool has(const std::string& k) const { return params.count(k) != 0; }
  std::string get(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  }
};

struct Reply {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
};

// Tokens hold characters that must be URL-encoded.
std::string token_for(int page) { return fmt::format("tok|{} a/b+c", page); }

std::string datestamp(int i) { return fmt::format("2024-01-{:02}", 1 + i % 28); }

std::string record(int i) {
  return fmt::format(R"(<record><header><identifier>oai:arXiv.org:2401.{0:05}</identifier>
<datestamp>{1}</datestamp><setSpec>cs</setSpec></header><metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.{0:05}</id><created>2024-01-01</created>
<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author></authors>
<title>Harvested paper {0}</title><categories>cs.CL</categories>
<abstract>Abstract {0}.</abstract></arXiv></metadata></record>
)",
                     i, datestamp(i));
}

std::string oai(std::string_view inner) {
  return fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-02-01T00:00:00Z</responseDate>
<request verb="ListRecords">http://127.0.0.1/oai</request>
{}</OAI-PMH>
)",
                     inner);
}

// Page k (1-based) of the list: kPerPage records, then a token (or an empty one at the end).
std::string list_page(int k, const std::string& extra = "") {
  std::string body = "<ListRecords>\n" + extra;
  for (int i = (k - 1) * kPerPage + 1; i <= k * kPerPage; ++i) body += record(i);
  if (k < kPages)
    body +=
        fmt::format(R"(<resumptionToken cursor="{}" completeListSize="{}">{}</resumptionToken>)",
                    (k - 1) * kPerPage, kTotal, token_for(k + 1));
  else
    body += fmt::format(R"(<resumptionToken cursor="{}" completeListSize="{}"/>)",
                        (k - 1) * kPerPage, kTotal);
  return oai(body + "</ListRecords>\n");
}

// A fake arXiv OAI-PMH endpoint. `fault` may replace the normal answer to any request; it
// receives the request and its 0-based index among all requests the server has seen.
class OaiServer {
 public:
  using Fault = std::function<std::optional<Reply>(const Seen&, size_t)>;

  OaiServer() {
    server_.Get("/oai", [this](const httplib::Request& req, httplib::Response& res) {
      Seen seen;
      seen.at = Clock::now();
      for (const auto& [k, v] : req.params) seen.params[k] = v;
      seen.user_agent = req.get_header_value("User-Agent");
      seen.accept_encoding = req.get_header_value("Accept-Encoding");
      Fault fault;
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mu_);
        index = seen_.size();
        seen_.push_back(seen);
        fault = fault_;
      }
      std::optional<Reply> reply;
      if (fault) reply = fault(seen, index);
      if (!reply) reply = normal(seen);
      res.status = reply->status;
      for (const auto& [k, v] : reply->headers) res.set_header(k, v);
      res.set_content(reply->body, "text/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~OaiServer() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}/oai", port_); }
  void set_fault(Fault f) {
    std::lock_guard<std::mutex> lock(mu_);
    fault_ = std::move(f);
  }
  // Records given here are served before page 1's normal records.
  void set_page1_extra(std::string extra) {
    std::lock_guard<std::mutex> lock(mu_);
    page1_extra_ = std::move(extra);
  }
  std::vector<Seen> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.clear();
  }

 private:
  Reply normal(const Seen& s) {
    if (s.get("verb") != "ListRecords")
      return {200, oai(R"(<error code="badVerb">Illegal verb</error>)"), {}};
    if (!s.has("resumptionToken")) {
      std::lock_guard<std::mutex> lock(mu_);
      return {200, list_page(1, page1_extra_), {}};
    }
    for (int k = 2; k <= kPages; ++k)
      if (s.get("resumptionToken") == token_for(k)) return {200, list_page(k), {}};
    return {200, oai(R"(<error code="badResumptionToken">unknown token</error>)"), {}};
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  Fault fault_;
  std::string page1_extra_;
};

class HarvesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(store.ok()) << store.error().message();
    store_ = std::move(*store);
    http_ = make_curl_http_client(default_user_agent(), 10);
  }

  HarvestOptions options(milliseconds delay = milliseconds(10)) {
    HarvestOptions o;
    o.endpoint = server_.endpoint();
    o.set = "cs";
    o.from = "2024-01-01";
    o.until = "2024-01-31";
    o.delay = delay;
    o.max_retries = 3;
    o.on_info = [this](const std::string& m) { info_.push_back(m); };
    o.on_skip = [this](const std::string& m) { skips_.push_back(m); };
    return o;
  }

  std::int64_t count() {
    auto n = store_->count();
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }

  HarvestState state(const HarvestOptions& o) {
    auto s = store_->harvest_state(harvest_key(o.endpoint, o.set, o.metadata_prefix));
    EXPECT_TRUE(s.ok());
    return s.ok() && s->has_value() ? **s : HarvestState{};
  }

  bool info_contains(std::string_view what) const {
    for (const auto& m : info_)
      if (m.find(what) != std::string::npos) return true;
    return false;
  }

  pb::testing::TempDir dir_;
  OaiServer server_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttpClient> http_;
  std::vector<std::string> info_;
  std::vector<std::string> skips_;
};

TEST_F(HarvesterTest, FullHarvestFollowsTokensPolitely) {
  auto o = options(milliseconds(200));
  std::vector<HarvestProgress> progress;
  o.on_progress = [&](const HarvestProgress& p) { progress.push_back(p); };
  auto summary = harvest(*store_, *http_, o);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_EQ(summary->pages, kPages);
  EXPECT_FALSE(summary->resumed);
  EXPECT_EQ(summary->counts.records, static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ(summary->counts.added, static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ(summary->counts.skipped, 0u);
  EXPECT_EQ(summary->completed_until, "2024-01-31");
  EXPECT_EQ(count(), kTotal);

  auto paper = store_->get("2401.00123");
  ASSERT_TRUE(paper.ok());
  ASSERT_TRUE(paper->has_value());
  EXPECT_EQ((*paper)->title, "Harvested paper 123");

  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), static_cast<size_t>(kPages));
  // First request: the full argument list.
  EXPECT_EQ(reqs[0].params, (std::map<std::string, std::string>{{"verb", "ListRecords"},
                                                                {"metadataPrefix", "arXiv"},
                                                                {"set", "cs"},
                                                                {"from", "2024-01-01"},
                                                                {"until", "2024-01-31"}}));
  // Then only the (URL-encoded, here decoded by the server) tokens.
  for (int k = 2; k <= kPages; ++k)
    EXPECT_EQ(reqs[k - 1].params, (std::map<std::string, std::string>{
                                      {"verb", "ListRecords"}, {"resumptionToken", token_for(k)}}));
  for (const auto& r : reqs) {
    EXPECT_THAT(r.user_agent, HasSubstr("paperboy"));
    EXPECT_THAT(r.accept_encoding, HasSubstr("gzip"));  // pages compress about tenfold
  }
  // Request starts are at least `delay` apart. Server-side times lag the client's starts by
  // the connection set-up, which only the first request pays, so allow a little slack.
  for (size_t i = 1; i < reqs.size(); ++i)
    EXPECT_GE(reqs[i].at - reqs[i - 1].at, milliseconds(190)) << "between requests " << i;

  ASSERT_EQ(progress.size(), static_cast<size_t>(kPages));
  EXPECT_EQ(progress.back().pages, kPages);
  EXPECT_EQ(progress.back().records, kTotal);
  EXPECT_EQ(progress.back().complete_list_size, kTotal);

  const HarvestState s = state(o);
  EXPECT_EQ(s.token, "");
  EXPECT_EQ(s.pages, kPages);
  EXPECT_EQ(s.records, kTotal);
  EXPECT_EQ(s.completed_until, "2024-01-31");
}

TEST_F(HarvesterTest, RetryAfterOn503IsHonoured) {
  server_.set_fault([](const Seen&, size_t index) -> std::optional<Reply> {
    if (index == 1) return Reply{503, "busy", {{"Retry-After", "1"}}};
    return std::nullopt;
  });
  auto o = options();
  auto summary = harvest(*store_, *http_, o);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_EQ(count(), kTotal);
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), static_cast<size_t>(kPages + 1));
  // The retry asks for the same page, no sooner than Retry-After.
  EXPECT_EQ(reqs[2].params, reqs[1].params);
  EXPECT_GE(reqs[2].at - reqs[1].at, milliseconds(1000));
  EXPECT_TRUE(info_contains("Retry-After"));
}

TEST_F(HarvesterTest, RetryAfterIsCappedAndRepeated503sCountAsRetries) {
  // The server asks for an hour twice; the cap keeps the harvest moving.
  server_.set_fault([](const Seen&, size_t index) -> std::optional<Reply> {
    if (index == 1 || index == 2) return Reply{503, "busy", {{"Retry-After", "3600"}}};
    return std::nullopt;
  });
  auto o = options();
  o.max_retry_after = std::chrono::seconds(0);
  o.max_retries = 2;
  const auto start = Clock::now();
  auto summary = harvest(*store_, *http_, o);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(count(), kTotal);

  // One more 503 than max_retries allows fails the harvest.
  server_.set_fault([](const Seen&, size_t) -> std::optional<Reply> {
    return Reply{503, "busy", {{"Retry-After", "0"}}};
  });
  server_.clear_requests();
  auto failed = harvest(*store_, *http_, o);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error().message(), HasSubstr("HTTP 503"));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(HarvesterTest, MalformedPageIsRetried) {
  server_.set_fault([](const Seen&, size_t index) -> std::optional<Reply> {
    if (index == 1) return Reply{200, list_page(2).substr(0, 500), {}};  // cut mid-transfer
    return std::nullopt;
  });
  auto summary = harvest(*store_, *http_, options());
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_EQ(count(), kTotal);
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), static_cast<size_t>(kPages + 1));
  EXPECT_EQ(reqs[2].get("resumptionToken"), token_for(2));
  EXPECT_TRUE(info_contains("page 2: not well-formed XML"));
}

TEST_F(HarvesterTest, PersistentlyMalformedPageFailsAndKeepsTheLastGoodToken) {
  server_.set_fault([](const Seen& s, size_t) -> std::optional<Reply> {
    if (s.get("resumptionToken") == token_for(2)) return Reply{200, "<html>oops</html>", {}};
    return std::nullopt;
  });
  auto o = options();
  o.max_retries = 2;
  auto summary = harvest(*store_, *http_, o);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code(), ErrorCode::kInvalidInput);
  const std::string& msg = summary.error().message();
  EXPECT_THAT(msg, HasSubstr("page 2: not an OAI-PMH response"));
  EXPECT_THAT(msg, HasSubstr("gave up after 2 retries"));
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(server_.requests().size(), 1u + 3u);  // page 1, then page 2 three times
  EXPECT_EQ(count(), kPerPage);
  const HarvestState s = state(o);
  EXPECT_EQ(s.token, token_for(2));
  EXPECT_EQ(s.pages, 1);
  EXPECT_EQ(s.records, kPerPage);
}

TEST_F(HarvesterTest, OaiErrorOtherThanNoRecordsMatchFails) {
  server_.set_fault([](const Seen&, size_t) -> std::optional<Reply> {
    return Reply{200, oai(R"(<error code="badArgument">Illegal argument</error>)"), {}};
  });
  auto o = options();
  o.max_retries = 1;
  auto summary = harvest(*store_, *http_, o);
  ASSERT_FALSE(summary.ok());
  EXPECT_THAT(summary.error().message(), HasSubstr("OAI-PMH error badArgument: Illegal argument"));
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(HarvesterTest, InterruptedHarvestResumesFromTheSavedToken) {
  server_.set_fault([](const Seen& s, size_t) -> std::optional<Reply> {
    if (s.get("resumptionToken") == token_for(2)) return Reply{500, "internal error", {}};
    return std::nullopt;
  });
  auto o = options();
  o.max_retries = 1;
  auto first = harvest(*store_, *http_, o);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code(), ErrorCode::kNetwork);
  EXPECT_THAT(first.error().message(), HasSubstr("page 2: HTTP 500"));
  EXPECT_EQ(count(), kPerPage);
  EXPECT_EQ(state(o).token, token_for(2));

  // The server recovers; the same harvest continues where the first stopped.
  server_.set_fault(nullptr);
  server_.clear_requests();
  info_.clear();
  auto second = harvest(*store_, *http_, o);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_TRUE(second->resumed);
  EXPECT_TRUE(info_contains("resuming")) << ::testing::PrintToString(info_);
  EXPECT_TRUE(info_contains("at page 2"));
  EXPECT_EQ(second->pages, kPages - 1);
  EXPECT_EQ(second->counts.added, static_cast<std::uint64_t>(kTotal - kPerPage));
  EXPECT_EQ(count(), kTotal);
  const auto reqs = server_.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].get("resumptionToken"), token_for(2));
  EXPECT_FALSE(reqs[0].has("metadataPrefix"));
  const HarvestState s = state(o);
  EXPECT_EQ(s.token, "");
  EXPECT_EQ(s.pages, kPages);
  EXPECT_EQ(s.records, kTotal);
}

TEST_F(HarvesterTest, RestartIgnoresTheSavedToken) {
  server_.set_fault([](const Seen& s, size_t) -> std::optional<Reply> {
    if (s.get("resumptionToken") == token_for(3)) return Reply{502, "bad gateway", {}};
    return std::nullopt;
  });
  auto o = options();
  o.max_retries = 0;
  ASSERT_FALSE(harvest(*store_, *http_, o).ok());
  EXPECT_EQ(state(o).token, token_for(3));
  server_.set_fault(nullptr);
  server_.clear_requests();
  o.restart = true;
  auto summary = harvest(*store_, *http_, o);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_FALSE(summary->resumed);
  EXPECT_EQ(summary->pages, kPages);
  EXPECT_FALSE(server_.requests()[0].has("resumptionToken"));
}

TEST_F(HarvesterTest, RerunAfterCompletionAddsNothing) {
  auto o = options();
  auto first = harvest(*store_, *http_, o);
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = harvest(*store_, *http_, o);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_FALSE(second->resumed);
  EXPECT_EQ(second->counts.added, 0u);
  EXPECT_EQ(second->counts.updated, 0u);
  EXPECT_EQ(second->counts.unchanged, static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ(count(), kTotal);
}

TEST_F(HarvesterTest, NextHarvestDefaultsFromToWhereTheLastEnded) {
  auto o = options();
  o.from.clear();
  o.until.clear();
  auto first = harvest(*store_, *http_, o);
  ASSERT_TRUE(first.ok()) << first.error().message();
  // Without `until`, the harvest reached the latest datestamp it saw.
  EXPECT_EQ(first->completed_until, "2024-01-28");
  EXPECT_FALSE(server_.requests()[0].has("from"));
  server_.clear_requests();
  auto second = harvest(*store_, *http_, o);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(server_.requests()[0].get("from"), "2024-01-28");
}

TEST_F(HarvesterTest, NoRecordsMatchIsAnEmptySuccess) {
  server_.set_fault([](const Seen&, size_t) -> std::optional<Reply> {
    return Reply{200, oai(R"(<error code="noRecordsMatch">empty list</error>)"), {}};
  });
  auto o = options();
  auto summary = harvest(*store_, *http_, o);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_EQ(summary->pages, 1);
  EXPECT_EQ(summary->counts.records, 0u);
  EXPECT_EQ(count(), 0);
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(state(o).completed_until, "2024-01-31");
}

TEST_F(HarvesterTest, BadResumptionTokenRestartsTheList) {
  bool rejected = false;
  server_.set_fault([&rejected](const Seen& s, size_t) -> std::optional<Reply> {
    if (!rejected && s.get("resumptionToken") == token_for(3)) {
      rejected = true;
      return Reply{200, oai(R"(<error code="badResumptionToken">expired</error>)"), {}};
    }
    return std::nullopt;
  });
  auto o = options();
  auto summary = harvest(*store_, *http_, o);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_TRUE(info_contains("restarting the list from 2024-01-01"));
  EXPECT_EQ(count(), kTotal);
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 6u);  // 1, 2, rejected 3, then 1, 2, 3 again
  EXPECT_EQ(reqs[3].get("from"), "2024-01-01");
  EXPECT_EQ(state(o).pages, kPages);
}

TEST_F(HarvesterTest, SkippedAndDeletedRecordsAreCountedNotFatal) {
  server_.set_page1_extra(
      R"(<record><header status="deleted"><identifier>oai:arXiv.org:2401.99999</identifier>
<datestamp>2024-01-02</datestamp></header></record>
<record><header><identifier>oai:arXiv.org:2401.99998</identifier><datestamp>2024-01-02</datestamp>
</header><metadata><arXiv><id>2401.99998</id></arXiv></metadata></record>
)");
  auto summary = harvest(*store_, *http_, options());
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  EXPECT_EQ(summary->counts.ignored, 1u);
  EXPECT_EQ(summary->counts.skipped, 1u);
  EXPECT_EQ(summary->counts.records, static_cast<std::uint64_t>(kTotal + 1));
  ASSERT_EQ(skips_.size(), 1u);
  EXPECT_EQ(skips_[0], "page 1 record 2: missing title (2401.99998)");
  EXPECT_EQ(count(), kTotal);
}

TEST_F(HarvesterTest, NetworkFailureGivesUpWithAOneLineError) {
  auto o = options();
  // A port nobody listens on: let the kernel pick a free one, then release it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  o.endpoint = fmt::format("http://127.0.0.1:{}/oai", ntohs(addr.sin_port));
  o.max_retries = 2;
  auto summary = harvest(*store_, *http_, o);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code(), ErrorCode::kNetwork);
  EXPECT_THAT(summary.error().message(), HasSubstr("page 1: GET http://127.0.0.1:"));
  EXPECT_THAT(summary.error().message(), HasSubstr("gave up after 2 retries"));
  EXPECT_EQ(summary.error().message().find('\n'), std::string::npos);
}

TEST(HarvesterUtil, UrlEncodeAndUserAgent) {
  EXPECT_EQ(url_encode("a-z_0.9~"), "a-z_0.9~");
  EXPECT_EQ(url_encode("tok|1 a/b+c"), "tok%7C1%20a%2Fb%2Bc");
  EXPECT_EQ(url_encode("physics:hep-ph"), "physics%3Ahep-ph");
  EXPECT_THAT(default_user_agent(), HasSubstr("paperboy/"));
  EXPECT_EQ(harvest_key("https://x/oai", "cs", "arXiv"), "https://x/oai|cs|arXiv");
}

TEST(HarvesterUtil, ParseRetryAfter) {
  const std::time_t now = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
  using std::chrono::seconds;
  EXPECT_EQ(parse_retry_after("120", now), seconds(120));
  EXPECT_EQ(parse_retry_after(" 0 ", now), seconds(0));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), seconds(0));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:30:30 GMT", now), seconds(150));
  EXPECT_EQ(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now), seconds(0));  // past
  EXPECT_EQ(parse_retry_after("-5", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
}

}  // namespace
}  // namespace pb::ingest
