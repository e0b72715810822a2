#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "fairwatch/config/load.h"

namespace fairwatch::config {
namespace {

const std::string kExamples = std::string(FAIRWATCH_SOURCE_DIR) + "/config/examples/";

// The errors of loading `yaml` as "test.yaml", formatted; empty when valid.
std::vector<std::string> errors_of(const std::string& yaml) {
  const LoadResult result = load_config_from_string(yaml, "test.yaml");
  std::vector<std::string> errors;
  if (const auto* list = std::get_if<std::vector<ConfigError>>(&result)) {
    for (const ConfigError& error : *list) {
      errors.push_back(error.to_string());
    }
  }
  return errors;
}

// The config loaded from `yaml`; fails the test when invalid.
Config valid(const std::string& yaml) {
  const std::vector<std::string> errors = errors_of(yaml);
  EXPECT_EQ(errors, std::vector<std::string>{});
  const LoadResult result = load_config_from_string(yaml, "test.yaml");
  return std::holds_alternative<Config>(result) ? std::get<Config>(result) : Config{};
}

Config valid_file(const std::string& path) {
  LoadResult result = load_config_file(path);
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&result)) {
    for (const ConfigError& error : *errors) {
      ADD_FAILURE() << error.to_string();
    }
    return Config{};
  }
  return std::get<Config>(std::move(result));
}

const std::string kAttribute = "attributes: [{name: sex, field: /sex, groups: [female, male]}]\n";

// ---------------------------------------------------------------- examples

TEST(ConfigExamples, DemoLoads) {
  const Config config = valid_file(kExamples + "demo.yaml");
  EXPECT_EQ(config.path, kExamples + "demo.yaml");
  ASSERT_EQ(config.attributes.size(), 4u);
  EXPECT_EQ(config.attributes[0].name, "sex");
  EXPECT_EQ(config.attributes[0].field, "/attributes/sex");
  EXPECT_EQ(config.attributes[0].groups,
            (std::vector<std::string>{"female", "male", "non-binary"}));
  EXPECT_EQ(config.attributes[1].groups,
            (std::vector<std::string>{"asian", "black", "mixed", "white", "other"}));
  EXPECT_EQ(config.attributes[2].name, "age_band");
  EXPECT_EQ(config.attributes[2].groups,
            (std::vector<std::string>{"<25", "25-39", "40-54", "55+"}));
  EXPECT_EQ(config.attributes[3].field, "/attributes/disability");
  EXPECT_EQ(config.attributes[3].groups, (std::vector<std::string>{"yes", "no"}));
  EXPECT_GT(config.attributes[0].line, 0);
  EXPECT_LT(config.attributes[0].line, config.attributes[1].line);
  EXPECT_EQ(config.intersections, (std::vector<std::vector<std::string>>{{"sex", "ethnicity"}}));
  ASSERT_EQ(config.windows.size(), 4u);
  EXPECT_EQ(config.windows[0].name, "1h");
  EXPECT_EQ(config.windows[0].length_seconds, 3600);
  EXPECT_EQ(config.windows[3].name, "30d");
  EXPECT_EQ(config.windows[3].length_seconds, 30 * 86400);
  EXPECT_EQ(config.events.favourable, (std::vector<std::string>{"selected", "advance", "offer"}));
  EXPECT_EQ(config.events.unfavourable, std::vector<std::string>{"rejected"});
  EXPECT_EQ(config.statistics.reference, ReferenceKind::highest);
  EXPECT_EQ(config.statistics.min_group_size, 30u);
  EXPECT_DOUBLE_EQ(config.statistics.confidence, 0.95);
  EXPECT_EQ(config.statistics.correction, CorrectionKind::holm);
}

TEST(ConfigExamples, MinimalLoadsWithOneAttribute) {
  const Config config = valid_file(kExamples + "minimal.yaml");
  ASSERT_EQ(config.attributes.size(), 1u);
  EXPECT_EQ(config.attributes[0].name, "sex");
  EXPECT_EQ(config.attributes[0].groups, (std::vector<std::string>{"female", "male"}));
  EXPECT_EQ(config.attributes[0].line, 4);
}

