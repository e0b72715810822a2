#include "fairwatch/daemon/daemon.h"

#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/alert_evaluator.h"
#include "fairwatch/daemon/audit_log.h"
#include "fairwatch/daemon/baseline.h"
#include "fairwatch/daemon/checkpoint.h"
#include "fairwatch/daemon/drift_monitor.h"
#include "fairwatch/daemon/drift_report.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/exporter.h"
#include "fairwatch/daemon/log.h"
#include "fairwatch/daemon/source_factories.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

using Clock = std::chrono::steady_clock;

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The SHA-256 of the config file's bytes, or of `text` without a file.
std::string config_digest(const std::string& path, const std::string& text) {
  if (path.empty()) return sha256_hex(text);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return sha256_hex(bytes);
}

}  // namespace

class Daemon::Impl : public PartitionListener {
 public:
  Impl(std::shared_ptr<const config::Config> config, DaemonOptions options)
      : config_(std::move(config)),
        options_(std::move(options)),
        engine_(std::make_unique<Engine>(*config_)),
        alerts_(*config_) {}

  std::string start() {
    if (std::string error = open_drift(); !error.empty()) return error;
    if (std::string error = restore(); !error.empty()) return error;
    audit_context_ = {config_.get(), config_digest(options_.config_path, options_.config_text)};
    if (const std::string path = config::audit_log_path(*config_); !path.empty()) {
      auto audit = AuditLog::open(path);
      if (auto* error = std::get_if<std::string>(&audit)) {
        return "cannot open the audit log: " + *error;
      }
      audit_ = std::move(std::get<std::unique_ptr<AuditLog>>(audit));
    }
    auto exporter = Exporter::start(*config_);
    if (auto* error = std::get_if<std::string>(&exporter)) {
      return "cannot serve metrics on " + config_->exporter.listen + ": " + *error;
    }
    exporter_ = std::move(std::get<std::unique_ptr<Exporter>>(exporter));
    exporter_->set_ready(false, "starting");
    auto make_source = options_.make_source ? options_.make_source : make_default_source;
    auto source = make_source(*config_, *this);
    if (auto* error = std::get_if<std::string>(&source)) return *error;
    source_ = std::move(std::get<std::unique_ptr<EventSource>>(source));
    auto make_dead_letter =
        options_.make_dead_letter ? options_.make_dead_letter : make_default_dead_letter;
    auto dead_letter = make_dead_letter(*config_);
    if (auto* error = std::get_if<std::string>(&dead_letter)) return *error;
    dead_letter_ = std::move(std::get<std::unique_ptr<DeadLetterSink>>(dead_letter));
    positions_.topic = source_->topic();
    return "";
  }

