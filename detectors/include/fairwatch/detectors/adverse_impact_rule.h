// AdverseImpactRule: the default (`confidence_sequence`) adverse-impact alert
// condition for one group against the reference group, evaluated on every
// batch of decisions (e.g. once a minute). State: one BernoulliCusum; the
// caller owns the counts. A value type; thread-compatible; no clock.
//
// The rule fires when either
//  (1) the impact-ratio confidence sequence's upper bound is below
//      `ratio_below` (the ratio is below the line, anytime-valid at level α), or
//  (2) the impact-ratio CUSUM alarms: the group's outcomes since the last
//      batch, judged against p0 = the reference rate's confidence-sequence
//      lower bound (level α/2, counts since the period start) and
//      p1 = change_shift · p0. With the reference bound holding (probability
//      >= 1 − α/2), a group at the reference's rate or above drives a
//      likelihood ratio with mean <= 1, so P(false alarm within N of the
//      group's outcomes) <= N·e^(−h), and the in-control ARL is at least the
//      configured one (Siegmund's approximation; see change_detector.h).
// After a CUSUM alarm the CUSUM restarts from 0; the caller latches the alert.
#pragma once

#include <optional>

#include "fairwatch/detectors/change_detector.h"
#include "fairwatch/detectors/confidence_sequence.h"
#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

struct AdverseImpactRuleConfig {
  double ratio_below = 0.8;  // (1): alert when the ratio's CS upper bound is below this
  double alpha = 0.05;       // CS miscoverage over the whole monitoring period
  double cs_tuned_for_applicants = 10000;  // per group: where the CS is tightest
  double change_shift = 0.8;               // (2): the impact ratio the CUSUM is tuned to detect
  // (2): in-control average run length, in the group's outcomes; e.g.
  // 20 years × the group's expected applicants per year.
  double change_arl0_outcomes = 1e7;
};

struct AdverseImpactVerdict {
  bool alarm = false;                    // (1) or (2)
  bool confidence_sequence = false;      // (1) held
  bool change_detected = false;          // (2) alarmed on this batch
  std::optional<Interval> ratio_bounds;  // the ratio CS; nullopt without data
  double cusum_statistic = 0;            // after this batch (0 right after an alarm)
};

class AdverseImpactRule {
 public:
  explicit AdverseImpactRule(const AdverseImpactRuleConfig& config);

  // group_batch: the group's decisions since the previous call; the *_since_start
  // counts include them. REQUIRES: group_batch <= group_since_start.
  AdverseImpactVerdict evaluate(Counts group_batch, Counts group_since_start,
                                Counts reference_since_start);

  const ConfidenceSequence& confidence_sequence() const { return confidence_sequence_; }
  const BernoulliCusum& change_detector() const { return change_detector_; }

 private:
  double ratio_below_;
  ConfidenceSequence confidence_sequence_;
  BernoulliCusum change_detector_;
};

}  // namespace fairwatch::detectors
