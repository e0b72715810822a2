#include "fairwatch/daemon/report.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "fairwatch/detectors/proportion.h"

namespace fairwatch::daemon {
namespace {

using detectors::Counts;

detectors::Correction correction_of(config::CorrectionKind kind) {
  switch (kind) {
    case config::CorrectionKind::none:
      return detectors::Correction::none;
    case config::CorrectionKind::holm:
      return detectors::Correction::holm;
    case config::CorrectionKind::benjamini_hochberg:
      return detectors::Correction::benjamini_hochberg;
  }
  return detectors::Correction::holm;
}

// The counts of one (system, stage) in one window, every slot, also per stratum.
struct StageWindow {
  std::vector<Counts> slots;
  std::vector<std::pair<const std::string*, std::vector<Counts>>> strata;  // sorted by name
};

class ReportBuilder {
 public:
  ReportBuilder(const Engine& engine, const ReportOptions& options, Report& report)
      : engine_(engine),
        options_(options),
        report_(report),
        names_(window_names(engine.config())) {}

  void build() {
    const std::vector<const StageState*> stages = stages_in_report_order(engine_);
    for (std::size_t w = 0; w < names_.size(); ++w) {
      if (options_.window && *options_.window != names_[w]) continue;
      for (const StageState* stage : stages) {
        const StageWindow counts = stage_window(*stage, w);
        for (std::size_t f = 0; f < engine_.layout().families().size(); ++f) {
          add_family(w, *stage, counts, f);
        }
      }
    }
  }

 private:
  bool is_all(std::size_t w) const { return w + 1 == names_.size(); }

