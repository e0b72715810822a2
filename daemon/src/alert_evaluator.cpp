#include "fairwatch/daemon/alert_evaluator.h"

#include <algorithm>

namespace fairwatch::daemon {
namespace {

using detectors::AlertChange;
using detectors::AlertObservation;
using detectors::AlertPhase;
using detectors::AlertSeverity;

constexpr char kKeySeparator = '\x1f';

std::size_t operational_index(AlertKind kind) {
  return static_cast<std::size_t>(kind) - 1;
}

// The lookup key of an adverse-impact series, in `key` (reused buffer).
void series_key(std::string& key, std::string_view system, std::string_view stage,
                std::string_view attribute, std::string_view group, std::string_view window) {
  key.clear();
  for (const std::string_view part : {system, stage, attribute, group, window}) {
    key.append(part);
    key.push_back(kKeySeparator);
  }
}

// The rows of one (window, system, stage, attribute), contiguous in a report.
bool same_family(const GroupRow& a, const GroupRow& b) {
  return a.window == b.window && a.system == b.system && a.stage == b.stage &&
         a.attribute == b.attribute;
}

AlertEvidence evidence_of(const GroupRow& row, const GroupRow* reference) {
  AlertEvidence evidence;
  const detectors::GroupStatistics& s = row.statistics;
  evidence.ratio = s.impact_ratio;
  evidence.interval = s.impact_ratio_interval;
  evidence.group = s.counts;
  evidence.reference_group = row.reference_group;
  if (reference != nullptr) evidence.reference = reference->statistics.counts;
  if (s.z_test) evidence.p_value_z = s.z_test->p_value;
  evidence.p_value_fisher = s.p_value_fisher;
  evidence.p_value_z_adjusted = s.p_value_adjusted;
  return evidence;
}

}  // namespace

const char* to_string(AlertKind kind) {
  switch (kind) {
    case AlertKind::adverse_impact:
      return "adverse_impact";
    case AlertKind::events_stale:
      return "events_stale";
    case AlertKind::kafka_disconnected:
      return "kafka_disconnected";
    case AlertKind::checkpoint_failing:
      return "checkpoint_failing";
    case AlertKind::consumer_lag_growing:
      return "consumer_lag_growing";
  }
  return "adverse_impact";
}

AlertSeverity operational_severity(AlertKind kind) {
  return kind == AlertKind::kafka_disconnected || kind == AlertKind::checkpoint_failing
             ? AlertSeverity::critical
             : AlertSeverity::warning;
}

bool AlertEvent::reported() const {
  return transition.change != AlertChange::pending && transition.change != AlertChange::cancelled;
}

const char* AlertEvent::to_label() const {
  return transition.to == AlertPhase::firing ? "firing" : "resolved";
}

AlertEvaluator::AlertEvaluator(const config::Config& config) : config_(&config) {
  configure(config);
  for (std::size_t i = 0; i < operational_.size(); ++i) {
    operational_[i].labels.kind = kAllAlertKinds[i + 1];
  }
}

void AlertEvaluator::configure(const config::Config& config) {
  config_ = &config;
  const config::AdverseImpactAlertConfig& alert = config.alerts.adverse_impact;
  thresholds_.clear_above = alert.clear_above;
  thresholds_.critical_below = alert.critical_below;
  thresholds_.deescalate_margin = alert.clear_above - alert.ratio_below;
  thresholds_.for_ms = alert.for_seconds * 1000;
  settings_.ratio_below = alert.ratio_below;
  settings_.significance_level = 1.0 - config.statistics.confidence;
  settings_.min_group_size = config.statistics.min_group_size;
  windows_.clear();
  if (alert.windows.empty()) {
    for (const config::WindowConfig& window : config.windows) windows_.push_back(window.name);
  } else {
    windows_ = alert.windows;
  }
}

bool AlertEvaluator::alerted_window(std::string_view window) const {
  return std::find(windows_.begin(), windows_.end(), window) != windows_.end();
}

std::vector<AlertEvent> AlertEvaluator::reload(const config::Config& config, std::int64_t wall_ms) {
  configure(config);
  std::vector<AlertEvent> events;
  std::vector<Series> kept;
  for (Series& series : adverse_) {
    if (alerted_window(series.labels.window)) {
      kept.push_back(std::move(series));
      continue;
    }
    const std::int64_t now = watermark_ms_ == INT64_MIN ? 0 : watermark_ms_;
    if (const auto transition = series.state.reset(now)) {
      record(series, *transition, events, wall_ms);
      events.back().detail = "window no longer alerted after a config reload";
    }
  }
  adverse_.clear();
  adverse_index_.clear();
  for (Series& series : kept) {
    const AlertLabels& l = series.labels;
    series_key(key_, l.system, l.stage, l.attribute, l.group, l.window);
    adverse_index_.emplace(key_, adverse_.size());
    adverse_.push_back(std::move(series));
  }
  return events;
}

AlertEvaluator::Series& AlertEvaluator::adverse_series(const GroupRow& row) {
  series_key(key_, row.system, row.stage, row.attribute, row.group, row.window);
  const auto [it, inserted] = adverse_index_.try_emplace(key_, adverse_.size());
  if (inserted) {
    Series series;
    series.labels = {
        AlertKind::adverse_impact, row.system, row.stage, row.attribute, row.group, row.window};
    adverse_.push_back(std::move(series));
  }
  return adverse_[it->second];
}

void AlertEvaluator::record(Series& series, const detectors::AlertTransition& transition,
                            std::vector<AlertEvent>& events, std::int64_t wall_ms) const {
  AlertEvent event;
  event.labels = series.labels;
  event.transition = transition;
  event.severity = series.labels.kind == AlertKind::adverse_impact
                       ? transition.to_severity
                       : operational_severity(series.labels.kind);
  event.event_time_ms = watermark_ms_;
  event.wall_time_ms = wall_ms;
  events.push_back(std::move(event));
}

std::vector<AlertEvent> AlertEvaluator::evaluate_adverse_impact(const Report& report,
                                                                std::int64_t wall_ms) {
  std::vector<AlertEvent> events;
  if (report.watermark_ms == INT64_MIN) return events;
  watermark_ms_ = report.watermark_ms;
  const auto& rows = report.groups;
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t end = begin + 1;
    while (end < rows.size() && same_family(rows[begin], rows[end])) ++end;
    const GroupRow& first = rows[begin];
    if (first.stratum || !alerted_window(first.window)) {
      begin = end;
      continue;
    }
    const GroupRow* reference = nullptr;
    for (std::size_t i = begin; i < end && first.reference_group; ++i) {
      if (!rows[i].unknown && rows[i].group == *first.reference_group) reference = &rows[i];
    }
    for (std::size_t i = begin; i < end; ++i) {
      const GroupRow& row = rows[i];
      if (row.unknown) continue;  // reported, never compared, never alerted
      detectors::AdverseImpactCandidate candidate;
      candidate.group = &row.statistics;
      candidate.has_reference = reference != nullptr;
      if (reference != nullptr) candidate.reference = reference->statistics.counts;
      candidate.is_reference = reference == &row;
      const AlertObservation observation =
          detectors::adverse_impact_observation(candidate, settings_);
      // Series come into being when their condition first holds.
      if (!observation.condition) {
        series_key(key_, row.system, row.stage, row.attribute, row.group, row.window);
        if (adverse_index_.find(key_) == adverse_index_.end()) continue;
      }
      Series& series = adverse_series(row);
      const auto transition = series.state.observe(observation, watermark_ms_, thresholds_);
      if (!transition) continue;
      record(series, *transition, events, wall_ms);
      events.back().evidence = evidence_of(row, reference);
    }
    begin = end;
  }
  return events;
}

