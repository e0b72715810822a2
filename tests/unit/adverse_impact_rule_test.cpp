// AdverseImpactRule: quiet under equal rates, fires on a drop of the ratio
// through the change detector, and through the confidence sequence on a
// ratio far below the line.
#include "fairwatch/detectors/adverse_impact_rule.h"

#include <gtest/gtest.h>

#include <random>

namespace fairwatch::detectors {
namespace {

struct Stream {
  std::mt19937_64 random;
  Counts group;
  Counts reference;
  explicit Stream(std::uint64_t seed) : random(seed) {}
  // One batch of `applicants` per group at the given rates.
  Counts next(std::uint32_t applicants, double group_rate, double reference_rate) {
    std::binomial_distribution<std::uint32_t> group_selected(applicants, group_rate);
    std::binomial_distribution<std::uint32_t> reference_selected(applicants, reference_rate);
    const Counts batch{applicants, group_selected(random)};
    group += batch;
    reference += Counts{applicants, reference_selected(random)};
    return batch;
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
    const Counts batch = stream.next(500, 0.3, 0.3);
    const auto verdict = rule.evaluate(batch, stream.group, stream.reference);
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
    ASSERT_FALSE(rule.evaluate(stream.next(500, 0.3, 0.3), stream.group, stream.reference).alarm);
  }
  int days = 0;
  AdverseImpactVerdict verdict;
  do {
    ++days;
    ASSERT_LT(days, 10);
    verdict = rule.evaluate(stream.next(500, 0.21, 0.3), stream.group, stream.reference);
  } while (!verdict.alarm);
  EXPECT_TRUE(verdict.change_detected);
  EXPECT_FALSE(verdict.confidence_sequence);  // cumulative counts move slowly
  EXPECT_EQ(verdict.cusum_statistic, 0);      // reset after the alarm
}

TEST(AdverseImpactRule, ConfidenceSequenceFiresOnARatioFarBelowTheLine) {
  AdverseImpactRuleConfig config = config_for(500);
  config.change_arl0_outcomes = 1e100;  // change detector effectively off
  AdverseImpactRule rule(config);
  Stream stream(3);
  bool fired = false;
  for (int day = 0; day < 30 && !fired; ++day) {
    const auto verdict = rule.evaluate(stream.next(500, 0.15, 0.3), stream.group, stream.reference);
    fired = verdict.confidence_sequence;
    EXPECT_FALSE(verdict.change_detected);
  }
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace fairwatch::detectors
