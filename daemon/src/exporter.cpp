#include "fairwatch/daemon/exporter.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <exception>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter_http.h"
#include "fairwatch/daemon/log.h"
#include "fairwatch/daemon/version.h"

namespace fairwatch::daemon {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;
using prometheus::Registry;

constexpr std::string_view kAllWindow = "all";
constexpr char kKeySeparator = '\x1f';

// A gauge series that exists only while its value is defined: added on the
// first defined value, removed (Family::Remove) when it becomes undefined.
class OptionalGauge {
 public:
  // make_labels() is called only when the series is added.
  template <typename MakeLabels>
  void set(Family<Gauge>& family, std::optional<double> value, MakeLabels&& make_labels) {
    if (!value) {
      remove(family);
      return;
    }
    if (gauge_ == nullptr) gauge_ = &family.Add(make_labels());
    gauge_->Set(*value);
  }

  void remove(Family<Gauge>& family) {
    if (gauge_ == nullptr) return;
    family.Remove(gauge_);
    gauge_ = nullptr;
  }

 private:
  Gauge* gauge_ = nullptr;
};

// A counter mirroring a monotonic total kept elsewhere: incremented by the
// growth since the last publish. A total that goes down (only possible across
// a restart from an older checkpoint, never within a process) moves the
// baseline and is logged; the counter itself never decreases.
class MirroredCounter {
 public:
  MirroredCounter() = default;
  explicit MirroredCounter(Counter& counter) : counter_(&counter) {}

  void publish(std::uint64_t total, std::string_view what) {
    if (total >= last_) {
      if (total > last_) counter_->Increment(static_cast<double>(total - last_));
    } else {
      Log::global().write_limited("exporter.counter_decreased", std::chrono::seconds(60),
                                  LogLevel::warning,
                                  "a published total went down; kept the counter",
                                  {{"metric", what},
                                   {"previous", static_cast<std::int64_t>(last_)},
                                   {"now", static_cast<std::int64_t>(total)}});
    }
    last_ = total;
  }

  Counter* counter() const { return counter_; }