  int run() {
    Log& log = Log::global();
    log.info("fairwatchd started", {{"metrics_port", static_cast<std::int64_t>(exporter_->port())},
                                    {"topic", std::string_view(positions_.topic)},
                                    {"checkpoint", std::string_view(config_->checkpoint.path)}});
    notify("READY=1\nSTATUS=consuming");
    std::uint64_t watchdog_usec = 0;
    const bool watchdog =
        options_.notify_systemd && sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0;
    auto last_watchdog = Clock::now();
    auto last_publish = Clock::time_point{};
    last_checkpoint_ = Clock::now();
    int exit_status = 0;

    const EventSource::Handler handler = [this](const SourceMessage& message) { consume(message); };
    while (!stop_.load()) {
      if (reload_.exchange(false)) reload();
      const std::uint64_t read_before = engine_->counters().read;
      const PollStatus status = source_->poll(std::chrono::milliseconds(100), 10'000, handler);
      if (engine_->counters().read != read_before) last_event_received_ms_ = unix_ms_now();
      if (status == PollStatus::fatal) {
        log.error("fatal Kafka error: stopping",
                  {{"error", std::string_view(source_->fatal_error())}});
        exit_status = 1;
        break;
      }
      if (status == PollStatus::finished) break;
      const auto now = Clock::now();
      if (now - last_publish >= options_.publish_interval) {
        publish();
        last_publish = now;
      }
      if (now - last_checkpoint_ >= std::chrono::seconds(config_->checkpoint.interval_seconds)) {
        checkpoint_and_commit("interval");
      }
      if (watchdog && now - last_watchdog >= std::chrono::microseconds(watchdog_usec / 2)) {
        notify("WATCHDOG=1");
        last_watchdog = now;
      }
    }
    notify("STOPPING=1\nSTATUS=stopping");
    exporter_->set_ready(false, "stopping");
    checkpoint_and_commit("shutdown");
    source_->close();  // revokes (on_revoked checkpoints again if needed) and leaves the group
    if (dead_letter_ && !dead_letter_->flush(std::chrono::seconds(10))) {
      log.warning("dead-letter copies still undelivered at shutdown");
    }
    publish();
    log.info("fairwatchd stopped",
             {{"exit_status", static_cast<std::int64_t>(exit_status)},
              {"events", static_cast<std::int64_t>(engine_->counters().read)}});
    return exit_status;
  }

  void request_stop() { stop_.store(true); }
  void request_reload() { reload_.store(true); }
  int metrics_port() const { return exporter_->port(); }

  // PartitionListener
  std::vector<std::optional<std::int64_t>> on_assigned(
      std::span<const std::int32_t> partitions) override {
    ++rebalances_;
    std::vector<std::optional<std::int64_t>> offsets;
    for (const std::int32_t partition : partitions) {
      const auto it = next_offsets_.find(partition);
      if (it != next_offsets_.end()) {
        offsets.emplace_back(it->second);
      } else if (discarded_) {
        // The state was discarded: rebuild it from every retained event.
        offsets.emplace_back(kStartFromBeginning);
      } else {
        offsets.emplace_back(std::nullopt);
      }
    }
    Log::global().info("partitions assigned",
                       {{"count", static_cast<std::int64_t>(partitions.size())}});
    return offsets;
  }

  void on_revoked(std::span<const std::int32_t> partitions) override {
    ++rebalances_;
    Log::global().info("partitions revoked",
                       {{"count", static_cast<std::int64_t>(partitions.size())}});
    checkpoint_and_commit("revoke");
  }

 private:
  // With drift.baseline set: reads the baseline and attaches a drift monitor
  // to the engine. An unreadable or mismatched baseline refuses the start.
  std::string open_drift() {
    if (config_->drift.baseline.empty()) return "";
    auto loaded = load_baseline(*config_);
    if (auto* error = std::get_if<std::string>(&loaded)) return *error;
    baseline_ = std::make_unique<Baseline>(std::get<Baseline>(std::move(loaded)));
    drift_ = std::make_unique<DriftMonitor>(*config_);
    engine_->set_drift_monitor(drift_.get());
    return "";
  }

  // The baseline config.drift.baseline names, checked against the config.
  static std::variant<Baseline, std::string> load_baseline(const config::Config& config) {
    auto loaded = read_comparable_baseline(config.drift.baseline, config);
    if (auto* error = std::get_if<std::string>(&loaded)) return "drift.baseline: " + *error;
    return loaded;
  }

  // Recomputes the drift statistics every drift.interval: exports them and
  // evaluates the drift alerts.
  void evaluate_drift() {
    if (!drift_ || Clock::now() < next_drift_) return;
    next_drift_ = Clock::now() + std::chrono::seconds(config_->drift.interval_seconds);
    const std::vector<DriftRow> rows =
        build_drift_rows(*engine_, *drift_, *baseline_, std::nullopt);
    exporter_->publish_drift(rows, config_->statistics.min_group_size);
    const std::vector<AlertEvent> events =
        alerts_.evaluate_drift(rows, engine_->watermark_ms(), unix_ms_now());
    if (!events.empty()) report_alerts(events);
  }

  std::string restore() {
    CheckpointLoadResult loaded = read_checkpoint(config_->checkpoint.path, *engine_);
    Log& log = Log::global();
    const std::string topic = config_->source.kafka ? config_->source.kafka->topic : "";
    if (loaded.status == CheckpointLoad::loaded && !loaded.positions.topic.empty() &&
        !topic.empty() && loaded.positions.topic != topic) {
      // Positions in another topic mean nothing here: treat it as a shape change.
      loaded.status = CheckpointLoad::incompatible;
      loaded.detail = "source.kafka.topic: " + loaded.positions.topic + " → " + topic;
      engine_ = std::make_unique<Engine>(*config_);
      if (drift_) {
        drift_ = std::make_unique<DriftMonitor>(*config_);
        engine_->set_drift_monitor(drift_.get());
      }
    }
    switch (loaded.status) {
      case CheckpointLoad::loaded:
        for (const PartitionOffset& p : loaded.positions.partitions) {
          next_offsets_[p.partition] = p.next_offset;
        }
        alerts_.restore(loaded.alerts);
        if (!loaded.sequential_state.empty()) {
          detectors::StateReader reader(loaded.sequential_state);
          if (!alerts_.sequential().restore_state(reader) || reader.remaining() != 0) {
            // Derived state only: the periods start again from the restored counts.
            log.warning(
                "checkpoint: confidence-sequence state unreadable; monitoring periods "
                "restart");
          }
        }
        if (drift_ && !loaded.drift_state.empty()) {
          auto restored = std::make_unique<DriftMonitor>(*config_);
          detectors::StateReader reader(loaded.drift_state);
          if (restored->restore_state(reader) && reader.remaining() == 0) {
            drift_ = std::move(restored);
            engine_->set_drift_monitor(drift_.get());
          } else {
            // Derived state only: drift windows fill again from new events.
            log.warning(
                "checkpoint: drift state of another shape or unreadable; drift "
                "windows start empty");
          }
        }
        log.info("checkpoint restored",
                 {{"partitions", static_cast<std::int64_t>(next_offsets_.size())},
                  {"events", static_cast<std::int64_t>(engine_->counters().read)}});
        return "";
      case CheckpointLoad::not_found:
        log.info("no checkpoint: starting empty",
                 {{"path", std::string_view(config_->checkpoint.path)}});
        return "";
      case CheckpointLoad::incompatible:
        if (config_->checkpoint.on_config_change == config::OnConfigChange::discard) {
          return discard_checkpoint(loaded.detail);
        }
        return "the checkpoint in " + config_->checkpoint.path +
               " was written under another state shape (" + loaded.detail +
               "); restore the previous config, or set checkpoint.on_config_change: discard to "
               "start empty and re-read the retained events";
      case CheckpointLoad::corrupt:
        return "the checkpoint in " + config_->checkpoint.path + " is unreadable (" +
               loaded.detail + "); move it away to start empty";
    }
    return "";
  }

  std::string discard_checkpoint(const std::string& detail) {
    const std::string file = config_->checkpoint.path + "/" + kCheckpointFileName;
    if (std::rename(file.c_str(), (file + ".discarded").c_str()) != 0) {
      return "cannot move the incompatible checkpoint " + file + " aside: " + std::strerror(errno);
    }
    discarded_ = true;
    Log::global().warning("incompatible checkpoint discarded; re-reading retained events",
                          {{"detail", std::string_view(detail)}});
    return "";
  }

  void consume(const SourceMessage& message) {
    next_offsets_[message.partition] = message.offset + 1;
    const OfferResult result = engine_->offer(message.payload);
    if (result.outcome != Outcome::rejected) return;
    if (dead_letter_) dead_letter_->send(message, result.reason);
    Log::global().write_limited(to_string(result.reason), std::chrono::seconds(10),
                                LogLevel::warning, "event rejected",
                                {{"reason", std::string_view(to_string(result.reason))},
                                 {"field", result.field},
                                 {"partition", static_cast<std::int64_t>(message.partition)},
                                 {"offset", message.offset}});
  }

  void checkpoint_and_commit(const char* why) {
    last_checkpoint_ = Clock::now();
    positions_.partitions.clear();
    for (const auto& [partition, offset] : next_offsets_) {
      positions_.partitions.push_back({partition, offset});
    }
    // Every transition the checkpoint reflects is durable in the audit log first.
    if (audit_) {
      if (const std::string error = audit_->sync(); !error.empty()) {
        Log::global().write_limited("audit.sync", std::chrono::seconds(30), LogLevel::error,
                                    "audit log sync failed", {{"error", std::string_view(error)}});
      }
    }
    const std::string error =
        write_checkpoint(config_->checkpoint.path, *engine_, positions_, checkpoint_extras());
    if (!error.empty()) {
      ++checkpoint_failures_;
      ++consecutive_checkpoint_failures_;
      Log::global().write_limited(
          "checkpoint", std::chrono::seconds(30), LogLevel::error, "checkpoint failed",
          {{"error", std::string_view(error)}, {"why", std::string_view(why)}});
      return;
    }
    checkpoint_success_seconds_ = unix_seconds_now();
    consecutive_checkpoint_failures_ = 0;
    // Only partitions still assigned can be committed by this member.
    std::vector<PartitionOffset> owned;
    for (const std::int32_t partition : source_->assignment()) {
      const auto it = next_offsets_.find(partition);
      if (it != next_offsets_.end()) owned.push_back({partition, it->second});
    }
    if (!owned.empty() && !source_->commit(owned)) ++commit_failures_;
  }

  void publish() {
    const Report report = build_report(*engine_, {});
    exporter_->publish_statistics(report, *engine_);
    const SourceHealth health = source_->health();
    OperationalSnapshot snapshot;
    snapshot.kafka_connected = health.connected;
    snapshot.consumer_lag_messages = health.lag_messages;
    snapshot.topic = positions_.topic;
    snapshot.assigned_partitions = health.assigned_partitions;
    if (engine_->watermark_ms() != INT64_MIN) {
      snapshot.last_event_timestamp_seconds = static_cast<double>(engine_->watermark_ms()) / 1000.0;
    }
    snapshot.checkpoint_last_success_timestamp_seconds = checkpoint_success_seconds_;
    snapshot.checkpoint_failures_total = checkpoint_failures_;
    snapshot.config_reloads_total = reloads_;
    snapshot.config_reload_failures_total = reload_failures_;
    snapshot.rebalances_total = rebalances_;
    snapshot.dead_letter_failures_total = dead_letter_ ? dead_letter_->failures() : 0;
    evaluate_alerts(report, health);
    evaluate_drift();
    snapshot.alert_audit_failures_total = audit_failures_;
    exporter_->publish_operations(snapshot);
    update_readiness(health);
    if (options_.on_report) options_.on_report(report);
    char status[160];
    std::snprintf(status, sizeof status, "STATUS=consuming: %" PRIu64 " events, %zu partitions",
                  engine_->counters().read, health.assigned_partitions);
    notify(status);
  }

  // What the checkpoint saves besides the engine and the positions.
  CheckpointExtras checkpoint_extras() const {
    CheckpointExtras extras;
    extras.alerts = alerts_.save();
    detectors::StateWriter writer;
    alerts_.sequential().save_state(writer);
    extras.sequential_state = writer.release();
    if (drift_) {
      detectors::StateWriter drift_writer;
      drift_->save_state(drift_writer);
      extras.drift_state = drift_writer.release();
    }
    return extras;
  }

  // Evaluates every alert at this tick, audits and exports the transitions.
  void evaluate_alerts(const Report& report, const SourceHealth& health) {
    const std::int64_t now_ms = unix_ms_now();
    std::vector<AlertEvent> events = alerts_.evaluate_adverse_impact(report, now_ms);
    exporter_->publish_sequential(alerts_.sequential().statuses());
    OperationalInputs inputs;
    inputs.kafka_connected = health.connected;
    inputs.assigned_partitions = health.assigned_partitions;
    inputs.last_event_received_ms = last_event_received_ms_;
    inputs.consumer_lag_messages = health.lag_messages;
    if (checkpoint_success_seconds_) {
      inputs.checkpoint_last_success_ms =
          static_cast<std::int64_t>(*checkpoint_success_seconds_ * 1000.0);
    }
    inputs.started_ms = static_cast<std::int64_t>(started_seconds_ * 1000.0);
    inputs.consecutive_checkpoint_failures = consecutive_checkpoint_failures_;
    std::vector<AlertEvent> operational = alerts_.evaluate_operations(inputs, now_ms);
    events.insert(events.end(), std::make_move_iterator(operational.begin()),
                  std::make_move_iterator(operational.end()));
    report_alerts(events);
  }

  // Logs, audits and exports `events` (and the current statuses).
  void report_alerts(const std::vector<AlertEvent>& events) {
    for (const AlertEvent& event : events) {
      if (!event.reported()) continue;
      Log::global().info(
          "alert transition",
          {{"alert", std::string_view(to_string(event.labels.kind))},
           {"severity", std::string_view(detectors::to_string(event.severity))},
           {"change", std::string_view(detectors::to_string(event.transition.change))},
           {"system", std::string_view(event.labels.system)},
           {"stage", std::string_view(event.labels.stage)},
           {"attribute", std::string_view(event.labels.attribute)},
           {"window", std::string_view(event.labels.window)}});
      if (!audit_) continue;
      if (const std::string error = audit_->append(audit_record(event, audit_context_));
          !error.empty()) {
        ++audit_failures_;
        Log::global().write_limited("audit.append", std::chrono::seconds(30), LogLevel::error,
                                    "audit log write failed", {{"error", std::string_view(error)}});
      }
    }
    const std::vector<AlertStatus> statuses = alerts_.statuses();
    exporter_->publish_alerts(statuses, events);
    if (options_.on_alerts) options_.on_alerts(statuses, events);
  }

  void update_readiness(const SourceHealth& health) {
    const double max_age = static_cast<double>(config_->checkpoint.max_age_seconds);
    const double last = checkpoint_success_seconds_.value_or(started_seconds_);
    std::string reason;
    if (!health.connected) {
      reason = "not connected to Kafka";
    } else if (health.assigned_partitions == 0) {
      reason = "no partitions assigned";
    } else if (unix_seconds_now() - last > max_age) {
      reason = "last successful checkpoint is older than checkpoint.max_age";
    }
    exporter_->set_ready(reason.empty(), reason);
  }

  void reload() {
    Log& log = Log::global();
    if (options_.config_path.empty()) return;
    config::LoadResult loaded = config::load_config_file(options_.config_path);
    if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
      ++reload_failures_;
      for (const config::ConfigError& error : *errors) {
        log.error("config reload rejected", {{"error", std::string_view(error.to_string())}});
      }
      return;
    }
    auto next = std::make_shared<const config::Config>(std::get<config::Config>(std::move(loaded)));
    const char* restart_only = restart_only_change(*next);
    if (restart_only != nullptr) {
      ++reload_failures_;
      log.error("config reload rejected: this change needs a restart; the old config stays",
                {{"section", std::string_view(restart_only)}});
      return;
    }
    std::unique_ptr<Baseline> baseline;
    if (!next->drift.baseline.empty() && next->drift.baseline != config_->drift.baseline) {
      auto read = load_baseline(*next);
      if (auto* error = std::get_if<std::string>(&read)) {
        ++reload_failures_;
        log.error("config reload rejected: the old config stays",
                  {{"error", std::string_view(*error)}});
        return;
      }
      baseline = std::make_unique<Baseline>(std::get<Baseline>(std::move(read)));
    }
    engine_->reload(*next);
    if (baseline) {
      baseline_ = std::move(baseline);
      next_drift_ = {};  // compare with the new baseline at once
    }
    const std::vector<AlertEvent> reset = alerts_.reload(*next, unix_ms_now());
    retired_configs_.push_back(config_);  // the engine referred to it until now
    config_ = std::move(next);
    audit_context_ = {config_.get(), config_digest(options_.config_path, options_.config_text)};
    if (!reset.empty()) report_alerts(reset);
    Log::global().set_level(config_->logging.level);
    ++reloads_;
    log.info("config reloaded", {{"path", std::string_view(options_.config_path)}});
  }

