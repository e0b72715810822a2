// JSON pointers (RFC 6901) written in a config: validation and reading.
// Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "yaml_reader.h"

namespace fairwatch::config::internal {

// nullopt when `text` is a non-empty JSON pointer ("/a/b", "~" only in "~0"
// or "~1"); otherwise what a valid one looks like, phrased to follow
// "expected", e.g. `a JSON pointer starting with "/"`.
std::optional<std::string_view> json_pointer_problem(std::string_view text);

// Reads a JSON pointer; "" is accepted (as "disabled") only when
// `may_be_disabled`. nullopt (recorded in `reader`) when invalid.
std::optional<std::string> read_json_pointer(Reader& reader, const Item& item,
                                             bool may_be_disabled);

}  // namespace fairwatch::config::internal
