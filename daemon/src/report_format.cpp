#include "fairwatch/daemon/report_format.h"

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "fairwatch/daemon/json_writer.h"

namespace fairwatch::daemon {
namespace {

void write_interval(JsonWriter& json, const std::optional<detectors::Interval>& interval) {
  if (!interval) {
    json.null();
    return;
  }
  json.begin_array().value(interval->lower).value(interval->upper).end_array();
}

std::optional<double> p_value_of(const std::optional<detectors::TestResult>& test) {
  if (!test) return std::nullopt;
  return test->p_value;
}

// The columns that identify a row: window, system, stage, attribute.
template <typename Row>
void write_row_key(JsonWriter& json, const Row& row) {
  json.key("window").value(row.window);
  json.key("system").value(row.system);
  json.key("stage").value(row.stage);
  json.key("attribute").value(row.attribute);
}

void write_group(JsonWriter& json, const GroupRow& row) {
  const detectors::GroupStatistics& s = row.statistics;
  json.begin_object();
  write_row_key(json, row);
  json.key("group").value(row.group);
  if (row.stratum) json.key("stratum").value(*row.stratum);
  json.key("applicants").value(s.counts.applicants);
  json.key("selected").value(s.counts.selected);
  json.key("selection_rate").value(s.selection_rate);
  json.key("selection_rate_ci");
  write_interval(json, s.selection_rate_interval);
  json.key("reference_group").value(row.reference_group);
  json.key("impact_ratio").value(s.impact_ratio);
  json.key("impact_ratio_ci");
  write_interval(json, s.impact_ratio_interval);
  json.key("four_fifths");
  if (row.unknown) {
    json.null();
  } else {
    json.value(to_string(s.four_fifths));
  }
  std::optional<double> z;
  std::optional<bool> two_sd;
  if (s.z_test) {
    z = s.z_test->statistic;
    two_sd = detectors::exceeds_two_sd(*s.z_test);
  }
  json.key("z").value(z);
  json.key("p_value_z").value(p_value_of(s.z_test));
  json.key("p_value_fisher").value(s.p_value_fisher);
  json.key("p_value_adjusted").value(s.p_value_adjusted);
  json.key("two_sd").value(two_sd);
  json.key("shortfall").value(s.shortfall);
  json.key("scoring_rate").value(s.scoring_rate);
  json.key("scoring_impact_ratio").value(s.scoring_impact_ratio);
  json.key("scored").value(row.scored);
  json.key("score_mean").value(row.score_mean);
  json.key("score_sd").value(row.score_sd);
  json.key("score_median").value(row.score_median);
  json.key("score_quantiles");
  if (row.score_quantiles.empty()) {
    json.null();
  } else {
    json.begin_object();
    for (std::size_t q = 0; q < row.score_quantiles.size(); ++q) {
      char name[16];
      std::snprintf(name, sizeof name, "%g", ScoreAccumulator::kProbabilities[q]);
      json.key(name).value(row.score_quantiles[q]);
    }
    json.end_object();
  }
  json.end_object();
}

void write_test(JsonWriter& json, const std::optional<detectors::TestResult>& test) {
  if (!test) {
    json.null();
    return;
  }
  json.begin_object();
  json.key("statistic").value(test->statistic);
  json.key("df").value(test->df);
  json.key("p_value").value(test->p_value);
  json.end_object();
}

void write_attribute(JsonWriter& json, const AttributeRow& row) {
  json.begin_object();
  write_row_key(json, row);
  json.key("reference_group").value(row.reference_group);
  json.key("chi_squared");
  write_test(json, row.chi_squared);
  json.key("cmh");
  if (!row.cmh) {
    json.null();
  } else {
    json.begin_object();
    json.key("statistic").value(row.cmh->test.statistic);
    json.key("df").value(row.cmh->test.df);
    json.key("p_value").value(row.cmh->test.p_value);
    json.key("common_odds_ratio").value(row.cmh->common_odds_ratio);
    json.key("common_odds_ratio_ci");
    write_interval(json, row.cmh->common_odds_ratio_interval);
    json.key("strata").value(static_cast<std::uint64_t>(row.cmh->strata));
    json.end_object();
  }
  json.end_object();
}

void write_drift(JsonWriter& json, const DriftRow& row) {
  json.begin_object();
  write_row_key(json, row);
  json.key("group").value(row.group);
  json.key("subject").value(to_string(row.subject));
  json.key("psi").value(row.psi);
  json.key("js_divergence").value(row.js_divergence);
  json.key("ks_statistic").value(row.ks_statistic);
  json.key("ks_p_value").value(row.ks_p_value);
  json.key("baseline_n").value(row.baseline_n);
  json.key("current_n").value(row.current_n);
  json.end_object();
}

// CSV field for an optional number: empty when undefined.
std::string csv_number(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return "";
  std::string out;
  JsonWriter(out).value(*value);
  return out;
}

std::string csv_text(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string fixed(const std::optional<double>& value, int decimals) {
  if (!value || !std::isfinite(*value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, *value);
  return buffer;
}

std::string p_text(const std::optional<double>& value) {
  if (!value) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, *value < 1e-3 ? "%.1e" : "%.3f", *value);
  return buffer;
}

}  // namespace

std::string format_rfc3339(std::int64_t time_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds{time_ms}};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> clock{time - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long>(clock.hours().count()),
                static_cast<long>(clock.minutes().count()),
                static_cast<long>(clock.seconds().count()),
                static_cast<long>(clock.subseconds().count()));
  return buffer;
}

std::string format_json(const Report& report) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("as_of");
  if (report.watermark_ms == INT64_MIN) {
    json.null();
  } else {
    json.value(format_rfc3339(report.watermark_ms));
  }
  json.key("events").begin_object();
  json.key("read").value(report.counters.read);
  json.key("accepted").value(report.counters.accepted);
  json.key("rejected").begin_object();
  for (const RejectReason reason : kAllRejectReasons) {
    json.key(to_string(reason)).value(report.counters.rejected[static_cast<std::size_t>(reason)]);
  }
  json.end_object();
  json.key("duplicates").value(report.counters.duplicates);
  json.key("late").value(report.counters.late);
  json.key("unknown").begin_object();
  for (std::size_t f = 0; f < report.families.size(); ++f) {
    json.key(report.families[f]).value(report.counters.unknown[f]);
  }
  json.end_object();
  json.end_object();
  json.key("groups").begin_array();
  for (const GroupRow& row : report.groups) write_group(json, row);
  json.end_array();
  json.key("attributes").begin_array();
  for (const AttributeRow& row : report.attributes) write_attribute(json, row);
  json.end_array();
  if (report.drift) {
    json.key("drift").begin_array();
    for (const DriftRow& row : *report.drift) write_drift(json, row);
    json.end_array();
  }
  json.end_object();
  out += '\n';
  return out;
}

