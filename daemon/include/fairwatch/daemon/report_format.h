// Renderings of a Report: JSON (the documented schema of `fairwatch replay`),
// CSV (the group rows), and a readable terminal table. Pure functions.
#pragma once

#include <string>

#include "fairwatch/daemon/report.h"

namespace fairwatch::daemon {

// One JSON document followed by a newline. Undefined values are null, never NaN.
std::string format_json(const Report& report);

// A header line and one line per group row (RFC 4180 quoting); empty fields for undefined values.
std::string format_csv(const Report& report);

// A fixed-width table per window/system/stage/attribute for terminals.
std::string format_table(const Report& report);

// Milliseconds since the epoch as RFC 3339 UTC ("2026-11-20T10:00:00.000Z").
std::string format_rfc3339(std::int64_t time_ms);

}  // namespace fairwatch::daemon
