// The daemon's alert evaluation over real engine reports (event time as the
// clock), the operational alerts on a manual wall clock, the audit record,
// and the alert state in checkpoints.
#include "fairwatch/daemon/alert_evaluator.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/crc.hpp>
#include <string>
#include <vector>

#include "fairwatch/daemon/audit_log.h"
#include "fairwatch/daemon/checkpoint.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/report.h"

namespace fairwatch::daemon {
namespace {

using detectors::AlertChange;
using detectors::AlertPhase;
using detectors::AlertSeverity;

constexpr std::int64_t kStartMs = 1795132800000;  // 2026-11-20T00:00:00Z

config::Config alert_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.events.allowed_lateness_seconds = 3600;
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0}};
  config.windows = {{"1h", 3600}, {"24h", 86400}};
  config.statistics.min_group_size = 30;
  config.alerts.adverse_impact.method = config::AdverseImpactMethod::fixed_window;
  config.alerts.adverse_impact.for_seconds = 3600;
  config.alerts.adverse_impact.windows = {"24h"};
  config.checkpoint.max_age_seconds = 60;
  return config;
}

// Feeds decisions stamped `minute` minutes after kStartMs.
class Feeder {
 public:
  explicit Feeder(Engine& engine) : engine_(engine) {}
  void add(int minute, const std::string& sex, int applicants, int selected) {
    for (int i = 0; i < applicants; ++i) {
      const std::int64_t seconds = (kStartMs / 1000) + std::int64_t{minute} * 60;
      const std::string event = "{\"event_id\":\"e" + std::to_string(next_id_++) +
                                "\",\"timestamp\":" + std::to_string(seconds) +
                                ",\"system\":\"cv\",\"stage\":\"screening\",\"decision\":\"" +
                                (i < selected ? "selected" : "rejected") +
                                "\",\"attributes\":{\"sex\":\"" + sex + "\"}}";
      EXPECT_EQ(engine_.offer(event).outcome, Outcome::accepted);
    }
  }

 private:
  Engine& engine_;
  int next_id_ = 0;
};

std::vector<AlertEvent> reported(std::vector<AlertEvent> events) {
  std::erase_if(events, [](const AlertEvent& e) { return !e.reported(); });
  return events;
}

const AlertStatus* status_of(const std::vector<AlertStatus>& statuses, const std::string& group,
                             const std::string& window) {
  for (const AlertStatus& status : statuses) {
    if (status.labels->kind == AlertKind::adverse_impact && status.labels->group == group &&
        status.labels->window == window) {
      return &status;
    }
  }
  return nullptr;
}

TEST(AlertEvaluator, FiresAfterForOfEventTimeAndClearsAboveClearAbove) {
  const config::Config config = alert_config();
  Engine engine(config);
  AlertEvaluator alerts(config);
  Feeder feed(engine);
  feed.add(0, "male", 200, 100);
  feed.add(0, "female", 200, 100);
  EXPECT_TRUE(alerts.evaluate_adverse_impact(build_report(engine, {}), 1).empty());

  feed.add(60, "female", 400, 80);  // female 600/180 = 0.3 against 0.5: ratio 0.6
  auto events = alerts.evaluate_adverse_impact(build_report(engine, {}), 2);
  ASSERT_EQ(events.size(), 1u);  // only the 24h window is alerted
  EXPECT_EQ(events[0].transition.change, AlertChange::pending);
  EXPECT_EQ(events[0].labels.group, "female");
  EXPECT_EQ(events[0].labels.window, "24h");
  EXPECT_FALSE(events[0].reported());

  feed.add(119, "male", 1, 1);  // 59 minutes later: still pending
  EXPECT_TRUE(alerts.evaluate_adverse_impact(build_report(engine, {}), 3).empty());
  feed.add(120, "male", 1, 0);
  events = reported(alerts.evaluate_adverse_impact(build_report(engine, {}), 4));
  ASSERT_EQ(events.size(), 1u);
  const AlertEvent& fired = events[0];
  EXPECT_EQ(fired.transition.change, AlertChange::fired);
  EXPECT_EQ(fired.severity, AlertSeverity::warning);
  EXPECT_EQ(fired.event_time_ms, kStartMs + 120 * 60'000);
  EXPECT_EQ(fired.wall_time_ms, 4);
  EXPECT_STREQ(fired.to_label(), "firing");
  EXPECT_EQ(fired.evidence.group, (detectors::Counts{600, 180}));
  EXPECT_EQ(fired.evidence.reference_group, "male");
  EXPECT_EQ(fired.evidence.reference, (detectors::Counts{202, 101}));
  ASSERT_TRUE(fired.evidence.ratio);
  EXPECT_NEAR(*fired.evidence.ratio, 0.6, 1e-9);
  EXPECT_TRUE(fired.evidence.interval);
  EXPECT_LT(*fired.evidence.p_value_z_adjusted, 0.05);
  const auto statuses = alerts.statuses();
  ASSERT_NE(status_of(statuses, "female", "24h"), nullptr);
  EXPECT_EQ(status_of(statuses, "female", "24h")->phase, AlertPhase::firing);
  EXPECT_EQ(status_of(statuses, "male", "24h"), nullptr);  // the reference never gets a series

  // A ratio between ratio_below and clear_above keeps it firing.
  feed.add(180, "female", 1000, 460);  // female 1600/640 = 0.4 against ~0.5: ratio ~0.8
  EXPECT_TRUE(reported(alerts.evaluate_adverse_impact(build_report(engine, {}), 5)).empty());
  // Two days later only unbiased decisions are in the window: it clears.
  feed.add(2 * 24 * 60, "male", 200, 100);
  feed.add(2 * 24 * 60, "female", 200, 100);
  events = reported(alerts.evaluate_adverse_impact(build_report(engine, {}), 6));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].transition.change, AlertChange::resolved);
  EXPECT_STREQ(events[0].to_label(), "resolved");
  EXPECT_EQ(status_of(alerts.statuses(), "female", "24h")->phase, AlertPhase::inactive);
}

