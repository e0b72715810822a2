// The alert state machine and the adverse-impact condition, driven by a
// manual clock (milliseconds passed in).
#include "fairwatch/detectors/alert_state.h"

#include <gtest/gtest.h>

#include <vector>

#include "fairwatch/detectors/adverse_impact_condition.h"
#include "fairwatch/detectors/attribute_analysis.h"

namespace fairwatch::detectors {
namespace {

constexpr std::int64_t kMinute = 60'000;

AlertThresholds thresholds(std::int64_t for_minutes = 15) {
  AlertThresholds t;
  t.clear_above = 0.85;
  t.critical_below = 0.5;
  t.for_ms = for_minutes * kMinute;
  return t;
}

AlertObservation seen(bool condition, double ratio) {
  return {condition, ratio, true};
}

// A manual clock and one series.
struct Series {
  AlertState state;
  AlertThresholds limits = thresholds();
  std::int64_t now_ms = 1'000'000;
  std::optional<AlertTransition> at(std::int64_t minutes, const AlertObservation& observation) {
    now_ms = 1'000'000 + minutes * kMinute;
    return state.observe(observation, now_ms, limits);
  }
};

TEST(AlertState, FiresOnlyAfterTheConditionHeldForTheWholeForDuration) {
  Series s;
  EXPECT_FALSE(s.at(0, seen(false, 0.9)));
  const auto pending = s.at(1, seen(true, 0.7));
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->change, AlertChange::pending);
  EXPECT_EQ(s.state.phase(), AlertPhase::pending);
  EXPECT_FALSE(s.at(15, seen(true, 0.7)));  // 14 minutes held
  const auto fired = s.at(16, seen(true, 0.7));
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->change, AlertChange::fired);
  EXPECT_EQ(fired->from, AlertPhase::pending);
  EXPECT_EQ(fired->to, AlertPhase::firing);
  EXPECT_EQ(fired->to_severity, AlertSeverity::warning);
  EXPECT_EQ(fired->episode_start_ms, pending->at_ms);
  EXPECT_TRUE(s.state.firing());
}

TEST(AlertState, AConditionThatLapsesBeforeForRestartsTheTimer) {
  Series s;
  ASSERT_TRUE(s.at(0, seen(true, 0.7)));
  const auto cancelled = s.at(10, seen(false, 0.82));
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->change, AlertChange::cancelled);
  EXPECT_EQ(s.state.phase(), AlertPhase::inactive);
  ASSERT_TRUE(s.at(11, seen(true, 0.7)));
  EXPECT_FALSE(s.at(25, seen(true, 0.7)));  // 14 minutes since the restart
  EXPECT_TRUE(s.at(26, seen(true, 0.7)));
}

TEST(AlertState, HysteresisNoFlappingBetweenRatioBelowAndClearAbove) {
  Series s;
  s.at(0, seen(true, 0.7));
  ASSERT_TRUE(s.at(15, seen(true, 0.7)));
  // Between 0.8 and 0.85 the condition is false but the alert keeps firing.
  for (int minute = 16; minute < 60; ++minute) {
    const double ratio = minute % 2 == 0 ? 0.81 : 0.849;
    EXPECT_FALSE(s.at(minute, seen(false, ratio))) << minute;
    EXPECT_TRUE(s.state.firing());
  }
  EXPECT_FALSE(s.at(60, seen(false, 0.85)));  // clears only strictly above
  const auto resolved = s.at(61, seen(false, 0.851));
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->change, AlertChange::resolved);
  EXPECT_EQ(resolved->to, AlertPhase::inactive);
  EXPECT_EQ(resolved->episode_start_ms, 1'000'000);
}

TEST(AlertState, LosingSignificanceOrTheRatioDoesNotClearButLosingAllEvidenceDoes) {
  Series s;
  s.at(0, seen(true, 0.6));
  ASSERT_TRUE(s.at(15, seen(true, 0.6)));
  EXPECT_FALSE(s.at(16, seen(false, 0.6)));                             // p no longer significant
  EXPECT_FALSE(s.at(17, AlertObservation{false, std::nullopt, true}));  // below min_group_size
  EXPECT_TRUE(s.state.firing());
  const auto resolved = s.at(18, AlertObservation{false, std::nullopt, false});
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->change, AlertChange::resolved);
}

TEST(AlertState, SeverityEscalatesAndDeescalatesWithMargin) {
  Series s;
  s.at(0, seen(true, 0.45));
  const auto fired = s.at(15, seen(true, 0.45));
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->to_severity, AlertSeverity::critical);
  EXPECT_FALSE(s.at(16, seen(true, 0.52)));  // within the de-escalation margin
  EXPECT_EQ(s.state.severity(), AlertSeverity::critical);
  const auto down = s.at(17, seen(true, 0.6));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->change, AlertChange::deescalated);
  EXPECT_EQ(down->from_severity, AlertSeverity::critical);
  EXPECT_EQ(down->to_severity, AlertSeverity::warning);
  const auto up = s.at(18, seen(true, 0.49));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->change, AlertChange::escalated);
  EXPECT_EQ(up->to, AlertPhase::firing);
  const auto resolved = s.at(19, seen(false, 0.9));
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->from_severity, AlertSeverity::critical);
}

TEST(AlertState, ZeroForFiresAtOnceAndTimeGoingBackwardsWaits) {
  Series s;
  s.limits.for_ms = 0;
  const auto fired = s.at(0, seen(true, 0.7));
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->change, AlertChange::fired);

  Series t;
  t.at(10, seen(true, 0.7));
  EXPECT_FALSE(t.at(0, seen(true, 0.7)));
  EXPECT_EQ(t.state.phase(), AlertPhase::pending);
}