// fairwatch.yaml writes every default out: it must load to the struct defaults.
TEST(ConfigExamples, ReferenceExampleHoldsTheDefaults) {
  const Config config = valid_file(kExamples + "fairwatch.yaml");
  const Config defaults;
  EXPECT_EQ(config.events.fields.id, defaults.events.fields.id);
  EXPECT_EQ(config.events.fields.time, defaults.events.fields.time);
  EXPECT_EQ(config.events.fields.system, defaults.events.fields.system);
  EXPECT_EQ(config.events.fields.stage, defaults.events.fields.stage);
  EXPECT_EQ(config.events.fields.stratum, defaults.events.fields.stratum);
  EXPECT_EQ(config.events.fields.decision, defaults.events.fields.decision);
  EXPECT_EQ(config.events.fields.score, defaults.events.fields.score);
  EXPECT_EQ(config.events.favourable, defaults.events.favourable);
  EXPECT_EQ(config.events.unfavourable, defaults.events.unfavourable);
  EXPECT_EQ(config.events.allowed_lateness_seconds, defaults.events.allowed_lateness_seconds);
  EXPECT_EQ(config.events.dedupe_horizon_seconds, defaults.events.dedupe_horizon_seconds);
  EXPECT_EQ(config.events.dedupe_max_ids, defaults.events.dedupe_max_ids);
  EXPECT_EQ(config.events.systems, defaults.events.systems);
  EXPECT_EQ(config.events.stages, defaults.events.stages);
  EXPECT_EQ(config.intersections, defaults.intersections);
  ASSERT_EQ(config.windows.size(), defaults.windows.size());
  for (std::size_t i = 0; i < config.windows.size(); ++i) {
    EXPECT_EQ(config.windows[i].name, defaults.windows[i].name);
    EXPECT_EQ(config.windows[i].length_seconds, defaults.windows[i].length_seconds);
  }
  EXPECT_EQ(config.statistics.reference, defaults.statistics.reference);
  EXPECT_EQ(config.statistics.reference_groups, defaults.statistics.reference_groups);
  EXPECT_EQ(config.statistics.min_group_size, defaults.statistics.min_group_size);
  EXPECT_EQ(config.statistics.confidence, defaults.statistics.confidence);
  EXPECT_EQ(config.statistics.correction, defaults.statistics.correction);
  EXPECT_EQ(config.scores.min, defaults.scores.min);
  EXPECT_EQ(config.scores.max, defaults.scores.max);
  EXPECT_EQ(config.scores.bins, defaults.scores.bins);
  EXPECT_FALSE(config.source.kafka.has_value());
  EXPECT_EQ(config.exporter.listen, defaults.exporter.listen);
  EXPECT_EQ(config.exporter.score_buckets, defaults.exporter.score_buckets);
  EXPECT_EQ(config.checkpoint.path, defaults.checkpoint.path);
  EXPECT_EQ(config.checkpoint.interval_seconds, defaults.checkpoint.interval_seconds);
  EXPECT_EQ(config.checkpoint.on_config_change, defaults.checkpoint.on_config_change);
  EXPECT_EQ(config.checkpoint.max_age_seconds, defaults.checkpoint.max_age_seconds);
  EXPECT_EQ(config.logging.level, defaults.logging.level);
  EXPECT_EQ(config.drift.score_edges, defaults.drift.score_edges);
  EXPECT_EQ(config.drift.sample_size, defaults.drift.sample_size);
  EXPECT_EQ(config.drift.baseline, defaults.drift.baseline);
  const auto& alert = config.alerts.adverse_impact;
  EXPECT_EQ(alert.ratio_below, defaults.alerts.adverse_impact.ratio_below);
  EXPECT_EQ(alert.clear_above, defaults.alerts.adverse_impact.clear_above);
  EXPECT_EQ(alert.critical_below, defaults.alerts.adverse_impact.critical_below);
  EXPECT_EQ(alert.for_seconds, defaults.alerts.adverse_impact.for_seconds);
  EXPECT_EQ(alert.windows, defaults.alerts.adverse_impact.windows);
  EXPECT_EQ(alert.method, AdverseImpactMethod::confidence_sequence);
  EXPECT_EQ(alert.change_shift, 0.8);
  EXPECT_EQ(alert.change_false_alarm_years, 20);
  EXPECT_EQ(config.alerts.stale_after_seconds, defaults.alerts.stale_after_seconds);
  EXPECT_EQ(config.alerts.kafka_disconnected_for_seconds,
            defaults.alerts.kafka_disconnected_for_seconds);
  EXPECT_EQ(config.alerts.lag_growing_for_seconds, defaults.alerts.lag_growing_for_seconds);
  EXPECT_EQ(config.alerts.lag_growing_min_messages, defaults.alerts.lag_growing_min_messages);
  EXPECT_EQ(config.alerts.checkpoint_failures, defaults.alerts.checkpoint_failures);
  EXPECT_EQ(config.alerts.audit_log, defaults.alerts.audit_log);
  EXPECT_EQ(audit_log_path(config), "/var/lib/fairwatch/audit.jsonl");
  ASSERT_EQ(config.attributes.size(), 1u);
}

// ---------------------------------------------------------------- alerts

TEST(ConfigAlerts, ReadsEveryKeyAndResolvesWindowsByLength) {
  const Config config = valid(kAttribute +
                              "windows: [1h, 24h, 7d]\n"
                              "checkpoint: {path: /srv/fw}\n"
                              "alerts:\n"
                              "  adverse_impact: {ratio_below: 0.75, clear_above: 0.9, "
                              "critical_below: 0.4, for: 30m, windows: [1d, 7d], "
                              "method: fixed_window, change_shift: 0.7, "
                              "change_false_alarm_years: 50}\n"
                              "  stale_after: 2h\n"
                              "  kafka_disconnected_for: 90s\n"
                              "  lag_growing_for: 5m\n"
                              "  lag_growing_min_messages: 10\n"
                              "  checkpoint_failures: 5\n"
                              "  audit_log: /srv/audit/fw.jsonl\n");
  const AdverseImpactAlertConfig& alert = config.alerts.adverse_impact;
  EXPECT_EQ(alert.ratio_below, 0.75);
  EXPECT_EQ(alert.clear_above, 0.9);
  EXPECT_EQ(alert.critical_below, 0.4);
  EXPECT_EQ(alert.for_seconds, 1800);
  EXPECT_EQ(alert.windows, (std::vector<std::string>{"24h", "7d"}));  // 1d is the 24h window
  EXPECT_EQ(alert.method, AdverseImpactMethod::fixed_window);
  EXPECT_EQ(alert.change_shift, 0.7);
  EXPECT_EQ(alert.change_false_alarm_years, 50);
  EXPECT_EQ(config.alerts.stale_after_seconds, 7200);
  EXPECT_EQ(config.alerts.kafka_disconnected_for_seconds, 90);
  EXPECT_EQ(config.alerts.lag_growing_for_seconds, 300);
  EXPECT_EQ(config.alerts.lag_growing_min_messages, 10u);
  EXPECT_EQ(config.alerts.checkpoint_failures, 5u);
  EXPECT_EQ(audit_log_path(config), "/srv/audit/fw.jsonl");

  EXPECT_EQ(audit_log_path(valid(kAttribute + "checkpoint: {path: /srv/fw}\n")),
            "/srv/fw/audit.jsonl");
  EXPECT_EQ(audit_log_path(valid(kAttribute + "alerts: {audit_log: \"\"}\n")), "");
}

