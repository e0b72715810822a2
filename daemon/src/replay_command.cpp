#include <algorithm>
#include <optional>
#include <variant>

#include "fairwatch/daemon/baseline.h"
#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/drift_monitor.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/replay_input.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/report_format.h"

namespace fairwatch::daemon {
namespace {

constexpr const char* kReplayUsage =
    "usage: fairwatch replay --config FILE [--format json|csv|table] [--window NAME]\n"
    "                        [--by-stratum] [--baseline FILE] [FILE...|-]\n";

struct ReplayOptions {
  std::string config_path;
  std::string format = "json";
  ReportOptions report;
  std::optional<std::string> baseline_path;
  std::vector<std::string> inputs;
};

// Parses the arguments; prints the problem and returns nullopt on a usage error.
std::optional<ReplayOptions> parse_replay_arguments(const Arguments& arguments, std::FILE* err) {
  ReplayOptions options;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument == "--by-stratum") {
      options.report.by_stratum = true;
    } else if (argument.starts_with("--config")) {
      auto value = flag_value(arguments, i, "--config");
      if (!value) break;
      options.config_path = *value;
    } else if (argument.starts_with("--format")) {
      auto value = flag_value(arguments, i, "--format");
      if (!value || (*value != "json" && *value != "csv" && *value != "table")) {
        std::fprintf(err, "fairwatch replay: --format expects json, csv or table\n%s",
                     kReplayUsage);
        return std::nullopt;
      }
      options.format = *value;
    } else if (argument.starts_with("--window")) {
      auto value = flag_value(arguments, i, "--window");
      if (!value) break;
      options.report.window = *value;
    } else if (argument.starts_with("--baseline")) {
      auto value = flag_value(arguments, i, "--baseline");
      if (!value || value->empty()) {
        std::fprintf(err, "fairwatch replay: --baseline expects a file\n%s", kReplayUsage);
        return std::nullopt;
      }
      options.baseline_path = *value;
    } else if (argument == "-" || !argument.starts_with("-")) {
      options.inputs.push_back(argument);
    } else {
      std::fprintf(err, "fairwatch replay: unknown option %s\n%s", argument.c_str(), kReplayUsage);
      return std::nullopt;
    }
  }
  if (options.config_path.empty()) {
    std::fprintf(err, "fairwatch replay: --config FILE is required\n%s", kReplayUsage);
    return std::nullopt;
  }
  if (options.inputs.empty()) options.inputs.emplace_back("-");
  return options;
}

// The baseline to compare against (--baseline, else drift.baseline), or
// nullopt without one; false after printing why it cannot be used.
bool load_baseline(const ReplayOptions& options, const config::Config& config,
                   std::optional<Baseline>& baseline, std::FILE* err) {
  const std::string path = options.baseline_path.value_or(config.drift.baseline);
  if (path.empty()) return true;
  auto read = read_comparable_baseline(path, config);
  if (const auto* error = std::get_if<std::string>(&read)) {
    std::fprintf(err, "fairwatch replay: %s\n", error->c_str());
    return false;
  }
  baseline = std::get<Baseline>(std::move(read));
  return true;
}

}  // namespace

int run_replay(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  const std::optional<ReplayOptions> options = parse_replay_arguments(arguments, err);
  if (!options) return 2;
  const std::optional<config::Config> config = load_config_reporting(options->config_path, err);
  if (!config) return 1;
  if (options->report.window) {
    const std::vector<std::string> names = window_names(*config);
    if (std::find(names.begin(), names.end(), *options->report.window) == names.end()) {
      std::fprintf(err, "fairwatch replay: --window %s is not a configured window\n",
                   options->report.window->c_str());
      return 2;
    }
  }
  std::optional<Baseline> baseline;
  if (!load_baseline(*options, *config, baseline, err)) return 1;

  std::optional<DriftMonitor> monitor;  // outlives the engine that feeds it
  Engine engine(*config);
  if (baseline) engine.set_drift_monitor(&monitor.emplace(*config));
  if (!feed_inputs(engine, options->inputs, "fairwatch replay", err)) return 1;

  Report report = build_report(engine, options->report);
  if (baseline) {
    report.drift = build_drift_rows(engine, *monitor, *baseline, options->report.window);
  }
  std::string text;
  if (options->format == "json") {
    text = format_json(report);
  } else if (options->format == "csv") {
    text = format_csv(report);
  } else {
    text = format_table(report);
  }
  std::fwrite(text.data(), 1, text.size(), out);
  return std::fflush(out) == 0 ? 0 : 1;
}

}  // namespace fairwatch::daemon
