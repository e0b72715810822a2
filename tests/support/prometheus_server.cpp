#include "prometheus_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

namespace fairwatch::testing {
namespace {

std::string quoted(const std::string& text) {
  std::string result = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') result.push_back('\\');
    result.push_back(c);
  }
  return result + "\"";
}

std::string config_text(const PrometheusOptions& options) {
  std::string text = "global:\n";
  text += "  scrape_interval: " + options.scrape_interval + "\n";
  text += "  scrape_timeout: " + options.scrape_interval + "\n";
  text += "  evaluation_interval: " + options.evaluation_interval + "\n";
  if (!options.rule_files.empty()) {
    text += "rule_files:\n";
    for (const std::string& file : options.rule_files) text += "  - " + quoted(file) + "\n";
  }
  if (!options.alertmanager.empty()) {
    text += "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [" +
            quoted(options.alertmanager) + "]\n";
  }
  text += "scrape_configs:\n  - job_name: " + quoted(options.job) + "\n";
  text += "    static_configs:\n      - targets: [";
  for (std::size_t i = 0; i < options.targets.size(); ++i) {
    text += (i == 0 ? "" : ", ") + quoted(options.targets[i]);
  }
  text += "]\n";
  return text;
}

std::string tail(const std::string& text, std::size_t bytes) {
  return text.size() <= bytes ? text : "…" + text.substr(text.size() - bytes);
}

// Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
double parse_value(std::string_view text) {
  return std::strtod(std::string(text).c_str(), nullptr);
}

bool parse_sample_value(simdjson::dom::element pair, double& value) {
  simdjson::dom::array array;
  if (pair.get_array().get(array)) return false;
  std::string_view text;
  if (array.at(1).get_string().get(text)) return false;
  value = parse_value(text);
  return true;
}

}  // namespace

std::variant<std::unique_ptr<PrometheusServer>, std::string> PrometheusServer::start(
    const PrometheusOptions& options, std::chrono::milliseconds timeout) {
  if (::access(kPrometheusPath, X_OK) != 0) {
    return std::string(kPrometheusPath) + " is missing (Debian package `prometheus`)";
  }
  std::unique_ptr<PrometheusServer> server(new PrometheusServer);
  server->process_ = std::make_unique<ServerProcess>("prometheus");
  const std::string& directory = server->process_->directory();
  if (!server->process_->ok()) return std::string("cannot create a temporary directory");
  const std::string config_path = directory + "/prometheus.yml";
  std::ofstream(config_path) << config_text(options);
  std::string error = server->process_->start(
      [&](const std::string& address) {
        std::vector<std::string> argv = {
            kPrometheusPath,
            "--config.file=" + config_path,
            "--storage.tsdb.path=" + directory + "/data",
            "--web.listen-address=" + address,
            "--web.console.templates=" + directory,
            "--web.console.libraries=" + directory,
            "--log.level=warn",
        };
        argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
        return argv;
      },
      timeout);
  if (!error.empty()) return error;
  return server;
}

HttpResponse PrometheusServer::get(const std::string& path_and_query) const {
  return http_get("127.0.0.1", port(), path_and_query);
}

PrometheusQueryResult PrometheusServer::query(const std::string& promql) const {
  PrometheusQueryResult result;
  const HttpResponse response = get("/api/v1/query?query=" + url_encode(promql));
  if (response.status == 0) {
    result.error = response.error;
    return result;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.parse(response.body).get(root)) {
    result.error = "HTTP " + std::to_string(response.status) + ", not JSON (" +
                   simdjson::error_message(error) + "): " + tail(response.body, 500);
    return result;
  }
  std::string_view status;
  if (root["status"].get_string().get(status) || status != "success") {
    std::string_view message;
    if (root["error"].get_string().get(message)) message = "no error message";
    result.error = "HTTP " + std::to_string(response.status) + ": " + std::string(message);
    return result;
  }
  simdjson::dom::element data;
  std::string_view type;
  if (root["data"].get(data) || data["resultType"].get_string().get(type)) {
    result.error = "no data.resultType in " + tail(response.body, 500);
    return result;
  }
  result.result_type = std::string(type);
  simdjson::dom::element found;
  if (data["result"].get(found)) {
    result.error = "no data.result in " + tail(response.body, 500);
    return result;
  }
  if (type == "scalar") {
    PrometheusSample sample;
    if (!parse_sample_value(found, sample.value)) {
      result.error = "malformed scalar in " + tail(response.body, 500);
      return result;
    }
    result.samples.push_back(sample);
  } else if (type == "vector") {
    simdjson::dom::array items;
    if (found.get_array().get(items)) {
      result.error = "malformed vector in " + tail(response.body, 500);
      return result;
    }
    for (simdjson::dom::element item : items) {
      PrometheusSample sample;
      simdjson::dom::object metric;
      if (!item["metric"].get_object().get(metric)) {
        for (const auto field : metric) {
          std::string_view value;
          if (!field.value.get_string().get(value)) {
            sample.labels.emplace(std::string(field.key), std::string(value));
          }
        }
      }
      simdjson::dom::element value;
      if (item["value"].get(value) || !parse_sample_value(value, sample.value)) {
        result.error = "malformed sample in " + tail(response.body, 500);
        return result;
      }
      result.samples.push_back(std::move(sample));
    }
  } else {
    result.error = "result type " + result.result_type + " is not parsed";
    return result;
  }
  result.ok = true;
  return result;
}

PrometheusQueryResult PrometheusServer::wait_for_samples(const std::string& promql,
                                                         std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    PrometheusQueryResult result = query(promql);
    if ((result.ok && !result.samples.empty()) || std::chrono::steady_clock::now() >= deadline) {
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace fairwatch::testing
