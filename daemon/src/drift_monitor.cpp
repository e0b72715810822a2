#include "fairwatch/daemon/drift_monitor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "fairwatch/daemon/engine.h"
#include "fairwatch/detectors/drift.h"
#include "fairwatch/detectors/hash_index.h"
#include "fairwatch/detectors/reservoir_sample.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

constexpr std::int64_t kUnusedBucket = INT64_MIN;
constexpr std::uint32_t kStateVersion = 1;

// SplitMix64's finalizer: spreads a combination of seeds over 64 bits.
std::uint64_t mix(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return mix(a ^ mix(b));
}

// floor(time / width) for any sign of time.
std::int64_t bucket_id(std::int64_t time_ms, std::int64_t width_ms) {
  const std::int64_t q = time_ms / width_ms;
  return (time_ms % width_ms != 0 && time_ms < 0) ? q - 1 : q;
}

// The scores of one slot in one bucket (or in `all`): a histogram and a
// reservoir sample (Vitter's algorithm R) drawing from its owner's generator.
struct SlotScores {
  std::vector<std::uint64_t> histogram;  // empty until the first score
  std::uint64_t seen = 0;
  std::vector<double> sample;

  void add(double score, std::size_t bin, std::size_t bins, std::size_t capacity,
           std::mt19937_64& random) {
    if (histogram.empty()) {
      histogram.assign(bins, 0);
      sample.reserve(capacity);
    }
    ++histogram[bin];
    ++seen;
    detectors::reservoir_add(sample, capacity, seen, score, random);
  }

  void clear() {
    std::fill(histogram.begin(), histogram.end(), 0);
    seen = 0;
    sample.clear();
  }
};

// One configured window of one series: Engine::kWindowBuckets buckets in a ring.
struct ScoreRing {
  std::int64_t width_ms = 1;
  std::vector<std::int64_t> ids;  // per bucket; kUnusedBucket when never used
  std::vector<SlotScores> slots;  // buckets × slots
  std::mt19937_64 random;
};

}  // namespace

struct DriftMonitor::Series {
  std::string system;
  std::string stage;
  std::uint64_t seed = 0;
  std::vector<ScoreRing> windows;
  std::vector<SlotScores> all;  // per slot
  std::mt19937_64 all_random;
};

namespace {

std::uint64_t series_seed(std::string_view system, std::string_view stage) {
  return mix(detectors::stable_hash(system), detectors::stable_hash(stage));
}

// Seeds the generators of a series: on creation (generation 0) and on restore.
void seed_generators(std::uint64_t seed, std::uint64_t generation, std::vector<ScoreRing>& windows,
                     std::mt19937_64& all_random) {
  for (std::size_t w = 0; w < windows.size(); ++w) {
    windows[w].random.seed(mix(mix(seed, w + 1), generation));
  }
  all_random.seed(mix(mix(seed, 0), generation));
}

// The window's sample: from each bucket the fraction f of its seen scores
// (see the header), picked by a partial Fisher–Yates shuffle.
void take_proportional_sample(std::span<const SlotScores* const> buckets, std::size_t sample_size,
                              std::uint64_t seed, std::vector<double>& out) {
  std::uint64_t total = 0;
  double fraction = 1.0;
  for (const SlotScores* bucket : buckets) {
    total += bucket->seen;
    fraction = std::min(
        fraction, static_cast<double>(bucket->sample.size()) / static_cast<double>(bucket->seen));
  }
  if (total == 0) return;
  fraction = std::min(fraction, static_cast<double>(sample_size) / static_cast<double>(total));
  std::mt19937_64 random(seed);
  std::vector<double> pool;
  for (const SlotScores* bucket : buckets) {
    const auto take = std::min(
        bucket->sample.size(),
        static_cast<std::size_t>(std::floor(fraction * static_cast<double>(bucket->seen))));
    if (take == bucket->sample.size()) {
      out.insert(out.end(), bucket->sample.begin(), bucket->sample.end());
      continue;
    }
    pool.assign(bucket->sample.begin(), bucket->sample.end());
    for (std::size_t i = 0; i < take; ++i) {
      std::uniform_int_distribution<std::size_t> pick(i, pool.size() - 1);
      std::swap(pool[i], pool[pick(random)]);
    }
    out.insert(out.end(), pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(take));
  }
}

}  // namespace

