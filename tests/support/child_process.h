// ChildProcess: a program started by a test, with its stdout and stderr
// captured to files, that can be signalled, killed and waited for. Kills the
// process (SIGKILL) when destroyed. Thread-compatible.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace fairwatch::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`, extra environment `env` ("NAME=value"),
  // output to <output_prefix>.stdout / .stderr.
  ChildProcess(const std::vector<std::string>& argv, const std::string& output_prefix,
               const std::vector<std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signal_number);
  // Waits up to `timeout` for exit; the exit status (or 128 + signal), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns its last value.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout);

std::string read_file(const std::string& path);

}  // namespace fairwatch::testing

#include <thread>

template <typename Condition>
bool fairwatch::testing::wait_until(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}
