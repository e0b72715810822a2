// AlertState: the hysteresis state machine of one alert series (e.g. the
// adverse-impact alert of one system, stage, attribute, group and window).
// Pure: the condition, the ratio and the time come in as arguments, so the
// same machine serves any detection method (fixed-window tests today,
// confidence sequences later) and any clock (event time for bias alerts,
// wall time for operational ones). A value type; thread-compatible.
//
//   inactive --condition--> pending --held for `for_ms`--> firing
//   pending --condition gone--> inactive (cancelled; never reported as firing)
//   firing --ratio > clear_above, or no evidence left--> inactive (resolved)
//   firing: warning <-> critical as the ratio crosses critical_below
//
// Clearing needs the ratio back above clear_above (hysteresis: a ratio moving
// between ratio_below and clear_above neither fires nor clears). Losing
// significance or minimum sample alone does not clear a firing alert; the
// evidence running out entirely (no applicants left in the window, so no
// ratio can be computed) does.
#pragma once

#include <cstdint>
#include <optional>

namespace fairwatch::detectors {

enum class AlertPhase : std::uint8_t { inactive = 0, pending = 1, firing = 2 };
enum class AlertSeverity : std::uint8_t { warning = 0, critical = 1 };

const char* to_string(AlertPhase phase);
const char* to_string(AlertSeverity severity);

struct AlertThresholds {
  double clear_above = 0.85;    // a firing alert resolves once the ratio exceeds this
  double critical_below = 0.5;  // firing is critical while the ratio is below this
  // A critical alert de-escalates to warning once the ratio reaches
  // critical_below + deescalate_margin (the same band width as the clearing
  // hysteresis by default), so a ratio around critical_below does not flap.
  double deescalate_margin = 0.05;
  std::int64_t for_ms = std::int64_t{15} * 60 * 1000;  // how long the condition must hold; >= 0
};

// What one evaluation observed about the series.
struct AlertObservation {
  bool condition = false;       // the firing condition (see adverse_impact_condition.h)
  std::optional<double> ratio;  // the impact ratio, when defined
  bool has_evidence = true;     // false when the window holds no applicants to compare
};

// Why the machine moved.
enum class AlertChange : std::uint8_t {
  pending,      // inactive -> pending
  cancelled,    // pending -> inactive: the condition went away before `for`
  fired,        // pending -> firing
  escalated,    // firing warning -> firing critical
  deescalated,  // firing critical -> firing warning
  resolved,     // firing -> inactive
};
const char* to_string(AlertChange change);

struct AlertTransition {
  AlertChange change = AlertChange::pending;
  AlertPhase from = AlertPhase::inactive;
  AlertPhase to = AlertPhase::inactive;
  AlertSeverity from_severity = AlertSeverity::warning;
  AlertSeverity to_severity = AlertSeverity::warning;
  std::int64_t at_ms = 0;  // the evaluation time
  // The start of the episode (when it went pending): the same for every
  // transition of one episode, so it identifies the episode across restarts.
  std::int64_t episode_start_ms = 0;
};

class AlertState {
 public:
  AlertState() = default;
  // A state as saved (checkpoints). REQUIRES: since_ms set unless inactive.
  AlertState(AlertPhase phase, AlertSeverity severity, std::int64_t since_ms,
             std::int64_t firing_since_ms)
      : phase_(phase),
        severity_(severity),
        since_ms_(since_ms),
        firing_since_ms_(firing_since_ms) {}

  // Advances the machine to time now_ms with what was observed. Returns the
  // transition made, if any (at most one per call). A time going backwards is
  // treated as no time passing.
  std::optional<AlertTransition> observe(const AlertObservation& observation, std::int64_t now_ms,
                                         const AlertThresholds& thresholds);

  // Forces a firing or pending series back to inactive (e.g. the series is
  // no longer evaluated after a reload). Returns the transition for a firing one.
  std::optional<AlertTransition> reset(std::int64_t now_ms);

  AlertPhase phase() const { return phase_; }
  AlertSeverity severity() const { return severity_; }  // meaningful while firing
  bool firing() const { return phase_ == AlertPhase::firing; }
  // When the current episode went pending; meaningful unless inactive.
  std::int64_t since_ms() const { return since_ms_; }
  // When it went firing; meaningful while firing.
  std::int64_t firing_since_ms() const { return firing_since_ms_; }

  friend bool operator==(const AlertState&, const AlertState&) = default;

 private:
  AlertTransition make(AlertChange change, AlertPhase to, AlertSeverity to_severity,
                       std::int64_t now_ms) const;

  AlertPhase phase_ = AlertPhase::inactive;
  AlertSeverity severity_ = AlertSeverity::warning;
  std::int64_t since_ms_ = 0;
  std::int64_t firing_since_ms_ = 0;
};

}  // namespace fairwatch::detectors