DriftMonitor::DriftMonitor(const config::Config& config)
    : score_edges_(config.drift.score_edges),
      layout_(config),
      sample_size_(static_cast<std::size_t>(config.drift.sample_size)),
      bucket_capacity_(kBucketSampleFactor *
                       ((sample_size_ + Engine::kWindowBuckets - 1) / Engine::kWindowBuckets)),
      tracked_(layout_.slot_count(), true) {
  for (const AttributeFamily& family : layout_.families()) {
    tracked_[family.first_slot + family.unknown()] = false;
  }
  for (const config::WindowConfig& window : config.windows) {
    window_lengths_ms_.push_back(window.length_seconds * 1000);
  }
}

DriftMonitor::~DriftMonitor() = default;

DriftMonitor::Series& DriftMonitor::series(std::string_view system, std::string_view stage) {
  if (last_series_ != nullptr && last_series_->system == system && last_series_->stage == stage) {
    return *last_series_;
  }
  for (const auto& known : series_) {
    if (known->system == system && known->stage == stage) {
      last_series_ = known.get();
      return *known;
    }
  }
  auto created = std::make_unique<Series>();
  created->system = std::string(system);
  created->stage = std::string(stage);
  created->seed = series_seed(system, stage);
  const std::size_t slots = layout_.slot_count();
  for (const std::int64_t length_ms : window_lengths_ms_) {
    ScoreRing ring;
    ring.width_ms = (length_ms + Engine::kWindowBuckets - 1) / Engine::kWindowBuckets;
    ring.ids.assign(Engine::kWindowBuckets, kUnusedBucket);
    ring.slots.resize(static_cast<std::size_t>(Engine::kWindowBuckets) * slots);
    created->windows.push_back(std::move(ring));
  }
  created->all.resize(slots);
  seed_generators(created->seed, 0, created->windows, created->all_random);
  series_.push_back(std::move(created));
  last_series_ = series_.back().get();
  return *last_series_;
}

const DriftMonitor::Series* DriftMonitor::find(std::string_view system,
                                               std::string_view stage) const {
  for (const auto& known : series_) {
    if (known->system == system && known->stage == stage) return known.get();
  }
  return nullptr;
}

void DriftMonitor::add(std::string_view system, std::string_view stage, std::int64_t event_time_ms,
                       std::int64_t watermark_ms, std::span<const std::uint32_t> slots,
                       std::optional<double> score, bool in_windows) {
  first_event_ms_ = std::min(first_event_ms_.value_or(event_time_ms), event_time_ms);
  last_event_ms_ = std::max(last_event_ms_.value_or(event_time_ms), event_time_ms);
  if (!score) return;
  Series& state = series(system, stage);
  const std::size_t bins = score_edges_.size() - 1;
  const std::size_t bin = detectors::bin_of(score_edges_, *score);
  if (in_windows) {
    const auto buckets = static_cast<std::int64_t>(Engine::kWindowBuckets);
    for (ScoreRing& ring : state.windows) {
      const std::int64_t id = bucket_id(event_time_ms, ring.width_ms);
      if (id <= bucket_id(watermark_ms, ring.width_ms) - buckets) {
        continue;  // older than the window
      }
      const auto bucket = static_cast<std::size_t>(((id % buckets) + buckets) % buckets);
      SlotScores* row = &ring.slots[bucket * layout_.slot_count()];
      if (ring.ids[bucket] != id) {
        ring.ids[bucket] = id;
        for (std::size_t slot = 0; slot < layout_.slot_count(); ++slot) row[slot].clear();
      }
      for (const std::uint32_t slot : slots) {
        if (tracked_[slot]) row[slot].add(*score, bin, bins, bucket_capacity_, ring.random);
      }
    }
  }
  for (const std::uint32_t slot : slots) {
    if (tracked_[slot]) state.all[slot].add(*score, bin, bins, sample_size_, state.all_random);
  }
}

