#include <cerrno>
#include <cstring>
#include <optional>

#include "fairwatch/daemon/baseline.h"
#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/drift_monitor.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/replay_input.h"

namespace fairwatch::daemon {
namespace {

constexpr const char* kBaselineUsage =
    "usage: fairwatch baseline capture --config FILE -o OUT|--output OUT [FILE...|-]\n"
    "       (-o - writes the baseline to stdout)\n";

struct CaptureOptions {
  std::string config_path;
  std::string output;
  std::vector<std::string> inputs;
};

std::optional<CaptureOptions> parse_capture_arguments(const Arguments& arguments, std::FILE* err) {
  CaptureOptions options;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument.starts_with("--config")) {
      auto value = flag_value(arguments, i, "--config");
      if (!value) break;
      options.config_path = *value;
    } else if (argument.starts_with("--output") || argument == "-o") {
      auto value = flag_value(arguments, i, argument == "-o" ? "-o" : "--output");
      if (!value || value->empty()) break;
      options.output = *value;
    } else if (argument == "-" || !argument.starts_with("-")) {
      options.inputs.push_back(argument);
    } else {
      std::fprintf(err, "fairwatch baseline capture: unknown option %s\n%s", argument.c_str(),
                   kBaselineUsage);
      return std::nullopt;
    }
  }
  if (options.config_path.empty() || options.output.empty()) {
    std::fprintf(err, "fairwatch baseline capture: --config FILE and -o OUT are required\n%s",
                 kBaselineUsage);
    return std::nullopt;
  }
  if (options.inputs.empty()) options.inputs.emplace_back("-");
  return options;
}

// Writes `text` to `path` ("-": to `out`); false after printing why not.
bool write_output(const std::string& path, const std::string& text, std::FILE* out,
                  std::FILE* err) {
  std::FILE* file = path == "-" ? out : std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    std::fprintf(err, "fairwatch baseline capture: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const bool flushed = std::fflush(file) == 0;
  const int error = errno;
  const bool closed = file == out || std::fclose(file) == 0;
  if (!written || !flushed || !closed) {
    std::fprintf(err, "fairwatch baseline capture: cannot write %s: %s\n", path.c_str(),
                 std::strerror(error));
    return false;
  }
  return true;
}

int run_capture(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  const std::optional<CaptureOptions> options = parse_capture_arguments(arguments, err);
  if (!options) return 2;
  const std::optional<config::Config> config = load_config_reporting(options->config_path, err);
  if (!config) return 1;
  DriftMonitor monitor(*config);
  Engine engine(*config);
  engine.set_drift_monitor(&monitor);
  if (!feed_inputs(engine, options->inputs, "fairwatch baseline capture", err)) return 1;
  const std::string text = format_baseline(capture_baseline(engine, monitor));
  return write_output(options->output, text, out, err) ? 0 : 1;
}

}  // namespace

int run_baseline(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  if (!arguments.empty() && arguments[0] == "capture") {
    return run_capture(Arguments(arguments.begin() + 1, arguments.end()), out, err);
  }
  std::fprintf(err, "fairwatch baseline: expected the subcommand capture\n%s", kBaselineUsage);
  return 2;
}

}  // namespace fairwatch::daemon
