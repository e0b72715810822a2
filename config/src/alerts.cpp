// The `alerts` section: adverse-impact thresholds and the operational alerts'
// durations, and where the audit log goes.
#include <optional>
#include <string>

#include "sections.h"

namespace fairwatch::config::internal {
namespace {

bool is_ratio(double value) {
  return value > 0.0 && value <= 1.0;
}

void read_optional_duration(Reader& reader, const MapItem& map, std::string_view key,
                            std::string_view what, std::int64_t& out) {
  if (const Item* value = map.find(key)) {
    if (auto seconds = reader.duration(*value, what, 1)) out = *seconds;
  }
}

// Reads a list of configured windows (by name or length) into `out`; `all`
// is accepted only when allow_all.
void read_alert_windows(Reader& reader, const Item& item, const Config& config, bool allow_all,
                        std::vector<std::string>& out) {
  std::string names;
  for (const WindowConfig& window : config.windows) {
    names += (names.empty() ? "" : ", ") + window.name;
  }
  if (allow_all) names += (names.empty() ? "" : ", ") + std::string("all");
  const std::string what = "one of the configured windows (" + names + ")";
  const auto elements = reader.string_list(item, "a non-empty list of configured windows", what, 1);
  if (!elements) return;
  out.clear();
  for (const StringItem& element : *elements) {
    const auto seconds = parse_duration_seconds(element.value);
    std::optional<std::string> match;
    for (const WindowConfig& window : config.windows) {
      if (window.name == element.value || (seconds && *seconds == window.length_seconds)) {
        match = window.name;
      }
    }
    if (allow_all && element.value == "all") match = "all";
    if (!match) {
      reader.expected(element.item, what);
      continue;
    }
    bool repeated = false;
    for (const std::string& name : out) repeated = repeated || name == *match;
    if (repeated) {
      reader.expected(element.item, what + ", each once");
      continue;
    }
    out.push_back(*match);
  }
}

void read_adverse_impact(Reader& reader, const Item& item, const Config& config,
                         AdverseImpactAlertConfig& alert) {
  const auto map = reader.map(item, {"method", "ratio_below", "clear_above", "critical_below",
                                     "for", "windows", "change_shift", "change_false_alarm_years"});
  if (!map) return;
  if (const Item* value = map->find("method")) {
    constexpr std::string_view kWhat = "one of confidence_sequence, fixed_window";
    if (const auto text = reader.string(*value, kWhat)) {
      if (*text == "confidence_sequence") {
        alert.method = AdverseImpactMethod::confidence_sequence;
      } else if (*text == "fixed_window") {
        alert.method = AdverseImpactMethod::fixed_window;
      } else {
        reader.expected(*value, kWhat);
      }
    }
  }
  if (const Item* value = map->find("change_shift")) {
    const auto shift = reader.number(*value, "a number in (0, 1), e.g. 0.8",
                                     [](double v) { return v > 0.0 && v < 1.0; });
    if (shift) alert.change_shift = *shift;
  }
  if (const Item* value = map->find("change_false_alarm_years")) {
    const auto years = reader.number(*value, "a number of years in [0.1, 1000], e.g. 20",
                                     [](double v) { return v >= 0.1 && v <= 1000.0; });
    if (years) alert.change_false_alarm_years = *years;
  }
  bool thresholds_read = true;
  const auto read_ratio = [&](std::string_view key, double& out) {
    if (const Item* value = map->find(key)) {
      const auto ratio = reader.number(*value, "a number in (0, 1]", &is_ratio);
      if (ratio) {
        out = *ratio;
      } else {
        thresholds_read = false;
      }
    }
  };
  read_ratio("ratio_below", alert.ratio_below);
  read_ratio("clear_above", alert.clear_above);
  read_ratio("critical_below", alert.critical_below);
  if (thresholds_read && alert.clear_above < alert.ratio_below) {
    const Item* at = map->find("clear_above") ? map->find("clear_above") : map->find("ratio_below");
    reader.expected(*at, "clear_above >= ratio_below (" + format_number(alert.clear_above) + " < " +
                             format_number(alert.ratio_below) + ")");
  }
  if (thresholds_read && alert.critical_below >= alert.ratio_below) {
    const Item* at =
        map->find("critical_below") ? map->find("critical_below") : map->find("ratio_below");
    reader.expected(*at, "critical_below < ratio_below (" + format_number(alert.critical_below) +
                             " >= " + format_number(alert.ratio_below) + ")");
  }
  read_optional_duration(reader, *map, "for", "a duration of at least 1s, e.g. 15m",
                         alert.for_seconds);
  if (const Item* value = map->find("windows")) {
    read_alert_windows(reader, *value, config, false, alert.windows);
  }
}

void read_drift_alert(Reader& reader, const Item& item, const Config& config,
                      DriftAlertConfig& alert) {
  const auto map = reader.map(item, {"psi_above", "clear_below", "ks_p_below", "for", "windows"});
  if (!map) return;
  const auto positive = [](double v) { return v > 0.0; };
  bool thresholds_read = true;
  if (const Item* value = map->find("psi_above")) {
    const auto psi = reader.number(*value, "a number > 0, e.g. 0.25", positive);
    thresholds_read = psi.has_value();
    if (psi) alert.psi_above = *psi;
  }
  if (const Item* value = map->find("clear_below")) {
    const auto psi = reader.number(*value, "a number > 0, e.g. 0.2", positive);
    thresholds_read = thresholds_read && psi.has_value();
    if (psi) alert.clear_below = *psi;
  }
  if (thresholds_read && alert.clear_below > alert.psi_above) {
    const Item* at = map->find("clear_below") ? map->find("clear_below") : map->find("psi_above");
    reader.expected(*at, "clear_below <= psi_above (" + format_number(alert.clear_below) + " > " +
                             format_number(alert.psi_above) + ")");
  }
  if (const Item* value = map->find("ks_p_below")) {
    const auto p = reader.number(*value, "a probability in (0, 1), e.g. 1e-6",
                                 [](double v) { return v > 0.0 && v < 1.0; });
    if (p) alert.ks_p_below = *p;
  }
  read_optional_duration(reader, *map, "for", "a duration of at least 1s, e.g. 1h",
                         alert.for_seconds);
  if (const Item* value = map->find("windows")) {
    read_alert_windows(reader, *value, config, true, alert.windows);
  }
}

}  // namespace

void read_alerts(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(
      item, {"adverse_impact", "drift", "stale_after", "kafka_disconnected_for", "lag_growing_for",
             "lag_growing_min_messages", "checkpoint_failures", "audit_log"});
  if (!map) return;
  AlertsConfig& alerts = config.alerts;
  if (const Item* value = map->find("adverse_impact")) {
    read_adverse_impact(reader, *value, config, alerts.adverse_impact);
  }
  if (const Item* value = map->find("drift")) {
    read_drift_alert(reader, *value, config, alerts.drift);
  }
  read_optional_duration(reader, *map, "stale_after", "a duration of at least 1s, e.g. 30m",
                         alerts.stale_after_seconds);
  read_optional_duration(reader, *map, "kafka_disconnected_for",
                         "a duration of at least 1s, e.g. 1m",
                         alerts.kafka_disconnected_for_seconds);
  read_optional_duration(reader, *map, "lag_growing_for", "a duration of at least 1s, e.g. 10m",
                         alerts.lag_growing_for_seconds);
  if (const Item* value = map->find("lag_growing_min_messages")) {
    if (auto messages = reader.integer(*value, "an integer >= 0", 0, INT64_MAX)) {
      alerts.lag_growing_min_messages = static_cast<std::uint64_t>(*messages);
    }
  }
  if (const Item* value = map->find("checkpoint_failures")) {
    if (auto failures = reader.integer(*value, "an integer in [1, 1000000]", 1, 1'000'000)) {
      alerts.checkpoint_failures = static_cast<std::uint64_t>(*failures);
    }
  }
  if (const Item* value = map->find("audit_log")) {
    // "" (or null) disables the audit log.
    if (value->node.IsNull()) {
      alerts.audit_log = std::string();
    } else if (auto path = reader.string(*value, "a file path, or \"\" to disable the audit log")) {
      alerts.audit_log = *path;
    }
  }
}

}  // namespace fairwatch::config::internal

namespace fairwatch::config {

std::string audit_log_path(const Config& config) {
  if (config.alerts.audit_log) return *config.alerts.audit_log;
  return config.checkpoint.path + "/audit.jsonl";
}

}  // namespace fairwatch::config