void AlertEvaluator::observe_operational(AlertKind kind, bool condition, std::int64_t for_ms,
                                         std::string detail, std::int64_t wall_ms,
                                         std::vector<AlertEvent>& events) {
  Series& series = operational_[operational_index(kind)];
  detectors::AlertThresholds thresholds;
  thresholds.for_ms = for_ms;
  // No ratio: a firing operational alert clears when its condition is gone.
  const AlertObservation observation{condition, std::nullopt, condition};
  const auto transition = series.state.observe(observation, wall_ms, thresholds);
  if (!transition) return;
  record(series, *transition, events, wall_ms);
  events.back().detail = std::move(detail);
}

std::vector<AlertEvent> AlertEvaluator::evaluate_operations(const OperationalInputs& inputs,
                                                            std::int64_t wall_ms) {
  std::vector<AlertEvent> events;
  const config::AlertsConfig& alerts = config_->alerts;

  // events_stale: partitions assigned, and nothing read since the later of
  // the newest event and the assignment.
  if (inputs.assigned_partitions == 0) {
    assigned_since_ms_.reset();
  } else if (!assigned_since_ms_) {
    assigned_since_ms_ = wall_ms;
  }
  bool stale = false;
  std::int64_t quiet_ms = 0;
  if (assigned_since_ms_) {
    const std::int64_t since =
        std::max(*assigned_since_ms_, inputs.last_event_received_ms.value_or(INT64_MIN));
    quiet_ms = wall_ms - since;
    stale = quiet_ms >= alerts.stale_after_seconds * 1000;
  }
  observe_operational(AlertKind::events_stale, stale, 0,
                      "no event for " + std::to_string(quiet_ms / 1000) + " s", wall_ms, events);

  observe_operational(AlertKind::kafka_disconnected, !inputs.kafka_connected,
                      alerts.kafka_disconnected_for_seconds * 1000,
                      inputs.kafka_connected ? "connected" : "disconnected", wall_ms, events);

  // checkpoint_failing: N failures in a row, or no success for checkpoint.max_age.
  const std::int64_t last_success = inputs.checkpoint_last_success_ms.value_or(inputs.started_ms);
  const std::int64_t age_ms = wall_ms - last_success;
  const bool failing = inputs.consecutive_checkpoint_failures >= alerts.checkpoint_failures ||
                       age_ms > config_->checkpoint.max_age_seconds * 1000;
  observe_operational(AlertKind::checkpoint_failing, failing, 0,
                      std::to_string(inputs.consecutive_checkpoint_failures) +
                          " failures in a row, last success " + std::to_string(age_ms / 1000) +
                          " s ago",
                      wall_ms, events);

  // consumer_lag_growing: the lag has not gone down for lag_growing_for, has
  // risen over that time, and is above the floor.
  const std::optional<std::int64_t> lag = inputs.consumer_lag_messages;
  if (!lag) {
    lag_growing_since_ms_.reset();
  } else if (!lag_growing_since_ms_ || (last_lag_ && *lag < *last_lag_)) {
    lag_growing_since_ms_ = wall_ms;
    lag_at_growth_start_ = *lag;
  }
  last_lag_ = lag;
  const bool growing = lag && lag_growing_since_ms_ && *lag > lag_at_growth_start_ &&
                       static_cast<std::uint64_t>(std::max<std::int64_t>(*lag, 0)) >
                           alerts.lag_growing_min_messages &&
                       wall_ms - *lag_growing_since_ms_ >= alerts.lag_growing_for_seconds * 1000;
  observe_operational(AlertKind::consumer_lag_growing, growing, 0,
                      lag ? "lag " + std::to_string(*lag) + " messages, from " +
                                std::to_string(lag_at_growth_start_)
                          : std::string("lag unknown"),
                      wall_ms, events);
  return events;
}

