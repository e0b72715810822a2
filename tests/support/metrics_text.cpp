#include "metrics_text.h"

#include <cstdlib>

namespace fairwatch::testing {
namespace {

// Parses name{labels} at the start of `line`; returns the position after it.
std::size_t parse_series(const std::string& line, std::string& name, Labels& labels) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const std::size_t equals = line.find('=', i);
      const std::string key = line.substr(i, equals - i);
      std::string value;
      std::size_t j = equals + 2;  // after ="
      while (j < line.size() && line[j] != '"') {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value += line[j] == 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
        ++j;
      }
      labels[key] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    ++i;  // '}'
  }
  return i;
}

bool includes(const Labels& labels, const Labels& match) {
  for (const auto& [key, value] : match) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

std::string series_key(const std::string& name, const Labels& labels) {
  std::string key = name;
  if (labels.empty()) return key;
  key += '{';
  bool first = true;
  for (const auto& [label, value] : labels) {
    if (!first) key += ',';
    first = false;
    key += label + "=\"" + value + "\"";
  }
  return key + '}';
}

MetricSamples parse_metrics(const std::string& text) {
  MetricSamples samples;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    std::string name;
    Labels labels;
    const std::size_t after = parse_series(line, name, labels);
    samples.values[series_key(name, labels)] = std::strtod(line.c_str() + after, nullptr);
  }
  return samples;
}

std::optional<double> MetricSamples::get(const std::string& name, const Labels& labels) const {
  const auto it = values.find(series_key(name, labels));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

double MetricSamples::sum(const std::string& name, const Labels& match) const {
  double total = 0;
  for (const auto& [key, value] : values) {
    std::string series_name;
    Labels labels;
    parse_series(key, series_name, labels);
    if (series_name == name && includes(labels, match)) total += value;
  }
  return total;
}

std::size_t MetricSamples::count(const std::string& name, const Labels& match) const {
  std::size_t n = 0;
  for (const auto& [key, value] : values) {
    std::string series_name;
    Labels labels;
    parse_series(key, series_name, labels);
    if (series_name == name && includes(labels, match)) ++n;
  }
  return n;
}

}  // namespace fairwatch::testing
