#include "fairwatch/detectors/dedupe_filter.h"

#include <limits>

#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::detectors {

DedupeFilter::DedupeFilter(std::int64_t horizon_ms, std::size_t max_ids)
    : horizon_ms_(horizon_ms), max_ids_(max_ids) {}

void DedupeFilter::forget_older_than(std::int64_t limit_ms) {
  while (!arrival_order_.empty() && arrival_order_.front().event_time_ms < limit_ms) {
    ids_.erase(arrival_order_.front().id_hash);
    arrival_order_.pop_front();
  }
}

bool DedupeFilter::seen_before(std::uint64_t id_hash, std::int64_t event_time_ms,
                               std::int64_t watermark_ms) {
  forget_older_than(watermark_ms - horizon_ms_);
  if (ids_.find(id_hash)) return true;
  if (ids_.size() >= max_ids_) {
    ids_.erase(arrival_order_.front().id_hash);
    arrival_order_.pop_front();
    ++evicted_early_;
  }
  ids_.insert(id_hash, 0);
  arrival_order_.push_back({event_time_ms, id_hash});
  return false;
}

// Layout: u64 evicted_early; u64 count; count × (i64 event_time_ms, u64 id_hash),
// oldest arrival first.
void DedupeFilter::encode(StateWriter& writer) const {
  writer.write_u64(evicted_early_);
  writer.write_u64(arrival_order_.size());
  for (const Entry& entry : arrival_order_) {
    writer.write_i64(entry.event_time_ms);
    writer.write_u64(entry.id_hash);
  }
}

bool DedupeFilter::decode(StateReader& reader) {
  ids_ = HashIndex();
  arrival_order_.clear();
  evicted_early_ = 0;
  std::uint64_t evicted_early = 0;
  std::uint64_t count = 0;
  if (!reader.read_u64(evicted_early) ||
      !reader.read_count(count, std::numeric_limits<std::uint64_t>::max(), 16)) {
    return false;
  }
  const std::uint64_t skip = count > max_ids_ ? count - max_ids_ : 0;
  ids_ = HashIndex(static_cast<std::size_t>((count - skip) * 2));
  for (std::uint64_t i = 0; i < count; ++i) {
    Entry entry{};
    if (!reader.read_i64(entry.event_time_ms) || !reader.read_u64(entry.id_hash)) break;
    if (i < skip) continue;
    if (!ids_.insert(entry.id_hash, 0)) {
      reader.fail();
      break;
    }
    arrival_order_.push_back(entry);
  }
  if (reader.failed()) {
    ids_ = HashIndex();
    arrival_order_.clear();
    return false;
  }
  evicted_early_ = evicted_early + skip;
  return true;
}

}  // namespace fairwatch::detectors
