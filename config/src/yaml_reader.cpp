#include "yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>

namespace fairwatch::config::internal {
namespace {

constexpr std::size_t kMaxQuotedChars = 60;

bool has_position(const YAML::Mark& mark) {
  return mark.line >= 0 && mark.column >= 0;
}

// Where to report a problem about `node`: its own position, else `fallback`.
YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback) {
  if (!node.IsDefined() || node.IsNull()) {
    return fallback;
  }
  const YAML::Mark mark = node.Mark();
  return has_position(mark) ? mark : fallback;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The allowed key closest to `key`, if close enough to be a likely typo.
std::optional<std::string_view> suggestion(std::string_view key,
                                           std::span<const std::string_view> allowed) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 4) + 1;
  for (const std::string_view candidate : allowed) {
    const std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace

const Item* MapItem::find(std::string_view key) const {
  for (const MapEntry& entry : entries_) {
    if (entry.name == key) {
      return &entry.value;
    }
  }
  return nullptr;
}

std::vector<ConfigError> Reader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(errors_);
}

void Reader::error(const YAML::Mark& mark, const std::string& key, std::string message) {
  ConfigError error;
  error.file = file_;
  if (has_position(mark)) {
    error.line = mark.line + 1;
    error.column = mark.column + 1;
  }
  error.key = key;
  error.message = std::move(message);
  errors_.push_back(std::move(error));
}

void Reader::expected(const Item& item, std::string_view what) {
  error(item.mark, item.key, "expected " + std::string(what) + ", got " + describe(item.node));
}

std::optional<MapItem> Reader::map(const Item& item, std::span<const std::string_view> allowed) {
  return read_map(item, &allowed);
}

std::optional<MapItem> Reader::open_map(const Item& item) {
  return read_map(item, nullptr);
}

std::optional<MapItem> Reader::read_map(const Item& item,
                                        const std::span<const std::string_view>* allowed) {
  if (!item.node.IsMap()) {
    expected(item, "a map");
    return std::nullopt;
  }
  MapItem result;
  result.item_ = item;
  for (auto it = item.node.begin(); it != item.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const YAML::Mark key_mark = mark_of(key, item.mark);
    if (!key.IsScalar()) {
      error(key_mark, item.key, "expected a string key, got " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    std::string path = child_key(item.key, name);
    if (allowed != nullptr && std::find(allowed->begin(), allowed->end(), name) == allowed->end()) {
      std::string message = "unknown key; expected one of: " + join(*allowed);
      if (const auto close = suggestion(name, *allowed)) {
        message += " (did you mean \"" + std::string(*close) + "\"?)";
      }
      error(key_mark, path, std::move(message));
      continue;
    }
    const auto previous = std::find_if(result.entries_.begin(), result.entries_.end(),
                                       [&](const MapEntry& entry) { return entry.name == name; });
    if (previous != result.entries_.end()) {
      error(key_mark, path,
            "expected each key once, got it again (first at " + position(previous->key_mark) + ")");
      continue;
    }
    result.entries_.push_back(
        MapEntry{name, key_mark, Item{value, mark_of(value, key_mark), path}});
  }
  return result;
}

const Item* Reader::require(const MapItem& map, std::string_view key, std::string_view what) {
  const Item* value = map.find(key);
  if (value == nullptr) {
    error(map.item().mark, child_key(map.item().key, key),
          "missing required key; expected " + std::string(what));
  }
  return value;
}

std::optional<std::vector<Item>> Reader::list(const Item& item, std::string_view what) {
  if (!item.node.IsSequence()) {
    expected(item, what);
    return std::nullopt;
  }
  std::vector<Item> elements;
  elements.reserve(item.node.size());
  for (std::size_t i = 0; i < item.node.size(); ++i) {
    const YAML::Node element = item.node[i];
    elements.push_back(Item{element, mark_of(element, item.mark), index_key(item.key, i)});
  }
  return elements;
}

std::optional<std::string> Reader::string(const Item& item, std::string_view what) {
  if (!item.node.IsScalar()) {
    expected(item, what);
    return std::nullopt;
  }
  return item.node.Scalar();
}

std::optional<double> Reader::number(const Item& item, std::string_view what,
                                     bool (*valid)(double)) {
  if (item.node.IsScalar()) {
    const std::string& text = item.node.Scalar();
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(text.data(), end, value);
    if (status == std::errc{} && stop == end && std::isfinite(value) &&
        (valid == nullptr || valid(value))) {
      return value;
    }
  }
  expected(item, what);
  return std::nullopt;
}

std::optional<std::int64_t> Reader::integer(const Item& item, std::string_view what,
                                            std::int64_t min, std::int64_t max) {
  if (item.node.IsScalar()) {
    const std::string& text = item.node.Scalar();
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(text.data(), end, value);
    if (status == std::errc{} && stop == end && value >= min && value <= max) {
      return value;
    }
  }
  expected(item, what);
  return std::nullopt;
}

std::optional<std::int64_t> Reader::duration(const Item& item, std::string_view what,
                                             std::int64_t min_seconds) {
  if (item.node.IsScalar()) {
    const auto seconds = parse_duration_seconds(item.node.Scalar());
    if (seconds && *seconds >= min_seconds) {
      return seconds;
    }
  }
  expected(item, what);
  return std::nullopt;
}

std::optional<std::vector<StringItem>> Reader::string_list(const Item& item,
                                                           std::string_view list_what,
                                                           std::string_view element_what,
                                                           std::size_t min_size) {
  const auto elements = list(item, list_what);
  if (!elements) {
    return std::nullopt;
  }
  if (elements->size() < min_size) {
    expected(item, list_what);
    return std::nullopt;
  }
  std::vector<StringItem> values;
  for (const Item& element : *elements) {
    auto value = string(element, element_what);
    if (!value) {
      continue;
    }
    if (value->empty()) {
      expected(element, element_what);
      continue;
    }
    values.push_back(StringItem{std::move(*value), element});
  }
  keep_distinct(values);
  return values;
}

bool Reader::keep_distinct(std::vector<StringItem>& values) {
  std::vector<StringItem> kept;
  kept.reserve(values.size());
  for (StringItem& value : values) {
    const auto first = std::find_if(kept.begin(), kept.end(), [&](const StringItem& other) {
      return other.value == value.value;
    });
    if (first == kept.end()) {
      kept.push_back(std::move(value));
    } else {
      error(value.item.mark, value.item.key,
            "expected each value once, got " + quote(value.value) + " again (first at " +
                position(first->item.mark) + ")");
    }
  }
  const bool distinct = kept.size() == values.size();
  values = std::move(kept);
  return distinct;
}

std::string child_key(std::string_view parent, std::string_view name) {
  if (parent.empty()) {
    return std::string(name);
  }
  std::string key(parent);
  key += '.';
  key += name;
  return key;
}

std::string index_key(std::string_view parent, std::size_t index) {
  return std::string(parent) + '[' + std::to_string(index) + ']';
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined()) {
    return "nothing";
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      if (node.size() == 0) {
        return "an empty list";
      }
      return "a list of " + std::to_string(node.size()) + (node.size() == 1 ? " item" : " items");
    case YAML::NodeType::Map:
      return node.size() == 0 ? "an empty map" : "a map";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string quote(std::string_view text) {
  std::string quoted = "\"";
  const bool shorten = text.size() > kMaxQuotedChars;
  if (shorten) {
    text = text.substr(0, kMaxQuotedChars);
  }
  for (const char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
          quoted += escaped;
        } else {
          quoted += c;
        }
    }
  }
  quoted += shorten ? "\"…" : "\"";
  return quoted;
}

std::string position(const YAML::Mark& mark) {
  if (!has_position(mark)) {
    return "an unknown position";
  }
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

std::string join(std::span<const std::string_view> words) {
  std::string text;
  for (const std::string_view word : words) {
    if (!text.empty()) {
      text += ", ";
    }
    text += word;
  }
  return text;
}

}  // namespace fairwatch::config::internal
