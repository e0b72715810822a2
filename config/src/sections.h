// Readers of the top-level sections of a config file. Each reads the YAML of
// one section into `config`, recording every problem in `reader`; none
// throws. load.cpp calls them in a fixed order, so a reader may use the
// sections read before it: intersections and statistics use config.attributes,
// alerts uses config.windows.
#pragma once

#include <string>

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
void read_logging(Reader& reader, const Item& item, Config& config);

// A number as %g writes it, for messages: "0.85".
std::string format_number(double value);

// The configured attribute names, distinct, as "sex, ethnicity", for messages.
std::string attribute_names(const Config& config);

}  // namespace fairwatch::config::internal
