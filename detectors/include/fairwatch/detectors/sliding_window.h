// Event-time sliding windows of one group series (see bucket_ring.h for the
// window semantics). Thread-compatible: no internal locking.
#pragma once

#include <cstdint>
#include <vector>

#include "fairwatch/detectors/bucket_ring.h"
#include "fairwatch/detectors/counts.h"
#include "fairwatch/detectors/score_summary.h"

namespace fairwatch::detectors {

// Applicants and selections only. Memory: buckets × 16 bytes.
class SlidingCounts {
 public:
  SlidingCounts(std::int64_t length_ms, int buckets) : ring_(length_ms, buckets) {}

  // Returns false (and changes nothing) when the event is older than the window.
  // REQUIRES: event_time_ms <= watermark_ms; watermarks never decrease.
  bool add(std::int64_t event_time_ms, std::int64_t watermark_ms, bool selected);
  Counts counts(std::int64_t watermark_ms) const;

 private:
  struct Cell {
    std::uint32_t applicants = 0;
    std::uint32_t selected = 0;
  };
  BucketRing<Cell> ring_;
};

// Counts plus score statistics. Memory: buckets × 40 bytes, plus buckets ×
// score_bins × 4 bytes once the first score arrives (B = 60 and 100 bins:
// 2.4 KiB without scores, 26 KiB with them).
class SlidingWindow {
 public:
  static constexpr int kDefaultBuckets = 60;

  // REQUIRES: length_ms > 0, buckets > 0, score_bins > 0.
  SlidingWindow(std::int64_t length_ms, int buckets, int score_bins);

  // score_bin < 0 means "no score". Returns false (and changes nothing) when
  // the event is older than the window.
  // REQUIRES: event_time_ms <= watermark_ms; watermarks never decrease.
  bool add(std::int64_t event_time_ms, std::int64_t watermark_ms, bool selected, int score_bin,
           double score);

  Counts counts(std::int64_t watermark_ms) const;
  // Adds the window's scores at watermark_ms into `summary` (with score_bins bins).
  void accumulate_scores(std::int64_t watermark_ms, ScoreSummary& summary) const;

 private:
  struct Cell {
    std::uint32_t applicants = 0;
    std::uint32_t selected = 0;
    std::uint32_t scored = 0;
    double score_sum = 0;
    double score_sum_squares = 0;
  };
  BucketRing<Cell> ring_;
  int score_bins_;
  std::vector<std::uint32_t> histograms_;  // buckets × score_bins, allocated on first score
};

}  // namespace fairwatch::detectors
