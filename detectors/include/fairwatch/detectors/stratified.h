// Cochran–Mantel–Haenszel tests across strata (e.g. requisitions): does the
// selection rate depend on the group once the stratum is held fixed? Guards
// against Simpson's paradox. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "fairwatch/detectors/counts.h"
#include "fairwatch/detectors/significance.h"

namespace fairwatch::detectors {

struct CmhResult {
  TestResult test;                          // statistic, df, p-value (chi-squared)
  std::optional<double> common_odds_ratio;  // two groups only: non-reference over reference
  std::optional<Interval> common_odds_ratio_interval;  // Robins–Breslow–Greenland, as R
  std::size_t strata = 0;                   // strata that entered the statistic
};

// One stratum's counts, indexed by group (the same group order in every stratum).
using StratumTable = std::vector<Counts>;

// Groups with no applicants in any stratum are dropped; strata with fewer
// than two applicants among the remaining groups contribute nothing and are
// not counted in `strata`.
// Two groups: R's mantelhaen.test(correct = TRUE) on the 2x2xK table with the
// non-reference group first (Yates' 0.5 only when |Σ(a−E[a])| >= 0.5), the
// Mantel–Haenszel common odds ratio of selection (non-reference over
// reference) and its RBG interval at `confidence`.
// More groups: the generalized CMH statistic (df = groups − 1) as R's
// mantelhaen.test on the groups x 2 x K table; no common odds ratio.
// nullopt when fewer than two groups remain, or the variance is zero or singular.
// REQUIRES: every table has the same size; reference_index < that size.
std::optional<CmhResult> cochran_mantel_haenszel(std::span<const StratumTable> strata,
                                                 std::size_t reference_index, double confidence);

}  // namespace fairwatch::detectors
