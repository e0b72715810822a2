// The statistics of detectors/ against reference values computed with R (and
// statsmodels for the Katz interval): tests/reference/generate_reference.R
// and generate_reference.py write the CSV files read here. "NA" in an
// expected column means the function must return nullopt (or no interval).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fairwatch/detectors/impact_ratio.h"
#include "fairwatch/detectors/proportion.h"
#include "fairwatch/detectors/significance.h"
#include "fairwatch/detectors/stratified.h"
#include "reference_csv.h"

namespace fairwatch::detectors {
namespace {

// Relative tolerances: closed forms to 1e-9; Fisher and CMH to 1e-6.
constexpr double kClosedForm = 1e-9;
constexpr double kExact = 1e-6;
// Below this R's own p-values are subnormal or 0: compare log p instead.
constexpr double kSmallestComparableP = 1e-300;

using fairwatch::test_support::Csv;
using fairwatch::test_support::Near;

// "s/n s/n …" → counts.
std::vector<Counts> parse_groups(const std::string& text) {
  std::vector<Counts> groups;
  for (const std::string& cell : Csv::split(text, ' ')) {
    const std::size_t slash = cell.find('/');
    groups.push_back(
        Counts{std::stoull(cell.substr(slash + 1)), std::stoull(cell.substr(0, slash))});
  }
  return groups;
}

// Two-group cases: (group, reference) from the four leading columns.
Counts group_of(const Csv& csv, std::size_t row) {
  return {csv.count(row, "group_applicants"), csv.count(row, "group_selected")};
}
Counts reference_of(const Csv& csv, std::size_t row) {
  return {csv.count(row, "reference_applicants"), csv.count(row, "reference_selected")};
}

// A p-value and its log against the reference: p relatively while R's p is
// comparable, log p always (absolutely when |log p| < 1, else relatively).
void ExpectPValue(const TestResult& actual, double p, double log_p, double relative,
                  const std::string& where) {
  if (p >= kSmallestComparableP) {
    EXPECT_TRUE(Near(actual.p_value, p, relative)) << where;
  } else {
    EXPECT_LT(actual.p_value, 1e-290) << where;
  }
  if (std::fabs(log_p) < 1) {
    EXPECT_NEAR(actual.log_p_value, log_p, relative) << where;
  } else {
    EXPECT_TRUE(Near(actual.log_p_value, log_p, relative)) << where;
  }
  EXPECT_TRUE(std::isfinite(actual.log_p_value)) << where;
  EXPECT_GE(actual.p_value, 0) << where;
  EXPECT_LE(actual.p_value, 1) << where;
  EXPECT_LE(actual.log_p_value, 0) << where;
}

TEST(WilsonReference, MatchesPropTest) {
  const Csv csv("wilson.csv");
  ASSERT_GT(csv.size(), 300u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const Counts counts{csv.count(row, "applicants"), csv.count(row, "selected")};
    const auto interval = wilson_interval(counts, *csv.number(row, "confidence"));
    ASSERT_TRUE(interval.has_value()) << csv.describe(row);
    EXPECT_TRUE(Near(interval->lower, *csv.number(row, "lower"), kClosedForm)) << csv.describe(row);
    EXPECT_TRUE(Near(interval->upper, *csv.number(row, "upper"), kClosedForm)) << csv.describe(row);
  }
}

TEST(WilsonReference, NoApplicantsHasNoRateOrInterval) {
  EXPECT_FALSE(selection_rate({0, 0}).has_value());
  EXPECT_FALSE(wilson_interval({0, 0}, 0.95).has_value());
  EXPECT_EQ(selection_rate({4, 1}), 0.25);
}

TEST(ImpactRatioReference, MatchesKatzDefinition) {
  const Csv csv("impact_ratio.csv");
  ASSERT_GT(csv.size(), 2000u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const auto result =
        impact_ratio(group_of(csv, row), reference_of(csv, row), *csv.number(row, "confidence"));
    const auto ratio = csv.number(row, "ratio");
    ASSERT_EQ(result.has_value(), ratio.has_value()) << csv.describe(row);
    if (!ratio) {
      continue;
    }
    EXPECT_TRUE(Near(result->ratio, *ratio, kClosedForm)) << csv.describe(row);
    ASSERT_TRUE(result->interval.has_value()) << csv.describe(row);
    EXPECT_TRUE(Near(result->interval->lower, *csv.number(row, "lower"), kClosedForm))
        << csv.describe(row);
    EXPECT_TRUE(Near(result->interval->upper, *csv.number(row, "upper"), kClosedForm))
        << csv.describe(row);
  }
}

TEST(ImpactRatioReference, MatchesStatsmodelsRiskRatioInterval) {
  const Csv csv("impact_ratio_statsmodels.csv");
  ASSERT_GT(csv.size(), 900u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const auto result =
        impact_ratio(group_of(csv, row), reference_of(csv, row), *csv.number(row, "confidence"));
    ASSERT_TRUE(result.has_value() && result->interval.has_value()) << csv.describe(row);
    EXPECT_TRUE(Near(result->interval->lower, *csv.number(row, "lower"), kClosedForm))
        << csv.describe(row);
    EXPECT_TRUE(Near(result->interval->upper, *csv.number(row, "upper"), kClosedForm))
        << csv.describe(row);
  }
}

TEST(FourFifthsReference, VerdictAndShortfallMatchStepping) {
  const Csv csv("four_fifths.csv");
  ASSERT_GT(csv.size(), 4000u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const Counts group = group_of(csv, row);
    const Counts reference = reference_of(csv, row);
    EXPECT_EQ(below_four_fifths(group, reference), csv.at(row, "below") == "1")
        << csv.describe(row);
    EXPECT_EQ(shortfall(group, reference), csv.count(row, "shortfall")) << csv.describe(row);
  }
}

TEST(ZTestReference, MatchesPropTestAndPnorm) {
  const Csv csv("z_test.csv");
  ASSERT_GT(csv.size(), 4000u);
  int far_below_double = 0;
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const auto result = two_proportion_z_test(group_of(csv, row), reference_of(csv, row));
    const auto z = csv.number(row, "z");
    ASSERT_EQ(result.has_value(), z.has_value()) << csv.describe(row);
    if (!z) {
      continue;
    }
    EXPECT_TRUE(Near(result->statistic, *z, kClosedForm)) << csv.describe(row);
    ExpectPValue(*result, *csv.number(row, "p"), *csv.number(row, "log_p"), kClosedForm,
                 csv.describe(row));
    if (*csv.number(row, "log_p") < std::log(1e-308)) {
      ++far_below_double;
    }
  }
  EXPECT_GT(far_below_double, 5);
}

TEST(ZTest, EdgeCases) {
  EXPECT_FALSE(two_proportion_z_test({0, 0}, {10, 5}).has_value());
  EXPECT_FALSE(two_proportion_z_test({10, 5}, {0, 0}).has_value());
  EXPECT_FALSE(two_proportion_z_test({10, 0}, {7, 0}).has_value());   // pooled rate 0
  EXPECT_FALSE(two_proportion_z_test({10, 10}, {7, 7}).has_value());  // pooled rate 1
  // Equal rates: z = 0 and p = 1 exactly (DESIGN.md conventions).
  for (const auto& [group, reference] : std::vector<std::pair<Counts, Counts>>{
           {{3, 1}, {6, 2}}, {{49, 7}, {7, 1}}, {{999'999, 333'333}, {3, 1}}}) {
    const auto result = two_proportion_z_test(group, reference);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->statistic, 0.0);
    EXPECT_EQ(result->p_value, 1.0);
    EXPECT_EQ(result->log_p_value, 0.0);
  }
  // Sign: group minus reference.
  EXPECT_LT(two_proportion_z_test({100, 10}, {100, 50})->statistic, -2);
  EXPECT_TRUE(exceeds_two_sd(*two_proportion_z_test({100, 10}, {100, 50})));
  EXPECT_FALSE(exceeds_two_sd(TestResult{2.0, 0.05, std::log(0.05), 0}));
  EXPECT_TRUE(exceeds_two_sd(TestResult{-2.0001, 0.05, std::log(0.05), 0}));
}

