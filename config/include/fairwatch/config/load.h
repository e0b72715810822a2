// Loading and validating a Config from YAML. Thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fairwatch/config/config.h"

namespace fairwatch::config {

// One validation problem, formatted as `file:line:column: key: message`.
struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string key;  // dotted path, e.g. "statistics.confidence" or "attributes[1].groups"
  std::string message;  // what was expected, e.g. "expected a number in (0, 1), got 1.5"
  std::string to_string() const;
};

// Either a valid Config or every error found (never just the first).
using LoadResult = std::variant<Config, std::vector<ConfigError>>;

// Parses `text` as if read from `file_name` (used in messages only).
LoadResult load_config_from_string(const std::string& text, const std::string& file_name);

// Reads and parses the file at `path`; an unreadable file is one error.
LoadResult load_config_file(const std::string& path);

// Parses a duration such as "90s", "15m", "1h", "7d", "2w" into seconds; nullopt if malformed.
std::optional<std::int64_t> parse_duration_seconds(const std::string& text);

}  // namespace fairwatch::config
