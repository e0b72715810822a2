// Internal to the detectors library: the chi-squared upper tail shared by the
// homogeneity and Cochran–Mantel–Haenszel tests.
#pragma once

#include "fairwatch/detectors/significance.h"

namespace fairwatch::detectors::detail {

// P(X >= statistic) for X ~ chi-squared(df), with a log p-value that stays
// finite when the p-value underflows. REQUIRES: statistic >= 0, df >= 1.
TestResult chi_squared_upper_tail(double statistic, int df);

}  // namespace fairwatch::detectors::detail
