#include "fairwatch/detectors/significance.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>

#include "upper_tail.h"

namespace fairwatch::detectors {
namespace {

__extension__ typedef unsigned __int128 Wide;
__extension__ typedef __int128 SignedWide;

// Boost.Math reports errors by return value, never by exception.
using NoThrow = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::underflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

// Below this a double p-value loses relative precision (subnormals start at
// 2.2e-308), so the log p-value comes from an expansion instead of log(p).
constexpr double kTinyP = 1e-300;

long double to_long_double(SignedWide value) {
  return static_cast<long double>(value);
}

SignedWide signed_difference(Wide a, Wide b) {
  return a >= b ? static_cast<SignedWide>(a - b) : -static_cast<SignedWide>(b - a);
}

TestResult from_log_p(double statistic, double log_p, int df) {
  TestResult result;
  result.statistic = statistic;
  result.log_p_value = std::min(0.0, log_p);
  result.p_value = std::exp(result.log_p_value);
  result.df = df;
  return result;
}

// log erfc(x) for x > 0 large enough that erfc(x) < kTinyP: the asymptotic
// series erfc(x) = exp(-x²)/(x√π) · Σ_j (-1)^j (2j-1)!! / (2x²)^j, whose
// truncation error at x > 26 is far below double precision.
double log_erfc_asymptotic(double x) {
  const double two_x2 = 2 * x * x;
  double term = 1;
  double sum = 1;
  for (int j = 1; j <= 12; ++j) {
    term *= -(2.0 * j - 1) / two_x2;
    sum += term;
  }
  return -x * x - std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log(sum);
}

// log Q(a, y), the regularized upper incomplete gamma function, for y > a + 1,
// from Legendre's continued fraction (modified Lentz):
// Q(a, y) = y^a e^-y / Γ(a) · 1/(y+1-a- 1·(1-a)/(y+3-a- 2·(2-a)/(y+5-a- …))).
double log_gamma_q_continued_fraction(double a, double y) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
  double b = y + 1 - a;
  double c = 1 / kTiny;
  double d = 1 / b;
  double h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) {
      d = kTiny;
    }
    c = b + an / c;
    if (std::fabs(c) < kTiny) {
      c = kTiny;
    }
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEpsilon) {
      break;
    }
  }
  return a * std::log(y) - y - boost::math::lgamma(a, NoThrow()) + std::log(h);
}

// The hypergeometric law of the selected count x of the first row of a 2x2
// table with fixed margins: m selected, n rejected, k in the first row.
// Log probabilities come from lgamma in long double (about 1e-11 relative at
// a million applicants); neighbours from the ratio recurrence.
class Hypergeometric {
 public:
  Hypergeometric(std::uint64_t m, std::uint64_t n, std::uint64_t k)
      : m_(m), n_(n), k_(k), lo_(k > n ? k - n : 0), hi_(std::min(k, m)) {
    const std::uint64_t total = m + n;
    log_normalizer_ = lgamma1(m) + lgamma1(n) + lgamma1(k) + lgamma1(total - k) - lgamma1(total);
    // P(x)/P(x-1) >= 1 exactly when x <= (k+1)(m+1)/(total+2).
    const Wide mode = (Wide{k} + 1) * (Wide{m} + 1) / (Wide{total} + 2);
    mode_ = std::clamp(static_cast<std::uint64_t>(mode), lo_, hi_);
  }

  std::uint64_t lo() const { return lo_; }
  std::uint64_t hi() const { return hi_; }
  std::uint64_t mode() const { return mode_; }

  // log P(x) without the normalizing constant. REQUIRES: lo <= x <= hi.
  long double log_weight(std::uint64_t x) const {
    return -(lgamma1(x) + lgamma1(m_ - x) + lgamma1(k_ - x) + lgamma1(n_ + x - k_));
  }
  long double log_probability(std::uint64_t x) const { return log_weight(x) + log_normalizer_; }

  // P(x+1)/P(x). REQUIRES: lo <= x < hi.
  long double ratio_up(std::uint64_t x) const {
    return (static_cast<long double>(m_ - x) * static_cast<long double>(k_ - x)) /
           (static_cast<long double>(x + 1) * static_cast<long double>(n_ + x + 1 - k_));
  }
  // P(x-1)/P(x). REQUIRES: lo < x <= hi.
  long double ratio_down(std::uint64_t x) const {
    return (static_cast<long double>(x) * static_cast<long double>(n_ + x - k_)) /
           (static_cast<long double>(m_ - x + 1) * static_cast<long double>(k_ - x + 1));
  }