TEST(AlertState, ResetResolvesAFiringSeriesAndStatesCompareAsSaved) {
  Series s;
  s.at(0, seen(true, 0.7));
  s.at(15, seen(true, 0.7));
  const AlertState saved(s.state.phase(), s.state.severity(), s.state.since_ms(),
                         s.state.firing_since_ms());
  EXPECT_EQ(saved, s.state);
  const auto reset = s.state.reset(s.now_ms);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->change, AlertChange::resolved);
  EXPECT_FALSE(s.state.reset(s.now_ms));
}

// ---- adverse_impact_condition over real analyses ----

AdverseImpactCandidate candidate(const AttributeStatistics& analysis,
                                 const std::vector<Counts>& groups, std::size_t g) {
  AdverseImpactCandidate c;
  c.group = &analysis.groups[g];
  c.has_reference = analysis.reference.has_value();
  if (analysis.reference) c.reference = groups[*analysis.reference];
  c.is_reference = analysis.reference == g;
  return c;
}

AnalysisSettings analysis(Correction correction, std::uint64_t min_group_size = 30) {
  AnalysisSettings settings;
  settings.min_group_size = min_group_size;
  settings.correction = correction;
  return settings;
}

TEST(AdverseImpactCondition, RatioSignificanceAndMinimumSampleAllRequired) {
  const AdverseImpactSettings settings{0.8, 0.05, 30};
  // reference 50%, biased 30% (ratio 0.6, p tiny), mild 45% (ratio 0.9).
  const std::vector<Counts> groups = {{400, 200}, {400, 120}, {400, 180}};
  const AttributeStatistics result = analyze_attribute(groups, {}, {}, analysis(Correction::holm));
  EXPECT_FALSE(adverse_impact_condition(candidate(result, groups, 0), settings));  // reference
  EXPECT_TRUE(adverse_impact_condition(candidate(result, groups, 1), settings));
  EXPECT_FALSE(adverse_impact_condition(candidate(result, groups, 2), settings));  // ratio 0.9

  // Ratio below 0.8 but not significant: 8 of 40 against 20 of 40 … scaled down.
  const std::vector<Counts> small = {{40, 14}, {40, 10}};
  const AttributeStatistics weak = analyze_attribute(small, {}, {}, analysis(Correction::holm));
  ASSERT_LT(*weak.groups[1].impact_ratio, 0.8);
  ASSERT_GE(*weak.groups[1].p_value_adjusted, 0.05);
  EXPECT_FALSE(adverse_impact_condition(candidate(weak, small, 1), settings));

  // Below min_group_size: suppressed (no ratio), never a condition.
  const std::vector<Counts> tiny = {{400, 200}, {20, 1}};
  const AttributeStatistics suppressed =
      analyze_attribute(tiny, {}, {}, analysis(Correction::holm));
  EXPECT_FALSE(suppressed.groups[1].impact_ratio);
  EXPECT_FALSE(adverse_impact_condition(candidate(suppressed, tiny, 1), settings));
  // A min_group_size above the analysis's still applies to both groups.
  const AdverseImpactSettings strict{0.8, 0.05, 500};
  EXPECT_FALSE(adverse_impact_condition(candidate(result, groups, 1), strict));
}

TEST(AdverseImpactCondition, SignificantUnadjustedButNotAfterHolmDoesNotAlert) {
  const AdverseImpactSettings settings{0.8, 0.05, 30};
  // Two groups at 39% against a 50% reference: each p ≈ 0.027, Holm ≈ 0.054.
  const std::vector<Counts> groups = {{200, 100}, {200, 78}, {200, 78}};
  const AttributeStatistics holm = analyze_attribute(groups, {}, {}, analysis(Correction::holm));
  ASSERT_LT(holm.groups[1].z_test->p_value, 0.05);
  ASSERT_GE(*holm.groups[1].p_value_adjusted, 0.05);
  ASSERT_LT(*holm.groups[1].impact_ratio, 0.8);
  EXPECT_FALSE(adverse_impact_condition(candidate(holm, groups, 1), settings));
  EXPECT_FALSE(adverse_impact_condition(candidate(holm, groups, 2), settings));

  const AttributeStatistics none = analyze_attribute(groups, {}, {}, analysis(Correction::none));
  EXPECT_TRUE(adverse_impact_condition(candidate(none, groups, 1), settings));
}

TEST(AdverseImpactCondition, NeverForTheUnknownGroupAndTheReferenceClears) {
  const AdverseImpactSettings settings{0.8, 0.05, 30};
  const std::vector<Counts> groups = {{400, 200}, {400, 120}};
  const AttributeStatistics result = analyze_attribute(groups, {}, {}, analysis(Correction::holm));
  AdverseImpactCandidate unknown = candidate(result, groups, 1);
  unknown.is_unknown = true;
  EXPECT_FALSE(adverse_impact_condition(unknown, settings));
  EXPECT_FALSE(adverse_impact_observation(unknown, settings).ratio);

  const AlertObservation reference =
      adverse_impact_observation(candidate(result, groups, 0), settings);
  EXPECT_FALSE(reference.condition);
  EXPECT_EQ(reference.ratio, 1.0);  // a firing group that became the reference clears

  const AlertObservation biased =
      adverse_impact_observation(candidate(result, groups, 1), settings);
  EXPECT_TRUE(biased.condition);
  EXPECT_NEAR(*biased.ratio, 0.6, 1e-12);
  EXPECT_TRUE(biased.has_evidence);

  const std::vector<Counts> gone = {{400, 200}, {0, 0}};
  const AttributeStatistics empty = analyze_attribute(gone, {}, {}, analysis(Correction::holm));
  EXPECT_FALSE(adverse_impact_observation(candidate(empty, gone, 1), settings).has_evidence);
}

}  // namespace
}  // namespace fairwatch::detectors
