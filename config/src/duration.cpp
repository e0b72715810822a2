#include <charconv>

#include "fairwatch/config/load.h"

namespace fairwatch::config {

std::optional<std::int64_t> parse_duration_seconds(const std::string& text) {
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [unit, error] = std::from_chars(begin, end, value);
  if (error != std::errc{} || unit == begin || value < 0 || end - unit != 1) return std::nullopt;
  std::int64_t multiplier = 0;
  switch (*unit) {
    case 's':
      multiplier = 1;
      break;
    case 'm':
      multiplier = 60;
      break;
    case 'h':
      multiplier = 3600;
      break;
    case 'd':
      multiplier = 86400;
      break;
    case 'w':
      multiplier = std::int64_t{7} * 86400;
      break;
    default:
      return std::nullopt;
  }
  if (value > INT64_MAX / multiplier) return std::nullopt;
  return value * multiplier;
}

std::string ConfigError::to_string() const {
  std::string text = file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  text += ": ";
  if (!key.empty()) text += key + ": ";
  text += message;
  return text;
}

}  // namespace fairwatch::config
