// ReservoirSample: capacity, determinism and uniform inclusion.
#include "fairwatch/detectors/reservoir_sample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace fairwatch::detectors {
namespace {

TEST(ReservoirSample, KeepsEverythingUpToCapacity) {
  ReservoirSample sample(5, 1);
  for (int i = 0; i < 3; ++i) sample.add(i);
  EXPECT_EQ(sample.seen(), 3u);
  EXPECT_EQ(std::vector<double>(sample.values().begin(), sample.values().end()),
            (std::vector<double>{0, 1, 2}));
}

TEST(ReservoirSample, SameSeedSameSampleOtherSeedOtherSample) {
  ReservoirSample a(10, 42);
  ReservoirSample b(10, 42);
  ReservoirSample c(10, 43);
  for (int i = 0; i < 1000; ++i) {
    a.add(i);
    b.add(i);
    c.add(i);
  }
  EXPECT_EQ(a.values().size(), 10u);
  EXPECT_TRUE(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
  EXPECT_FALSE(std::equal(a.values().begin(), a.values().end(), c.values().begin()));
}

TEST(ReservoirSample, EveryValueIsEquallyLikelyToBeKept) {
  // 20 values into a reservoir of 5, 20,000 times: each value is kept with
  // probability 1/4, so 5,000 times ± 4.5 standard deviations (~61).
  constexpr int kValues = 20;
  constexpr int kRuns = 20000;
  std::vector<int> kept(kValues, 0);
  for (int run = 0; run < kRuns; ++run) {
    ReservoirSample sample(5, static_cast<std::uint64_t>(run));
    for (int i = 0; i < kValues; ++i) sample.add(i);
    for (const double value : sample.values()) ++kept[static_cast<std::size_t>(value)];
  }
  for (int i = 0; i < kValues; ++i) {
    EXPECT_NEAR(kept[static_cast<std::size_t>(i)], kRuns / 4.0, 275) << "value " << i;
  }
}

}  // namespace
}  // namespace fairwatch::detectors
