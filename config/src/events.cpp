// The `events` section: where each field sits in an event and how decisions map.
#include <array>
#include <string>
#include <unordered_set>

#include "json_pointer.h"
#include "sections.h"

namespace fairwatch::config::internal {
namespace {

struct FieldSpec {
  std::string_view key;
  std::string FieldPointers::*member;
  bool may_be_disabled;  // "" turns the field off
};

constexpr std::array<FieldSpec, 7> kFields = {{
    {"id", &FieldPointers::id, false},
    {"time", &FieldPointers::time, false},
    {"system", &FieldPointers::system, false},
    {"stage", &FieldPointers::stage, false},
    {"stratum", &FieldPointers::stratum, true},
    {"decision", &FieldPointers::decision, false},
    {"score", &FieldPointers::score, true},
}};

constexpr auto kFieldKeys = [] {
  std::array<std::string_view, kFields.size()> keys{};
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    keys[i] = kFields[i].key;
  }
  return keys;
}();

void read_fields(Reader& reader, const Item& item, FieldPointers& fields) {
  const auto map = reader.map(item, kFieldKeys);
  if (!map) {
    return;
  }
  for (const FieldSpec& spec : kFields) {
    if (const Item* value = map->find(spec.key)) {
      if (auto pointer = read_json_pointer(reader, *value, spec.may_be_disabled)) {
        fields.*spec.member = std::move(*pointer);
      }
    }
  }
}

std::vector<std::string> values_of(const std::vector<StringItem>& items) {
  std::vector<std::string> values;
  values.reserve(items.size());
  for (const StringItem& item : items) {
    values.push_back(item.value);
  }
  return values;
}

// Reads an optional list of distinct non-empty strings into `out`.
void read_list(Reader& reader, const Item& item, std::string_view list_what,
               std::string_view element_what, std::size_t min_size, std::vector<std::string>& out) {
  if (const auto values = reader.string_list(item, list_what, element_what, min_size)) {
    out = values_of(*values);
  }
}

}  // namespace

void read_events(Reader& reader, const Item& item, Config& config) {
  const auto map = reader.map(item, {"fields", "favourable", "unfavourable", "allowed_lateness",
                                     "dedupe_horizon", "dedupe_max_ids", "systems", "stages"});
  if (!map) {
    return;
  }
  EventsConfig& events = config.events;
  if (const Item* fields = map->find("fields")) {
    read_fields(reader, *fields, events.fields);
  }

  if (const Item* value = map->find("favourable")) {
    read_list(reader, *value, "a non-empty list of decision values", "a non-empty decision value",
              1, events.favourable);
  }
  if (const Item* value = map->find("unfavourable")) {
    const auto values = reader.string_list(*value, "a non-empty list of decision values",
                                           "a non-empty decision value", 1);
    if (values) {
      const std::unordered_set<std::string> favourable(events.favourable.begin(),
                                                       events.favourable.end());
      for (const StringItem& decision : *values) {
        if (favourable.count(decision.value) != 0) {
          reader.expected(decision.item, "a decision value not also in events.favourable");
        }
      }
      events.unfavourable = values_of(*values);
    }
  }

  constexpr std::string_view kDuration = "a duration such as 90s, 15m, 1h, 7d or 2w";
  if (const Item* value = map->find("allowed_lateness")) {
    if (const auto seconds = reader.duration(*value, kDuration, 0)) {
      events.allowed_lateness_seconds = *seconds;
    }
  }
  if (const Item* value = map->find("dedupe_horizon")) {
    if (const auto seconds = reader.duration(*value, kDuration, 0)) {
      events.dedupe_horizon_seconds = *seconds;
    }
  }
  if (const Item* value = map->find("dedupe_max_ids")) {
    if (const auto ids =
            reader.integer(*value, "an integer in [1, 1000000000]", 1, 1'000'000'000)) {
      events.dedupe_max_ids = static_cast<std::uint64_t>(*ids);
    }
  }
  if (const Item* value = map->find("systems")) {
    read_list(reader, *value, "a list of system names", "a non-empty system name", 0,
              events.systems);
  }
  if (const Item* value = map->find("stages")) {
    read_list(reader, *value, "a list of stage names", "a non-empty stage name", 0, events.stages);
  }
}

}  // namespace fairwatch::config::internal