TEST(FisherReference, MatchesFisherTest) {
  const Csv csv("fisher.csv");
  ASSERT_GT(csv.size(), 4000u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const auto result = fisher_exact_test(group_of(csv, row), reference_of(csv, row));
    const auto p = csv.number(row, "p");
    ASSERT_EQ(result.has_value(), p.has_value()) << csv.describe(row);
    if (!p) {
      continue;
    }
    EXPECT_EQ(result->statistic, 0.0);
    ExpectPValue(*result, *p, *csv.number(row, "log_p"), kExact, csv.describe(row));
  }
}

TEST(Fisher, SymmetricAndNulloptWithoutApplicants) {
  EXPECT_FALSE(fisher_exact_test({0, 0}, {3, 1}).has_value());
  EXPECT_FALSE(fisher_exact_test({3, 1}, {0, 0}).has_value());
  // Degenerate margins: a single possible table.
  EXPECT_EQ(fisher_exact_test({5, 0}, {4, 0})->p_value, 1.0);
  EXPECT_EQ(fisher_exact_test({5, 5}, {4, 4})->p_value, 1.0);
  for (std::uint64_t a = 0; a <= 6; ++a) {
    for (std::uint64_t c = 0; c <= 9; ++c) {
      const auto forward = fisher_exact_test({6, a}, {9, c});
      const auto backward = fisher_exact_test({9, c}, {6, a});
      const auto flipped = fisher_exact_test({6, 6 - a}, {9, 9 - c});
      EXPECT_TRUE(Near(forward->p_value, backward->p_value, 1e-12)) << a << " " << c;
      EXPECT_TRUE(Near(forward->p_value, flipped->p_value, 1e-12)) << a << " " << c;
    }
  }
}

