#include "fairwatch/detectors/attribute_analysis.h"

#include "fairwatch/detectors/proportion.h"

namespace fairwatch::detectors {
namespace {

bool sufficient(const Counts& counts, std::uint64_t min_group_size) {
  return counts.applicants > 0 && counts.applicants >= min_group_size;
}

// Scoring rates as Counts (applicants = scored, selected = above median), so
// the same reference rule applies.
std::vector<Counts> scoring_as_counts(std::span<const ScoringCounts> scoring) {
  std::vector<Counts> counts;
  counts.reserve(scoring.size());
  for (const ScoringCounts& s : scoring) counts.push_back({s.scored, s.above_median});
  return counts;
}

}  // namespace

std::optional<std::size_t> choose_reference(std::span<const Counts> groups,
                                            std::optional<std::size_t> named_reference,
                                            std::uint64_t min_group_size) {
  if (named_reference) {
    if (*named_reference < groups.size() && sufficient(groups[*named_reference], min_group_size)) {
      return named_reference;
    }
    return std::nullopt;
  }
  std::optional<std::size_t> best;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (!sufficient(groups[g], min_group_size)) continue;
    if (!best || rate_greater(groups[g], groups[*best])) best = g;
  }
  return best;
}

AttributeStatistics analyze_attribute(std::span<const Counts> groups,
                                      std::span<const ScoringCounts> scoring,
                                      std::span<const StratumTable> strata,
                                      const AnalysisSettings& settings) {
  AttributeStatistics result;
  result.groups.resize(groups.size());
  result.reference = choose_reference(groups, settings.named_reference, settings.min_group_size);

  std::vector<double> tested_p_values;
  std::vector<std::size_t> tested_groups;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    GroupStatistics& row = result.groups[g];
    row.counts = groups[g];
    row.selection_rate = selection_rate(groups[g]);
    row.selection_rate_interval = wilson_interval(groups[g], settings.confidence);
    if (!result.reference || !sufficient(groups[g], settings.min_group_size)) {
      row.four_fifths = FourFifths::insufficient;
      continue;
    }
    const Counts& reference = groups[*result.reference];
    if (g == *result.reference) {
      row.four_fifths = FourFifths::reference;
      row.impact_ratio = 1.0;
      row.shortfall = 0;
      continue;
    }
    row.four_fifths = below_four_fifths(groups[g], reference) ? FourFifths::fail : FourFifths::pass;
    row.shortfall = shortfall(groups[g], reference);
    if (auto ratio = impact_ratio(groups[g], reference, settings.confidence)) {
      row.impact_ratio = ratio->ratio;
      row.impact_ratio_interval = ratio->interval;
    }
    row.z_test = two_proportion_z_test(groups[g], reference);
    if (auto fisher = fisher_exact_test(groups[g], reference)) row.p_value_fisher = fisher->p_value;
    if (row.z_test) {
      tested_p_values.push_back(row.z_test->p_value);
      tested_groups.push_back(g);
    }
  }
  const std::vector<double> adjusted = adjust_p_values(tested_p_values, settings.correction);
  for (std::size_t i = 0; i < tested_groups.size(); ++i) {
    result.groups[tested_groups[i]].p_value_adjusted = adjusted[i];
  }

  if (!scoring.empty()) {
    const std::vector<Counts> scoring_counts = scoring_as_counts(scoring);
    const std::optional<std::size_t> scoring_reference =
        choose_reference(scoring_counts, settings.named_reference, settings.min_group_size);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      GroupStatistics& row = result.groups[g];
      row.scoring_rate = selection_rate(scoring_counts[g]);
      if (scoring_reference && sufficient(scoring_counts[g], settings.min_group_size) &&
          scoring_counts[*scoring_reference].selected > 0) {
        row.scoring_impact_ratio =
            *row.scoring_rate / *selection_rate(scoring_counts[*scoring_reference]);
      }
    }
  }

  result.chi_squared = chi_squared_homogeneity(groups);
  if (!strata.empty()) {
    // Without a reference the statistic stands but the odds ratio has no orientation.
    result.cmh = cochran_mantel_haenszel(strata, result.reference.value_or(0), settings.confidence);
    if (result.cmh && !result.reference) {
      result.cmh->common_odds_ratio.reset();
      result.cmh->common_odds_ratio_interval.reset();
    }
  }
  return result;
}

}  // namespace fairwatch::detectors