  // log Σ P(y) for y from `start` outward (down to lo or up to hi), where the
  // terms shrink monotonically (log-concave law, start on the far side of the
  // mode). Stops once the geometric bound on the remainder is negligible.
  long double log_tail(std::uint64_t start, bool downward) const {
    constexpr long double kNegligible = 1e-21L;
    long double term = 1;
    long double sum = 1;
    std::uint64_t y = start;
    while (downward ? y > lo_ : y < hi_) {
      const long double ratio = downward ? ratio_down(y) : ratio_up(y);
      term *= ratio;
      sum += term;
      y = downward ? y - 1 : y + 1;
      if (ratio < 1 && term * ratio <= kNegligible * sum * (1 - ratio)) {
        break;
      }
      if (term == 0) {
        break;
      }
    }
    return log_probability(start) + std::log(sum);
  }

 private:
  static long double lgamma1(std::uint64_t x) {
    return boost::math::lgamma(static_cast<long double>(x) + 1, NoThrow());
  }

  std::uint64_t m_, n_, k_, lo_, hi_, mode_ = 0;
  long double log_normalizer_ = 0;
};

// Binary search for the boundary of {y : predicate(y)} on [first, last] when
// the predicate holds on a prefix (find_last) or a suffix (!find_last).
template <typename Predicate>
std::uint64_t boundary(std::uint64_t first, std::uint64_t last, bool find_last, Predicate pred) {
  // Invariant (find_last): pred(first) holds; answer in [first, last].
  // Invariant (!find_last): pred(last) holds; answer in [first, last].
  while (first < last) {
    if (find_last) {
      const std::uint64_t mid = first + (last - first + 1) / 2;
      if (pred(mid)) {
        first = mid;
      } else {
        last = mid - 1;
      }
    } else {
      const std::uint64_t mid = first + (last - first) / 2;
      if (pred(mid)) {
        last = mid;
      } else {
        first = mid + 1;
      }
    }
  }
  return first;
}

}  // namespace

namespace detail {

TestResult chi_squared_upper_tail(double statistic, int df) {
  const boost::math::chi_squared_distribution<double, NoThrow> chi_squared(df);
  const double p = boost::math::cdf(boost::math::complement(chi_squared, statistic));
  if (p >= kTinyP) {
    TestResult result = from_log_p(statistic, std::log(p), df);
    result.p_value = std::min(1.0, p);
    return result;
  }
  // Q(df/2, x/2) underflows only far beyond df/2 + 1, where the fraction converges fast.
  return from_log_p(statistic, log_gamma_q_continued_fraction(df / 2.0, statistic / 2), df);
}

}  // namespace detail

std::optional<TestResult> two_proportion_z_test(Counts group, Counts reference) {
  if (group.applicants == 0 || reference.applicants == 0) {
    return std::nullopt;
  }
  const Wide total = Wide{group.applicants} + reference.applicants;
  const Wide selected = Wide{group.selected} + reference.selected;
  if (selected == 0 || selected == total) {
    return std::nullopt;
  }
  // z = (s_g n_r - s_r n_g) / sqrt(S F n_g n_r / N): the pooled formula with one rounding
  // in the numerator, and exactly 0 when the rates are equal.
  const SignedWide numerator = signed_difference(Wide{group.selected} * reference.applicants,
                                                 Wide{reference.selected} * group.applicants);
  const long double variance =
      static_cast<long double>(selected) * static_cast<long double>(total - selected) /
      static_cast<long double>(total) * static_cast<long double>(group.applicants) *
      static_cast<long double>(reference.applicants);
  const double z = static_cast<double>(to_long_double(numerator) / std::sqrt(variance));
  const double x = std::fabs(z) / std::sqrt(2.0);
  const double p = boost::math::erfc(x, NoThrow());
  TestResult result;
  result.statistic = z;
  if (p >= kTinyP) {
    result.p_value = std::min(1.0, p);
    result.log_p_value = std::log(result.p_value);
  } else {
    result.log_p_value = log_erfc_asymptotic(x);
    result.p_value = std::exp(result.log_p_value);
  }
  return result;
}