TEST(Fisher, MillionsTakeMilliseconds) {
  // Balanced margins near the mode make the longest tails to sum.
  const std::vector<std::pair<Counts, Counts>> tables = {
      {{1'000'000, 500'000}, {1'000'000, 500'400}},
      {{1'000'000, 499'999}, {1'000'000, 500'000}},
      {{3'000'000, 1'500'000}, {3'000'000, 1'502'000}},
      {{2'000'000, 10}, {2'000'000, 1'999'990}},
  };
  for (const auto& [group, reference] : tables) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = fisher_exact_test(group, reference);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(std::isfinite(result->log_p_value));
    // Milliseconds in a release build; generous for sanitizer builds.
    EXPECT_LT(std::chrono::duration<double>(elapsed).count(), 0.25)
        << group.selected << "/" << group.applicants;
  }
}

TEST(ChiSquaredReference, MatchesChisqTest) {
  const Csv csv("chi_squared.csv");
  ASSERT_GT(csv.size(), 1500u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const std::vector<Counts> groups = parse_groups(csv.at(row, "groups"));
    const auto result = chi_squared_homogeneity(groups);
    const auto statistic = csv.number(row, "statistic");
    ASSERT_EQ(result.has_value(), statistic.has_value()) << csv.describe(row);
    if (!statistic) {
      continue;
    }
    EXPECT_TRUE(Near(result->statistic, *statistic, kClosedForm)) << csv.describe(row);
    EXPECT_EQ(result->df, static_cast<int>(*csv.number(row, "df"))) << csv.describe(row);
    ExpectPValue(*result, *csv.number(row, "p"), *csv.number(row, "log_p"), kClosedForm,
                 csv.describe(row));
  }
}

TEST(ChiSquared, EdgeCases) {
  EXPECT_FALSE(chi_squared_homogeneity(std::vector<Counts>{}).has_value());
  EXPECT_FALSE(chi_squared_homogeneity(std::vector<Counts>{{10, 4}}).has_value());
  EXPECT_FALSE(chi_squared_homogeneity(std::vector<Counts>{{10, 4}, {0, 0}}).has_value());
  EXPECT_FALSE(chi_squared_homogeneity(std::vector<Counts>{{10, 0}, {5, 0}}).has_value());
  EXPECT_FALSE(chi_squared_homogeneity(std::vector<Counts>{{10, 10}, {5, 5}}).has_value());
  // Empty groups change nothing; two groups give z² and the same p.
  const auto with_empty =
      chi_squared_homogeneity(std::vector<Counts>{{0, 0}, {40, 12}, {0, 0}, {55, 30}});
  const auto z = two_proportion_z_test({40, 12}, {55, 30});
  ASSERT_TRUE(with_empty.has_value() && z.has_value());
  EXPECT_EQ(with_empty->df, 1);
  EXPECT_TRUE(Near(with_empty->statistic, z->statistic * z->statistic, 1e-12));
  EXPECT_TRUE(Near(with_empty->p_value, z->p_value, 1e-12));
  // Equal rates: statistic 0, p 1.
  const auto equal = chi_squared_homogeneity(std::vector<Counts>{{3, 1}, {6, 2}, {9, 3}});
  EXPECT_EQ(equal->statistic, 0.0);
  EXPECT_EQ(equal->p_value, 1.0);
  EXPECT_EQ(equal->df, 2);
}