TEST(ConfigAlerts, ThresholdOrderDurationsWindowsAndUnknownKeysAreErrors) {
  EXPECT_EQ(
      errors_of(kAttribute + "windows: [1h, 24h]\n"
                             "alerts:\n"
                             "  adverse_impact: {ratio_below: 0.8, clear_above: 0.7, for: 0s, "
                             "windows: [7d, all, 1h, 60m]}\n"
                             "  stale_after: soon\n"
                             "  checkpoint_failures: 0\n"
                             "  pager: on\n"),
      (std::vector<std::string>{
          "test.yaml:4:51: alerts.adverse_impact.clear_above: expected clear_above >= "
          "ratio_below (0.7 < 0.8), got \"0.7\"",
          "test.yaml:4:61: alerts.adverse_impact.for: expected a duration of at least 1s, "
          "e.g. 15m, got \"0s\"",
          "test.yaml:4:75: alerts.adverse_impact.windows[0]: expected one of the configured "
          "windows (1h, 24h), got \"7d\"",
          "test.yaml:4:79: alerts.adverse_impact.windows[1]: expected one of the configured "
          "windows (1h, 24h), got \"all\"",
          "test.yaml:4:88: alerts.adverse_impact.windows[3]: expected one of the configured "
          "windows (1h, 24h), each once, got \"60m\"",
          "test.yaml:5:16: alerts.stale_after: expected a duration of at least 1s, e.g. 30m, "
          "got \"soon\"",
          "test.yaml:6:24: alerts.checkpoint_failures: expected an integer in [1, 1000000], "
          "got \"0\"",
          "test.yaml:7:3: alerts.pager: unknown key; expected one of: adverse_impact, drift, "
          "stale_after, kafka_disconnected_for, lag_growing_for, lag_growing_min_messages, "
          "checkpoint_failures, audit_log",
      }));
  EXPECT_EQ(errors_of(kAttribute + "alerts: {adverse_impact: {critical_below: 0.8}}\n"),
            (std::vector<std::string>{
                "test.yaml:2:43: alerts.adverse_impact.critical_below: expected critical_below < "
                "ratio_below (0.8 >= 0.8), got \"0.8\""}));
  EXPECT_EQ(errors_of(kAttribute + "alerts: {adverse_impact: {ratio_below: 1.5}}\n"),
            (std::vector<std::string>{"test.yaml:2:40: alerts.adverse_impact.ratio_below: "
                                      "expected a number in (0, 1], got \"1.5\""}));
  EXPECT_EQ(errors_of(kAttribute + "alerts: {adverse_impact: {method: sprt, change_shift: 1, "
                                   "change_false_alarm_years: 0}}\n"),
            (std::vector<std::string>{
                "test.yaml:2:35: alerts.adverse_impact.method: expected one of "
                "confidence_sequence, fixed_window, got \"sprt\"",
                "test.yaml:2:55: alerts.adverse_impact.change_shift: expected a number in "
                "(0, 1), e.g. 0.8, got \"1\"",
                "test.yaml:2:84: alerts.adverse_impact.change_false_alarm_years: expected a "
                "number of years in [0.1, 1000], e.g. 20, got \"0\""}));
}

TEST(ConfigDaemonSections, ReadKafkaExporterCheckpointAndLogging) {
  const LoadResult result = load_config_from_string(
      "attributes: [{name: sex, field: /sex, groups: [female, male]}]\n"
      "source:\n"
      "  kafka:\n"
      "    brokers: 127.0.0.1:9092\n"
      "    topic: decisions\n"
      "    properties: {session.timeout.ms: 6000, sasl.password_file: /run/secrets/k}\n"
      "    dead_letter_topic: decisions.dlq\n"
      "exporter: {listen: 127.0.0.1:0, score_buckets: [0.25, 0.5, 1]}\n"
      "checkpoint: {path: /tmp/fw, interval: 2s, on_config_change: discard, max_age: 30s}\n"
      "logging: {level: debug}\n",
      "test.yaml");
  ASSERT_TRUE(std::holds_alternative<Config>(result));
  const Config& config = std::get<Config>(result);
  ASSERT_TRUE(config.source.kafka.has_value());
  EXPECT_EQ(config.source.kafka->brokers, "127.0.0.1:9092");
  EXPECT_EQ(config.source.kafka->group_id, "fairwatch");
  EXPECT_EQ(config.source.kafka->properties.at("session.timeout.ms"), "6000");
  EXPECT_EQ(config.source.kafka->properties.at("sasl.password_file"), "/run/secrets/k");
  EXPECT_EQ(config.source.kafka->dead_letter_topic, "decisions.dlq");
  EXPECT_EQ(config.exporter.listen, "127.0.0.1:0");
  EXPECT_EQ(config.exporter.score_buckets, (std::vector<double>{0.25, 0.5, 1}));
  EXPECT_EQ(config.checkpoint.interval_seconds, 2);
  EXPECT_EQ(config.checkpoint.on_config_change, OnConfigChange::discard);
  EXPECT_EQ(config.logging.level, LogLevel::debug);
}

TEST(ConfigDaemonSections, EveryProblemIsReported) {
  EXPECT_EQ(errors_of(kAttribute + "source:\n"
                                   "  kafka: {topic: t, dead_letter_topic: t}\n"
                                   "exporter: {listen: 'localhost', score_buckets: [0.5, 0.2]}\n"
                                   "checkpoint: {interval: 0s, on_config_change: keep}\n"
                                   "logging: {level: loud}\n"),
            (std::vector<std::string>{
                "test.yaml:3:10: source.kafka.brokers: missing required key; expected a "
                "non-empty list \"host:port,host:port\"",
                "test.yaml:3:40: source.kafka.dead_letter_topic: expected a topic other than "
                "source.kafka.topic, got \"t\"",
                "test.yaml:4:20: exporter.listen: expected an address host:port with a port in "
                "[0, 65535], got \"localhost\"",
                "test.yaml:4:54: exporter.score_buckets[1]: expected a number greater than the "
                "previous one (0.5), got \"0.2\"",
                "test.yaml:5:24: checkpoint.interval: expected a duration of at least 1s, e.g. "
                "10s, got \"0s\"",
                "test.yaml:5:46: checkpoint.on_config_change: expected one of refuse, discard, "
                "got \"keep\"",
                "test.yaml:6:18: logging.level: expected one of debug, info, warning, error, got "
                "\"loud\""}));
}

