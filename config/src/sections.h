// Readers of the top-level sections of a config file. Each reads the YAML of
// one section into `config`, recording every problem in `reader`; none
// throws. load.cpp calls them in a fixed order, so a reader may use the
// sections read before it: intersections and statistics use config.attributes,
// alerts uses config.windows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/config/config.h"
#include "yaml_reader.h"

namespace fairwatch::config::internal {

void read_events(Reader& reader, const Item& item, Config& config);
void read_attributes(Reader& reader, const Item& item, Config& config);
void read_intersections(Reader& reader, const Item& item, Config& config);
void read_windows(Reader& reader, const Item& item, Config& config);
void read_statistics(Reader& reader, const Item& item, Config& config);
void read_scores(Reader& reader, const Item& item, Config& config);
void read_source(Reader& reader, const Item& item, Config& config);
void read_exporter(Reader& reader, const Item& item, Config& config);
void read_checkpoint(Reader& reader, const Item& item, Config& config);
void read_alerts(Reader& reader, const Item& item, Config& config);
void read_drift(Reader& reader, const Item& item, Config& config);
void read_logging(Reader& reader, const Item& item, Config& config);

// A number as %g writes it, for messages: "0.85".
std::string format_number(double value);

// The configured attribute names, distinct, as "sex, ethnicity", for messages.
std::string attribute_names(const Config& config);

// A non-empty list of strictly increasing finite numbers with at least
// `min_size` entries, or nullopt (every problem recorded). `what` describes
// the whole list; elements are reported against the previous one.
std::optional<std::vector<double>> increasing_numbers(Reader& reader, const Item& item,
                                                      std::string_view what, std::size_t min_size);

}  // namespace fairwatch::config::internal
