// KafkaSource over librdkafka's KafkaConsumer (C++ API).
#include "fairwatch/daemon/kafka_source.h"

#include <librdkafka/rdkafkacpp.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "fairwatch/daemon/log.h"

namespace fairwatch::daemon {
namespace {

constexpr auto kLogInterval = std::chrono::seconds(10);
constexpr int kCommittedTimeoutMs = 10000;

// Settings given unless the user's properties say otherwise.
const KafkaProperties& consumer_defaults() {
  static const KafkaProperties defaults = {
      {"client.id", "fairwatch"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"auto.offset.reset", "earliest"},
      {"statistics.interval.ms", "1000"},
      // Bounds the pre-fetched messages held in memory (librdkafka's default is 64 MiB).
      {"queued.max.messages.kbytes", "16384"},
  };
  return defaults;
}

// Settings the source relies on: offsets are committed only through commit().
const KafkaProperties& consumer_enforced() {
  static const KafkaProperties enforced = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
  };
  return enforced;
}

bool is_fatal_code(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR__FATAL:
    case RdKafka::ERR__AUTHENTICATION:
    case RdKafka::ERR_SASL_AUTHENTICATION_FAILED:
    case RdKafka::ERR_FENCED_INSTANCE_ID:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
      return true;
    default:
      return false;
  }
}

// Owns the TopicPartition objects of a librdkafka partition list.
struct PartitionList {
  std::vector<RdKafka::TopicPartition*> items;
  PartitionList() = default;
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  ~PartitionList() { RdKafka::TopicPartition::destroy(items); }
  void add(const std::string& topic, std::int32_t partition, std::int64_t offset) {
    items.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
  }
};

// True when some broker connection in librdkafka's statistics JSON is UP;
// nullopt when the document cannot be read.
std::optional<bool> any_broker_up(simdjson::ondemand::parser& parser, const std::string& json) {
  const simdjson::padded_string padded(json);
  simdjson::ondemand::document document;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS) return std::nullopt;
  simdjson::ondemand::object brokers;
  if (document["brokers"].get_object().get(brokers) != simdjson::SUCCESS) return std::nullopt;
  for (auto field : brokers) {
    simdjson::ondemand::object broker;
    if (field.value().get_object().get(broker) != simdjson::SUCCESS) return std::nullopt;
    std::string_view source;
    std::string_view state;
    if (broker["source"].get_string().get(source) != simdjson::SUCCESS) source = "";
    if (broker["state"].get_string().get(state) != simdjson::SUCCESS) return std::nullopt;
    if (state == "UP" && source != "internal") return true;
  }
  return false;
}

std::string error_text(RdKafka::ErrorCode code, const std::string& detail) {
  std::string text = RdKafka::err2str(code);
  if (!detail.empty() && detail != text) text += ": " + detail;
  return text;
}

}  // namespace

struct KafkaSource::Impl final : public RdKafka::RebalanceCb, public RdKafka::EventCb {
  Impl(const config::KafkaConfig& config, PartitionListener& listener, KafkaProperties properties)
      : topic(config.topic), listener(listener), properties(std::move(properties)) {}

  ~Impl() override { close(); }

