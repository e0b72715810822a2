#include "fairwatch/detectors/adverse_impact_condition.h"

namespace fairwatch::detectors {

bool adverse_impact_condition(const AdverseImpactCandidate& candidate,
                              const AdverseImpactSettings& settings) {
  const GroupStatistics& group = *candidate.group;
  if (candidate.is_unknown || candidate.is_reference || !candidate.has_reference) return false;
  if (!group.impact_ratio || !group.p_value_adjusted) return false;  // suppressed
  if (group.counts.applicants < settings.min_group_size ||
      candidate.reference.applicants < settings.min_group_size) {
    return false;
  }
  return *group.impact_ratio < settings.ratio_below &&
         *group.p_value_adjusted < settings.significance_level;
}

AlertObservation adverse_impact_observation(const AdverseImpactCandidate& candidate,
                                            const AdverseImpactSettings& settings) {
  AlertObservation observation;
  observation.condition = adverse_impact_condition(candidate, settings);
  // The reference's own ratio is 1: a group that became the reference clears.
  if (!candidate.is_unknown) observation.ratio = candidate.group->impact_ratio;
  observation.has_evidence = candidate.group->counts.applicants > 0;
  return observation;
}

}  // namespace fairwatch::detectors