  StageWindow stage_window(const StageState& stage, std::size_t w) const {
    StageWindow result;
    const std::int64_t watermark = engine_.watermark_ms();
    if (is_all(w)) {
      result.slots = stage.all;
    } else {
      result.slots.resize(engine_.layout().slot_count());
      stage.windows[w].counts(watermark, result.slots);
    }
    const int stratum_buckets = is_all(w) ? 0 : engine_.stratum_buckets_for_window(w);
    if (!is_all(w) && stratum_buckets == 0) return result;  // too short for strata
    for (const auto& [name, stratum] : stage.strata) {
      std::vector<Counts> counts;
      if (is_all(w)) {
        counts = stratum->all;
      } else {
        counts.resize(engine_.layout().plain_slot_count());
        stratum->window.recent_counts(watermark, stratum_buckets, counts);
      }
      result.strata.emplace_back(&name, std::move(counts));
    }
    std::sort(result.strata.begin(), result.strata.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    return result;
  }

  detectors::ScoreSummary slot_scores(const StageState& stage, std::size_t w,
                                      std::size_t slot) const {
    if (is_all(w)) return stage.all_scores[slot];
    detectors::ScoreSummary summary(engine_.score_grid().bins);
    stage.windows[w].accumulate_scores(engine_.watermark_ms(), slot, summary);
    return summary;
  }

  void add_family(std::size_t w, const StageState& stage, const StageWindow& window,
                  std::size_t f) {
    const AttributeFamily& family = engine_.layout().families()[f];
    const std::size_t known = family.groups.size();
    const std::span<const Counts> counts(window.slots.data() + family.first_slot, known + 1);

    std::vector<detectors::ScoreSummary> scores;
    detectors::ScoreSummary all_scores(engine_.score_grid().bins);
    for (std::size_t g = 0; g <= known; ++g) {
      scores.push_back(slot_scores(stage, w, family.first_slot + g));
      all_scores += scores.back();
    }
    // LL144 scoring: above the median of every score at this stage and window.
    std::vector<detectors::ScoringCounts> scoring;
    if (const auto median = all_scores.median_bin()) {
      for (std::size_t g = 0; g < known; ++g) {
        scoring.push_back({scores[g].count, scores[g].count_above(*median)});
      }
    }
    std::vector<detectors::StratumTable> strata;
    const bool stratified = f < engine_.layout().plain_family_count();
    for (const auto& [name, stratum_counts] : window.strata) {
      if (!stratified) break;
      const auto begin = stratum_counts.begin() + family.first_slot;
      detectors::StratumTable table(begin, begin + static_cast<std::ptrdiff_t>(known));
      if (std::any_of(table.begin(), table.end(),
                      [](const Counts& c) { return c.applicants > 0; })) {
        strata.push_back(std::move(table));
      }
    }

    const detectors::AnalysisSettings settings = analysis_settings(engine_.config(), family);
    const detectors::AttributeStatistics analysis =
        detectors::analyze_attribute(counts.first(known), scoring, strata, settings);
    std::optional<std::string> reference;
    if (analysis.reference) reference = family.groups[*analysis.reference];

    for (std::size_t g = 0; g <= known; ++g) {
      GroupRow row = base_row(w, stage, family, g, reference);
      row.statistics =
          g < known ? analysis.groups[g] : unknown_statistics(counts[g], settings.confidence);
      row.scored = scores[g].count;
      row.score_mean = scores[g].mean();
      row.score_sd = scores[g].standard_deviation();
      row.score_median = scores[g].quantile(engine_.score_grid(), 0.5);
      const auto& moments = stage.all_score_moments[family.first_slot + g];
      if (is_all(w) && moments) {
        for (std::size_t q = 0; q < ScoreAccumulator::kProbabilities.size(); ++q) {
          row.score_quantiles.push_back(moments->quantile(q));
        }
      }
      report_.groups.push_back(std::move(row));
    }
    report_.attributes.push_back({names_[w], stage.system, stage.stage, family.name, reference,
                                  analysis.chi_squared, analysis.cmh});

    if (options_.by_stratum && stratified) add_strata(w, stage, window, f, settings);
  }

  void add_strata(std::size_t w, const StageState& stage, const StageWindow& window, std::size_t f,
                  const detectors::AnalysisSettings& settings) {
    const AttributeFamily& family = engine_.layout().families()[f];
    const std::size_t known = family.groups.size();
    for (const auto& [name, stratum_counts] : window.strata) {
      const std::span<const Counts> counts(stratum_counts.data() + family.first_slot, known + 1);
      if (std::none_of(counts.begin(), counts.end(),
                       [](const Counts& c) { return c.applicants > 0; })) {
        continue;
      }
      const detectors::AttributeStatistics analysis =
          detectors::analyze_attribute(counts.first(known), {}, {}, settings);
      std::optional<std::string> reference;
      if (analysis.reference) reference = family.groups[*analysis.reference];
      for (std::size_t g = 0; g <= known; ++g) {
        GroupRow row = base_row(w, stage, family, g, reference);
        row.stratum = *name;
        row.statistics =
            g < known ? analysis.groups[g] : unknown_statistics(counts[g], settings.confidence);
        report_.groups.push_back(std::move(row));
      }
    }
  }

  GroupRow base_row(std::size_t w, const StageState& stage, const AttributeFamily& family,
                    std::size_t g, const std::optional<std::string>& reference) const {
    GroupRow row;
    row.window = names_[w];
    row.system = stage.system;
    row.stage = stage.stage;
    row.attribute = family.name;
    row.unknown = g == family.unknown();
    row.group = row.unknown ? kUnknownGroup : family.groups[g];
    row.reference_group = reference;
    return row;
  }

  static detectors::GroupStatistics unknown_statistics(Counts counts, double confidence) {
    detectors::GroupStatistics statistics;
    statistics.counts = counts;
    statistics.selection_rate = detectors::selection_rate(counts);
    statistics.selection_rate_interval = detectors::wilson_interval(counts, confidence);
    return statistics;
  }

  const Engine& engine_;
  const ReportOptions& options_;
  Report& report_;
  std::vector<std::string> names_;
};

}  // namespace

std::vector<const StageState*> stages_in_report_order(const Engine& engine) {
  std::vector<const StageState*> stages;
  for (const auto& stage : engine.stages()) stages.push_back(stage.get());
  std::sort(stages.begin(), stages.end(), [](const StageState* a, const StageState* b) {
    return std::tie(a->system, a->stage) < std::tie(b->system, b->stage);
  });
  return stages;
}

std::vector<std::string> window_names(const config::Config& config) {
  std::vector<std::string> names;
  for (const config::WindowConfig& window : config.windows) names.push_back(window.name);
  names.emplace_back("all");
  return names;
}

detectors::AnalysisSettings analysis_settings(const config::Config& config,
                                              const AttributeFamily& family) {
  detectors::AnalysisSettings settings;
  settings.min_group_size = config.statistics.min_group_size;
  settings.confidence = config.statistics.confidence;
  settings.correction = correction_of(config.statistics.correction);
  if (config.statistics.reference == config::ReferenceKind::named) {
    // A plain attribute uses its named group; an intersection the product of its
    // components' named groups when every component names one.
    std::string name;
    bool complete = true;
    for (std::size_t component : family.components) {
      const auto& attribute = config.attributes[component];
      const auto it = config.statistics.reference_groups.find(attribute.name);
      if (it == config.statistics.reference_groups.end()) {
        complete = false;
        break;
      }
      name += (name.empty() ? "" : std::string(1, kIntersectionSeparator)) + it->second;
    }
    if (complete) {
      const auto it = std::find(family.groups.begin(), family.groups.end(), name);
      if (it != family.groups.end()) {
        settings.named_reference = static_cast<std::size_t>(it - family.groups.begin());
      }
    }
  }
  return settings;
}

Report build_report(const Engine& engine, const ReportOptions& options) {
  Report report;
  report.counters = engine.counters();
  for (const AttributeFamily& family : engine.layout().families()) {
    report.families.push_back(family.name);
  }
  report.watermark_ms = engine.watermark_ms();
  ReportBuilder(engine, options, report).build();
  return report;
}

std::vector<GroupFamily> group_families(const Report& report) {
  const auto same_family = [](const GroupRow& a, const GroupRow& b) {
    return a.window == b.window && a.system == b.system && a.stage == b.stage &&
           a.attribute == b.attribute && a.stratum == b.stratum;
  };
  std::vector<GroupFamily> families;
  const std::vector<GroupRow>& rows = report.groups;
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t end = begin + 1;
    while (end < rows.size() && same_family(rows[begin], rows[end])) ++end;
    GroupFamily family;
    family.rows = std::span<const GroupRow>(rows).subspan(begin, end - begin);
    const std::optional<std::string>& reference = rows[begin].reference_group;
    for (const GroupRow& row : family.rows) {
      if (reference && !row.unknown && row.group == *reference) family.reference = &row;
    }
    families.push_back(family);
    begin = end;
  }
  return families;
}

}  // namespace fairwatch::daemon
