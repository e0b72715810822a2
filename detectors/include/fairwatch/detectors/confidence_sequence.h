// ConfidenceSequence: anytime-valid (time-uniform) confidence bounds for a
// Bernoulli selection rate and for the impact ratio of two groups, computed
// from cumulative counts alone (O(1) state: n and s per group).
// A value type; const methods are thread-safe.
//
// Construction (Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform,
// nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2),
// 2021, two-sided normal-mixture boundary): outcomes X_i ∈ {0, 1} with a
// common rate p, independent given the past; S_n = Σ (X_i − p) is
// sub-Gaussian with variance proxy V_n = n/4 (Hoeffding), so
//   M_n = √(ρ/(V_n + ρ)) · exp(S_n² / (2(V_n + ρ)))
// is a nonnegative supermartingale with M_0 = 1 and, by Ville's inequality,
//   P(∃ n >= 1: |S_n| >= √((V_n + ρ)·ln((V_n + ρ)/(ρ·α²)))) <= α.
// Hence [ŝ/n − r_n, ŝ/n + r_n] ∩ [0, 1] with r_n = that boundary / n covers p
// at every n simultaneously with probability >= 1 − α, however often it is
// looked at and whenever monitoring stops.
//
// GUARANTEE HOLDS ONLY for counts accumulated from a fixed start (the start
// of the monitoring period, e.g. the `all` window or a period reset by the
// operator); on sliding-window counts the bounds are not time-uniform.
// ρ only moves where the bound is tightest: it is chosen to minimise the
// radius at n = tuned_for_applicants (the solution x of x − ln(1 + x) = 2·ln(1/α),
// ρ = (n/4)/x); validity holds for every ρ > 0.
//
// Impact ratio: each group's rate at α/2 (union bound: both hold at all times
// with probability >= 1 − α), ratio bounds [L_g / U_r, U_g / L_r].
#pragma once

#include <cstdint>
#include <optional>

#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

class ConfidenceSequence {
 public:
  // REQUIRES: 0 < alpha < 1, tuned_for_applicants > 0.
  ConfidenceSequence(double alpha, double tuned_for_applicants);

  // The bound for one rate from counts since the start of the period.
  // nullopt when there are no applicants.
  std::optional<Interval> selection_rate(Counts since_start) const;

  // The bound for rate(group) / rate(reference), both groups' counts since the
  // start of the period; upper is +infinity while the reference's lower bound
  // is 0. nullopt when either group has no applicants.
  std::optional<Interval> impact_ratio(Counts group_since_start,
                                       Counts reference_since_start) const;

  // One group's rate bound at level α/2, as used by impact_ratio().
  // nullopt when there are no applicants.
  std::optional<Interval> ratio_rate_bounds(Counts since_start) const;

  // The half-width r_n of the rate bound after n applicants at level α.
  // REQUIRES: applicants > 0.
  double rate_radius(std::uint64_t applicants) const;

  double alpha() const { return alpha_; }

 private:
  struct Boundary {
    double log_inverse_alpha_squared = 0;  // ln(1/α²) at this boundary's level
    double rho = 0;                        // mixture parameter, intrinsic-time units
    double radius(std::uint64_t applicants) const;
  };
  static Boundary boundary(double alpha, double tuned_for_applicants);
  static Interval rate_interval(Counts counts, const Boundary& boundary);

  double alpha_;
  Boundary rate_boundary_;   // level α
  Boundary ratio_boundary_;  // level α/2 per group
};

}  // namespace fairwatch::detectors
