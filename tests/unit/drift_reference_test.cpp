// Drift statistics of detectors/ against reference values computed with R
// (and cross-checked with SciPy): tests/reference/generate_drift_reference.R
// writes the CSV files read here. Plus the edge cases the references encode
// as conventions: values on edges, empty bins, identical distributions.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fairwatch/detectors/drift.h"
#include "fairwatch/detectors/kolmogorov_smirnov.h"
#include "reference_csv.h"

namespace fairwatch::detectors {
namespace {

using fairwatch::test_support::Csv;
using fairwatch::test_support::Near;

// PSI and JS are closed forms: relative 1e-9 (absolute 1e-15 near 0). KS
// statistics are ratios of integers: 1e-12. Exact p-values: absolute 1e-12
// (both sides compute 1 − paths/C(m+n, m) in doubles); asymptotic ones
// follow R's series term by term: relative 1e-9.
constexpr double kClosedForm = 1e-9;
constexpr double kNearZero = 1e-15;
constexpr double kStatistic = 1e-12;
constexpr double kExactPAbsolute = 1e-12;

std::vector<std::uint64_t> counts_of(const Csv& csv, std::size_t row, const std::string& column) {
  std::vector<std::uint64_t> counts;
  for (const double value : csv.numbers(row, column)) {
    counts.push_back(static_cast<std::uint64_t>(value));
  }
  return counts;
}

void ExpectClose(double actual, double expected, const std::string& where) {
  if (std::fabs(expected) < kNearZero) {
    EXPECT_NEAR(actual, expected, kNearZero) << where;
  } else {
    EXPECT_TRUE(Near(actual, expected, kClosedForm)) << where;
  }
}

TEST(DriftReference, BinsMatchRCutRightClosed) {
  const Csv csv("drift_bins.csv");
  ASSERT_GT(csv.size(), 80u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const std::vector<double> edges = csv.numbers(row, "edges");
    EXPECT_EQ(bin_of(edges, *csv.number(row, "value")), csv.count(row, "bin")) << csv.describe(row);
  }
}

TEST(DriftReference, PsiAndJensenShannonMatchDefinitions) {
  const Csv csv("drift_histograms.csv");
  ASSERT_GT(csv.size(), 25u);
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const auto baseline = counts_of(csv, row, "baseline");
    const auto current = counts_of(csv, row, "current");
    const auto psi = population_stability_index(baseline, current);
    const auto js = jensen_shannon_divergence(baseline, current);
    ASSERT_TRUE(psi.has_value() && js.has_value()) << csv.describe(row);
    ExpectClose(*psi, *csv.number(row, "psi"), csv.describe(row));
    ExpectClose(*js, *csv.number(row, "js_divergence"), csv.describe(row));
  }
}

TEST(DriftReference, KolmogorovSmirnovMatchesKsTest) {
  const Csv csv("kolmogorov_smirnov.csv");
  ASSERT_GT(csv.size(), 30u);
  int exact_cases = 0;
  for (std::size_t row = 0; row < csv.size(); ++row) {
    const auto result = kolmogorov_smirnov_test(csv.numbers(row, "x"), csv.numbers(row, "y"));
    ASSERT_TRUE(result.has_value()) << csv.describe(row).substr(0, 200);
    const bool exact = csv.count(row, "exact") == 1;
    exact_cases += exact ? 1 : 0;
    const std::string where = "row " + std::to_string(row + 2);
    EXPECT_EQ(result->exact, exact) << where;
    EXPECT_TRUE(Near(result->statistic, *csv.number(row, "statistic"), kStatistic)) << where;
    const double p = *csv.number(row, "p_value");
    if (exact) {
      EXPECT_NEAR(result->p_value, p, kExactPAbsolute) << where;
    } else {
      EXPECT_TRUE(Near(result->p_value, p, kClosedForm)) << where;
    }
  }
  EXPECT_GT(exact_cases, 15);
}

TEST(Drift, ValueOnAnEdgeGoesToTheLowerBin) {
  const std::vector<double> edges = default_score_edges();
  ASSERT_EQ(edges.size(), 11u);
  EXPECT_EQ(bin_of(edges, 0.0), 0u);
  EXPECT_EQ(bin_of(edges, 0.1), 0u);
  EXPECT_EQ(bin_of(edges, 0.30000000000000004), 3u);
  EXPECT_EQ(bin_of(edges, 0.3), 2u);
  EXPECT_EQ(bin_of(edges, 1.0), 9u);
  EXPECT_EQ(bin_of(edges, -0.5), 0u);
  EXPECT_EQ(bin_of(edges, 1.5), 9u);
  const std::vector<double> scores = {0.0, 0.1, 0.2, 0.25, 1.0};
  EXPECT_EQ(histogram(edges, scores), (std::vector<std::uint64_t>{2, 1, 1, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(Drift, IdenticalDistributionsHaveNoDrift) {
  const std::vector<std::uint64_t> baseline = {0, 3, 9, 0, 27};
  const std::vector<std::uint64_t> scaled = {0, 30, 90, 0, 270};
  EXPECT_EQ(*population_stability_index(baseline, scaled), 0.0);
  EXPECT_EQ(*jensen_shannon_divergence(baseline, scaled), 0.0);
  std::vector<double> x = {0.3, 0.1, 0.2, 0.2};
  const auto ks = kolmogorov_smirnov_test(x, x);
  EXPECT_EQ(ks->statistic, 0.0);
  EXPECT_EQ(ks->p_value, 1.0);
}

TEST(Drift, EmptyBinCountsAsOneInTenThousand) {
  // Baseline all in bin 0, current all in bin 1: both sides get 1e-4 in the
  // empty bin, so PSI = 2·(1 − 1e-4)·ln(1/1e-4).
  const std::vector<std::uint64_t> baseline = {10, 0};
  const std::vector<std::uint64_t> current = {0, 4};
  EXPECT_NEAR(*population_stability_index(baseline, current),
              2 * (1 - kEmptyBinProportion) * std::log(1 / kEmptyBinProportion), 1e-12);
  EXPECT_EQ(*jensen_shannon_divergence(baseline, current), 1.0);
}

TEST(Drift, NoStatisticWithoutDataOrWithMismatchedBins) {
  const std::vector<std::uint64_t> empty = {0, 0};
  const std::vector<std::uint64_t> some = {1, 2};
  const std::vector<std::uint64_t> three = {1, 2, 3};
  EXPECT_FALSE(population_stability_index(empty, some).has_value());
  EXPECT_FALSE(jensen_shannon_divergence(some, empty).has_value());
  EXPECT_FALSE(population_stability_index(some, three).has_value());
  EXPECT_FALSE(kolmogorov_smirnov_test({}, std::vector<double>{1.0}).has_value());
}

TEST(Drift, KolmogorovSmirnovShiftIsDetectedAndNullIsNot) {
  std::mt19937_64 random(7);
  std::normal_distribution<double> normal;
  std::vector<double> x(400);
  std::vector<double> same(500);
  std::vector<double> shifted(500);
  for (double& v : x) v = normal(random);
  for (double& v : same) v = normal(random);
  for (double& v : shifted) v = normal(random) + 0.5;
  EXPECT_GT(kolmogorov_smirnov_test(x, same)->p_value, 0.01);
  EXPECT_LT(kolmogorov_smirnov_test(x, shifted)->p_value, 1e-6);
}

}  // namespace
}  // namespace fairwatch::detectors
