#include "fairwatch/daemon/sequential_monitor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

constexpr char kKeySeparator = '\x1f';
constexpr double kMillisecondsPerYear = 365.25 * 86'400'000.0;
// The applicant rate is estimated over at least this much event time.
constexpr std::int64_t kMinRateSpanMs = 3'600'000;
// The confidence sequences are tightest around this many applicants per group.
constexpr double kTunedForApplicants = 10'000;
// At most this many series are read from a checkpoint.
constexpr std::uint64_t kMaxSavedSeries = 10'000'000;
// Bytes of the smallest saved series: five empty strings (their lengths).
constexpr std::size_t kMinSavedSeriesBytes = std::size_t{5} * 8;

void series_key(std::string& key, std::string_view system, std::string_view stage,
                std::string_view attribute, std::string_view group) {
  key.clear();
  for (const std::string_view part : {system, stage, attribute, group}) {
    key.append(part);
    key.push_back(kKeySeparator);
  }
}

// a − b, or nullopt when b is not contained in a (state out of step with the engine).
std::optional<detectors::Counts> minus(detectors::Counts a, detectors::Counts b) {
  if (b.applicants > a.applicants || b.selected > a.selected) return std::nullopt;
  const detectors::Counts difference{a.applicants - b.applicants, a.selected - b.selected};
  if (difference.selected > difference.applicants) return std::nullopt;
  return difference;
}

double progress(const detectors::BernoulliCusum& cusum) {
  return cusum.threshold() > 0 ? cusum.statistic() / cusum.threshold() : 0.0;
}

bool recent(std::int64_t alarm_ms, std::int64_t now_ms, std::int64_t window_ms) {
  return alarm_ms != INT64_MIN && now_ms - alarm_ms < window_ms;
}

void write_counts(detectors::StateWriter& writer, detectors::Counts counts) {
  writer.write_u64(counts.applicants);
  writer.write_u64(counts.selected);
}

bool read_counts(detectors::StateReader& reader, detectors::Counts& counts) {
  if (!reader.read_u64(counts.applicants) || !reader.read_u64(counts.selected)) return false;
  return counts.selected <= counts.applicants || reader.fail();
}

bool read_statistic(detectors::StateReader& reader, detectors::BernoulliCusum& cusum) {
  double statistic = 0;
  std::uint64_t alarms = 0;
  if (!reader.read_f64(statistic) || !reader.read_u64(alarms)) return false;
  if (!(statistic >= 0 && std::isfinite(statistic))) return reader.fail();
  cusum.restore(statistic, alarms);
  return true;
}

}  // namespace

const char* to_string(ChangeDetectorKind kind) {
  return kind == ChangeDetectorKind::impact_ratio ? "impact_ratio" : "selection_rate";
}

SequentialMonitor::SequentialMonitor(const config::Config& config) : config_(&config) {
  configure(config);
}

void SequentialMonitor::configure(const config::Config& config) {
  config_ = &config;
  const config::AdverseImpactAlertConfig& alert = config.alerts.adverse_impact;
  rule_config_.ratio_below = alert.ratio_below;
  rule_config_.alpha = 1.0 - config.statistics.confidence;
  rule_config_.cs_tuned_for_applicants = kTunedForApplicants;
  rule_config_.change_shift = alert.change_shift;
  // Replaced per series by arl0_for() before every batch.
  rule_config_.change_arl0_outcomes = 1e6;
  clearing_window_ = "all";
  clearing_window_ms_ = std::numeric_limits<std::int64_t>::max();
  for (const config::WindowConfig& window : config.windows) {
    const bool alerted =
        alert.windows.empty() ||
        std::find(alert.windows.begin(), alert.windows.end(), window.name) != alert.windows.end();
    if (alerted && window.length_seconds * 1000 < clearing_window_ms_) {
      clearing_window_ = window.name;
      clearing_window_ms_ = window.length_seconds * 1000;
    }
  }
}

void SequentialMonitor::reload(const config::Config& config) {
  configure(config);
  // Series keep their counts, periods and statistics; the rules take the new
  // thresholds (a CUSUM statistic is kept: it is in log-likelihood units of
  // the old shift, a close enough start for the new one).
  for (Series& series : series_) {
    const detectors::AdverseImpactRule rule = series.rule;
    const detectors::BernoulliCusum selection = series.selection;
    series.rule = detectors::AdverseImpactRule(rule_config_);
    series.selection = detectors::BernoulliCusum(rule_config_.change_shift, 1e6);
    series.rule.change_detector().restore(rule.change_detector().statistic(),
                                          rule.change_detector().alarms());
    series.rule.restore_stretch(rule.stretch_group(), rule.stretch_reference(), rule.unconfirmed());
    series.selection.restore(selection.statistic(), selection.alarms());
  }
}