 private:
  Counter* counter_ = nullptr;
  std::uint64_t last_ = 0;
};

// The per-(system, stage, attribute, group, window) gauges, in a fixed order.
enum GroupGauge : std::size_t {
  kApplicants,
  kSelected,
  kSelectionRate,
  kSelectionRateLower,
  kSelectionRateUpper,
  kImpactRatio,
  kImpactRatioLower,
  kImpactRatioUpper,
  kPValueZ,
  kPValueFisher,
  kPValueZAdjusted,
  kFourFifthsPass,
  kShortfall,
  kScoringRate,
  kScoringImpactRatio,
  kGroupGaugeCount
};

struct GaugeSpec {
  const char* name;
  const char* help;
  const char* test;  // value of the `test` label, or nullptr
};

constexpr std::array<GaugeSpec, kGroupGaugeCount> kGroupGauges = {{
    {"fairwatch_applicants", "Decisions about the group in the window.", nullptr},
    {"fairwatch_selected", "Favourable decisions about the group in the window.", nullptr},
    {"fairwatch_selection_rate", "Selected over applicants in the window.", nullptr},
    {"fairwatch_selection_rate_lower", "Lower bound of the Wilson interval of the selection rate.",
     nullptr},
    {"fairwatch_selection_rate_upper", "Upper bound of the Wilson interval of the selection rate.",
     nullptr},
    {"fairwatch_impact_ratio", "Selection rate over the reference group's (1 for the reference).",
     nullptr},
    {"fairwatch_impact_ratio_lower", "Lower bound of the Katz interval of the impact ratio.",
     nullptr},
    {"fairwatch_impact_ratio_upper", "Upper bound of the Katz interval of the impact ratio.",
     nullptr},
    {"fairwatch_p_value",
     "Two-sided p-value of the group against the reference: z test, Fisher's exact test, or the "
     "z test after the multiple-testing correction.",
     "z"},
    {"fairwatch_p_value", "", "fisher"},
    {"fairwatch_p_value", "", "z_adjusted"},
    {"fairwatch_four_fifths_pass",
     "1 when the impact ratio is at least four fifths (and for the reference), 0 when below.",
     nullptr},
    {"fairwatch_shortfall", "More selections the group would need to reach the four-fifths line.",
     nullptr},
    {"fairwatch_scoring_rate",
     "Share of the group's scored decisions scoring above the median of all scores (NYC LL144).",
     nullptr},
    {"fairwatch_scoring_impact_ratio",
     "Scoring rate over the reference group's scoring rate (NYC LL144).", nullptr},
}};

enum AttributeGauge : std::size_t {
  kChiSquaredPValue,
  kCmhPValue,
  kCmhCommonOddsRatio,
  kAttributeGaugeCount
};

constexpr std::array<GaugeSpec, kAttributeGaugeCount> kAttributeGauges = {{
    {"fairwatch_chi_squared_p_value",
     "p-value of Pearson's chi-squared test of equal selection rates across the attribute's "
     "groups.",
     nullptr},
    {"fairwatch_cmh_p_value",
     "p-value of the Cochran-Mantel-Haenszel test across strata (e.g. requisitions).", nullptr},
    {"fairwatch_cmh_common_odds_ratio",
     "Mantel-Haenszel common odds ratio of selection, non-reference over reference group (two "
     "groups only).",
     nullptr},
}};

std::optional<double> as_double(const std::optional<std::uint64_t>& value) {
  if (!value) return std::nullopt;
  return static_cast<double>(*value);
}

std::array<std::optional<double>, kGroupGaugeCount> group_values(const GroupRow& row) {
  std::array<std::optional<double>, kGroupGaugeCount> values;
  const detectors::GroupStatistics& s = row.statistics;
  values[kApplicants] = static_cast<double>(s.counts.applicants);
  values[kSelected] = static_cast<double>(s.counts.selected);
  values[kSelectionRate] = s.selection_rate;
  if (row.unknown) return values;  // reported, never compared
  if (s.selection_rate_interval) {
    values[kSelectionRateLower] = s.selection_rate_interval->lower;
    values[kSelectionRateUpper] = s.selection_rate_interval->upper;
  }
  values[kImpactRatio] = s.impact_ratio;
  if (s.impact_ratio && s.impact_ratio_interval) {
    values[kImpactRatioLower] = s.impact_ratio_interval->lower;
    values[kImpactRatioUpper] = s.impact_ratio_interval->upper;
  }
  if (s.z_test) values[kPValueZ] = s.z_test->p_value;
  values[kPValueFisher] = s.p_value_fisher;
  values[kPValueZAdjusted] = s.p_value_adjusted;
  if (s.four_fifths == detectors::FourFifths::reference) {
    // The reference compared with itself: no difference. Exporting the identity
    // keeps these series stable when the highest-rate group changes (removing
    // a series is a linear scan of its family in prometheus-cpp).
    values[kImpactRatioLower] = 1.0;
    values[kImpactRatioUpper] = 1.0;
    values[kPValueZ] = 1.0;
    values[kPValueFisher] = 1.0;
    values[kPValueZAdjusted] = 1.0;
  }
  switch (s.four_fifths) {
    case detectors::FourFifths::pass:
    case detectors::FourFifths::reference:
      values[kFourFifthsPass] = 1.0;
      break;
    case detectors::FourFifths::fail:
      values[kFourFifthsPass] = 0.0;
      break;
    case detectors::FourFifths::insufficient:
      break;
  }
  values[kShortfall] = as_double(s.shortfall);
  values[kScoringRate] = s.scoring_rate;
  values[kScoringImpactRatio] = s.scoring_impact_ratio;
  for (auto& value : values) {
    if (value && !std::isfinite(*value)) value.reset();
  }
  return values;
}

std::array<std::optional<double>, kAttributeGaugeCount> attribute_values(const AttributeRow& row) {
  std::array<std::optional<double>, kAttributeGaugeCount> values;
  if (row.chi_squared) values[kChiSquaredPValue] = row.chi_squared->p_value;
  if (row.cmh) {
    values[kCmhPValue] = row.cmh->test.p_value;
    values[kCmhCommonOddsRatio] = row.cmh->common_odds_ratio;
  }
  for (auto& value : values) {
    if (value && !std::isfinite(*value)) value.reset();
  }
  return values;
}

void append_key(std::string& key, std::string_view part) {
  key.append(part);
  key.push_back(kKeySeparator);
}

Family<Gauge>& gauge_family(Registry& registry, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

Family<Counter>& counter_family(Registry& registry, const std::string& name,
                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

// Series of one (system, stage, attribute, group, window).
struct GroupSeries {
  Labels labels;
  std::uint64_t generation = 0;
  std::array<OptionalGauge, kGroupGaugeCount> gauges;
};

// The sequential monitor's series of one (system, stage, attribute, group):
// confidence-sequence bounds, and per change detector (ChangeDetectorKind
// order) whether it alarmed recently and its progress to the threshold.
struct SequentialSeries {
  Labels labels;
  OptionalGauge cs_lower;
  OptionalGauge cs_upper;
  std::array<Gauge*, 2> change_detected{};
  std::array<Gauge*, 2> change_statistic{};
};

// The drift gauges of one (system, stage, attribute, group, window, subject).
struct DriftSeries {
  Labels labels;
  std::array<OptionalGauge, 4> gauges;  // psi, js_divergence, ks_statistic, ks_p_value
};

// fairwatch_alert_active of one adverse-impact series (both severities) or
// drift series (warning only; critical null).
struct AlertSeries {
  Gauge* warning = nullptr;
  Gauge* critical = nullptr;
};

// Series of one (system, stage, attribute, window).
struct AttributeSeries {
  Labels labels;
  std::uint64_t generation = 0;
  std::array<OptionalGauge, kAttributeGaugeCount> gauges;
};

// fairwatch_decisions_total of one (system, stage, attribute, group).
struct DecisionSeries {
  std::uint64_t generation = 0;
  MirroredCounter selected;
  MirroredCounter rejected;
};

// fairwatch_score of one (system, stage, attribute, group), fed with the
// growth of the engine's all-time grid histogram.
struct ScoreSeries {
  std::uint64_t generation = 0;
  Histogram* histogram = nullptr;
  std::vector<std::uint64_t> last_bins;
  std::uint64_t last_count = 0;
  double last_sum = 0;
};

}  // namespace

struct Exporter::Impl {
  std::vector<double> score_buckets;
  std::shared_ptr<Readiness> readiness = std::make_shared<Readiness>();
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();

  // Statistics.
  std::array<Family<Gauge>*, kGroupGaugeCount> group_families{};
  std::array<Family<Gauge>*, kAttributeGaugeCount> attribute_families{};
  Family<Counter>* decisions = nullptr;
  Family<Histogram>* scores = nullptr;
  std::unordered_map<std::string, GroupSeries> group_series;
  std::unordered_map<std::string, AttributeSeries> attribute_series;
  std::unordered_map<std::string, DecisionSeries> decision_series;
  std::unordered_map<std::string, ScoreSeries> score_series;
  std::uint64_t generation = 0;
  std::string key;  // reused lookup buffer
  // Score grid bin -> index of the histogram bucket it falls in (for `grid`).
  detectors::ScoreGrid grid{0, 0, 0};
  std::vector<std::size_t> bucket_of_bin;
  std::vector<double> bucket_increments;

  // Events.
  MirroredCounter received;
  MirroredCounter accepted;
  MirroredCounter duplicates;
  MirroredCounter late;
  std::array<MirroredCounter, kRejectReasonCount> rejected;
  Gauge* publish_duration = nullptr;

  // Operations.
  Gauge* kafka_connected = nullptr;
  Gauge* assigned_partitions = nullptr;
  Family<Gauge>* lag_family = nullptr;
  OptionalGauge lag;
  std::string lag_topic;
  Family<Gauge>* last_event_family = nullptr;
  OptionalGauge last_event;
  Family<Gauge>* checkpoint_success_family = nullptr;
  OptionalGauge checkpoint_success;
  MirroredCounter checkpoint_failures;
  MirroredCounter reload_successes;
  MirroredCounter reload_failures;
  MirroredCounter kafka_errors;
  MirroredCounter rebalances;
  MirroredCounter dead_letter_failures;

  // Alerts.
  Family<Gauge>* alert_active = nullptr;
  Family<Counter>* alert_transitions = nullptr;
  std::unordered_map<std::string, AlertSeries> alert_series;  // adverse impact, by labels
  // Per operational kind (index kind - 1): its one fairwatch_alert_active child.
  std::array<Gauge*, kOperationalAlertKinds.size()> operational_alerts{};
  // Per (kind, severity, to): index (kind * 2 + severity) * 2 + (to == resolved).
  std::array<Counter*, kAllAlertKinds.size() * 4> transition_counters{};
  MirroredCounter audit_failures;

  // Confidence sequences and change detectors.
  Family<Gauge>* cs_lower = nullptr;
  Family<Gauge>* cs_upper = nullptr;
  Family<Gauge>* change_detected = nullptr;
  Family<Gauge>* change_statistic = nullptr;
  std::unordered_map<std::string, SequentialSeries> sequential_series;

  // Drift against the baseline.
  std::array<Family<Gauge>*, 4> drift_families{};  // as DriftSeries::gauges
  std::unordered_map<std::string, DriftSeries> drift_series;

  std::unique_ptr<HttpServer> http;  // last: stops serving before the rest is destroyed

  void create_metrics();
  void publish_groups(const Report& report);
  void publish_attributes(const Report& report);
  void publish_decisions(const Report& report);
  void publish_scores(const Engine& engine);
  void publish_events(const EngineCounters& counters);
  void update_bucket_map(const detectors::ScoreGrid& grid);
  void remove_stale();
  void create_alert_metrics();
};

namespace {

std::size_t transition_index(AlertKind kind, detectors::AlertSeverity severity, bool resolved) {
  return (static_cast<std::size_t>(kind) * 2 + static_cast<std::size_t>(severity)) * 2 +
         (resolved ? 1 : 0);
}

Labels alert_labels(const AlertLabels& alert, detectors::AlertSeverity severity) {
  return {{"alert", to_string(alert.kind)}, {"severity", detectors::to_string(severity)},
          {"system", alert.system},         {"stage", alert.stage},
          {"attribute", alert.attribute},   {"group", alert.group},
          {"window", alert.window}};
}

}  // namespace

void Exporter::Impl::create_alert_metrics() {
  Registry& r = *registry;
  alert_active = &gauge_family(r, "fairwatch_alert_active",
                               "1 while the alert fires at this severity, else 0 (after it "
                               "cleared or while it fires at the other severity).");
  alert_transitions = &counter_family(r, "fairwatch_alert_transitions_total",
                                      "Alert transitions to firing (new or changed severity) and "
                                      "to resolved.");
  for (const AlertKind kind : kAllAlertKinds) {
    std::vector<detectors::AlertSeverity> severities = {detectors::AlertSeverity::warning,
                                                        detectors::AlertSeverity::critical};
    if (kind != AlertKind::adverse_impact) severities = {operational_severity(kind)};
    if (is_operational(kind)) {
      AlertLabels labels;
      labels.kind = kind;
      operational_alerts[operational_index(kind)] =
          &alert_active->Add(alert_labels(labels, operational_severity(kind)));
    }
    for (const detectors::AlertSeverity severity : severities) {
      for (const bool resolved : {false, true}) {
        transition_counters[transition_index(kind, severity, resolved)] =
            &alert_transitions->Add({{"alert", to_string(kind)},
                                     {"severity", detectors::to_string(severity)},
                                     {"to", resolved ? "resolved" : "firing"}});
      }
    }
  }
  audit_failures = MirroredCounter(
      counter_family(r, "fairwatch_alert_audit_failures_total",
                     "Alert transitions that could not be written to the audit log.")
          .Add({}));
}

void Exporter::Impl::create_metrics() {
  Registry& r = *registry;
  Family<Gauge>* p_values = nullptr;
  for (std::size_t i = 0; i < kGroupGaugeCount; ++i) {
    const GaugeSpec& spec = kGroupGauges[i];
    if (spec.test != nullptr) {
      if (p_values == nullptr) p_values = &gauge_family(r, spec.name, spec.help);
      group_families[i] = p_values;
    } else {
      group_families[i] = &gauge_family(r, spec.name, spec.help);
    }
  }
  for (std::size_t i = 0; i < kAttributeGaugeCount; ++i) {
    attribute_families[i] = &gauge_family(r, kAttributeGauges[i].name, kAttributeGauges[i].help);
  }
  decisions = &counter_family(r, "fairwatch_decisions_total",
                              "Decisions by outcome since the state began (the all window).");
  scores = &prometheus::BuildHistogram()
                .Name("fairwatch_score")
                .Help("Scores of the group's decisions since the state began.")
                .Register(r);

  received = MirroredCounter(
      counter_family(r, "fairwatch_events_received_total", "Events read from the source.").Add({}));
  accepted =
      MirroredCounter(counter_family(r, "fairwatch_events_accepted_total",
                                     "Events decoded and counted (neither rejected nor duplicate).")
                          .Add({}));
  duplicates = MirroredCounter(
      counter_family(r, "fairwatch_events_duplicate_total",
                     "Events dropped as duplicates of an event id seen within the horizon.")
          .Add({}));
  late = MirroredCounter(counter_family(r, "fairwatch_events_late_total",
                                        "Events older than the allowed lateness, counted in the "
                                        "all window only.")
                             .Add({}));
  auto& rejected_family =
      counter_family(r, "fairwatch_events_rejected_total", "Events rejected, by reason.");
  for (RejectReason reason : kAllRejectReasons) {
    rejected[static_cast<std::size_t>(reason)] =
        MirroredCounter(rejected_family.Add({{"reason", to_string(reason)}}));
  }
  publish_duration = &gauge_family(r, "fairwatch_exporter_publish_duration_seconds",
                                   "Time the last statistics publish took.")
                          .Add({});

  kafka_connected = &gauge_family(r, "fairwatch_kafka_connected",
                                  "1 when the Kafka consumer is connected, else 0.")
                         .Add({});
  assigned_partitions = &gauge_family(r, "fairwatch_kafka_assigned_partitions",
                                      "Partitions assigned to this consumer.")
                             .Add({});
  lag_family = &gauge_family(r, "fairwatch_kafka_consumer_lag_messages",
                             "Messages behind the end of the topic, summed over assigned "
                             "partitions.");
  last_event_family = &gauge_family(r, "fairwatch_last_event_timestamp_seconds",
                                    "Event time of the newest event applied (Unix epoch seconds).");
  checkpoint_success_family =
      &gauge_family(r, "fairwatch_checkpoint_last_success_timestamp_seconds",
                    "Wall-clock time of the last successful checkpoint (Unix epoch seconds).");
  checkpoint_failures = MirroredCounter(
      counter_family(r, "fairwatch_checkpoint_failures_total", "Checkpoint writes that failed.")
          .Add({}));
  auto& reloads = counter_family(r, "fairwatch_config_reloads_total",
                                 "Configuration reloads (SIGHUP), by result.");
  reload_successes = MirroredCounter(reloads.Add({{"result", "success"}}));
  reload_failures = MirroredCounter(reloads.Add({{"result", "failure"}}));
  kafka_errors = MirroredCounter(
      counter_family(r, "fairwatch_kafka_errors_total", "Errors reported by the Kafka client.")
          .Add({}));
  rebalances = MirroredCounter(
      counter_family(r, "fairwatch_kafka_rebalances_total", "Consumer group rebalances seen.")
          .Add({}));
  dead_letter_failures = MirroredCounter(
      counter_family(r, "fairwatch_dead_letter_failures_total",
                     "Rejected events that could not be copied to the dead-letter topic.")
          .Add({}));
  create_alert_metrics();
  cs_lower = &gauge_family(r, "fairwatch_impact_ratio_cs_lower",
                           "Lower bound of the impact ratio's confidence sequence (anytime-valid, "
                           "since the start of the monitoring period).");
  cs_upper = &gauge_family(r, "fairwatch_impact_ratio_cs_upper",
                           "Upper bound of the impact ratio's confidence sequence (anytime-valid, "
                           "since the start of the monitoring period).");
  change_detected = &gauge_family(
      r, "fairwatch_change_detected",
      "1 when the change detector alarmed within the last clearing window of event time, else 0.");
  change_statistic = &gauge_family(
      r, "fairwatch_change_statistic",
      "The change detector's CUSUM statistic as a fraction of its alarm threshold (alarms at 1).");
  drift_families = {
      &gauge_family(r, "fairwatch_drift_psi",
                    "Population stability index of the window's distribution against the "
                    "baseline's (natural log)."),
      &gauge_family(r, "fairwatch_drift_js_divergence",
                    "Jensen-Shannon divergence of the window's distribution from the baseline's, "
                    "in bits."),
      &gauge_family(r, "fairwatch_drift_ks_statistic",
                    "Two-sample Kolmogorov-Smirnov statistic D of the window's scores against the "
                    "baseline's."),
      &gauge_family(r, "fairwatch_drift_ks_p_value",
                    "p-value of the two-sample Kolmogorov-Smirnov test (as R's ks.test).")};
  gauge_family(r, "fairwatch_build_info", "Always 1; the version label names the build.")
      .Add({{"version", version()}})
      .Set(1);
}

void Exporter::Impl::publish_groups(const Report& report) {
  for (const GroupRow& row : report.groups) {
    if (row.stratum) continue;
    key.clear();
    append_key(key, row.system);
    append_key(key, row.stage);
    append_key(key, row.attribute);
    append_key(key, row.group);
    append_key(key, row.window);
    auto it = group_series.find(key);
    if (it == group_series.end()) {
      it = group_series.emplace(key, GroupSeries{}).first;
      it->second.labels = {{"system", row.system},
                           {"stage", row.stage},
                           {"attribute", row.attribute},
                           {"group", row.group},
                           {"window", row.window}};
    }
    GroupSeries& series = it->second;
    series.generation = generation;
    const auto values = group_values(row);
    for (std::size_t i = 0; i < kGroupGaugeCount; ++i) {
      series.gauges[i].set(*group_families[i], values[i], [&series, i] {
        Labels labels = series.labels;
        if (kGroupGauges[i].test != nullptr) labels.emplace("test", kGroupGauges[i].test);
        return labels;
      });
    }
  }
}

void Exporter::Impl::publish_attributes(const Report& report) {
  for (const AttributeRow& row : report.attributes) {
    key.clear();
    append_key(key, row.system);
    append_key(key, row.stage);
    append_key(key, row.attribute);
    append_key(key, row.window);
    auto it = attribute_series.find(key);
    if (it == attribute_series.end()) {
      it = attribute_series.emplace(key, AttributeSeries{}).first;
      it->second.labels = {{"system", row.system},
                           {"stage", row.stage},
                           {"attribute", row.attribute},
                           {"window", row.window}};
    }
    AttributeSeries& series = it->second;
    series.generation = generation;
    const auto values = attribute_values(row);
    for (std::size_t i = 0; i < kAttributeGaugeCount; ++i) {
      series.gauges[i].set(*attribute_families[i], values[i], [&series] { return series.labels; });
    }
  }
}

void Exporter::Impl::publish_decisions(const Report& report) {
  for (const GroupRow& row : report.groups) {
    if (row.stratum || row.window != kAllWindow) continue;
    key.clear();
    append_key(key, row.system);
    append_key(key, row.stage);
    append_key(key, row.attribute);
    append_key(key, row.group);
    auto it = decision_series.find(key);
    if (it == decision_series.end()) {
      Labels labels = {{"system", row.system},
                       {"stage", row.stage},
                       {"attribute", row.attribute},
                       {"group", row.group}};
      DecisionSeries series;
      labels["outcome"] = "selected";
      series.selected = MirroredCounter(decisions->Add(labels));
      labels["outcome"] = "rejected";
      series.rejected = MirroredCounter(decisions->Add(labels));
      it = decision_series.emplace(key, series).first;
    }
    DecisionSeries& series = it->second;
    series.generation = generation;
    series.selected.publish(row.statistics.counts.selected, "fairwatch_decisions_total");
    series.rejected.publish(row.statistics.counts.rejected(), "fairwatch_decisions_total");
  }
}

void Exporter::Impl::update_bucket_map(const detectors::ScoreGrid& new_grid) {
  if (new_grid.min == grid.min && new_grid.max == grid.max && new_grid.bins == grid.bins) return;
  grid = new_grid;
  bucket_of_bin.assign(static_cast<std::size_t>(std::max(grid.bins, 0)), 0);
  // A bin (lower, upper] goes to the first bucket whose bound is >= its upper
  // edge: exact when every bound lies on a grid edge.
  const double tolerance = 1e-9 * std::abs(grid.max - grid.min);
  for (int b = 0; b < grid.bins; ++b) {
    const double upper = grid.upper_edge(b);
    const auto bound = std::find_if(score_buckets.begin(), score_buckets.end(),
                                    [&](double le) { return le >= upper - tolerance; });
    bucket_of_bin[static_cast<std::size_t>(b)] =
        static_cast<std::size_t>(bound - score_buckets.begin());
  }
  bucket_increments.assign(score_buckets.size() + 1, 0.0);
  // Baselines were taken on the old grid: start over for every series.
  for (auto& [name, series] : score_series) {
    series.last_bins.assign(static_cast<std::size_t>(grid.bins), 0);
    series.last_count = 0;
    series.last_sum = 0;
  }
}

void Exporter::Impl::publish_scores(const Engine& engine) {
  update_bucket_map(engine.score_grid());
  const auto& families = engine.layout().families();
  for (const auto& stage : engine.stages()) {
    for (std::size_t f = 0; f < families.size(); ++f) {
      const AttributeFamily& family = families[f];
      for (std::size_t g = 0; g <= family.unknown(); ++g) {
        const std::size_t slot = family.first_slot + g;
        if (slot >= stage->all_scores.size()) continue;
        const detectors::ScoreSummary& summary = stage->all_scores[slot];
        if (summary.count == 0) continue;
        const std::string& group = engine.layout().group_name(f, g);
        key.clear();
        append_key(key, stage->system);
        append_key(key, stage->stage);
        append_key(key, family.name);
        append_key(key, group);
        auto it = score_series.find(key);
        if (it == score_series.end()) {
          ScoreSeries series;
          series.histogram = &scores->Add({{"system", stage->system},
                                           {"stage", stage->stage},
                                           {"attribute", family.name},
                                           {"group", group}},
                                          Histogram::BucketBoundaries(score_buckets));
          series.last_bins.assign(bucket_of_bin.size(), 0);
          it = score_series.emplace(key, std::move(series)).first;
        }
        ScoreSeries& series = it->second;
        series.generation = generation;
        if (summary.count == series.last_count) continue;
        // Only growth is observed; a histogram that went down (as counters,
        // impossible within a process) moves the baseline.
        bool grew = summary.histogram.size() == series.last_bins.size() &&
                    summary.count > series.last_count;
        if (grew) {
          std::fill(bucket_increments.begin(), bucket_increments.end(), 0.0);
          for (std::size_t b = 0; b < summary.histogram.size() && grew; ++b) {
            const std::uint64_t now = summary.histogram[b];
            if (now < series.last_bins[b]) grew = false;
            if (now > series.last_bins[b]) {
              bucket_increments[bucket_of_bin[b]] += static_cast<double>(now - series.last_bins[b]);
            }
          }
        }
        if (grew) {
          series.histogram->ObserveMultiple(bucket_increments, summary.sum - series.last_sum);
        } else {
          Log::global().write_limited("exporter.score_decreased", std::chrono::seconds(60),
                                      LogLevel::warning,
                                      "a score histogram went down; kept the published one");
        }
        series.last_bins = summary.histogram;
        series.last_count = summary.count;
        series.last_sum = summary.sum;
      }
    }
  }
}

void Exporter::Impl::publish_events(const EngineCounters& counters) {
  received.publish(counters.read, "fairwatch_events_received_total");
  accepted.publish(counters.accepted, "fairwatch_events_accepted_total");
  duplicates.publish(counters.duplicates, "fairwatch_events_duplicate_total");
  late.publish(counters.late, "fairwatch_events_late_total");
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    rejected[i].publish(counters.rejected[i], "fairwatch_events_rejected_total");
  }
}

void Exporter::Impl::remove_stale() {
  for (auto it = group_series.begin(); it != group_series.end();) {
    if (it->second.generation == generation) {
      ++it;
      continue;
    }
    for (std::size_t i = 0; i < kGroupGaugeCount; ++i) {
      it->second.gauges[i].remove(*group_families[i]);
    }
    it = group_series.erase(it);
  }
  for (auto it = attribute_series.begin(); it != attribute_series.end();) {
    if (it->second.generation == generation) {
      ++it;
      continue;
    }
    for (std::size_t i = 0; i < kAttributeGaugeCount; ++i) {
      it->second.gauges[i].remove(*attribute_families[i]);
    }
    it = attribute_series.erase(it);
  }
  for (auto it = decision_series.begin(); it != decision_series.end();) {
    if (it->second.generation == generation) {
      ++it;
      continue;
    }
    decisions->Remove(it->second.selected.counter());
    decisions->Remove(it->second.rejected.counter());
    it = decision_series.erase(it);
  }
  for (auto it = score_series.begin(); it != score_series.end();) {
    if (it->second.generation == generation) {
      ++it;
      continue;
    }
    scores->Remove(it->second.histogram);
    it = score_series.erase(it);
  }
}

Exporter::Exporter() : impl_(std::make_unique<Impl>()) {}

Exporter::~Exporter() = default;

std::variant<std::unique_ptr<Exporter>, std::string> Exporter::start(const config::Config& config) {
  const std::vector<double>& buckets = config.exporter.score_buckets;
  if (buckets.empty() || !std::is_sorted(buckets.begin(), buckets.end(), std::less_equal<>()) ||
      !std::all_of(buckets.begin(), buckets.end(), [](double b) { return std::isfinite(b); })) {
    return std::string("exporter.score_buckets: expected a non-empty list of increasing numbers");
  }
  std::unique_ptr<Exporter> exporter(new Exporter);
  Impl& impl = *exporter->impl_;
  impl.score_buckets = buckets;
  try {
    impl.create_metrics();
  } catch (const std::exception& error) {
    return std::string("cannot create metrics: ") + error.what();
  }
  auto server = HttpServer::start(config.exporter.listen, impl.readiness);
  if (auto* message = std::get_if<std::string>(&server)) return std::move(*message);
  impl.http = std::move(std::get<std::unique_ptr<HttpServer>>(server));
  try {
    impl.http->exposer().RegisterCollectable(impl.registry);
  } catch (const std::exception& error) {
    return std::string("cannot serve /metrics: ") + error.what();
  }
  return exporter;
}

int Exporter::port() const {
  return impl_->http->port();
}

void Exporter::publish_statistics(const Report& report, const Engine& engine) {
  const auto started = std::chrono::steady_clock::now();
  Impl& impl = *impl_;
  ++impl.generation;
  impl.publish_events(report.counters);
  impl.publish_decisions(report);
  impl.publish_groups(report);
  impl.publish_attributes(report);
  impl.publish_scores(engine);
  impl.remove_stale();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  impl.publish_duration->Set(took.count());
}

void Exporter::publish_operations(const OperationalSnapshot& snapshot) {
  Impl& impl = *impl_;
  impl.kafka_connected->Set(snapshot.kafka_connected ? 1 : 0);
  impl.assigned_partitions->Set(static_cast<double>(snapshot.assigned_partitions));
  if (snapshot.topic != impl.lag_topic) {
    impl.lag.remove(*impl.lag_family);
    impl.lag_topic = snapshot.topic;
  }
  std::optional<double> lag;
  if (snapshot.consumer_lag_messages) lag = static_cast<double>(*snapshot.consumer_lag_messages);
  impl.lag.set(*impl.lag_family, lag, [&impl] { return Labels{{"topic", impl.lag_topic}}; });
  impl.last_event.set(*impl.last_event_family, snapshot.last_event_timestamp_seconds,
                      [] { return Labels{}; });
  impl.checkpoint_success.set(*impl.checkpoint_success_family,
                              snapshot.checkpoint_last_success_timestamp_seconds,
                              [] { return Labels{}; });
  impl.checkpoint_failures.publish(snapshot.checkpoint_failures_total,
                                   "fairwatch_checkpoint_failures_total");
  impl.reload_successes.publish(snapshot.config_reloads_total, "fairwatch_config_reloads_total");
  impl.reload_failures.publish(snapshot.config_reload_failures_total,
                               "fairwatch_config_reloads_total");
  impl.kafka_errors.publish(snapshot.kafka_errors_total, "fairwatch_kafka_errors_total");
  impl.rebalances.publish(snapshot.rebalances_total, "fairwatch_kafka_rebalances_total");
  impl.dead_letter_failures.publish(snapshot.dead_letter_failures_total,
                                    "fairwatch_dead_letter_failures_total");
  impl.audit_failures.publish(snapshot.alert_audit_failures_total,
                              "fairwatch_alert_audit_failures_total");
}

void Exporter::publish_alerts(const std::vector<AlertStatus>& statuses,
                              const std::vector<AlertEvent>& events) {
  Impl& impl = *impl_;
  for (const AlertStatus& status : statuses) {
    const AlertLabels& labels = *status.labels;
    const bool firing = status.phase == detectors::AlertPhase::firing;
    if (is_operational(labels.kind)) {
      impl.operational_alerts[operational_index(labels.kind)]->Set(firing ? 1 : 0);
      continue;
    }
    impl.key.clear();
    append_key(impl.key, to_string(labels.kind));
    for (const std::string* part :
         {&labels.system, &labels.stage, &labels.attribute, &labels.group, &labels.window}) {
      append_key(impl.key, *part);
    }
    auto it = impl.alert_series.find(impl.key);
    if (it == impl.alert_series.end()) {
      if (!firing) continue;  // children appear once the series has fired
      AlertSeries series;
      series.warning =
          &impl.alert_active->Add(alert_labels(labels, detectors::AlertSeverity::warning));
      // Drift alerts are always warnings.
      if (labels.kind == AlertKind::adverse_impact) {
        series.critical =
            &impl.alert_active->Add(alert_labels(labels, detectors::AlertSeverity::critical));
      }
      it = impl.alert_series.emplace(impl.key, series).first;
    }
    const bool critical = status.severity == detectors::AlertSeverity::critical;
    it->second.warning->Set(firing && !critical ? 1 : 0);
    if (it->second.critical != nullptr) it->second.critical->Set(firing && critical ? 1 : 0);
  }
  for (const AlertEvent& event : events) {
    if (!event.reported()) continue;
    const bool resolved = event.transition.to != detectors::AlertPhase::firing;
    impl.transition_counters[transition_index(event.labels.kind, event.severity, resolved)]
        ->Increment();
  }
}

void Exporter::publish_sequential(const std::vector<SequentialStatus>& statuses) {
  Impl& impl = *impl_;
  for (const SequentialStatus& status : statuses) {
    impl.key.clear();
    for (const std::string* part :
         {&status.system, &status.stage, &status.attribute, &status.group}) {
      append_key(impl.key, *part);
    }
    auto it = impl.sequential_series.find(impl.key);
    if (it == impl.sequential_series.end()) {
      SequentialSeries series;
      series.labels = {{"system", status.system},
                       {"stage", status.stage},
                       {"attribute", status.attribute},
                       {"group", status.group}};
      for (const ChangeDetectorKind kind :
           {ChangeDetectorKind::impact_ratio, ChangeDetectorKind::selection_rate}) {
        Labels labels = series.labels;
        labels["detector"] = to_string(kind);
        const auto k = static_cast<std::size_t>(kind);
        series.change_detected[k] = &impl.change_detected->Add(labels);
        series.change_statistic[k] = &impl.change_statistic->Add(labels);
      }
      it = impl.sequential_series.emplace(impl.key, std::move(series)).first;
    }
    SequentialSeries& series = it->second;
    const auto finite = [](std::optional<double> value) {
      return value && std::isfinite(*value) ? value : std::nullopt;
    };
    const auto labels = [&] { return series.labels; };
    series.cs_lower.set(
        *impl.cs_lower,
        finite(status.ratio_bounds ? std::optional(status.ratio_bounds->lower) : std::nullopt),
        labels);
    series.cs_upper.set(
        *impl.cs_upper,
        finite(status.ratio_bounds ? std::optional(status.ratio_bounds->upper) : std::nullopt),
        labels);
    const auto impact = static_cast<std::size_t>(ChangeDetectorKind::impact_ratio);
    const auto selection = static_cast<std::size_t>(ChangeDetectorKind::selection_rate);
    series.change_detected[impact]->Set(status.impact_change_detected ? 1 : 0);
    series.change_detected[selection]->Set(status.selection_change_detected ? 1 : 0);
    series.change_statistic[impact]->Set(status.impact_progress);
    series.change_statistic[selection]->Set(status.selection_progress);
  }
}

void Exporter::publish_drift(const std::vector<DriftRow>& rows, std::uint64_t min_group_size) {
  Impl& impl = *impl_;
  for (const DriftRow& row : rows) {
    const std::string group = row.group.value_or("");
    const char* subject = to_string(row.subject);
    impl.key.clear();
    for (const std::string_view part :
         {std::string_view(row.window), std::string_view(row.system), std::string_view(row.stage),
          std::string_view(row.attribute), std::string_view(group), std::string_view(subject)}) {
      append_key(impl.key, part);
    }
    auto it = impl.drift_series.find(impl.key);
    if (it == impl.drift_series.end()) {
      DriftSeries series;
      series.labels = {{"system", row.system}, {"stage", row.stage},   {"attribute", row.attribute},
                       {"group", group},       {"window", row.window}, {"subject", subject}};
      it = impl.drift_series.emplace(impl.key, std::move(series)).first;
    }
    DriftSeries& series = it->second;
    const bool sized = row.baseline_n >= min_group_size && row.current_n >= min_group_size;
    const std::array<std::optional<double>, 4> values = {row.psi, row.js_divergence,
                                                         row.ks_statistic, row.ks_p_value};
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::optional<double> value =
          sized && values[i] && std::isfinite(*values[i]) ? values[i] : std::nullopt;
      series.gauges[i].set(*impl.drift_families[i], value, [&] { return series.labels; });
    }
  }
}

void Exporter::set_ready(bool ready, const std::string& reason) {
  impl_->readiness->set(ready, ready ? std::string() : reason);
}

}  // namespace fairwatch::daemon
