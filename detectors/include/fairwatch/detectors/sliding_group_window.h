// SlidingGroupWindow: one event-time sliding window over a fixed set of
// group slots (every group of every attribute of one system and stage, or of
// one stratum). An event is added to several slots at once — one per
// attribute — so the bucket is located once per event and window.
// Thread-compatible: no internal locking.
//
// Window semantics: length L, B buckets of width w = ceil(L / B) ms; at
// watermark W the live buckets have id = floor(t / w) in (floor(W/w) − B,
// floor(W/w)]: between L − w and L of event time. An event in an older bucket
// is refused.
//
// Memory: B × (8 + slots × 8) bytes for counts; with scores enabled
// (score_bins > 0) another B × slots × 24 bytes for moments once the first
// score arrives, and B × slots × score_bins × 4 bytes for histograms.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fairwatch/detectors/counts.h"
#include "fairwatch/detectors/score_summary.h"

namespace fairwatch::detectors {

class StateReader;
class StateWriter;

class SlidingGroupWindow {
 public:
  // score_bins == 0 disables scores. REQUIRES: length_ms > 0, buckets > 0, slots > 0.
  SlidingGroupWindow(std::int64_t length_ms, int buckets, std::size_t slots, int score_bins);

  // Adds one decision to each of `slots`. score_bin < 0 means "no score".
  // Returns false (and changes nothing) when the event is older than the window.
  // REQUIRES: event_time_ms <= watermark_ms; watermarks never decrease;
  // every slot < slots(); score_bin < score_bins.
  bool add(std::int64_t event_time_ms, std::int64_t watermark_ms,
           std::span<const std::uint32_t> slots, bool selected, int score_bin, double score);

  // Counts of every slot within the window at watermark_ms. out.size() == slots().
  void counts(std::int64_t watermark_ms, std::span<Counts> out) const;
  // Counts of every slot in the newest `buckets` buckets at watermark_ms (a
  // shorter window at this window's resolution). REQUIRES: 0 < buckets <= buckets().
  void recent_counts(std::int64_t watermark_ms, int buckets, std::span<Counts> out) const;
  // Score statistics of one slot within the window, added into `summary`.
  void accumulate_scores(std::int64_t watermark_ms, std::size_t slot, ScoreSummary& summary) const;

  std::size_t slots() const { return slots_; }
  std::int64_t length_ms() const { return length_ms_; }
  std::int64_t bucket_width_ms() const { return width_ms_; }
  int buckets() const { return static_cast<int>(buckets_); }

  // Appends the window's shape and contents (never-used buckets are skipped;
  // the bucket caches are not saved: they are recomputed).
  void encode(StateWriter& writer) const;
  // Replaces the contents with what encode() wrote. Returns false, with the
  // reader failed, when the saved shape (length, buckets, slots, score bins)
  // differs from this window's or the contents are inconsistent (a bucket id
  // outside its ring position, selected > applicants); the window's contents
  // are then unspecified, though safe to destroy or overwrite: decode into a
  // fresh window and keep it only on success.
  bool decode(StateReader& reader);

 private:
  struct Moments {
    std::uint32_t scored = 0;
    double sum = 0;
    double sum_squares = 0;
  };
  std::int64_t bucket_id(std::int64_t time_ms) const;
  // A remembered bucket, to skip the division for times in the same bucket.
  struct BucketCache {
    std::int64_t start_ms = 0;
    std::int64_t id = INT64_MIN;
  };
  std::int64_t cached_bucket_id(std::int64_t time_ms, BucketCache& cache) const;
  bool live(std::size_t bucket, std::int64_t head_id) const;
  void reset_bucket(std::size_t bucket);

  std::int64_t length_ms_;
  std::int64_t width_ms_;
  std::size_t buckets_;
  std::size_t slots_;
  int score_bins_;
  BucketCache event_cache_;
  BucketCache head_cache_;
  std::vector<std::int64_t> ids_;        // per bucket; kUnused when never used
  std::vector<Counts32> counts_;         // buckets × slots
  std::vector<Moments> moments_;         // buckets × slots, on the first score
  std::vector<std::uint32_t> histograms_;  // buckets × slots × score_bins, on the first score
};

}  // namespace fairwatch::detectors
