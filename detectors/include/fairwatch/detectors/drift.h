// Distribution drift of a current histogram against a baseline histogram:
// population stability index and Jensen–Shannon divergence, for binned scores
// and for categorical applicant mix alike (one count per bin or category).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace fairwatch::detectors {

// The default score bin edges: 10 equal-width bins on [0, 1], edges i/10.
std::vector<double> default_score_edges();

// The bin of `value` for edges e_0 < e_1 < … < e_k: bin 0 is [e_0, e_1] and
// bin i > 0 is (e_i, e_{i+1}] — a value on an inner edge goes to the lower bin,
// as Prometheus `le` buckets. Values below e_0 count in bin 0, above e_k in
// bin k − 1. REQUIRES: edges.size() >= 2, strictly increasing; value not NaN.
std::size_t bin_of(std::span<const double> edges, double value);

// Counts of `values` per bin of `edges` (edges.size() − 1 bins).
std::vector<std::uint64_t> histogram(std::span<const double> edges, std::span<const double> values);

// The proportion an empty bin is given by the population stability index.
inline constexpr double kEmptyBinProportion = 1e-4;

// PSI = Σ_i (c_i − b_i) · ln(c_i / b_i) over bins, with b_i and c_i the
// baseline and current proportions; an empty bin's proportion is replaced by
// kEmptyBinProportion (the others are left as they are). Natural log.
// nullopt when either histogram is empty or the sizes differ.
std::optional<double> population_stability_index(std::span<const std::uint64_t> baseline,
                                                 std::span<const std::uint64_t> current);

// Jensen–Shannon divergence in bits: ½·KL(b‖m) + ½·KL(c‖m), m = (b + c)/2,
// with 0·log 0 = 0 (no smoothing); in [0, 1]. nullopt as for the PSI.
std::optional<double> jensen_shannon_divergence(std::span<const std::uint64_t> baseline,
                                                std::span<const std::uint64_t> current);

}  // namespace fairwatch::detectors
