// Impact ratio (a group's selection rate over the reference group's) with a
// Katz log interval, the four-fifths verdict, and the shortfall. Pure.
#pragma once

#include <cstdint>
#include <optional>

#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

struct ImpactRatio {
  double ratio = 0;                  // rate(group) / rate(reference)
  std::optional<Interval> interval;  // Katz log interval; nullopt when both selected are 0
};

// nullopt when either group has no applicants or the reference selected nobody.
// The Katz interval is exp(log(ratio') ± z·sqrt(1/a − 1/n1 + 1/c − 1/n2)) where
// ratio' is computed on the cells used for the variance: when exactly one of
// the two selected counts is 0, 0.5 is added to all four cells (selected and
// rejected of both groups); when both are 0 there is no interval.
// REQUIRES: 0 < confidence < 1.
std::optional<ImpactRatio> impact_ratio(Counts group, Counts reference, double confidence);

enum class FourFifths { pass, fail, reference, insufficient };
const char* to_string(FourFifths verdict);

// True when rate(group) < 0.8·rate(reference), decided exactly on integers:
// 5·s_group·n_reference < 4·s_reference·n_group. False when either has no applicants.
bool below_four_fifths(Counts group, Counts reference);

// The smallest k >= 0 such that the group with k more selections (same
// applicants) is no longer below the four-fifths line: the least k with
// 5·(s+k)·n_ref >= 4·s_ref·n. 0 when either has no applicants.
std::uint64_t shortfall(Counts group, Counts reference);

// True when a/b > c/d exactly (b, d > 0), compared as fractions on integers.
bool rate_greater(Counts a, Counts b);

}  // namespace fairwatch::detectors
