#include "fairwatch/detectors/hash_index.h"

#include <bit>

namespace fairwatch::detectors {

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

HashIndex::HashIndex(std::size_t initial_capacity)
    : entries_(std::bit_ceil(initial_capacity < 16 ? std::size_t{16} : initial_capacity)) {}

std::size_t HashIndex::home(std::uint64_t key) const {
  // Fibonacci hashing spreads keys whose low bits are poorly mixed.
  const std::uint64_t mixed = key * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>(mixed >> (64 - std::countr_zero(entries_.size())));
}

std::optional<std::uint32_t> HashIndex::find(std::uint64_t key) const {
  if (key == 0) return zero_value_;
  const std::size_t mask = entries_.size() - 1;
  for (std::size_t i = home(key);; i = (i + 1) & mask) {
    const Entry& entry = entries_[i];
    if (entry.key == key) return entry.value;
    if (entry.key == 0) return std::nullopt;
  }
}

bool HashIndex::insert(std::uint64_t key, std::uint32_t value) {
  if (key == 0) {
    if (zero_value_) return false;
    zero_value_ = value;
    ++size_;
    return true;
  }
  if ((size_ + 1) * 2 > entries_.size()) grow();
  const std::size_t mask = entries_.size() - 1;
  for (std::size_t i = home(key);; i = (i + 1) & mask) {
    Entry& entry = entries_[i];
    if (entry.key == key) return false;
    if (entry.key == 0) {
      entry = {key, value};
      ++size_;
      return true;
    }
  }
}

bool HashIndex::erase(std::uint64_t key) {
  if (key == 0) {
    if (!zero_value_) return false;
    zero_value_.reset();
    --size_;
    return true;
  }
  const std::size_t mask = entries_.size() - 1;
  std::size_t hole = home(key);
  while (entries_[hole].key != key) {
    if (entries_[hole].key == 0) return false;
    hole = (hole + 1) & mask;
  }
  // Backward-shift: move later entries of the probe run into the hole when
  // their home does not lie cyclically in (hole, position].
  for (std::size_t next = (hole + 1) & mask; entries_[next].key != 0; next = (next + 1) & mask) {
    const std::size_t next_home = home(entries_[next].key);
    const bool stays = hole <= next ? (hole < next_home && next_home <= next)
                                    : (hole < next_home || next_home <= next);
    if (!stays) {
      entries_[hole] = entries_[next];
      hole = next;
    }
  }
  entries_[hole] = Entry{};
  --size_;
  return true;
}

void HashIndex::grow() {
  std::vector<Entry> old(entries_.size() * 2);
  old.swap(entries_);
  size_ = zero_value_ ? 1 : 0;
  for (const Entry& entry : old) {
    if (entry.key != 0) insert(entry.key, entry.value);
  }
}

}  // namespace fairwatch::detectors