  // --- RdKafka::RebalanceCb (runs inside consume() or close()) ---
  void rebalance_cb(RdKafka::KafkaConsumer* kafka, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    rebalances.fetch_add(1, std::memory_order_relaxed);
    const bool cooperative = kafka->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      on_assign(*kafka, partitions, cooperative);
    } else if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
      on_revoke(*kafka, partitions, cooperative);
    } else {
      Log::global().error("Kafka rebalance failed; dropping the assignment",
                          {{"topic", topic}, {"error", RdKafka::err2str(err)}});
      kafka_errors.fetch_add(1, std::memory_order_relaxed);
      PartitionList current;
      for (const std::int32_t partition : assigned) current.add(topic, partition, 0);
      on_revoke(*kafka, current.items, cooperative);
    }
  }

  void on_assign(RdKafka::KafkaConsumer& kafka, std::vector<RdKafka::TopicPartition*>& partitions,
                 bool cooperative) {
    std::vector<std::int32_t> ids;
    ids.reserve(partitions.size());
    for (const auto* partition : partitions) ids.push_back(partition->partition());
    // Cooperative rebalances that move nothing here still call (incremental_)assign.
    std::vector<std::optional<std::int64_t>> requested;
    PartitionList committed;
    RdKafka::ErrorCode committed_err = RdKafka::ERR_NO_ERROR;
    if (!ids.empty()) {
      requested = listener.on_assigned(ids);
      // The group's committed offsets, for nullopt and for the
      // committed-is-further rule.
      for (const auto id : ids) committed.add(topic, id, RdKafka::Topic::OFFSET_INVALID);
      committed_err = kafka.committed(committed.items, kCommittedTimeoutMs);
      if (committed_err != RdKafka::ERR_NO_ERROR) {
        Log::global().warning("cannot read the group's committed offsets; using the listener's",
                              {{"topic", topic}, {"error", RdKafka::err2str(committed_err)}});
      }
    }

    for (std::size_t i = 0; i < partitions.size(); ++i) {
      std::int64_t group_offset = RdKafka::Topic::OFFSET_INVALID;
      if (committed_err == RdKafka::ERR_NO_ERROR &&
          committed.items[i]->err() == RdKafka::ERR_NO_ERROR) {
        group_offset = committed.items[i]->offset();
      }
      const std::optional<std::int64_t> wanted =
          i < requested.size() ? requested[i] : std::optional<std::int64_t>();
      std::int64_t start = RdKafka::Topic::OFFSET_INVALID;  // committed, else auto.offset.reset
      if (wanted) {
        start = *wanted;
        // A logical offset (kStartFromBeginning) is taken as is.
        if (*wanted >= 0 && group_offset >= 0 && group_offset > *wanted) {
          Log::global().info("starting at the group's committed offset, beyond the checkpoint",
                             {{"topic", topic},
                              {"partition", std::int64_t{ids[i]}},
                              {"checkpoint_offset", *wanted},
                              {"committed_offset", group_offset}});
          start = group_offset;
        }
      } else if (group_offset >= 0) {
        start = group_offset;
      }
      partitions[i]->set_offset(start);
      start_offsets[ids[i]] = start;
    }

    if (cooperative) {
      std::unique_ptr<RdKafka::Error> error(kafka.incremental_assign(partitions));
      if (error) {
        kafka_errors.fetch_add(1, std::memory_order_relaxed);
        Log::global().error("Kafka incremental assign failed",
                            {{"topic", topic}, {"error", error->str()}});
        return;
      }
    } else {
      const RdKafka::ErrorCode err = kafka.assign(partitions);
      if (err != RdKafka::ERR_NO_ERROR) {
        kafka_errors.fetch_add(1, std::memory_order_relaxed);
        Log::global().error("Kafka assign failed",
                            {{"topic", topic}, {"error", RdKafka::err2str(err)}});
        return;
      }
      assigned.clear();
    }
    for (const auto id : ids) assigned.push_back(id);
    std::sort(assigned.begin(), assigned.end());
    assigned.erase(std::unique(assigned.begin(), assigned.end()), assigned.end());
    ever_assigned = true;
    if (ids.empty()) return;
    Log::global().info("Kafka partitions assigned",
                       {{"topic", topic},
                        {"count", static_cast<std::int64_t>(ids.size())},
                        {"protocol", std::string_view(cooperative ? "cooperative" : "eager")}});
  }

  void on_revoke(RdKafka::KafkaConsumer& kafka, std::vector<RdKafka::TopicPartition*>& partitions,
                 bool cooperative) {
    std::vector<std::int32_t> ids;
    ids.reserve(partitions.size());
    for (const auto* partition : partitions) ids.push_back(partition->partition());
    const bool lost = kafka.assignment_lost();
    if (lost) {
      Log::global().warning("Kafka partitions lost (session timed out?); commits will fail",
                            {{"topic", topic}, {"count", static_cast<std::int64_t>(ids.size())}});
    }
    if (!ids.empty()) listener.on_revoked(ids);

    if (cooperative) {
      std::unique_ptr<RdKafka::Error> error(kafka.incremental_unassign(partitions));
      if (error) {
        kafka_errors.fetch_add(1, std::memory_order_relaxed);
        Log::global().error("Kafka incremental unassign failed",
                            {{"topic", topic}, {"error", error->str()}});
      }
      for (const auto id : ids) {
        assigned.erase(std::remove(assigned.begin(), assigned.end(), id), assigned.end());
        start_offsets.erase(id);
      }
    } else {
      const RdKafka::ErrorCode err = kafka.unassign();
      if (err != RdKafka::ERR_NO_ERROR) {
        kafka_errors.fetch_add(1, std::memory_order_relaxed);
        Log::global().error("Kafka unassign failed",
                            {{"topic", topic}, {"error", RdKafka::err2str(err)}});
      }
      assigned.clear();
      start_offsets.clear();
    }
    if (ids.empty()) return;
    Log::global().info(
        "Kafka partitions revoked",
        {{"topic", topic}, {"count", static_cast<std::int64_t>(ids.size())}, {"lost", lost}});
  }

  // --- RdKafka::EventCb (logs from any librdkafka thread; the rest inside consume()) ---
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG:
        log_kafka_event(event, "consumer");
        break;
      case RdKafka::Event::EVENT_STATS:
        if (const auto up = any_broker_up(stats_parser, event.str())) {
          stats_seen.store(true, std::memory_order_relaxed);
          connected.store(*up, std::memory_order_relaxed);
        }
        break;
      case RdKafka::Event::EVENT_ERROR:
        on_error_event(event);
        break;
      case RdKafka::Event::EVENT_THROTTLE:
        break;
    }
  }

  void on_error_event(const RdKafka::Event& event) {
    const RdKafka::ErrorCode code = event.err();
    if (event.fatal() || is_fatal_code(code)) {
      std::string detail = event.str();
      if (event.fatal() && consumer) {
        std::string fatal_detail;
        const RdKafka::ErrorCode fatal_code = consumer->fatal_error(fatal_detail);
        if (fatal_code != RdKafka::ERR_NO_ERROR) {
          set_fatal(error_text(fatal_code, fatal_detail));
          return;
        }
      }
      set_fatal(error_text(code, detail));
      return;
    }
    if (code == RdKafka::ERR__ALL_BROKERS_DOWN) connected.store(false, std::memory_order_relaxed);
    transient_error(code, event.str());
  }

  void transient_error(RdKafka::ErrorCode code, const std::string& detail) {
    kafka_errors.fetch_add(1, std::memory_order_relaxed);
    const std::string text = redact_kafka_text(detail, properties);
    Log::global().write_limited(
        "kafka-consumer:" + std::to_string(static_cast<int>(code)), kLogInterval, LogLevel::warning,
        "Kafka consumer error",
        {{"topic", topic}, {"error", RdKafka::err2str(code)}, {"detail", text}});
  }

  void set_fatal(const std::string& text) {
    const std::string redacted = redact_kafka_text(text, properties);
    {
      const std::lock_guard lock(fatal_mutex);
      if (!fatal_text.empty()) return;
      fatal_text = redacted;
    }
    fatal.store(true, std::memory_order_release);
    Log::global().error("Kafka fatal error", {{"topic", topic}, {"error", redacted}});
  }

  PollStatus poll(std::chrono::milliseconds timeout, std::size_t max_messages,
                  const Handler& handler) {
    if (!consumer) {
      const std::lock_guard lock(fatal_mutex);
      if (fatal_text.empty()) fatal_text = "the Kafka source is closed";
      return PollStatus::fatal;
    }
    max_messages = std::max<std::size_t>(max_messages, 1);
    int wait_ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 1 << 30));
    std::size_t delivered = 0;
    while (delivered < max_messages) {
      if (fatal.load(std::memory_order_acquire)) return PollStatus::fatal;
      std::unique_ptr<RdKafka::Message> message(consumer->consume(wait_ms));
      wait_ms = 0;
      if (fatal.load(std::memory_order_acquire)) return PollStatus::fatal;
      if (!message) break;
      const RdKafka::ErrorCode code = message->err();
      if (code == RdKafka::ERR_NO_ERROR) {
        if (!stats_seen.load(std::memory_order_relaxed)) {
          connected.store(true, std::memory_order_relaxed);
        }
        const SourceMessage source_message{
            std::string_view(static_cast<const char*>(message->payload()), message->len()), topic,
            message->partition(), message->offset()};
        handler(source_message);
        ++delivered;
        continue;
      }
      if (code == RdKafka::ERR__TIMED_OUT) break;
      if (code == RdKafka::ERR__PARTITION_EOF) continue;
      if (is_fatal_code(code)) {
        std::string detail = message->errstr();
        if (code == RdKafka::ERR__FATAL) {
          std::string fatal_detail;
          const RdKafka::ErrorCode fatal_code = consumer->fatal_error(fatal_detail);
          if (fatal_code != RdKafka::ERR_NO_ERROR) {
            set_fatal(error_text(fatal_code, fatal_detail));
            return PollStatus::fatal;
          }
        }
        set_fatal(error_text(code, detail));
        return PollStatus::fatal;
      }
      transient_error(code, message->errstr());
    }
    return fatal.load(std::memory_order_acquire) ? PollStatus::fatal : PollStatus::ok;
  }

  bool commit(std::span<const PartitionOffset> offsets) {
    if (!consumer) return false;
    if (offsets.empty()) return true;
    PartitionList list;
    for (const auto& offset : offsets) list.add(topic, offset.partition, offset.next_offset);
    const RdKafka::ErrorCode err = consumer->commitSync(list.items);
    RdKafka::ErrorCode failed = err;
    std::int64_t failed_partition = -1;
    if (failed == RdKafka::ERR_NO_ERROR) {
      for (const auto* item : list.items) {
        if (item->err() != RdKafka::ERR_NO_ERROR) {
          failed = item->err();
          failed_partition = item->partition();
          break;
        }
      }
    }
    if (failed == RdKafka::ERR_NO_ERROR) return true;
    kafka_errors.fetch_add(1, std::memory_order_relaxed);
    Log::global().write_limited(
        "kafka-commit", kLogInterval, LogLevel::warning, "Kafka commit failed",
        {{"topic", topic}, {"partition", failed_partition}, {"error", RdKafka::err2str(failed)}});
    return false;
  }

  SourceHealth health() const {
    SourceHealth health;
    health.connected = consumer && connected.load(std::memory_order_relaxed);
    health.assigned_partitions = assigned.size();
    if (!consumer || !ever_assigned) return health;
    PartitionList positions;
    for (const auto id : assigned) positions.add(topic, id, RdKafka::Topic::OFFSET_INVALID);
    if (!positions.items.empty() && consumer->position(positions.items) != RdKafka::ERR_NO_ERROR) {
      return health;
    }
    std::int64_t lag = 0;
    for (const auto* item : positions.items) {
      std::int64_t low = RdKafka::Topic::OFFSET_INVALID;
      std::int64_t high = RdKafka::Topic::OFFSET_INVALID;
      if (consumer->get_watermark_offsets(topic, item->partition(), &low, &high) !=
              RdKafka::ERR_NO_ERROR ||
          high < 0) {
        return health;
      }
      std::int64_t position = item->offset();
      if (position < 0) {
        const auto start = start_offsets.find(item->partition());
        position = start != start_offsets.end() && start->second >= 0 ? start->second : low;
      }
      if (position < 0) return health;
      lag += std::max<std::int64_t>(0, high - position);
    }
    health.lag_messages = lag;
    return health;
  }

  void close() {
    if (!consumer) return;
    const RdKafka::ErrorCode err = consumer->close();
    if (err != RdKafka::ERR_NO_ERROR) {
      Log::global().warning("Kafka consumer close failed",
                            {{"topic", topic}, {"error", RdKafka::err2str(err)}});
    }
    consumer.reset();
    assigned.clear();
    start_offsets.clear();
  }

  std::string fatal_error_text() const {
    const std::lock_guard lock(fatal_mutex);
    return fatal_text;
  }

  const std::string topic;
  PartitionListener& listener;
  const KafkaProperties properties;  // for redaction only
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;

  // Owned by the polling thread.
  std::vector<std::int32_t> assigned;                  // sorted
  std::map<std::int32_t, std::int64_t> start_offsets;  // as assigned; may be logical (< 0)
  bool ever_assigned = false;
  simdjson::ondemand::parser stats_parser;

  // Also written from librdkafka callbacks.
  std::atomic<bool> connected{false};
  std::atomic<bool> stats_seen{false};
  std::atomic<bool> fatal{false};
  std::atomic<std::uint64_t> kafka_errors{0};
  std::atomic<std::uint64_t> rebalances{0};
  mutable std::mutex fatal_mutex;
  std::string fatal_text;  // guarded by fatal_mutex
};

