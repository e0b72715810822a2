#include "fairwatch/daemon/baseline.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <set>
#include <tuple>

#include "fairwatch/daemon/decoder.h"
#include "fairwatch/daemon/drift_monitor.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/json_writer.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/report_format.h"

namespace fairwatch::daemon {
namespace {

// A problem found while reading a baseline: where (a path such as
// "scores[2].sample") and what. Thrown only within parse_baseline().
struct Invalid {
  std::string message;
};

[[noreturn]] void invalid(const std::string& path, const std::string& what) {
  throw Invalid{path.empty() ? what : path + ": " + what};
}

std::string describe_type(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

// Typed access to a JSON document with a path for every message.
class JsonReader {
 public:
  // The object's members, checked against `allowed` (every one of which is required).
  static simdjson::dom::object object(simdjson::dom::element element, const std::string& path,
                                      std::initializer_list<std::string_view> allowed) {
    simdjson::dom::object members;
    if (element.get(members) != simdjson::SUCCESS) {
      invalid(path, "expected an object, got " + describe_type(element));
    }
    for (const auto field : members) {
      if (std::find(allowed.begin(), allowed.end(), field.key) == allowed.end()) {
        invalid(child(path, field.key), "unknown key");
      }
    }
    for (const std::string_view key : allowed) {
      simdjson::dom::element value;
      if (members.at_key(key).get(value) != simdjson::SUCCESS) {
        invalid(child(path, key), "missing");
      }
    }
    return members;
  }

  static std::string child(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  static std::string index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  static std::string_view string(simdjson::dom::element element, const std::string& path) {
    std::string_view text;
    if (element.get(text) != simdjson::SUCCESS || text.empty()) {
      invalid(path, "expected a non-empty string, got " + describe_type(element));
    }
    return text;
  }
  static std::uint64_t count(simdjson::dom::element element, const std::string& path) {
    std::uint64_t value = 0;
    if (element.get(value) != simdjson::SUCCESS) {
      invalid(path, "expected an integer >= 0, got " + describe_type(element));
    }
    return value;
  }
  static double number(simdjson::dom::element element, const std::string& path) {
    double value = 0;
    if (element.get(value) != simdjson::SUCCESS || !std::isfinite(value)) {
      invalid(path, "expected a finite number, got " + describe_type(element));
    }
    return value;
  }
  static simdjson::dom::array array(simdjson::dom::element element, const std::string& path) {
    simdjson::dom::array items;
    if (element.get(items) != simdjson::SUCCESS) {
      invalid(path, "expected an array, got " + describe_type(element));
    }
    return items;
  }
  static std::optional<std::int64_t> time(simdjson::dom::element element, const std::string& path) {
    if (element.is_null()) return std::nullopt;
    const auto time_ms = parse_rfc3339_ms(string(element, path));
    if (!time_ms) invalid(path, "expected an RFC 3339 time or null");
    return time_ms;
  }
};

std::vector<double> read_edges(simdjson::dom::element element) {
  const std::string path = "score_edges";
  std::vector<double> edges;
  std::size_t i = 0;
  for (const auto item : JsonReader::array(element, path)) {
    const double edge = JsonReader::number(item, JsonReader::index(path, i++));
    if (!edges.empty() && edge <= edges.back()) {
      invalid(JsonReader::index(path, i - 1), "expected edges in strictly increasing order");
    }
    edges.push_back(edge);
  }
  if (edges.size() < 2) invalid(path, "expected at least 2 edges");
  return edges;
}

BaselineScores read_scores(simdjson::dom::element element, const std::string& path,
                           const Baseline& baseline) {
  const auto members = JsonReader::object(
      element, path,
      {"system", "stage", "attribute", "group", "applicants", "scored", "histogram", "sample"});
  BaselineScores scores;
  scores.system = JsonReader::string(members["system"], JsonReader::child(path, "system"));
  scores.stage = JsonReader::string(members["stage"], JsonReader::child(path, "stage"));
  scores.attribute = JsonReader::string(members["attribute"], JsonReader::child(path, "attribute"));
  scores.group = JsonReader::string(members["group"], JsonReader::child(path, "group"));
  scores.applicants =
      JsonReader::count(members["applicants"], JsonReader::child(path, "applicants"));
  scores.scored = JsonReader::count(members["scored"], JsonReader::child(path, "scored"));
  if (scores.scored > scores.applicants) {
    invalid(JsonReader::child(path, "scored"),
            "expected at most applicants (" + std::to_string(scores.applicants) + ")");
  }
  const std::string histogram_path = JsonReader::child(path, "histogram");
  std::size_t i = 0;
  for (const auto item : JsonReader::array(members["histogram"], histogram_path)) {
    scores.histogram.push_back(JsonReader::count(item, JsonReader::index(histogram_path, i++)));
  }
  const std::size_t bins = baseline.score_edges.size() - 1;
  if (scores.histogram.size() != bins) {
    invalid(histogram_path, "expected " + std::to_string(bins) +
                                " counts (one per bin of score_edges), got " +
                                std::to_string(scores.histogram.size()));
  }
  const std::uint64_t total =
      std::accumulate(scores.histogram.begin(), scores.histogram.end(), std::uint64_t{0});
  if (total != scores.scored) {
    invalid(histogram_path, "expected counts summing to scored (" + std::to_string(scores.scored) +
                                "), got " + std::to_string(total));
  }
  const std::string sample_path = JsonReader::child(path, "sample");
  i = 0;
  for (const auto item : JsonReader::array(members["sample"], sample_path)) {
    scores.sample.push_back(JsonReader::number(item, JsonReader::index(sample_path, i++)));
  }
  const std::uint64_t expected = std::min(scores.scored, baseline.sample_size);
  if (scores.sample.size() != expected) {
    invalid(sample_path, "expected min(scored, sample_size) = " + std::to_string(expected) +
                             " scores, got " + std::to_string(scores.sample.size()));
  }
  return scores;
}

BaselineMix read_mix(simdjson::dom::element element, const std::string& path) {
  const auto members =
      JsonReader::object(element, path, {"system", "stage", "attribute", "applicants"});
  BaselineMix mix;
  mix.system = JsonReader::string(members["system"], JsonReader::child(path, "system"));
  mix.stage = JsonReader::string(members["stage"], JsonReader::child(path, "stage"));
  mix.attribute = JsonReader::string(members["attribute"], JsonReader::child(path, "attribute"));
  const std::string applicants_path = JsonReader::child(path, "applicants");
  simdjson::dom::object groups;
  if (members["applicants"].get(groups) != simdjson::SUCCESS) {
    invalid(applicants_path, "expected an object of applicants per group");
  }
  for (const auto field : groups) {
    const std::string group_path = JsonReader::child(applicants_path, field.key);
    if (field.key.empty()) invalid(group_path, "expected a non-empty group name");
    for (const auto& [known, count] : mix.applicants) {
      if (known == field.key) invalid(group_path, "group given twice");
    }
    mix.applicants.emplace_back(std::string(field.key), JsonReader::count(field.value, group_path));
  }
  return mix;
}

Baseline read_document(simdjson::dom::element root) {
  const auto members = JsonReader::object(
      root, "", {"format", "version", "score_edges", "sample_size", "period", "scores", "mix"});
  std::string_view format;
  if (members["format"].get(format) != simdjson::SUCCESS || format != kBaselineFormat) {
    invalid("format",
            "expected \"" + std::string(kBaselineFormat) + "\": not a fairwatch baseline file");
  }
  const std::uint64_t version = JsonReader::count(members["version"], "version");
  if (version != kBaselineVersion) {
    invalid("version", "version " + std::to_string(version) +
                           " is not supported (this fairwatch reads version " +
                           std::to_string(kBaselineVersion) + ")");
  }
  Baseline baseline;
  baseline.score_edges = read_edges(members["score_edges"]);
  baseline.sample_size = JsonReader::count(members["sample_size"], "sample_size");
  if (baseline.sample_size == 0) invalid("sample_size", "expected an integer >= 1");
  const auto period =
      JsonReader::object(members["period"], "period", {"first_event", "last_event"});
  baseline.first_event_ms = JsonReader::time(period["first_event"], "period.first_event");
  baseline.last_event_ms = JsonReader::time(period["last_event"], "period.last_event");
  if (baseline.first_event_ms.has_value() != baseline.last_event_ms.has_value() ||
      (baseline.first_event_ms && *baseline.first_event_ms > *baseline.last_event_ms)) {
    invalid("period", "expected first_event <= last_event, both times or both null");
  }
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  std::size_t i = 0;
  for (const auto item : JsonReader::array(members["scores"], "scores")) {
    const std::string path = JsonReader::index("scores", i++);
    BaselineScores scores = read_scores(item, path, baseline);
    if (!seen.emplace(scores.system, scores.stage, scores.attribute, scores.group).second) {
      invalid(path, "the series " + scores.system + "/" + scores.stage + "/" + scores.attribute +
                        "/" + scores.group + " is given twice");
    }
    baseline.scores.push_back(std::move(scores));
  }
  seen.clear();
  i = 0;
  for (const auto item : JsonReader::array(members["mix"], "mix")) {
    const std::string path = JsonReader::index("mix", i++);
    BaselineMix mix = read_mix(item, path);
    if (!seen.emplace(mix.system, mix.stage, mix.attribute, "").second) {
      invalid(path, "the mix of " + mix.system + "/" + mix.stage + "/" + mix.attribute +
                        " is given twice");
    }
    baseline.mixes.push_back(std::move(mix));
  }
  return baseline;
}

// Writes the numbers as one JSON array.
template <typename Number>
void write_numbers(JsonWriter& json, const std::vector<Number>& numbers) {
  json.begin_array();
  for (const Number number : numbers) json.value(number);
  json.end_array();
}

// The keys naming a series: system, stage, attribute.
template <typename Series>
void write_series_key(JsonWriter& json, const Series& series) {
  json.key("system").value(series.system);
  json.key("stage").value(series.stage);
  json.key("attribute").value(series.attribute);
}

void write_time(JsonWriter& json, const std::optional<std::int64_t>& time_ms) {
  if (time_ms) {
    json.value(format_rfc3339(*time_ms));
  } else {
    json.null();
  }
}

}  // namespace

const BaselineScores* Baseline::find_scores(std::string_view system, std::string_view stage,
                                            std::string_view attribute,
                                            std::string_view group) const {
  for (const BaselineScores& series : scores) {
    if (series.system == system && series.stage == stage && series.attribute == attribute &&
        series.group == group) {
      return &series;
    }
  }
  return nullptr;
}

const BaselineMix* Baseline::find_mix(std::string_view system, std::string_view stage,
                                      std::string_view attribute) const {
  for (const BaselineMix& mix : mixes) {
    if (mix.system == system && mix.stage == stage && mix.attribute == attribute) return &mix;
  }
  return nullptr;
}

Baseline capture_baseline(const Engine& engine, const DriftMonitor& monitor) {
  Baseline baseline;
  baseline.score_edges = monitor.score_edges();
  baseline.sample_size = monitor.sample_size();
  baseline.first_event_ms = monitor.first_event_ms();
  baseline.last_event_ms = monitor.last_event_ms();
  const std::size_t all = engine.config().windows.size();
  for (const StageState* stage : stages_in_report_order(engine)) {
    for (const AttributeFamily& family : engine.layout().families()) {
      BaselineMix mix{stage->system, stage->stage, family.name, {}};
      for (std::size_t g = 0; g < family.groups.size(); ++g) {
        const std::uint32_t slot = family.first_slot + static_cast<std::uint32_t>(g);
        ScoreDistribution scores =
            monitor.scores(stage->system, stage->stage, all, slot, engine.watermark_ms());
        baseline.scores.push_back({stage->system, stage->stage, family.name, family.groups[g],
                                   stage->all[slot].applicants, scores.scored,
                                   std::move(scores.histogram), std::move(scores.sample)});
        mix.applicants.emplace_back(family.groups[g], stage->all[slot].applicants);
      }
      baseline.mixes.push_back(std::move(mix));
    }
  }
  return baseline;
}

std::string format_baseline(const Baseline& baseline) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("format").value(kBaselineFormat);
  json.key("version").value(kBaselineVersion);
  json.key("score_edges");
  write_numbers(json, baseline.score_edges);
  json.key("sample_size").value(baseline.sample_size);
  json.key("period").begin_object();
  json.key("first_event");
  write_time(json, baseline.first_event_ms);
  json.key("last_event");
  write_time(json, baseline.last_event_ms);
  json.end_object();
  json.key("scores").begin_array();
  for (const BaselineScores& series : baseline.scores) {
    json.begin_object();
    write_series_key(json, series);
    json.key("group").value(series.group);
    json.key("applicants").value(series.applicants);
    json.key("scored").value(series.scored);
    json.key("histogram");
    write_numbers(json, series.histogram);
    json.key("sample");
    write_numbers(json, series.sample);
    json.end_object();
  }
  json.end_array();
  json.key("mix").begin_array();
  for (const BaselineMix& mix : baseline.mixes) {
    json.begin_object();
    write_series_key(json, mix);
    json.key("applicants").begin_object();
    for (const auto& [group, count] : mix.applicants) json.key(group).value(count);
    json.end_object();
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out += '\n';
  return out;
}

std::variant<Baseline, std::string> parse_baseline(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string padded(json);
  if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return std::string("not valid JSON: ") + simdjson::error_message(error);
  }
  try {
    return read_document(root);
  } catch (const Invalid& problem) {
    return problem.message;
  }
}

std::variant<Baseline, std::string> read_baseline_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot read the baseline: " + std::strerror(errno);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return path + ": cannot read the baseline: " + std::strerror(errno);
  auto parsed = parse_baseline(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    return path + ": not a valid baseline: " + *error;
  }
  return parsed;
}

std::optional<std::string> baseline_mismatch(const Baseline& baseline,
                                             const config::Config& config) {
  if (baseline.score_edges == config.drift.score_edges) return std::nullopt;
  auto joined = [](const std::vector<double>& edges) {
    std::string text;
    JsonWriter json(text);
    write_numbers(json, edges);
    return text;
  };
  return "its score_edges " + joined(baseline.score_edges) +
         " differ from the configuration's drift.score_edges " + joined(config.drift.score_edges) +
         "; capture the baseline again with this configuration";
}

std::variant<Baseline, std::string> read_comparable_baseline(const std::string& path,
                                                             const config::Config& config) {
  auto read = read_baseline_file(path);
  if (const auto* baseline = std::get_if<Baseline>(&read)) {
    if (const auto mismatch = baseline_mismatch(*baseline, config)) {
      return path + ": cannot compare with this baseline: " + *mismatch;
    }
  }
  return read;
}

}  // namespace fairwatch::daemon
