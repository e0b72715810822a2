// The typed configuration of fairwatch: plain structs with their defaults,
// filled from YAML by load_config(). A Config is immutable after loading and
// may be shared between threads for reading.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fairwatch::config {

// JSON pointers (RFC 6901) locating each event field.
struct FieldPointers {
  std::string id = "/event_id";          // required in events
  std::string time = "/timestamp";       // required: RFC 3339 string or epoch seconds number
  std::string system = "/system";        // required
  std::string stage = "/stage";          // required
  std::string stratum = "/requisition";  // optional in events; "" disables stratification
  std::string decision = "/decision";    // required
  std::string score = "/score";          // optional in events; "" disables scores
};

struct EventsConfig {
  FieldPointers fields;
  std::vector<std::string> favourable = {"selected"};
  std::vector<std::string> unfavourable = {"rejected"};
  std::int64_t allowed_lateness_seconds = 3600;  // `allowed_lateness: 1h`
  std::int64_t dedupe_horizon_seconds = 86400;   // `dedupe_horizon: 24h`
  // At most this many event-id hashes are remembered (about 56 bytes each);
  // beyond it the oldest are forgotten first, shortening the horizon.
  std::uint64_t dedupe_max_ids = 1'000'000;
  // Optional allow-lists; empty means any value is accepted.
  std::vector<std::string> systems;
  std::vector<std::string> stages;
};

struct AttributeConfig {
  std::string name;                 // e.g. "sex"; metric label value of `attribute`
  std::string field;                // JSON pointer, e.g. "/attributes/sex"
  std::vector<std::string> groups;  // configured groups; other values count as "unknown"
  int line = 0;                     // line in the config file, for messages
};

// An event-time sliding window, e.g. `24h`. The `all` window is implicit.
struct WindowConfig {
  std::string name;  // as written, e.g. "24h"
  std::int64_t length_seconds = 0;
};

enum class ReferenceKind { highest, named };
enum class CorrectionKind { none, holm, benjamini_hochberg };

struct StatisticsConfig {
  ReferenceKind reference = ReferenceKind::highest;
  // With ReferenceKind::named: the reference group per attribute name, from
  // `reference: {sex: male, ethnicity: white}`.
  std::map<std::string, std::string> reference_groups;
  std::uint64_t min_group_size = 30;
  double confidence = 0.95;
  CorrectionKind correction = CorrectionKind::holm;
};

struct ScoresConfig {
  double min = 0.0;  // scores outside [min, max] are rejected as bad_score
  double max = 1.0;
  int bins = 100;  // equal-width bins on [min, max] for windowed medians and scoring rates
};

// `source.kafka`: where decisions come from.
struct KafkaConfig {
  std::string brokers;  // required: "host:port,host:port"
  std::string topic;    // required
  std::string group_id = "fairwatch";
  // Passed verbatim to librdkafka. A value "${NAME}" is replaced by the
  // environment variable NAME; a key "K_file" sets K to the file's contents
  // (trailing newline removed). Resolved when the consumer starts; never logged.
  std::map<std::string, std::string> properties;
  std::string dead_letter_topic;  // "" = no dead-letter copies
};

struct SourceConfig {
  std::optional<KafkaConfig> kafka;  // absent: the daemon has nothing to consume
};

// `exporter`: the HTTP endpoint serving /metrics, /healthz and /readyz.
struct ExporterConfig {
  std::string listen = "0.0.0.0:9464";  // host:port; port 0 picks a free port
  // Upper bounds of the fairwatch_score histogram buckets (+Inf is implicit).
  std::vector<double> score_buckets = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
};

enum class OnConfigChange { refuse, discard };

// `checkpoint`: where and how often detector state and positions are saved.
struct CheckpointConfig {
  std::string path = "/var/lib/fairwatch";  // a directory; the file is <path>/checkpoint.bin
  std::int64_t interval_seconds = 10;
  // A checkpoint written with different attributes, groups, intersections,
  // windows or score grid: `refuse` to start, or `discard` it (kept aside as
  // checkpoint.bin.discarded) and rebuild from the oldest retained events.
  OnConfigChange on_config_change = OnConfigChange::refuse;
  // /readyz fails when the last successful checkpoint is older than this.
  std::int64_t max_age_seconds = 60;
};

