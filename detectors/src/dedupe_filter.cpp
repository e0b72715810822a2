#include "fairwatch/detectors/dedupe_filter.h"

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

}  // namespace fairwatch::detectors
