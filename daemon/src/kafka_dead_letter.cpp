// KafkaDeadLetterSink: rejected events copied to the dead-letter topic.
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "fairwatch/daemon/kafka_source.h"
#include "fairwatch/daemon/log.h"

namespace fairwatch::daemon {
namespace {

constexpr auto kLogInterval = std::chrono::seconds(10);
constexpr auto kDestructorFlush = std::chrono::seconds(5);

}  // namespace

struct KafkaDeadLetterSink::Impl final : public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
  Impl(std::string topic, KafkaProperties properties)
      : topic(std::move(topic)), properties(std::move(properties)) {}

  // Runs inside producer poll()/flush().
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    failures.fetch_add(1, std::memory_order_relaxed);
    Log::global().write_limited("kafka-dlq-delivery", kLogInterval, LogLevel::warning,
                                "dead-letter copy not delivered",
                                {{"topic", std::string_view(topic)},
                                 {"error", std::string_view(RdKafka::err2str(message.err()))}});
  }

  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG:
        log_kafka_event(event, "dead-letter-producer");
        break;
      case RdKafka::Event::EVENT_ERROR: {
        const std::string detail = redact_kafka_text(event.str(), properties);
        Log::global().write_limited(
            "kafka-dlq-error:" + std::to_string(static_cast<int>(event.err())), kLogInterval,
            event.fatal() ? LogLevel::error : LogLevel::warning, "dead-letter producer error",
            {{"topic", std::string_view(topic)},
             {"error", std::string_view(RdKafka::err2str(event.err()))},
             {"detail", std::string_view(detail)},
             {"fatal", event.fatal()}});
        break;
      }
      case RdKafka::Event::EVENT_STATS:
      case RdKafka::Event::EVENT_THROTTLE:
        break;
    }
  }

  RdKafka::ErrorCode produce(const SourceMessage& message, RejectReason reason) {
    std::unique_ptr<RdKafka::Headers> headers(RdKafka::Headers::create());
    headers->add("fairwatch-reason", std::string(to_string(reason)));
    headers->add("fairwatch-source-topic", std::string(message.topic));
    headers->add("fairwatch-source-partition", std::to_string(message.partition));
    headers->add("fairwatch-source-offset", std::to_string(message.offset));
    const RdKafka::ErrorCode err =
        producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                          const_cast<char*>(message.payload.data()), message.payload.size(),
                          nullptr, 0, 0, headers.get(), nullptr);
    // On success librdkafka owns (and frees) the headers.
    if (err == RdKafka::ERR_NO_ERROR) static_cast<void>(headers.release());
    return err;
  }

  const std::string topic;
  const KafkaProperties properties;  // for redaction only
  std::unique_ptr<RdKafka::Producer> producer;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failures{0};
};

std::variant<std::unique_ptr<KafkaDeadLetterSink>, std::string> KafkaDeadLetterSink::create(
    const config::KafkaConfig& config) {
  if (config.dead_letter_topic.empty()) {
    return std::string("source.kafka.dead_letter_topic is empty");
  }
  if (config.brokers.empty()) return std::string("source.kafka.brokers is empty");
  auto client = kafka_client_properties(config);
  if (client.index() == 1) return "source.kafka.properties: " + std::get<1>(client);
  const KafkaProperties& user = std::get<0>(client);

  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  KafkaProperties settings = {{"client.id", "fairwatch-dead-letter"}};
  settings.insert(settings.end(), user.begin(), user.end());
  for (const auto& [key, value] : settings) {
    if (auto error = set_kafka_property(*conf, key, value)) {
      return "source.kafka.properties: " + *error;
    }
  }
  auto impl = std::make_unique<Impl>(config.dead_letter_topic, user);
  std::string errstr;
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(impl.get()), errstr) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(impl.get()), errstr) !=
          RdKafka::Conf::CONF_OK) {
    return "cannot install the Kafka callbacks: " + errstr;
  }
  // Producer::create takes no ownership of conf (it copies it).
  impl->producer.reset(RdKafka::Producer::create(conf.get(), errstr));
  if (!impl->producer) {
    return "cannot create the dead-letter producer: " + redact_kafka_text(errstr, user);
  }
  return std::unique_ptr<KafkaDeadLetterSink>(new KafkaDeadLetterSink(std::move(impl)));
}

KafkaDeadLetterSink::KafkaDeadLetterSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaDeadLetterSink::~KafkaDeadLetterSink() {
  if (!flush(kDestructorFlush)) {
    const int queued = impl_->producer->outq_len();
    impl_->failures.fetch_add(static_cast<std::uint64_t>(std::max(queued, 0)),
                              std::memory_order_relaxed);
    Log::global().warning(
        "dead-letter copies lost at shutdown",
        {{"topic", std::string_view(impl_->topic)}, {"count", static_cast<std::int64_t>(queued)}});
  }
}

void KafkaDeadLetterSink::send(const SourceMessage& message, RejectReason reason) {
  RdKafka::ErrorCode err = impl_->produce(message, reason);
  if (err == RdKafka::ERR__QUEUE_FULL) {
    impl_->producer->poll(100);
    err = impl_->produce(message, reason);
  }
  impl_->producer->poll(0);
  if (err == RdKafka::ERR_NO_ERROR) return;
  impl_->failures.fetch_add(1, std::memory_order_relaxed);
  Log::global().write_limited("kafka-dlq-produce", kLogInterval, LogLevel::warning,
                              "dead-letter copy dropped",
                              {{"topic", std::string_view(impl_->topic)},
                               {"error", std::string_view(RdKafka::err2str(err))}});
}

bool KafkaDeadLetterSink::flush(std::chrono::milliseconds timeout) {
  const int timeout_ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 1 << 30));
  impl_->producer->flush(timeout_ms);
  impl_->producer->poll(0);
  return impl_->producer->outq_len() == 0;
}

std::uint64_t KafkaDeadLetterSink::failures() const {
  return impl_->failures.load(std::memory_order_relaxed);
}

std::uint64_t KafkaDeadLetterSink::delivered() const {
  return impl_->delivered.load(std::memory_order_relaxed);
}

}  // namespace fairwatch::daemon
