// Parsing of the Prometheus text exposition format for tests: every sample
// line into (metric name, sorted labels) -> value. Comments are skipped.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace fairwatch::testing {

using Labels = std::map<std::string, std::string>;

struct MetricSamples {
  // Key: name{label="value",...} with labels sorted by name.
  std::map<std::string, double> values;

  // The value of `name` with exactly `labels`, if present.
  std::optional<double> get(const std::string& name, const Labels& labels = {}) const;
  // The sum over every series of `name` whose labels include `match`.
  double sum(const std::string& name, const Labels& match = {}) const;
  // Series of `name` whose labels include `match`.
  std::size_t count(const std::string& name, const Labels& match = {}) const;
};

MetricSamples parse_metrics(const std::string& text);

// name{a="x",b="y"} with labels in name order, as the keys of MetricSamples.
std::string series_key(const std::string& name, const Labels& labels);

}  // namespace fairwatch::testing
