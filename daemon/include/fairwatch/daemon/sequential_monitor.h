// SequentialMonitor: the anytime-valid side of adverse-impact detection, one
// series per (system, stage, attribute, group) of the plain attributes and
// intersections. Each series counts its group's and its reference group's
// decisions since the start of its monitoring period (differences of the
// engine's all-time counts) and keeps
//  - a detectors::AdverseImpactRule: the impact ratio's confidence sequence
//    and the impact-ratio CUSUM (p0 = the reference rate's CS lower bound);
//  - a selection-rate CUSUM (p0 = the group's own rate's CS lower bound at
//    α/2, p1 = change_shift · p0), whose period restarts after each alarm so
//    it re-learns the group's rate in the new regime.
// It is evaluated once per publish tick on the tick's report, in event time
// (the report's watermark). The CUSUMs are tuned for
// `change_false_alarm_years` × the group's applicants per year, estimated
// from its period (at least one hour of event time).
// The monitoring period of a series restarts when its reference group
// changes and when its adverse-impact alert resolves (restart_period()).
// Not thread-safe: the daemon's consumer thread owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/detectors/adverse_impact_rule.h"
#include "fairwatch/detectors/change_detector.h"
#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {
class StateReader;
class StateWriter;
}  // namespace fairwatch::detectors

namespace fairwatch::daemon {

// The change detectors of a series (the `detector` metric label).
enum class ChangeDetectorKind : std::uint8_t { impact_ratio, selection_rate };
const char* to_string(ChangeDetectorKind kind);

// One series after one evaluation.
struct SequentialStatus {
  std::string system;
  std::string stage;
  std::string attribute;
  std::string group;
  std::optional<std::string> reference_group;  // nullopt: no reference in the `all` window
  bool is_reference = false;
  detectors::Counts period_group;      // since the period start
  detectors::Counts period_reference;  // since the period start
  // The impact ratio's confidence sequence (level 1 − statistics.confidence);
  // nullopt for the reference itself, without a reference, or while either
  // group has fewer than min_group_size applicants in the period (suppressed).
  std::optional<detectors::Interval> ratio_bounds;
  bool confidence_sequence_holds = false;  // ratio_bounds->upper < ratio_below
  bool impact_alarm = false;               // the impact-ratio CUSUM alarmed on this tick
  // Whether each CUSUM alarmed within the last clearing window of event time.
  bool impact_change_detected = false;
  bool selection_change_detected = false;
  // Each CUSUM's statistic as a fraction of its alarm threshold (0 before a threshold).
  double impact_progress = 0;
  double selection_progress = 0;
};

class SequentialMonitor {
 public:
  // REQUIRES: config valid, outliving the monitor (or its reload()).
  explicit SequentialMonitor(const config::Config& config);

  // Switches to `config` (SIGHUP), keeping every series (retuned).
  void reload(const config::Config& config);

  // Advances every series with the report's `all` rows at its watermark and
  // returns their statuses (valid until the next call). Series come into
  // being on first sight; the batch of a new series is its period so far.
  // REQUIRES: report built without a window filter; watermark not INT64_MIN.
  const std::vector<SequentialStatus>& evaluate(const Report& report);
  const std::vector<SequentialStatus>& statuses() const { return statuses_; }

  // Starts a new monitoring period for the series at its current counts:
  // the confidence sequence and the impact-ratio CUSUM forget the past.
  void restart_period(std::string_view system, std::string_view stage, std::string_view attribute,
                      std::string_view group);

  // The window detections are cleared on: the shortest alerted window.
  const std::string& clearing_window() const { return clearing_window_; }
  std::int64_t clearing_window_ms() const { return clearing_window_ms_; }

  // Appends every series' state (checkpoint format version 3).
  void save_state(detectors::StateWriter& writer) const;
  // Replaces the state with what save_state() wrote. All or nothing: false,
  // with the reader failed and the monitor unchanged, on malformed input.
  bool restore_state(detectors::StateReader& reader);

 private:
  struct Series {
    std::string system, stage, attribute, group;
    std::string reference_group;               // "" before a reference was seen
    detectors::Counts last_group;              // all-time counts at the last evaluation
    detectors::Counts last_reference;          // the reference's, at the last evaluation
    detectors::Counts origin_group;            // all-time counts at the period start
    detectors::Counts origin_reference;        // the reference's, at the period start
    detectors::Counts selection_origin;        // the group's, at the selection period start
    std::int64_t period_start_ms = INT64_MIN;  // watermark at the period start
    std::int64_t selection_start_ms = INT64_MIN;
    std::int64_t last_impact_alarm_ms = INT64_MIN;
    std::int64_t last_selection_alarm_ms = INT64_MIN;
    detectors::AdverseImpactRule rule;
    detectors::BernoulliCusum selection;
  };
  Series make_series(std::string_view system, std::string_view stage, std::string_view attribute,
                     std::string_view group) const;
  void configure(const config::Config& config);
  double arl0_for(detectors::Counts period, std::int64_t since_ms, std::int64_t now_ms) const;
  static void restart(Series& series, std::int64_t now_ms);

  const config::Config* config_;
  detectors::AdverseImpactRuleConfig rule_config_;
  std::string clearing_window_;
  std::int64_t clearing_window_ms_ = 0;
  std::vector<Series> series_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<SequentialStatus> statuses_;
  std::int64_t watermark_ms_ = INT64_MIN;
  std::string key_;  // reused lookup buffer
};

}  // namespace fairwatch::daemon
