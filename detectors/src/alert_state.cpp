#include "fairwatch/detectors/alert_state.h"

namespace fairwatch::detectors {

const char* to_string(AlertPhase phase) {
  switch (phase) {
    case AlertPhase::inactive:
      return "inactive";
    case AlertPhase::pending:
      return "pending";
    case AlertPhase::firing:
      return "firing";
  }
  return "inactive";
}

const char* to_string(AlertSeverity severity) {
  return severity == AlertSeverity::critical ? "critical" : "warning";
}

const char* to_string(AlertChange change) {
  switch (change) {
    case AlertChange::pending:
      return "pending";
    case AlertChange::cancelled:
      return "cancelled";
    case AlertChange::fired:
      return "fired";
    case AlertChange::escalated:
      return "escalated";
    case AlertChange::deescalated:
      return "deescalated";
    case AlertChange::resolved:
      return "resolved";
  }
  return "pending";
}

AlertTransition AlertState::make(AlertChange change, AlertPhase to, AlertSeverity to_severity,
                                 std::int64_t now_ms) const {
  AlertTransition transition;
  transition.change = change;
  transition.from = phase_;
  transition.to = to;
  transition.from_severity = severity_;
  transition.to_severity = to_severity;
  transition.at_ms = now_ms;
  transition.episode_start_ms = phase_ == AlertPhase::inactive ? now_ms : since_ms_;
  return transition;
}

std::optional<AlertTransition> AlertState::observe(const AlertObservation& observation,
                                                   std::int64_t now_ms,
                                                   const AlertThresholds& thresholds) {
  const auto severity_for = [&](AlertSeverity current) {
    if (!observation.ratio) return current;
    if (*observation.ratio < thresholds.critical_below) return AlertSeverity::critical;
    if (current == AlertSeverity::critical &&
        *observation.ratio < thresholds.critical_below + thresholds.deescalate_margin) {
      return AlertSeverity::critical;
    }
    return AlertSeverity::warning;
  };
  switch (phase_) {
    case AlertPhase::inactive: {
      if (!observation.condition) return std::nullopt;
      const AlertTransition transition =
          make(AlertChange::pending, AlertPhase::pending, severity_, now_ms);
      phase_ = AlertPhase::pending;
      since_ms_ = now_ms;
      if (thresholds.for_ms > 0) return transition;
      // No `for`: fire at once (reported as the firing, the more important change).
      return observe(observation, now_ms, thresholds);
    }
    case AlertPhase::pending: {
      if (!observation.condition) {
        const AlertTransition transition =
            make(AlertChange::cancelled, AlertPhase::inactive, severity_, now_ms);
        phase_ = AlertPhase::inactive;
        return transition;
      }
      if (now_ms - since_ms_ < thresholds.for_ms) return std::nullopt;
      const AlertSeverity severity = severity_for(AlertSeverity::warning);
      AlertTransition transition = make(AlertChange::fired, AlertPhase::firing, severity, now_ms);
      transition.from_severity = severity;
      phase_ = AlertPhase::firing;
      severity_ = severity;
      firing_since_ms_ = now_ms;
      return transition;
    }
    case AlertPhase::firing: {
      const bool cleared = observation.ratio && *observation.ratio > thresholds.clear_above;
      if (cleared || !observation.has_evidence) {
        const AlertTransition transition =
            make(AlertChange::resolved, AlertPhase::inactive, severity_, now_ms);
        phase_ = AlertPhase::inactive;
        return transition;
      }
      const AlertSeverity severity = severity_for(severity_);
      if (severity == severity_) return std::nullopt;
      const AlertTransition transition = make(
          severity == AlertSeverity::critical ? AlertChange::escalated : AlertChange::deescalated,
          AlertPhase::firing, severity, now_ms);
      severity_ = severity;
      return transition;
    }
  }
  return std::nullopt;
}

std::optional<AlertTransition> AlertState::reset(std::int64_t now_ms) {
  std::optional<AlertTransition> transition;
  if (phase_ == AlertPhase::firing) {
    transition = make(AlertChange::resolved, AlertPhase::inactive, severity_, now_ms);
  } else if (phase_ == AlertPhase::pending) {
    transition = make(AlertChange::cancelled, AlertPhase::inactive, severity_, now_ms);
  }
  phase_ = AlertPhase::inactive;
  return transition;
}

}  // namespace fairwatch::detectors
