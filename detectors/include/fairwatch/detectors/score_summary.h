// ScoreSummary: mergeable statistics of scores on a fixed grid — count, sum,
// sum of squares and a histogram of equal-width bins on [min, max]. The
// windowed source of score means, quantiles and LL144 scoring rates.
// A value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace fairwatch::detectors {

// The grid scores are quantised to: `bins` equal-width bins on [min, max].
// A value on an inner edge goes to the lower bin (as Prometheus `le` buckets);
// min goes to bin 0.
struct ScoreGrid {
  double min = 0;
  double max = 1;
  int bins = 100;
  // REQUIRES: min <= score <= max.
  int bin_of(double score) const;
  double upper_edge(int bin) const { return min + (max - min) * (bin + 1) / bins; }
  double lower_edge(int bin) const { return min + (max - min) * bin / bins; }
};

class StateReader;
class StateWriter;

struct ScoreSummary {
  std::uint64_t count = 0;
  double sum = 0;
  double sum_squares = 0;
  std::vector<std::uint64_t> histogram;  // one count per bin of the grid

  explicit ScoreSummary(int bins = 0) : histogram(static_cast<std::size_t>(bins), 0) {}
  ScoreSummary& operator+=(const ScoreSummary& other);

  std::optional<double> mean() const;
  // Sample standard deviation (n − 1); nullopt below two scores.
  std::optional<double> standard_deviation() const;
  // The bin holding the lower median (the ceil(count/2)-th smallest score).
  std::optional<int> median_bin() const;
  // Scores in bins strictly above `bin`.
  std::uint64_t count_above(int bin) const;
  // The q-quantile interpolated linearly within its bin; nullopt when empty.
  std::optional<double> quantile(const ScoreGrid& grid, double q) const;

  // Appends count, sum, sum of squares and the histogram.
  void encode(StateWriter& writer) const;
  // Replaces *this with what encode() wrote. Returns false, with the reader
  // failed, when the saved histogram has another number of bins than
  // `histogram` or its (non-empty) counts do not add up to `count`; *this is then
  // unspecified (but valid).
  bool decode(StateReader& reader);
};

}  // namespace fairwatch::detectors
