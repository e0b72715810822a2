// The `windows`, `statistics` and `scores` sections: what is computed, over
// which spans of event time.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "sections.h"

namespace fairwatch::config::internal {

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

namespace {

std::string joined_groups(const AttributeConfig& attribute) {
  std::string text;
  for (const std::string& group : attribute.groups) {
    if (!text.empty()) {
      text += ", ";
    }
    text += group;
  }
  return text;
}

void read_reference(Reader& reader, const Item& item, const Config& config,
                    StatisticsConfig& statistics) {
  constexpr std::string_view kWhat = R"("highest" or a map from attribute name to group name)";
  if (item.node.IsScalar()) {
    if (item.node.Scalar() == "highest") {
      statistics.reference = ReferenceKind::highest;
      statistics.reference_groups.clear();
    } else {
      reader.expected(item, kWhat);
    }
    return;
  }
  if (!item.node.IsMap() || item.node.size() == 0) {
    reader.expected(item, kWhat);
    return;
  }
  const auto map = reader.open_map(item);
  if (!map) {
    return;
  }
  statistics.reference = ReferenceKind::named;
  statistics.reference_groups.clear();
  for (const MapEntry& entry : map->entries()) {
    const auto attribute =
        std::find_if(config.attributes.begin(), config.attributes.end(),
                     [&](const AttributeConfig& a) { return a.name == entry.name; });
    if (attribute == config.attributes.end()) {
      reader.error(entry.key_mark, entry.value.key,
                   "expected a configured attribute (" + attribute_names(config) + "), got " +
                       quote(entry.name));
      continue;
    }
    const std::string group_what =
        "one of the groups of \"" + attribute->name + "\" (" + joined_groups(*attribute) + ")";
    const auto group = reader.string(entry.value, group_what);
    if (!group) {
      continue;
    }
    if (std::find(attribute->groups.begin(), attribute->groups.end(), *group) ==
        attribute->groups.end()) {
      reader.expected(entry.value, group_what);
      continue;
    }
    statistics.reference_groups.emplace(entry.name, *group);
  }
}

void read_correction(Reader& reader, const Item& item, StatisticsConfig& statistics) {
  constexpr std::string_view kWhat = "one of none, holm, benjamini_hochberg (or its alias bh)";
  const auto text = reader.string(item, kWhat);
  if (!text) {
    return;
  }
  if (*text == "none") {
    statistics.correction = CorrectionKind::none;
  } else if (*text == "holm") {
    statistics.correction = CorrectionKind::holm;
  } else if (*text == "benjamini_hochberg" || *text == "bh") {
    statistics.correction = CorrectionKind::benjamini_hochberg;
  } else {
    reader.expected(item, kWhat);
  }
}

}  // namespace

void read_windows(Reader& reader, const Item& item, Config& config) {
  constexpr std::string_view kWhat = "a duration > 0 such as 1h, 24h, 7d or 30d";
  const auto elements = reader.list(item, "a list of durations such as [1h, 24h, 7d]");
  if (!elements) {
    return;
  }
  config.windows.clear();
  std::vector<const Item*> sources;
  for (const Item& element : *elements) {
    const auto name = reader.string(element, kWhat);
    if (!name) {
      continue;
    }
    if (*name == "all") {
      reader.expected(element, std::string(kWhat) + R"( ("all" is implicit and reserved))");
      continue;
    }
    const auto seconds = reader.duration(element, kWhat, 1);
    if (!seconds) {
      continue;
    }
    const auto same =
        std::find_if(config.windows.begin(), config.windows.end(),
                     [&](const WindowConfig& window) { return window.length_seconds == *seconds; });
    if (same != config.windows.end()) {
      const Item& first = *sources[same - config.windows.begin()];
      reader.error(element.mark, element.key,
                   "expected windows of distinct lengths, got " + quote(*name) +
                       ", the same length as " + quote(same->name) + " (first at " +
                       position(first.mark) + ")");
      continue;
    }
    config.windows.push_back(WindowConfig{*name, *seconds});
    sources.push_back(&element);
  }
}

void read_statistics(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"reference", "min_group_size", "confidence", "correction"});
  if (!map) {
    return;
  }
  StatisticsConfig& statistics = config.statistics;
  if (const Item* value = map->find("reference")) {
    read_reference(reader, *value, config, statistics);
  }
  if (const Item* value = map->find("min_group_size")) {
    const auto size =
        reader.integer(*value, "an integer >= 0", 0, std::numeric_limits<std::int64_t>::max());
    if (size) {
      statistics.min_group_size = static_cast<std::uint64_t>(*size);
    }
  }
  if (const Item* value = map->find("confidence")) {
    const auto level =
        reader.number(*value, "a number in (0, 1)", [](double v) { return v > 0.0 && v < 1.0; });
    if (level) {
      statistics.confidence = *level;
    }
  }
  if (const Item* value = map->find("correction")) {
    read_correction(reader, *value, statistics);
  }
}

void read_scores(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"min", "max", "bins"});
  if (!map) {
    return;
  }
  ScoresConfig& scores = config.scores;
  const Item* min = map->find("min");
  const Item* max = map->find("max");
  bool bounds_read = true;
  if (min != nullptr) {
    const auto value = reader.number(*min, "a number");
    if (value) {
      scores.min = *value;
    }
    bounds_read = bounds_read && value.has_value();
  }
  if (max != nullptr) {
    const auto value = reader.number(*max, "a number");
    if (value) {
      scores.max = *value;
    }
    bounds_read = bounds_read && value.has_value();
  }
  if (bounds_read && scores.min >= scores.max) {
    if (max != nullptr) {
      reader.expected(*max, "a number greater than scores.min (" + format_number(scores.min) + ")");
    } else {
      reader.expected(*min, "a number less than scores.max (" + format_number(scores.max) + ")");
    }
  }
  if (const Item* value = map->find("bins")) {
    if (const auto bins = reader.integer(*value, "an integer in [1, 10000]", 1, 10000)) {
      scores.bins = static_cast<int>(*bins);
    }
  }
}

}  // namespace fairwatch::config::internal