std::optional<TestResult> fisher_exact_test(Counts group, Counts reference) {
  if (group.applicants == 0 || reference.applicants == 0) {
    return std::nullopt;
  }
  TestResult result;  // statistic 0, p 1, log p 0
  const Hypergeometric law(group.selected + reference.selected,
                           group.rejected() + reference.rejected(), group.applicants);
  if (law.lo() == law.hi()) {
    return result;
  }
  // R's fisher.test: sum P(y) over all y with P(y) <= P(x)·(1 + 1e-7).
  const long double threshold = law.log_weight(group.selected) + std::log1p(1e-7L);
  const auto in_tail = [&](std::uint64_t y) { return law.log_weight(y) <= threshold; };
  const std::uint64_t mode = law.mode();
  // The law rises on [lo, mode] and falls on [mode + 1, hi]: each tail is an interval.
  const bool has_lower = in_tail(law.lo());
  const bool has_upper = mode < law.hi() && in_tail(law.hi());
  const std::uint64_t lower_end = has_lower ? boundary(law.lo(), mode, true, in_tail) : 0;
  const std::uint64_t upper_start = has_upper ? boundary(mode + 1, law.hi(), false, in_tail) : 0;
  const bool lower_covers = has_lower && lower_end == mode;
  const bool upper_covers = mode == law.hi() || (has_upper && upper_start == mode + 1);
  if (lower_covers && upper_covers) {
    return result;  // every table counts: p = 1
  }
  long double log_p = -std::numeric_limits<long double>::infinity();
  if (has_lower) {
    log_p = law.log_tail(lower_end, /*downward=*/true);
  }
  if (has_upper) {
    const long double upper = law.log_tail(upper_start, /*downward=*/false);
    const long double high = std::max(log_p, upper);
    log_p = high + std::log1p(std::exp(std::min(log_p, upper) - high));
  }
  return from_log_p(0, static_cast<double>(log_p), 0);
}

std::optional<TestResult> chi_squared_homogeneity(std::span<const Counts> groups) {
  Wide total = 0;
  Wide selected = 0;
  int used = 0;
  for (const Counts& g : groups) {
    if (g.applicants == 0) {
      continue;
    }
    total += g.applicants;
    selected += g.selected;
    ++used;
  }
  if (used < 2 || selected == 0 || selected == total) {
    return std::nullopt;
  }
  // X² = Σ (s_i N - n_i S)² / (n_i S F), the Pearson sum over both columns.
  const long double denominator =
      static_cast<long double>(selected) * static_cast<long double>(total - selected);
  long double statistic = 0;
  for (const Counts& g : groups) {
    if (g.applicants == 0) {
      continue;
    }
    const long double d =
        to_long_double(signed_difference(Wide{g.selected} * total, Wide{g.applicants} * selected));
    statistic += d * d / (static_cast<long double>(g.applicants) * denominator);
  }
  return detail::chi_squared_upper_tail(static_cast<double>(statistic), used - 1);
}

const char* to_string(Correction correction) {
  switch (correction) {
    case Correction::none:
      return "none";
    case Correction::holm:
      return "holm";
    case Correction::benjamini_hochberg:
      return "benjamini_hochberg";
  }
  return "none";
}

std::vector<double> adjust_p_values(std::span<const double> p_values, Correction correction) {
  std::vector<double> adjusted(p_values.begin(), p_values.end());
  // As p.adjust: NaN stays NaN and does not count in n.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    if (!std::isnan(p_values[i])) {
      order.push_back(i);
    }
  }
  const std::size_t n = order.size();
  if (correction == Correction::none || n <= 1) {
    return adjusted;
  }
  const auto ascending = [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; };
  std::stable_sort(order.begin(), order.end(), ascending);
  if (correction == Correction::holm) {
    // Ascending: min(1, cummax((n - i + 1) p_(i))).
    double running = 0;
    for (std::size_t i = 0; i < n; ++i) {
      running = std::max(running, static_cast<double>(n - i) * p_values[order[i]]);
      adjusted[order[i]] = std::min(1.0, running);
    }
  } else {
    // Descending: min(1, cummin(n / i · p_(i))).
    double running = std::numeric_limits<double>::infinity();
    for (std::size_t i = n; i-- > 0;) {
      const double scale = static_cast<double>(n) / static_cast<double>(i + 1);
      running = std::min(running, scale * p_values[order[i]]);
      adjusted[order[i]] = std::min(1.0, running);
    }
  }
  return adjusted;
}

}  // namespace fairwatch::detectors