TEST(ConfigExamples, EveryExampleIsValid) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    SCOPED_TRACE(entry.path().string());
    valid_file(entry.path().string());
    ++count;
  }
  EXPECT_GE(count, 3);
}

// ---------------------------------------------------------------- errors

TEST(ConfigErrors, ReportsEveryProblemWithLineColumnAndKey) {
  const std::string yaml =
      "events:\n"                                                                  // 1
      "  fields: {id: event_id, time: /ts~2, stratum: \"\", score: 5}\n"           // 2
      "  favourable: [selected, \"\"]\n"                                           // 3
      "  unfavourable: [rejected, selected]\n"                                     // 4
      "  allowed_lateness: 1 hour\n"                                               // 5
      "  dedupe_horizon: -5m\n"                                                    // 6
      "  systems: screener\n"                                                      // 7
      "attributes:\n"                                                              // 8
      "  - name: sex\n"                                                            // 9
      "    field: /attributes/sex\n"                                               // 10
      "    groups: [female, male, female, unknown]\n"                              // 11
      "  - name: 2nd\n"                                                            // 12
      "    field: /attributes/x\n"                                                 // 13
      "    groups: [only]\n"                                                       // 14
      "  - field: /attributes/age\n"                                               // 15
      "    groups: [yes, no, \"a*b\", \"\"]\n"                                     // 16
      "  - name: sex\n"                                                            // 17
      "    field: attributes/sex2\n"                                               // 18
      "    groups: {a: b}\n"                                                       // 19
      "intersections: [[sex], [sex, race], [sex, sex], [sex, 2nd], [2nd, sex]]\n"  // 20
      "windows: [24h, 1d, all, 0s, 90]\n"                                          // 21
      "statistics:\n"                                                              // 22
      "  reference: {sex: mal, race: x}\n"                                         // 23
      "  min_group_size: -1\n"                                                     // 24
      "  confidence: 1.5x\n"                                                       // 25
      "  correction: bonferroni\n"                                                 // 26
      "scores: {min: 1, max: 0.5, bins: 0}\n";                                     // 27
  const std::vector<std::string> expected = {
      R"(test.yaml:2:16: events.fields.id: expected a JSON pointer starting with "/", got "event_id")",
      R"(test.yaml:2:32: events.fields.time: expected a JSON pointer with "~" only in "~0" or "~1", got "/ts~2")",
      R"(test.yaml:2:59: events.fields.score: expected "" (disabled) or a JSON pointer starting with "/", got "5")",
      R"(test.yaml:3:26: events.favourable[1]: expected a non-empty decision value, got "")",
      R"(test.yaml:4:28: events.unfavourable[1]: expected a decision value not also in events.favourable, got "selected")",
      R"(test.yaml:5:21: events.allowed_lateness: expected a duration such as 90s, 15m, 1h, 7d or 2w, got "1 hour")",
      R"(test.yaml:6:19: events.dedupe_horizon: expected a duration such as 90s, 15m, 1h, 7d or 2w, got "-5m")",
      R"(test.yaml:7:12: events.systems: expected a list of system names, got "screener")",
      R"(test.yaml:11:28: attributes[0].groups[2]: expected each value once, got "female" again (first at line 11, column 14))",
      R"(test.yaml:11:36: attributes[0].groups[3]: expected a group name other than "unknown" (reserved for values outside the groups), got "unknown")",
      R"(test.yaml:12:11: attributes[1].name: expected a name matching [A-Za-z_][A-Za-z0-9_]*, got "2nd")",
      R"(test.yaml:14:13: attributes[1].groups: expected a list of at least 2 group names, got a list of 1 item)",
      R"(test.yaml:15:5: attributes[2].name: missing required key; expected a name matching [A-Za-z_][A-Za-z0-9_]*)",
      R"(test.yaml:16:23: attributes[2].groups[2]: expected a group name without "*" (reserved for intersections), got "a*b")",
      R"(test.yaml:16:30: attributes[2].groups[3]: expected a non-empty group name, got "")",
      R"(test.yaml:17:11: attributes[3].name: expected each value once, got "sex" again (first at line 9, column 11))",
      R"(test.yaml:18:12: attributes[3].field: expected a JSON pointer starting with "/", got "attributes/sex2")",
      R"(test.yaml:19:13: attributes[3].groups: expected a list of at least 2 group names, got a map)",
      R"(test.yaml:20:17: intersections[0]: expected a list of at least 2 attribute names, got a list of 1 item)",
      R"(test.yaml:20:30: intersections[1][1]: expected a configured attribute (sex, 2nd), got "race")",
      R"(test.yaml:20:43: intersections[2][1]: expected each value once, got "sex" again (first at line 20, column 38))",
      R"(test.yaml:20:61: intersections[4]: expected each intersection once, got the attributes of intersections[3] again (first at line 20, column 49))",
      R"(test.yaml:21:16: windows[1]: expected windows of distinct lengths, got "1d", the same length as "24h" (first at line 21, column 11))",
      R"(test.yaml:21:20: windows[2]: expected a duration > 0 such as 1h, 24h, 7d or 30d ("all" is implicit and reserved), got "all")",
      R"(test.yaml:21:25: windows[3]: expected a duration > 0 such as 1h, 24h, 7d or 30d, got "0s")",
      R"(test.yaml:21:29: windows[4]: expected a duration > 0 such as 1h, 24h, 7d or 30d, got "90")",
      R"(test.yaml:23:20: statistics.reference.sex: expected one of the groups of "sex" (female, male), got "mal")",
      R"(test.yaml:23:25: statistics.reference.race: expected a configured attribute (sex, 2nd), got "race")",
      R"(test.yaml:24:19: statistics.min_group_size: expected an integer >= 0, got "-1")",
      R"(test.yaml:25:15: statistics.confidence: expected a number in (0, 1), got "1.5x")",
      R"(test.yaml:26:15: statistics.correction: expected one of none, holm, benjamini_hochberg (or its alias bh), got "bonferroni")",
      R"(test.yaml:27:23: scores.max: expected a number greater than scores.min (1), got "0.5")",
      R"(test.yaml:27:34: scores.bins: expected an integer in [1, 10000], got "0")",
  };
  EXPECT_EQ(errors_of(yaml), expected);
}

