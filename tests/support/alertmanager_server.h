// AlertmanagerServer: Debian's real Alertmanager (/usr/bin/prometheus-alertmanager)
// started for a test on 127.0.0.1 and a free port, clustering off, with its own
// temporary directory and a generated alertmanager.yml that sends every alert
// to one webhook URL with short group and repeat intervals. Stopped (SIGTERM,
// then SIGKILL) and its directory removed on destruction. Thread-compatible.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "http_client.h"
#include "server_process.h"

namespace fairwatch::testing {

inline constexpr const char* kAlertmanagerPath = "/usr/bin/prometheus-alertmanager";

struct AlertmanagerOptions {
  std::string webhook_url;            // e.g. "http://127.0.0.1:PORT/alerts"
  std::string group_wait = "1s";      // route.group_wait
  std::string group_interval = "1s";  // route.group_interval
  std::string repeat_interval = "1h";
  std::string resolve_timeout = "5m";
};

class AlertmanagerServer {
 public:
  // Writes the config, starts Alertmanager and waits (up to `timeout`) until
  // /-/ready answers 200. Returns the server or why it did not become ready.
  static std::variant<std::unique_ptr<AlertmanagerServer>, std::string> start(
      const AlertmanagerOptions& options,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  AlertmanagerServer(const AlertmanagerServer&) = delete;
  AlertmanagerServer& operator=(const AlertmanagerServer&) = delete;

  int port() const { return process_->port(); }
  std::string address() const { return process_->address(); }
  std::string log() const { return process_->log(); }
  HttpResponse get(const std::string& path_and_query) const;

 private:
  AlertmanagerServer() = default;

  std::unique_ptr<ServerProcess> process_;
};

}  // namespace fairwatch::testing