std::vector<AlertStatus> AlertEvaluator::statuses() const {
  std::vector<AlertStatus> result;
  result.reserve(adverse_.size() + operational_.size());
  for (const Series& series : adverse_) {
    result.push_back({&series.labels, series.state.phase(), series.state.severity()});
  }
  for (const Series& series : operational_) {
    result.push_back(
        {&series.labels, series.state.phase(), operational_severity(series.labels.kind)});
  }
  return result;
}

std::vector<SavedAlertSeries> AlertEvaluator::save() const {
  std::vector<SavedAlertSeries> saved;
  for (const Series& series : adverse_) {
    if (series.state.phase() != AlertPhase::inactive) {
      saved.push_back({series.labels, series.state});
    }
  }
  return saved;
}

void AlertEvaluator::restore(const std::vector<SavedAlertSeries>& saved) {
  adverse_.clear();
  adverse_index_.clear();
  for (const SavedAlertSeries& entry : saved) {
    if (entry.labels.kind != AlertKind::adverse_impact || !alerted_window(entry.labels.window)) {
      continue;
    }
    GroupRow row;
    row.system = entry.labels.system;
    row.stage = entry.labels.stage;
    row.attribute = entry.labels.attribute;
    row.group = entry.labels.group;
    row.window = entry.labels.window;
    adverse_series(row).state = entry.state;
  }
}

}  // namespace fairwatch::daemon
