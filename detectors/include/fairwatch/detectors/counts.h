// Counts: applicants and favourable outcomes of one group, the input of every
// proportion statistic. A plain value type; thread-compatible.
#pragma once

#include <cstdint>

namespace fairwatch::detectors {

struct Counts {
  std::uint64_t applicants = 0;  // decisions seen
  std::uint64_t selected = 0;    // favourable decisions; REQUIRES: selected <= applicants

  Counts& operator+=(const Counts& other) {
    applicants += other.applicants;
    selected += other.selected;
    return *this;
  }
  friend Counts operator+(Counts a, const Counts& b) { return a += b; }
  friend bool operator==(const Counts&, const Counts&) = default;
  std::uint64_t rejected() const { return applicants - selected; }
};

// Compact counts for bucket storage (a bucket never holds 2^32 decisions).
struct Counts32 {
  std::uint32_t applicants = 0;
  std::uint32_t selected = 0;
};

// A two-sided interval [lower, upper].
struct Interval {
  double lower = 0;
  double upper = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

}  // namespace fairwatch::detectors
