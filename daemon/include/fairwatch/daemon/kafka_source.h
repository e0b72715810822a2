// KafkaSource: the EventSource over a Kafka consumer group (librdkafka's
// KafkaConsumer, subscribe + manual commits), and KafkaDeadLetterSink, the
// DeadLetterSink producing rejected events to a dead-letter topic. Both take
// their librdkafka settings from `source.kafka` (see resolve_kafka_properties
// for secrets).
//
// Thread-safety: one thread owns a KafkaSource. Every method, and every
// PartitionListener callback, runs on the thread that calls poll() (close()
// and the destructor call the listener too). librdkafka's own threads only
// touch the source's atomic counters and the process log.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/event_source.h"

namespace RdKafka {
class Conf;
class Event;
}  // namespace RdKafka

namespace fairwatch::daemon {

// librdkafka properties after secret resolution: (key, value) in key order.
// The values may be secrets: never log them.
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

// Looks up an environment variable; nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Resolves `source.kafka.properties` into what librdkafka is given:
// - a value that is exactly "${NAME}" becomes the value of the environment
//   variable NAME (unset: an error);
// - a key "K_file" becomes the property K, set to the contents of the file
//   named by its value (itself "${NAME}"-resolved), minus one trailing newline
//   ("\n" or "\r\n"); an unreadable file is an error, and so is setting both K
//   and K_file;
// - every other entry is passed through unchanged.
// Error messages name the key (and the variable or file path), never a value.
// `env` defaults to the process environment (std::getenv). Thread-compatible.
std::variant<KafkaProperties, std::string> resolve_kafka_properties(
    const std::map<std::string, std::string>& properties, const EnvLookup& env = {});

// Sets `key` to `value` on `conf`; nullopt on success, else an error naming
// the key and never the value (librdkafka's own message is kept only when it
// does not quote the value).
std::optional<std::string> set_kafka_property(RdKafka::Conf& conf, const std::string& key,
                                              const std::string& value);

// Client settings from the config: bootstrap.servers, then the resolved
// `properties`. Error text as resolve_kafka_properties.
std::variant<KafkaProperties, std::string> kafka_client_properties(
    const config::KafkaConfig& config);

// `text` (a librdkafka error string) with every property value of three or
// more characters replaced by "[redacted]".
std::string redact_kafka_text(std::string text, const KafkaProperties& properties);

// Writes a librdkafka EVENT_LOG event to Log::global() with the client name;
// warnings and errors are rate-limited per facility. Thread-safe.
void log_kafka_event(const RdKafka::Event& event, std::string_view client);

class KafkaSource final : public EventSource {
 public:
  // Creates the consumer and subscribes to `config.topic` in the group
  // `config.group_id`. Defaults, which `config.properties` may override:
  // partition.assignment.strategy=cooperative-sticky,
  // auto.offset.reset=earliest, statistics.interval.ms=1000 (broker state for
  // health()), client.id=fairwatch, queued.max.messages.kbytes=16384 (16 MiB
  // of pre-fetched messages at most). Always, whatever the properties say
  // (a differing user value is logged as a warning, by key):
  // enable.auto.commit=false, enable.auto.offset.store=false.
  // Returns an error text (naming a property's key, never its value) when a
  // property is unknown or invalid, a secret cannot be resolved, or
  // librdkafka refuses the configuration.
  //
  // Start offsets on assignment: the listener's on_assigned() result per
  // partition; nullopt means the group's committed offset, or, without one,
  // auto.offset.reset (earliest by default). When the listener gives an
  // offset but the group has committed a greater one, the committed offset
  // wins: another instance consumed that partition further (and, per the
  // PartitionListener contract, made it durable) after this instance's
  // checkpoint was written, so starting lower would count those events twice.
  //
  // `listener` must outlive the source (close() and the destructor call its
  // on_revoked()).
  static std::variant<std::unique_ptr<KafkaSource>, std::string> create(
      const config::KafkaConfig& config, PartitionListener& listener);

  // close()s.
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Waits up to `timeout` for the first message, then takes what is already
  // fetched, up to `max_messages` (at least one). Partition EOF and timeouts
  // are not errors; transient errors are logged (rate-limited) and counted in
  // kafka_errors(); fatal ones (librdkafka fatal errors, authentication
  // failures, authorization failures, a fenced group.instance.id) return
  // PollStatus::fatal, and every later call too. Rebalances run in here.
  PollStatus poll(std::chrono::milliseconds timeout, std::size_t max_messages,
                  const Handler& handler) override;
  // Synchronous commit of `offsets` (next offsets to read) for the topic.
  // False, logged, on failure (e.g. after the partitions moved on).
  bool commit(std::span<const PartitionOffset> offsets) override;
  std::vector<std::int32_t> assignment() const override;
  // connected: from librdkafka's statistics (some broker connection UP) and
  // ERR__ALL_BROKERS_DOWN; before the first statistics, a delivered message
  // also counts. lag_messages: sum over assigned partitions of high watermark
  // minus position; nullopt while some partition's is unknown, or before the
  // first assignment.
  SourceHealth health() const override;
  std::string fatal_error() const override;
  // consumer close (revoking through the listener, leaving the group), then
  // destroy. Idempotent; poll() after close() returns fatal.
  void close() override;
  const std::string& topic() const override;

  // Transient Kafka errors seen (consumer errors and client error events).
  std::uint64_t kafka_errors() const;
  // Rebalance callbacks served (assignments, revocations, losses, errors).
  std::uint64_t rebalances() const;

 private:
  struct Impl;
  explicit KafkaSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// KafkaDeadLetterSink: a Kafka producer copying rejected events to
// `config.dead_letter_topic`, the original bytes as value, with headers
// fairwatch-reason (to_string(RejectReason)), fairwatch-source-topic,
// fairwatch-source-partition and fairwatch-source-offset (decimal). Uses the
// same brokers and resolved properties as the consumer (security settings
// apply to both; consumer-only properties are ignored by librdkafka with a
// warning). Thread-compatible: one thread calls send() and flush().
class KafkaDeadLetterSink final : public DeadLetterSink {
 public:
  // Error text as KafkaSource::create; also when dead_letter_topic is "".
  static std::variant<std::unique_ptr<KafkaDeadLetterSink>, std::string> create(
      const config::KafkaConfig& config);

  // Flushes for up to 5 s; copies still queued then are lost and counted.
  ~KafkaDeadLetterSink() override;
  KafkaDeadLetterSink(const KafkaDeadLetterSink&) = delete;
  KafkaDeadLetterSink& operator=(const KafkaDeadLetterSink&) = delete;

  // Queues a copy (never blocks for more than ~100 ms, when the local queue
  // is full). Failures to queue and failed deliveries count in failures().
  void send(const SourceMessage& message, RejectReason reason) override;
  bool flush(std::chrono::milliseconds timeout) override;
  std::uint64_t failures() const override;
  // Copies acknowledged by the brokers.
  std::uint64_t delivered() const;

 private:
  struct Impl;
  explicit KafkaDeadLetterSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fairwatch::daemon
