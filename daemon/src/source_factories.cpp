#include "fairwatch/daemon/source_factories.h"

#include "fairwatch/daemon/kafka_source.h"

namespace fairwatch::daemon {

std::variant<std::unique_ptr<EventSource>, std::string> make_default_source(
    const config::Config& config, PartitionListener& listener) {
  if (!config.source.kafka) {
    return std::string("no source configured: set source.kafka in ") + config.path;
  }
  auto created = KafkaSource::create(*config.source.kafka, listener);
  if (auto* error = std::get_if<std::string>(&created)) return "Kafka consumer: " + *error;
  return std::unique_ptr<EventSource>(std::move(std::get<std::unique_ptr<KafkaSource>>(created)));
}

std::variant<std::unique_ptr<DeadLetterSink>, std::string> make_default_dead_letter(
    const config::Config& config) {
  if (!config.source.kafka || config.source.kafka->dead_letter_topic.empty()) {
    return std::unique_ptr<DeadLetterSink>();
  }
  auto created = KafkaDeadLetterSink::create(*config.source.kafka);
  if (auto* error = std::get_if<std::string>(&created)) return "dead-letter producer: " + *error;
  return std::unique_ptr<DeadLetterSink>(
      std::move(std::get<std::unique_ptr<KafkaDeadLetterSink>>(created)));
}

}  // namespace fairwatch::daemon
