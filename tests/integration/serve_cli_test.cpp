// `paperboy serve` as a process: configuration precedence (flags, PAPERBOY_* variables, the
// config file) and graceful shutdown on SIGTERM with a request in flight.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "../test_support.hpp"
#include "test_util.hpp"

namespace pb {
namespace {

using pb::testing::TempDir;

// A running `paperboy serve` whose stdout we read to learn its address.
struct ServeProcess {
  pid_t pid = -1;
  int out = -1;
  int port = -1;
  std::string output;

  ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    std::string bin = pb::testing::binary();
    std::vector<std::string> all{bin};
    all.insert(all.end(), args.begin(), args.end());
    pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out = fds[0];
    // The first line says where it listens.
    static const std::regex kLine(R"(on http://[^:]+:(\d+)/)");
    char buf[512];
    std::smatch m;
    while (port < 0) {
      ssize_t n = read(out, buf, sizeof buf);
      if (n <= 0) break;
      output.append(buf, static_cast<size_t>(n));
      if (std::regex_search(output, m, kLine)) port = std::stoi(m[1]);
    }
  }
  int stop() {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    close(out);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  ~ServeProcess() {
    if (pid > 0) stop();
  }
};

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_ / "data").string();
    auto r =
        pb::testing::run({"--data", data_, "-q", "ingest",
                          (pb::testing::source_dir() / "examples/demo-papers.jsonl").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_;
  std::string data_;
};

TEST_F(ServeCliTest, FlagsBeatEnvironmentWhichBeatsTheConfigFile) {
  const int from_file = pb::testing::free_port(), from_env = pb::testing::free_port(),
            from_flag = pb::testing::free_port();
  auto config = pb::testing::write_file(
      dir_ / "paperboy.ini",
      "# serve settings\nport = " + std::to_string(from_file) + "\naccess-log = ''\n");
  {
    ServeProcess s({"--data", data_, "serve", "--config", config.string()});
    EXPECT_EQ(s.port, from_file) << s.output;
  }
  {
    ServeProcess s({"--data", data_, "serve", "--config", config.string()},
                   {"PAPERBOY_PORT=" + std::to_string(from_env)});
    EXPECT_EQ(s.port, from_env) << s.output;
  }
  {
    ServeProcess s({"--data", data_, "serve", "--config", config.string(), "--port",
                    std::to_string(from_flag)},
                   {"PAPERBOY_PORT=" + std::to_string(from_env)});
    EXPECT_EQ(s.port, from_flag) << s.output;
  }
}

TEST_F(ServeCliTest, BadConfigFilesAreOneLineUsageErrors) {
  struct Case {
    std::string text, message;
  };
  const Case cases[] = {
      {"colour = blue\n", "unknown setting 'colour'"},
      {"port = 1\nport = 2\n", ":2: duplicate key 'port'"},
      {"secure-cookies = maybe\n", "true or false"},
      {"port = 99999999\n", "port"},
  };
  for (const auto& c : cases) {
    auto f = pb::testing::write_file(dir_ / "bad.ini", c.text);
    auto r = pb::testing::run({"--data", data_, "serve", "--config", f.string()});
    EXPECT_EQ(r.exit_code, 2) << c.text;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.text << ": " << r.err;
  }
  auto r = pb::testing::run({"--data", data_, "serve", "--config", (dir_ / "none.ini").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("none.ini"), std::string::npos);
}

// A SIGTERM that arrives just after the listening line (before the listener's loop has
// begun) still stops the server.
TEST_F(ServeCliTest, SigtermRightAfterStartStops) {
  for (int i = 0; i < 5; ++i) {
    ServeProcess s({"--data", data_, "serve", "--port", "0", "--access-log", ""});
    ASSERT_GT(s.port, 0) << s.output;
    EXPECT_EQ(s.stop(), 0);
  }
}

TEST_F(ServeCliTest, SigtermLetsTheRequestInFlightFinish) {
  ServeProcess s({"--data", data_, "serve", "--port", "0", "--access-log", ""});
  ASSERT_GT(s.port, 0) << s.output;
  int fd = connect_to(s.port);
  ASSERT_GE(fd, 0);
  // Half a request, then SIGTERM, then the rest: it is still answered.
  const std::string head = "GET /api/papers/search?q=attention HTTP/1.1\r\nHost: localhost\r\n";
  ASSERT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(s.pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string rest = "Connection: close\r\n\r\n";
  ASSERT_EQ(write(fd, rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    response.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 200);
  EXPECT_NE(response.find("Attention Is All You Need"), std::string::npos);
  int status = 0;
  waitpid(s.pid, &status, 0);
  s.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // And it no longer listens.
  EXPECT_LT(connect_to(s.port), 0);
}

TEST_F(ServeCliTest, ADamagedIndexIsRebuiltFromTheStore) {
  for (const char* damage : {"garbage\n", ""}) {
    pb::testing::write_file(dir_ / "data" / "index" / "lexical" / "MANIFEST", damage);
    ServeProcess s({"--data", data_, "serve", "--port", "0", "--access-log", ""});
    ASSERT_GT(s.port, 0) << s.output;
    int fd = connect_to(s.port);
    ASSERT_GE(fd, 0);
    const std::string req =
        "GET /api/papers/search?q=attention HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
      response.append(buf, static_cast<size_t>(n));
    close(fd);
    EXPECT_NE(response.find("Attention Is All You Need"), std::string::npos) << damage;
    EXPECT_EQ(s.stop(), 0);
  }
}

}  // namespace
}  // namespace pb
