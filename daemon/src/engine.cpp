#include "fairwatch/daemon/engine.h"

#include <algorithm>

#include "fairwatch/daemon/drift_monitor.h"

namespace fairwatch::daemon {

std::uint64_t EngineCounters::rejected_total() const {
  std::uint64_t total = 0;
  for (const std::uint64_t n : rejected) total += n;
  return total;
}

Engine::Engine(const config::Config& config)
    : config_(&config),
      layout_(config),
      decoder_(std::make_unique<Decoder>(config)),
      dedupe_(config.events.dedupe_horizon_seconds * 1000, config.events.dedupe_max_ids),
      score_grid_{config.scores.min, config.scores.max, config.scores.bins} {
  counters_.unknown.assign(layout_.families().size(), 0);
  slots_.resize(layout_.families().size());
  for (const config::WindowConfig& window : config_->windows) {
    stratum_span_ms_ = std::max(stratum_span_ms_, window.length_seconds * 1000);
  }
}

int Engine::stratum_buckets_for_window(std::size_t w) const {
  const std::int64_t width = (stratum_span_ms_ + kStratumBuckets - 1) / kStratumBuckets;
  const std::int64_t length = config_->windows[w].length_seconds * 1000;
  const auto buckets = static_cast<int>((length + width - 1) / width);
  return buckets >= kMinStratumBucketsPerWindow ? std::min(buckets, kStratumBuckets) : 0;
}

Engine::~Engine() = default;

void Engine::reload(const config::Config& config) {
  config_ = &config;
  decoder_ = std::make_unique<Decoder>(config);
}

OfferResult Engine::offer(std::string_view bytes) {
  const DecodeResult decoded = decoder_->decode(bytes, decision_);
  if (!decoded.accepted) {
    ++counters_.read;
    ++counters_.rejected[static_cast<std::size_t>(decoded.reason)];
    return {Outcome::rejected, decoded.reason, decoded.field, false};
  }
  return apply(decision_);
}

OfferResult Engine::apply(const Decision& decision) {
  ++counters_.read;
  OfferResult result;
  const std::int64_t time_ms = decision.event_time_ms;
  watermark_ms_ = std::max(watermark_ms_, time_ms);
  if (dedupe_.seen_before(detectors::DedupeFilter::hash_id(decision.event_id), time_ms,
                          watermark_ms_)) {
    ++counters_.duplicates;
    result.outcome = Outcome::duplicate;
    return result;
  }
  ++counters_.accepted;
  result.outcome = Outcome::accepted;
  result.late = time_ms < watermark_ms_ - config_->events.allowed_lateness_seconds * 1000;
  if (result.late) ++counters_.late;

  const int score_bin = decision.score ? score_grid_.bin_of(*decision.score) : -1;
  StageState& stage = stage_state(decision.system, decision.stage);
  layout_.slots_of(decision, slots_);
  for (std::size_t f = 0; f < slots_.size(); ++f) {
    if (slots_[f] == layout_.families()[f].first_slot + layout_.families()[f].unknown()) {
      ++counters_.unknown[f];
    }
  }
  add_to_stage(stage, decision, !result.late, score_bin);
  if (!decision.stratum.empty()) add_to_stratum(stage, decision, !result.late);
  return result;
}

StageState& Engine::stage_state(std::string_view system, std::string_view stage) {
  if (last_stage_ != nullptr && last_stage_->system == system && last_stage_->stage == stage) {
    return *last_stage_;
  }
  for (const auto& state : stages_) {
    if (state->system == system && state->stage == stage) {
      last_stage_ = state.get();
      return *state;
    }
  }
  auto state = std::make_unique<StageState>();
  state->system = std::string(system);
  state->stage = std::string(stage);
  const std::size_t slots = layout_.slot_count();
  for (const config::WindowConfig& window : config_->windows) {
    state->windows.emplace_back(window.length_seconds * 1000, kWindowBuckets, slots,
                                config_->scores.bins);
  }
  state->all.resize(slots);
  state->all_scores.assign(slots, detectors::ScoreSummary(config_->scores.bins));
  state->all_score_moments.resize(slots);
  stages_.push_back(std::move(state));
  last_stage_ = stages_.back().get();
  return *last_stage_;
}

void Engine::add_to_stage(StageState& stage, const Decision& decision, bool in_windows,
                          int score_bin) {
  const double score = decision.score.value_or(0.0);
  if (in_windows) {
    for (detectors::SlidingGroupWindow& window : stage.windows) {
      window.add(decision.event_time_ms, watermark_ms_, slots_, decision.favourable, score_bin,
                 score);
    }
  }
  if (drift_ != nullptr) {
    drift_->add(stage.system, stage.stage, decision.event_time_ms, watermark_ms_, slots_,
                decision.score, in_windows);
  }
  for (const std::uint32_t slot : slots_) {
    ++stage.all[slot].applicants;
    if (decision.favourable) ++stage.all[slot].selected;
    if (score_bin < 0) continue;
    detectors::ScoreSummary& summary = stage.all_scores[slot];
    ++summary.count;
    summary.sum += score;
    summary.sum_squares += score * score;
    ++summary.histogram[static_cast<std::size_t>(score_bin)];
    auto& moments = stage.all_score_moments[slot];
    if (!moments) moments = std::make_unique<ScoreAccumulator>();
    moments->add(score);
  }
}

StratumState& Engine::stratum_state(StageState& stage, std::string_view name) {
  const std::uint64_t hash = detectors::stable_hash(name);
  if (const auto index = stage.stratum_index.find(hash)) {
    auto& [known_name, state] = stage.strata[*index];
    if (known_name == name) return *state;
    // A 64-bit hash collision: fall back to a scan.
    for (auto& [other_name, other_state] : stage.strata) {
      if (other_name == name) return *other_state;
    }
  }
  auto state = std::make_unique<StratumState>(
      StratumState{detectors::SlidingGroupWindow(stratum_span_ms_, kStratumBuckets,
                                                 layout_.plain_slot_count(), 0),
                   std::vector<detectors::Counts>(layout_.plain_slot_count())});
  stage.stratum_index.insert(hash, static_cast<std::uint32_t>(stage.strata.size()));
  stage.strata.emplace_back(std::string(name), std::move(state));
  return *stage.strata.back().second;
}

void Engine::add_to_stratum(StageState& stage, const Decision& decision, bool in_windows) {
  StratumState& stratum = stratum_state(stage, decision.stratum);
  // Strata count plain attributes only (intersections get no stratified test).
  const std::span<const std::uint32_t> plain_slots(slots_.data(), layout_.plain_family_count());
  if (in_windows) {
    stratum.window.add(decision.event_time_ms, watermark_ms_, plain_slots, decision.favourable, -1,
                       0);
  }
  for (const std::uint32_t slot : plain_slots) {
    ++stratum.all[slot].applicants;
    if (decision.favourable) ++stratum.all[slot].selected;
  }
}

}  // namespace fairwatch::daemon
