// Two-sample Kolmogorov–Smirnov test, two-sided, as R 4.2's ks.test(x, y).
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <span>

namespace fairwatch::detectors {

struct KolmogorovSmirnov {
  double statistic = 0;  // D = sup |F_x − F_y| over the pooled sample
  double p_value = 1;    // P(D' >= D) under the null of one common distribution
  bool exact = false;    // true: exact null distribution; false: Kolmogorov limit
};

// As R 4.2.2's ks.test(x, y) (alternative "two.sided", exact = NULL):
// - exact when m·n < 10,000, ties included: the conditional null distribution
//   given the tie pattern of the pooled sample, counted over lattice paths
//   (R's psmirnov), p = 1 − #paths with all |d| < D / C(m + n, m);
// - otherwise the limit p = 1 − K(√(mn/(m+n))·D) with Kolmogorov's K summed
//   as R's pkstwo (series to tolerance 1e-6); approximate under ties.
// The inputs are copied and sorted: O((m + n) log(m + n)) time plus O(m·n)
// for the exact p-value; allocates. nullopt when either sample is empty.
// REQUIRES: no NaN.
std::optional<KolmogorovSmirnov> kolmogorov_smirnov_test(std::span<const double> x,
                                                         std::span<const double> y);

}  // namespace fairwatch::detectors
