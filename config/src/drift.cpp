// The `drift` section: score bin edges, sample size and baseline file for
// drift against a baseline; and the list-of-increasing-numbers reader it
// shares with `exporter.score_buckets`.
#include <string>

#include "sections.h"

namespace fairwatch::config::internal {

std::optional<std::vector<double>> increasing_numbers(Reader& reader, const Item& item,
                                                      std::string_view what, std::size_t min_size) {
  const auto items = reader.list(item, what);
  if (!items) return std::nullopt;
  std::vector<double> numbers;
  bool valid = true;
  for (const Item& element : *items) {
    const auto number = reader.number(element, "a number");
    if (!number) {
      valid = false;
      continue;
    }
    if (!numbers.empty() && *number <= numbers.back()) {
      reader.expected(element, "a number greater than the previous one (" +
                                   format_number(numbers.back()) + ")");
      valid = false;
    }
    numbers.push_back(*number);
  }
  if (items->size() < min_size) {
    reader.expected(item, what);
    valid = false;
  }
  if (!valid) return std::nullopt;
  return numbers;
}

void read_drift(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"score_edges", "sample_size", "baseline", "interval"});
  if (!map) return;
  DriftConfig& drift = config.drift;
  if (const Item* value = map->find("score_edges")) {
    if (auto edges = increasing_numbers(reader, *value,
                                        "a list of at least 2 strictly increasing numbers", 2)) {
      drift.score_edges = std::move(*edges);
    }
  }
  if (const Item* value = map->find("sample_size")) {
    const std::string what = "an integer in [" + std::to_string(DriftConfig::kMinSampleSize) +
                             ", " + std::to_string(DriftConfig::kMaxSampleSize) + "]";
    if (const auto size =
            reader.integer(*value, what, static_cast<std::int64_t>(DriftConfig::kMinSampleSize),
                           static_cast<std::int64_t>(DriftConfig::kMaxSampleSize))) {
      drift.sample_size = static_cast<std::uint64_t>(*size);
    }
  }
  if (const Item* value = map->find("baseline")) {
    constexpr std::string_view kWhat = "a non-empty file path";
    if (auto text = reader.string(*value, kWhat)) {
      if (text->empty()) {
        reader.expected(*value, kWhat);
      } else {
        drift.baseline = *text;
      }
    }
  }
  if (const Item* value = map->find("interval")) {
    if (auto seconds = reader.duration(*value, "a duration of at least 1s, e.g. 1m", 1)) {
      drift.interval_seconds = *seconds;
    }
  }
}

}  // namespace fairwatch::config::internal
