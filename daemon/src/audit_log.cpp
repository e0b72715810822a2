#include "fairwatch/daemon/audit_log.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "fairwatch/daemon/json_writer.h"
#include "fairwatch/daemon/report_format.h"

namespace fairwatch::daemon {
namespace {

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

const char* correction_name(config::CorrectionKind kind) {
  switch (kind) {
    case config::CorrectionKind::none:
      return "none";
    case config::CorrectionKind::holm:
      return "holm";
    case config::CorrectionKind::benjamini_hochberg:
      return "benjamini_hochberg";
  }
  return "holm";
}

void write_counts(JsonWriter& json, const detectors::Counts& counts) {
  json.begin_object();
  json.key("applicants").value(counts.applicants);
  json.key("selected").value(counts.selected);
  json.end_object();
}

// {"lower", "upper"}, or null.
void write_interval(JsonWriter& json, const std::optional<detectors::Interval>& interval) {
  if (!interval) {
    json.null();
    return;
  }
  json.begin_object();
  json.key("lower").value(interval->lower);
  json.key("upper").value(interval->upper);
  json.end_object();
}

void write_thresholds(JsonWriter& json, const AlertEvent& event, const config::Config& config) {
  const config::AlertsConfig& alerts = config.alerts;
  json.key("thresholds").begin_object();
  switch (event.labels.kind) {
    case AlertKind::adverse_impact:
      json.key("ratio_below").value(alerts.adverse_impact.ratio_below);
      json.key("clear_above").value(alerts.adverse_impact.clear_above);
      json.key("critical_below").value(alerts.adverse_impact.critical_below);
      json.key("for_seconds").value(alerts.adverse_impact.for_seconds);
      json.key("significance_level").value(1.0 - config.statistics.confidence);
      json.key("min_group_size").value(config.statistics.min_group_size);
      json.key("correction").value(correction_name(config.statistics.correction));
      if (alerts.adverse_impact.method == config::AdverseImpactMethod::confidence_sequence) {
        json.key("method").value("confidence_sequence");
        json.key("change_shift").value(alerts.adverse_impact.change_shift);
        json.key("change_false_alarm_years").value(alerts.adverse_impact.change_false_alarm_years);
      } else {
        json.key("method").value("fixed_window");
      }
      break;
    case AlertKind::events_stale:
      json.key("stale_after_seconds").value(alerts.stale_after_seconds);
      break;
    case AlertKind::kafka_disconnected:
      json.key("for_seconds").value(alerts.kafka_disconnected_for_seconds);
      break;
    case AlertKind::checkpoint_failing:
      json.key("consecutive_failures").value(alerts.checkpoint_failures);
      json.key("max_age_seconds").value(config.checkpoint.max_age_seconds);
      break;
    case AlertKind::consumer_lag_growing:
      json.key("for_seconds").value(alerts.lag_growing_for_seconds);
      json.key("min_messages").value(alerts.lag_growing_min_messages);
      break;
    case AlertKind::drift:
      json.key("psi_above").value(alerts.drift.psi_above);
      json.key("clear_below").value(alerts.drift.clear_below);
      json.key("ks_p_below").value(alerts.drift.ks_p_below);
      json.key("for_seconds").value(alerts.drift.for_seconds);
      json.key("min_group_size").value(config.statistics.min_group_size);
      json.key("baseline").value(config.drift.baseline);
      break;
  }
  json.end_object();
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0xf];
  }
  return text;
}

std::string transition_id(const AlertEvent& event) {
  const AlertLabels& l = event.labels;
  std::string text;
  for (const std::string_view part :
       {std::string_view(to_string(l.kind)), std::string_view(l.system), std::string_view(l.stage),
        std::string_view(l.attribute), std::string_view(l.group), std::string_view(l.window)}) {
    text.append(part);
    text.push_back('\x1f');
  }
  text += std::to_string(event.transition.episode_start_ms);
  text.push_back('\x1f');
  text += detectors::to_string(event.transition.change);
  text.push_back('\x1f');
  text += detectors::to_string(event.severity);
  return sha256_hex(text).substr(0, 32);
}

std::string audit_record(const AlertEvent& event, const AuditContext& context) {
  std::string out;
  JsonWriter json(out);
  const detectors::AlertTransition& t = event.transition;
  json.begin_object();
  json.key("id").value(transition_id(event));
  json.key("wall_time").value(format_rfc3339(event.wall_time_ms));
  json.key("event_time");
  if (event.event_time_ms == INT64_MIN) {
    json.null();
  } else {
    json.value(format_rfc3339(event.event_time_ms));
  }
  json.key("alert").value(to_string(event.labels.kind));
  json.key("severity").value(detectors::to_string(event.severity));
  json.key("change").value(detectors::to_string(t.change));
  json.key("from").value(detectors::to_string(t.from));
  json.key("to").value(event.to_label());
  if (t.from == detectors::AlertPhase::firing) {
    json.key("from_severity").value(detectors::to_string(t.from_severity));
  }
  json.key("labels").begin_object();
  json.key("system").value(event.labels.system);
  json.key("stage").value(event.labels.stage);
  json.key("attribute").value(event.labels.attribute);
  json.key("group").value(event.labels.group);
  json.key("window").value(event.labels.window);
  json.end_object();
  if (event.labels.kind == AlertKind::adverse_impact) {
    const AlertEvidence& e = event.evidence;
    json.key("episode_start").value(format_rfc3339(t.episode_start_ms));
    json.key("ratio").value(e.ratio);
    json.key("interval");
    write_interval(json, e.interval);
    json.key("counts").begin_object();
    json.key("group");
    write_counts(json, e.group);
    json.key("reference_group").value(e.reference_group);
    json.key("reference");
    write_counts(json, e.reference);
    json.end_object();
    json.key("p_values").begin_object();
    json.key("z").value(e.p_value_z);
    json.key("fisher").value(e.p_value_fisher);
    json.key("z_adjusted").value(e.p_value_z_adjusted);
    json.end_object();
    if (context.config->alerts.adverse_impact.method ==
        config::AdverseImpactMethod::confidence_sequence) {
      json.key("sequential").begin_object();
      json.key("confidence_sequence");
      write_interval(json, e.confidence_sequence);
      json.key("confidence_sequence_below_threshold").value(e.confidence_sequence_holds);
      json.key("change_detected").value(e.change_detected);
      json.key("period_group");
      write_counts(json, e.period_group);
      json.key("period_reference");
      write_counts(json, e.period_reference);
      json.end_object();
    }
  } else {
    json.key("detail").value(event.detail);
  }
  write_thresholds(json, event, *context.config);
  json.key("config_sha256").value(context.config_sha256);
  json.end_object();
  return out;
}

std::variant<std::unique_ptr<AuditLog>, std::string> AuditLog::open(const std::string& path) {
  std::error_code error;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  if (error) return "creating " + parent.string() + ": " + error.message();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return "opening " + path + ": " + errno_text(errno);
  return std::unique_ptr<AuditLog>(new AuditLog(fd, path));
}

AuditLog::~AuditLog() {
  ::close(fd_);
}

std::string AuditLog::append(std::string_view record) {
  std::string line(record);
  line.push_back('\n');
  // One write() per record with O_APPEND: a line is never interleaved.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return "writing " + path_ + ": " + errno_text(errno);
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

std::string AuditLog::sync() {
  if (::fsync(fd_) != 0) return "syncing " + path_ + ": " + errno_text(errno);
  return {};
}

}  // namespace fairwatch::daemon
