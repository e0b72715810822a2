// BucketRing<Cell>: the storage of an event-time sliding window — a ring of
// `buckets` cells, each covering width = ceil(length / buckets) ms of event
// time. Thread-compatible: no internal locking.
//
// At watermark W the live buckets are those with id in (floor(W/width) −
// buckets, floor(W/width)], id = floor(time / width): between length − width
// and length of event time. Memory: buckets × (sizeof(Cell) + 8) bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fairwatch::detectors {

template <typename Cell>
class BucketRing {
 public:
  // REQUIRES: length_ms > 0, buckets > 0.
  BucketRing(std::int64_t length_ms, int buckets)
      : length_ms_(length_ms),
        width_ms_((length_ms + buckets - 1) / buckets),
        ids_(static_cast<std::size_t>(buckets), kUnused),
        cells_(static_cast<std::size_t>(buckets)) {}

  struct Slot {
    Cell* cell = nullptr;  // nullptr when the time is older than the window
    std::size_t index = 0;
    bool reset = false;  // the cell was recycled for a new bucket (and value-initialized)
  };

  // The cell for event_time_ms, recycling the slot if it held an older bucket.
  // REQUIRES: event_time_ms <= watermark_ms.
  Slot locate(std::int64_t event_time_ms, std::int64_t watermark_ms) {
    const std::int64_t id = bucket_id(event_time_ms);
    if (id <= bucket_id(watermark_ms) - size()) return {};
    const auto index = static_cast<std::size_t>(((id % size()) + size()) % size());
    Slot slot{&cells_[index], index, false};
    if (ids_[index] != id) {
      ids_[index] = id;
      cells_[index] = Cell{};
      slot.reset = true;
    }
    return slot;
  }

  // Calls fn(const Cell&, std::size_t index) for every live bucket at watermark_ms.
  template <typename Fn>
  void for_each_live(std::int64_t watermark_ms, Fn&& fn) const {
    const std::int64_t oldest = bucket_id(watermark_ms) - size();
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      if (ids_[i] != kUnused && ids_[i] > oldest) fn(cells_[i], i);
    }
  }

  std::int64_t length_ms() const { return length_ms_; }
  std::int64_t bucket_width_ms() const { return width_ms_; }
  int buckets() const { return static_cast<int>(cells_.size()); }

 private:
  static constexpr std::int64_t kUnused = INT64_MIN;
  std::int64_t size() const { return static_cast<std::int64_t>(cells_.size()); }
  std::int64_t bucket_id(std::int64_t time_ms) const {
    const std::int64_t q = time_ms / width_ms_;
    return (time_ms % width_ms_ != 0 && time_ms < 0) ? q - 1 : q;
  }

  std::int64_t length_ms_;
  std::int64_t width_ms_;
  std::vector<std::int64_t> ids_;
  std::vector<Cell> cells_;
};

}  // namespace fairwatch::detectors
