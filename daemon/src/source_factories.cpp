#include "fairwatch/daemon/source_factories.h"

namespace fairwatch::daemon {

std::variant<std::unique_ptr<EventSource>, std::string> make_default_source(
    const config::Config& config, PartitionListener&) {
  if (!config.source.kafka) {
    return std::string("no source configured: set source.kafka in ") + config.path;
  }
  return std::string("the Kafka source is not available in this build");
}

std::variant<std::unique_ptr<DeadLetterSink>, std::string> make_default_dead_letter(
    const config::Config& config) {
  if (!config.source.kafka || config.source.kafka->dead_letter_topic.empty()) {
    return std::unique_ptr<DeadLetterSink>();
  }
  return std::string("the Kafka dead-letter sink is not available in this build");
}

}  // namespace fairwatch::daemon
