// uBLAS's debug checks report by exception; singularity is checked here instead.
#define BOOST_UBLAS_NDEBUG 1

#include "fairwatch/detectors/stratified.h"

#include <algorithm>
#include <boost/numeric/ublas/lu.hpp>
#include <boost/numeric/ublas/matrix.hpp>
#include <boost/numeric/ublas/vector.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "fairwatch/detectors/proportion.h"
#include "upper_tail.h"

namespace fairwatch::detectors {
namespace {

namespace ublas = boost::numeric::ublas;

// std::vector storage: uBLAS 1.74's default unbounded_array needs the
// std::allocator::construct that C++20 removed.
using Matrix = ublas::matrix<long double, ublas::row_major, std::vector<long double>>;
using Vector = ublas::vector<long double, std::vector<long double>>;
using Permutation = ublas::permutation_matrix<std::size_t, std::vector<std::size_t>>;

// A pivot this small relative to its column of the variance matrix means the
// groups' contrasts are linearly dependent (R's qr.solve rejects those too).
constexpr long double kSingularTolerance = 1e-10L;

__extension__ typedef __int128 Exact;

long double ld(std::uint64_t value) {
  return static_cast<long double>(value);
}

Exact gcd(Exact a, Exact b) {
  if (a < 0) {
    a = -a;
  }
  while (b != 0) {
    const Exact r = a % b;
    a = b;
    b = r < 0 ? -r : r;
  }
  return a;
}

// Σ (a - E[a]) = Σ (a n - r1 c1) / n as a reduced fraction, so that Yates'
// |Σ| >= 1/2 is decided exactly (R decides it on rounded doubles, which can
// depend on the order of the strata). nullopt on overflow.
struct Fraction {
  Exact numerator = 0;
  Exact denominator = 1;
};
std::optional<Fraction> exact_delta(std::span<const StratumTable* const> strata, std::size_t first,
                                    std::size_t second) {
  Fraction sum;
  for (const StratumTable* table : strata) {
    const Counts& one = (*table)[first];
    const Counts& two = (*table)[second];
    const Exact n = static_cast<Exact>(one.applicants) + two.applicants;
    const Exact selected = static_cast<Exact>(one.selected) + two.selected;
    Exact a_n = 0;
    Exact r_c = 0;
    if (__builtin_mul_overflow(static_cast<Exact>(one.selected), n, &a_n) ||
        __builtin_mul_overflow(static_cast<Exact>(one.applicants), selected, &r_c)) {
      return std::nullopt;
    }
    const Exact term = a_n - r_c;  // over n
    const Exact shared = gcd(sum.denominator, n);
    Exact left = 0;
    Exact right = 0;
    Exact denominator = 0;
    if (__builtin_mul_overflow(sum.numerator, n / shared, &left) ||
        __builtin_mul_overflow(term, sum.denominator / shared, &right) ||
        __builtin_add_overflow(left, right, &sum.numerator) ||
        __builtin_mul_overflow(sum.denominator / shared, n, &denominator)) {
      return std::nullopt;
    }
    const Exact common = gcd(sum.numerator, denominator);
    sum.numerator /= common;
    sum.denominator = denominator / common;
  }
  return sum;
}

// The 2x2xK case, as R's mantelhaen.test(correct = TRUE): row 1 = `first`,
// row 2 = `second`, columns selected / rejected. The odds ratio (row 1 over
// row 2) only when `with_odds_ratio`.
std::optional<CmhResult> two_groups(std::span<const StratumTable* const> strata, std::size_t first,
                                    std::size_t second, bool with_odds_ratio, double confidence) {
  long double delta = 0;         // Σ (a - E[a])
  long double variance = 0;      // Σ r1 r2 c1 c2 / (n² (n - 1))
  long double diagonal = 0;      // Σ a d / n
  long double off_diagonal = 0;  // Σ b c / n
  long double rbg_diagonal = 0;  // Σ (a + d) a d / n²
  long double rbg_mixed = 0;     // Σ ((a + d) b c + (b + c) a d) / n²
  long double rbg_off = 0;       // Σ (b + c) b c / n²
  for (const StratumTable* table : strata) {
    const long double a = ld((*table)[first].selected);
    const long double b = ld((*table)[first].rejected());
    const long double c = ld((*table)[second].selected);
    const long double d = ld((*table)[second].rejected());
    const long double n = a + b + c + d;
    delta += a - (a + b) * (a + c) / n;
    variance += (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1));
    diagonal += a * d / n;
    off_diagonal += b * c / n;
    rbg_diagonal += (a + d) * a * d / (n * n);
    rbg_mixed += ((a + d) * b * c + (b + c) * a * d) / (n * n);
    rbg_off += (b + c) * b * c / (n * n);
  }
  if (!(variance > 0)) {
    return std::nullopt;
  }
  // |Σ (a - E[a])| less Yates' 0.5 when it is at least 0.5.
  long double deviation = std::fabs(delta);
  const auto exact = exact_delta(strata, first, second);
  Exact magnitude = 0;
  Exact rest = 0;  // 2|Σ| >= 1 ⟺ magnitude >= rest
  Exact excess = 0;
  if (exact && exact->numerator != std::numeric_limits<Exact>::min() &&
      !__builtin_sub_overflow(
          exact->denominator,
          (magnitude = exact->numerator < 0 ? -exact->numerator : exact->numerator), &rest) &&
      !__builtin_sub_overflow(magnitude, rest, &excess)) {
    if (magnitude >= rest) {
      deviation =
          static_cast<long double>(excess) / (2 * static_cast<long double>(exact->denominator));
    } else {
      deviation =
          static_cast<long double>(magnitude) / static_cast<long double>(exact->denominator);
    }
  } else if (deviation >= 0.5L) {
    // The exact fraction overflowed: decide on the long double sum.
    deviation -= 0.5L;
  }
  CmhResult result;
  result.test =
      detail::chi_squared_upper_tail(static_cast<double>(deviation * deviation / variance), 1);
  result.strata = strata.size();
  // Σ b c / n = 0 makes the estimate infinite (nullopt); Σ a d / n = 0 makes it
  // 0 with an unbounded log interval (no interval).
  if (with_odds_ratio && off_diagonal > 0) {
    const long double ratio = diagonal / off_diagonal;
    result.common_odds_ratio = static_cast<double>(ratio);
    if (diagonal > 0) {
      const long double log_variance = rbg_diagonal / (2 * diagonal * diagonal) +
                                       rbg_mixed / (2 * diagonal * off_diagonal) +
                                       rbg_off / (2 * off_diagonal * off_diagonal);
      const long double half_width =
          two_sided_normal_quantile(confidence) * std::sqrt(log_variance);
      result.common_odds_ratio_interval =
          Interval{static_cast<double>(ratio * std::exp(-half_width)),
                   static_cast<double>(ratio * std::exp(half_width))};
    }
  }
  return result;
}

// The generalized statistic for I >= 3 groups: (n - m)' V⁻¹ (n - m) over the
// first I - 1 groups' selected counts, df = I - 1, as R's mantelhaen.test.
std::optional<CmhResult> many_groups(std::span<const StratumTable* const> strata,
                                     std::span<const std::size_t> groups) {
  const std::size_t q = groups.size() - 1;
  Matrix variance(q, q);
  variance.clear();
  Vector deviation(q);
  deviation.clear();
  for (const StratumTable* table : strata) {
    long double total = 0;
    long double selected = 0;
    for (std::size_t g : groups) {
      total += ld((*table)[g].applicants);
      selected += ld((*table)[g].selected);
    }
    const long double scale = selected * (total - selected) / (total * total * (total - 1));
    for (std::size_t i = 0; i < q; ++i) {
      const long double rows_i = ld((*table)[groups[i]].applicants);
      deviation(i) += ld((*table)[groups[i]].selected) - rows_i * selected / total;
      for (std::size_t j = 0; j < q; ++j) {
        const long double rows_j = ld((*table)[groups[j]].applicants);
        variance(i, j) += scale * ((i == j ? total * rows_i : 0.0L) - rows_i * rows_j);
      }
    }
  }
  std::vector<long double> column_scale(q, 0);
  for (std::size_t i = 0; i < q; ++i) {
    for (std::size_t j = 0; j < q; ++j) {
      column_scale[j] = std::max(column_scale[j], std::fabs(variance(i, j)));
    }
  }
  Matrix lu = variance;
  Permutation pivots(q);
  if (ublas::lu_factorize(lu, pivots) != 0) {
    return std::nullopt;
  }
  for (std::size_t j = 0; j < q; ++j) {
    if (!(std::fabs(lu(j, j)) > kSingularTolerance * column_scale[j])) {
      return std::nullopt;
    }
  }
  Vector solution = deviation;
  ublas::lu_substitute(lu, pivots, solution);
  const long double statistic = std::max(0.0L, ublas::inner_prod(deviation, solution));
  CmhResult result;
  result.test = detail::chi_squared_upper_tail(static_cast<double>(statistic), static_cast<int>(q));
  result.strata = strata.size();
  return result;
}

}  // namespace

