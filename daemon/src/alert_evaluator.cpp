#include "fairwatch/daemon/alert_evaluator.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <unordered_map>

namespace fairwatch::daemon {
namespace {

using detectors::AlertChange;
using detectors::AlertObservation;
using detectors::AlertPhase;
using detectors::AlertSeverity;

constexpr char kKeySeparator = '\x1f';

// The lookup key of an adverse-impact series, in `key` (reused buffer).
void series_key(std::string& key, std::string_view system, std::string_view stage,
                std::string_view attribute, std::string_view group, std::string_view window) {
  key.clear();
  for (const std::string_view part : {system, stage, attribute, group, window}) {
    key.append(part);
    key.push_back(kKeySeparator);
  }
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

// "psi 0.312, js 0.041, ks D 0.118 p 3.2e-08, baseline 5000, current 812"
// (undefined statistics as n/a; no KS for the applicant mix).
std::string describe_drift(const DriftRow& row) {
  const auto number = [](std::optional<double> value, const char* format) {
    if (!value) return std::string("n/a");
    char text[32];
    std::snprintf(text, sizeof text, format, *value);
    return std::string(text);
  };
  std::string detail =
      "psi " + number(row.psi, "%.3f") + ", js " + number(row.js_divergence, "%.3f");
  if (row.subject == DriftSubject::score) {
    detail += ", ks D " + number(row.ks_statistic, "%.3f") + " p " + number(row.ks_p_value, "%.2g");
  }
  detail +=
      ", baseline " + std::to_string(row.baseline_n) + ", current " + std::to_string(row.current_n);
  return detail;
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
    case AlertKind::drift:
      return "drift";
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

AlertEvaluator::AlertEvaluator(const config::Config& config)
    : config_(&config), sequential_(config) {
  configure(config);
  for (std::size_t i = 0; i < operational_.size(); ++i) {
    operational_[i].labels.kind = kOperationalAlertKinds[i];
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
  drift_windows_.clear();
  if (config.alerts.drift.windows.empty()) {
    for (const config::WindowConfig& window : config.windows) {
      drift_windows_.push_back(window.name);
    }
  } else {
    drift_windows_ = config.alerts.drift.windows;
  }
}

bool AlertEvaluator::alerted_window(std::string_view window) const {
  return std::find(windows_.begin(), windows_.end(), window) != windows_.end();
}

bool AlertEvaluator::drift_alerted_window(std::string_view window) const {
  return std::find(drift_windows_.begin(), drift_windows_.end(), window) != drift_windows_.end();
}

std::vector<AlertEvent> AlertEvaluator::reload(const config::Config& config, std::int64_t wall_ms) {
  const config::AdverseImpactMethod method = config_->alerts.adverse_impact.method;
  const std::string clearing_window = sequential_.clearing_window();
  configure(config);
  sequential_.reload(config);
  // Series of another method, or (confidence_sequence) of another clearing
  // window, are no longer evaluated.
  const bool sequential =
      config.alerts.adverse_impact.method == config::AdverseImpactMethod::confidence_sequence;
  const bool method_kept = method == config.alerts.adverse_impact.method &&
                           (!sequential || clearing_window == sequential_.clearing_window());
  std::vector<AlertEvent> events;
  retain_series(
      adverse_, adverse_index_,
      [&](const Series& series) { return method_kept && alerted_window(series.labels.window); },
      method_kept ? "window no longer alerted after a config reload"
                  : "detection method changed by a config reload",
      wall_ms, events);
  retain_series(
      drift_, drift_index_,
      [&](const Series& series) { return drift_alerted_window(series.labels.window); },
      "window no longer alerted after a config reload", wall_ms, events);
  return events;
}

void AlertEvaluator::retain_series(std::vector<Series>& series_list,
                                   std::unordered_map<std::string, std::size_t>& index,
                                   const std::function<bool(const Series&)>& keep, const char* why,
                                   std::int64_t wall_ms, std::vector<AlertEvent>& events) {
  std::vector<Series> kept;
  for (Series& series : series_list) {
    if (keep(series)) {
      kept.push_back(std::move(series));
      continue;
    }
    if (const auto transition =
            series.state.reset(watermark_ms_ == INT64_MIN ? 0 : watermark_ms_)) {
      record(series, *transition, events, wall_ms);
      events.back().detail = why;
    }
  }
  series_list.clear();
  index.clear();
  for (Series& series : kept) {
    const AlertLabels& l = series.labels;
    series_key(key_, l.system, l.stage, l.attribute, l.group, l.window);
    index.emplace(key_, series_list.size());
    series_list.push_back(std::move(series));
  }
}

AlertEvaluator::Series* AlertEvaluator::series_in(
    std::vector<Series>& list, std::unordered_map<std::string, std::size_t>& index, AlertKind kind,
    std::string_view system, std::string_view stage, std::string_view attribute,
    std::string_view group, std::string_view window, bool create) {
  series_key(key_, system, stage, attribute, group, window);
  if (!create) {
    const auto it = index.find(key_);
    return it == index.end() ? nullptr : &list[it->second];
  }
  const auto [it, inserted] = index.try_emplace(key_, list.size());
  if (inserted) {
    Series series;
    series.labels = {kind,
                     std::string(system),
                     std::string(stage),
                     std::string(attribute),
                     std::string(group),
                     std::string(window)};
    list.push_back(std::move(series));
  }
  return &list[it->second];
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
  if (config_->alerts.adverse_impact.method == config::AdverseImpactMethod::fixed_window) {
    sequential_.evaluate(report);
    evaluate_fixed_window(report, wall_ms, events);
  } else {
    evaluate_sequential(report, wall_ms, events);
  }
  return events;
}

void AlertEvaluator::evaluate_fixed_window(const Report& report, std::int64_t wall_ms,
                                           std::vector<AlertEvent>& events) {
  for (const GroupFamily& family : group_families(report)) {
    const GroupRow& first = family.rows.front();
    if (first.stratum || !alerted_window(first.window)) continue;
    const GroupRow* reference = family.reference;
    for (const GroupRow& row : family.rows) {
      if (row.unknown) continue;  // reported, never compared, never alerted
      detectors::AdverseImpactCandidate candidate;
      candidate.group = &row.statistics;
      candidate.has_reference = reference != nullptr;
      if (reference != nullptr) candidate.reference = reference->statistics.counts;
      candidate.is_reference = reference == &row;
      const AlertObservation observation =
          detectors::adverse_impact_observation(candidate, settings_);
      // Series come into being when their condition first holds.
      Series* series =
          series_in(adverse_, adverse_index_, AlertKind::adverse_impact, row.system, row.stage,
                    row.attribute, row.group, row.window, observation.condition);
      if (series == nullptr) continue;
      const auto transition = series->state.observe(observation, watermark_ms_, thresholds_);
      if (!transition) continue;
      record(*series, *transition, events, wall_ms);
      events.back().evidence = evidence_of(row, reference);
    }
  }
}

void AlertEvaluator::evaluate_sequential(const Report& report, std::int64_t wall_ms,
                                         std::vector<AlertEvent>& events) {
  const std::vector<SequentialStatus>& statuses = sequential_.evaluate(report);
  const std::string& window = sequential_.clearing_window();
  const std::int64_t clearing_ms = sequential_.clearing_window_ms();
  // The clearing window's rows, by (system, stage, attribute, group).
  std::unordered_map<std::string, const GroupRow*> clearing_rows;
  for (const GroupRow& row : report.groups) {
    if (row.stratum || row.unknown || row.window != window) continue;
    series_key(key_, row.system, row.stage, row.attribute, row.group, window);
    clearing_rows.emplace(key_, &row);
  }
  const auto clearing_row = [&](const std::string& system, const std::string& stage,
                                const std::string& attribute,
                                const std::string& group) -> const GroupRow* {
    series_key(key_, system, stage, attribute, group, window);
    const auto it = clearing_rows.find(key_);
    return it == clearing_rows.end() ? nullptr : it->second;
  };
  for (const SequentialStatus& status : statuses) {
    if (status.is_reference || !status.reference_group) continue;
    const GroupRow* row = clearing_row(status.system, status.stage, status.attribute, status.group);
    const auto series_of = [&](bool create) {
      return series_in(adverse_, adverse_index_, AlertKind::adverse_impact, status.system,
                       status.stage, status.attribute, status.group, window, create);
    };
    const Series* existing = series_of(false);
    // The confidence sequence raises an alert; once it fires, only new
    // change-detector alarms keep it latched (the period's old evidence
    // must not hold it forever).
    const bool firing = existing != nullptr && existing->state.firing();
    const bool evidence = status.impact_alarm || (status.confidence_sequence_holds && !firing);
    if (!evidence && existing == nullptr) continue;
    Series& series = *series_of(true);
    if (evidence) series.last_evidence_ms = watermark_ms_;
    const bool latched = series.last_evidence_ms != INT64_MIN &&
                         watermark_ms_ - series.last_evidence_ms < clearing_ms;
    detectors::AlertObservation observation;
    observation.condition = latched;
    observation.ratio = row != nullptr ? row->statistics.impact_ratio : std::nullopt;
    // While latched the alert cannot clear, whatever the clearing window shows.
    if (latched && observation.ratio) {
      observation.ratio = std::min(*observation.ratio, thresholds_.clear_above);
    }
    observation.has_evidence = latched || (row != nullptr && row->statistics.counts.applicants > 0);
    const auto transition = series.state.observe(observation, watermark_ms_, thresholds_);
    if (!transition) continue;
    record(series, *transition, events, wall_ms);
    AlertEvidence& e = events.back().evidence;
    if (row != nullptr) {
      const GroupRow* reference =
          row->reference_group
              ? clearing_row(status.system, status.stage, status.attribute, *row->reference_group)
              : nullptr;
      e = evidence_of(*row, reference);
    }
    e.confidence_sequence = status.ratio_bounds;
    e.period_group = status.period_group;
    e.period_reference = status.period_reference;
    e.confidence_sequence_holds = status.confidence_sequence_holds;
    e.change_detected = status.impact_change_detected;
    if (transition->to == AlertPhase::inactive) {
      // A new monitoring period: the old evidence is spent.
      series.last_evidence_ms = INT64_MIN;
      sequential_.restart_period(status.system, status.stage, status.attribute, status.group);
    }
  }
}

std::vector<AlertEvent> AlertEvaluator::evaluate_drift(const std::vector<DriftRow>& rows,
                                                       std::int64_t watermark_ms,
                                                       std::int64_t wall_ms) {
  std::vector<AlertEvent> events;
  const config::DriftAlertConfig& alert = config_->alerts.drift;
  const std::uint64_t min_size = config_->statistics.min_group_size;
  detectors::AlertThresholds thresholds;
  thresholds.for_ms = alert.for_seconds * 1000;
  if (watermark_ms != INT64_MIN) watermark_ms_ = watermark_ms;  // stamps the transitions
  for (const DriftRow& row : rows) {
    if (!drift_alerted_window(row.window)) continue;
    const bool sized = row.baseline_n >= min_size && row.current_n >= min_size;
    const bool ks_low = alert.ks_p_below && row.ks_p_value && *row.ks_p_value < *alert.ks_p_below;
    const bool condition = sized && ((row.psi && *row.psi > alert.psi_above) || ks_low);
    const bool remains = sized && ((row.psi && *row.psi >= alert.clear_below) || ks_low);
    // Series come into being when their condition first holds.
    Series* found = series_in(drift_, drift_index_, AlertKind::drift, row.system, row.stage,
                              row.attribute, row.group.value_or(""), row.window, condition);
    if (found == nullptr) continue;
    Series& series = *found;
    // No ratio: a firing drift alert clears when the PSI is below clear_below.
    const detectors::AlertObservation observation{condition, std::nullopt, condition || remains};
    const auto transition = series.state.observe(observation, watermark_ms, thresholds);
    if (!transition) continue;
    record(series, *transition, events, wall_ms);
    events.back().detail = describe_drift(row);
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
  result.reserve(adverse_.size() + drift_.size() + operational_.size());
  for (const Series& series : adverse_) {
    result.push_back({&series.labels, series.state.phase(), series.state.severity()});
  }
  for (const Series& series : drift_) {
    result.push_back({&series.labels, series.state.phase(), detectors::AlertSeverity::warning});
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
      saved.push_back({series.labels, series.state, series.last_evidence_ms});
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
    if (config_->alerts.adverse_impact.method == config::AdverseImpactMethod::confidence_sequence &&
        entry.labels.window != sequential_.clearing_window()) {
      continue;  // a fixed-window series: not evaluated by this method
    }
    const AlertLabels& l = entry.labels;
    Series& series = *series_in(adverse_, adverse_index_, AlertKind::adverse_impact, l.system,
                                l.stage, l.attribute, l.group, l.window, true);
    series.state = entry.state;
    series.last_evidence_ms = entry.last_evidence_ms;
  }
}

}  // namespace fairwatch::daemon