TEST(AlertEvaluator, UnknownAndSmallGroupsNeverAlertAndCriticalSeverity) {
  config::Config config = alert_config();
  config.alerts.adverse_impact.for_seconds = 1;
  config.attributes = {{"sex", "/attributes/sex", {"female", "male", "non-binary"}, 0}};
  Engine engine(config);
  AlertEvaluator alerts(config);
  Feeder feed(engine);
  feed.add(0, "male", 400, 200);
  feed.add(0, "robot", 400, 10);     // unknown: never compared
  feed.add(0, "non-binary", 29, 0);  // below min_group_size: suppressed
  feed.add(0, "female", 400, 60);    // ratio 0.3: critical
  feed.add(1, "male", 1, 1);
  alerts.evaluate_adverse_impact(build_report(engine, {}), 1);
  feed.add(2, "male", 1, 0);
  const auto events = reported(alerts.evaluate_adverse_impact(build_report(engine, {}), 2));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].labels.group, "female");
  EXPECT_EQ(events[0].severity, AlertSeverity::critical);
  for (const AlertStatus& status : alerts.statuses()) {
    EXPECT_NE(status.labels->group, "unknown");
    EXPECT_NE(status.labels->group, "non-binary");
  }
}

TEST(AlertEvaluator, OperationalAlertsOnTheWallClock) {
  config::Config config = alert_config();
  config.alerts.stale_after_seconds = 60;
  config.alerts.kafka_disconnected_for_seconds = 30;
  config.alerts.lag_growing_for_seconds = 100;
  config.alerts.lag_growing_min_messages = 10;
  config.alerts.checkpoint_failures = 2;
  AlertEvaluator alerts(config);
  const auto changes = [](const std::vector<AlertEvent>& events) {
    std::vector<std::string> text;
    for (const AlertEvent& e : reported(events)) {
      text.push_back(std::string(to_string(e.labels.kind)) + " " + e.to_label() + " " +
                     detectors::to_string(e.severity));
    }
    return text;
  };
  OperationalInputs inputs;
  inputs.kafka_connected = true;
  inputs.started_ms = 0;
  inputs.checkpoint_last_success_ms = 0;
  inputs.consumer_lag_messages = 5;
  EXPECT_TRUE(changes(alerts.evaluate_operations(inputs, 0)).empty());
  // Not stale without partitions, however long; stale 60 s after the assignment.
  EXPECT_TRUE(changes(alerts.evaluate_operations(inputs, 50'000)).empty());
  inputs.assigned_partitions = 3;
  inputs.checkpoint_last_success_ms = 50'000;
  inputs.consumer_lag_messages = 20;
  EXPECT_TRUE(changes(alerts.evaluate_operations(inputs, 50'000)).empty());
  inputs.checkpoint_last_success_ms = 110'000;
  inputs.consumer_lag_messages = 30;  // not down for 110 s, up from 5, above 10
  EXPECT_EQ(changes(alerts.evaluate_operations(inputs, 110'000)),
            (std::vector<std::string>{"events_stale firing warning",
                                      "consumer_lag_growing firing warning"}));
  inputs.last_event_received_ms = 111'000;
  inputs.kafka_connected = false;
  inputs.consumer_lag_messages = 40;
  inputs.checkpoint_last_success_ms = 150'000;
  EXPECT_EQ(changes(alerts.evaluate_operations(inputs, 150'000)),
            std::vector<std::string>{"events_stale resolved warning"});
  inputs.consecutive_checkpoint_failures = 2;
  inputs.consumer_lag_messages = 35;  // went down: the growth restarts
  inputs.last_event_received_ms = 170'000;
  EXPECT_EQ(changes(alerts.evaluate_operations(inputs, 170'000)),
            (std::vector<std::string>{"checkpoint_failing firing critical",
                                      "consumer_lag_growing resolved warning"}));
  inputs.last_event_received_ms = 180'000;
  EXPECT_EQ(changes(alerts.evaluate_operations(inputs, 180'000)),
            std::vector<std::string>{"kafka_disconnected firing critical"});  // 30 s down
  inputs.kafka_connected = true;
  inputs.consecutive_checkpoint_failures = 0;
  inputs.checkpoint_last_success_ms = 181'000;
  inputs.last_event_received_ms = 181'000;
  EXPECT_EQ(changes(alerts.evaluate_operations(inputs, 181'000)),
            (std::vector<std::string>{"kafka_disconnected resolved critical",
                                      "checkpoint_failing resolved critical"}));
  // 61 s without an event, and without a checkpoint (older than checkpoint.max_age).
  EXPECT_EQ(changes(alerts.evaluate_operations(inputs, 242'000)),
            (std::vector<std::string>{"events_stale firing warning",
                                      "checkpoint_failing firing critical"}));
}

// An evaluator with a firing and a pending series.
struct FiringAndPending {
  config::Config config = alert_config();
  Engine engine{config};
  AlertEvaluator alerts{config};
  std::vector<AlertEvent> fired;
  FiringAndPending() {
    config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0}};
    Feeder feed(engine);
    feed.add(0, "male", 200, 100);
    feed.add(0, "female", 400, 80);
    alerts.evaluate_adverse_impact(build_report(engine, {}), 1);
    feed.add(61, "male", 1, 1);
    fired = reported(alerts.evaluate_adverse_impact(build_report(engine, {}), 2));
  }
};

TEST(AlertEvaluator, CheckpointRoundTripKeepsFiringAndPendingTimers) {
  FiringAndPending state;
  ASSERT_EQ(state.fired.size(), 1u);
  std::vector<SavedAlertSeries> saved = state.alerts.save();
  ASSERT_EQ(saved.size(), 1u);
  // Add a pending series by hand: timers must survive too.
  SavedAlertSeries pending = saved[0];
  pending.labels.window = "24h";
  pending.labels.group = "male";
  pending.state = detectors::AlertState(AlertPhase::pending, AlertSeverity::warning, 12345, 0);
  saved.push_back(pending);

  CheckpointExtras extras;
  extras.alerts = saved;
  const std::string bytes = encode_checkpoint(state.engine, {"t", {{0, 7}}}, extras);
  Engine restored_engine(state.config);
  const CheckpointLoadResult loaded = decode_checkpoint(bytes, restored_engine);
  ASSERT_EQ(loaded.status, CheckpointLoad::loaded) << loaded.detail;
  EXPECT_EQ(loaded.alerts, saved);

  AlertEvaluator restored(state.config);
  restored.restore(loaded.alerts);
  EXPECT_EQ(restored.save(), saved);
  // The restored firing series does not fire again on the same evidence.
  EXPECT_TRUE(
      reported(restored.evaluate_adverse_impact(build_report(restored_engine, {}), 3)).empty());

  // A reload that stops alerting on 24h resolves the firing series.
  config::Config one_hour = state.config;
  one_hour.alerts.adverse_impact.windows = {"1h"};
  const auto reset = reported(restored.reload(one_hour, 4));
  ASSERT_EQ(reset.size(), 1u);
  EXPECT_EQ(reset[0].transition.change, AlertChange::resolved);
  EXPECT_TRUE(restored.save().empty());
}

// `bytes` with `count` bytes at `at` removed, the format version set and the CRC redone.
std::string older_checkpoint(const std::string& bytes, std::size_t at, std::size_t count,
                             char version) {
  std::string older = bytes.substr(0, at) + bytes.substr(at + count);
  older[8] = version;  // format version, little-endian
  older.resize(older.size() - 4);
  boost::crc_32_type crc;
  crc.process_bytes(older.data(), older.size());
  for (int i = 0; i < 4; ++i) {
    older.push_back(static_cast<char>((crc.checksum() >> (8 * i)) & 0xff));
  }
  return older;
}

TEST(AlertEvaluator, CheckpointsOfVersionsOneAndTwoStillLoadAndBadAlertStateIsCorrupt) {
  FiringAndPending state;
  // Version 3 with no alert series: an 8-byte zero count, then two empty
  // monitor states (8-byte zero lengths). Version 2 lacks the monitor states,
  // version 1 the alert section as well.
  const std::string v3 = encode_checkpoint(state.engine, {"t", {}}, {});
  const std::size_t alerts_at =
      8 + 4 + 8 + 8 + state_shape_description(state.config).size() + 8 + 1 + 8;
  ASSERT_EQ(v3.substr(alerts_at, 24), std::string(24, '\0'));
  for (const auto& [version, removed] : {std::pair{'\1', 24}, std::pair{'\2', 16}}) {
    const std::size_t at = version == '\1' ? alerts_at : alerts_at + 8;
    Engine engine(state.config);
    const CheckpointLoadResult loaded =
        decode_checkpoint(older_checkpoint(v3, at, removed, version), engine);
    EXPECT_EQ(loaded.status, CheckpointLoad::loaded) << loaded.detail;
    EXPECT_TRUE(loaded.alerts.empty());
    EXPECT_TRUE(loaded.sequential_state.empty());
    EXPECT_EQ(engine.counters().accepted, state.engine.counters().accepted);
  }

  // An inactive series is never saved: reading one back is corruption.
  SavedAlertSeries inactive;
  inactive.labels = {AlertKind::adverse_impact, "cv", "screening", "sex", "female", "24h"};
  CheckpointExtras with_inactive;
  with_inactive.alerts = {inactive};
  const std::string bad = encode_checkpoint(state.engine, {"t", {}}, with_inactive);
  Engine untouched(state.config);
  EXPECT_EQ(decode_checkpoint(bad, untouched).status, CheckpointLoad::corrupt);
}

TEST(AuditRecord, CarriesTheEvidenceThresholdsAndAStableId) {
  FiringAndPending state;
  ASSERT_EQ(state.fired.size(), 1u);
  AlertEvent event = state.fired[0];
  const AuditContext context{&state.config, sha256_hex("alerts: {}\n")};
  const std::string record = audit_record(event, context);
  EXPECT_EQ(record.find('\n'), std::string::npos);

  simdjson::dom::parser parser;
  const simdjson::dom::element json = parser.parse(record);
  EXPECT_EQ(std::string_view(json["alert"]), "adverse_impact");
  EXPECT_EQ(std::string_view(json["severity"]), "critical");  // ratio 0.4 < 0.5
  EXPECT_EQ(std::string_view(json["change"]), "fired");
  EXPECT_EQ(std::string_view(json["from"]), "pending");
  EXPECT_EQ(std::string_view(json["to"]), "firing");
  EXPECT_EQ(std::string_view(json["wall_time"]), "1970-01-01T00:00:00.002Z");
  EXPECT_EQ(std::string_view(json["event_time"]), "2026-11-20T01:01:00.000Z");
  EXPECT_EQ(std::string_view(json["episode_start"]), "2026-11-20T00:00:00.000Z");
  EXPECT_EQ(std::string_view(json["labels"]["system"]), "cv");
  EXPECT_EQ(std::string_view(json["labels"]["stage"]), "screening");
  EXPECT_EQ(std::string_view(json["labels"]["attribute"]), "sex");
  EXPECT_EQ(std::string_view(json["labels"]["group"]), "female");
  EXPECT_EQ(std::string_view(json["labels"]["window"]), "24h");
  EXPECT_NEAR(double(json["ratio"]), 0.2 / (101.0 / 201.0), 1e-12);
  EXPECT_LT(double(json["interval"]["lower"]), 0.4);
  EXPECT_GT(double(json["interval"]["upper"]), 0.4);
  EXPECT_EQ(std::uint64_t(json["counts"]["group"]["applicants"]), 400u);
  EXPECT_EQ(std::uint64_t(json["counts"]["group"]["selected"]), 80u);
  EXPECT_EQ(std::string_view(json["counts"]["reference_group"]), "male");
  EXPECT_EQ(std::uint64_t(json["counts"]["reference"]["applicants"]), 201u);
  EXPECT_EQ(std::uint64_t(json["counts"]["reference"]["selected"]), 101u);
  EXPECT_LT(double(json["p_values"]["z"]), 1e-6);
  EXPECT_LT(double(json["p_values"]["fisher"]), 1e-6);
  EXPECT_GE(double(json["p_values"]["z_adjusted"]), double(json["p_values"]["z"]));
  EXPECT_EQ(double(json["thresholds"]["ratio_below"]), 0.8);
  EXPECT_EQ(double(json["thresholds"]["clear_above"]), 0.85);
  EXPECT_EQ(double(json["thresholds"]["critical_below"]), 0.5);
  EXPECT_EQ(std::int64_t(json["thresholds"]["for_seconds"]), 3600);
  EXPECT_NEAR(double(json["thresholds"]["significance_level"]), 0.05, 1e-12);
  EXPECT_EQ(std::string_view(json["thresholds"]["correction"]), "holm");
  EXPECT_EQ(std::string_view(json["config_sha256"]), sha256_hex("alerts: {}\n"));
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string id{std::string_view(json["id"])};
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id, transition_id(event));
  // The same transition re-derived after a replay (other tick, same episode) keeps its id.
  event.wall_time_ms += 5000;
  event.event_time_ms += 1000;
  EXPECT_EQ(transition_id(event), id);
  event.transition.change = AlertChange::resolved;
  EXPECT_NE(transition_id(event), id);
  // Never a candidate or event id.
  EXPECT_EQ(record.find("\"e1"), std::string::npos);
}

TEST(AuditLog, AppendsLinesAndSyncs) {
  const std::string path = ::testing::TempDir() + "/audit-test/sub/audit.jsonl";
  std::remove(path.c_str());
  auto opened = AuditLog::open(path);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<AuditLog>>(opened));
  auto& log = *std::get<std::unique_ptr<AuditLog>>(opened);
  EXPECT_EQ(log.append("{\"a\":1}"), "");
  EXPECT_EQ(log.append("{\"b\":2}"), "");
  EXPECT_EQ(log.sync(), "");
  std::FILE* file = std::fopen(path.c_str(), "r");
  ASSERT_NE(file, nullptr);
  char buffer[64] = {};
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  EXPECT_EQ(std::string(buffer, n), "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_TRUE(std::holds_alternative<std::string>(AuditLog::open("/proc/no/such/audit.jsonl")));
}

// ---------------------------------------------------------------- drift

DriftRow drift_row(const std::string& window, std::optional<std::string> group, double psi,
                   std::uint64_t current_n) {
  DriftRow row;
  row.window = window;
  row.system = "cv";
  row.stage = "screening";
  row.attribute = "sex";
  row.subject = group ? DriftSubject::score : DriftSubject::mix;
  row.group = std::move(group);
  row.psi = psi;
  row.js_divergence = psi / 10;
  if (row.subject == DriftSubject::score) {
    row.ks_statistic = 0.2;
    row.ks_p_value = 1e-9;
  }
  row.baseline_n = 5000;
  row.current_n = current_n;
  return row;
}

TEST(DriftAlerts, FireAfterForOfEventTimeAndClearBelowClearBelow) {
  config::Config config = alert_config();
  config.alerts.drift.for_seconds = 600;
  AlertEvaluator alerts(config);
  const std::int64_t t0 = kStartMs;
  // `all` is not drift-alerted by default (the configured windows are); a
  // group under min_group_size never alerts; PSI at or under psi_above never fires.
  std::vector<DriftRow> rows = {
      drift_row("24h", "female", 0.4, 500), drift_row("24h", std::nullopt, 0.3, 1000),
      drift_row("24h", "male", 0.9, 20), drift_row("all", "female", 0.9, 5000),
      drift_row("24h", "non-binary", 0.25, 500)};
  auto events = alerts.evaluate_drift(rows, t0, 1);
  ASSERT_EQ(events.size(), 2u);
  for (const AlertEvent& event : events) {
    EXPECT_EQ(event.labels.kind, AlertKind::drift);
    EXPECT_EQ(event.transition.change, AlertChange::pending);
    EXPECT_EQ(event.labels.window, "24h");
  }
  EXPECT_EQ(events[0].labels.group, "female");
  EXPECT_EQ(events[1].labels.group, "");  // the applicant mix

  events = reported(alerts.evaluate_drift(rows, t0 + 600'000, 2));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].transition.change, AlertChange::fired);
  EXPECT_EQ(events[0].severity, AlertSeverity::warning);
  EXPECT_EQ(events[0].event_time_ms, t0 + 600'000);
  EXPECT_EQ(events[0].detail,
            "psi 0.400, js 0.040, ks D 0.200 p 1e-09, baseline 5000, current 500");
  EXPECT_EQ(events[1].detail, "psi 0.300, js 0.030, baseline 5000, current 1000");
  const AuditContext context{&config, sha256_hex("x")};
  simdjson::dom::parser parser;
  const simdjson::dom::element record = parser.parse(audit_record(events[0], context));
  EXPECT_EQ(std::string_view(record["alert"]), "drift");
  EXPECT_EQ(double(record["thresholds"]["psi_above"]), 0.25);
  EXPECT_EQ(std::string_view(record["detail"]), events[0].detail);

  // Between clear_below and psi_above: still firing. Below clear_below: resolved.
  rows[0].psi = 0.21;
  rows[1].psi = 0.19;
  events = reported(alerts.evaluate_drift(rows, t0 + 700'000, 3));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].labels.group, "");
  EXPECT_EQ(events[0].transition.change, AlertChange::resolved);
  std::size_t firing = 0;
  for (const AlertStatus& status : alerts.statuses()) {
    if (status.labels->kind == AlertKind::drift && status.phase == AlertPhase::firing) ++firing;
  }
  EXPECT_EQ(firing, 1u);
  // Drift alerts are not part of the checkpoint.
  EXPECT_TRUE(alerts.save().empty());
}

TEST(DriftAlerts, KolmogorovSmirnovThresholdAndAlertedWindows) {
  config::Config config = alert_config();
  config.alerts.drift.for_seconds = 1;
  config.alerts.drift.ks_p_below = 1e-6;
  config.alerts.drift.windows = {"all"};
  AlertEvaluator alerts(config);
  std::vector<DriftRow> rows = {drift_row("all", "female", 0.05, 500),  // KS p 1e-9 < 1e-6
                                drift_row("24h", "male", 0.9, 500)};    // not alerted
  ASSERT_EQ(alerts.evaluate_drift(rows, kStartMs, 1).size(), 1u);
  const auto events = reported(alerts.evaluate_drift(rows, kStartMs + 1000, 2));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].labels.group, "female");
  EXPECT_EQ(events[0].labels.window, "all");
  rows[0].ks_p_value = 0.5;  // PSI 0.05 < clear_below and KS recovered
  EXPECT_EQ(reported(alerts.evaluate_drift(rows, kStartMs + 2000, 3)).size(), 1u);
}

TEST(Checkpoint, MonitorStatesRoundTrip) {
  FiringAndPending state;
  CheckpointExtras extras;
  extras.alerts = state.alerts.save();
  extras.sequential_state = std::string("seq\0state", 9);
  extras.drift_state = "drift state bytes";
  const std::string bytes = encode_checkpoint(state.engine, {"t", {{0, 7}}}, extras);
  Engine restored(state.config);
  const CheckpointLoadResult loaded = decode_checkpoint(bytes, restored);
  ASSERT_EQ(loaded.status, CheckpointLoad::loaded) << loaded.detail;
  EXPECT_EQ(loaded.alerts, extras.alerts);
  EXPECT_EQ(loaded.sequential_state, extras.sequential_state);
  EXPECT_EQ(loaded.drift_state, extras.drift_state);
}

}  // namespace
}  // namespace fairwatch::daemon
