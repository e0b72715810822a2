// SequentialMonitor over real engine reports (event time as the clock): quiet
// under equal rates, the impact-ratio detector on a drop of one group, the
// selection-rate detector (and not the impact-ratio one) on a drop of both,
// suppression of small groups, and its state across a checkpoint. Then the
// adverse-impact alert by the confidence_sequence method.
#include "fairwatch/daemon/sequential_monitor.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fairwatch/daemon/alert_evaluator.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

constexpr std::int64_t kStartMs = 1795132800000;  // 2026-11-20T00:00:00Z
constexpr std::int64_t kHourMs = 3'600'000;

config::Config sequential_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0}};
  config.windows = {{"24h", 86400}, {"7d", 604800}};
  config.statistics.reference = config::ReferenceKind::named;
  config.statistics.reference_groups = {{"sex", "male"}};
  config.statistics.min_group_size = 30;
  config.alerts.adverse_impact.for_seconds = 900;
  return config;
}

// Random decisions, hour by hour, for both groups.
class Stream {
 public:
  Stream(Engine& engine, std::uint64_t seed) : engine_(engine), random_(seed) {}
  // `per_group` applicants of each group stamped at `hour`.
  void hour(int hour, int per_group, double female_rate, double male_rate) {
    add(hour, "female", per_group, female_rate);
    add(hour, "male", per_group, male_rate);
  }

 private:
  void add(int hour, const char* sex, int applicants, double rate) {
    std::bernoulli_distribution selected(rate);
    const std::int64_t seconds = kStartMs / 1000 + std::int64_t{hour} * 3600;
    for (int i = 0; i < applicants; ++i) {
      const std::string event = "{\"event_id\":\"e" + std::to_string(next_id_++) +
                                "\",\"timestamp\":" + std::to_string(seconds) +
                                ",\"system\":\"cv\",\"stage\":\"screening\",\"decision\":\"" +
                                (selected(random_) ? "selected" : "rejected") +
                                "\",\"attributes\":{\"sex\":\"" + sex + "\"}}";
      ASSERT_EQ(engine_.offer(event).outcome, Outcome::accepted);
    }
  }
  Engine& engine_;
  std::mt19937_64 random_;
  int next_id_ = 0;
};

const SequentialStatus& female(const std::vector<SequentialStatus>& statuses) {
  for (const SequentialStatus& status : statuses) {
    if (status.group == "female") return status;
  }
  ADD_FAILURE() << "no female series";
  return statuses.front();
}

TEST(SequentialMonitor, QuietUnderEqualRatesWithBoundsAroundOne) {
  const config::Config config = sequential_config();
  Engine engine(config);
  SequentialMonitor monitor(config);
  Stream stream(engine, 1);
  for (int hour = 0; hour < 90 * 24; ++hour) {
    stream.hour(hour, 21, 0.3, 0.3);  // ~500 per group per day
    const auto& statuses = monitor.evaluate(build_report(engine, {}));
    ASSERT_EQ(statuses.size(), 2u);
    const SequentialStatus& f = female(statuses);
    ASSERT_FALSE(f.impact_alarm) << "hour " << hour;
    ASSERT_FALSE(f.confidence_sequence_holds) << "hour " << hour;
    ASSERT_FALSE(f.impact_change_detected) << "hour " << hour;
    ASSERT_FALSE(f.selection_change_detected) << "hour " << hour;
    if (hour < 2) continue;  // fewer than min_group_size applicants: suppressed
    ASSERT_TRUE(f.ratio_bounds);
    EXPECT_LT(f.ratio_bounds->lower, 1.0);
    EXPECT_GT(f.ratio_bounds->upper, 1.0);
    EXPECT_EQ(f.reference_group, "male");
  }
  EXPECT_TRUE(monitor.statuses()[1].is_reference || monitor.statuses()[0].is_reference);
  EXPECT_EQ(monitor.clearing_window(), "24h");
}

