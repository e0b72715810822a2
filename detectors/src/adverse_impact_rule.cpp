#include "fairwatch/detectors/adverse_impact_rule.h"

#include "fairwatch/detectors/significance.h"

namespace fairwatch::detectors {
namespace {

// Whether the stretch shows the group below the reference: its rate below
// factor × the reference's (g_s · r_n < factor · r_s · g_n) and the one-sided
// pooled z test's p-value below `level`.
bool confirmed_below(Counts group, Counts reference, double factor, double level) {
  if (group.applicants == 0 || reference.applicants == 0) return false;
  const bool ratio_below =
      static_cast<double>(group.selected) * static_cast<double>(reference.applicants) <
      factor * static_cast<double>(reference.selected) * static_cast<double>(group.applicants);
  if (!ratio_below) return false;
  const auto z = two_proportion_z_test(group, reference);
  return z && z->statistic < 0 && z->p_value / 2 < level;
}

}  // namespace

AdverseImpactRule::AdverseImpactRule(const AdverseImpactRuleConfig& config)
    : ratio_below_(config.ratio_below),
      confirm_below_((1.0 + config.change_shift) / 2.0),
      confidence_sequence_(config.alpha, config.cs_tuned_for_applicants),
      change_detector_(config.change_shift, config.change_arl0_outcomes) {}

AdverseImpactVerdict AdverseImpactRule::evaluate(Counts group_batch, Counts reference_batch,
                                                 Counts group_since_start,
                                                 Counts reference_since_start) {
  AdverseImpactVerdict verdict;
  verdict.ratio_bounds =
      confidence_sequence_.impact_ratio(group_since_start, reference_since_start);
  verdict.confidence_sequence = verdict.ratio_bounds && verdict.ratio_bounds->upper < ratio_below_;
  const auto reference_bounds = confidence_sequence_.ratio_rate_bounds(reference_since_start);
  if (reference_bounds && group_batch.applicants > 0) {
    if (change_detector_.statistic() == 0) {
      stretch_group_ = {};
      stretch_reference_ = {};
    }
    stretch_group_ += group_batch;
    stretch_reference_ += reference_batch;
    if (change_detector_.accumulate(group_batch, reference_bounds->lower)) {
      // The k-th test of the period at level kConfirmLevel / k.
      const double level = kConfirmLevel / static_cast<double>(unconfirmed_ + 1);
      if (confirmed_below(stretch_group_, stretch_reference_, confirm_below_, level)) {
        change_detector_.alarm();
        verdict.change_detected = true;
      } else {
        change_detector_.reset();
        ++unconfirmed_;
        verdict.change_unconfirmed = true;
      }
    }
    if (change_detector_.statistic() == 0) {
      stretch_group_ = {};
      stretch_reference_ = {};
    }
  } else if (change_detector_.statistic() > 0) {
    stretch_reference_ += reference_batch;
  }
  verdict.cusum_statistic = change_detector_.statistic();
  verdict.alarm = verdict.confidence_sequence || verdict.change_detected;
  return verdict;
}

}  // namespace fairwatch::detectors
