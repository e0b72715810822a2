// AdverseImpactRule: quiet under equal rates and under a drop of both
// groups' rates, fires on a drop of the ratio through the change detector,
// and through the confidence sequence on a ratio far below the line.
#include "fairwatch/detectors/adverse_impact_rule.h"

#include <gtest/gtest.h>

#include <random>

namespace fairwatch::detectors {
namespace {

struct Stream {
  std::mt19937_64 random;
  Counts group;
  Counts reference;
  Counts reference_batch;  // the reference's part of the last batch
  explicit Stream(std::uint64_t seed) : random(seed) {}
  // One batch of `applicants` per group at the given rates.
  Counts next(std::uint32_t applicants, double group_rate, double reference_rate) {
    std::binomial_distribution<std::uint32_t> group_selected(applicants, group_rate);
    std::binomial_distribution<std::uint32_t> reference_selected(applicants, reference_rate);
    const Counts batch{applicants, group_selected(random)};
    group += batch;
    reference_batch = Counts{applicants, reference_selected(random)};
    reference += reference_batch;
    return batch;
  }
  AdverseImpactVerdict feed(AdverseImpactRule& rule, std::uint32_t applicants, double group_rate,
                            double reference_rate) {
    const Counts batch = next(applicants, group_rate, reference_rate);
    return rule.evaluate(batch, reference_batch, group, reference);
  }
};

AdverseImpactRuleConfig config_for(double applicants_per_batch) {
  AdverseImpactRuleConfig config;
  config.change_arl0_outcomes = 1000 * 365 * applicants_per_batch;  // ~1000 years of daily batches
  return config;
}

TEST(AdverseImpactRule, QuietWhenRatesAreEqual) {
  AdverseImpactRule rule(config_for(500));
  Stream stream(1);
  for (int day = 0; day < 365; ++day) {
    const auto verdict = stream.feed(rule, 500, 0.3, 0.3);
    ASSERT_FALSE(verdict.alarm) << "day " << day;
    ASSERT_TRUE(verdict.ratio_bounds.has_value());
    EXPECT_LT(verdict.ratio_bounds->lower, 1.0);
    EXPECT_GT(verdict.ratio_bounds->upper, 1.0);
  }
}

TEST(AdverseImpactRule, ChangeDetectorFiresWithinDaysOfADropTo07) {
  AdverseImpactRule rule(config_for(500));
  Stream stream(2);
  for (int day = 0; day < 60; ++day) {
    ASSERT_FALSE(stream.feed(rule, 500, 0.3, 0.3).alarm);
  }
  int days = 0;
  AdverseImpactVerdict verdict;
  do {
    ++days;
    ASSERT_LT(days, 10);
    verdict = stream.feed(rule, 500, 0.21, 0.3);
  } while (!verdict.alarm);
  EXPECT_TRUE(verdict.change_detected);
  EXPECT_FALSE(verdict.confidence_sequence);  // cumulative counts move slowly
  EXPECT_EQ(verdict.cusum_statistic, 0);      // reset after the alarm
}

TEST(AdverseImpactRule, ADropOfBothGroupsRatesIsNotAdverseImpact) {
  // A hiring freeze: both rates fall from 0.3 to 0.2. Against the
  // reference's long-run rate the group looks like a drop to 0.67, and the
  // CUSUM reaches its threshold (again and again); the reference's own
  // outcomes over the same stretch fell alike, so no alarm is confirmed.
  AdverseImpactRule rule(config_for(500));
  Stream stream(4);
  for (int day = 0; day < 60; ++day) ASSERT_FALSE(stream.feed(rule, 500, 0.3, 0.3).alarm);
  bool reached = false;
  for (int day = 0; day < 60; ++day) {
    const auto verdict = stream.feed(rule, 500, 0.2, 0.2);
    ASSERT_FALSE(verdict.change_detected) << "day " << day;
    ASSERT_FALSE(verdict.alarm) << "day " << day;
    reached = reached || verdict.change_unconfirmed;
  }
  EXPECT_TRUE(reached);  // the plain CUSUM would have alarmed
  // A real drop afterwards is still found.
  int days = 0;
  AdverseImpactVerdict verdict;
  do {
    ++days;
    ASSERT_LT(days, 15);
    verdict = stream.feed(rule, 500, 0.13, 0.2);
  } while (!verdict.alarm);
  EXPECT_TRUE(verdict.change_detected);
}

TEST(AdverseImpactRule, ConfidenceSequenceFiresOnARatioFarBelowTheLine) {
  AdverseImpactRuleConfig config = config_for(500);
  config.change_arl0_outcomes = 1e100;  // change detector effectively off
  AdverseImpactRule rule(config);
  Stream stream(3);
  bool fired = false;
  for (int day = 0; day < 30 && !fired; ++day) {
    const auto verdict = stream.feed(rule, 500, 0.15, 0.3);
    fired = verdict.confidence_sequence;
    EXPECT_FALSE(verdict.change_detected);
  }
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace fairwatch::detectors
