// Exporter: serves /metrics (prometheus-cpp), /healthz and /readyz over HTTP
// and turns engine reports into Prometheus metrics (listed in docs/metrics.md).
// Metric children are created when a series first appears and cached; series
// whose value becomes undefined (e.g. a group falling below min_group_size)
// are removed, and added again when defined.
//
// Thread-safety: publish_*() must be called from one thread at a time;
// set_ready() and port() from any thread. The HTTP server runs on its own
// threads and reads only thread-safe state.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/alert_evaluator.h"
#include "fairwatch/daemon/drift_report.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/sequential_monitor.h"

namespace fairwatch::daemon {

// Operational figures published alongside the statistics.
struct OperationalSnapshot {
  bool kafka_connected = false;
  std::optional<std::int64_t> consumer_lag_messages;  // summed over assigned partitions
  std::string topic;
  std::size_t assigned_partitions = 0;
  std::optional<double> last_event_timestamp_seconds;               // newest event time (epoch)
  std::optional<double> checkpoint_last_success_timestamp_seconds;  // wall clock (epoch)
  std::uint64_t checkpoint_failures_total = 0;
  std::uint64_t config_reloads_total = 0;          // reloads applied (result="success")
  std::uint64_t config_reload_failures_total = 0;  // reloads refused, old config kept
  std::uint64_t kafka_errors_total = 0;
  std::uint64_t rebalances_total = 0;
  std::uint64_t dead_letter_failures_total = 0;
  std::uint64_t alert_audit_failures_total = 0;  // audit records that could not be written
};

class Exporter {
 public:
  // Starts the HTTP server on config.exporter.listen. Returns the exporter or
  // a message saying why it could not start (e.g. the port is in use).
  static std::variant<std::unique_ptr<Exporter>, std::string> start(const config::Config& config);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // The port actually bound (useful with port 0).
  int port() const;

  // Sets every statistics gauge and counter from `report` (all windows) and
  // the event counters from `report.counters`; score histograms from `engine`.
  // Counters and histograms grow by what was added since the previous call.
  // REQUIRES: report was built from `engine` without a window filter or strata rows.
  void publish_statistics(const Report& report, const Engine& engine);
  void publish_operations(const OperationalSnapshot& snapshot);
  // fairwatch_alert_active from every series' status (an adverse-impact
  // series gets its warning and critical children once it has fired;
  // operational ones exist from the start, at 0), and
  // fairwatch_alert_transitions_total from the reported `events`.
  void publish_alerts(const std::vector<AlertStatus>& statuses,
                      const std::vector<AlertEvent>& events);
  // fairwatch_impact_ratio_cs_lower/_upper (absent while suppressed),
  // fairwatch_change_detected and fairwatch_change_statistic per series.
  void publish_sequential(const std::vector<SequentialStatus>& statuses);
  // fairwatch_drift_psi, _js_divergence, _ks_statistic, _ks_p_value per row;
  // a value is absent while undefined or while either side has fewer than
  // min_group_size scores (applicants for the mix).
  void publish_drift(const std::vector<DriftRow>& rows, std::uint64_t min_group_size);

  // Readiness as served by /readyz: 200 "ready" or 503 with the reason.
  // Until the first call: 503 "starting". /healthz always answers 200 "ok".
  void set_ready(bool ready, const std::string& reason);

 private:
  Exporter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fairwatch::daemon
