#include "fairwatch/detectors/kolmogorov_smirnov.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

namespace fairwatch::detectors {
namespace {

struct PooledSample {
  // D·m·n, an integer: the statistic without rounding.
  std::uint64_t scaled_statistic = 0;
  // last_of_tie_run[k] for k = 1..m+n: the k-th smallest pooled value differs
  // from the (k+1)-th (or is the largest). Index 0 is unused.
  std::vector<bool> last_of_tie_run;
};

std::uint64_t distance(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : b - a;
}

PooledSample pool(std::vector<double> x, std::vector<double> y) {
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  const std::uint64_t m = x.size();
  const std::uint64_t n = y.size();
  PooledSample pooled;
  pooled.last_of_tie_run.assign(m + n + 1, false);
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < m || j < n) {
    const double value = j == n || (i < m && x[i] <= y[j]) ? x[i] : y[j];
    while (i < m && x[i] == value) ++i;
    while (j < n && y[j] == value) ++j;
    pooled.last_of_tie_run[i + j] = true;
    // |F_x − F_y|·m·n = |i·n − j·m| after every value equal to `value`.
    pooled.scaled_statistic = std::max(pooled.scaled_statistic, distance(i * n, j * m));
  }
  return pooled;
}

// P(D < statistic) by counting monotone lattice paths from (0, 0) to (m, n)
// whose every point (i, j) at the end of a tie run has |i·n − j·m| below
// D·m·n, over all C(m + n, m) paths (R's psmirnov, exact = TRUE).
double exact_lower_tail(std::uint64_t m, std::uint64_t n, const PooledSample& pooled) {
  std::vector<double> paths(n + 1, 0.0);
  for (std::uint64_t i = 0; i <= m; ++i) {
    for (std::uint64_t j = 0; j <= n; ++j) {
      if (i == 0 && j == 0) {
        paths[0] = 1;
        continue;
      }
      paths[j] = (i > 0 ? paths[j] : 0.0) + (j > 0 ? paths[j - 1] : 0.0);
      if (pooled.last_of_tie_run[i + j] && distance(i * n, j * m) >= pooled.scaled_statistic) {
        paths[j] = 0;
      }
    }
  }
  const double log_all_paths = std::lgamma(static_cast<double>(m + n) + 1) -
                               std::lgamma(static_cast<double>(m) + 1) -
                               std::lgamma(static_cast<double>(n) + 1);
  return paths[n] / std::exp(log_all_paths);
}

// Kolmogorov's limiting distribution K(x) = P(sup |B(t)| <= x), summed as R's
// pkstwo with tolerance 1e-6: for x < 1 the Jacobi theta form
// √(2π)/x · Σ_{k odd} exp(−k²π²/(8x²)) over k < √(2 − ln tol); otherwise
// 1 + 2·Σ_k (−1)^k exp(−2k²x²) until a term changes the sum by at most tol.
double kolmogorov_limit(double x) {
  constexpr double kTolerance = 1e-6;
  if (x < 1) {
    const int k_max = static_cast<int>(std::sqrt(2 - std::log(kTolerance)));
    const double z = -(std::numbers::pi / 2 * std::numbers::pi / 4) / (x * x);
    const double w = std::log(x);
    double sum = 0;
    for (int k = 1; k < k_max; k += 2) {
      sum += std::exp(k * k * z - w);
    }
    return sum * std::sqrt(2 * std::numbers::pi);
  }
  const double z = -2 * x * x;
  double sign = -1;
  double previous = 0;
  double current = 1;
  for (int k = 1; std::fabs(previous - current) > kTolerance; ++k) {
    previous = current;
    current += 2 * sign * std::exp(z * k * k);
    sign = -sign;
  }
  return current;
}

}  // namespace

std::optional<KolmogorovSmirnov> kolmogorov_smirnov_test(std::span<const double> x,
                                                         std::span<const double> y) {
  if (x.empty() || y.empty()) return std::nullopt;
  const std::uint64_t m = x.size();
  const std::uint64_t n = y.size();
  const PooledSample pooled =
      pool(std::vector<double>(x.begin(), x.end()), std::vector<double>(y.begin(), y.end()));
  const double mn = static_cast<double>(m) * static_cast<double>(n);
  KolmogorovSmirnov result;
  result.statistic = static_cast<double>(pooled.scaled_statistic) / mn;
  result.exact = mn < 10000;
  double lower_tail = 0;
  if (result.exact) {
    lower_tail = exact_lower_tail(m, n, pooled);
  } else if (result.statistic >= std::numeric_limits<double>::epsilon()) {
    const double effective_n = mn / static_cast<double>(m + n);
    lower_tail = kolmogorov_limit(std::sqrt(effective_n) * result.statistic);
  }
  result.p_value = std::clamp(1 - lower_tail, 0.0, 1.0);
  return result;
}

}  // namespace fairwatch::detectors
