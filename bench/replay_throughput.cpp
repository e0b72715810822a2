// Replay throughput: decodes (the floor) and then fully processes the same
// JSON-lines file, each in a child process, and prints events/s and peak RSS
// of each. Usage:
//   replay_throughput --config FILE --input FILE [--generate N]
// With --generate N the input is (re)written first: N synthetic decisions.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <variant>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/baseline.h"
#include "fairwatch/daemon/decoder.h"
#include "fairwatch/daemon/drift_monitor.h"
#include "fairwatch/daemon/drift_report.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/line_reader.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/sequential_monitor.h"

namespace {

using fairwatch::daemon::Decoder;
using fairwatch::daemon::Engine;
using fairwatch::daemon::LineReader;

void generate(const std::string& path, std::uint64_t events) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::mt19937_64 rng(42);
  const char* sexes[] = {"female", "male", "non-binary", "unspecified"};
  const char* ethnicities[] = {"asian", "black", "mixed", "white", "other"};
  const char* ages[] = {"<25", "25-39", "40-54", "55+"};
  const char* stages[] = {"screening", "interview", "offer"};
  const char* systems[] = {"cv-screener-v3", "video-interview-v1"};
  std::uniform_real_distribution<double> uniform(0, 1);
  // 30 days of events, in time order with some jitter.
  const std::int64_t start = 1'761'955'200;  // 2025-11-01T00:00:00Z
  for (std::uint64_t i = 0; i < events; ++i) {
    const std::int64_t t = start + static_cast<std::int64_t>(i * 2'592'000 / events) +
                           static_cast<std::int64_t>(rng() % 60);
    const time_t seconds = t;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const double score = uniform(rng);
    std::fprintf(file,
                 "{\"event_id\":\"%016" PRIx64
                 "\",\"timestamp\":\"%s\",\"system\":\"%s\","
                 "\"stage\":\"%s\",\"requisition\":\"req-%u\",\"decision\":\"%s\",\"score\":%.3f,"
                 "\"attributes\":{\"sex\":\"%s\",\"ethnicity\":\"%s\",\"age_band\":\"%s\","
                 "\"disability\":\"%s\"}}\n",
                 rng(), stamp, systems[rng() % 2], stages[rng() % 3],
                 static_cast<unsigned>(rng() % 400), uniform(rng) < 0.3 ? "selected" : "rejected",
                 score, sexes[rng() % 4], ethnicities[rng() % 5], ages[rng() % 4],
                 uniform(rng) < 0.1 ? "yes" : "no");
  }
  std::fclose(file);
}

template <typename Fn>
void measure(const char* name, Fn&& body, double* baseline_rate) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) std::exit(1);
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t events = body();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(events) / seconds;
    if (write(pipe_fds[1], &rate, sizeof rate) != sizeof rate) _exit(1);
    _exit(0);
  }
  close(pipe_fds[1]);
  double rate = 0;
  const bool ok = read(pipe_fds[0], &rate, sizeof rate) == sizeof rate;
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s failed\n", name);
    std::exit(1);
  }
  if (*baseline_rate == 0) *baseline_rate = rate;
  std::printf("%-28s %14.0f %12.1f %10.2f\n", name, rate,
              static_cast<double>(usage.ru_maxrss) / 1024.0, rate / *baseline_rate);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::string input;
  std::uint64_t generate_events = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--config") == 0) config_path = argv[i + 1];
    if (std::strcmp(argv[i], "--input") == 0) input = argv[i + 1];
    if (std::strcmp(argv[i], "--generate") == 0) generate_events = std::stoull(argv[i + 1]);
  }
  if (config_path.empty() || input.empty()) {
    std::fprintf(stderr, "usage: replay_throughput --config FILE --input FILE [--generate N]\n");
    return 2;
  }
  auto loaded = fairwatch::config::load_config_file(config_path);
  if (auto* errors = std::get_if<std::vector<fairwatch::config::ConfigError>>(&loaded)) {
    for (const auto& error : *errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
    return 1;
  }
  const fairwatch::config::Config& config = std::get<fairwatch::config::Config>(loaded);
  if (generate_events > 0) generate(input, generate_events);

  auto for_each_line = [&](auto&& fn) {
    const int fd = open(input.c_str(), O_RDONLY);
    if (fd < 0) _exit(1);
    LineReader reader(fd);
    std::string_view line;
    std::uint64_t lines = 0;
    while (reader.next(line)) {
      fn(line);
      ++lines;
    }
    close(fd);
    return lines;
  };

  std::printf("%-28s %14s %12s %10s\n", "phase", "events/s", "peak RSS MiB", "vs floor");
  double baseline = 0;
  measure(
      "decode only (floor)",
      [&] {
        Decoder decoder(config);
        fairwatch::daemon::Decision decision;
        std::uint64_t accepted = 0;
        const std::uint64_t lines = for_each_line([&](std::string_view line) {
          accepted += decoder.decode(line, decision).accepted ? 1 : 0;
        });
        return accepted == lines ? lines : 0;
      },
      &baseline);
  measure(
      "read lines", [&] { return for_each_line([](std::string_view) {}); }, &baseline);
  measure(
      "replay (decode + engine)",
      [&] {
        Engine engine(config);
        return for_each_line([&](std::string_view line) { engine.offer(line); });
      },
      &baseline);
  measure(
      "replay + report",
      [&] {
        Engine engine(config);
        const std::uint64_t lines =
            for_each_line([&](std::string_view line) { engine.offer(line); });
        const auto report = fairwatch::daemon::build_report(engine, {});
        return report.groups.empty() ? 0 : lines;
      },
      &baseline);
  measure(
      "replay + drift monitor",
      [&] {
        Engine engine(config);
        fairwatch::daemon::DriftMonitor drift(config);
        engine.set_drift_monitor(&drift);
        return for_each_line([&](std::string_view line) { engine.offer(line); });
      },
      &baseline);

  // What the daemon adds per evaluation on the state of the whole input:
  // the sequential monitor once a second, the drift rows once a drift.interval.
  Engine engine(config);
  fairwatch::daemon::DriftMonitor drift(config);
  engine.set_drift_monitor(&drift);
  for_each_line([&](std::string_view line) { engine.offer(line); });
  const auto time_ms = [](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  fairwatch::daemon::Report report;
  const double report_ms = time_ms([&] { report = fairwatch::daemon::build_report(engine, {}); });
  fairwatch::daemon::SequentialMonitor sequential(config);
  sequential.evaluate(report);  // creates the series
  const double sequential_ms = time_ms([&] { sequential.evaluate(report); });
  const fairwatch::daemon::Baseline baseline_file =
      fairwatch::daemon::capture_baseline(engine, drift);
  std::size_t rows = 0;
  const double drift_ms = time_ms([&] {
    rows = fairwatch::daemon::build_drift_rows(engine, drift, baseline_file, std::nullopt).size();
  });
  std::printf(
      "per evaluation: report %.1f ms (every second), sequential monitor %.1f ms (%zu series, "
      "every second), drift rows %.1f ms (%zu rows, every drift.interval)\n",
      report_ms, sequential_ms, sequential.statuses().size(), drift_ms, rows);
  return 0;
}