SequentialMonitor::Series SequentialMonitor::make_series(std::string_view system,
                                                         std::string_view stage,
                                                         std::string_view attribute,
                                                         std::string_view group) const {
  return Series{std::string(system),
                std::string(stage),
                std::string(attribute),
                std::string(group),
                {},
                {},
                {},
                {},
                {},
                {},
                INT64_MIN,
                INT64_MIN,
                INT64_MIN,
                INT64_MIN,
                detectors::AdverseImpactRule(rule_config_),
                detectors::BernoulliCusum(rule_config_.change_shift, 1e6)};
}

double SequentialMonitor::arl0_for(detectors::Counts period, std::int64_t since_ms,
                                   std::int64_t now_ms) const {
  const std::int64_t span_ms =
      since_ms == INT64_MIN ? kMinRateSpanMs : std::max(now_ms - since_ms, kMinRateSpanMs);
  const double per_year =
      static_cast<double>(period.applicants) * kMillisecondsPerYear / static_cast<double>(span_ms);
  return std::max(1.0, config_->alerts.adverse_impact.change_false_alarm_years * per_year);
}

void SequentialMonitor::restart(Series& series, std::int64_t now_ms) {
  series.origin_group = series.last_group;
  series.origin_reference = series.last_reference;
  series.period_start_ms = now_ms;
  series.rule.reset_change_detector();
}

const std::vector<SequentialStatus>& SequentialMonitor::evaluate(const Report& report) {
  statuses_.clear();
  watermark_ms_ = report.watermark_ms;
  const std::int64_t now = watermark_ms_;
  const std::uint64_t min_size = config_->statistics.min_group_size;
  for (const GroupFamily& family : group_families(report)) {
    const GroupRow& first = family.rows.front();
    if (first.stratum || first.window != "all") continue;
    const GroupRow* reference = family.reference;
    for (const GroupRow& row : family.rows) {
      if (row.unknown) continue;
      series_key(key_, row.system, row.stage, row.attribute, row.group);
      const auto [it, inserted] = index_.try_emplace(key_, series_.size());
      if (inserted) {
        series_.push_back(make_series(row.system, row.stage, row.attribute, row.group));
        series_.back().period_start_ms = now;
        series_.back().selection_start_ms = now;
      }
      Series& series = series_[it->second];
      const detectors::Counts all = row.statistics.counts;
      const detectors::Counts reference_all =
          reference != nullptr ? reference->statistics.counts : detectors::Counts{};
      std::optional<detectors::Counts> batch = minus(all, series.last_group);
      if (!batch) {  // out of step (e.g. a state from elsewhere): start over from here
        series.last_group = all;
        series.origin_group = all;
        series.selection_origin = all;
        batch = detectors::Counts{};
      }
      const detectors::Counts reference_batch =
          minus(reference_all, series.last_reference).value_or(detectors::Counts{});
      series.last_group = all;
      series.last_reference = reference_all;
      const std::string reference_name = reference != nullptr ? reference->group : std::string();
      if (reference != nullptr && series.reference_group != reference_name) {
        if (!series.reference_group.empty()) restart(series, now);
        series.reference_group = reference_name;
      }

      SequentialStatus status;
      status.system = row.system;
      status.stage = row.stage;
      status.attribute = row.attribute;
      status.group = row.group;
      if (reference != nullptr) status.reference_group = reference_name;
      status.is_reference = reference == &row;
      const auto period_group = minus(all, series.origin_group);
      const auto period_reference = minus(reference_all, series.origin_reference);
      if (reference != nullptr && !status.is_reference && period_group && period_reference) {
        status.period_group = *period_group;
        status.period_reference = *period_reference;
        series.rule.change_detector().set_in_control_arl(
            arl0_for(*period_group, series.period_start_ms, now));
        const detectors::AdverseImpactVerdict verdict =
            series.rule.evaluate(*batch, reference_batch, *period_group, *period_reference);
        const bool sized =
            period_group->applicants >= min_size && period_reference->applicants >= min_size;
        if (sized) {
          status.ratio_bounds = verdict.ratio_bounds;
          status.confidence_sequence_holds = verdict.confidence_sequence;
          status.impact_alarm = verdict.change_detected;
        }
        if (status.impact_alarm) series.last_impact_alarm_ms = now;
      }
      // The group's own rate, judged against its rate before this batch.
      if (const auto before = minus(all, series.selection_origin + *batch);
          before && batch->applicants > 0) {
        series.selection.set_in_control_arl(
            arl0_for(*before + *batch, series.selection_start_ms, now));
        const auto bounds = series.rule.confidence_sequence().ratio_rate_bounds(*before);
        if (bounds && series.selection.observe(*batch, bounds->lower) &&
            before->applicants >= min_size) {
          series.last_selection_alarm_ms = now;
          series.selection_origin = all;
          series.selection_start_ms = now;
        }
      }
      status.impact_change_detected = recent(series.last_impact_alarm_ms, now, clearing_window_ms_);
      status.selection_change_detected =
          recent(series.last_selection_alarm_ms, now, clearing_window_ms_);
      status.impact_progress = progress(series.rule.change_detector());
      status.selection_progress = progress(series.selection);
      statuses_.push_back(std::move(status));
    }
  }
  return statuses_;
}

