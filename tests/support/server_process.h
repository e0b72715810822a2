// ServerProcess: a server program (Prometheus, Alertmanager) run by a test on
// 127.0.0.1 and a free port, in its own temporary directory, ready once its
// /-/ready endpoint answers 200. Stopped (SIGTERM, then SIGKILL) and its
// directory removed on destruction (kept when FAIRWATCH_KEEP_TEST_DIRS is set).
// Thread-compatible.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "child_process.h"

namespace fairwatch::testing {

class ServerProcess {
 public:
  // A fresh temporary directory named after `name` (check ok()).
  explicit ServerProcess(const std::string& name);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ok() const { return !directory_.empty(); }
  const std::string& directory() const { return directory_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_ ? process_->stderr_text() : ""; }

  // Starts the program from `argv_for(address)` on a free port (up to three
  // ports, as a free port can be taken by another process) and waits up to
  // `timeout` for readiness. Returns "" or why it never became ready, with
  // the end of its log.
  std::string start(const std::function<std::vector<std::string>(const std::string&)>& argv_for,
                    std::chrono::milliseconds timeout);

 private:
  std::string name_;
  std::string directory_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace fairwatch::testing
