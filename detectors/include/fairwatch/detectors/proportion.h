// Selection rates and their Wilson score intervals. Pure functions.
#pragma once

#include <optional>

#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

// selected / applicants; nullopt when there are no applicants.
std::optional<double> selection_rate(Counts counts);

// Two-sided Wilson score interval without continuity correction (as R's
// prop.test(correct = FALSE)$conf.int). nullopt when there are no applicants.
// REQUIRES: 0 < confidence < 1.
std::optional<Interval> wilson_interval(Counts counts, double confidence);

// The standard normal quantile z with P(|Z| <= z) = confidence.
// REQUIRES: 0 < confidence < 1.
double two_sided_normal_quantile(double confidence);

}  // namespace fairwatch::detectors
