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
//      A crossing of h is confirmed only when, over the same stretch of
//      batches (since the statistic last left 0), the group's rate is below
//      (1 + change_shift)/2 times the reference's own rate in those batches
//      and a one-sided pooled z test of the two gives p below
//      kConfirmLevel / k for the period's k-th such test (k = 1 + the
//      crossings left unconfirmed so far): a drop of both groups' rates (a
//      hiring freeze, a seasonal low) is not adverse impact, and however
//      many crossings a long one causes, the tests together stay at about
//      kConfirmLevel · ln k. An unconfirmed crossing restarts the CUSUM from 0 as
//      an alarm would, so confirmation only removes alarms.
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
  bool change_unconfirmed = false;       // (2) reached h, but the reference fell alike: restarted
  std::optional<Interval> ratio_bounds;  // the ratio CS; nullopt without data
  double cusum_statistic = 0;            // after this batch (0 right after an alarm)
};

class AdverseImpactRule {
 public:
  // The one-sided level of the first confirmation test of a period.
  static constexpr double kConfirmLevel = 0.001;

  explicit AdverseImpactRule(const AdverseImpactRuleConfig& config);

  // *_batch: each group's decisions since the previous call; the
  // *_since_start counts include them. REQUIRES: batch <= since_start for each.
  AdverseImpactVerdict evaluate(Counts group_batch, Counts reference_batch,
                                Counts group_since_start, Counts reference_since_start);

  const ConfidenceSequence& confidence_sequence() const { return confidence_sequence_; }
  const BernoulliCusum& change_detector() const { return change_detector_; }
  // The CUSUM itself, to retune its in-control ARL or restore it from a checkpoint.
  BernoulliCusum& change_detector() { return change_detector_; }
  // Each group's decisions over the CUSUM's current stretch (since it last left 0).
  Counts stretch_group() const { return stretch_group_; }
  Counts stretch_reference() const { return stretch_reference_; }
  // Crossings left unconfirmed in this period.
  std::uint64_t unconfirmed() const { return unconfirmed_; }
  // Restores the stretch and the unconfirmed count (checkpoints).
  // REQUIRES: as saved by the accessors above.
  void restore_stretch(Counts group, Counts reference, std::uint64_t unconfirmed) {
    stretch_group_ = group;
    stretch_reference_ = reference;
    unconfirmed_ = unconfirmed;
  }
  // Forgets the CUSUM statistic, its stretch and the unconfirmed count (a
  // new monitoring period).
  void reset_change_detector() {
    change_detector_.reset();
    stretch_group_ = {};
    stretch_reference_ = {};
    unconfirmed_ = 0;
  }

 private:
  double ratio_below_;
  double confirm_below_;  // (1 + change_shift) / 2
  ConfidenceSequence confidence_sequence_;
  BernoulliCusum change_detector_;
  Counts stretch_group_;
  Counts stretch_reference_;
  std::uint64_t unconfirmed_ = 0;
};

}  // namespace fairwatch::detectors
