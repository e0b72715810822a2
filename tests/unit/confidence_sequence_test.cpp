// ConfidenceSequence: time-uniform coverage by simulation, for one rate and
// for the impact ratio, and the shape of the bounds.
#include "fairwatch/detectors/confidence_sequence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "fairwatch/detectors/proportion.h"

namespace fairwatch::detectors {
namespace {

constexpr int kPaths = 1000;
constexpr int kSteps = 10000;

TEST(ConfidenceSequence, RateCoveredAtAllTimesInAtLeast95PercentOfPaths) {
  // Looked at after every outcome: the CS must hold along the whole path;
  // a fixed-n 95% Wilson interval looked at as often fails on most paths.
  const ConfidenceSequence sequence(0.05, kSteps);
  std::mt19937_64 random(2021);
  int cs_paths_missed = 0;
  int wilson_paths_missed = 0;
  for (const double rate : {0.3, 0.05}) {
    std::bernoulli_distribution selected(rate);
    for (int path = 0; path < kPaths / 2; ++path) {
      Counts counts;
      bool cs_missed = false;
      bool wilson_missed = false;
      for (int step = 0; step < kSteps; ++step) {
        counts += Counts{1, selected(random) ? 1u : 0u};
        const Interval bound = *sequence.selection_rate(counts);
        cs_missed = cs_missed || rate < bound.lower || rate > bound.upper;
        if (!wilson_missed && step % 10 == 9) {
          const Interval wilson = *wilson_interval(counts, 0.95);
          wilson_missed = rate < wilson.lower || rate > wilson.upper;
        }
      }
      cs_paths_missed += cs_missed ? 1 : 0;
      wilson_paths_missed += wilson_missed ? 1 : 0;
    }
  }
  EXPECT_LE(cs_paths_missed, kPaths * 5 / 100);
  EXPECT_GT(wilson_paths_missed, kPaths * 30 / 100);
}

TEST(ConfidenceSequence, ImpactRatioCoveredAtAllTimesInAtLeast95PercentOfPaths) {
  const ConfidenceSequence sequence(0.05, kSteps);
  std::mt19937_64 random(2022);
  std::bernoulli_distribution group_selected(0.21);
  std::bernoulli_distribution reference_selected(0.3);
  const double ratio = 0.7;
  int paths_missed = 0;
  for (int path = 0; path < kPaths / 2; ++path) {
    Counts group;
    Counts reference;
    bool missed = false;
    for (int step = 0; step < kSteps; ++step) {
      group += Counts{1, group_selected(random) ? 1u : 0u};
      reference += Counts{1, reference_selected(random) ? 1u : 0u};
      const Interval bound = *sequence.impact_ratio(group, reference);
      missed = missed || ratio < bound.lower || ratio > bound.upper;
    }
    paths_missed += missed ? 1 : 0;
  }
  EXPECT_LE(paths_missed, kPaths / 2 * 5 / 100);
}

TEST(ConfidenceSequence, NarrowsWithDataAndIsTightestNearItsTuning) {
  const ConfidenceSequence early(0.05, 1000);
  const ConfidenceSequence late(0.05, 100000);
  EXPECT_LT(early.rate_radius(1000), late.rate_radius(1000));
  EXPECT_GT(early.rate_radius(100000), late.rate_radius(100000));
  EXPECT_LT(late.rate_radius(100000), late.rate_radius(10000));
  // Wider than the fixed-n 95% interval (the price of looking at every n)
  // but within a few times of it: ~1.96·0.5/√n = 0.0098 at n = 10,000.
  const double radius = ConfidenceSequence(0.05, 10000).rate_radius(10000);
  EXPECT_GT(radius, 0.0098);
  EXPECT_LT(radius, 3 * 0.0098);
}

TEST(ConfidenceSequence, RatioBoundsAndEdgeCases) {
  const ConfidenceSequence sequence(0.05, 1000);
  EXPECT_FALSE(sequence.selection_rate({0, 0}).has_value());
  EXPECT_FALSE(sequence.impact_ratio({10, 1}, {0, 0}).has_value());
  const Interval all = *sequence.selection_rate({5, 5});
  EXPECT_EQ(all.upper, 1.0);
  // A reference whose lower bound is 0 leaves the ratio unbounded above.
  EXPECT_TRUE(std::isinf(sequence.impact_ratio({10, 5}, {10, 0})->upper));
  const Interval ratio = *sequence.impact_ratio({50000, 10000}, {50000, 15000});
  EXPECT_LT(ratio.lower, 2.0 / 3.0);
  EXPECT_GT(ratio.upper, 2.0 / 3.0);
  EXPECT_LT(ratio.upper, 0.8);
  const Interval group = *sequence.ratio_rate_bounds({50000, 10000});
  const Interval reference = *sequence.ratio_rate_bounds({50000, 15000});
  EXPECT_DOUBLE_EQ(ratio.lower, group.lower / reference.upper);
  EXPECT_DOUBLE_EQ(ratio.upper, group.upper / reference.lower);
}

}  // namespace
}  // namespace fairwatch::detectors
