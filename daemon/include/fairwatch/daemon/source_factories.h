// The production event source and dead-letter sink, built from the config:
// Kafka when source.kafka is set. Used by Daemon unless DaemonOptions says
// otherwise.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/event_source.h"

namespace fairwatch::daemon {

// A KafkaSource on config.source.kafka, or why not (e.g. no source configured).
std::variant<std::unique_ptr<EventSource>, std::string> make_default_source(
    const config::Config& config, PartitionListener& listener);

// A Kafka producer to source.kafka.dead_letter_topic, or nullptr when none is set.
std::variant<std::unique_ptr<DeadLetterSink>, std::string> make_default_dead_letter(
    const config::Config& config);

}  // namespace fairwatch::daemon
