// Reader: typed reading of yaml-cpp nodes for the config loader. Every problem
// is recorded as a ConfigError with its position and dotted key, never thrown
// and never only the first. Internal to fairwatch::config. Not thread-safe:
// one Reader per load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/config/load.h"

namespace fairwatch::config::internal {

// A YAML value together with where to report problems about it.
struct Item {
  YAML::Node node;
  YAML::Mark mark;  // the value's position, or its key's when the value is null
  std::string key;  // dotted path, e.g. "attributes[1].groups[2]"; "" for the document
};

// A scalar read as written, with the item it came from.
struct StringItem {
  std::string value;
  Item item;
};

// One entry of a YAML map.
struct MapEntry {
  std::string name;
  YAML::Mark key_mark;
  Item value;
};

// The entries of a YAML map whose keys have been checked: no duplicates, no
// non-string keys and, unless read with Reader::open_map, only allowed keys.
class MapItem {
 public:
  const Item& item() const { return item_; }
  const std::vector<MapEntry>& entries() const { return entries_; }
  // The value of `key`, or nullptr when absent. Valid while this MapItem lives.
  const Item* find(std::string_view key) const;

 private:
  friend class Reader;
  Item item_;
  std::vector<MapEntry> entries_;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  bool has_errors() const { return !errors_.empty(); }
  // The errors recorded so far, in file order (line, then column).
  std::vector<ConfigError> take_errors();

  // Records `file:line:column: key: message`; a null mark records no position.
  void error(const YAML::Mark& mark, const std::string& key, std::string message);
  // Records "expected <what>, got <what item holds>" at the item.
  void expected(const Item& item, std::string_view what);

  // The item as a map whose keys are all in `allowed`; unknown, duplicate and
  // non-string keys are recorded and left out. nullopt (recorded) if not a map.
  std::optional<MapItem> map(const Item& item, std::span<const std::string_view> allowed);
  std::optional<MapItem> map(const Item& item, std::initializer_list<std::string_view> allowed) {
    return map(item, std::span(allowed.begin(), allowed.size()));
  }
  // As map(), for maps whose keys are data (any string key is allowed).
  std::optional<MapItem> open_map(const Item& item);
  // The value of `key` in `map`; when absent records "missing required key;
  // expected <what>" at the map's position and returns nullptr.
  const Item* require(const MapItem& map, std::string_view key, std::string_view what);

  // The elements of a list, keyed "key[i]"; nullopt (recorded) if not a list.
  std::optional<std::vector<Item>> list(const Item& item, std::string_view what);
  // A scalar as written (`yes`, `40-54` and `1` are strings); nullopt (recorded) otherwise.
  std::optional<std::string> string(const Item& item, std::string_view what);
  // A finite number; nullopt (recorded) if not one or if `valid` rejects it.
  std::optional<double> number(const Item& item, std::string_view what,
                               bool (*valid)(double) = nullptr);
  // A whole number in [min, max]; nullopt (recorded) otherwise.
  std::optional<std::int64_t> integer(const Item& item, std::string_view what, std::int64_t min,
                                      std::int64_t max);
  // A duration (see parse_duration_seconds) of at least `min_seconds`.
  std::optional<std::int64_t> duration(const Item& item, std::string_view what,
                                       std::int64_t min_seconds);
  // A list of at least `min_size` distinct, non-empty scalars; invalid
  // elements are recorded and left out. nullopt (recorded) if not a list.
  std::optional<std::vector<StringItem>> string_list(const Item& item, std::string_view list_what,
                                                     std::string_view element_what,
                                                     std::size_t min_size);
  // Records and removes every element whose value repeats an earlier one;
  // false if there was any.
  bool keep_distinct(std::vector<StringItem>& values);

 private:
  std::optional<MapItem> read_map(const Item& item,
                                  const std::span<const std::string_view>* allowed);

  std::string file_;
  std::vector<ConfigError> errors_;
};

// "a.b" from ("a", "b"); "b" from ("", "b").
std::string child_key(std::string_view parent, std::string_view name);
// "a[3]" from ("a", 3).
std::string index_key(std::string_view parent, std::size_t index);
// What a node holds, for "got …": "\"1.5x\"", "null", "a list of 2 items", "a map".
std::string describe(const YAML::Node& node);
// `text` in double quotes with JSON escapes, shortened when long.
std::string quote(std::string_view text);
// "line 3, column 7" (1-based) for a mark.
std::string position(const YAML::Mark& mark);
// "a, b, c".
std::string join(std::span<const std::string_view> words);

}  // namespace fairwatch::config::internal
