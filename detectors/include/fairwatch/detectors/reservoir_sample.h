// ReservoirSample: a uniform random sample of at most `capacity` values from
// a stream of unknown length (Vitter's algorithm R), for the raw baseline
// scores the Kolmogorov–Smirnov test needs. Seeded and deterministic: the same
// seed and stream give the same sample. Thread-compatible.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace fairwatch::detectors {

// One step of algorithm R for a sample the caller keeps (e.g. many small
// samples sharing one generator): `values` holds the sample of the first
// seen − 1 values of a stream; adds the seen-th, `value`, drawing from
// `random`. REQUIRES: seen >= 1; capacity > 0.
void reservoir_add(std::vector<double>& values, std::size_t capacity, std::uint64_t seen,
                   double value, std::mt19937_64& random);

class ReservoirSample {
 public:
  // REQUIRES: capacity > 0.
  ReservoirSample(std::size_t capacity, std::uint64_t seed);

  // After the i-th value (i = 1, 2, …), every value seen so far is in the
  // sample with probability min(1, capacity / i). Never allocates once the
  // sample is full.
  void add(double value);

  // The sample in no particular order; valid until the next add().
  std::span<const double> values() const { return values_; }
  std::uint64_t seen() const { return seen_; }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::uint64_t seen_ = 0;
  std::vector<double> values_;
  std::mt19937_64 random_;
};

}  // namespace fairwatch::detectors