  // The first section whose change cannot be applied to a running daemon, or nullptr.
  const char* restart_only_change(const config::Config& next) const {
    if (state_shape_fingerprint(next) != state_shape_fingerprint(*config_)) {
      return "attributes, intersections, windows, events.fields or scores";
    }
    const auto& a = config_->source.kafka;
    const auto& b = next.source.kafka;
    if (a.has_value() != b.has_value() ||
        (a && (a->brokers != b->brokers || a->topic != b->topic || a->group_id != b->group_id ||
               a->properties != b->properties || a->dead_letter_topic != b->dead_letter_topic))) {
      return "source";
    }
    if (config_->exporter.listen != next.exporter.listen ||
        config_->exporter.score_buckets != next.exporter.score_buckets) {
      return "exporter";
    }
    if (config_->checkpoint.path != next.checkpoint.path) return "checkpoint.path";
    if (config::audit_log_path(*config_) != config::audit_log_path(next)) {
      return "alerts.audit_log";
    }
    if (config_->events.dedupe_horizon_seconds != next.events.dedupe_horizon_seconds) {
      return "events.dedupe_horizon";
    }
    // The drift monitor's shape; a new baseline file is read on reload.
    if (config_->drift.score_edges != next.drift.score_edges ||
        config_->drift.sample_size != next.drift.sample_size ||
        config_->drift.baseline.empty() != next.drift.baseline.empty()) {
      return "drift (score_edges, sample_size, or turning drift.baseline on or off)";
    }
    return nullptr;
  }

