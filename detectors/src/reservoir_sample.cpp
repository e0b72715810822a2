#include "fairwatch/detectors/reservoir_sample.h"

namespace fairwatch::detectors {

ReservoirSample::ReservoirSample(std::size_t capacity, std::uint64_t seed)
    : capacity_(capacity), random_(seed) {
  values_.reserve(capacity);
}

void reservoir_add(std::vector<double>& values, std::size_t capacity, std::uint64_t seen,
                   double value, std::mt19937_64& random) {
  if (values.size() < capacity) {
    values.push_back(value);
    return;
  }
  std::uniform_int_distribution<std::uint64_t> slot(0, seen - 1);
  const std::uint64_t chosen = slot(random);
  if (chosen < capacity) {
    values[chosen] = value;
  }
}

void ReservoirSample::add(double value) {
  ++seen_;
  reservoir_add(values_, capacity_, seen_, value, random_);
}

}  // namespace fairwatch::detectors
