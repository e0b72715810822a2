#include "fairwatch/daemon/engine.h"

#include <algorithm>

namespace fairwatch::daemon {

std::uint64_t EngineCounters::rejected_total() const {
  std::uint64_t total = 0;
  for (const std::uint64_t n : rejected) total += n;
  return total;
}

Engine::Engine(const config::Config& config)
    : config_(config),
      layout_(config),
      decoder_(config),
      dedupe_(config.events.dedupe_horizon_seconds * 1000, kDefaultMaxDedupeIds),
      score_grid_{config.scores.min, config.scores.max, config.scores.bins} {
  counters_.unknown.assign(layout_.families().size(), 0);
}

Engine::~Engine() = default;

OfferResult Engine::offer(std::string_view bytes) {
  const DecodeResult decoded = decoder_.decode(bytes, decision_);
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
  result.late = time_ms < watermark_ms_ - config_.events.allowed_lateness_seconds * 1000;
  if (result.late) ++counters_.late;

  const int score_bin = decision.score ? score_grid_.bin_of(*decision.score) : -1;
  StageState& stage = stage_state(decision.system, decision.stage);
  for (std::size_t f = 0; f < stage.families.size(); ++f) {
    FamilyState& family = stage.families[f];
    const std::size_t group = layout_.group_of(f, decision);
    if (group == layout_.families()[f].unknown()) ++counters_.unknown[f];
    add_to_group(family.groups[group], decision, !result.late, score_bin);
    if (!decision.stratum.empty()) add_to_stratum(family, group, decision, !result.late);
  }
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
  for (const AttributeFamily& family : layout_.families()) {
    FamilyState family_state;
    family_state.groups.resize(family.groups.size() + 1);
    for (GroupSeries& series : family_state.groups) {
      for (const config::WindowConfig& window : config_.windows) {
        series.windows.emplace_back(window.length_seconds * 1000, kWindowBuckets,
                                    config_.scores.bins);
      }
      series.all_scores = detectors::ScoreSummary(config_.scores.bins);
    }
    state->families.push_back(std::move(family_state));
  }
  stages_.push_back(std::move(state));
  last_stage_ = stages_.back().get();
  return *last_stage_;
}

void Engine::add_to_group(GroupSeries& series, const Decision& decision, bool in_windows,
                          int score_bin) {
  const double score = decision.score.value_or(0.0);
  if (in_windows) {
    for (detectors::SlidingWindow& window : series.windows) {
      window.add(decision.event_time_ms, watermark_ms_, decision.favourable, score_bin, score);
    }
  }
  ++series.all.applicants;
  if (decision.favourable) ++series.all.selected;
  if (score_bin >= 0) {
    ++series.all_scores.count;
    series.all_scores.sum += score;
    series.all_scores.sum_squares += score * score;
    ++series.all_scores.histogram[static_cast<std::size_t>(score_bin)];
    if (!series.all_score_moments) series.all_score_moments = std::make_unique<ScoreAccumulator>();
    series.all_score_moments->add(score);
  }
}

void Engine::add_to_stratum(FamilyState& family, std::size_t group, const Decision& decision,
                            bool in_windows) {
  auto it = family.strata.find(decision.stratum);
  if (it == family.strata.end()) {
    it = family.strata.emplace(std::string(decision.stratum), family.groups.size()).first;
  }
  std::unique_ptr<StratumGroup>& cell = it->second[group];
  if (!cell) {
    cell = std::make_unique<StratumGroup>();
    for (const config::WindowConfig& window : config_.windows) {
      cell->windows.emplace_back(window.length_seconds * 1000, kStratumWindowBuckets);
    }
  }
  if (in_windows) {
    for (detectors::SlidingCounts& window : cell->windows) {
      window.add(decision.event_time_ms, watermark_ms_, decision.favourable);
    }
  }
  ++cell->all.applicants;
  if (decision.favourable) ++cell->all.selected;
}

}  // namespace fairwatch::daemon
