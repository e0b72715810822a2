// Baseline: the reference distributions drift is measured against — per
// (system, stage, attribute, group) the applicants, a score histogram on the
// drift score edges and an anonymous sample of raw scores; per (system,
// stage, attribute) the applicant mix. Captured from an engine's `all`
// window, written and read as JSON (docs/baseline-format.md). A value type;
// thread-compatible.
//
// Privacy: aggregates and per-group score samples only — no event ids, no
// timestamps of individual events, no attribute values beyond group names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fairwatch/config/config.h"

namespace fairwatch::daemon {

class DriftMonitor;
class Engine;

inline constexpr std::string_view kBaselineFormat = "fairwatch-baseline";
inline constexpr std::uint64_t kBaselineVersion = 1;

// The scores of one group over the baseline period.
struct BaselineScores {
  std::string system;
  std::string stage;
  std::string attribute;
  std::string group;
  std::uint64_t applicants = 0;
  std::uint64_t scored = 0;              // scores seen: the histogram's total
  std::vector<std::uint64_t> histogram;  // per bin of score_edges
  std::vector<double> sample;            // at most sample_size of the scores, no order
};

// The applicant mix of one attribute over the baseline period.
struct BaselineMix {
  std::string system;
  std::string stage;
  std::string attribute;
  // Applicants per configured group, in configured order (`unknown` not included).
  std::vector<std::pair<std::string, std::uint64_t>> applicants;
};

struct Baseline {
  std::vector<double> score_edges;
  std::uint64_t sample_size = 0;
  // Oldest and newest event time covered (ms since the epoch); unset when empty.
  std::optional<std::int64_t> first_event_ms;
  std::optional<std::int64_t> last_event_ms;
  std::vector<BaselineScores> scores;
  std::vector<BaselineMix> mixes;

  // nullptr when the baseline has no such series.
  const BaselineScores* find_scores(std::string_view system, std::string_view stage,
                                    std::string_view attribute, std::string_view group) const;
  const BaselineMix* find_mix(std::string_view system, std::string_view stage,
                              std::string_view attribute) const;
};

// The baseline of everything the engine and the monitor (fed by it) have seen:
// their `all` window. Series in report order (system, stage, attribute, group).
// REQUIRES: monitor was set on engine from its first event, with the same config.
Baseline capture_baseline(const Engine& engine, const DriftMonitor& monitor);

// One JSON document followed by a newline.
std::string format_baseline(const Baseline& baseline);

// A parsed baseline, or what is wrong with the text (e.g. "scores[3].histogram:
// expected 10 counts (one per bin of score_edges), got 9").
std::variant<Baseline, std::string> parse_baseline(std::string_view json);

// parse_baseline() of a file's contents; errors are "FILE: what is wrong".
std::variant<Baseline, std::string> read_baseline_file(const std::string& path);

// Why the baseline cannot be compared under `config` (its score_edges differ
// from drift.score_edges), or nullopt when it can.
std::optional<std::string> baseline_mismatch(const Baseline& baseline,
                                             const config::Config& config);

// read_baseline_file(path) checked with baseline_mismatch(): the baseline,
// or "PATH: what is wrong" (unreadable, invalid, or "cannot compare with
// this baseline: …").
std::variant<Baseline, std::string> read_comparable_baseline(const std::string& path,
                                                             const config::Config& config);

}  // namespace fairwatch::daemon
