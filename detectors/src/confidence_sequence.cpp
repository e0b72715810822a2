#include "fairwatch/detectors/confidence_sequence.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fairwatch::detectors {

ConfidenceSequence::ConfidenceSequence(double alpha, double tuned_for_applicants)
    : alpha_(alpha),
      rate_boundary_(boundary(alpha, tuned_for_applicants)),
      ratio_boundary_(boundary(alpha / 2, tuned_for_applicants)) {}

ConfidenceSequence::Boundary ConfidenceSequence::boundary(double alpha,
                                                          double tuned_for_applicants) {
  // d/dρ of (v + ρ)·ln((v + ρ)/(ρα²)) is 0 where x − ln(1 + x) = 2·ln(1/α),
  // x = v/ρ; Newton's method from above (the left side is convex, increasing).
  const double target = -2 * std::log(alpha);
  double x = target + 1 + std::log1p(target + 1);
  for (int i = 0; i < 100; ++i) {
    const double step = (x - std::log1p(x) - target) / (x / (1 + x));
    x -= step;
    if (std::fabs(step) < 1e-12 * x) break;
  }
  const double intrinsic_time = tuned_for_applicants / 4;
  return Boundary{target, intrinsic_time / x};
}

double ConfidenceSequence::Boundary::radius(std::uint64_t applicants) const {
  const double n = static_cast<double>(applicants);
  const double v = n / 4 + rho;
  return std::sqrt(v * (std::log(v / rho) + log_inverse_alpha_squared)) / n;
}

Interval ConfidenceSequence::rate_interval(Counts counts, const Boundary& boundary) {
  const double rate = static_cast<double>(counts.selected) / static_cast<double>(counts.applicants);
  const double radius = boundary.radius(counts.applicants);
  return Interval{std::max(0.0, rate - radius), std::min(1.0, rate + radius)};
}

double ConfidenceSequence::rate_radius(std::uint64_t applicants) const {
  return rate_boundary_.radius(applicants);
}

std::optional<Interval> ConfidenceSequence::ratio_rate_bounds(Counts since_start) const {
  if (since_start.applicants == 0) return std::nullopt;
  return rate_interval(since_start, ratio_boundary_);
}

std::optional<Interval> ConfidenceSequence::selection_rate(Counts since_start) const {
  if (since_start.applicants == 0) return std::nullopt;
  return rate_interval(since_start, rate_boundary_);
}

std::optional<Interval> ConfidenceSequence::impact_ratio(Counts group_since_start,
                                                         Counts reference_since_start) const {
  if (group_since_start.applicants == 0 || reference_since_start.applicants == 0) {
    return std::nullopt;
  }
  const Interval group = rate_interval(group_since_start, ratio_boundary_);
  const Interval reference = rate_interval(reference_since_start, ratio_boundary_);
  const double upper =
      reference.lower > 0 ? group.upper / reference.lower : std::numeric_limits<double>::infinity();
  return Interval{group.lower / reference.upper, upper};
}

}  // namespace fairwatch::detectors