TEST(PAdjustReference, MatchesPAdjust) {
  const Csv csv("p_adjust.csv");
  ASSERT_GT(csv.size(), 400u);
  const auto parse = [](const std::string& text) {
    std::vector<double> values;
    for (const std::string& cell : Csv::split(text, ' ')) {
      values.push_back(cell == "NA" ? std::numeric_limits<double>::quiet_NaN()
                                    : std::strtod(cell.c_str(), nullptr));
    }
    return values;
  };
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const std::string& method = csv.at(row, "method");
    const Correction correction = method == "holm" ? Correction::holm
                                  : method == "BH" ? Correction::benjamini_hochberg
                                                   : Correction::none;
    const std::vector<double> adjusted = adjust_p_values(parse(csv.at(row, "p")), correction);
    const std::vector<double> expected = parse(csv.at(row, "adjusted"));
    ASSERT_EQ(adjusted.size(), expected.size()) << csv.describe(row);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (std::isnan(expected[i])) {
        EXPECT_TRUE(std::isnan(adjusted[i])) << csv.describe(row);
      } else {
        EXPECT_TRUE(Near(adjusted[i], expected[i], 1e-12)) << csv.describe(row) << " #" << i;
      }
    }
  }
}

TEST(PAdjust, NamesAndTrivialInputs) {
  EXPECT_STREQ(to_string(Correction::none), "none");
  EXPECT_STREQ(to_string(Correction::holm), "holm");
  EXPECT_STREQ(to_string(Correction::benjamini_hochberg), "benjamini_hochberg");
  EXPECT_TRUE(adjust_p_values({}, Correction::holm).empty());
  const std::vector<double> one{0.03};
  EXPECT_EQ(adjust_p_values(one, Correction::holm), one);
  EXPECT_EQ(adjust_p_values(one, Correction::benjamini_hochberg), one);
  const std::vector<double> several{0.04, 0.01, 0.03};
  EXPECT_EQ(adjust_p_values(several, Correction::none), several);
}

// "s/n s/n;s/n s/n" (strata separated by ';') → tables.
std::vector<StratumTable> parse_strata(const std::string& text) {
  std::vector<StratumTable> strata;
  for (const std::string& stratum : Csv::split(text, ';')) {
    strata.push_back(parse_groups(stratum));
  }
  return strata;
}

TEST(CmhReference, MatchesMantelhaenTest) {
  const Csv csv("cmh.csv");
  ASSERT_GT(csv.size(), 300u);
  int two_group = 0;
  int many_group = 0;
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const std::vector<StratumTable> strata = parse_strata(csv.at(row, "strata_table"));
    const auto result = cochran_mantel_haenszel(strata, csv.count(row, "reference"),
                                                *csv.number(row, "confidence"));
    const auto statistic = csv.number(row, "statistic");
    ASSERT_EQ(result.has_value(), statistic.has_value()) << csv.describe(row);
    if (!statistic) {
      continue;
    }
    const int df = static_cast<int>(*csv.number(row, "df"));
    (df == 1 ? two_group : many_group) += 1;
    EXPECT_TRUE(Near(result->test.statistic, *statistic, kExact)) << csv.describe(row);
    EXPECT_EQ(result->test.df, df) << csv.describe(row);
    ExpectPValue(result->test, *csv.number(row, "p"), *csv.number(row, "log_p"), kExact,
                 csv.describe(row));
    EXPECT_EQ(result->strata, csv.count(row, "strata")) << csv.describe(row);
    const auto odds_ratio = csv.number(row, "odds_ratio");
    ASSERT_EQ(result->common_odds_ratio.has_value(), odds_ratio.has_value()) << csv.describe(row);
    if (odds_ratio) {
      EXPECT_TRUE(Near(*result->common_odds_ratio, *odds_ratio, kExact)) << csv.describe(row);
    }
    const auto lower = csv.number(row, "lower");
    ASSERT_EQ(result->common_odds_ratio_interval.has_value(), lower.has_value())
        << csv.describe(row);
    if (lower) {
      EXPECT_TRUE(Near(result->common_odds_ratio_interval->lower, *lower, kExact))
          << csv.describe(row);
      EXPECT_TRUE(
          Near(result->common_odds_ratio_interval->upper, *csv.number(row, "upper"), kExact))
          << csv.describe(row);
    }
  }
  EXPECT_GT(two_group, 100);
  EXPECT_GT(many_group, 80);
}

