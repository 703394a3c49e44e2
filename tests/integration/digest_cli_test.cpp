// E-mail end to end: `paperboy subscribers` and `paperboy digest run` against a real SMTP
// server on 127.0.0.1 (tests/mail/smtp_sink.py, Debian's aiosmtpd), and the links in the
// mail against a real `paperboy serve`. Messages are read back with Python's email package.

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../test_support.hpp"
#include "test_util.hpp"

namespace pb {
namespace {

namespace fs = std::filesystem;
using pb::testing::run;
using pb::testing::TempDir;
using Json = nlohmann::json;

pid_t spawn_exec(const std::string& program, const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// The SMTP server, started per test with its fault options.
class SmtpSink {
 public:
  SmtpSink(const fs::path& dir, std::vector<std::string> options = {}) : dir_(dir / "mailbox") {
    const fs::path port_file = dir / "smtp.port";
    std::vector<std::string> args = {
        (pb::testing::source_dir() / "tests/mail/smtp_sink.py").string(), "--dir", dir_.string(),
        "--port-file", port_file.string()};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = spawn_exec("/usr/bin/python3", args);
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    port_ = std::stoi(pb::testing::read_file(port_file));
  }
  ~SmtpSink() {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  size_t count() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec))
      if (e.path().extension() == ".eml") ++n;
    return n;
  }
  // Every accepted message, parsed by tests/mail/parse_eml.py, with its envelope.
  Json messages() const {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec))
      if (e.path().extension() == ".eml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) return Json::array();
    std::string cmd =
        "/usr/bin/python3 " + (pb::testing::source_dir() / "tests/mail/parse_eml.py").string();
    for (const auto& f : files) cmd += " " + f;
    Json all = Json::parse(pb::testing::capture(cmd), nullptr, false);
    if (!all.is_array()) return Json::array();
    for (auto& m : all) {
      fs::path env = m["file"].get<std::string>();
      env.replace_extension(".json");
      m["envelope"] = Json::parse(pb::testing::read_file(env), nullptr, false);
    }
    return all;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Paper ids a digest lists ("arXiv:ID" in the text part), in order.
std::vector<std::string> ids_in(const Json& message) {
  std::vector<std::string> out;
  const std::string text = message["text"].is_string() ? message["text"].get<std::string>() : "";
  static const std::regex re(R"(arXiv:(\d{4}\.\d{5}))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1]);
  return out;
}

std::string paper(const std::string& id, const std::string& day, const std::string& cats,
                  const std::string& author, int version = 1) {
  return fmt::format(
      R"({{"id": "{}", "version": {}, "title": "Paper {} on language models", "abstract": "We study models of language; version {}.", "authors": ["{}", "Zoë Ångström"], "categories": [{}], "published": "{}", "announce_date": "{}"}})",
      id, version, id, version, author, cats, day, day);
}

class DigestCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_ / "data").string();
    // One arXiv week: Monday 2026-11-16 to Friday 2026-11-20, nothing at the weekend.
    const std::string corpus =
        paper("2611.00001", "2026-11-16", R"("cs.CL")", "Ada Lovelace") + "\n" +
        paper("2611.00002", "2026-11-16", R"("cs.LG")", "Alan Turing") + "\n" +
        paper("2611.00003", "2026-11-17", R"("cs.CL")", "Alan Turing") + "\n" +
        paper("2611.00004", "2026-11-18", R"("cs.CL", "cs.LG")", "Grace Hopper") + "\n" +
        paper("2611.00005", "2026-11-19", R"("cs.CL")", "Ada Lovelace") + "\n" +
        paper("2611.00006", "2026-11-20", R"("cs.CV")", "Grace Hopper") + "\n" +
        paper("2611.00007", "2026-11-20", R"("cs.CL")", "Alan Turing") + "\n";
    auto r = run({"--data", data_, "-q", "ingest",
                  pb::testing::write_file(dir_ / "week.jsonl", corpus).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  pb::testing::RunResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_});
    return run(args);
  }
  pb::testing::RunResult digest(const SmtpSink& sink, const std::string& date,
                                std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"digest",   "run",        "--date", date,    "--smtp",
                                     sink.url(), "--smtp-tls", "none",   "--json"};
    args.insert(args.end(), more.begin(), more.end());
    return cli(args);
  }
  Json subscriber(const std::string& email) {
    auto r = cli({"subscribers", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto& s : Json::parse(r.out))
      if (s["email"] == email) return s;
    return Json();
  }
  TempDir dir_;
  std::string data_;
};

