// Engine::save_state and restore_state: the engine's part of a checkpoint
// (see checkpoint.h for the framing).

#include <cstdint>
#include <limits>
#include <span>
#include <utility>

#include "fairwatch/daemon/engine.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

// Restored watermarks outside this range (other than "none yet") are refused:
// event times are within years 1970..9999, and the engine subtracts horizons
// from the watermark without overflow checks.
constexpr std::int64_t kMaxAbsWatermarkMs = std::int64_t{1} << 62;

void write_counters(detectors::StateWriter& writer, const EngineCounters& counters) {
  writer.write_u64(counters.read);
  writer.write_u64(counters.accepted);
  writer.write_u64(counters.duplicates);
  writer.write_u64(counters.late);
  writer.write_array(std::span<const std::uint64_t>(counters.rejected));
  writer.write_array(std::span<const std::uint64_t>(counters.unknown));
}

bool read_counters(detectors::StateReader& reader, EngineCounters& counters) {
  return reader.read_u64(counters.read) && reader.read_u64(counters.accepted) &&
         reader.read_u64(counters.duplicates) && reader.read_u64(counters.late) &&
         reader.read_array(std::span<std::uint64_t>(counters.rejected)) &&
         reader.read_array(std::span<std::uint64_t>(counters.unknown));
}

}  // namespace

// Layout: counters; i64 watermark; the dedupe filter; u64 stage count; per
// stage: system, stage, u64 window count and each window, Counts[slots] all,
// slots × ScoreSummary, u8[slots] "has moments" then each present
// ScoreAccumulator, u64 stratum count and per stratum its name, window and
// Counts[slots] all. Stages and strata in the engine's order.
void Engine::save_state(detectors::StateWriter& writer) const {
  write_counters(writer, counters_);
  writer.write_i64(watermark_ms_);
  dedupe_.encode(writer);
  writer.write_u64(stages_.size());
  std::vector<std::uint8_t> has_moments;
  for (const auto& stage : stages_) {
    writer.write_string(stage->system);
    writer.write_string(stage->stage);
    writer.write_u64(stage->windows.size());
    for (const detectors::SlidingGroupWindow& window : stage->windows) window.encode(writer);
    writer.write_array(std::span<const detectors::Counts>(stage->all));
    for (const detectors::ScoreSummary& summary : stage->all_scores) summary.encode(writer);
    has_moments.assign(stage->all_score_moments.size(), 0);
    for (std::size_t slot = 0; slot < has_moments.size(); ++slot) {
      has_moments[slot] = stage->all_score_moments[slot] ? 1 : 0;
    }
    writer.write_array(std::span<const std::uint8_t>(has_moments));
    for (const auto& moments : stage->all_score_moments) {
      if (moments) moments->encode(writer);
    }
    writer.write_u64(stage->strata.size());
    for (const auto& [name, stratum] : stage->strata) {
      writer.write_string(name);
      stratum->window.encode(writer);
      writer.write_array(std::span<const detectors::Counts>(stratum->all));
    }
  }
}

bool Engine::restore_state(detectors::StateReader& reader) {
  EngineCounters counters;
  counters.unknown.assign(layout_.families().size(), 0);
  std::int64_t watermark_ms = 0;
  detectors::DedupeFilter dedupe = dedupe_;
  std::uint64_t stage_count = 0;
  if (!read_counters(reader, counters) || !reader.read_i64(watermark_ms) ||
      !dedupe.decode(reader)) {
    return false;
  }
  if (watermark_ms != INT64_MIN &&
      (watermark_ms < -kMaxAbsWatermarkMs || watermark_ms > kMaxAbsWatermarkMs)) {
    return reader.fail();
  }
  // Every stage takes at least two string lengths and a window count.
  if (!reader.read_count(stage_count, std::numeric_limits<std::uint32_t>::max(), 24)) {
    return false;
  }

  // New stages and strata are built by stage_state() and stratum_state(), the
  // functions that build them when events arrive, into an emptied stages_;
  // the previous stages come back if decoding fails.
  std::vector<std::unique_ptr<StageState>> previous = std::move(stages_);
  stages_.clear();
  last_stage_ = nullptr;
  const auto restore_previous = [&] {
    stages_ = std::move(previous);
    last_stage_ = nullptr;
    return reader.fail();
  };
  std::string system;
  std::string stage_name;
  std::string stratum_name;
  const std::size_t slots = layout_.slot_count();
  std::vector<std::uint8_t> has_moments(slots);
  for (std::uint64_t s = 0; s < stage_count; ++s) {
    if (!reader.read_string(system) || !reader.read_string(stage_name)) return restore_previous();
    const std::size_t before = stages_.size();
    StageState& stage = stage_state(system, stage_name);
    if (stages_.size() != before + 1) return restore_previous();  // saved twice
    std::uint64_t window_count = 0;
    if (!reader.read_u64(window_count) || window_count != stage.windows.size()) {
      return restore_previous();
    }
    for (detectors::SlidingGroupWindow& window : stage.windows) {
      if (!window.decode(reader)) return restore_previous();
    }
    if (!reader.read_array(std::span<detectors::Counts>(stage.all))) return restore_previous();
    for (const detectors::Counts& counts : stage.all) {
      if (counts.selected > counts.applicants) return restore_previous();
    }
    for (detectors::ScoreSummary& summary : stage.all_scores) {
      if (!summary.decode(reader)) return restore_previous();
    }
    if (!reader.read_array(std::span<std::uint8_t>(has_moments))) return restore_previous();
    for (std::size_t slot = 0; slot < slots; ++slot) {
      if (has_moments[slot] > 1) return restore_previous();
      if (has_moments[slot] == 0) continue;
      auto moments = std::make_unique<ScoreAccumulator>();
      if (!moments->decode(reader)) return restore_previous();
      stage.all_score_moments[slot] = std::move(moments);
    }
    std::uint64_t stratum_count = 0;
    // Every stratum takes at least a name length, a window and a count array.
    if (!reader.read_count(stratum_count, std::numeric_limits<std::uint32_t>::max(), 40)) {
      return restore_previous();
    }
    for (std::uint64_t t = 0; t < stratum_count; ++t) {
      if (!reader.read_string(stratum_name)) return restore_previous();
      const std::size_t strata_before = stage.strata.size();
      StratumState& stratum = stratum_state(stage, stratum_name);
      if (stage.strata.size() != strata_before + 1) return restore_previous();  // saved twice
      if (!stratum.window.decode(reader) ||
          !reader.read_array(std::span<detectors::Counts>(stratum.all))) {
        return restore_previous();
      }
      for (const detectors::Counts& counts : stratum.all) {
        if (counts.selected > counts.applicants) return restore_previous();
      }
    }
  }
  if (reader.remaining() != 0) return restore_previous();
  counters_ = std::move(counters);
  watermark_ms_ = watermark_ms;
  dedupe_ = std::move(dedupe);
  last_stage_ = nullptr;
  return true;
}

}  // namespace fairwatch::daemon
