#pragma once
// Runs the real paperboy binary (PB_BINARY, set by CTest) as a child process.

#include <sys/types.h>

#include <string>
#include <vector>

namespace pb::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// The binary under test.
std::string binary();
// Runs `binary() args...` to completion, capturing stdout and stderr.
RunResult run(const std::vector<std::string>& args, const std::string& stdin_data = "");

// Starts `binary() args...` in the background with output discarded; returns its pid.
pid_t spawn(const std::vector<std::string>& args);
// Waits for a spawned child; returns its exit code, or -signal when killed by a signal.
int wait_child(pid_t pid);

// A TCP port on 127.0.0.1 that was free a moment ago (for a server the test starts).
int free_port();

}  // namespace pb::testing
