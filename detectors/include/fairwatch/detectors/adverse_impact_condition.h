// The adverse-impact alert condition of the fixed-window method: whether one
// group's statistics in one window are evidence of adverse impact. Pure; the
// result is the `condition` input of an AlertState, so another method (e.g.
// confidence sequences) can supply its own condition to the same machine.
#pragma once

#include <cstdint>

#include "fairwatch/detectors/alert_state.h"
#include "fairwatch/detectors/attribute_analysis.h"
#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

struct AdverseImpactSettings {
  double ratio_below = 0.8;           // the impact ratio must be below this
  double significance_level = 0.05;   // 1 - statistics.confidence: adjusted p must be below it
  std::uint64_t min_group_size = 30;  // for the group and for the reference
};

// One group of one attribute in one window, as the analysis left it.
struct AdverseImpactCandidate {
  const GroupStatistics* group = nullptr;  // REQUIRES: non-null
  Counts reference;                        // the reference group's counts (zero without one)
  bool has_reference = false;              // the analysis found a reference group
  bool is_reference = false;               // this group is the reference
  bool is_unknown = false;                 // the `unknown` group
};

// True when the impact ratio is below ratio_below AND the z test's p-value,
// adjusted for multiple testing across the attribute's groups, is below
// significance_level AND both the group and the reference have at least
// min_group_size applicants. Never for the unknown group, the reference
// itself, or a suppressed group (one the analysis gave no ratio or no
// adjusted p-value, e.g. below min_group_size).
bool adverse_impact_condition(const AdverseImpactCandidate& candidate,
                              const AdverseImpactSettings& settings);

// The AlertState input for one group: the condition above, the ratio (1 for
// the reference, none for the unknown group) and whether any evidence is left
// (the group has applicants in the window).
AlertObservation adverse_impact_observation(const AdverseImpactCandidate& candidate,
                                            const AdverseImpactSettings& settings);

}  // namespace fairwatch::detectors
