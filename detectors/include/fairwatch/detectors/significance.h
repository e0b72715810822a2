// Significance tests comparing selection rates: pooled two-proportion z,
// Fisher's exact test, Pearson's chi-squared test of homogeneity, and
// multiple-testing adjustment. Pure functions; p-values never underflow to 0
// where the log p-value is representable (see log_p_value fields).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

struct TestResult {
  double statistic = 0;    // z, chi-squared, …; 0 for Fisher
  double p_value = 1;      // in [0, 1]; exp(log_p_value) (0 only below ~1e-308)
  double log_p_value = 0;  // natural log of the p-value, finite for any finite statistic
  int df = 0;              // degrees of freedom where the test has them
};

// Pooled two-proportion z test of group minus reference, two-sided.
// z = (p_g − p_r) / sqrt(p(1−p)(1/n_g + 1/n_r)) with p the pooled rate.
// nullopt when either has no applicants or the pooled rate is 0 or 1.
std::optional<TestResult> two_proportion_z_test(Counts group, Counts reference);

// The two-standard-deviation flag of EEOC practice: |z| > 2.
inline bool exceeds_two_sd(const TestResult& z) { return z.statistic > 2 || z.statistic < -2; }

// Two-sided Fisher's exact test on the 2x2 table of the two groups'
// selected/rejected counts, as R's fisher.test: the p-value sums the
// probabilities of all tables with the same margins no more probable than the
// observed one (relative tolerance 1e-7). Exact in log space for counts into
// the millions. nullopt when either has no applicants.
std::optional<TestResult> fisher_exact_test(Counts group, Counts reference);

// Pearson's chi-squared test of homogeneity of selection rates across groups
// (a k x 2 table), without continuity correction for any k. Groups with no
// applicants are left out of the table and of df = (groups used − 1).
// nullopt when fewer than two groups have applicants or when nobody / everybody
// was selected.
std::optional<TestResult> chi_squared_homogeneity(std::span<const Counts> groups);

enum class Correction { none, holm, benjamini_hochberg };
const char* to_string(Correction correction);

// Adjusted p-values in the input order, as R's p.adjust(method = "holm" | "BH").
std::vector<double> adjust_p_values(std::span<const double> p_values, Correction correction);

}  // namespace fairwatch::detectors