TEST(Cmh, EdgeCases) {
  EXPECT_FALSE(cochran_mantel_haenszel({}, 0, 0.95).has_value());
  // One group only; no informative stratum; everybody selected.
  const std::vector<StratumTable> one_group{{{5, 2}, {0, 0}}, {{4, 1}, {0, 0}}};
  EXPECT_FALSE(cochran_mantel_haenszel(one_group, 1, 0.95).has_value());
  const std::vector<StratumTable> singles{{{1, 1}, {0, 0}}, {{0, 0}, {1, 0}}};
  EXPECT_FALSE(cochran_mantel_haenszel(singles, 1, 0.95).has_value());
  const std::vector<StratumTable> all_selected{{{5, 5}, {3, 3}}, {{2, 2}, {4, 4}}};
  EXPECT_FALSE(cochran_mantel_haenszel(all_selected, 1, 0.95).has_value());
}

TEST(Cmh, SingleApplicantStrataAndStratumOrderChangeNothing) {
  const std::vector<StratumTable> base{{{20, 5}, {30, 15}}, {{12, 8}, {10, 9}}, {{7, 1}, {0, 0}}};
  std::vector<StratumTable> noisy = base;
  noisy.push_back({{1, 1}, {0, 0}});
  noisy.insert(noisy.begin(), {{0, 0}, {1, 0}});
  std::vector<StratumTable> reversed(base.rbegin(), base.rend());
  const auto expected = cochran_mantel_haenszel(base, 1, 0.95);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(expected->strata, 3u);  // the one-group stratum counts, the single applicants do not
  for (const auto& variant : {noisy, reversed}) {
    const auto result = cochran_mantel_haenszel(variant, 1, 0.95);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->strata, 3u);
    EXPECT_TRUE(Near(result->test.statistic, expected->test.statistic, 1e-12));
    EXPECT_TRUE(Near(*result->common_odds_ratio, *expected->common_odds_ratio, 1e-12));
  }
}

TEST(Cmh, SwappingTheReferenceInvertsTheOddsRatio) {
  const std::vector<StratumTable> strata{{{20, 5}, {30, 15}}, {{12, 8}, {10, 9}}};
  const auto forward = cochran_mantel_haenszel(strata, 1, 0.9);
  const auto backward = cochran_mantel_haenszel(strata, 0, 0.9);
  ASSERT_TRUE(forward.has_value() && backward.has_value());
  EXPECT_TRUE(Near(*forward->common_odds_ratio, 1 / *backward->common_odds_ratio, 1e-12));
  EXPECT_TRUE(Near(forward->common_odds_ratio_interval->lower,
                   1 / backward->common_odds_ratio_interval->upper, 1e-12));
  EXPECT_TRUE(Near(forward->test.statistic, backward->test.statistic, 1e-12));
}

TEST(Cmh, ReferenceWithoutApplicantsLeavesNoOddsRatio) {
  const std::vector<StratumTable> strata{{{20, 5}, {30, 15}, {0, 0}}, {{12, 8}, {10, 9}, {0, 0}}};
  const auto result = cochran_mantel_haenszel(strata, 2, 0.95);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->test.df, 1);
  EXPECT_FALSE(result->common_odds_ratio.has_value());
  const auto with_reference = cochran_mantel_haenszel(strata, 1, 0.95);
  EXPECT_TRUE(Near(result->test.statistic, with_reference->test.statistic, 1e-12));
}

TEST(Cmh, OneStratumOfManyGroupsIsScaledPearson) {
  // With K = 1 the generalized statistic is (N - 1)/N times Pearson's X².
  const std::vector<Counts> groups{{40, 12}, {55, 30}, {23, 9}, {31, 20}};
  const std::vector<StratumTable> strata{groups};
  const auto cmh = cochran_mantel_haenszel(strata, 0, 0.95);
  const auto pearson = chi_squared_homogeneity(groups);
  ASSERT_TRUE(cmh.has_value() && pearson.has_value());
  const double n = 40 + 55 + 23 + 31;
  EXPECT_TRUE(Near(cmh->test.statistic, pearson->statistic * (n - 1) / n, 1e-12));
  EXPECT_EQ(cmh->test.df, 3);
  EXPECT_FALSE(cmh->common_odds_ratio.has_value());
}

}  // namespace
}  // namespace fairwatch::detectors