std::variant<std::unique_ptr<KafkaSource>, std::string> KafkaSource::create(
    const config::KafkaConfig& config, PartitionListener& listener) {
  if (config.brokers.empty()) return std::string("source.kafka.brokers is empty");
  if (config.topic.empty()) return std::string("source.kafka.topic is empty");
  auto client = kafka_client_properties(config);
  if (client.index() == 1) return "source.kafka.properties: " + std::get<1>(client);
  KafkaProperties& user = std::get<0>(client);

  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  KafkaProperties settings = consumer_defaults();
  settings.emplace_back("group.id", config.group_id);
  settings.insert(settings.end(), user.begin(), user.end());
  for (const auto& [key, value] : settings) {
    if (auto error = set_kafka_property(*conf, key, value)) {
      return "source.kafka.properties: " + *error;
    }
  }
  for (const auto& [key, value] : consumer_enforced()) {
    const std::string& name = key;
    const auto given = std::find_if(user.begin(), user.end(),
                                    [&name](const auto& entry) { return entry.first == name; });
    if (given != user.end() && given->second != value) {
      Log::global().warning("ignoring a Kafka property: fairwatch commits offsets itself",
                            {{"property", key}, {"using", value}});
    }
    if (auto error = set_kafka_property(*conf, key, value)) return *error;
  }

  auto impl = std::make_unique<Impl>(config, listener, user);
  std::string errstr;
  if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(impl.get()), errstr) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(impl.get()), errstr) !=
          RdKafka::Conf::CONF_OK) {
    return "cannot install the Kafka callbacks: " + errstr;
  }
  // KafkaConsumer::create takes no ownership of conf (it copies it).
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), errstr));
  if (!impl->consumer) {
    return "cannot create the Kafka consumer: " + redact_kafka_text(errstr, user);
  }
  const RdKafka::ErrorCode err = impl->consumer->subscribe({config.topic});
  if (err != RdKafka::ERR_NO_ERROR) {
    impl->close();
    return "cannot subscribe to Kafka topic '" + config.topic + "': " + RdKafka::err2str(err);
  }
  Log::global().info("Kafka consumer subscribed",
                     {{"topic", config.topic}, {"group", config.group_id}});
  return std::unique_ptr<KafkaSource>(new KafkaSource(std::move(impl)));
}

KafkaSource::KafkaSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaSource::~KafkaSource() = default;

PollStatus KafkaSource::poll(std::chrono::milliseconds timeout, std::size_t max_messages,
                             const Handler& handler) {
  return impl_->poll(timeout, max_messages, handler);
}

bool KafkaSource::commit(std::span<const PartitionOffset> offsets) {
  return impl_->commit(offsets);
}

std::vector<std::int32_t> KafkaSource::assignment() const {
  return impl_->assigned;
}

SourceHealth KafkaSource::health() const {
  return impl_->health();
}

std::string KafkaSource::fatal_error() const {
  return impl_->fatal_error_text();
}

void KafkaSource::close() {
  impl_->close();
}

const std::string& KafkaSource::topic() const {
  return impl_->topic;
}

std::uint64_t KafkaSource::kafka_errors() const {
  return impl_->kafka_errors.load(std::memory_order_relaxed);
}

std::uint64_t KafkaSource::rebalances() const {
  return impl_->rebalances.load(std::memory_order_relaxed);
}

}  // namespace fairwatch::daemon
