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
#include "fairwatch/detectors/score_summary.h"
#include "fairwatch/detectors/sliding_window.h"

namespace fairwatch::daemon {

struct EngineCounters {
  std::uint64_t read = 0;        // events offered
  std::uint64_t accepted = 0;    // decoded, not duplicates; counted in `all`
  std::uint64_t duplicates = 0;  // same event id within the dedupe horizon: dropped
  std::uint64_t late = 0;        // accepted but older than the allowed lateness: `all` only
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  std::vector<std::uint64_t> unknown;  // accepted events per family with an unknown group
  std::uint64_t rejected_total() const;
};

// One group of one family at one (system, stage): windowed and all-time state.
struct GroupSeries {
  std::vector<detectors::SlidingWindow> windows;  // one per configured window
  detectors::Counts all;
  detectors::ScoreSummary all_scores;                   // histogram on the score grid, all time
  std::unique_ptr<ScoreAccumulator> all_score_moments;  // created on the first score
};

// One group's counts inside one stratum.
struct StratumGroup {
  std::vector<detectors::SlidingCounts> windows;
  detectors::Counts all;
};

// Hash for heterogeneous lookup of std::string keys by std::string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

struct FamilyState {
  std::vector<GroupSeries> groups;  // the family's groups, then unknown
  // Stratum value -> per group (nullptr until the group appears in the stratum).
  std::unordered_map<std::string, std::vector<std::unique_ptr<StratumGroup>>, StringHash,
                     std::equal_to<>>
      strata;
};

struct StageState {
  std::string system;
  std::string stage;
  std::vector<FamilyState> families;  // in AttributeLayout order
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
  // Buckets of the per-group and per-stratum window rings.
  static constexpr int kWindowBuckets = 60;
  static constexpr int kStratumWindowBuckets = 12;
  static constexpr std::size_t kDefaultMaxDedupeIds = 4'000'000;

  // REQUIRES: config is valid and outlives the engine.
  explicit Engine(const config::Config& config);
  ~Engine();

  // Decodes one event and applies it. Never throws.
  OfferResult offer(std::string_view bytes);
  // Applies an already decoded decision (duplicate check, windows, strata).
  OfferResult apply(const Decision& decision);

  const config::Config& config() const { return config_; }
  const AttributeLayout& layout() const { return layout_; }
  const EngineCounters& counters() const { return counters_; }
  // The newest event time applied so far (ms since the epoch); INT64_MIN before any.
  std::int64_t watermark_ms() const { return watermark_ms_; }
  const std::vector<std::unique_ptr<StageState>>& stages() const { return stages_; }
  const detectors::ScoreGrid& score_grid() const { return score_grid_; }

 private:
  StageState& stage_state(std::string_view system, std::string_view stage);
  void add_to_group(GroupSeries& series, const Decision& decision, bool in_windows, int score_bin);
  void add_to_stratum(FamilyState& family, std::size_t group, const Decision& decision,
                      bool in_windows);

  const config::Config& config_;
  AttributeLayout layout_;
  Decoder decoder_;
  Decision decision_;  // reused buffer for offer()
  detectors::DedupeFilter dedupe_;
  detectors::ScoreGrid score_grid_;
  EngineCounters counters_;
  std::int64_t watermark_ms_ = INT64_MIN;
  std::vector<std::unique_ptr<StageState>> stages_;
  StageState* last_stage_ = nullptr;  // cache: consecutive events usually share a stage
};

}  // namespace fairwatch::daemon