std::string format_csv(const Report& report) {
  std::string out =
      "window,system,stage,attribute,group,stratum,applicants,selected,selection_rate,"
      "selection_rate_lower,selection_rate_upper,reference_group,impact_ratio,impact_ratio_lower,"
      "impact_ratio_upper,four_fifths,z,p_value_z,p_value_fisher,p_value_adjusted,two_sd,"
      "shortfall,scoring_rate,scoring_impact_ratio\n";
  for (const GroupRow& row : report.groups) {
    const detectors::GroupStatistics& s = row.statistics;
    std::vector<std::string> fields = {
        csv_text(row.window),
        csv_text(row.system),
        csv_text(row.stage),
        csv_text(row.attribute),
        csv_text(row.group),
        csv_text(row.stratum.value_or("")),
        std::to_string(s.counts.applicants),
        std::to_string(s.counts.selected),
        csv_number(s.selection_rate),
        csv_number(s.selection_rate_interval ? std::optional(s.selection_rate_interval->lower)
                                             : std::nullopt),
        csv_number(s.selection_rate_interval ? std::optional(s.selection_rate_interval->upper)
                                             : std::nullopt),
        csv_text(row.reference_group.value_or("")),
        csv_number(s.impact_ratio),
        csv_number(s.impact_ratio_interval ? std::optional(s.impact_ratio_interval->lower)
                                           : std::nullopt),
        csv_number(s.impact_ratio_interval ? std::optional(s.impact_ratio_interval->upper)
                                           : std::nullopt),
        row.unknown ? "" : to_string(s.four_fifths),
        csv_number(s.z_test ? std::optional(s.z_test->statistic) : std::nullopt),
        csv_number(p_value_of(s.z_test)),
        csv_number(s.p_value_fisher),
        csv_number(s.p_value_adjusted),
        s.z_test ? (detectors::exceeds_two_sd(*s.z_test) ? "true" : "false") : "",
        s.shortfall ? std::to_string(*s.shortfall) : "",
        csv_number(s.scoring_rate),
        csv_number(s.scoring_impact_ratio)};
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      out += fields[i];
    }
    out += '\n';
  }
  return out;
}