TEST(ConfigErrors, StructuredErrorCarriesFileLineColumnAndKey) {
  const LoadResult result =
      load_config_from_string(kAttribute + "statistics: {confidence: 1}\n", "a.yaml");
  const auto* errors = std::get_if<std::vector<ConfigError>>(&result);
  ASSERT_NE(errors, nullptr);
  ASSERT_EQ(errors->size(), 1u);
  const ConfigError& error = errors->front();
  EXPECT_EQ(error.file, "a.yaml");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 26);
  EXPECT_EQ(error.key, "statistics.confidence");
  EXPECT_EQ(error.message, R"(expected a number in (0, 1), got "1")");
}

TEST(ConfigErrors, MissingAttributesIsReportedAtTheDocument) {
  EXPECT_EQ(errors_of("windows: [1h]\n"),
            std::vector<std::string>{
                "test.yaml:1:1: attributes: missing required key; expected a non-empty list of "
                "attributes, each {name, field, groups}"});
  EXPECT_EQ(errors_of("attributes: []\n"),
            std::vector<std::string>{"test.yaml:1:13: attributes: expected a non-empty list of "
                                     "attributes, each {name, field, groups}, got an empty list"});
}

TEST(ConfigErrors, MissingAttributeKeysAreReportedAtTheAttribute) {
  EXPECT_EQ(
      errors_of("attributes:\n"
                "  - {name: sex}\n"),
      (std::vector<std::string>{
          R"(test.yaml:2:5: attributes[0].field: missing required key; expected a JSON pointer starting with "/")",
          "test.yaml:2:5: attributes[0].groups: missing required key; expected a list of at least "
          "2 group names"}));
}

TEST(ConfigErrors, WrongTypesNameWhatWasFound) {
  EXPECT_EQ(
      errors_of(kAttribute + "events: [a]\n"
                             "windows: 24h\n"
                             "statistics: {min_group_size: 2.5, reference: [sex]}\n"
                             "scores: {bins: {a: 1}}\n"),
      (std::vector<std::string>{
          R"(test.yaml:2:9: events: expected a map, got a list of 1 item)",
          R"(test.yaml:3:10: windows: expected a list of durations such as [1h, 24h, 7d], got "24h")",
          R"(test.yaml:4:30: statistics.min_group_size: expected an integer >= 0, got "2.5")",
          R"(test.yaml:4:46: statistics.reference: expected "highest" or a map from attribute name to group name, got a list of 1 item)",
          R"(test.yaml:5:16: scores.bins: expected an integer in [1, 10000], got a map)",
      }));
}

TEST(ConfigErrors, NullValuesAreReportedAtTheirKey) {
  EXPECT_EQ(errors_of(kAttribute + "statistics:\n"
                                   "scores:\n"
                                   "  min:\n"),
            (std::vector<std::string>{
                "test.yaml:2:1: statistics: expected a map, got null",
                "test.yaml:4:3: scores.min: expected a number, got null",
            }));
}

TEST(ConfigErrors, ScoreBoundsAreCompared) {
  EXPECT_EQ(
      errors_of(kAttribute + "scores: {min: 2}\n"),
      std::vector<std::string>{
          R"(test.yaml:2:15: scores.min: expected a number less than scores.max (1), got "2")"});
  EXPECT_EQ(
      errors_of(kAttribute + "scores: {min: 1, max: 1}\n"),
      std::vector<std::string>{
          R"(test.yaml:2:23: scores.max: expected a number greater than scores.min (1), got "1")"});
  EXPECT_EQ(errors_of(kAttribute + "scores: {max: inf, bins: 10001}\n"),
            (std::vector<std::string>{
                R"(test.yaml:2:15: scores.max: expected a number, got "inf")",
                R"(test.yaml:2:26: scores.bins: expected an integer in [1, 10000], got "10001")"}));
}

TEST(ConfigErrors, ReferenceMustNameConfiguredGroups) {
  EXPECT_EQ(
      errors_of(kAttribute + "statistics: {reference: {sex: [male]}}\n"),
      std::vector<std::string>{
          R"(test.yaml:2:31: statistics.reference.sex: expected one of the groups of "sex" (female, male), got a list of 1 item)"});
  EXPECT_EQ(
      errors_of(kAttribute + "statistics: {reference: lowest}\n"),
      std::vector<std::string>{
          R"(test.yaml:2:25: statistics.reference: expected "highest" or a map from attribute name to group name, got "lowest")"});
  EXPECT_EQ(
      errors_of(kAttribute + "statistics: {reference: {}}\n"),
      std::vector<std::string>{
          R"(test.yaml:2:25: statistics.reference: expected "highest" or a map from attribute name to group name, got an empty map)"});
}

