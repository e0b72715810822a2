#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/line_reader.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/report_format.h"

namespace fairwatch::daemon {
namespace {

constexpr const char* kReplayUsage =
    "usage: fairwatch replay --config FILE [--format json|csv|table] [--window NAME]\n"
    "                        [--by-stratum] [FILE...|-]\n";

struct ReplayOptions {
  std::string config_path;
  std::string format = "json";
  ReportOptions report;
  std::vector<std::string> inputs;
};

// Parses the arguments; prints the problem and returns nullopt on a usage error.
std::optional<ReplayOptions> parse_replay_arguments(const Arguments& arguments, std::FILE* err) {
  ReplayOptions options;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    auto value_of = [&](const char* flag) -> std::optional<std::string> {
      const std::string prefix = std::string(flag) + "=";
      if (argument.starts_with(prefix)) return argument.substr(prefix.size());
      if (argument == flag && i + 1 < arguments.size()) return arguments[++i];
      return std::nullopt;
    };
    if (argument == "--by-stratum") {
      options.report.by_stratum = true;
    } else if (argument.starts_with("--config")) {
      auto value = value_of("--config");
      if (!value) break;
      options.config_path = *value;
    } else if (argument.starts_with("--format")) {
      auto value = value_of("--format");
      if (!value || (*value != "json" && *value != "csv" && *value != "table")) {
        std::fprintf(err, "fairwatch replay: --format expects json, csv or table\n%s",
                     kReplayUsage);
        return std::nullopt;
      }
      options.format = *value;
    } else if (argument.starts_with("--window")) {
      auto value = value_of("--window");
      if (!value) break;
      options.report.window = *value;
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

// Prints "\r<N> events, <rate>/s" to a terminal at most twice a second.
class Progress {
 public:
  explicit Progress(std::FILE* err) : err_(err), enabled_(isatty(fileno(err)) != 0) {}
  void tick(std::uint64_t events) {
    if (!enabled_ || (events & 0xffff) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(err_, "\rfairwatch replay: %llu events, %.0f events/s   ",
                 static_cast<unsigned long long>(events), static_cast<double>(events) / seconds);
    std::fflush(err_);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(err_, "\n");
  }

 private:
  std::FILE* err_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace

int run_replay(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  const std::optional<ReplayOptions> options = parse_replay_arguments(arguments, err);
  if (!options) return 2;
  config::LoadResult loaded = config::load_config_file(options->config_path);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    for (const config::ConfigError& error : *errors) {
      std::fprintf(err, "%s\n", error.to_string().c_str());
    }
    return 1;
  }
  const config::Config& config = std::get<config::Config>(loaded);
  if (options->report.window) {
    const std::vector<std::string> names = window_names(config);
    if (std::find(names.begin(), names.end(), *options->report.window) == names.end()) {
      std::fprintf(err, "fairwatch replay: --window %s is not a configured window\n",
                   options->report.window->c_str());
      return 2;
    }
  }

  Engine engine(config);
  Progress progress(err);
  for (const std::string& input : options->inputs) {
    const bool is_stdin = input == "-";
    const int fd = is_stdin ? STDIN_FILENO : ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(err, "fairwatch replay: cannot open %s: %s\n", input.c_str(),
                   std::strerror(errno));
      return 1;
    }
    LineReader reader(fd);
    std::string_view line;
    while (reader.next(line)) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line
      engine.offer(line);
      progress.tick(engine.counters().read);
    }
    if (!is_stdin) ::close(fd);
    if (reader.error() != 0) {
      std::fprintf(err, "fairwatch replay: error reading %s: %s\n", input.c_str(),
                   std::strerror(reader.error()));
      return 1;
    }
  }
  progress.finish();

  const Report report = build_report(engine, options->report);
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
