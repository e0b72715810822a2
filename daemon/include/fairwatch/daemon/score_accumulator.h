// ScoreAccumulator: all-time moments and P² quantile estimates of one group's
// scores, with Boost.Accumulators. O(1) memory; not mergeable (use
// ScoreSummary for merged or windowed statistics). Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

namespace fairwatch::detectors {
class StateReader;
class StateWriter;
}  // namespace fairwatch::detectors

namespace fairwatch::daemon {

class ScoreAccumulator {
 public:
  // The quantiles estimated, in order.
  static constexpr std::array<double, 5> kProbabilities = {0.1, 0.25, 0.5, 0.75, 0.9};

  ScoreAccumulator();
  ~ScoreAccumulator();
  void add(double score);

  std::uint64_t count() const;
  std::optional<double> mean() const;
  std::optional<double> variance() const;  // population variance, as Boost computes it
  // P² estimate of kProbabilities[i]; nullopt until enough scores (5) were seen.
  std::optional<double> quantile(std::size_t i) const;

  // Appends the exact state of every accumulator (count, sums, mean,
  // variance, and the P² markers: heights, actual and desired positions),
  // through their Boost `serialize` members, so a decoded accumulator
  // continues exactly as this one would. The layout follows Boost's feature
  // order; changing the features or kProbabilities changes the checkpoint
  // state shape (see checkpoint.h).
  void encode(detectors::StateWriter& writer) const;
  // Replaces the state with what encode() wrote. Returns false, with the
  // reader failed and *this unchanged, on truncated or malformed input.
  bool decode(detectors::StateReader& reader);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fairwatch::daemon