TEST(ConfigErrors, DuplicateKeysAreErrors) {
  EXPECT_EQ(errors_of(kAttribute + "windows: [1h]\n"
                                   "windows: [2h]\n"),
            std::vector<std::string>{
                "test.yaml:3:1: windows: expected each key once, got it again (first at line 2, "
                "column 1)"});
}

TEST(ConfigErrors, EmptyDocumentIsOneError) {
  EXPECT_EQ(errors_of(""),
            std::vector<std::string>{"test.yaml:1:1: expected a map with at least the key "
                                     "\"attributes\", got an empty document"});
  EXPECT_EQ(errors_of("# only a comment\n"),
            std::vector<std::string>{"test.yaml:1:1: expected a map with at least the key "
                                     "\"attributes\", got an empty document"});
  EXPECT_EQ(errors_of("just text\n"),
            std::vector<std::string>{R"(test.yaml:1:1: expected a map, got "just text")"});
}

TEST(ConfigErrors, UnreadableFileIsOneError) {
  const LoadResult missing = load_config_file("/nonexistent/fairwatch.yaml");
  const auto* errors = std::get_if<std::vector<ConfigError>>(&missing);
  ASSERT_NE(errors, nullptr);
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ(errors->front().to_string(),
            "/nonexistent/fairwatch.yaml: cannot read the file: No such file or directory");

  const LoadResult directory = load_config_file(kExamples);
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(directory));
  EXPECT_EQ(std::get<std::vector<ConfigError>>(directory).front().message,
            "cannot read the file: it is a directory");
}

// ---------------------------------------------------------------- unknown keys

TEST(ConfigUnknownKeys, AtTopLevelListTheAllowedKeys) {
  EXPECT_EQ(
      errors_of(kAttribute + "pager: {}\n"),
      std::vector<std::string>{
          "test.yaml:2:1: pager: unknown key; expected one of: events, attributes, intersections, "
          "windows, statistics, scores, source, exporter, checkpoint, alerts, drift, logging"});
}

TEST(ConfigUnknownKeys, CloseMisspellingsGetASuggestion) {
  EXPECT_EQ(errors_of("atributes: [{name: sex, field: /sex, groups: [female, male]}]\n"),
            (std::vector<std::string>{
                "test.yaml:1:1: atributes: unknown key; expected one of: events, attributes, "
                "intersections, windows, statistics, scores, source, exporter, checkpoint, alerts, "
                "drift, logging (did you mean \"attributes\"?)",
                "test.yaml:1:1: attributes: missing required key; expected a non-empty list of "
                "attributes, each {name, field, groups}"}));
}

TEST(ConfigUnknownKeys, InNestedMapsCarryTheDottedPath) {
  EXPECT_EQ(
      errors_of("attributes:\n"
                "  - {name: sex, field: /sex, groups: [female, male], labels: [x]}\n"
                "events:\n"
                "  fields: {decison: /d}\n"
                "statistics: {confidance: 0.9}\n"),
      (std::vector<std::string>{
          "test.yaml:2:54: attributes[0].labels: unknown key; expected one of: name, field, groups",
          "test.yaml:4:12: events.fields.decison: unknown key; expected one of: id, time, system, "
          "stage, stratum, decision, score (did you mean \"decision\"?)",
          "test.yaml:5:14: statistics.confidance: unknown key; expected one of: reference, "
          "min_group_size, confidence, correction (did you mean \"confidence\"?)"}));
}

// ---------------------------------------------------------------- syntax

TEST(ConfigSyntax, ASyntaxErrorIsOneErrorWithItsPosition) {
  EXPECT_EQ(errors_of("attributes:\n"
                      "  - {name: sex, field: /sex, groups: [female, male}\n"
                      "windows: [1h\n"),
            std::vector<std::string>{"test.yaml:2:51: invalid YAML: illegal flow end"});
}

TEST(ConfigSyntax, BadIndentationIsASyntaxError) {
  const std::vector<std::string> errors = errors_of(kAttribute +
                                                    "statistics:\n"
                                                    "  confidence: 0.9\n"
                                                    " correction: holm\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.yaml:4:", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("invalid YAML: "), std::string::npos) << errors[0];
}

TEST(ConfigSyntax, UndefinedAliasIsASyntaxError) {
  EXPECT_EQ(errors_of(kAttribute + "windows: *short\n"),
            std::vector<std::string>{
                "test.yaml:2:10: invalid YAML: the referenced anchor is not defined"});
}

TEST(ConfigSyntax, OnlyOneDocumentIsAllowed) {
  EXPECT_EQ(
      errors_of(kAttribute + "---\n" + kAttribute),
      std::vector<std::string>{"test.yaml:3:1: expected a single YAML document, got document 2"});
}

// ---------------------------------------------------------------- durations

TEST(ConfigDuration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration_seconds("0s"), 0);
  EXPECT_EQ(parse_duration_seconds("90s"), 90);
  EXPECT_EQ(parse_duration_seconds("15m"), 900);
  EXPECT_EQ(parse_duration_seconds("1h"), 3600);
  EXPECT_EQ(parse_duration_seconds("24h"), 86400);
  EXPECT_EQ(parse_duration_seconds("7d"), 604800);
  EXPECT_EQ(parse_duration_seconds("2w"), 1209600);
}

