#include "fairwatch/detectors/proportion.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

namespace fairwatch::detectors {

std::optional<double> selection_rate(Counts counts) {
  if (counts.applicants == 0) return std::nullopt;
  return static_cast<double>(counts.selected) / static_cast<double>(counts.applicants);
}

double two_sided_normal_quantile(double confidence) {
  const boost::math::normal_distribution<double> standard_normal;
  return boost::math::quantile(boost::math::complement(standard_normal, (1.0 - confidence) / 2.0));
}

std::optional<Interval> wilson_interval(Counts counts, double confidence) {
  if (counts.applicants == 0) return std::nullopt;
  const double n = static_cast<double>(counts.applicants);
  const double p = static_cast<double>(counts.selected) / n;
  const double z = two_sided_normal_quantile(confidence);
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half_width = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  // As prop.test: the bounds are exactly 0 and 1 when nobody / everybody was
  // selected (the formula leaves rounding noise there).
  const double lower = counts.selected == 0 ? 0.0 : std::max(0.0, centre - half_width);
  const double upper =
      counts.selected == counts.applicants ? 1.0 : std::min(1.0, centre + half_width);
  return Interval{lower, upper};
}

}  // namespace fairwatch::detectors