std::optional<CmhResult> cochran_mantel_haenszel(std::span<const StratumTable> strata,
                                                 std::size_t reference_index, double confidence) {
  if (strata.empty()) {
    return std::nullopt;
  }
  const std::size_t size = strata.front().size();
  for (const StratumTable& table : strata) {
    if (table.size() != size) {
      return std::nullopt;
    }
  }
  std::vector<std::size_t> groups;  // groups with applicants somewhere
  for (std::size_t g = 0; g < size; ++g) {
    for (const StratumTable& table : strata) {
      if (table[g].applicants > 0) {
        groups.push_back(g);
        break;
      }
    }
  }
  if (groups.size() < 2) {
    return std::nullopt;
  }
  std::vector<const StratumTable*> used;  // strata with at least two applicants
  for (const StratumTable& table : strata) {
    std::uint64_t applicants = 0;
    for (std::size_t g : groups) {
      applicants += table[g].applicants;
    }
    if (applicants >= 2) {
      used.push_back(&table);
    }
  }
  if (groups.size() > 2) {
    return many_groups(used, groups);
  }
  // Two groups: the non-reference first. Without the reference among them the
  // test still runs (it is symmetric in the rows) but there is no odds ratio.
  const bool reference_present = groups[0] == reference_index || groups[1] == reference_index;
  const std::size_t first = groups[0] == reference_index ? groups[1] : groups[0];
  const std::size_t second = groups[0] == reference_index ? groups[0] : groups[1];
  return two_groups(used, first, second, reference_present, confidence);
}

}  // namespace fairwatch::detectors
