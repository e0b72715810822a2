// The exporter's HTTP server: prometheus::Exposer (civetweb) serving
// /metrics, with a civetweb begin_request callback answering /healthz (200
// "ok") and /readyz (200 "ready", or 503 with the reason) before the request
// reaches prometheus-cpp. Private to the daemon library.
//
// Thread-safety: Readiness is thread-safe. HttpServer is thread-compatible;
// its HTTP threads only read the Readiness and the registered collectables.
#pragma once

#include <prometheus/exposer.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fairwatch::daemon {

// What /readyz answers. Starts not ready, reason "starting".
class Readiness {
 public:
  void set(bool ready, std::string reason);
  // {ready, reason}
  std::pair<bool, std::string> get() const;

 private:
  mutable std::mutex mutex_;
  bool ready_ = false;
  std::string reason_ = "starting";
};

class HttpServer {
 public:
  // Listens on `listen` ("host:port", port 0 picks a free port). Returns the
  // server or why it could not start (e.g. the address is in use). Never throws.
  static std::variant<std::unique_ptr<HttpServer>, std::string> start(
      const std::string& listen, std::shared_ptr<const Readiness> readiness);
  // Stops serving; returns when no request is in progress.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  prometheus::Exposer& exposer() { return *exposer_; }
  // The port bound (the first one if several).
  int port() const { return ports_.empty() ? 0 : ports_.front(); }

 private:
  HttpServer() = default;

  std::shared_ptr<const Readiness> readiness_;
  std::string wake_host_;  // where a local connection reaches the listener
  std::vector<int> ports_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace fairwatch::daemon
