#include "fairwatch/detectors/change_detector.h"

#include <algorithm>
#include <cmath>

namespace fairwatch::detectors {
namespace {

// Siegmund's correction for the overshoot over h and under 0.
constexpr double kOvershootPerSd = 1.166;
// h is recomputed when p0 moved by more than this since it was computed
// (h moves by about as much in relative terms of I0: < 0.01 in h).
constexpr double kThresholdRecomputeRelative = 1e-3;

struct Increments {
  double selected = 0;          // ln(p1/p0)
  double rejected = 0;          // ln((1 − p1)/(1 − p0))
  double in_control_drift = 0;  // −I0 = E_p0[increment]
  double in_control_sd = 0;

  Increments(double p0, double p1)
      : selected(std::log(p1 / p0)), rejected(std::log1p(-p1) - std::log1p(-p0)) {
    in_control_drift = p0 * selected + (1 - p0) * rejected;
    in_control_sd = std::sqrt(p0 * (1 - p0)) * std::fabs(selected - rejected);
  }
};

}  // namespace

double cusum_in_control_arl(double p0, double p1, double h) {
  const Increments increments(p0, p1);
  const double b = h + kOvershootPerSd * increments.in_control_sd;
  return (std::expm1(b) - b) / -increments.in_control_drift;
}

double cusum_threshold(double p0, double p1, double arl0_outcomes) {
  const Increments increments(p0, p1);
  // Solve e^b − b − 1 = c by Newton's method from above (the left side is
  // convex and increasing for b > 0; log1p(c) + 1 is above the root).
  const double c = arl0_outcomes * -increments.in_control_drift;
  double b = std::log1p(c) + 1;
  for (int i = 0; i < 100; ++i) {
    const double step = (std::expm1(b) - b - c) / std::expm1(b);
    b -= step;
    if (step < 1e-12 * b) break;
  }
  return std::max(0.0, b - kOvershootPerSd * increments.in_control_sd);
}

BernoulliCusum::BernoulliCusum(double shift, double arl0_outcomes)
    : shift_(shift), arl0_outcomes_(arl0_outcomes) {}

void BernoulliCusum::set_in_control_arl(double arl0_outcomes) {
  if (arl0_outcomes == arl0_outcomes_) return;
  arl0_outcomes_ = arl0_outcomes;
  threshold_p0_ = -1;  // recompute on the next batch
}

bool BernoulliCusum::observe(Counts batch, double p0) {
  if (!accumulate(batch, p0)) return false;
  alarm();
  return true;
}

bool BernoulliCusum::accumulate(Counts batch, double p0) {
  const double p1 = shift_ * p0;
  if (!(p0 > 0 && p0 < 1 && p1 < 1)) return false;
  if (p0 != increments_p0_) {
    const Increments increments(p0, p1);
    increment_selected_ = increments.selected;
    increment_rejected_ = increments.rejected;
    increments_p0_ = p0;
  }
  if (std::fabs(p0 - threshold_p0_) > kThresholdRecomputeRelative * p0) {
    threshold_ = cusum_threshold(p0, p1, arl0_outcomes_);
    threshold_p0_ = p0;
  }
  statistic_ += static_cast<double>(batch.selected) * increment_selected_ +
                static_cast<double>(batch.rejected()) * increment_rejected_;
  statistic_ = std::max(0.0, statistic_);
  return statistic_ >= threshold_;
}

}  // namespace fairwatch::detectors
