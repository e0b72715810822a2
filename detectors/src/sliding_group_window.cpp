#include "fairwatch/detectors/sliding_group_window.h"

#include <algorithm>

#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::detectors {
namespace {
constexpr std::int64_t kUnused = INT64_MIN;
}  // namespace

SlidingGroupWindow::SlidingGroupWindow(std::int64_t length_ms, int buckets, std::size_t slots,
                                       int score_bins)
    : length_ms_(length_ms),
      width_ms_((length_ms + buckets - 1) / buckets),
      buckets_(static_cast<std::size_t>(buckets)),
      slots_(slots),
      score_bins_(score_bins),
      ids_(buckets_, kUnused),
      counts_(buckets_ * slots_) {}

std::int64_t SlidingGroupWindow::bucket_id(std::int64_t time_ms) const {
  const std::int64_t q = time_ms / width_ms_;
  return (time_ms % width_ms_ != 0 && time_ms < 0) ? q - 1 : q;
}

std::int64_t SlidingGroupWindow::cached_bucket_id(std::int64_t time_ms,
                                                  BucketCache& cache) const {
  if (cache.id != INT64_MIN && time_ms >= cache.start_ms && time_ms - cache.start_ms < width_ms_) {
    return cache.id;
  }
  cache.id = bucket_id(time_ms);
  cache.start_ms = cache.id * width_ms_;
  return cache.id;
}

bool SlidingGroupWindow::live(std::size_t bucket, std::int64_t head_id) const {
  return ids_[bucket] != kUnused && ids_[bucket] > head_id - static_cast<std::int64_t>(buckets_);
}

void SlidingGroupWindow::reset_bucket(std::size_t bucket) {
  std::fill_n(counts_.begin() + static_cast<std::ptrdiff_t>(bucket * slots_), slots_, Counts32{});
  // A slot's histogram row is zeroed when its first score arrives (scored == 0),
  // so recycling a bucket only clears the small moments.
  if (!moments_.empty()) {
    std::fill_n(moments_.begin() + static_cast<std::ptrdiff_t>(bucket * slots_), slots_,
                Moments{});
  }
}

bool SlidingGroupWindow::add(std::int64_t event_time_ms, std::int64_t watermark_ms,
                             std::span<const std::uint32_t> slots, bool selected, int score_bin,
                             double score) {
  const std::int64_t id = cached_bucket_id(event_time_ms, event_cache_);
  const auto size = static_cast<std::int64_t>(buckets_);
  if (id <= cached_bucket_id(watermark_ms, head_cache_) - size) return false;
  const auto bucket = static_cast<std::size_t>(((id % size) + size) % size);
  if (ids_[bucket] != id) {
    ids_[bucket] = id;
    reset_bucket(bucket);
  }
  Counts32* counts = &counts_[bucket * slots_];
  for (const std::uint32_t slot : slots) {
    ++counts[slot].applicants;
    counts[slot].selected += selected ? 1 : 0;
  }
  if (score_bin >= 0 && score_bins_ > 0) {
    const auto bins = static_cast<std::size_t>(score_bins_);
    if (moments_.empty()) {
      moments_.assign(buckets_ * slots_, Moments{});
      histograms_.assign(buckets_ * slots_ * bins, 0u);
    }
    Moments* moments = &moments_[bucket * slots_];
    std::uint32_t* histogram = &histograms_[bucket * slots_ * bins];
    for (const std::uint32_t slot : slots) {
      std::uint32_t* row = histogram + slot * bins;
      if (moments[slot].scored == 0) std::fill_n(row, bins, 0u);
      ++moments[slot].scored;
      moments[slot].sum += score;
      moments[slot].sum_squares += score * score;
      ++row[static_cast<std::size_t>(score_bin)];
    }
  }
  return true;
}

void SlidingGroupWindow::counts(std::int64_t watermark_ms, std::span<Counts> out) const {
  recent_counts(watermark_ms, static_cast<int>(buckets_), out);
}

void SlidingGroupWindow::recent_counts(std::int64_t watermark_ms, int buckets,
                                       std::span<Counts> out) const {
  std::fill(out.begin(), out.end(), Counts{});
  const std::int64_t head = bucket_id(watermark_ms);
  for (std::size_t bucket = 0; bucket < buckets_; ++bucket) {
    if (ids_[bucket] == kUnused || ids_[bucket] <= head - buckets) continue;
    const Counts32* counts = &counts_[bucket * slots_];
    for (std::size_t slot = 0; slot < slots_ && slot < out.size(); ++slot) {
      out[slot].applicants += counts[slot].applicants;
      out[slot].selected += counts[slot].selected;
    }
  }
}