ScoreDistribution DriftMonitor::scores(std::string_view system, std::string_view stage,
                                       std::size_t window, std::uint32_t slot,
                                       std::int64_t watermark_ms) const {
  ScoreDistribution result;
  result.histogram.assign(score_edges_.size() - 1, 0);
  const Series* state = find(system, stage);
  if (state == nullptr || slot >= layout_.slot_count() || !tracked_[slot]) return result;
  auto add_histogram = [&](const SlotScores& scores) {
    for (std::size_t bin = 0; bin < scores.histogram.size(); ++bin) {
      result.histogram[bin] += scores.histogram[bin];
    }
    result.scored += scores.seen;
  };
  if (window >= state->windows.size()) {
    add_histogram(state->all[slot]);
    result.sample = state->all[slot].sample;
    return result;
  }
  const ScoreRing& ring = state->windows[window];
  const std::int64_t head = bucket_id(watermark_ms, ring.width_ms);
  std::vector<const SlotScores*> live;
  for (std::size_t bucket = 0; bucket < ring.ids.size(); ++bucket) {
    if (ring.ids[bucket] == kUnusedBucket || ring.ids[bucket] <= head - Engine::kWindowBuckets) {
      continue;
    }
    const SlotScores& scores = ring.slots[bucket * layout_.slot_count() + slot];
    if (scores.seen == 0) continue;
    add_histogram(scores);
    live.push_back(&scores);
  }
  const std::uint64_t seed =
      mix(mix(mix(state->seed, window + 1), slot), static_cast<std::uint64_t>(watermark_ms));
  take_proportional_sample(live, sample_size_, seed, result.sample);
  return result;
}

// Layout: u32 version; f64[] edges; u64 sample size; u64 slots; i64[] window
// lengths (ms); bool + i64 first and last event time; u64 series count; per
// series: string system, string stage, per window i64[buckets] ids then each
// used bucket's slots, then the `all` slots. A slot: u64 seen; when seen > 0,
// u64[bins] histogram and f64[] sample.
void DriftMonitor::save_state(detectors::StateWriter& writer) const {
  writer.write_u32(kStateVersion);
  writer.write_array(std::span<const double>(score_edges_));
  writer.write_u64(sample_size_);
  writer.write_u64(layout_.slot_count());
  writer.write_array(std::span<const std::int64_t>(window_lengths_ms_));
  writer.write_bool(first_event_ms_.has_value());
  writer.write_i64(first_event_ms_.value_or(0));
  writer.write_i64(last_event_ms_.value_or(0));
  auto write_slots = [&](std::span<const SlotScores> slots) {
    for (const SlotScores& scores : slots) {
      writer.write_u64(scores.seen);
      if (scores.seen == 0) continue;
      writer.write_array(std::span<const std::uint64_t>(scores.histogram));
      writer.write_array(std::span<const double>(scores.sample));
    }
  };
  writer.write_u64(series_.size());
  for (const auto& state : series_) {
    writer.write_string(state->system);
    writer.write_string(state->stage);
    for (const ScoreRing& ring : state->windows) {
      writer.write_array(std::span<const std::int64_t>(ring.ids));
      for (std::size_t bucket = 0; bucket < ring.ids.size(); ++bucket) {
        if (ring.ids[bucket] == kUnusedBucket) continue;
        write_slots(
            std::span(ring.slots).subspan(bucket * layout_.slot_count(), layout_.slot_count()));
      }
    }
    write_slots(state->all);
  }
}

