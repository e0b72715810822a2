#include "fairwatch/detectors/sliding_group_window.h"

#include <gtest/gtest.h>

#include "fairwatch/detectors/dedupe_filter.h"

namespace fairwatch::detectors {
namespace {

constexpr std::int64_t kHour = 3'600'000;

// Counts of one slot of a window at a watermark.
Counts slot_counts(const SlidingGroupWindow& window, std::int64_t watermark, std::size_t slot) {
  std::vector<Counts> counts(window.slots());
  window.counts(watermark, counts);
  return counts[slot];
}

const std::uint32_t kSlot0[] = {0};

TEST(SlidingGroupWindow, CountsOnlyBucketsInsideTheWindow) {
  SlidingGroupWindow window(24 * kHour, 24, 1, 0);  // one bucket per hour
  std::int64_t watermark = 100 * kHour;
  EXPECT_TRUE(window.add(100 * kHour, watermark, kSlot0, true, -1, 0));
  EXPECT_TRUE(window.add(90 * kHour, watermark, kSlot0, false, -1, 0));
  EXPECT_TRUE(window.add(77 * kHour, watermark, kSlot0, true, -1, 0));  // oldest live bucket: 77
  EXPECT_FALSE(window.add(77 * kHour - 1, watermark, kSlot0, true, -1, 0));  // bucket 76: expired
  EXPECT_EQ(slot_counts(window, watermark, 0), (Counts{3, 2}));

  // Sliding forward by 13 hours drops buckets 77..89.
  EXPECT_EQ(slot_counts(window, 113 * kHour, 0), (Counts{2, 1}));
  EXPECT_EQ(slot_counts(window, 200 * kHour, 0), (Counts{0, 0}));
}

TEST(SlidingGroupWindow, AddsToEverySlotGivenAndNoOther) {
  SlidingGroupWindow window(kHour, 4, 5, 0);
  const std::uint32_t slots[] = {0, 3};
  window.add(0, 0, slots, true, -1, 0);
  std::vector<Counts> counts(5);
  window.counts(0, counts);
  EXPECT_EQ(counts, (std::vector<Counts>{{1, 1}, {0, 0}, {0, 0}, {1, 1}, {0, 0}}));
}

TEST(SlidingGroupWindow, RecycledBucketsStartEmpty) {
  SlidingGroupWindow window(4 * kHour, 4, 2, 10);
  const std::uint32_t slot1[] = {1};
  for (std::int64_t hour = 0; hour < 40; ++hour) {
    ASSERT_TRUE(window.add(hour * kHour, hour * kHour, kSlot0, true, 3, 0.35));
    ASSERT_TRUE(window.add(hour * kHour + 1, hour * kHour + 1, slot1, false, -1, 0));
    const std::uint64_t live = std::min<std::uint64_t>(hour + 1, 4);
    EXPECT_EQ(slot_counts(window, hour * kHour + 1, 0), (Counts{live, live}));
    EXPECT_EQ(slot_counts(window, hour * kHour + 1, 1), (Counts{live, 0}));
    ScoreSummary summary(10);
    window.accumulate_scores(hour * kHour + 1, 0, summary);
    EXPECT_EQ(summary.count, live);
    EXPECT_EQ(summary.histogram[3], live);
  }
}

TEST(SlidingGroupWindow, NegativeTimesUseFloorBuckets) {
  SlidingGroupWindow window(2 * kHour, 2, 1, 0);
  EXPECT_TRUE(window.add(-1, 0, kSlot0, true, -1, 0));            // bucket −1 is live at 0
  EXPECT_FALSE(window.add(-kHour - 1, 0, kSlot0, true, -1, 0));  // bucket −2 is not
  EXPECT_EQ(slot_counts(window, 0, 0), (Counts{1, 1}));
}

TEST(SlidingGroupWindow, LengthNotDivisibleByBucketsRoundsWidthUp) {
  SlidingGroupWindow window(1000, 3, 1, 0);  // width 334 ms
  EXPECT_EQ(window.bucket_width_ms(), 334);
  EXPECT_TRUE(window.add(0, 1001, kSlot0, true, -1, 0));  // head bucket 2: buckets 0..2 live
  EXPECT_EQ(slot_counts(window, 1001, 0), (Counts{1, 1}));
  EXPECT_EQ(slot_counts(window, 1002, 0), (Counts{0, 0}));  // head bucket 3: bucket 0 expired
}

TEST(SlidingGroupWindow, ScoresFollowTheirBuckets) {
  const ScoreGrid grid{0, 1, 10};
  SlidingGroupWindow window(10 * kHour, 10, 1, grid.bins);
  window.add(0, 0, kSlot0, true, grid.bin_of(0.15), 0.15);
  window.add(5 * kHour, 5 * kHour, kSlot0, false, grid.bin_of(0.95), 0.95);
  window.add(5 * kHour, 5 * kHour, kSlot0, false, -1, 0);  // no score
  ScoreSummary summary(grid.bins);
  window.accumulate_scores(5 * kHour, 0, summary);
  EXPECT_EQ(summary.count, 2u);
  EXPECT_DOUBLE_EQ(*summary.mean(), 0.55);
  EXPECT_EQ(summary.histogram[1], 1u);
  EXPECT_EQ(summary.histogram[9], 1u);

  ScoreSummary later(grid.bins);
  window.accumulate_scores(10 * kHour, 0, later);  // bucket 0 gone
  EXPECT_EQ(later.count, 1u);
  EXPECT_EQ(later.histogram[1], 0u);
  EXPECT_EQ(slot_counts(window, 10 * kHour, 0), (Counts{2, 0}));
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