void SlidingGroupWindow::accumulate_scores(std::int64_t watermark_ms, std::size_t slot,
                                           ScoreSummary& summary) const {
  if (moments_.empty()) return;
  const std::int64_t head = bucket_id(watermark_ms);
  const auto bins = static_cast<std::size_t>(score_bins_);
  if (summary.histogram.size() < bins) summary.histogram.resize(bins, 0);
  for (std::size_t bucket = 0; bucket < buckets_; ++bucket) {
    if (!live(bucket, head)) continue;
    const Moments& moments = moments_[bucket * slots_ + slot];
    if (moments.scored == 0) continue;
    summary.count += moments.scored;
    summary.sum += moments.sum;
    summary.sum_squares += moments.sum_squares;
    const std::uint32_t* histogram = &histograms_[(bucket * slots_ + slot) * bins];
    for (std::size_t bin = 0; bin < bins; ++bin) summary.histogram[bin] += histogram[bin];
  }
}

// Layout: i64 length_ms, u64 buckets, u64 slots, i32 score_bins; i64[buckets]
// ids; for each used bucket in ring order its Counts32[slots]; bool scored;
// when scored, for each used bucket u32[slots] scored counts, f64[slots] sums,
// f64[slots] sums of squares and u32[slots × score_bins] histograms.
void SlidingGroupWindow::encode(StateWriter& writer) const {
  writer.write_i64(length_ms_);
  writer.write_u64(buckets_);
  writer.write_u64(slots_);
  writer.write_i32(score_bins_);
  writer.write_array(std::span<const std::int64_t>(ids_));
  for (std::size_t bucket = 0; bucket < buckets_; ++bucket) {
    if (ids_[bucket] == kUnused) continue;
    writer.write_array(std::span<const Counts32>(&counts_[bucket * slots_], slots_));
  }
  writer.write_bool(!moments_.empty());
  if (moments_.empty()) return;
  const auto bins = static_cast<std::size_t>(score_bins_);
  std::vector<std::uint32_t> scored(slots_);
  std::vector<double> sums(slots_);
  std::vector<double> squares(slots_);
  for (std::size_t bucket = 0; bucket < buckets_; ++bucket) {
    if (ids_[bucket] == kUnused) continue;
    const Moments* moments = &moments_[bucket * slots_];
    for (std::size_t slot = 0; slot < slots_; ++slot) {
      scored[slot] = moments[slot].scored;
      sums[slot] = moments[slot].sum;
      squares[slot] = moments[slot].sum_squares;
    }
    writer.write_array(std::span<const std::uint32_t>(scored));
    writer.write_array(std::span<const double>(sums));
    writer.write_array(std::span<const double>(squares));
    writer.write_array(
        std::span<const std::uint32_t>(&histograms_[bucket * slots_ * bins], slots_ * bins));
  }
}

bool SlidingGroupWindow::decode(StateReader& reader) {
  std::int64_t length_ms = 0;
  std::uint64_t buckets = 0;
  std::uint64_t slots = 0;
  std::int32_t score_bins = 0;
  if (!reader.read_i64(length_ms) || !reader.read_u64(buckets) || !reader.read_u64(slots) ||
      !reader.read_i32(score_bins)) {
    return false;
  }
  if (length_ms != length_ms_ || buckets != buckets_ || slots != slots_ ||
      score_bins != score_bins_) {
    return reader.fail();
  }
  event_cache_ = BucketCache{};
  head_cache_ = BucketCache{};
  if (!reader.read_array(std::span<std::int64_t>(ids_))) return false;
  const auto size = static_cast<std::int64_t>(buckets_);
  std::fill(counts_.begin(), counts_.end(), Counts32{});
  for (std::size_t bucket = 0; bucket < buckets_; ++bucket) {
    const std::int64_t id = ids_[bucket];
    if (id == kUnused) continue;
    if (static_cast<std::size_t>(((id % size) + size) % size) != bucket) return reader.fail();
    const std::span<Counts32> row(&counts_[bucket * slots_], slots_);
    if (!reader.read_array(row)) return false;
    for (const Counts32& counts : row) {
      if (counts.selected > counts.applicants) return reader.fail();
    }
  }
  bool scored = false;
  if (!reader.read_bool(scored)) return false;
  moments_.clear();
  histograms_.clear();
  if (!scored) return true;
  if (score_bins_ <= 0) return reader.fail();
  const auto bins = static_cast<std::size_t>(score_bins_);
  moments_.assign(buckets_ * slots_, Moments{});
  histograms_.assign(buckets_ * slots_ * bins, 0u);
  std::vector<std::uint32_t> counts(slots_);
  std::vector<double> sums(slots_);
  std::vector<double> squares(slots_);
  for (std::size_t bucket = 0; bucket < buckets_; ++bucket) {
    if (ids_[bucket] == kUnused) continue;
    if (!reader.read_array(std::span<std::uint32_t>(counts)) ||
        !reader.read_array(std::span<double>(sums)) ||
        !reader.read_array(std::span<double>(squares)) ||
        !reader.read_array(
            std::span<std::uint32_t>(&histograms_[bucket * slots_ * bins], slots_ * bins))) {
      return false;
    }
    Moments* moments = &moments_[bucket * slots_];
    for (std::size_t slot = 0; slot < slots_; ++slot) {
      moments[slot] = Moments{counts[slot], sums[slot], squares[slot]};
    }
  }
  return true;
}

}  // namespace fairwatch::detectors
