// The `attributes` and `intersections` sections: protected attributes, their
// groups, and which attributes are also crossed.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "json_pointer.h"
#include "sections.h"

namespace fairwatch::config::internal {
namespace {

constexpr std::string_view kNameWhat = "a name matching [A-Za-z_][A-Za-z0-9_]*";
constexpr std::string_view kGroupsWhat = "a list of at least 2 group names";
constexpr std::string_view kGroupWhat = "a non-empty group name";

bool is_identifier(std::string_view text) {
  const auto letter = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.empty() || !letter(text.front())) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [&](char c) { return letter(c) || digit(c); });
}

std::vector<std::string> read_groups(Reader& reader, const Item& item) {
  const auto elements = reader.list(item, kGroupsWhat);
  if (!elements) {
    return {};
  }
  if (elements->size() < 2) {
    reader.expected(item, kGroupsWhat);
  }
  std::vector<StringItem> groups;
  for (const Item& element : *elements) {
    auto group = reader.string(element, kGroupWhat);
    if (!group) {
      continue;
    }
    if (group->empty()) {
      reader.expected(element, kGroupWhat);
    } else if (*group == "unknown") {
      reader.expected(
          element, R"(a group name other than "unknown" (reserved for values outside the groups))");
    } else if (group->find('*') != std::string::npos) {
      reader.expected(element, R"(a group name without "*" (reserved for intersections))");
    } else {
      groups.push_back(StringItem{std::move(*group), element});
    }
  }
  reader.keep_distinct(groups);
  std::vector<std::string> values;
  values.reserve(groups.size());
  for (StringItem& group : groups) {
    values.push_back(std::move(group.value));
  }
  return values;
}

}  // namespace

std::string attribute_names(const Config& config) {
  std::vector<std::string_view> names;
  for (const AttributeConfig& attribute : config.attributes) {
    if (!attribute.name.empty() &&
        std::find(names.begin(), names.end(), attribute.name) == names.end()) {
      names.push_back(attribute.name);
    }
  }
  return join(names);
}

void read_attributes(Reader& reader, const Item& item, Config& config) {
  constexpr std::string_view kWhat = "a non-empty list of attributes, each {name, field, groups}";
  const auto elements = reader.list(item, kWhat);
  if (!elements) {
    return;
  }
  if (elements->empty()) {
    reader.expected(item, kWhat);
    return;
  }
  std::vector<StringItem> names;
  for (const Item& element : *elements) {
    const auto map = reader.map(element, {"name", "field", "groups"});
    if (!map) {
      continue;
    }
    AttributeConfig attribute;
    attribute.line = element.mark.line + 1;
    if (const Item* name = reader.require(*map, "name", kNameWhat)) {
      if (auto value = reader.string(*name, kNameWhat)) {
        if (is_identifier(*value)) {
          names.push_back(StringItem{*value, *name});
        } else {
          reader.expected(*name, kNameWhat);
        }
        // Kept even when invalid, so references to it report no second error.
        attribute.name = std::move(*value);
      }
    }
    if (const Item* field = reader.require(*map, "field", R"(a JSON pointer starting with "/")")) {
      if (auto pointer = read_json_pointer(reader, *field, false)) {
        attribute.field = std::move(*pointer);
      }
    }
    if (const Item* groups = reader.require(*map, "groups", kGroupsWhat)) {
      attribute.groups = read_groups(reader, *groups);
    }
    config.attributes.push_back(std::move(attribute));
  }
  reader.keep_distinct(names);
}

void read_intersections(Reader& reader, const Item& item, Config& config) {
  constexpr std::string_view kEntryWhat = "a list of at least 2 attribute names";
  const auto entries =
      reader.list(item, "a list of intersections, each a list of at least 2 attribute names");
  if (!entries) {
    return;
  }
  std::set<std::string, std::less<>> configured;
  for (const AttributeConfig& attribute : config.attributes) {
    configured.insert(attribute.name);
  }
  const std::string attribute_what = "a configured attribute (" + attribute_names(config) + ")";

  std::vector<std::pair<std::set<std::string>, const Item*>> seen;
  for (const Item& entry : *entries) {
    const auto names = reader.list(entry, kEntryWhat);
    if (!names) {
      continue;
    }
    bool valid = names->size() >= 2;
    if (!valid) {
      reader.expected(entry, kEntryWhat);
    }
    std::vector<StringItem> attributes;
    for (const Item& name : *names) {
      auto value = reader.string(name, attribute_what);
      if (!value) {
        valid = false;
      } else if (configured.count(*value) == 0) {
        reader.expected(name, attribute_what);
        valid = false;
      } else {
        attributes.push_back(StringItem{std::move(*value), name});
      }
    }
    if (!reader.keep_distinct(attributes) || !valid) {
      continue;
    }

    std::set<std::string> combination;
    std::vector<std::string> intersection;
    for (const StringItem& attribute : attributes) {
      combination.insert(attribute.value);
      intersection.push_back(attribute.value);
    }
    const auto same = std::find_if(seen.begin(), seen.end(),
                                   [&](const auto& other) { return other.first == combination; });
    if (same != seen.end()) {
      reader.error(entry.mark, entry.key,
                   "expected each intersection once, got the attributes of " + same->second->key +
                       " again (first at " + position(same->second->mark) + ")");
      continue;
    }
    seen.emplace_back(std::move(combination), &entry);
    config.intersections.push_back(std::move(intersection));
  }
}

}  // namespace fairwatch::config::internal
