// The statistics of one protected attribute in one window: the reference
// group, every group's rate, ratio, verdict and tests, the corrected
// p-values, and the attribute-wide chi-squared and CMH tests. Pure function
// of counts; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fairwatch/detectors/counts.h"
#include "fairwatch/detectors/impact_ratio.h"
#include "fairwatch/detectors/significance.h"
#include "fairwatch/detectors/stratified.h"

namespace fairwatch::detectors {

struct AnalysisSettings {
  // The configured reference group; nullopt means "highest selection rate".
  std::optional<std::size_t> named_reference;
  std::uint64_t min_group_size = 30;
  double confidence = 0.95;
  Correction correction = Correction::holm;
};

// Scoring (NYC LL144): of a group's scored decisions, how many scored above
// the median of all scores in the window.
struct ScoringCounts {
  std::uint64_t scored = 0;
  std::uint64_t above_median = 0;
};

struct GroupStatistics {
  Counts counts;
  std::optional<double> selection_rate;
  std::optional<Interval> selection_rate_interval;  // Wilson
  FourFifths four_fifths = FourFifths::insufficient;
  // The comparisons below are set only for groups with at least
  // min_group_size applicants compared with a sufficient reference.
  std::optional<double> impact_ratio;             // 1 for the reference itself
  std::optional<Interval> impact_ratio_interval;  // Katz; not for the reference
  std::optional<TestResult> z_test;               // group minus reference
  std::optional<double> p_value_fisher;
  std::optional<double> p_value_adjusted;  // z p-value after the correction
  std::optional<std::uint64_t> shortfall;
  std::optional<double> scoring_rate;          // any group with scores
  std::optional<double> scoring_impact_ratio;  // against the scoring reference
};

struct AttributeStatistics {
  std::optional<std::size_t> reference;  // index of the reference group
  std::vector<GroupStatistics> groups;   // in configured order
  std::optional<TestResult> chi_squared;
  std::optional<CmhResult> cmh;
};

// The reference group: the named one if set (if it meets min_group_size),
// otherwise the group with the highest selection rate among those with at
// least min_group_size (and > 0) applicants, compared exactly; ties go to the
// first in order. nullopt when no group qualifies.
std::optional<std::size_t> choose_reference(std::span<const Counts> groups,
                                            std::optional<std::size_t> named_reference,
                                            std::uint64_t min_group_size);

// REQUIRES: scoring is empty or has one entry per group; every stratum table
// has one entry per group.
AttributeStatistics analyze_attribute(std::span<const Counts> groups,
                                      std::span<const ScoringCounts> scoring,
                                      std::span<const StratumTable> strata,
                                      const AnalysisSettings& settings);

}  // namespace fairwatch::detectors