bool DriftMonitor::restore_state(detectors::StateReader& reader) {
  const std::size_t bins = score_edges_.size() - 1;
  const std::size_t slot_count = layout_.slot_count();
  std::uint32_t version = 0;
  std::vector<double> edges(score_edges_.size());
  std::uint64_t sample_size = 0;
  std::uint64_t slots = 0;
  std::vector<std::int64_t> lengths(window_lengths_ms_.size());
  bool has_period = false;
  std::int64_t first = 0;
  std::int64_t last = 0;
  if (!reader.read_u32(version) || version != kStateVersion || !reader.read_array(edges) ||
      edges != score_edges_ || !reader.read_u64(sample_size) || sample_size != sample_size_ ||
      !reader.read_u64(slots) || slots != slot_count || !reader.read_array(lengths) ||
      !reader.read_bool(has_period) || !reader.read_i64(first) || !reader.read_i64(last) ||
      lengths != window_lengths_ms_) {
    return reader.fail();
  }
  auto read_slots = [&](std::span<SlotScores> out, std::size_t capacity) {
    for (std::size_t slot = 0; slot < out.size(); ++slot) {
      SlotScores& scores = out[slot];
      if (!reader.read_u64(scores.seen)) return false;
      if (scores.seen == 0) continue;
      scores.histogram.resize(bins);
      if (!tracked_[slot] || !reader.read_array(std::span<std::uint64_t>(scores.histogram)) ||
          !reader.read_vector(scores.sample, capacity) ||
          scores.sample.size() != std::min<std::uint64_t>(scores.seen, capacity) ||
          std::accumulate(scores.histogram.begin(), scores.histogram.end(), std::uint64_t{0}) !=
              scores.seen ||
          !std::all_of(scores.sample.begin(), scores.sample.end(),
                       [](double v) { return std::isfinite(v); })) {
        return reader.fail();
      }
    }
    return true;
  };
  std::uint64_t count = 0;
  if (!reader.read_count(count, std::numeric_limits<std::uint32_t>::max(), 16)) return false;
  std::vector<std::unique_ptr<Series>> restored;
  for (std::uint64_t s = 0; s < count; ++s) {
    auto state = std::make_unique<Series>();
    if (!reader.read_string(state->system) || !reader.read_string(state->stage)) return false;
    state->seed = series_seed(state->system, state->stage);
    for (const std::int64_t length_ms : lengths) {
      ScoreRing ring;
      ring.width_ms = (length_ms + Engine::kWindowBuckets - 1) / Engine::kWindowBuckets;
      ring.ids.assign(Engine::kWindowBuckets, kUnusedBucket);
      ring.slots.resize(static_cast<std::size_t>(Engine::kWindowBuckets) * slot_count);
      if (!reader.read_array(std::span<std::int64_t>(ring.ids))) return false;
      for (std::size_t bucket = 0; bucket < ring.ids.size(); ++bucket) {
        if (ring.ids[bucket] == kUnusedBucket) continue;
        const auto size = static_cast<std::int64_t>(ring.ids.size());
        if (((ring.ids[bucket] % size) + size) % size != static_cast<std::int64_t>(bucket) ||
            !read_slots(std::span(ring.slots).subspan(bucket * slot_count, slot_count),
                        bucket_capacity_)) {
          return reader.fail();
        }
      }
      state->windows.push_back(std::move(ring));
    }
    state->all.resize(slot_count);
    if (!read_slots(state->all, sample_size_)) return false;
    seed_generators(state->seed, 1, state->windows, state->all_random);
    restored.push_back(std::move(state));
  }
  series_ = std::move(restored);
  last_series_ = nullptr;
  if (has_period) {
    first_event_ms_ = first;
    last_event_ms_ = last;
  } else {
    first_event_ms_.reset();
    last_event_ms_.reset();
  }
  return true;
}

}  // namespace fairwatch::daemon
