// AlertEvaluator: evaluates fairwatch's alerts once per publish tick.
// Adverse-impact alerts, one series per (system, stage, attribute, group,
// window) of the alerted windows, on the same per-window analysis the
// exporter publishes, with the engine's event-time watermark as the clock;
// operational alerts (events_stale, kafka_disconnected, checkpoint_failing,
// consumer_lag_growing) on the daemon's wall clock. Each series is a
// detectors::AlertState. The adverse-impact states are saved in checkpoints
// (save()/restore()); operational ones start afresh with the process.
// Not thread-safe: the daemon's consumer thread owns it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/drift_report.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/sequential_monitor.h"
#include "fairwatch/detectors/adverse_impact_condition.h"
#include "fairwatch/detectors/alert_state.h"

namespace fairwatch::daemon {

enum class AlertKind : std::uint8_t {
  adverse_impact,
  events_stale,
  kafka_disconnected,
  checkpoint_failing,
  consumer_lag_growing,
  drift,
};
inline constexpr std::array<AlertKind, 6> kAllAlertKinds = {
    AlertKind::adverse_impact,     AlertKind::events_stale,         AlertKind::kafka_disconnected,
    AlertKind::checkpoint_failing, AlertKind::consumer_lag_growing, AlertKind::drift};
// The operational alerts: one series each, on the wall clock.
inline constexpr std::array<AlertKind, 4> kOperationalAlertKinds = {
    AlertKind::events_stale, AlertKind::kafka_disconnected, AlertKind::checkpoint_failing,
    AlertKind::consumer_lag_growing};
inline constexpr bool is_operational(AlertKind kind) {
  return kind != AlertKind::adverse_impact && kind != AlertKind::drift;
}
// The index of an operational kind in kOperationalAlertKinds. REQUIRES: is_operational(kind).
inline constexpr std::size_t operational_index(AlertKind kind) {
  return static_cast<std::size_t>(kind) - 1;
}
// The `alert` label value, e.g. "adverse_impact".
const char* to_string(AlertKind kind);
// The fixed severity of an operational or drift alert (critical for
// kafka_disconnected and checkpoint_failing, warning otherwise).
// REQUIRES: kind != adverse_impact.
detectors::AlertSeverity operational_severity(AlertKind kind);

// The labels of one alert series; empty strings for operational alerts.
struct AlertLabels {
  AlertKind kind = AlertKind::adverse_impact;
  std::string system;
  std::string stage;
  std::string attribute;
  std::string group;
  std::string window;
  friend bool operator==(const AlertLabels&, const AlertLabels&) = default;
};

// The evidence behind an adverse-impact transition, from the analysis of the
// tick that made it. Aggregates only: never an event or candidate.
struct AlertEvidence {
  std::optional<double> ratio;
  std::optional<detectors::Interval> interval;  // Katz, at statistics.confidence
  detectors::Counts group;
  std::optional<std::string> reference_group;
  detectors::Counts reference;
  std::optional<double> p_value_z;
  std::optional<double> p_value_fisher;
  std::optional<double> p_value_z_adjusted;
  // confidence_sequence method: the impact ratio's confidence sequence and
  // counts since the start of the monitoring period, and what triggered it.
  std::optional<detectors::Interval> confidence_sequence;
  detectors::Counts period_group;
  detectors::Counts period_reference;
  bool confidence_sequence_holds = false;
  bool change_detected = false;
};

// One transition of one series, with what is known at the time.
struct AlertEvent {
  AlertLabels labels;
  detectors::AlertTransition transition;
  detectors::AlertSeverity severity = detectors::AlertSeverity::warning;  // after the transition
  std::int64_t event_time_ms = INT64_MIN;  // the engine's watermark at the tick
  std::int64_t wall_time_ms = 0;           // the wall clock at the tick
  AlertEvidence evidence;                  // adverse_impact only
  // Operational and drift: what was measured, e.g. "lag 1200" or "psi 0.31, …".
  std::string detail;
  // Whether the transition goes to Prometheus counters and the audit log:
  // fired, escalated, deescalated and resolved do; pending and cancelled do not.
  bool reported() const;
  // "firing" or "resolved" (the `to` label); meaningful when reported().
  const char* to_label() const;
};

// The state of one series, for the exporter and the demo.
struct AlertStatus {
  const AlertLabels* labels = nullptr;  // valid until the next evaluate/reload/restore
  detectors::AlertPhase phase = detectors::AlertPhase::inactive;
  detectors::AlertSeverity severity = detectors::AlertSeverity::warning;
};

// What the daemon knows about its own health at a tick.
struct OperationalInputs {
  bool kafka_connected = false;
  std::size_t assigned_partitions = 0;
  std::optional<std::int64_t> last_event_received_ms;  // wall clock of the newest event read
  std::optional<std::int64_t> consumer_lag_messages;
  std::optional<std::int64_t> checkpoint_last_success_ms;  // wall clock
  std::int64_t started_ms = 0;                             // wall clock of the daemon's start
  std::uint64_t consecutive_checkpoint_failures = 0;
};

// An adverse-impact series as saved in a checkpoint.
struct SavedAlertSeries {
  AlertLabels labels;
  detectors::AlertState state;
  // confidence_sequence: the watermark of the newest evidence (INT64_MIN: none).
  std::int64_t last_evidence_ms = INT64_MIN;
  friend bool operator==(const SavedAlertSeries&, const SavedAlertSeries&) = default;
};

class AlertEvaluator {
 public:
  // REQUIRES: config is valid and outlives the evaluator (or its reload()).
  explicit AlertEvaluator(const config::Config& config);

