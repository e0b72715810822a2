// DriftMonitor: the score state that drift against a baseline needs, per
// (system, stage), per group slot of the AttributeLayout (attribute groups
// and intersections; the `unknown` groups are skipped) and per window (every
// configured sliding window, then `all`): a histogram of scores on
// `drift.score_edges` and a uniform sample of at most `drift.sample_size` raw
// scores for the Kolmogorov–Smirnov test. The applicant mix needs no state of
// its own: it is the engine's per-group applicant counts.
//
// Fed by the Engine (Engine::set_drift_monitor) from the one thread that
// feeds the engine; read from that thread too. Not thread-safe.
//
// Sliding windows have the engine's event-time semantics (SlidingGroupWindow):
// Engine::kWindowBuckets buckets of width ceil(L / 60) ms, live buckets decided
// by the watermark, an event older than the window refused, late events
// (beyond events.allowed_lateness) in `all` only. Each bucket keeps its own
// histogram and a reservoir of at most kBucketSampleFactor ·
// ceil(sample_size / 60) scores. A window's sample takes from every live
// bucket the same fraction f of the scores it has seen,
//   f = min(1, sample_size / N, min over buckets of kept_b / seen_b)
// (N = the window's scores), chosen at random within the bucket: every score
// of the window is in it with probability about f. When every bucket still
// holds all its scores and N <= sample_size, the sample is exactly the
// window's scores. `all` is one reservoir of sample_size scores.
//
// Randomness: Vitter's algorithm R with one mt19937_64 per (system, stage)
// and window (not one per reservoir: its 2.5 KB state would dwarf the
// samples), seeded from a stable hash of the system and stage names; reading
// a window's sample draws from a generator seeded by the series, slot and
// watermark. The same input therefore gives the same samples and reports.
//
// Memory per (system, stage, group slot), taken only as scores arrive: per
// sliding window at most 60 × (8 × 2·ceil(sample_size/60) + 8 × bins + 56)
// bytes (about 40 KiB at the defaults: 2000 scores, 10 bins), plus 8 ×
// (sample_size + bins) + 56 bytes for `all` (about 16 KiB).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/attribute_layout.h"

namespace fairwatch::detectors {
class StateReader;
class StateWriter;
}  // namespace fairwatch::detectors

namespace fairwatch::daemon {

// The scores of one group in one window, as drift statistics use them.
struct ScoreDistribution {
  std::vector<std::uint64_t> histogram;  // per bin of drift.score_edges
  std::vector<double> sample;            // at most drift.sample_size raw scores, no order
  std::uint64_t scored = 0;              // scores in the window: the histogram's total
};

class DriftMonitor {
 public:
  // A bucket's reservoir holds this many times its even share of the sample.
  static constexpr std::size_t kBucketSampleFactor = 2;

  // Copies what it needs of `config` (drift settings, windows, attribute
  // layout); the config need not outlive the monitor. REQUIRES: config is valid.
  explicit DriftMonitor(const config::Config& config);
  ~DriftMonitor();
  DriftMonitor(const DriftMonitor&) = delete;
  DriftMonitor& operator=(const DriftMonitor&) = delete;

  // One accepted decision of (system, stage) at event time event_time_ms,
  // with the engine's watermark after it. `slots` holds its slot per family
  // (AttributeLayout::slots_of); `score` is absent for unscored decisions
  // (they only widen the event period). in_windows is false for late events:
  // they go to `all` only. Allocates only when a bucket or slot gets its first
  // score. REQUIRES: event_time_ms <= watermark_ms; watermarks never decrease.
  void add(std::string_view system, std::string_view stage, std::int64_t event_time_ms,
           std::int64_t watermark_ms, std::span<const std::uint32_t> slots,
           std::optional<double> score, bool in_windows);

  // The scores of one slot of (system, stage) in window w (index into
  // window_names(): the configured windows, then `all` = windows().size())
  // at watermark_ms. Empty (zero histogram) for an unknown series or slot.
  ScoreDistribution scores(std::string_view system, std::string_view stage, std::size_t window,
                           std::uint32_t slot, std::int64_t watermark_ms) const;

  const std::vector<double>& score_edges() const { return score_edges_; }
  std::size_t sample_size() const { return sample_size_; }
  const AttributeLayout& layout() const { return layout_; }
  // Whether the slot is a known group (not an `unknown` slot): scores are kept for these.
  bool tracks(std::uint32_t slot) const { return tracked_[slot]; }
  // Oldest and newest event time of the decisions added (ms since the epoch).
  std::optional<std::int64_t> first_event_ms() const { return first_event_ms_; }
  std::optional<std::int64_t> last_event_ms() const { return last_event_ms_; }

  // Appends the monitor's state (series, buckets, samples; not the random
  // generators' states, which are reseeded on restore).
  void save_state(detectors::StateWriter& writer) const;
  // Replaces the state with what save_state() wrote. All or nothing: returns
  // false, with the reader failed and the monitor unchanged, on truncated or
  // inconsistent input or a state of another shape (edges, sample size,
  // windows, slots). A restored monitor continues with reseeded generators:
  // its later samples are as uniform, though not the ones an uninterrupted
  // run would have drawn.
  bool restore_state(detectors::StateReader& reader);

 private:
  struct Series;
  Series& series(std::string_view system, std::string_view stage);
  const Series* find(std::string_view system, std::string_view stage) const;

  std::vector<double> score_edges_;
  AttributeLayout layout_;
  std::vector<std::int64_t> window_lengths_ms_;  // per configured window
  std::size_t sample_size_;
  std::size_t bucket_capacity_;
  std::vector<bool> tracked_;  // per slot
  std::vector<std::unique_ptr<Series>> series_;
  Series* last_series_ = nullptr;
  std::optional<std::int64_t> first_event_ms_;
  std::optional<std::int64_t> last_event_ms_;
};

}  // namespace fairwatch::daemon
