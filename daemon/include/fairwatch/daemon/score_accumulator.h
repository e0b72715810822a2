// ScoreAccumulator: all-time moments and P² quantile estimates of one group's
// scores, with Boost.Accumulators. O(1) memory; not mergeable (use
// ScoreSummary for merged or windowed statistics). Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fairwatch::daemon
