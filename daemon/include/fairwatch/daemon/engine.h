// Engine: routes decoded decisions to the statistics state of their
// (system, stage, attribute family, group) and, optionally, stratum. It owns
// the decoder, the duplicate filter and the event-time watermark. Pure logic
// over bytes: no I/O, no clock. Not thread-safe: one thread feeds it; readers
// use the accessors from the same thread (or under the caller's lock).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/attribute_layout.h"
#include "fairwatch/daemon/decision.h"
#include "fairwatch/daemon/decoder.h"
#include "fairwatch/daemon/score_accumulator.h"
#include "fairwatch/detectors/dedupe_filter.h"
#include "fairwatch/detectors/hash_index.h"
#include "fairwatch/detectors/score_summary.h"
#include "fairwatch/detectors/sliding_group_window.h"

namespace fairwatch::detectors {
class StateReader;
class StateWriter;
}  // namespace fairwatch::detectors

namespace fairwatch::daemon {

class DriftMonitor;

struct EngineCounters {
  std::uint64_t read = 0;        // events offered
  std::uint64_t accepted = 0;    // decoded, not duplicates; counted in `all`
  std::uint64_t duplicates = 0;  // same event id within the dedupe horizon: dropped
  std::uint64_t late = 0;        // accepted but older than the allowed lateness: `all` only
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  std::vector<std::uint64_t> unknown;  // accepted events per family with an unknown group
  std::uint64_t rejected_total() const;
};

// One stratum (e.g. requisition) of one (system, stage): counts per slot of
// the plain attributes (AttributeLayout::plain_slot_count()) in one ring
// spanning the longest window (kStratumBuckets buckets); shorter windows are
// read from its newest buckets.
struct StratumState {
  detectors::SlidingGroupWindow window;
  std::vector<detectors::Counts> all;  // per slot
};

// Everything known about one (system, stage). Slots are AttributeLayout slots:
// every group of every attribute family, unknown included.
struct StageState {
  std::string system;
  std::string stage;
  std::vector<detectors::SlidingGroupWindow> windows;  // one per configured window
  std::vector<detectors::Counts> all;                  // per slot, all time
  std::vector<detectors::ScoreSummary> all_scores;     // per slot, all time (grid histogram)
  std::vector<std::unique_ptr<ScoreAccumulator>> all_score_moments;  // per slot, on first score
  // Strata in order of first appearance, found through stratum_index by stable_hash(name).
  std::vector<std::pair<std::string, std::unique_ptr<StratumState>>> strata;
  detectors::HashIndex stratum_index;
};

enum class Outcome { accepted, rejected, duplicate };

struct OfferResult {
  Outcome outcome = Outcome::rejected;
  RejectReason reason = RejectReason::not_json;  // when rejected
  std::string_view field;                        // when rejected: the config field at fault
  bool late = false;                             // when accepted
};

class Engine {
 public:
  // Buckets of each window's ring, and of the one ring of each stratum.
  static constexpr int kWindowBuckets = 60;
  static constexpr int kStratumBuckets = 30;
  // Stratified tests need a window of at least this many stratum buckets.
  static constexpr int kMinStratumBucketsPerWindow = 5;

  // REQUIRES: config is valid and outlives the engine (or its replacement by reload()).
  explicit Engine(const config::Config& config);

  // Switches to `config` (e.g. after SIGHUP), keeping all state.
  // REQUIRES: state_shape_fingerprint(config) equals that of the current config;
  // config outlives the engine.
  void reload(const config::Config& config);
  ~Engine();

  // Decodes one event and applies it. Never throws.
  OfferResult offer(std::string_view bytes);
  // Applies an already decoded decision (duplicate check, windows, strata).
  OfferResult apply(const Decision& decision);

  const config::Config& config() const { return *config_; }
  const AttributeLayout& layout() const { return layout_; }
  const EngineCounters& counters() const { return counters_; }
  // The newest event time applied so far (ms since the epoch); INT64_MIN before any.
  std::int64_t watermark_ms() const { return watermark_ms_; }
  const std::vector<std::unique_ptr<StageState>>& stages() const { return stages_; }
  const detectors::ScoreGrid& score_grid() const { return score_grid_; }
  // For configured window w: the number of newest stratum buckets it covers,
  // or 0 when the window is too short for stratified tests.
  int stratum_buckets_for_window(std::size_t w) const;

  // Feeds every accepted decision to `monitor` from now on (nullptr: none,
  // the default). Not owned; REQUIRES: monitor outlives the engine or is
  // unset first, and was built from the same config.
  void set_drift_monitor(DriftMonitor* monitor) { drift_ = monitor; }

  // Appends everything the engine has accumulated — counters, watermark,
  // duplicate filter, and every stage with its windows, all-time counts and
  // score statistics and its strata — in one pass (checkpoint.h frames it).
  // The decoder, the config and the lookup caches are not part of it.
  void save_state(detectors::StateWriter& writer) const;
  // Replaces the accumulated state with what save_state() wrote, which must
  // be all of the reader's remaining bytes. All or nothing: returns false,
  // with the reader failed and the engine unchanged, on truncated or
  // inconsistent input, bytes left over, or a state of another shape.
  // REQUIRES: the engine's config has the state shape of the one the state
  // was saved under (state_shape_fingerprint() equal); normally the engine
  // is freshly constructed and has not been fed.
  bool restore_state(detectors::StateReader& reader);

 private:
  StageState& stage_state(std::string_view system, std::string_view stage);
  void add_to_stage(StageState& stage, const Decision& decision, bool in_windows, int score_bin);
  StratumState& stratum_state(StageState& stage, std::string_view name);
  void add_to_stratum(StageState& stage, const Decision& decision, bool in_windows);

  const config::Config* config_;
  AttributeLayout layout_;
  std::unique_ptr<Decoder> decoder_;
  Decision decision_;  // reused buffer for offer()
  detectors::DedupeFilter dedupe_;
  detectors::ScoreGrid score_grid_;
  EngineCounters counters_;
  std::int64_t watermark_ms_ = INT64_MIN;
  std::int64_t stratum_span_ms_ = 1;  // the longest window
  std::vector<std::unique_ptr<StageState>> stages_;
  StageState* last_stage_ = nullptr;  // cache: consecutive events usually share a stage
  std::vector<std::uint32_t> slots_;  // the current decision's slot per family
  DriftMonitor* drift_ = nullptr;     // not owned
};

}  // namespace fairwatch::daemon
