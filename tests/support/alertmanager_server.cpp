#include "alertmanager_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fairwatch::testing {
namespace {

std::string config_text(const AlertmanagerOptions& options) {
  return "global:\n  resolve_timeout: " + options.resolve_timeout +
         "\nroute:\n  receiver: test-webhook\n  group_by: ['...']\n  group_wait: " +
         options.group_wait + "\n  group_interval: " + options.group_interval +
         "\n  repeat_interval: " + options.repeat_interval +
         "\nreceivers:\n  - name: test-webhook\n    webhook_configs:\n      - url: \"" +
         options.webhook_url + "\"\n        send_resolved: true\n";
}

}  // namespace

std::variant<std::unique_ptr<AlertmanagerServer>, std::string> AlertmanagerServer::start(
    const AlertmanagerOptions& options, std::chrono::milliseconds timeout) {
  if (::access(kAlertmanagerPath, X_OK) != 0) {
    return std::string(kAlertmanagerPath) +
           " is missing (Debian package `prometheus-alertmanager`)";
  }
  std::unique_ptr<AlertmanagerServer> server(new AlertmanagerServer);
  server->process_ = std::make_unique<ServerProcess>("alertmanager");
  const std::string& directory = server->process_->directory();
  if (!server->process_->ok()) return std::string("cannot create a temporary directory");
  const std::string config_path = directory + "/alertmanager.yml";
  std::ofstream(config_path) << config_text(options);
  std::string error = server->process_->start(
      [&](const std::string& address) {
        return std::vector<std::string>{
            kAlertmanagerPath,
            "--config.file=" + config_path,
            "--storage.path=" + directory + "/data",
            "--web.listen-address=" + address,
            "--cluster.listen-address=",
            "--log.level=warn",
        };
      },
      timeout);
  if (!error.empty()) return error;
  return server;
}

HttpResponse AlertmanagerServer::get(const std::string& path_and_query) const {
  return http_get("127.0.0.1", port(), path_and_query);
}

}  // namespace fairwatch::testing