// How adverse impact is detected (docs/statistics.md):
// confidence_sequence — anytime-valid bounds and a CUSUM change detector on
// counts since the start of the monitoring period, cleared on the shortest
// alerted window; fixed_window — the ratio and adjusted z test of each
// alerted window.
enum class AdverseImpactMethod { confidence_sequence, fixed_window };

// `alerts.adverse_impact`: per (system, stage, attribute, group, window).
struct AdverseImpactAlertConfig {
  AdverseImpactMethod method = AdverseImpactMethod::confidence_sequence;
  double ratio_below = 0.8;        // fires when the impact ratio is below this (and significant)
  double clear_above = 0.85;       // a firing alert clears only above this; >= ratio_below
  double critical_below = 0.5;     // severity critical below this; < ratio_below, > 0
  std::int64_t for_seconds = 900;  // `for: 15m` of event time the condition must hold
  // Names of the configured windows evaluated; empty = every configured
  // sliding window (never `all`). With confidence_sequence, the shortest of
  // them is the window a detection is cleared on (and its `window` label).
  std::vector<std::string> windows;
  // confidence_sequence: the impact ratio the change detector is tuned to
  // detect, in (0, 1), and the expected time between its false alarms per
  // group under no bias, in years of event time.
  double change_shift = 0.8;
  double change_false_alarm_years = 20;
};

// `alerts.drift`: per (system, stage, attribute, group or mix, window), when
// drift.baseline is set.
struct DriftAlertConfig {
  double psi_above = 0.25;           // fires when the PSI is above this …
  double clear_below = 0.2;          // … and clears once it is below this; <= psi_above
  std::optional<double> ks_p_below;  // also fires when the KS p-value is below this
  std::int64_t for_seconds = 3600;   // event time the condition must hold
  // Names of the windows evaluated (configured ones or `all`); empty = every
  // configured sliding window.
  std::vector<std::string> windows;
};

// `alerts`: alert evaluation in the daemon (docs/configuration.md).
struct AlertsConfig {
  AdverseImpactAlertConfig adverse_impact;
  DriftAlertConfig drift;
  std::int64_t stale_after_seconds = 1800;           // events_stale: no event for this long
  std::int64_t kafka_disconnected_for_seconds = 60;  // kafka_disconnected after this long
  std::int64_t lag_growing_for_seconds = 600;        // consumer_lag_growing: rising this long
  std::uint64_t lag_growing_min_messages = 1000;     // … and above this many messages
  std::uint64_t checkpoint_failures = 3;             // checkpoint_failing after this many in a row
  // The audit log file; nullopt = <checkpoint.path>/audit.jsonl; "" disables it.
  std::optional<std::string> audit_log;
};

// `drift`: score and applicant-mix drift against a baseline (docs/baseline-format.md).
struct DriftConfig {
  // Bin edges of the score histograms, strictly increasing, >= 2 entries.
  // Default: 10 equal-width bins on [0, 1] (edges i/10).
  std::vector<double> score_edges = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  // Raw scores kept per (system, stage, attribute, group) and window for the
  // Kolmogorov–Smirnov test; in [kMinSampleSize, kMaxSampleSize].
  std::uint64_t sample_size = 2000;
  static constexpr std::uint64_t kMinSampleSize = 60;  // one per bucket of a sliding window
  static constexpr std::uint64_t kMaxSampleSize = 10000;
  // A baseline file to compare against; "" = none (`fairwatch replay
  // --baseline FILE` overrides it). The daemon monitors drift only with one.
  std::string baseline;
  // How often the daemon recomputes the drift statistics (wall clock).
  std::int64_t interval_seconds = 60;
};

enum class LogLevel { debug, info, warning, error };

struct LoggingConfig {
  LogLevel level = LogLevel::info;
};

struct Config {
  std::string path;  // the file it was loaded from ("" when built in code)
  EventsConfig events;
  std::vector<AttributeConfig> attributes;
  std::vector<std::vector<std::string>> intersections;  // e.g. {{"sex", "ethnicity"}}
  std::vector<WindowConfig> windows = {{"24h", 86400}, {"7d", 604800}};
  StatisticsConfig statistics;
  ScoresConfig scores;
  SourceConfig source;
  ExporterConfig exporter;
  CheckpointConfig checkpoint;
  AlertsConfig alerts;
  DriftConfig drift;
  LoggingConfig logging;
};

// Where the audit log goes: alerts.audit_log, or <checkpoint.path>/audit.jsonl
// by default; "" when disabled.
std::string audit_log_path(const Config& config);

}  // namespace fairwatch::config