TEST_F(DigestCliTest, FollowsTheAnnouncementCalendar) {
  SmtpSink sink(dir_.path());
  ASSERT_EQ(cli({"subscribers", "add", "cal@example.org", "--category", "cs.CL", "--category",
                 "cs.LG", "--confirmed"})
                .exit_code,
            0);
  ASSERT_EQ(cli({"subscribers", "add", "week@example.org", "--weekly", "--category", "cs.CL",
                 "--confirmed"})
                .exit_code,
            0);
  auto r = digest(sink, "2026-11-16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["sent"], 2);
  r = digest(sink, "2026-11-17");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Nothing on the 18th: the 19th catches up, and a new version of a paper already sent
  // (announced again on the 19th) is not sent again.
  r = cli({"-q", "ingest",
           pb::testing::write_file(dir_ / "v2.jsonl", paper("2611.00001", "2026-11-19",
                                                            R"("cs.CL")", "Ada Lovelace", 2))
               .string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = digest(sink, "2026-11-19");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = digest(sink, "2026-11-20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = digest(sink, "2026-11-20");  // again: nothing new
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["sent"], 0);
  for (const char* weekend : {"2026-11-21", "2026-11-22"}) {
    r = digest(sink, weekend);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Json::parse(r.out)["composed"], 0) << weekend;
  }
  r = digest(sink, "2026-11-23");  // a new ISO week: the weekly digest
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::vector<std::vector<std::string>> daily, weekly;
  for (const auto& m : sink.messages()) {
    EXPECT_TRUE(m["defects"].empty()) << m["defects"];
    EXPECT_EQ(m["content_type"], "multipart/alternative");
    EXPECT_LE(m["max_line"].get<int>(), 998);
    EXPECT_TRUE(m["html"].is_string());
    EXPECT_NE(m["text"].get<std::string>().find("Zoë Ångström"), std::string::npos);
    (m["to"] == "cal@example.org" ? daily : weekly).push_back(ids_in(m));
  }
  using V = std::vector<std::string>;
  ASSERT_EQ(daily.size(), 4u);
  EXPECT_EQ(std::set<std::string>(daily[0].begin(), daily[0].end()),
            (std::set<std::string>{"2611.00001", "2611.00002"}));
  EXPECT_EQ(daily[1], V{"2611.00003"});
  // The cross-listed paper once, though both its categories are followed.
  EXPECT_EQ(std::set<std::string>(daily[2].begin(), daily[2].end()),
            (std::set<std::string>{"2611.00004", "2611.00005"}));
  EXPECT_EQ(daily[2].size(), 2u);
  EXPECT_EQ(daily[3], V{"2611.00007"});
  ASSERT_EQ(weekly.size(), 2u);
  EXPECT_EQ(weekly[0], V{"2611.00001"});
  EXPECT_EQ(std::set<std::string>(weekly[1].begin(), weekly[1].end()),
            (std::set<std::string>{"2611.00003", "2611.00004", "2611.00005", "2611.00007"}));
}

// The curated list of the day (Hugging Face's daily papers) makes the top papers, even an
// older paper listed today; a followed category gets only papers announced since the last
// digest.
TEST_F(DigestCliTest, CuratedPapersAreTopPapersNotCategoryNews) {
  const std::string listed =
      R"({"id": "2401.00009", "version": 1, "title": "An older paper listed today", "abstract": "Old but popular.", "authors": ["Old Author"], "categories": ["cs.CL"], "published": "2024-01-05", "announce_date": "2024-01-05", "daily": [{"day": "2026-11-20", "source": "huggingface", "submitted_by": "hf"}], "signals": [{"kind": "upvotes", "value": 40, "source": "huggingface", "observed_at": "2026-11-20T18:00:00Z"}]})";
  auto r =
      cli({"-q", "ingest", pb::testing::write_file(dir_ / "hf.jsonl", listed + "\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(cli({"subscribers", "add", "cat@example.org", "--category", "cs.CL", "--confirmed"})
                .exit_code,
            0);
  ASSERT_EQ(cli({"subscribers", "add", "top@example.org", "--top", "--confirmed"}).exit_code, 0);
  SmtpSink sink(dir_.path());
  r = digest(sink, "2026-11-20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::vector<std::string>> got;
  for (const auto& m : sink.messages()) got[m["to"]] = ids_in(m);
  EXPECT_EQ(got["cat@example.org"], std::vector<std::string>{"2611.00007"});
  EXPECT_EQ(got["top@example.org"], std::vector<std::string>{"2401.00009"});
}

TEST_F(DigestCliTest, DryRunQueuesNothingAndBadInputIsOneLine) {
  ASSERT_EQ(cli({"subscribers", "add", "d@example.org", "--author", "Ada Lovelace", "--confirmed"})
                .exit_code,
            0);
  auto r =
      cli({"digest", "run", "--date", "2026-11-19", "--dry-run", "--eml", (dir_ / "eml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("d@example.org"), std::string::npos) << r.out;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "eml"), fs::directory_iterator()), 1);
  EXPECT_EQ(subscriber("d@example.org")["last_digest_day"], "");
  r = cli({"digest", "run", "--date", "2026-13-45"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a day"), std::string::npos) << r.err;
  r = cli({"subscribers", "add", "not-an-address"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not an e-mail address"), std::string::npos) << r.err;
  r = cli({"digest", "run", "--smtp", "http://127.0.0.1:25"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("smtp://"), std::string::npos) << r.err;
  r = cli({"subscribers", "remove", "nobody@example.org"});
  EXPECT_EQ(r.exit_code, 6);
  r = cli({"subscribers", "remove", "d@example.org"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(subscriber("d@example.org").is_null());
}

TEST_F(DigestCliTest, KillMinus9MidSendThenRerunDeliversEachOnce) {
  // Each DATA takes 0.3 s, so the kill lands while a message is in flight.
  SmtpSink sink(dir_.path(), {"--delay", "0.3"});
  const int kSubscribers = 8;
  for (int i = 0; i < kSubscribers; ++i)
    ASSERT_EQ(cli({"subscribers", "add", fmt::format("k{}@example.org", i), "--category", "cs.CL",
                   "--confirmed"})
                  .exit_code,
              0);
  const pid_t pid = pb::testing::spawn({"--data", data_, "digest", "run", "--date", "2026-11-20",
                                        "--smtp", sink.url(), "--smtp-tls", "none"});
  for (int i = 0; i < 400 && sink.count() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // into the next DATA
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_EQ(pb::testing::wait_child(pid), -SIGKILL);
  const size_t before = sink.count();
  EXPECT_GE(before, 3u);
  EXPECT_LT(before, static_cast<size_t>(kSubscribers));
  auto r = digest(sink, "2026-11-20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, int> per_recipient;
  for (const auto& m : sink.messages()) ++per_recipient[m["to"].get<std::string>()];
  ASSERT_EQ(per_recipient.size(), static_cast<size_t>(kSubscribers));
  for (const auto& [to, n] : per_recipient) EXPECT_EQ(n, 1) << to;
}

TEST_F(DigestCliTest, TransientFailureIsRetriedAndDeliveredOnce) {
  SmtpSink sink(dir_.path(), {"--fail-first", "1", "--fail-code", "451"});
  ASSERT_EQ(
      cli({"subscribers", "add", "t@example.org", "--category", "cs.CL", "--confirmed"}).exit_code,
      0);
  auto r = digest(sink, "2026-11-20", {"--retry-base", "1", "--wait", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = Json::parse(r.out);
  EXPECT_EQ(j["sent"], 1);
  EXPECT_EQ(j["retrying"], 0);
  EXPECT_EQ(sink.count(), 1u);
  EXPECT_EQ(subscriber("t@example.org")["state"], "confirmed");
}

TEST_F(DigestCliTest, PermanentFailureMarksTheAddressBouncing) {
  SmtpSink sink(dir_.path(), {"--reject", "gone@example.org"});
  ASSERT_EQ(cli({"subscribers", "add", "gone@example.org", "--category", "cs.CL", "--confirmed"})
                .exit_code,
            0);
  ASSERT_EQ(cli({"subscribers", "add", "here@example.org", "--category", "cs.CL", "--confirmed"})
                .exit_code,
            0);
  auto r = digest(sink, "2026-11-19");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["bounced"], 1);
  EXPECT_EQ(subscriber("gone@example.org")["state"], "bouncing");
  r = digest(sink, "2026-11-20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& m : sink.messages()) EXPECT_EQ(m["to"], "here@example.org");
  EXPECT_EQ(sink.count(), 2u);
}

TEST_F(DigestCliTest, ConfirmationAndOneClickUnsubscribeThroughTheSite) {
  SmtpSink sink(dir_.path());
  const int port = pb::testing::free_port();
  const std::string base = fmt::format("http://127.0.0.1:{}", port);
  const pid_t server = pb::testing::spawn({"--data", data_, "serve", "--port", std::to_string(port),
                                           "--base-url", base, "--access-log", ""});
  auto get = [&](const std::string& url, const std::string& method = "GET",
                 const std::string& body = "") {
    return pb::testing::capture(
        fmt::format("curl -s -o /dev/null -w '%{{http_code}}' -X {} {} '{}'", method,
                    body.empty() ? "" : "--data '" + body + "'", url));
  };
  for (int i = 0; i < 200 && get(base + "/healthz") != "200"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(
      cli({"subscribers", "add", "new@example.org", "--category", "cs.CL", "--base-url", base})
          .exit_code,
      0);
  EXPECT_EQ(subscriber("new@example.org")["state"], "pending");
  auto r = digest(sink, "2026-11-19", {"--base-url", base});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto msgs = sink.messages();
  ASSERT_EQ(msgs.size(), 1u);  // the confirmation only: no digest before confirming
  const std::string text = msgs[0]["text"];
  std::smatch link;
  ASSERT_TRUE(std::regex_search(text, link, std::regex(base + R"(/subscription/confirm\?t=\S+)")))
      << text;
  EXPECT_EQ(get(link[0]), "200");
  EXPECT_EQ(subscriber("new@example.org")["state"], "confirmed");
  EXPECT_EQ(get(base + "/subscription/confirm?t=forged.token"), "400");

  r = digest(sink, "2026-11-19", {"--base-url", base});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  msgs = sink.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
  std::string unsub = msgs[1]["list_unsubscribe"];
  ASSERT_GT(unsub.size(), 2u);
  unsub = unsub.substr(1, unsub.size() - 2);  // <...>
  EXPECT_EQ(unsub.rfind(base + "/unsubscribe?t=", 0), 0u) << unsub;
  EXPECT_EQ(get(unsub), "200");  // a GET only asks
  EXPECT_EQ(subscriber("new@example.org")["state"], "confirmed");
  EXPECT_EQ(get(unsub, "POST", "List-Unsubscribe=One-Click"), "200");  // RFC 8058
  EXPECT_EQ(subscriber("new@example.org")["state"], "unsubscribed");
  r = digest(sink, "2026-11-20", {"--base-url", base});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sink.count(), 2u);  // nothing more after unsubscribing
  kill(server, SIGTERM);
  pb::testing::wait_child(server);
}

TEST_F(DigestCliTest, ServeSendsConfirmationsAndDigestsOnItsOwn) {
  SmtpSink sink(dir_.path());
  const int port = pb::testing::free_port();
  const std::string base = fmt::format("http://127.0.0.1:{}", port);
  ASSERT_EQ(
      cli({"subscribers", "add", "sched@example.org", "--category", "cs.CL", "--base-url", base})
          .exit_code,
      0);
  const pid_t server = pb::testing::spawn(
      {"--data", data_, "serve", "--port", std::to_string(port), "--base-url", base, "--access-log",
       "", "--smtp", sink.url(), "--smtp-tls", "none", "--mail-interval", "1"});
  auto wait_for = [&](size_t n) {
    for (int i = 0; i < 300 && sink.count() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return sink.count();
  };
  ASSERT_EQ(wait_for(1), 1u);  // the confirmation, sent by the scheduler
  const std::string text = sink.messages()[0]["text"];
  std::smatch link;
  ASSERT_TRUE(std::regex_search(text, link, std::regex(base + R"(/subscription/confirm\?t=\S+)")))
      << text;
  EXPECT_EQ(pb::testing::capture("curl -s -o /dev/null -w '%{http_code}' '" + link[0].str() + "'"),
            "200");
  // Today's digest: the latest announcement day (Friday 2026-11-20) in cs.CL.
  ASSERT_EQ(wait_for(2), 2u);
  EXPECT_EQ(ids_in(sink.messages()[1]), std::vector<std::string>{"2611.00007"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // more rounds: nothing new
  EXPECT_EQ(sink.count(), 2u);
  kill(server, SIGTERM);
  EXPECT_EQ(pb::testing::wait_child(server), 0);
}

TEST_F(DigestCliTest, AuthOverStartTls) {
  const fs::path cert = dir_ / "cert.pem", key = dir_ / "key.pem";
  const std::string gen = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
      "subjectAltName=IP:127.0.0.1 -keyout {} -out {} 2>/dev/null",
      key.string(), cert.string());
  ASSERT_EQ(std::system(gen.c_str()), 0);
  SmtpSink sink(dir_.path(), {"--auth", "digest:s3cret", "--tls", cert.string(), key.string()});
  ASSERT_EQ(cli({"subscribers", "add", "tls@example.org", "--category", "cs.CL", "--confirmed"})
                .exit_code,
            0);
  pb::testing::write_file(dir_ / "password", "wrong\n");
  auto r =
      cli({"digest", "run", "--date", "2026-11-20", "--smtp", sink.url(), "--smtp-tls", "require",
           "--smtp-ca", cert.string(), "--smtp-user", "digest", "--smtp-password-file",
           (dir_ / "password").string(), "--retry-base", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["sent"], 0);  // a refused login is not the recipient's fault
  EXPECT_EQ(subscriber("tls@example.org")["state"], "confirmed");
  pb::testing::write_file(dir_ / "password", "s3cret\n");
  r = cli({"digest", "run", "--date", "2026-11-20", "--smtp", sink.url(), "--smtp-tls", "require",
           "--smtp-ca", cert.string(), "--smtp-user", "digest", "--smtp-password-file",
           (dir_ / "password").string(), "--retry-base", "1", "--wait", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["sent"], 1);
  auto msgs = sink.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0]["envelope"]["tls"].get<bool>());
  EXPECT_EQ(msgs[0]["envelope"]["auth"], "digest");
}

}  // namespace
}  // namespace pb
