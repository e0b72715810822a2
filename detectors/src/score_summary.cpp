#include "fairwatch/detectors/score_summary.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::detectors {

int ScoreGrid::bin_of(double score) const {
  // Bin b covers (lower_edge(b), upper_edge(b)]; bin 0 also holds min.
  const double position = (score - min) / (max - min) * bins;
  int bin = std::clamp(static_cast<int>(std::ceil(position)) - 1, 0, bins - 1);
  // Correct the rounding of `position` against the edges themselves.
  if (bin > 0 && score <= upper_edge(bin - 1)) --bin;
  if (bin < bins - 1 && score > upper_edge(bin)) ++bin;
  return bin;
}

ScoreSummary& ScoreSummary::operator+=(const ScoreSummary& other) {
  count += other.count;
  sum += other.sum;
  sum_squares += other.sum_squares;
  if (histogram.size() < other.histogram.size()) histogram.resize(other.histogram.size(), 0);
  for (std::size_t bin = 0; bin < other.histogram.size(); ++bin) {
    histogram[bin] += other.histogram[bin];
  }
  return *this;
}

std::optional<double> ScoreSummary::mean() const {
  if (count == 0) return std::nullopt;
  return sum / static_cast<double>(count);
}

std::optional<double> ScoreSummary::standard_deviation() const {
  if (count < 2) return std::nullopt;
  const double n = static_cast<double>(count);
  const double variance = (sum_squares - sum * sum / n) / (n - 1);
  return std::sqrt(std::max(0.0, variance));
}

std::optional<int> ScoreSummary::median_bin() const {
  if (count == 0) return std::nullopt;
  const std::uint64_t rank = (count + 1) / 2;  // 1-based rank of the lower median
  std::uint64_t seen = 0;
  for (std::size_t bin = 0; bin < histogram.size(); ++bin) {
    seen += histogram[bin];
    if (seen >= rank) return static_cast<int>(bin);
  }
  return std::nullopt;
}

std::uint64_t ScoreSummary::count_above(int bin) const {
  std::uint64_t above = 0;
  for (std::size_t b = static_cast<std::size_t>(bin) + 1; b < histogram.size(); ++b) {
    above += histogram[b];
  }
  return above;
}

std::optional<double> ScoreSummary::quantile(const ScoreGrid& grid, double q) const {
  if (count == 0 || histogram.empty()) return std::nullopt;
  const double target = q * static_cast<double>(count);
  double seen = 0;
  for (std::size_t bin = 0; bin < histogram.size(); ++bin) {
    const double in_bin = static_cast<double>(histogram[bin]);
    if (in_bin > 0 && seen + in_bin >= target) {
      const double fraction = std::clamp((target - seen) / in_bin, 0.0, 1.0);
      const int b = static_cast<int>(bin);
      return grid.lower_edge(b) + fraction * (grid.upper_edge(b) - grid.lower_edge(b));
    }
    seen += in_bin;
  }
  return grid.max;
}

// Layout: u64 count, f64 sum, f64 sum_squares, u64[bins] histogram.
void ScoreSummary::encode(StateWriter& writer) const {
  writer.write_u64(count);
  writer.write_f64(sum);
  writer.write_f64(sum_squares);
  writer.write_array(std::span<const std::uint64_t>(histogram));
}

bool ScoreSummary::decode(StateReader& reader) {
  if (!reader.read_u64(count) || !reader.read_f64(sum) || !reader.read_f64(sum_squares) ||
      !reader.read_array(std::span<std::uint64_t>(histogram))) {
    return false;
  }
  std::uint64_t total = 0;
  for (const std::uint64_t in_bin : histogram) {
    if (in_bin > count - total) return reader.fail();
    total += in_bin;
  }
  if (!histogram.empty() && total != count) return reader.fail();
  return true;
}

}  // namespace fairwatch::detectors