  // Switches to `config` (SIGHUP), keeping the states of series that are
  // still evaluated; series of windows no longer alerted are reset (a firing
  // one resolves: returned, stamped at `wall_ms` and the last watermark).
  std::vector<AlertEvent> reload(const config::Config& config, std::int64_t wall_ms);

  // Evaluates every adverse-impact series of `report` at its watermark, by
  // the configured method; the sequential monitor is advanced either way.
  // REQUIRES: report built without a window filter (strata rows are ignored).
  std::vector<AlertEvent> evaluate_adverse_impact(const Report& report, std::int64_t wall_ms);
  // Evaluates the drift alerts on `rows` (every window) at event time
  // `watermark_ms` (the engine's watermark when the rows were built).
  std::vector<AlertEvent> evaluate_drift(const std::vector<DriftRow>& rows,
                                         std::int64_t watermark_ms, std::int64_t wall_ms);
  // Evaluates the operational alerts at wall time `wall_ms`.
  std::vector<AlertEvent> evaluate_operations(const OperationalInputs& inputs,
                                              std::int64_t wall_ms);

  // Every series with a state (operational ones always; adverse-impact and
  // drift ones once they have been pending), in a stable order.
  std::vector<AlertStatus> statuses() const;

  // The adverse-impact series that are not inactive.
  std::vector<SavedAlertSeries> save() const;
  // Replaces the adverse-impact states with saved ones (after a checkpoint load).
  void restore(const std::vector<SavedAlertSeries>& saved);

  // The thresholds in force for adverse impact (for the audit log).
  const detectors::AlertThresholds& adverse_impact_thresholds() const { return thresholds_; }
  const detectors::AdverseImpactSettings& adverse_impact_settings() const { return settings_; }

  // The confidence sequences and change detectors (checkpointed with the alerts).
  const SequentialMonitor& sequential() const { return sequential_; }
  SequentialMonitor& sequential() { return sequential_; }

 private:
  struct Series {
    AlertLabels labels;
    detectors::AlertState state;
    std::int64_t last_evidence_ms = INT64_MIN;  // confidence_sequence only
  };
  void configure(const config::Config& config);
  bool alerted_window(std::string_view window) const;
  bool drift_alerted_window(std::string_view window) const;
  // The series of (system, stage, attribute, group, window) in `list`, found
  // through `index`; created (with `kind`) when missing if `create`, else
  // nullptr. Pointers stay valid until the next series is created.
  Series* series_in(std::vector<Series>& list, std::unordered_map<std::string, std::size_t>& index,
                    AlertKind kind, std::string_view system, std::string_view stage,
                    std::string_view attribute, std::string_view group, std::string_view window,
                    bool create);
  // Keeps the series `keep` accepts (re-indexed); resets the others,
  // recording the transitions of firing ones with `why` as their detail.
  void retain_series(std::vector<Series>& series_list,
                     std::unordered_map<std::string, std::size_t>& index,
                     const std::function<bool(const Series&)>& keep, const char* why,
                     std::int64_t wall_ms, std::vector<AlertEvent>& events);
  void evaluate_fixed_window(const Report& report, std::int64_t wall_ms,
                             std::vector<AlertEvent>& events);
  void evaluate_sequential(const Report& report, std::int64_t wall_ms,
                           std::vector<AlertEvent>& events);
  void record(Series& series, const detectors::AlertTransition& transition,
              std::vector<AlertEvent>& events, std::int64_t wall_ms) const;
  void observe_operational(AlertKind kind, bool condition, std::int64_t for_ms, std::string detail,
                           std::int64_t wall_ms, std::vector<AlertEvent>& events);

  const config::Config* config_;
  detectors::AlertThresholds thresholds_;
  detectors::AdverseImpactSettings settings_;
  std::vector<std::string> windows_;        // alerted window names
  std::vector<std::string> drift_windows_;  // windows with drift alerts
  SequentialMonitor sequential_;
  std::int64_t watermark_ms_ = INT64_MIN;  // the engine's, at the latest evaluation
  // Adverse-impact series, in order of creation, found by key.
  std::vector<Series> adverse_;
  std::unordered_map<std::string, std::size_t> adverse_index_;
  std::string key_;  // reused lookup buffer
  // Drift series, in order of creation, found by key.
  std::vector<Series> drift_;
  std::unordered_map<std::string, std::size_t> drift_index_;
  // Operational series, in kOperationalAlertKinds order.
  std::array<Series, kOperationalAlertKinds.size()> operational_;
  std::optional<std::int64_t> assigned_since_ms_;
  std::optional<std::int64_t> last_lag_;
  std::optional<std::int64_t> lag_growing_since_ms_;
  std::int64_t lag_at_growth_start_ = 0;
};

}  // namespace fairwatch::daemon
