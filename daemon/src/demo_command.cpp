// `fairwatch demo`: an embedded Kafka cluster, a synthetic ADM that starts
// disadvantaging one group after a while, and the real daemon consuming it,
// with a live table of the screening stage.
#include <librdkafka/rdkafkacpp.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/daemon.h"
#include "fairwatch/daemon/embedded_kafka.h"
#include "fairwatch/daemon/log.h"
#include "fairwatch/daemon/synthetic_adm.h"
#include "live_demo_config.h"

namespace fairwatch::daemon {
namespace {

constexpr const char* kUsage =
    "usage: fairwatch demo [--duration 2m] [--seed N] [--rate EVENTS_PER_S] [--bias-after 40s]\n"
    "                      [--listen 127.0.0.1:9464]\n";
constexpr const char* kTopic = "hiring.decisions";
constexpr const char* kShownSystem = "cv-screener-v3";
constexpr const char* kShownStage = "screening";
constexpr const char* kShownAttribute = "sex";
constexpr const char* kShownWindow = "5m";

struct DemoOptions {
  std::int64_t duration_seconds = 120;
  std::uint64_t seed = 1;
  double rate = 500;
  std::int64_t bias_after_seconds = 40;
  std::string listen = "127.0.0.1:9464";
};

std::optional<DemoOptions> parse(const Arguments& arguments, std::FILE* err) {
  DemoOptions options;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    if (i + 1 >= arguments.size()) {
      std::fprintf(err, "fairwatch demo: %s needs a value\n%s", flag.c_str(), kUsage);
      return std::nullopt;
    }
    const std::string& value = arguments[++i];
    try {
      if (flag == "--duration" || flag == "--bias-after") {
        const auto seconds = config::parse_duration_seconds(value);
        if (!seconds) throw std::invalid_argument(value);
        (flag == "--duration" ? options.duration_seconds : options.bias_after_seconds) = *seconds;
      } else if (flag == "--seed") {
        options.seed = std::stoull(value);
      } else if (flag == "--rate") {
        options.rate = std::stod(value);
        if (!(options.rate > 0 && options.rate <= 200'000)) throw std::invalid_argument(value);
      } else if (flag == "--listen") {
        options.listen = value;
      } else {
        std::fprintf(err, "fairwatch demo: unknown option %s\n%s", flag.c_str(), kUsage);
        return std::nullopt;
      }
    } catch (const std::exception&) {
      std::fprintf(err, "fairwatch demo: invalid value for %s: %s\n%s", flag.c_str(), value.c_str(),
                   kUsage);
      return std::nullopt;
    }
  }
  return options;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Produces the synthetic ADM's events at `rate` per second until stopped.
class DemoProducer {
 public:
  DemoProducer(const std::string& bootstraps, const DemoOptions& options, std::int64_t bias_from_ms)
      : options_(options) {
    SyntheticAdmOptions adm;
    adm.seed = options.seed;
    adm.bias.after_time_ms = bias_from_ms;
    adm.anomalies.malformed = 0.002;
    adm.anomalies.duplicate = 0.002;
    adm.anomalies.unknown_group = 0.01;
    adm_ = std::make_unique<SyntheticAdm>(adm);
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string error;
    conf->set("bootstrap.servers", bootstraps, error);
    conf->set("linger.ms", "20", error);
    conf->set("log_level", "3", error);
    producer_.reset(RdKafka::Producer::create(conf.get(), error));  // takes no ownership of conf
  }

  bool ok() const { return producer_ != nullptr; }

  void run(const std::atomic<bool>& stop) {
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    while (!stop.load()) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto due = static_cast<std::uint64_t>(elapsed * options_.rate);
      for (; sent < due && !stop.load(); ++sent) {
        const SyntheticEvent event = adm_->next(now_ms());
        producer_->produce(kTopic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(event.payload.data()), event.payload.size(),
                           event.key.data(), event.key.size(), 0, nullptr);
        producer_->poll(0);
      }
      produced_.store(sent);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    producer_->flush(5000);
  }

  std::uint64_t produced() const { return produced_.load(); }

 private:
  DemoOptions options_;
  std::unique_ptr<SyntheticAdm> adm_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<std::uint64_t> produced_{0};
};

// Renders the live table from each report.
class LiveTable {
 public:
  LiveTable(std::FILE* out, std::int64_t start_ms, std::int64_t bias_from_ms, int metrics_port)
      : out_(out),
        terminal_(isatty(fileno(out)) != 0),
        start_ms_(start_ms),
        bias_from_ms_(bias_from_ms),
        metrics_port_(metrics_port) {}

  void set_metrics_port(int port) { metrics_port_ = port; }

  // Remembers the shown groups' alert states and the transitions to print.
  void alerts(const std::vector<AlertStatus>& statuses, const std::vector<AlertEvent>& events) {
    states_.clear();
    for (const AlertStatus& status : statuses) {
      if (!shown(*status.labels)) continue;
      std::string state = detectors::to_string(status.phase);
      if (status.phase == detectors::AlertPhase::firing) {
        state += std::string(" ") + detectors::to_string(status.severity);
      }
      if (status.phase != detectors::AlertPhase::inactive) states_[status.labels->group] = state;
    }
    for (const AlertEvent& event : events) {
      if (!shown(event.labels)) continue;
      const std::int64_t elapsed_ms = now_ms() - start_ms_;
      char line[256];
      std::snprintf(line, sizeof line, "%02" PRId64 ":%02" PRId64 "  %s %s: %s%s%s (ratio %s)\n",
                    elapsed_ms / 60000, elapsed_ms / 1000 % 60, event.labels.group.c_str(),
                    to_string(event.labels.kind), detectors::to_string(event.transition.change),
                    event.reported() ? " " : "",
                    event.reported() ? detectors::to_string(event.severity) : "",
                    ratio_text(event.evidence.ratio).c_str());
      transitions_.emplace_back(line);
      if (!terminal_) std::fputs(line, out_);  // logs get each line once, as it happens
    }
    if (transitions_.size() > 8) transitions_.erase(transitions_.begin(), transitions_.end() - 8);
  }

  void show(const Report& report, std::uint64_t produced) {
    const auto now = std::chrono::steady_clock::now();
    if (!terminal_ && now - last_ < std::chrono::seconds(10)) return;  // logs stay readable
    last_ = now;
    const std::int64_t elapsed_ms = now_ms() - start_ms_;
    std::string text;
    char line[256];
    if (terminal_) text += "\x1b[H\x1b[2J";
    std::snprintf(line, sizeof line,
                  "fairwatch demo — %02" PRId64 ":%02" PRId64 " elapsed, %" PRIu64
                  " decisions produced, %" PRIu64 " consumed (%" PRIu64 " rejected, %" PRIu64
                  " duplicates)\n",
                  elapsed_ms / 60000, elapsed_ms / 1000 % 60, produced, report.counters.read,
                  report.counters.rejected_total(), report.counters.duplicates);
    text += line;
    const bool biased = now_ms() >= bias_from_ms_;
    std::snprintf(line, sizeof line, "synthetic ADM: %s\nmetrics: http://127.0.0.1:%d/metrics\n\n",
                  biased ? "now selecting women 40% less often at screening"
                         : "unbiased so far (bias starts later)",
                  metrics_port_);
    text += line;
    std::snprintf(line, sizeof line, "%s / %s / %s, last %s\n", kShownSystem, kShownStage,
                  kShownAttribute, kShownWindow);
    text += line;
    std::snprintf(line, sizeof line, "%-12s %10s %8s %24s %-13s %10s  %s\n", "group", "applicants",
                  "rate", "impact ratio (95% CI)", "four-fifths", "p (adj.)", "alert");
    text += line;
    for (const GroupRow& row : report.groups) {
      if (row.system != kShownSystem || row.stage != kShownStage ||
          row.attribute != kShownAttribute || row.window != kShownWindow || row.stratum) {
        continue;
      }
      const auto& s = row.statistics;
      char rate[16] = "-";
      if (s.selection_rate) std::snprintf(rate, sizeof rate, "%.3f", *s.selection_rate);
      char ratio[40] = "-";
      if (s.impact_ratio && s.impact_ratio_interval) {
        std::snprintf(ratio, sizeof ratio, "%.2f (%.2f-%.2f)", *s.impact_ratio,
                      s.impact_ratio_interval->lower, s.impact_ratio_interval->upper);
      } else if (s.impact_ratio) {
        std::snprintf(ratio, sizeof ratio, "%.2f", *s.impact_ratio);
      }
      char p[16] = "-";
      if (s.p_value_adjusted) std::snprintf(p, sizeof p, "%.2g", *s.p_value_adjusted);
      const auto state = states_.find(row.group);
      std::snprintf(line, sizeof line, "%-12s %10" PRIu64 " %8s %24s %-13s %10s  %s\n",
                    row.group.c_str(), s.counts.applicants, rate, ratio,
                    row.unknown ? "-" : to_string(s.four_fifths), p,
                    state == states_.end() ? "-" : state->second.c_str());
      text += line;
    }
    if (terminal_) {
      text +=
          "\nalert transitions (adverse impact: ratio < 0.8 and significant, held 15 s of "
          "event time; clears above 0.85):\n";
      if (transitions_.empty()) text += "  none yet\n";
      for (const std::string& transition : transitions_) text += "  " + transition;
    }
    text += terminal_ ? "\nCtrl-C stops the demo.\n" : "\n";
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  bool terminal_;
  std::int64_t start_ms_;
  std::int64_t bias_from_ms_;
  int metrics_port_;
  std::chrono::steady_clock::time_point last_{};
  std::map<std::string, std::string> states_;  // group -> "pending", "firing warning", …
  std::vector<std::string> transitions_;       // the latest transition lines

  static bool shown(const AlertLabels& labels) {
    return labels.kind == AlertKind::adverse_impact && labels.system == kShownSystem &&
           labels.stage == kShownStage && labels.attribute == kShownAttribute &&
           labels.window == kShownWindow;
  }
  static std::string ratio_text(const std::optional<double>& ratio) {
    if (!ratio) return "-";
    char text[16];
    std::snprintf(text, sizeof text, "%.2f", *ratio);
    return text;
  }
};

}  // namespace

int run_demo(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  const std::optional<DemoOptions> options = parse(arguments, err);
  if (!options) return 2;
  // Signals go to a waiting thread, never to librdkafka's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto started = EmbeddedKafka::start(3);
  if (auto* error = std::get_if<std::string>(&started)) {
    std::fprintf(err, "fairwatch demo: %s\n", error->c_str());
    return 1;
  }
  EmbeddedKafka& kafka = *std::get<std::unique_ptr<EmbeddedKafka>>(started);
  kafka.create_topic(kTopic, 6);

  config::LoadResult loaded =
      config::load_config_from_string(kLiveDemoConfigYaml, "live-demo.yaml");
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    for (const auto& error : *errors) std::fprintf(err, "%s\n", error.to_string().c_str());
    return 1;
  }
  config::Config config = std::get<config::Config>(std::move(loaded));
  char directory_template[] = "/tmp/fairwatch-demo-XXXXXX";
  if (mkdtemp(directory_template) == nullptr) {
    std::fprintf(err, "fairwatch demo: cannot create a temporary directory\n");
    return 1;
  }
  const std::string directory = directory_template;
  config.checkpoint.path = directory + "/checkpoint";
  config.alerts.audit_log = directory + "/audit.jsonl";  // kept after the demo
  config.exporter.listen = options->listen;
  config.source.kafka = config::KafkaConfig{
      kafka.bootstraps(), kTopic, "fairwatch-demo", {{"session.timeout.ms", "6000"}}, ""};
  // The daemon's log goes to a file so that it does not scroll the table away.
  std::FILE* log_file = std::fopen((directory + "/fairwatchd.log").c_str(), "w");
  if (log_file != nullptr) Log::global().set_output(log_file);

  const std::int64_t start_ms = now_ms();
  const std::int64_t bias_from_ms = start_ms + options->bias_after_seconds * 1000;
  DemoProducer producer(kafka.bootstraps(), *options, bias_from_ms);
  if (!producer.ok()) {
    std::fprintf(err, "fairwatch demo: cannot create the producer\n");
    return 1;
  }
  LiveTable table(out, start_ms, bias_from_ms, 0);
  DaemonOptions daemon_options;
  daemon_options.notify_systemd = false;
  daemon_options.config_text = kLiveDemoConfigYaml;
  daemon_options.on_alerts = [&](const std::vector<AlertStatus>& statuses,
                                 const std::vector<AlertEvent>& events) {
    table.alerts(statuses, events);
  };
  daemon_options.on_report = [&](const Report& report) { table.show(report, producer.produced()); };
  auto shared_config = std::make_shared<const config::Config>(std::move(config));
  auto created = Daemon::create(shared_config, std::move(daemon_options));
  if (auto* error = std::get_if<std::string>(&created)) {
    std::fprintf(err, "fairwatch demo: %s\n", error->c_str());
    if (error->find("9464") != std::string::npos) {
      std::fprintf(err, "  (another process uses the port: try --listen 127.0.0.1:0)\n");
    }
    return 1;
  }
  Daemon& daemon = *std::get<std::unique_ptr<Daemon>>(created);
  table.set_metrics_port(daemon.metrics_port());

  std::atomic<bool> stop{false};
  std::thread producer_thread([&] { producer.run(stop); });
  std::thread signal_thread([&] {
    timespec timeout{1, 0};
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options->duration_seconds);
    while (!stop.load()) {
      if (sigtimedwait(&signals, nullptr, &timeout) > 0 ||
          std::chrono::steady_clock::now() >= deadline) {
        stop.store(true);
        daemon.request_stop();
      }
    }
  });
  const int status = daemon.run();
  stop.store(true);
  producer_thread.join();
  signal_thread.join();
  std::fprintf(
      out,
      "\nThe demo has ended. What you saw: the synthetic screener was fair for %" PRId64
      " s, then selected women 40%% less often;\nfairwatch's impact ratio for women fell "
      "below the four-fifths line (0.8) as the evidence accumulated, and the adverse-impact alert\n"
      "fired once its change detector (or the ratio's confidence sequence) had found the drop and\n"
      "that had held for 15 s of event time.\nDaemon log: %s\n"
      "Alert audit log: %s\n",
      options->bias_after_seconds, (directory + "/fairwatchd.log").c_str(),
      (directory + "/audit.jsonl").c_str());
  Log::global().set_output(stderr);
  if (log_file != nullptr) std::fclose(log_file);
  std::error_code ignored;
  std::filesystem::remove_all(directory + "/checkpoint", ignored);
  return status;
}

}  // namespace fairwatch::daemon
