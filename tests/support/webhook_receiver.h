// WebhookReceiver: a minimal HTTP/1.1 server on 127.0.0.1 and a free port
// that accepts Alertmanager webhook POSTs (JSON, Content-Length bodies),
// answers 200 and keeps every notification with the time it arrived. One
// background thread serves connections one at a time; all public members are
// thread-safe. Stops and joins on destruction.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fairwatch::testing {

struct WebhookAlert {
  std::string status;  // "firing" or "resolved"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // The label's value, "" when absent.
  std::string label(const std::string& name) const {
    const auto it = labels.find(name);
    return it == labels.end() ? std::string() : it->second;
  }
  // The annotation's value, "" when absent.
  std::string annotation(const std::string& name) const {
    const auto it = annotations.find(name);
    return it == annotations.end() ? std::string() : it->second;
  }
};

struct WebhookNotification {
  std::chrono::steady_clock::time_point received;
  std::string path;
  std::string status;  // of the group: "firing" or "resolved"
  std::vector<WebhookAlert> alerts;
  std::string body;  // as received
  bool parsed = false;
};

class WebhookReceiver {
 public:
  // Binds 127.0.0.1:0 and starts serving; check ok() / error().
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  bool ok() const { return listen_fd_ >= 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string url(const std::string& path = "/alerts") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<WebhookNotification> notifications() const;

 private:
  void serve();
  void handle(int connection);

  int listen_fd_ = -1;
  int port_ = 0;
  std::string error_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<WebhookNotification> notifications_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace fairwatch::testing