TEST(SequentialMonitor, SmallGroupsHaveNoBoundsAndNoAlarms) {
  const config::Config config = sequential_config();
  Engine engine(config);
  SequentialMonitor monitor(config);
  Stream stream(engine, 2);
  stream.hour(0, 20, 0.0, 0.9);  // 20 < min_group_size applicants each: no reference yet
  const SequentialStatus& f = female(monitor.evaluate(build_report(engine, {})));
  EXPECT_FALSE(f.reference_group);
  EXPECT_FALSE(f.ratio_bounds);
  EXPECT_FALSE(f.impact_alarm);
  stream.hour(1, 20, 0.0, 0.9);  // 40 each: compared, and far apart
  const SequentialStatus& g = female(monitor.evaluate(build_report(engine, {})));
  EXPECT_EQ(g.reference_group, "male");
  EXPECT_EQ(g.period_group, (detectors::Counts{40, 0}));
  ASSERT_TRUE(g.ratio_bounds);
  EXPECT_EQ(g.ratio_bounds->lower, 0);
}

TEST(SequentialMonitor, ADropOfOneGroupTripsTheImpactDetectorWithinDays) {
  const config::Config config = sequential_config();
  Engine engine(config);
  SequentialMonitor monitor(config);
  Stream stream(engine, 3);
  int hour = 0;
  for (; hour < 60 * 24; ++hour) {
    stream.hour(hour, 21, 0.3, 0.3);
    ASSERT_FALSE(female(monitor.evaluate(build_report(engine, {}))).impact_alarm);
  }
  const int change = hour;
  bool detected = false;
  for (; hour < change + 7 * 24 && !detected; ++hour) {
    stream.hour(hour, 21, 0.21, 0.3);  // impact ratio 0.7
    detected = female(monitor.evaluate(build_report(engine, {}))).impact_alarm;
  }
  ASSERT_TRUE(detected) << "not within 7 days";
  const SequentialStatus& f = female(monitor.statuses());
  EXPECT_TRUE(f.impact_change_detected);
  EXPECT_EQ(f.impact_progress, 0);  // restarted after the alarm
  // The flag stays for one clearing window (24h) of event time.
  for (int h = 0; h < 23; ++h) {
    stream.hour(hour++, 21, 0.3, 0.3);
    ASSERT_TRUE(female(monitor.evaluate(build_report(engine, {}))).impact_change_detected);
  }
  stream.hour(hour + 1, 21, 0.3, 0.3);
  EXPECT_FALSE(female(monitor.evaluate(build_report(engine, {}))).impact_change_detected);
}

TEST(SequentialMonitor, ADropOfBothGroupsIsASelectionRateChangeNotAdverseImpact) {
  const config::Config config = sequential_config();
  Engine engine(config);
  SequentialMonitor monitor(config);
  Stream stream(engine, 4);
  int hour = 0;
  for (; hour < 60 * 24; ++hour) stream.hour(hour, 21, 0.3, 0.3);
  monitor.evaluate(build_report(engine, {}));
  bool selection_change = false;
  for (const int end = hour + 30 * 24; hour < end; ++hour) {
    stream.hour(hour, 21, 0.18, 0.18);  // a hiring freeze
    const SequentialStatus& f = female(monitor.evaluate(build_report(engine, {})));
    ASSERT_FALSE(f.impact_alarm) << "hour " << hour;
    selection_change = selection_change || f.selection_change_detected;
  }
  EXPECT_TRUE(selection_change);
}

