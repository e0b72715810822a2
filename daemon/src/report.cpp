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

// Counts of one stratum cell in window w (w == windows.size() is `all`).
Counts stratum_counts(const StratumGroup* cell, std::size_t w, std::int64_t watermark_ms) {
  if (cell == nullptr) return {};
  if (w == cell->windows.size()) return cell->all;
  return cell->windows[w].counts(watermark_ms);
}

class ReportBuilder {
 public:
  ReportBuilder(const Engine& engine, const ReportOptions& options, Report& report)
      : engine_(engine),
        options_(options),
        report_(report),
        names_(window_names(engine.config())) {}

  void build() {
    std::vector<const StageState*> stages;
    for (const auto& stage : engine_.stages()) stages.push_back(stage.get());
    std::sort(stages.begin(), stages.end(), [](const StageState* a, const StageState* b) {
      return std::tie(a->system, a->stage) < std::tie(b->system, b->stage);
    });
    for (std::size_t w = 0; w < names_.size(); ++w) {
      if (options_.window && *options_.window != names_[w]) continue;
      for (const StageState* stage : stages) {
        for (std::size_t f = 0; f < stage->families.size(); ++f) add_family(w, *stage, f);
      }
    }
  }

 private:
  bool is_all(std::size_t w) const { return w + 1 == names_.size(); }

  Counts group_counts(const GroupSeries& series, std::size_t w) const {
    return is_all(w) ? series.all : series.windows[w].counts(engine_.watermark_ms());
  }

  detectors::ScoreSummary group_scores(const GroupSeries& series, std::size_t w) const {
    if (is_all(w)) return series.all_scores;
    detectors::ScoreSummary summary(engine_.score_grid().bins);
    series.windows[w].accumulate_scores(engine_.watermark_ms(), summary);
    return summary;
  }

  void add_family(std::size_t w, const StageState& stage, std::size_t f) {
    const AttributeFamily& family = engine_.layout().families()[f];
    const FamilyState& state = stage.families[f];
    const std::size_t known = family.groups.size();

    std::vector<Counts> counts;
    std::vector<detectors::ScoreSummary> scores;
    detectors::ScoreSummary all_scores(engine_.score_grid().bins);
    for (const GroupSeries& series : state.groups) {
      counts.push_back(group_counts(series, w));
      scores.push_back(group_scores(series, w));
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
    std::vector<const std::string*> stratum_names;
    for (const auto& [name, cells] : state.strata) {
      detectors::StratumTable table(known);
      bool any = false;
      for (std::size_t g = 0; g < known; ++g) {
        table[g] = stratum_counts(cells[g].get(), w, engine_.watermark_ms());
        any = any || table[g].applicants > 0;
      }
      if (any) {
        strata.push_back(std::move(table));
        stratum_names.push_back(&name);
      }
    }

    const detectors::AnalysisSettings settings = analysis_settings(engine_.config(), family);
    const detectors::AttributeStatistics analysis = detectors::analyze_attribute(
        std::span<const Counts>(counts.data(), known), scoring, strata, settings);
    std::optional<std::string> reference;
    if (analysis.reference) reference = family.groups[*analysis.reference];

    for (std::size_t g = 0; g <= known; ++g) {
      GroupRow row = base_row(w, stage, family, g, reference);
      if (g < known) {
        row.statistics = analysis.groups[g];
      } else {
        row.statistics = unknown_statistics(counts[g], settings.confidence);
      }
      row.scored = scores[g].count;
      row.score_mean = scores[g].mean();
      row.score_sd = scores[g].standard_deviation();
      row.score_median = scores[g].quantile(engine_.score_grid(), 0.5);
      report_.groups.push_back(std::move(row));
    }
    report_.attributes.push_back({names_[w], stage.system, stage.stage, family.name, reference,
                                  analysis.chi_squared, analysis.cmh});

    if (options_.by_stratum) add_strata(w, stage, f, settings);
  }

  void add_strata(std::size_t w, const StageState& stage, std::size_t f,
                  const detectors::AnalysisSettings& settings) {
    const AttributeFamily& family = engine_.layout().families()[f];
    const FamilyState& state = stage.families[f];
    const std::size_t known = family.groups.size();
    std::map<std::string, const std::vector<std::unique_ptr<StratumGroup>>*> sorted;
    for (const auto& [name, cells] : state.strata) sorted.emplace(name, &cells);
    for (const auto& [name, cells] : sorted) {
      std::vector<Counts> counts(known + 1);
      bool any = false;
      for (std::size_t g = 0; g <= known; ++g) {
        counts[g] = stratum_counts((*cells)[g].get(), w, engine_.watermark_ms());
        any = any || counts[g].applicants > 0;
      }
      if (!any) continue;
      const detectors::AttributeStatistics analysis = detectors::analyze_attribute(
          std::span<const Counts>(counts.data(), known), {}, {}, settings);
      std::optional<std::string> reference;
      if (analysis.reference) reference = family.groups[*analysis.reference];
      for (std::size_t g = 0; g <= known; ++g) {
        GroupRow row = base_row(w, stage, family, g, reference);
        row.stratum = name;
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

}  // namespace fairwatch::daemon
