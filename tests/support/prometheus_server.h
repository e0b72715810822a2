// PrometheusServer: Debian's real Prometheus (/usr/bin/prometheus) started
// for a test on 127.0.0.1 and a free port, with its own temporary directory
// and a generated prometheus.yml that scrapes the given targets every second
// (plus optional rule files and an Alertmanager). Queried through the HTTP
// API. Stopped (SIGTERM, then SIGKILL) and its directory removed on
// destruction. Thread-compatible.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "http_client.h"
#include "server_process.h"

namespace fairwatch::testing {

inline constexpr const char* kPrometheusPath = "/usr/bin/prometheus";

struct PrometheusOptions {
  std::vector<std::string> targets;  // "host:port", scraped at /metrics by job `job`
  std::string job = "fairwatch";
  std::string scrape_interval = "1s";  // also the scrape timeout
  std::string evaluation_interval = "1s";
  std::vector<std::string> rule_files;  // absolute paths of rule files to load
  std::string alertmanager;             // "host:port" to send alerts to; "" for none
  std::vector<std::string> extra_args;  // more flags, e.g. "--rules.alert.resend-delay=1s"
};

struct PrometheusSample {
  std::map<std::string, std::string> labels;  // with __name__ when the result keeps it
  double value = 0;
};

struct PrometheusQueryResult {
  bool ok = false;
  std::string error;        // why !ok: HTTP, JSON or PromQL error
  std::string result_type;  // "vector" or "scalar" ("matrix" and "string" are not parsed)
  std::vector<PrometheusSample> samples;  // a scalar is one sample without labels
};

class PrometheusServer {
 public:
  // Writes the config, starts Prometheus and waits (up to `timeout`) until
  // /-/ready answers 200. Returns the server or why it did not become ready
  // (with the end of Prometheus's log).
  static std::variant<std::unique_ptr<PrometheusServer>, std::string> start(
      const PrometheusOptions& options,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  int port() const { return process_->port(); }
  std::string address() const { return process_->address(); }
  const std::string& directory() const { return process_->directory(); }
  std::string log() const { return process_->log(); }

  // GETs an API path such as "/api/v1/targets" from this server.
  HttpResponse get(const std::string& path_and_query) const;
  // An instant query (/api/v1/query) at the current time.
  PrometheusQueryResult query(const std::string& promql) const;
  // Repeats query() until it succeeds with at least one sample or `timeout`
  // passes; returns the last result.
  PrometheusQueryResult wait_for_samples(
      const std::string& promql,
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  PrometheusServer() = default;

  std::unique_ptr<ServerProcess> process_;
};

}  // namespace fairwatch::testing
