// HashIndex: an open-addressing map from 64-bit hashes to 32-bit
// values (linear probing, backward-shift deletion, grows at 1/2 load). For
// hot paths where std::unordered_map's node allocations dominate.
// Memory: 16 bytes per slot, between 2 and 4 slots per entry.
// Thread-compatible: no internal locking.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace fairwatch::detectors {

// A stable 64-bit hash of a string (FNV-1a): the same on every platform and
// run, so it may be persisted.
std::uint64_t stable_hash(std::string_view text);

class HashIndex {
 public:
  explicit HashIndex(std::size_t initial_capacity = 16);

  // The value stored for key, if any.
  std::optional<std::uint32_t> find(std::uint64_t key) const;
  // Stores value for key; returns false (and stores nothing) if key is present.
  bool insert(std::uint64_t key, std::uint32_t value);
  // Removes key; returns whether it was present.
  bool erase(std::uint64_t key);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t key = 0;  // 0 marks an empty slot; key 0 itself lives in zero_value_
    std::uint32_t value = 0;
  };
  std::size_t home(std::uint64_t key) const;
  void grow();

  std::vector<Entry> entries_;  // size is a power of two
  std::size_t size_ = 0;  // including key 0
  std::optional<std::uint32_t> zero_value_;
};

}  // namespace fairwatch::detectors