TEST(SequentialMonitor, StateSurvivesACheckpointAndContinuesIdentically) {
  const config::Config config = sequential_config();
  Engine engine(config);
  SequentialMonitor monitor(config);
  Stream stream(engine, 5);
  int hour = 0;
  for (; hour < 20 * 24; ++hour) {
    stream.hour(hour, 21, hour < 15 * 24 ? 0.3 : 0.2, 0.3);
    monitor.evaluate(build_report(engine, {}));
  }
  detectors::StateWriter writer;
  monitor.save_state(writer);
  const std::string bytes = writer.release();
  SequentialMonitor restored(config);
  detectors::StateReader reader(bytes);
  ASSERT_TRUE(restored.restore_state(reader));
  EXPECT_EQ(reader.remaining(), 0u);
  for (int h = 0; h < 5 * 24; ++h, ++hour) {
    stream.hour(hour, 21, 0.2, 0.3);
    const Report report = build_report(engine, {});
    const SequentialStatus& a = female(monitor.evaluate(report));
    const SequentialStatus& b = female(restored.evaluate(report));
    ASSERT_EQ(a.impact_alarm, b.impact_alarm);
    ASSERT_EQ(a.impact_progress, b.impact_progress);
    ASSERT_EQ(a.selection_progress, b.selection_progress);
    ASSERT_EQ(a.period_group, b.period_group);
  }
  // Truncated state is refused and leaves the monitor as it was.
  detectors::StateReader truncated(std::string_view(bytes).substr(0, bytes.size() - 3));
  SequentialMonitor untouched(config);
  EXPECT_FALSE(untouched.restore_state(truncated));
  EXPECT_TRUE(untouched.statuses().empty());
}

TEST(SequentialAlert, FiresOnTheChangeDetectorLatchesAndResolvesWithANewPeriod) {
  const config::Config config = sequential_config();
  Engine engine(config);
  AlertEvaluator alerts(config);
  Stream stream(engine, 6);
  int hour = 0;
  for (; hour < 60 * 24; ++hour) {
    stream.hour(hour, 21, 0.3, 0.3);
    ASSERT_TRUE(alerts.evaluate_adverse_impact(build_report(engine, {}), hour).empty());
  }
  std::optional<AlertEvent> fired;
  int last_alarm = -1;
  const auto evaluate = [&](int at) {
    auto events = alerts.evaluate_adverse_impact(build_report(engine, {}), at);
    if (female(alerts.sequential().statuses()).impact_alarm) last_alarm = at;
    return events;
  };
  for (const int end = hour + 10 * 24; hour < end && !fired; ++hour) {
    stream.hour(hour, 21, 0.15, 0.3);  // impact ratio 0.5
    for (const AlertEvent& event : evaluate(hour)) {
      if (event.transition.change == detectors::AlertChange::fired) fired = event;
    }
  }
  ASSERT_TRUE(fired) << "not within 10 days";
  EXPECT_EQ(fired->labels.group, "female");
  EXPECT_EQ(fired->labels.window, "24h");  // the clearing window
  ASSERT_TRUE(fired->evidence.confidence_sequence);
  EXPECT_LT(fired->evidence.confidence_sequence->lower, 1.0);
  EXPECT_TRUE(fired->evidence.change_detected);
  EXPECT_GT(fired->evidence.period_group.applicants, 60u * 500);
  ASSERT_TRUE(fired->evidence.ratio);  // the clearing window's ratio
  EXPECT_LT(*fired->evidence.ratio, 0.8);

  // Fair again: the alert holds one clearing window after the last alarm,
  // then resolves on the clearing window's ratio; the period restarts.
  std::optional<AlertEvent> resolved;
  int resolved_at = -1;
  for (const int end = hour + 10 * 24; hour < end && !resolved; ++hour) {
    stream.hour(hour, 21, 0.3, 0.3);
    for (const AlertEvent& event : evaluate(hour)) {
      if (event.transition.change == detectors::AlertChange::resolved) {
        resolved = event;
        resolved_at = hour;
      }
    }
  }
  ASSERT_TRUE(resolved) << "not within 10 days";
  EXPECT_GE(resolved_at - last_alarm, 24);  // latched for the 24h clearing window
  stream.hour(hour, 21, 0.3, 0.3);
  evaluate(hour);
  const SequentialStatus& f = female(alerts.sequential().statuses());
  EXPECT_LT(f.period_group.applicants, 100u);  // the new period began at the resolution
  EXPECT_TRUE(alerts.save().empty());
}

}  // namespace
}  // namespace fairwatch::daemon
