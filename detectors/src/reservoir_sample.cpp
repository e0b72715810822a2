#include "fairwatch/detectors/reservoir_sample.h"

namespace fairwatch::detectors {

ReservoirSample::ReservoirSample(std::size_t capacity, std::uint64_t seed)
    : capacity_(capacity), random_(seed) {
  values_.reserve(capacity);
}

void ReservoirSample::add(double value) {
  ++seen_;
  if (values_.size() < capacity_) {
    values_.push_back(value);
    return;
  }
  std::uniform_int_distribution<std::uint64_t> slot(0, seen_ - 1);
  const std::uint64_t chosen = slot(random_);
  if (chosen < capacity_) {
    values_[chosen] = value;
  }
}

}  // namespace fairwatch::detectors
