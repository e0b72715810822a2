#include "fairwatch/detectors/drift.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fairwatch::detectors {
namespace {

std::uint64_t total(std::span<const std::uint64_t> counts) {
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

// Σ_i term(b_i, c_i) over the bins' proportions b_i, c_i; nullopt when
// either histogram is empty or the sizes differ.
template <typename Term>
std::optional<double> sum_over_bins(std::span<const std::uint64_t> baseline,
                                    std::span<const std::uint64_t> current, Term term) {
  const double baseline_total = static_cast<double>(total(baseline));
  const double current_total = static_cast<double>(total(current));
  if (baseline.size() != current.size() || baseline_total == 0 || current_total == 0) {
    return std::nullopt;
  }
  double sum = 0;
  for (std::size_t i = 0; i < baseline.size(); ++i) {
    sum += term(static_cast<double>(baseline[i]) / baseline_total,
                static_cast<double>(current[i]) / current_total);
  }
  return sum;
}

}  // namespace

std::vector<double> default_score_edges() {
  std::vector<double> edges(11);
  for (std::size_t i = 0; i < edges.size(); ++i) {
    edges[i] = static_cast<double>(i) / 10.0;
  }
  return edges;
}

std::size_t bin_of(std::span<const double> edges, double value) {
  const auto inner = edges.subspan(1, edges.size() - 2);
  return static_cast<std::size_t>(std::lower_bound(inner.begin(), inner.end(), value) -
                                  inner.begin());
}

std::vector<std::uint64_t> histogram(std::span<const double> edges,
                                     std::span<const double> values) {
  std::vector<std::uint64_t> counts(edges.size() - 1, 0);
  for (const double value : values) {
    ++counts[bin_of(edges, value)];
  }
  return counts;
}

std::optional<double> population_stability_index(std::span<const std::uint64_t> baseline,
                                                 std::span<const std::uint64_t> current) {
  return sum_over_bins(baseline, current, [](double b, double c) {
    b = b == 0 ? kEmptyBinProportion : b;
    c = c == 0 ? kEmptyBinProportion : c;
    return (c - b) * std::log(c / b);
  });
}

std::optional<double> jensen_shannon_divergence(std::span<const std::uint64_t> baseline,
                                                std::span<const std::uint64_t> current) {
  // p·log2(p/m), 0 when p = 0.
  auto term = [](double p, double m) { return p > 0 ? p * std::log2(p / m) : 0.0; };
  const auto divergence = sum_over_bins(baseline, current, [&](double b, double c) {
    const double m = (b + c) / 2;
    return (term(b, m) + term(c, m)) / 2;
  });
  if (!divergence) return std::nullopt;
  return std::clamp(*divergence, 0.0, 1.0);
}

}  // namespace fairwatch::detectors
