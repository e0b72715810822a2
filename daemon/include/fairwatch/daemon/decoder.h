// Decoder: turns the bytes of one JSON event into a Decision or a typed
// rejection, using the field locations and mappings of a Config. Uses simdjson
// on the hot path; never throws; reuses its buffers (no allocation per event
// once warmed up). Not thread-safe: one Decoder per thread.
#pragma once

#include <memory>
#include <string_view>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/decision.h"

namespace fairwatch::daemon {

struct DecodeResult {
  bool accepted = false;
  RejectReason reason = RejectReason::not_json;  // meaningful when !accepted
  // The config field that caused the rejection ("time", "score", "attributes[0]" …),
  // for logs; never the event's value.
  std::string_view field;
};

class Decoder {
 public:
  // REQUIRES: config is valid and outlives the decoder.
  explicit Decoder(const config::Config& config);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes `bytes` (one event, without the line terminator) into `out`.
  // On rejection `out` is unspecified. Views in `out` stay valid until the next call.
  DecodeResult decode(std::string_view bytes, Decision& out);

  static constexpr std::size_t kMaxEventBytes = 1 << 20;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses an RFC 3339 timestamp ("2026-11-20T10:00:00Z", fractional seconds and
// numeric offsets allowed) into milliseconds since the epoch; nullopt if malformed.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace fairwatch::daemon
