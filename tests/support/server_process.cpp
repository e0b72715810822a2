#include "server_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

#include "http_client.h"

namespace fairwatch::testing {
namespace {

std::string tail(const std::string& text, std::size_t bytes) {
  return text.size() <= bytes ? text : "…" + text.substr(text.size() - bytes);
}

}  // namespace

ServerProcess::ServerProcess(const std::string& name) : name_(name) {
  std::string pattern = ::testing::TempDir() + "/" + name + "-XXXXXX";
  if (::mkdtemp(pattern.data()) != nullptr) directory_ = pattern;
}

ServerProcess::~ServerProcess() {
  if (process_) {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
    process_.reset();  // SIGKILL if still running
  }
  if (!directory_.empty() && std::getenv("FAIRWATCH_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

std::string ServerProcess::start(
    const std::function<std::vector<std::string>(const std::string&)>& argv_for,
    std::chrono::milliseconds timeout) {
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    process_ = std::make_unique<ChildProcess>(
        argv_for(address()), directory_ + "/" + name_ + "-" + std::to_string(attempt));
    const bool ready = wait_until(
        [&] {
          if (!process_->running()) return true;
          return http_get("127.0.0.1", port_, "/-/ready", std::chrono::seconds(2)).status == 200;
        },
        timeout);
    if (ready && process_->running()) return "";
    last_error =
        name_ + (ready ? " exited" : " not ready in time") + "; its log: " + tail(log(), 2000);
  }
  return last_error;
}

}  // namespace fairwatch::testing
