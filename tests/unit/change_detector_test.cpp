// BernoulliCusum: calibration of the threshold against simulated run lengths,
// detection delay after a shift, batching and reset.
#include "fairwatch/detectors/change_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

namespace fairwatch::detectors {
namespace {

// Outcomes until the first alarm, one outcome per batch, true rate `rate`.
double mean_run_length(double p0, double shift, double arl0, double rate, int runs,
                       std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::bernoulli_distribution selected(rate);
  double total = 0;
  for (int run = 0; run < runs; ++run) {
    BernoulliCusum cusum(shift, arl0);
    std::uint64_t outcomes = 0;
    do {
      ++outcomes;
    } while (!cusum.observe(Counts{1, selected(random) ? 1u : 0u}, p0));
    total += static_cast<double>(outcomes);
  }
  return total / runs;
}

TEST(BernoulliCusum, InControlRunLengthMatchesCalibratedArl) {
  // 1,000 runs: the mean's standard error is ~3% of the ARL; the
  // approximation is within 10%: accept ±15%.
  for (const double shift : {0.7, 0.8}) {
    const double arl0 = 4000;
    const double observed = mean_run_length(0.3, shift, arl0, 0.3, 1000, 11);
    EXPECT_NEAR(observed / arl0, 1.0, 0.15) << "shift " << shift;
  }
}

TEST(BernoulliCusum, DetectsTheShiftAfterAboutThresholdOverDivergence) {
  // After a drop 0.3 → 0.21 the delay is about h / KL(p1 ‖ p0) outcomes
  // (Wald; overshoot adds a little): accept 0.8–1.4 times that.
  const double p0 = 0.3;
  const double p1 = 0.21;
  const double arl0 = 1e6;
  const double h = cusum_threshold(p0, p1, arl0);
  const double divergence = p1 * std::log(p1 / p0) + (1 - p1) * std::log((1 - p1) / (1 - p0));
  const double delay = mean_run_length(p0, 0.7, arl0, p1, 400, 12);
  EXPECT_GT(delay, 0.8 * h / divergence);
  EXPECT_LT(delay, 1.4 * h / divergence);
  // And far sooner than an in-control alarm.
  EXPECT_LT(delay, arl0 / 100);
}

TEST(BernoulliCusum, ThresholdAndArlAreInverses) {
  for (const double arl0 : {100.0, 1e4, 1e8}) {
    const double h = cusum_threshold(0.2, 0.16, arl0);
    EXPECT_GT(h, 0);
    EXPECT_NEAR(cusum_in_control_arl(0.2, 0.16, h) / arl0, 1.0, 1e-9) << arl0;
  }
  // A longer ARL needs a higher threshold; e^h never exceeds the ARL bound.
  EXPECT_LT(cusum_threshold(0.3, 0.21, 1e4), cusum_threshold(0.3, 0.21, 1e5));
  EXPECT_LT(std::exp(cusum_threshold(0.3, 0.21, 1e6)), 1e6);
}

TEST(BernoulliCusum, AlarmResetsTheStatistic) {
  BernoulliCusum cusum(0.5, 100);
  int batches = 0;
  while (!cusum.observe(Counts{10, 0}, 0.5)) {
    ++batches;
    ASSERT_LT(batches, 100);
    EXPECT_GT(cusum.statistic(), 0);
  }
  EXPECT_EQ(cusum.statistic(), 0);
  EXPECT_EQ(cusum.alarms(), 1u);
  EXPECT_GT(cusum.threshold(), 0);
  // Selections at the in-control rate or above never accumulate evidence.
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(cusum.observe(Counts{10, 10}, 0.5));
  }
  EXPECT_EQ(cusum.statistic(), 0);
}

TEST(BernoulliCusum, BatchingNeverAlarmsSoonerThanSingleOutcomes) {
  std::mt19937_64 random(5);
  std::bernoulli_distribution selected(0.25);
  BernoulliCusum single(0.7, 500);
  BernoulliCusum batched(0.7, 500);
  Counts batch;
  for (int i = 0; i < 200000; ++i) {
    const Counts outcome{1, selected(random) ? 1u : 0u};
    single.observe(outcome, 0.3);
    batch += outcome;
    if (batch.applicants == 20) {
      batched.observe(batch, 0.3);
      batch = {};
    }
  }
  EXPECT_GT(single.alarms(), 10u);
  EXPECT_LE(batched.alarms(), single.alarms());
}

TEST(BernoulliCusum, SkipsBatchesWithoutAUsableInControlRate) {
  BernoulliCusum cusum(0.8, 1000);
  EXPECT_FALSE(cusum.observe(Counts{100, 0}, 0.0));
  EXPECT_FALSE(cusum.observe(Counts{100, 0}, 1.0));
  BernoulliCusum rise(2.0, 1000);
  EXPECT_FALSE(rise.observe(Counts{100, 100}, 0.6));  // p1 = 1.2
  EXPECT_EQ(cusum.statistic(), 0);
  EXPECT_EQ(rise.statistic(), 0);
}

TEST(BernoulliCusum, RetunedInControlArlMovesTheThresholdOnTheNextBatch) {
  BernoulliCusum cusum(0.8, 1000);
  cusum.observe(Counts{10, 3}, 0.3);
  const double before = cusum.threshold();
  EXPECT_DOUBLE_EQ(before, cusum_threshold(0.3, 0.24, 1000));
  cusum.set_in_control_arl(1e6);
  EXPECT_EQ(cusum.in_control_arl(), 1e6);
  cusum.observe(Counts{10, 3}, 0.3);
  EXPECT_DOUBLE_EQ(cusum.threshold(), cusum_threshold(0.3, 0.24, 1e6));
  EXPECT_GT(cusum.threshold(), before);
}

TEST(BernoulliCusum, RestoredStatisticContinuesAsIfNeverInterrupted) {
  BernoulliCusum original(0.7, 5000);
  for (int i = 0; i < 30; ++i) original.observe(Counts{20, 3}, 0.3);
  BernoulliCusum restored(0.7, 5000);
  restored.restore(original.statistic(), original.alarms());
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(original.observe(Counts{20, 2}, 0.3), restored.observe(Counts{20, 2}, 0.3));
    EXPECT_DOUBLE_EQ(original.statistic(), restored.statistic());
  }
  EXPECT_EQ(original.alarms(), restored.alarms());
  EXPECT_GT(original.alarms(), 0u);
}

}  // namespace
}  // namespace fairwatch::detectors
