// Daemon: the long-running service. One thread (the caller of run()) owns the
// event source, the engine and the checkpoints: it consumes, publishes
// metrics every second, checkpoints every checkpoint.interval (then commits
// the offsets), and on stop writes a final checkpoint, commits and leaves the
// consumer group. request_stop() and request_reload() may be called from any
// thread (e.g. a signal-handling thread).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/alert_evaluator.h"
#include "fairwatch/daemon/event_source.h"
#include "fairwatch/daemon/report.h"

namespace fairwatch::daemon {

struct DaemonOptions {
  // The config file, re-read on reload; "" when the config is given in code.
  std::string config_path;
  // Creates the event source; defaults to KafkaSource::create on config.source.kafka.
  std::function<std::variant<std::unique_ptr<EventSource>, std::string>(const config::Config&,
                                                                        PartitionListener&)>
      make_source;
  // Creates the dead-letter sink; defaults to Kafka when source.kafka.dead_letter_topic is set.
  std::function<std::variant<std::unique_ptr<DeadLetterSink>, std::string>(const config::Config&)>
      make_dead_letter;
  // The config's text, for the audit log's config hash, when config_path is "".
  std::string config_text;
  // Called on the consumer thread after every metrics refresh (about once a second).
  std::function<void(const Report&)> on_report;
  // Called on the consumer thread just before on_report, with every alert
  // series' status and the transitions of this refresh (pending ones included).
  std::function<void(const std::vector<AlertStatus>&, const std::vector<AlertEvent>&)> on_alerts;
  // systemd notifications (READY, STATUS, WATCHDOG, STOPPING).
  bool notify_systemd = true;
  // How often gauges are refreshed from the engine.
  std::chrono::milliseconds publish_interval{1000};
};

class Daemon {
 public:
  // Prepares everything that can fail at start: the exporter's port, the
  // checkpoint (refused when incompatible, per checkpoint.on_config_change),
  // the source and the dead-letter sink. Returns the daemon or why it cannot start.
  static std::variant<std::unique_ptr<Daemon>, std::string> create(
      std::shared_ptr<const config::Config> config, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until request_stop() or a fatal source error. Returns the process
  // exit status: 0 after a clean stop, 1 after a fatal error.
  int run();
  void request_stop();
  void request_reload();
  // The exporter's bound port.
  int metrics_port() const;

 private:
  Daemon();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fairwatch::daemon
