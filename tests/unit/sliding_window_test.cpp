#include "fairwatch/detectors/sliding_window.h"

#include <gtest/gtest.h>

#include "fairwatch/detectors/dedupe_filter.h"

namespace fairwatch::detectors {
namespace {

constexpr std::int64_t kHour = 3'600'000;

TEST(SlidingCounts, CountsOnlyBucketsInsideTheWindow) {
  SlidingCounts window(24 * kHour, 24);  // one bucket per hour
  std::int64_t watermark = 100 * kHour;
  EXPECT_TRUE(window.add(100 * kHour, watermark, true));
  EXPECT_TRUE(window.add(90 * kHour, watermark, false));
  EXPECT_TRUE(window.add(77 * kHour, watermark, true));               // oldest live bucket: 77
  EXPECT_FALSE(window.add(76 * kHour + kHour - 1, watermark, true));  // bucket 76 has expired
  EXPECT_EQ(window.counts(watermark), (Counts{3, 2}));

  // Sliding forward by 13 hours drops buckets 77..89.
  watermark = 113 * kHour;
  EXPECT_EQ(window.counts(watermark), (Counts{2, 1}));
  watermark = 200 * kHour;
  EXPECT_EQ(window.counts(watermark), (Counts{0, 0}));
}

TEST(SlidingCounts, RecycledSlotsStartEmpty) {
  SlidingCounts window(4 * kHour, 4);
  for (std::int64_t hour = 0; hour < 40; ++hour) {
    ASSERT_TRUE(window.add(hour * kHour, hour * kHour, true));
    ASSERT_TRUE(window.add(hour * kHour + 1, hour * kHour + 1, false));
    EXPECT_EQ(window.counts(hour * kHour + 1), (Counts{2 * std::min<std::uint64_t>(hour + 1, 4),
                                                       std::min<std::uint64_t>(hour + 1, 4)}));
  }
}

TEST(SlidingCounts, NegativeTimesUseFloorBuckets) {
  SlidingCounts window(2 * kHour, 2);
  EXPECT_TRUE(window.add(-1, 0, true));           // bucket −1 is live at watermark 0
  EXPECT_FALSE(window.add(-kHour - 1, 0, true));  // bucket −2 is not
  EXPECT_EQ(window.counts(0), (Counts{1, 1}));
}

TEST(SlidingWindow, LengthNotDivisibleByBucketsRoundsWidthUp) {
  SlidingWindow window(1000, 3, 10);              // width 334 ms
  EXPECT_TRUE(window.add(0, 1001, true, -1, 0));  // head bucket 2: buckets 0..2 live
  EXPECT_EQ(window.counts(1001), (Counts{1, 1}));
  EXPECT_EQ(window.counts(1002), (Counts{0, 0}));  // head bucket 3: bucket 0 expired
}

TEST(SlidingWindow, ScoresFollowTheirBuckets) {
  const ScoreGrid grid{0, 1, 10};
  SlidingWindow window(10 * kHour, 10, grid.bins);
  window.add(0, 0, true, grid.bin_of(0.15), 0.15);
  window.add(5 * kHour, 5 * kHour, false, grid.bin_of(0.95), 0.95);
  window.add(5 * kHour, 5 * kHour, false, -1, 0);  // no score
  ScoreSummary summary(grid.bins);
  window.accumulate_scores(5 * kHour, summary);
  EXPECT_EQ(summary.count, 2u);
  EXPECT_DOUBLE_EQ(*summary.mean(), 0.55);
  EXPECT_EQ(summary.histogram[1], 1u);
  EXPECT_EQ(summary.histogram[9], 1u);

  ScoreSummary later(grid.bins);
  window.accumulate_scores(10 * kHour, later);  // bucket 0 gone
  EXPECT_EQ(later.count, 1u);
  EXPECT_EQ(later.histogram[1], 0u);
  EXPECT_EQ(window.counts(10 * kHour), (Counts{2, 0}));
}

TEST(ScoreGrid, ValuesOnAnEdgeGoToTheLowerBin) {
  const ScoreGrid grid{0, 1, 10};
  EXPECT_EQ(grid.bin_of(0.0), 0);
  EXPECT_EQ(grid.bin_of(0.1), 0);
  EXPECT_EQ(grid.bin_of(0.1000001), 1);
  EXPECT_EQ(grid.bin_of(0.3), 2);  // 0.3 * 10 rounds above 3 in binary
  EXPECT_EQ(grid.bin_of(0.7), 6);
  EXPECT_EQ(grid.bin_of(1.0), 9);
  for (int edge = 1; edge < 10; ++edge) {
    EXPECT_EQ(grid.bin_of(edge / 10.0), edge - 1) << edge;
  }
}

TEST(ScoreSummary, MedianBinAndCountAbove) {
  const ScoreGrid grid{0, 1, 4};
  ScoreSummary summary(grid.bins);
  for (double score : {0.1, 0.2, 0.6, 0.7, 0.9}) {
    ++summary.count;
    summary.sum += score;
    summary.sum_squares += score * score;
    ++summary.histogram[static_cast<std::size_t>(grid.bin_of(score))];
  }
  // Bins: [0,.25]: 2, (.25,.5]: 0, (.5,.75]: 2, (.75,1]: 1. Median (3rd) is in bin 2.
  EXPECT_EQ(summary.median_bin(), 2);
  EXPECT_EQ(summary.count_above(2), 1u);
  EXPECT_NEAR(*summary.standard_deviation(), 0.33911649915626341,
              1e-12);  // R: sd(c(.1,.2,.6,.7,.9))
  EXPECT_FALSE(ScoreSummary(4).median_bin().has_value());
}

TEST(DedupeFilter, RemembersIdsWithinTheHorizon) {
  DedupeFilter filter(10 * kHour, 100);
  const auto a = DedupeFilter::hash_id("a");
  const auto b = DedupeFilter::hash_id("b");
  EXPECT_FALSE(filter.seen_before(a, 0, 0));
  EXPECT_TRUE(filter.seen_before(a, 0, 0));
  EXPECT_FALSE(filter.seen_before(b, 5 * kHour, 5 * kHour));
  EXPECT_TRUE(filter.seen_before(a, 9 * kHour, 9 * kHour));
  // At watermark 10h + 1ms, "a" (time 0) is beyond the horizon and forgotten.
  EXPECT_FALSE(filter.seen_before(a, 10 * kHour + 1, 10 * kHour + 1));
  EXPECT_TRUE(filter.seen_before(b, 10 * kHour + 1, 10 * kHour + 1));
  EXPECT_EQ(filter.evicted_early(), 0u);
}

TEST(DedupeFilter, CapForgetsTheOldestFirstAndCountsIt) {
  DedupeFilter filter(100 * kHour, 3);
  for (const char* id : {"1", "2", "3", "4"}) {
    EXPECT_FALSE(filter.seen_before(DedupeFilter::hash_id(id), 0, 0));
  }
  EXPECT_EQ(filter.size(), 3u);
  EXPECT_EQ(filter.evicted_early(), 1u);
  EXPECT_TRUE(filter.seen_before(DedupeFilter::hash_id("4"), 0, 0));
  EXPECT_FALSE(filter.seen_before(DedupeFilter::hash_id("1"), 0, 0));
}

TEST(DedupeFilter, HashIsStable) {
  // FNV-1a 64 of "a" and of the empty string, from the published test vectors.
  EXPECT_EQ(DedupeFilter::hash_id(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(DedupeFilter::hash_id("a"), 0xaf63dc4c8601ec8cULL);
}

}  // namespace
}  // namespace fairwatch::detectors
