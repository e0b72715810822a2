// BernoulliCusum: Page's CUSUM of the log-likelihood ratio on a group's
// selection outcomes, for a drop (or rise) of the selection rate from an
// in-control rate p0 to p1 = shift·p0. Used two ways:
// - on a group's selection rate: p0 = the group's own baseline rate;
// - on the impact ratio: p0 = the reference group's current rate, so an alarm
//   means the group's rate fell to about shift × the reference's, i.e. the
//   impact ratio fell to about `shift`.
// State: one double. A value type; thread-compatible; no clock — time is the
// sequence of batches the caller feeds in.
//
// Statistic: S ← max(0, S + s·ln(p1/p0) + (n − s)·ln((1 − p1)/(1 − p0))) per
// batch of n outcomes with s selected; alarm when S >= h, then S resets to 0.
// Feeding a batch as one step never alarms earlier than feeding its outcomes
// one by one (the per-outcome S is at least the per-batch S), so batching
// only lengthens run lengths.
//
// Threshold: h is set for an in-control average run length of ARL0 outcomes
// by Siegmund's approximation for a log-likelihood-ratio CUSUM,
//   ARL0 ≈ (e^b − b − 1) / I0,  b = h + 1.166·σ0,
// I0 = KL(p0 ‖ p1) and σ0 the standard deviation of one outcome's increment
// under p0 (its mean is −I0). Checked by simulation to within ±10% for
// p0 in [0.05, 0.5], shift in [0.7, 0.8], ARL0 from 10^3 to 5·10^5.
// Whatever the approximation's error, P(alarm within N in-control outcomes)
// <= N·e^(−h) (Ville's inequality for each start, union over starts).
#pragma once

#include <cstdint>

#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

// The threshold h for an in-control ARL of `arl0_outcomes` (approximation
// above). REQUIRES: 0 < p0 < 1, 0 < p1 < 1, p1 != p0, arl0_outcomes >= 1.
double cusum_threshold(double p0, double p1, double arl0_outcomes);

// The in-control ARL, in outcomes, that threshold h gives (the inverse of
// cusum_threshold). REQUIRES: as cusum_threshold, h >= 0.
double cusum_in_control_arl(double p0, double p1, double h);

class BernoulliCusum {
 public:
  // REQUIRES: shift > 0, shift != 1, arl0_outcomes >= 1.
  BernoulliCusum(double shift, double arl0_outcomes);

  // Adds one batch of outcomes judged against in-control rate p0 (the
  // threshold is recomputed when p0 moved by more than 0.1% since it was).
  // Returns true when the statistic reaches the threshold; the statistic is
  // then reset to 0. A batch is skipped (false, nothing changes) when p0 is
  // not in (0, 1) or shift·p0 >= 1.
  bool observe(Counts batch, double p0);
  // As observe(), but a statistic reaching the threshold is left for the
  // caller to confirm with alarm() or dismiss with reset(); either restarts
  // the statistic from 0, so confirming only some crossings alarms at a
  // subset of the plain CUSUM's alarm times. Returns whether S >= h.
  bool accumulate(Counts batch, double p0);
  // Records an alarm: S ← 0.
  void alarm() {
    statistic_ = 0;
    ++alarms_;
  }
  // The current statistic S >= 0 (log-likelihood ratio units).
  double statistic() const { return statistic_; }
  // The threshold used for the last batch observed; 0 before the first.
  double threshold() const { return threshold_; }
  std::uint64_t alarms() const { return alarms_; }
  double shift() const { return shift_; }
  double in_control_arl() const { return arl0_outcomes_; }
  // Changes the in-control ARL (e.g. as the estimated applicant rate moves);
  // the threshold is recomputed on the next batch. REQUIRES: arl0_outcomes >= 1.
  void set_in_control_arl(double arl0_outcomes);
  void reset() { statistic_ = 0; }
  // Restores a saved statistic and alarm count (checkpoints).
  // REQUIRES: statistic >= 0 and finite.
  void restore(double statistic, std::uint64_t alarms) {
    statistic_ = statistic;
    alarms_ = alarms;
  }

 private:
  double shift_;
  double arl0_outcomes_;
  double statistic_ = 0;
  double threshold_ = 0;
  double threshold_p0_ = -1;   // the p0 threshold_ was computed for
  double increments_p0_ = -1;  // the p0 the increments are for
  double increment_selected_ = 0;
  double increment_rejected_ = 0;
  std::uint64_t alarms_ = 0;
};

}  // namespace fairwatch::detectors