void SequentialMonitor::restart_period(std::string_view system, std::string_view stage,
                                       std::string_view attribute, std::string_view group) {
  series_key(key_, system, stage, attribute, group);
  const auto it = index_.find(key_);
  if (it != index_.end()) restart(series_[it->second], watermark_ms_);
}

void SequentialMonitor::save_state(detectors::StateWriter& writer) const {
  writer.write_i64(watermark_ms_);
  writer.write_u64(series_.size());
  for (const Series& series : series_) {
    for (const std::string* part : {&series.system, &series.stage, &series.attribute, &series.group,
                                    &series.reference_group}) {
      writer.write_string(*part);
    }
    for (const detectors::Counts counts :
         {series.last_group, series.last_reference, series.origin_group, series.origin_reference,
          series.selection_origin}) {
      write_counts(writer, counts);
    }
    for (const std::int64_t time : {series.period_start_ms, series.selection_start_ms,
                                    series.last_impact_alarm_ms, series.last_selection_alarm_ms}) {
      writer.write_i64(time);
    }
    writer.write_f64(series.rule.change_detector().statistic());
    writer.write_u64(series.rule.change_detector().alarms());
    write_counts(writer, series.rule.stretch_group());
    write_counts(writer, series.rule.stretch_reference());
    writer.write_u64(series.rule.unconfirmed());
    writer.write_f64(series.selection.statistic());
    writer.write_u64(series.selection.alarms());
  }
}

bool SequentialMonitor::restore_state(detectors::StateReader& reader) {
  std::int64_t watermark = INT64_MIN;
  std::uint64_t count = 0;
  if (!reader.read_i64(watermark) ||
      !reader.read_count(count, kMaxSavedSeries, kMinSavedSeriesBytes)) {
    return false;
  }
  std::vector<Series> loaded;
  std::unordered_map<std::string, std::size_t> index;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::array<std::string, 5> names;
    for (std::string& name : names) {
      if (!reader.read_string(name)) return false;
    }
    Series series = make_series(names[0], names[1], names[2], names[3]);
    series.reference_group = names[4];
    for (detectors::Counts* counts :
         {&series.last_group, &series.last_reference, &series.origin_group,
          &series.origin_reference, &series.selection_origin}) {
      if (!read_counts(reader, *counts)) return false;
    }
    for (std::int64_t* time : {&series.period_start_ms, &series.selection_start_ms,
                               &series.last_impact_alarm_ms, &series.last_selection_alarm_ms}) {
      if (!reader.read_i64(*time)) return false;
    }
    detectors::Counts stretch_group;
    detectors::Counts stretch_reference;
    std::uint64_t unconfirmed = 0;
    if (!read_statistic(reader, series.rule.change_detector()) ||
        !read_counts(reader, stretch_group) || !read_counts(reader, stretch_reference) ||
        !reader.read_u64(unconfirmed) || !read_statistic(reader, series.selection)) {
      return false;
    }
    series.rule.restore_stretch(stretch_group, stretch_reference, unconfirmed);
    series_key(key_, series.system, series.stage, series.attribute, series.group);
    if (!index.try_emplace(key_, loaded.size()).second) return reader.fail();  // repeated
    loaded.push_back(std::move(series));
  }
  watermark_ms_ = watermark;
  series_ = std::move(loaded);
  index_ = std::move(index);
  statuses_.clear();
  return true;
}

}  // namespace fairwatch::daemon
