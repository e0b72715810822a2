// Decoder: turns the bytes of one JSON event into a Decision or a typed
// rejection, using the field locations and mappings of a Config. Uses simdjson
// (ondemand, one validating pass over the whole document) on the hot path;
// never throws; reuses its buffers (no allocation per event once warmed up).
// Not thread-safe: one Decoder per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/decision.h"

namespace fairwatch::daemon {

struct DecodeResult {
  bool accepted = false;
  RejectReason reason = RejectReason::not_json;  // meaningful when !accepted
  // The config field that caused the rejection, for logs: one of "id",
  // "time", "system", "stage", "decision", "score", "stratum"; "" for not_json
  // and too_large. A static string; never the event's value.
  std::string_view field;
};

class Decoder {
 public:
  // REQUIRES: config is valid and outlives the decoder (the decoder keeps
  // views of its strings).
  explicit Decoder(const config::Config& config);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes `bytes` (one event, without the line terminator; surrounding JSON
  // whitespace, including a trailing '\r', is allowed) into `out`. `bytes` is
  // copied: it need not outlive the call.
  //
  // Rejections, in order of precedence: too_large, not_json (invalid JSON or
  // UTF-8, trailing content, a top-level value that is not an object, nesting
  // deeper than kMaxDepth), then the first bad field in the order id, time,
  // system, stage, decision, score, stratum. Attributes never reject: absent,
  // null, unconfigured or non-scalar values map to the unknown group.
  // Duplicate keys: the first occurrence wins.
  //
  // On rejection `out` is unspecified. Views in `out` stay valid until the next
  // call. `out.groups` is resized to the number of attributes; it allocates
  // only when its capacity is short, so reuse one Decision per thread.
  DecodeResult decode(std::string_view bytes, Decision& out);

  static constexpr std::size_t kMaxEventBytes = 1 << 20;
  // Deepest object/array nesting accepted (the top-level object is depth 1).
  static constexpr int kMaxDepth = 64;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses an RFC 3339 timestamp into milliseconds since the epoch; nullopt if
// malformed. Accepts `YYYY-MM-DD` `T`|`t`|` ` `HH:MM:SS` [`.` digits]
// (`Z`|`z`|`+HH:MM`|`-HH:MM`), years 0000..9999 (earlier than 1970 gives a
// negative value). Fields are range-checked (days per month, leap years,
// hours 00..23); second 60 (a leap second) reads as 59.999. Fractional seconds
// are truncated to the millisecond. Thread-safe, allocation-free.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace fairwatch::daemon
