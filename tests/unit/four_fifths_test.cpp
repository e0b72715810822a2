#include <gtest/gtest.h>

#include "fairwatch/detectors/impact_ratio.h"

namespace fairwatch::detectors {
namespace {

TEST(FourFifths, ExactlyOnTheLineIsNotBelow) {
  // 40/100 against 50/100: ratio exactly 0.8, which passes.
  EXPECT_FALSE(below_four_fifths({100, 40}, {100, 50}));
  EXPECT_EQ(shortfall({100, 40}, {100, 50}), 0u);
  // One selection fewer fails and needs exactly one more.
  EXPECT_TRUE(below_four_fifths({100, 39}, {100, 50}));
  EXPECT_EQ(shortfall({100, 39}, {100, 50}), 1u);
}

TEST(FourFifths, DecidedOnIntegersWhereFloatingDivisionRoundsWrong) {
  // 0.8 is not representable: 4/5 of 3/7 is 12/35; a group at 12/35 is on the line.
  EXPECT_FALSE(below_four_fifths({35, 12}, {7, 3}));
  EXPECT_TRUE(below_four_fifths({35'000'000'001, 12'000'000'000}, {7, 3}));
}

TEST(FourFifths, CountsUpToBillionsDoNotOverflow) {
  const Counts reference{4'000'000'000'000, 3'000'000'000'000};
  const Counts group{4'000'000'000'000, 2'400'000'000'000};
  EXPECT_FALSE(below_four_fifths(group, reference));
  EXPECT_EQ(shortfall({4'000'000'000'000, 2'399'999'999'990}, reference), 10u);
}

TEST(FourFifths, ShortfallLiftsTheGroupExactlyToTheLine) {
  for (std::uint64_t n = 1; n <= 12; ++n) {
    for (std::uint64_t s = 0; s <= n; ++s) {
      const Counts reference{11, 7};
      const Counts group{n, s};
      const std::uint64_t k = shortfall(group, reference);
      EXPECT_FALSE(below_four_fifths({n, s + k}, reference)) << n << " " << s;
      if (k > 0) {
        EXPECT_TRUE(below_four_fifths({n, s + k - 1}, reference)) << n << " " << s;
      }
    }
  }
}

TEST(RateGreater, ComparesFractionsExactly) {
  EXPECT_TRUE(rate_greater({3, 2}, {5, 3}));   // 0.667 > 0.6
  EXPECT_FALSE(rate_greater({6, 3}, {2, 1}));  // equal
  EXPECT_FALSE(rate_greater({5, 3}, {3, 2}));
}

}  // namespace
}  // namespace fairwatch::detectors
