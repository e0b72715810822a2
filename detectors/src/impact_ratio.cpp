#include "fairwatch/detectors/impact_ratio.h"

#include <cmath>

#include "fairwatch/detectors/proportion.h"

namespace fairwatch::detectors {
namespace {

__extension__ typedef unsigned __int128 Wide;

}  // namespace

const char* to_string(FourFifths verdict) {
  switch (verdict) {
    case FourFifths::pass:
      return "pass";
    case FourFifths::fail:
      return "fail";
    case FourFifths::reference:
      return "reference";
    case FourFifths::insufficient:
      return "insufficient";
  }
  return "insufficient";
}

bool rate_greater(Counts a, Counts b) {
  return Wide{a.selected} * b.applicants > Wide{b.selected} * a.applicants;
}

std::optional<ImpactRatio> impact_ratio(Counts group, Counts reference, double confidence) {
  if (group.applicants == 0 || reference.applicants == 0 || reference.selected == 0) {
    return std::nullopt;
  }
  ImpactRatio result;
  result.ratio =
      (static_cast<double>(group.selected) / static_cast<double>(group.applicants)) /
      (static_cast<double>(reference.selected) / static_cast<double>(reference.applicants));
  // reference.selected > 0 here, so "both zero" cannot happen; a zero group
  // count gets the 0.5 correction on all four cells.
  double a = static_cast<double>(group.selected);
  double b = static_cast<double>(group.rejected());
  double c = static_cast<double>(reference.selected);
  double d = static_cast<double>(reference.rejected());
  if (group.selected == 0) {
    a += 0.5;
    b += 0.5;
    c += 0.5;
    d += 0.5;
  }
  const double n1 = a + b;
  const double n2 = c + d;
  const double log_ratio = std::log((a / n1) / (c / n2));
  const double standard_error = std::sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2);
  const double z = two_sided_normal_quantile(confidence);
  result.interval =
      Interval{std::exp(log_ratio - z * standard_error), std::exp(log_ratio + z * standard_error)};
  return result;
}

bool below_four_fifths(Counts group, Counts reference) {
  if (group.applicants == 0 || reference.applicants == 0) return false;
  return Wide{5} * group.selected * reference.applicants <
         Wide{4} * reference.selected * group.applicants;
}

std::uint64_t shortfall(Counts group, Counts reference) {
  if (group.applicants == 0 || reference.applicants == 0) return 0;
  // Least k with 5·(s+k)·n_ref >= 4·s_ref·n  <=>  s + k >= ceil(4·s_ref·n / (5·n_ref)).
  const Wide numerator = Wide{4} * reference.selected * group.applicants;
  const Wide denominator = Wide{5} * reference.applicants;
  const Wide needed = (numerator + denominator - 1) / denominator;
  if (needed <= group.selected) return 0;
  return static_cast<std::uint64_t>(needed - group.selected);
}

}  // namespace fairwatch::detectors