  void notify(const char* state) const {
    if (options_.notify_systemd) sd_notify(0, state);
  }

  std::shared_ptr<const config::Config> config_;
  std::vector<std::shared_ptr<const config::Config>> retired_configs_;
  DaemonOptions options_;
  std::unique_ptr<Engine> engine_;
  AlertEvaluator alerts_;
  std::unique_ptr<AuditLog> audit_;  // null when alerts.audit_log is ""
  AuditContext audit_context_;
  std::uint64_t audit_failures_ = 0;
  std::optional<std::int64_t> last_event_received_ms_;  // wall clock
  std::uint64_t consecutive_checkpoint_failures_ = 0;
  std::unique_ptr<Exporter> exporter_;
  std::unique_ptr<EventSource> source_;
  std::unique_ptr<DeadLetterSink> dead_letter_;
  std::map<std::int32_t, std::int64_t> next_offsets_;  // next offset per partition ever consumed
  CheckpointPositions positions_;
  Clock::time_point last_checkpoint_;
  std::unique_ptr<Baseline> baseline_;   // with drift.baseline
  std::unique_ptr<DriftMonitor> drift_;  // with drift.baseline; fed by the engine
  Clock::time_point next_drift_{};       // when the drift statistics are due
  std::optional<double> checkpoint_success_seconds_;
  double started_seconds_ = unix_seconds_now();
  std::uint64_t checkpoint_failures_ = 0;
  std::uint64_t commit_failures_ = 0;
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_failures_ = 0;
  std::uint64_t rebalances_ = 0;
  bool discarded_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reload_{false};
};

Daemon::Daemon() = default;
Daemon::~Daemon() = default;

std::variant<std::unique_ptr<Daemon>, std::string> Daemon::create(
    std::shared_ptr<const config::Config> config, DaemonOptions options) {
  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->impl_ = std::make_unique<Impl>(std::move(config), std::move(options));
  if (std::string error = daemon->impl_->start(); !error.empty()) return error;
  return daemon;
}

int Daemon::run() {
  return impl_->run();
}
void Daemon::request_stop() {
  impl_->request_stop();
}
void Daemon::request_reload() {
  impl_->request_reload();
}
int Daemon::metrics_port() const {
  return impl_->metrics_port();
}

}  // namespace fairwatch::daemon
