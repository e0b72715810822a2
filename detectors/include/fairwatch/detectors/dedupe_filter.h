// DedupeFilter: remembers 64-bit hashes of event ids seen within an
// event-time horizon and answers "seen before?". Ids themselves are never
// stored. Thread-compatible: no internal locking.
//
// Memory: about 48 bytes per remembered id (index slots plus the arrival queue); at most max_ids ids are kept
// (the oldest are forgotten first when the cap is reached, which shortens the
// effective horizon; see evicted_early()).
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>

#include "fairwatch/detectors/hash_index.h"

namespace fairwatch::detectors {

class StateReader;
class StateWriter;

class DedupeFilter {
 public:
  // REQUIRES: horizon_ms >= 0, max_ids > 0.
  DedupeFilter(std::int64_t horizon_ms, std::size_t max_ids);

  // True if id_hash was seen within the horizon (the event is a duplicate);
  // otherwise remembers it and returns false. Forgets ids whose event time is
  // older than watermark_ms − horizon_ms.
  bool seen_before(std::uint64_t id_hash, std::int64_t event_time_ms, std::int64_t watermark_ms);

  std::size_t size() const { return ids_.size(); }
  // Ids forgotten before their horizon because of the max_ids cap.
  std::uint64_t evicted_early() const { return evicted_early_; }

  // Appends the remembered ids in arrival order (with their event times) and
  // evicted_early(). The horizon and the cap are configuration: not saved.
  void encode(StateWriter& writer) const;
  // Replaces the remembered ids with what encode() wrote and rebuilds the
  // index. When more ids were saved than this filter's max_ids, the oldest
  // are forgotten (counted in evicted_early()). Returns false, with the
  // reader failed, on truncated or inconsistent input (an id saved twice);
  // the filter is then empty. Expired ids are forgotten by the next
  // seen_before(), as they would have been without the round trip.
  bool decode(StateReader& reader);

  // A stable 64-bit hash of an event id (see stable_hash()).
  static std::uint64_t hash_id(std::string_view id) { return stable_hash(id); }

 private:
  struct Entry {
    std::int64_t event_time_ms;
    std::uint64_t id_hash;
  };
  void forget_older_than(std::int64_t limit_ms);

  std::int64_t horizon_ms_;
  std::size_t max_ids_;
  HashIndex ids_;
  std::deque<Entry> arrival_order_;
  std::uint64_t evicted_early_ = 0;
};

}  // namespace fairwatch::detectors