TEST(ConfigDuration, RejectsMalformedText) {
  for (const char* text : {"", "h", "1", "1x", "1.5h", "-1h", "+1h", "1 h", " 1h", "1h ", "1hh",
                           "1H", "99999999999999999999s", "9223372036854775807w"}) {
    EXPECT_EQ(parse_duration_seconds(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(ConfigDuration, DurationsInTheConfigAreSeconds) {
  const Config config = valid(kAttribute +
                              "events: {allowed_lateness: 0s, dedupe_horizon: 2w}\n"
                              "windows: [90s, 15m, 1h, 1d, 1w]\n");
  EXPECT_EQ(config.events.allowed_lateness_seconds, 0);
  EXPECT_EQ(config.events.dedupe_horizon_seconds, 1209600);
  ASSERT_EQ(config.windows.size(), 5u);
  EXPECT_EQ(config.windows[0].name, "90s");
  EXPECT_EQ(config.windows[0].length_seconds, 90);
  EXPECT_EQ(config.windows[4].name, "1w");
  EXPECT_EQ(config.windows[4].length_seconds, 604800);
}

// ---------------------------------------------------------------- defaults and values

TEST(ConfigDefaults, OmittedSectionsKeepTheStructDefaults) {
  const Config config = valid(kAttribute);
  const Config defaults;
  EXPECT_EQ(config.path, "test.yaml");
  EXPECT_EQ(config.events.fields.id, "/event_id");
  EXPECT_EQ(config.events.fields.stratum, "/requisition");
  EXPECT_EQ(config.events.fields.score, "/score");
  EXPECT_EQ(config.events.favourable, std::vector<std::string>{"selected"});
  EXPECT_EQ(config.events.unfavourable, std::vector<std::string>{"rejected"});
  EXPECT_EQ(config.events.allowed_lateness_seconds, 3600);
  EXPECT_EQ(config.events.dedupe_horizon_seconds, 86400);
  EXPECT_TRUE(config.events.systems.empty());
  EXPECT_TRUE(config.intersections.empty());
  ASSERT_EQ(config.windows.size(), 2u);
  EXPECT_EQ(config.windows[0].length_seconds, 86400);
  EXPECT_EQ(config.windows[1].length_seconds, 604800);
  EXPECT_EQ(config.statistics.reference, ReferenceKind::highest);
  EXPECT_EQ(config.statistics.min_group_size, 30u);
  EXPECT_DOUBLE_EQ(config.statistics.confidence, 0.95);
  EXPECT_EQ(config.statistics.correction, CorrectionKind::holm);
  EXPECT_EQ(config.scores.bins, defaults.scores.bins);
  ASSERT_EQ(config.attributes.size(), 1u);
  EXPECT_EQ(config.attributes[0].line, 1);
}

TEST(ConfigDefaults, PartialSectionsKeepTheOtherDefaults) {
  const Config config = valid(kAttribute +
                              "events: {fields: {decision: /outcome}}\n"
                              "statistics: {confidence: 0.9}\n"
                              "scores: {max: 100}\n");
  EXPECT_EQ(config.events.fields.decision, "/outcome");
  EXPECT_EQ(config.events.fields.time, "/timestamp");
  EXPECT_DOUBLE_EQ(config.statistics.confidence, 0.9);
  EXPECT_EQ(config.statistics.min_group_size, 30u);
  EXPECT_EQ(config.scores.min, 0.0);
  EXPECT_EQ(config.scores.max, 100.0);
  EXPECT_EQ(config.scores.bins, 100);
}

// ---------------------------------------------------------------- drift

TEST(ConfigDrift, DefaultsAreTenBinsOnTheUnitIntervalAndNoBaseline) {
  const Config config = valid(kAttribute);
  ASSERT_EQ(config.drift.score_edges.size(), 11u);
  for (std::size_t i = 0; i < config.drift.score_edges.size(); ++i) {
    EXPECT_DOUBLE_EQ(config.drift.score_edges[i], static_cast<double>(i) / 10.0);
  }
  EXPECT_EQ(config.drift.sample_size, 2000u);
  EXPECT_EQ(config.drift.baseline, "");
  EXPECT_EQ(config.drift.interval_seconds, 60);
  EXPECT_EQ(config.alerts.drift.psi_above, 0.25);
  EXPECT_EQ(config.alerts.drift.clear_below, 0.2);
  EXPECT_FALSE(config.alerts.drift.ks_p_below);
  EXPECT_EQ(config.alerts.drift.for_seconds, 3600);
  EXPECT_TRUE(config.alerts.drift.windows.empty());
}

TEST(ConfigDrift, ReadsEveryKey) {
  const Config config =
      valid(kAttribute +
            "drift: {score_edges: [-1, 0, 2.5], sample_size: 60, baseline: b.json, interval: 5m}\n"
            "alerts: {drift: {psi_above: 0.3, clear_below: 0.1, ks_p_below: 1e-6, for: 2h, "
            "windows: [7d, all]}}\n");
  EXPECT_EQ(config.drift.score_edges, (std::vector<double>{-1, 0, 2.5}));
  EXPECT_EQ(config.drift.sample_size, 60u);
  EXPECT_EQ(config.drift.baseline, "b.json");
  EXPECT_EQ(config.drift.interval_seconds, 300);
  const DriftAlertConfig& alert = config.alerts.drift;
  EXPECT_EQ(alert.psi_above, 0.3);
  EXPECT_EQ(alert.clear_below, 0.1);
  EXPECT_EQ(alert.ks_p_below, 1e-6);
  EXPECT_EQ(alert.for_seconds, 7200);
  EXPECT_EQ(alert.windows, (std::vector<std::string>{"7d", "all"}));
}

TEST(ConfigDrift, EveryProblemIsReported) {
  EXPECT_EQ(errors_of(kAttribute + "drift: {score_edges: [0, 0.5, 0.5, x], sample_size: 59}\n"),
            (std::vector<std::string>{
                "test.yaml:2:31: drift.score_edges[2]: expected a number greater than the "
                "previous one (0.5), got \"0.5\"",
                "test.yaml:2:36: drift.score_edges[3]: expected a number, got \"x\"",
                "test.yaml:2:53: drift.sample_size: expected an integer in [60, 10000], got "
                "\"59\""}));
  EXPECT_EQ(errors_of(kAttribute + "drift: {score_edges: [1], sample_size: 10001, baseline: ''}\n"),
            (std::vector<std::string>{
                "test.yaml:2:22: drift.score_edges: expected a list of at least 2 strictly "
                "increasing numbers, got a list of 1 item",
                "test.yaml:2:40: drift.sample_size: expected an integer in [60, 10000], got "
                "\"10001\"",
                "test.yaml:2:57: drift.baseline: expected a non-empty file path, got \"\""}));
  EXPECT_EQ(
      errors_of(kAttribute + "drift: {interval: 0s}\n"
                             "alerts: {drift: {psi_above: 0.1, ks_p_below: 1, windows: [1h]}}\n"),
      (std::vector<std::string>{
          "test.yaml:2:19: drift.interval: expected a duration of at least 1s, e.g. 1m, "
          "got \"0s\"",
          "test.yaml:3:29: alerts.drift.psi_above: expected clear_below <= psi_above (0.2 > "
          "0.1), got \"0.1\"",
          "test.yaml:3:46: alerts.drift.ks_p_below: expected a probability in (0, 1), e.g. "
          "1e-6, got \"1\"",
          "test.yaml:3:59: alerts.drift.windows[0]: expected one of the configured windows "
          "(24h, 7d, all), got \"1h\""}));
  EXPECT_EQ(errors_of(kAttribute + "drift: {score_edge: [0, 1]}\n"),
            (std::vector<std::string>{
                "test.yaml:2:9: drift.score_edge: unknown key; expected one of: score_edges, "
                "sample_size, baseline, interval (did you mean \"score_edges\"?)"}));
}

TEST(ConfigValues, EmptyWindowListLeavesOnlyAll) {
  EXPECT_TRUE(valid(kAttribute + "windows: []\n").windows.empty());
}

TEST(ConfigValues, OptionalFieldsMayBeDisabled) {
  const Config config = valid(kAttribute + "events: {fields: {stratum: \"\", score: ''}}\n");
  EXPECT_EQ(config.events.fields.stratum, "");
  EXPECT_EQ(config.events.fields.score, "");
  EXPECT_EQ(
      errors_of(kAttribute + "events: {fields: {time: \"\"}}\n"),
      std::vector<std::string>{
          R"(test.yaml:2:25: events.fields.time: expected a JSON pointer starting with "/", got "")"});
}

TEST(ConfigValues, JsonPointersFollowRfc6901) {
  const Config config = valid(
      "attributes: [{name: a, field: \"/x~1y/~0z\", groups: [p, q]}]\n"
      "events: {fields: {id: /, score: /s/0}}\n");
  EXPECT_EQ(config.attributes[0].field, "/x~1y/~0z");
  EXPECT_EQ(config.events.fields.id, "/");
  EXPECT_EQ(
      errors_of("attributes: [{name: a, field: /x~, groups: [p, q]}]\n"),
      std::vector<std::string>{
          R"(test.yaml:1:31: attributes[0].field: expected a JSON pointer with "~" only in "~0" or "~1", got "/x~")"});
}

TEST(ConfigValues, ScalarsAreGroupNamesAsWritten) {
  const Config config = valid(
      "attributes:\n"
      "  - {name: disability, field: /d, groups: [yes, no, Off, 1, 40-54, 0.5]}\n");
  EXPECT_EQ(config.attributes[0].groups,
            (std::vector<std::string>{"yes", "no", "Off", "1", "40-54", "0.5"}));
  EXPECT_EQ(config.attributes[0].line, 2);
}

TEST(ConfigValues, NamedReferenceAndCorrectionAlias) {
  const Config config = valid(
      "attributes:\n"
      "  - {name: sex, field: /sex, groups: [female, male]}\n"
      "  - {name: ethnicity, field: /eth, groups: [asian, white]}\n"
      "intersections: [[ethnicity, sex]]\n"
      "statistics: {reference: {sex: male}, correction: bh, min_group_size: 0, confidence: "
      "0.99}\n");
  EXPECT_EQ(config.statistics.reference, ReferenceKind::named);
  EXPECT_EQ(config.statistics.reference_groups,
            (std::map<std::string, std::string>{{"sex", "male"}}));
  EXPECT_EQ(config.statistics.correction, CorrectionKind::benjamini_hochberg);
  EXPECT_EQ(config.statistics.min_group_size, 0u);
  EXPECT_DOUBLE_EQ(config.statistics.confidence, 0.99);
  EXPECT_EQ(config.intersections, (std::vector<std::vector<std::string>>{{"ethnicity", "sex"}}));
  EXPECT_EQ(config.attributes[1].line, 3);
  EXPECT_EQ(valid(kAttribute + "statistics: {correction: none}\n").statistics.correction,
            CorrectionKind::none);
  EXPECT_EQ(
      valid(kAttribute + "statistics: {correction: benjamini_hochberg}\n").statistics.correction,
      CorrectionKind::benjamini_hochberg);
}

TEST(ConfigValues, AllowListsAndDecisionMapping) {
  const Config config = valid(kAttribute +
                              "events:\n"
                              "  favourable: [pass, \"yes\"]\n"
                              "  unfavourable: [fail]\n"
                              "  systems: [cv-screener-v3]\n"
                              "  stages: [screening, interview]\n");
  EXPECT_EQ(config.events.favourable, (std::vector<std::string>{"pass", "yes"}));
  EXPECT_EQ(config.events.unfavourable, std::vector<std::string>{"fail"});
  EXPECT_EQ(config.events.systems, std::vector<std::string>{"cv-screener-v3"});
  EXPECT_EQ(config.events.stages, (std::vector<std::string>{"screening", "interview"}));
  EXPECT_EQ(errors_of(kAttribute + "events: {favourable: []}\n"),
            std::vector<std::string>{
                "test.yaml:2:22: events.favourable: expected a non-empty list of decision values, "
                "got an empty list"});
}

}  // namespace
}  // namespace fairwatch::config
