#include "fairwatch/detectors/adverse_impact_rule.h"

namespace fairwatch::detectors {

AdverseImpactRule::AdverseImpactRule(const AdverseImpactRuleConfig& config)
    : ratio_below_(config.ratio_below),
      confidence_sequence_(config.alpha, config.cs_tuned_for_applicants),
      change_detector_(config.change_shift, config.change_arl0_outcomes) {}

AdverseImpactVerdict AdverseImpactRule::evaluate(Counts group_batch, Counts group_since_start,
                                                 Counts reference_since_start) {
  AdverseImpactVerdict verdict;
  verdict.ratio_bounds =
      confidence_sequence_.impact_ratio(group_since_start, reference_since_start);
  verdict.confidence_sequence = verdict.ratio_bounds && verdict.ratio_bounds->upper < ratio_below_;
  const auto reference_bounds = confidence_sequence_.ratio_rate_bounds(reference_since_start);
  if (reference_bounds && group_batch.applicants > 0) {
    verdict.change_detected = change_detector_.observe(group_batch, reference_bounds->lower);
  }
  verdict.cusum_statistic = change_detector_.statistic();
  verdict.alarm = verdict.confidence_sequence || verdict.change_detected;
  return verdict;
}

}  // namespace fairwatch::detectors
