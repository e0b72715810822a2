// Drift rows: for every (window, system, stage, attribute, group) the score
// distribution against the baseline's (PSI and Jensen–Shannon divergence on
// the score histograms, two-sample Kolmogorov–Smirnov on the score samples),
// and for every (window, system, stage, attribute) the applicant mix against
// the baseline's (PSI and JS over the applicants per group). For reports, and
// for metrics and alerts: one plain row per value set, undefined statistics
// as nullopt. Pure functions over the engine, monitor and baseline;
// thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fairwatch::daemon {

class DriftMonitor;
class Engine;
struct Baseline;

enum class DriftSubject { score, mix };

// "score" or "mix".
const char* to_string(DriftSubject subject);

struct DriftRow {
  std::string window;
  std::string system;
  std::string stage;
  std::string attribute;
  std::optional<std::string> group;  // score rows: the group; mix rows: nullopt
  DriftSubject subject = DriftSubject::score;
  std::optional<double> psi;            // population stability index, natural log
  std::optional<double> js_divergence;  // Jensen–Shannon divergence, bits, in [0, 1]
  std::optional<double> ks_statistic;   // score rows only: Kolmogorov–Smirnov D
  std::optional<double> ks_p_value;     // score rows only: as R's ks.test
  // Scores (score rows) or applicants (mix rows) on each side; 0 when the
  // baseline has no such series.
  std::uint64_t baseline_n = 0;
  std::uint64_t current_n = 0;
};

// The drift rows of every window (or only `window` when set: a name from
// window_names()), in report order: window, system, stage, attribute, then
// the attribute's groups (configured order, `unknown` excluded) followed by
// its mix row. Current distributions are the monitor's and the engine's at
// the engine's watermark. REQUIRES: monitor fed by engine from its first
// event, same config; baseline_mismatch(baseline, config) is nullopt.
std::vector<DriftRow> build_drift_rows(const Engine& engine, const DriftMonitor& monitor,
                                       const Baseline& baseline,
                                       const std::optional<std::string>& window);

}  // namespace fairwatch::daemon