std::string format_table(const Report& report) {
  std::string out;
  char line[512];
  std::snprintf(
      line, sizeof line,
      "events: %" PRIu64 " read, %" PRIu64 " accepted, %" PRIu64 " rejected, %" PRIu64
      " duplicates, %" PRIu64 " late; as of %s\n",
      report.counters.read, report.counters.accepted, report.counters.rejected_total(),
      report.counters.duplicates, report.counters.late,
      report.watermark_ms == INT64_MIN ? "-" : format_rfc3339(report.watermark_ms).c_str());
  out += line;
  std::size_t attribute_index = 0;
  std::string current;
  for (const GroupRow& row : report.groups) {
    const std::string heading = row.window + " | " + row.system + " | " + row.stage + " | " +
                                row.attribute + (row.stratum ? " | stratum " + *row.stratum : "");
    if (heading != current) {
      current = heading;
      out += "\n== " + heading;
      // Attribute rows are in the same order as the (non-stratum) group blocks.
      if (!row.stratum && attribute_index < report.attributes.size()) {
        const AttributeRow& attribute = report.attributes[attribute_index++];
        out += "  (chi2 p " + p_text(p_value_of(attribute.chi_squared));
        if (attribute.cmh) out += ", CMH p " + p_text(attribute.cmh->test.p_value);
        out += ")";
      }
      out += "\n";
      std::snprintf(line, sizeof line, "%-22s %10s %9s %6s %-15s %6s %-15s %-12s %9s %9s\n",
                    "group", "applicants", "selected", "rate", "rate 95% CI", "ratio",
                    "ratio 95% CI", "four-fifths", "p (adj)", "shortfall");
      out += line;
    }
    const detectors::GroupStatistics& s = row.statistics;
    const std::string rate_ci = s.selection_rate_interval
                                    ? fixed(s.selection_rate_interval->lower, 3) + "-" +
                                          fixed(s.selection_rate_interval->upper, 3)
                                    : "-";
    const std::string ratio_ci = s.impact_ratio_interval
                                     ? fixed(s.impact_ratio_interval->lower, 3) + "-" +
                                           fixed(s.impact_ratio_interval->upper, 3)
                                     : "-";
    std::snprintf(line, sizeof line,
                  "%-22s %10" PRIu64 " %9" PRIu64 " %6s %-15s %6s %-15s %-12s %9s %9s\n",
                  row.group.c_str(), s.counts.applicants, s.counts.selected,
                  fixed(s.selection_rate, 3).c_str(), rate_ci.c_str(),
                  fixed(s.impact_ratio, 3).c_str(), ratio_ci.c_str(),
                  row.unknown ? "-" : to_string(s.four_fifths), p_text(s.p_value_adjusted).c_str(),
                  s.shortfall ? std::to_string(*s.shortfall).c_str() : "-");
    out += line;
  }
  return out;
}

}  // namespace fairwatch::daemon
