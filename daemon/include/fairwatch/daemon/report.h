// Report: the statistics of an Engine's state at its watermark, as rows per
// (window, system, stage, attribute, group[, stratum]) and per (window,
// system, stage, attribute). Built on demand; a value type, independent of the
// engine once built.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fairwatch/daemon/drift_report.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/detectors/attribute_analysis.h"

namespace fairwatch::daemon {

struct ReportOptions {
  std::optional<std::string> window;  // only this window ("24h", "all", …); all windows if unset
  bool by_stratum = false;            // add group rows per stratum
};

struct GroupRow {
  std::string window;
  std::string system;
  std::string stage;
  std::string attribute;
  std::string group;
  std::optional<std::string> stratum;  // set on per-stratum rows only
  bool unknown = false;                // the "unknown" group: reported, never compared
  std::optional<std::string> reference_group;
  detectors::GroupStatistics statistics;
  std::uint64_t scored = 0;
  std::optional<double> score_mean;
  std::optional<double> score_sd;
  std::optional<double> score_median;  // interpolated on the score grid
  // `all` window only: P² estimates of ScoreAccumulator::kProbabilities.
  std::vector<std::optional<double>> score_quantiles;
};

struct AttributeRow {
  std::string window;
  std::string system;
  std::string stage;
  std::string attribute;
  std::optional<std::string> reference_group;
  std::optional<detectors::TestResult> chi_squared;
  std::optional<detectors::CmhResult> cmh;
};

struct Report {
  EngineCounters counters;
  std::vector<std::string> families;  // family names, the keys of counters.unknown
  std::int64_t watermark_ms = INT64_MIN;
  std::vector<GroupRow> groups;
  std::vector<AttributeRow> attributes;
  // Drift against a baseline, when one was given (build_drift_rows()).
  std::optional<std::vector<DriftRow>> drift;
};

// The engine's (system, stage) states ordered by system, then stage.
std::vector<const StageState*> stages_in_report_order(const Engine& engine);

// The names of the engine's windows: the configured ones, then "all".
std::vector<std::string> window_names(const config::Config& config);

// REQUIRES: options.window, when set, is one of window_names().
Report build_report(const Engine& engine, const ReportOptions& options);

// The rows of one (window, system, stage, attribute, stratum) — contiguous
// in Report::groups — and its reference group's row (nullptr without one).
// Valid while the report is.
struct GroupFamily {
  std::span<const GroupRow> rows;
  const GroupRow* reference = nullptr;
};
std::vector<GroupFamily> group_families(const Report& report);

// The analysis settings the config asks for, for one attribute family.
detectors::AnalysisSettings analysis_settings(const config::Config& config,
                                              const AttributeFamily& family);

}  // namespace fairwatch::daemon
