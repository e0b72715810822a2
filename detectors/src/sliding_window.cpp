#include "fairwatch/detectors/sliding_window.h"

#include <algorithm>

namespace fairwatch::detectors {

bool SlidingCounts::add(std::int64_t event_time_ms, std::int64_t watermark_ms, bool selected) {
  const auto slot = ring_.locate(event_time_ms, watermark_ms);
  if (slot.cell == nullptr) return false;
  ++slot.cell->applicants;
  if (selected) ++slot.cell->selected;
  return true;
}

Counts SlidingCounts::counts(std::int64_t watermark_ms) const {
  Counts total;
  ring_.for_each_live(watermark_ms, [&](const Cell& cell, std::size_t) {
    total.applicants += cell.applicants;
    total.selected += cell.selected;
  });
  return total;
}

SlidingWindow::SlidingWindow(std::int64_t length_ms, int buckets, int score_bins)
    : ring_(length_ms, buckets), score_bins_(score_bins) {}

bool SlidingWindow::add(std::int64_t event_time_ms, std::int64_t watermark_ms, bool selected,
                        int score_bin, double score) {
  const auto slot = ring_.locate(event_time_ms, watermark_ms);
  if (slot.cell == nullptr) return false;
  const std::size_t bins = static_cast<std::size_t>(score_bins_);
  if (slot.reset && !histograms_.empty()) {
    std::fill_n(histograms_.begin() + static_cast<std::ptrdiff_t>(slot.index * bins), bins, 0u);
  }
  Cell& cell = *slot.cell;
  ++cell.applicants;
  if (selected) ++cell.selected;
  if (score_bin >= 0) {
    if (histograms_.empty())
      histograms_.assign(static_cast<std::size_t>(ring_.buckets()) * bins, 0u);
    ++cell.scored;
    cell.score_sum += score;
    cell.score_sum_squares += score * score;
    ++histograms_[slot.index * bins + static_cast<std::size_t>(score_bin)];
  }
  return true;
}

Counts SlidingWindow::counts(std::int64_t watermark_ms) const {
  Counts total;
  ring_.for_each_live(watermark_ms, [&](const Cell& cell, std::size_t) {
    total.applicants += cell.applicants;
    total.selected += cell.selected;
  });
  return total;
}

void SlidingWindow::accumulate_scores(std::int64_t watermark_ms, ScoreSummary& summary) const {
  const std::size_t bins = static_cast<std::size_t>(score_bins_);
  ring_.for_each_live(watermark_ms, [&](const Cell& cell, std::size_t index) {
    if (cell.scored == 0) return;
    summary.count += cell.scored;
    summary.sum += cell.score_sum;
    summary.sum_squares += cell.score_sum_squares;
    const std::uint32_t* counts = &histograms_[index * bins];
    for (std::size_t bin = 0; bin < bins && bin < summary.histogram.size(); ++bin) {
      summary.histogram[bin] += counts[bin];
    }
  });
}

}  // namespace fairwatch::detectors
