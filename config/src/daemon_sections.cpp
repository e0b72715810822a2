// The sections only the daemon uses: `source`, `exporter`, `checkpoint`,
// `logging`.
#include <algorithm>
#include <charconv>
#include <string>

#include "sections.h"

namespace fairwatch::config::internal {
namespace {

// Reads a required non-empty string key of `map` into `out`.
void read_required_string(Reader& reader, const MapItem& map, std::string_view key,
                          std::string_view what, std::string& out) {
  if (const Item* value = reader.require(map, key, what)) {
    if (auto text = reader.string(*value, what)) {
      if (text->empty()) {
        reader.expected(*value, what);
      } else {
        out = *text;
      }
    }
  }
}

void read_optional_string(Reader& reader, const MapItem& map, std::string_view key,
                          std::string_view what, std::string& out) {
  if (const Item* value = map.find(key)) {
    if (auto text = reader.string(*value, what)) {
      if (text->empty()) {
        reader.expected(*value, what);
      } else {
        out = *text;
      }
    }
  }
}

bool valid_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int port = -1;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(begin, end, port);
  return error == std::errc{} && rest == end && begin != end && port >= 0 && port <= 65535;
}

void read_kafka(Reader& reader, const Item& item, Config& config) {
  const auto map =
      reader.map(item, {"brokers", "topic", "group_id", "properties", "dead_letter_topic"});
  if (!map) return;
  KafkaConfig kafka;
  read_required_string(reader, *map, "brokers", "a non-empty list \"host:port,host:port\"",
                       kafka.brokers);
  read_required_string(reader, *map, "topic", "a non-empty topic name", kafka.topic);
  read_optional_string(reader, *map, "group_id", "a non-empty consumer group id", kafka.group_id);
  read_optional_string(reader, *map, "dead_letter_topic", "a non-empty topic name",
                       kafka.dead_letter_topic);
  if (!kafka.dead_letter_topic.empty() && kafka.dead_letter_topic == kafka.topic) {
    reader.expected(*map->find("dead_letter_topic"), "a topic other than source.kafka.topic");
  }
  if (const Item* value = map->find("properties")) {
    if (const auto properties = reader.open_map(*value)) {
      for (const MapEntry& entry : properties->entries()) {
        if (auto text = reader.string(entry.value, "a scalar librdkafka property value")) {
          kafka.properties[entry.name] = *text;
        }
      }
    }
  }
  config.source.kafka = std::move(kafka);
}

}  // namespace

void read_source(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"kafka"});
  if (!map) return;
  if (const Item* kafka = map->find("kafka")) read_kafka(reader, *kafka, config);
}

void read_exporter(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"listen", "score_buckets"});
  if (!map) return;
  if (const Item* value = map->find("listen")) {
    constexpr std::string_view kWhat = "an address host:port with a port in [0, 65535]";
    if (auto text = reader.string(*value, kWhat)) {
      if (valid_listen_address(*text)) {
        config.exporter.listen = *text;
      } else {
        reader.expected(*value, kWhat);
      }
    }
  }
  if (const Item* value = map->find("score_buckets")) {
    if (auto buckets =
            increasing_numbers(reader, *value, "a non-empty list of increasing numbers", 1)) {
      config.exporter.score_buckets = std::move(*buckets);
    }
  }
}

void read_checkpoint(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"path", "interval", "on_config_change", "max_age"});
  if (!map) return;
  read_optional_string(reader, *map, "path", "a non-empty directory path", config.checkpoint.path);
  if (const Item* value = map->find("interval")) {
    if (auto seconds = reader.duration(*value, "a duration of at least 1s, e.g. 10s", 1)) {
      config.checkpoint.interval_seconds = *seconds;
    }
  }
  if (const Item* value = map->find("max_age")) {
    if (auto seconds = reader.duration(*value, "a duration of at least 1s, e.g. 60s", 1)) {
      config.checkpoint.max_age_seconds = *seconds;
    }
  }
  if (const Item* value = map->find("on_config_change")) {
    constexpr std::string_view kWhat = "one of refuse, discard";
    if (auto text = reader.string(*value, kWhat)) {
      if (*text == "refuse") {
        config.checkpoint.on_config_change = OnConfigChange::refuse;
      } else if (*text == "discard") {
        config.checkpoint.on_config_change = OnConfigChange::discard;
      } else {
        reader.expected(*value, kWhat);
      }
    }
  }
  if (config.checkpoint.max_age_seconds < config.checkpoint.interval_seconds) {
    if (const Item* value = map->find("max_age")) {
      reader.expected(*value, "a duration not shorter than checkpoint.interval");
    }
  }
}

void read_logging(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"level"});
  if (!map) return;
  if (const Item* value = map->find("level")) {
    constexpr std::string_view kWhat = "one of debug, info, warning, error";
    if (auto text = reader.string(*value, kWhat)) {
      if (*text == "debug") {
        config.logging.level = LogLevel::debug;
      } else if (*text == "info") {
        config.logging.level = LogLevel::info;
      } else if (*text == "warning") {
        config.logging.level = LogLevel::warning;
      } else if (*text == "error") {
        config.logging.level = LogLevel::error;
      } else {
        reader.expected(*value, kWhat);
      }
    }
  }
}

}  // namespace fairwatch::config::internal
