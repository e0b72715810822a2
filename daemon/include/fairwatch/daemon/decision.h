// Decision: one decoded hiring decision, and the fixed set of reasons an
// event can be rejected for. Value types.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace fairwatch::daemon {

// Why an event was rejected. A fixed enum: its names are metric label values
// (`reason`) and report keys, so adding one is a documented change.
enum class RejectReason : std::uint8_t {
  not_json,           // not a complete, valid JSON document (or not UTF-8)
  too_large,          // more bytes than the decoder accepts
  missing_field,      // a required field (id, time, system, stage, decision) is absent, null or ""
  wrong_type,         // a required field has the wrong JSON type (e.g. system is a number)
  bad_timestamp,      // time is neither RFC 3339 nor epoch seconds, or out of range
  unmapped_decision,  // decision is in neither `favourable` nor `unfavourable`
  bad_score,          // score present but not a finite number within the configured range
  unknown_system,     // system not in `events.systems` (when that list is set)
  unknown_stage,      // stage not in `events.stages` (when that list is set)
};
inline constexpr std::size_t kRejectReasonCount = 9;
const char* to_string(RejectReason reason);
inline constexpr std::array<RejectReason, kRejectReasonCount> kAllRejectReasons = {
    RejectReason::not_json,   RejectReason::too_large,      RejectReason::missing_field,
    RejectReason::wrong_type, RejectReason::bad_timestamp,  RejectReason::unmapped_decision,
    RejectReason::bad_score,  RejectReason::unknown_system, RejectReason::unknown_stage};

// Group index meaning "value outside the configured groups (or absent)".
// For attribute i the unknown index is config.attributes[i].groups.size().
using GroupIndex = std::uint16_t;

struct Decision {
  // Views into the decoder's buffers: valid until the decoder's next decode().
  std::string_view event_id;
  std::string_view system;
  std::string_view stage;
  std::string_view stratum;        // "" when the event has none (or stratification is off)
  std::int64_t event_time_ms = 0;  // milliseconds since the Unix epoch, UTC
  bool favourable = false;
  std::optional<double> score;
  // One entry per configured attribute, in config order: the index of the
  // event's value in that attribute's `groups`, or groups.size() for unknown.
  std::vector<GroupIndex> groups;
};

}  // namespace fairwatch::daemon
