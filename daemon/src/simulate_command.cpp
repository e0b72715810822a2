// `fairwatch simulate`: the synthetic ADM producing to a real Kafka cluster.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/kafka_source.h"
#include "fairwatch/daemon/synthetic_adm.h"

namespace fairwatch::daemon {
namespace {

constexpr const char* kSimulateUsage =
    "usage: fairwatch simulate --brokers HOST:PORT[,...] --topic TOPIC [--rate EVENTS_PER_S]\n"
    "                          [--seed N] [--duration 60s] [--bias-after 30s] [--partitions N]\n"
    "                          [-X KEY=VALUE ...]\n";

constexpr auto kProgressInterval = std::chrono::seconds(5);
constexpr auto kFinalFlush = std::chrono::seconds(30);

struct SimulateOptions {
  config::KafkaConfig kafka;
  double rate = 100;
  std::uint64_t seed = 1;
  std::int64_t duration_seconds = 60;
  std::int64_t bias_after_seconds = 30;
  std::optional<int> partitions;
};

std::optional<SimulateOptions> parse_simulate_arguments(const Arguments& arguments,
                                                        std::FILE* err) {
  SimulateOptions options;
  auto usage = [&](const std::string& problem) -> std::optional<SimulateOptions> {
    std::fprintf(err, "fairwatch simulate: %s\n%s", problem.c_str(), kSimulateUsage);
    return std::nullopt;
  };
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    std::string flag = argument;
    std::optional<std::string> value;
    if (const auto equals = argument.find('=');
        argument.starts_with("--") && equals != std::string::npos) {
      flag = argument.substr(0, equals);
      value = argument.substr(equals + 1);
    } else if (i + 1 < arguments.size()) {
      value = arguments[i + 1];
    }
    const bool inline_value = flag != argument;
    auto take = [&]() -> std::optional<std::string> {
      if (!value) return std::nullopt;
      if (!inline_value) ++i;
      return value;
    };
    if (flag == "--brokers") {
      auto v = take();
      if (!v) return usage("--brokers needs a value");
      options.kafka.brokers = *v;
    } else if (flag == "--topic") {
      auto v = take();
      if (!v) return usage("--topic needs a value");
      options.kafka.topic = *v;
    } else if (flag == "--rate") {
      auto v = take();
      char* end = nullptr;
      const double rate = v ? std::strtod(v->c_str(), &end) : 0;
      if (!v || end == v->c_str() || *end != '\0' || !(rate > 0) || rate > 1e7) {
        return usage("--rate expects events per second, > 0");
      }
      options.rate = rate;
    } else if (flag == "--seed") {
      auto v = take();
      char* end = nullptr;
      const unsigned long long seed = v ? std::strtoull(v->c_str(), &end, 10) : 0;
      if (!v || end == v->c_str() || *end != '\0') return usage("--seed expects an integer");
      options.seed = seed;
    } else if (flag == "--duration" || flag == "--bias-after") {
      auto v = take();
      const auto seconds = v ? config::parse_duration_seconds(*v) : std::nullopt;
      if (!seconds || *seconds < 0) return usage(flag + " expects a duration such as 90s or 5m");
      (flag == "--duration" ? options.duration_seconds : options.bias_after_seconds) = *seconds;
    } else if (flag == "--partitions") {
      auto v = take();
      char* end = nullptr;
      const long partitions = v ? std::strtol(v->c_str(), &end, 10) : 0;
      if (!v || end == v->c_str() || *end != '\0' || partitions < 1 || partitions > 100000) {
        return usage("--partitions expects a positive integer");
      }
      options.partitions = static_cast<int>(partitions);
    } else if (flag == "-X" || flag == "--property") {
      auto v = take();
      const auto equals = v ? v->find('=') : std::string::npos;
      if (!v || equals == std::string::npos || equals == 0) {
        return usage(flag + " expects KEY=VALUE");
      }
      options.kafka.properties[v->substr(0, equals)] = v->substr(equals + 1);
    } else {
      return usage("unknown option " + argument);
    }
  }
  if (options.kafka.brokers.empty()) return usage("--brokers is required");
  if (options.kafka.topic.empty()) return usage("--topic is required");
  return options;
}

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) {
  stop_requested.store(true);
}

// Installs SIGINT/SIGTERM handlers for its lifetime.
class StopSignals {
 public:
  StopSignals() {
    stop_requested.store(false);
    struct sigaction action = {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

class DeliveryCounter final : public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
 public:
  explicit DeliveryCounter(std::FILE* err) : err_(err) {}
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else if (failed++ == 0) {
      std::fprintf(err_, "fairwatch simulate: delivery failed: %s\n",
                   RdKafka::err2str(message.err()).c_str());
    }
  }
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_LOG) {
      log_kafka_event(event, "simulate-producer");
    } else if (event.type() == RdKafka::Event::EVENT_ERROR) {
      last_error.store(static_cast<int>(event.err()));
      if (event.fatal()) fatal.store(true);
    }
  }
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<int> last_error{0};
  std::atomic<bool> fatal{false};

 private:
  std::FILE* err_;
};

// Creates the topic with `partitions` partitions unless it exists; a failure
// is reported and left to the cluster's topic auto-creation.
void create_topic(RdKafka::Producer& producer, const std::string& topic, int partitions,
                  std::FILE* err) {
  // Metadata of all topics (asking for one topic could auto-create it).
  RdKafka::Metadata* raw_metadata = nullptr;
  if (producer.metadata(true, nullptr, &raw_metadata, 10000) == RdKafka::ERR_NO_ERROR) {
    const std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
    for (const RdKafka::TopicMetadata* existing : *metadata->topics()) {
      if (existing->topic() != topic) continue;
      std::fprintf(err, "fairwatch simulate: topic %s exists with %zu partitions; kept as is\n",
                   topic.c_str(), existing->partitions()->size());
      return;
    }
  }
  rd_kafka_t* handle = producer.c_ptr();
  char errstr[512] = {0};
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, errstr, sizeof errstr);
  if (new_topic == nullptr) {
    std::fprintf(err, "fairwatch simulate: cannot create topic %s: %s\n", topic.c_str(), errstr);
    return;
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 5000, errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_request_timeout(options, 5000, errstr, sizeof errstr);
  rd_kafka_CreateTopics(handle, &new_topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 10000);
  std::string problem;
  if (event == nullptr) {
    problem = "timed out";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    problem = rd_kafka_event_error_string(event);
  } else if (const rd_kafka_CreateTopics_result_t* result =
                 rd_kafka_event_CreateTopics_result(event)) {
    std::size_t count = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &count);
    for (std::size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t topic_err = rd_kafka_topic_result_error(topics[i]);
      if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        std::fprintf(err, "fairwatch simulate: topic %s exists; kept as is\n", topic.c_str());
      } else if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* message = rd_kafka_topic_result_error_string(topics[i]);
        problem = message != nullptr ? message : rd_kafka_err2str(topic_err);
      }
    }
  }
  if (!problem.empty()) {
    std::fprintf(err, "fairwatch simulate: cannot create topic %s (%s); producing anyway\n",
                 topic.c_str(), problem.c_str());
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int run_simulate(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  (void)out;
  const std::optional<SimulateOptions> options = parse_simulate_arguments(arguments, err);
  if (!options) return 2;
  auto client = kafka_client_properties(options->kafka);
  if (client.index() == 1) {
    std::fprintf(err, "fairwatch simulate: %s\n", std::get<1>(client).c_str());
    return 1;
  }
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  KafkaProperties settings = {{"client.id", "fairwatch-simulate"}, {"linger.ms", "20"}};
  for (auto& entry : std::get<0>(client)) settings.push_back(std::move(entry));
  for (const auto& [key, value] : settings) {
    if (auto error = set_kafka_property(*conf, key, value)) {
      std::fprintf(err, "fairwatch simulate: %s\n", error->c_str());
      return 1;
    }
  }
  DeliveryCounter counter(err);
  std::string errstr;
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&counter), errstr) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(&counter), errstr) !=
          RdKafka::Conf::CONF_OK) {
    std::fprintf(err, "fairwatch simulate: %s\n", errstr.c_str());
    return 1;
  }
  // Producer::create takes no ownership of conf.
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), errstr));
  if (!producer) {
    std::fprintf(err, "fairwatch simulate: cannot create the producer: %s\n",
                 redact_kafka_text(errstr, settings).c_str());
    return 1;
  }
  if (options->partitions) create_topic(*producer, options->kafka.topic, *options->partitions, err);

  const StopSignals signals;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(options->duration_seconds);
  SyntheticAdmOptions adm_options;
  adm_options.seed = options->seed;
  adm_options.bias.after_time_ms = wall_clock_ms() + options->bias_after_seconds * 1000;
  SyntheticAdm adm(adm_options);
  std::fprintf(err,
               "fairwatch simulate: producing to %s at %.6g events/s for %llds (seed %llu); "
               "bias against %s=%s at %s (x%.2g) after %llds\n",
               options->kafka.topic.c_str(), options->rate,
               static_cast<long long>(options->duration_seconds),
               static_cast<unsigned long long>(options->seed), adm_options.bias.attribute.c_str(),
               adm_options.bias.group.c_str(), adm_options.bias.stage.c_str(),
               adm_options.bias.factor, static_cast<long long>(options->bias_after_seconds));

  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
  auto next_progress = start + kProgressInterval;
  while (!stop_requested.load() && !counter.fatal.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) break;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const auto due = static_cast<std::uint64_t>(elapsed * options->rate) + 1;
    while (sent < due && !stop_requested.load()) {
      const SyntheticEvent event = adm.next(wall_clock_ms());
      RdKafka::ErrorCode code = RdKafka::ERR__QUEUE_FULL;
      while (code == RdKafka::ERR__QUEUE_FULL && !stop_requested.load()) {
        code = producer->produce(options->kafka.topic, RdKafka::Topic::PARTITION_UA,
                                 RdKafka::Producer::RK_MSG_COPY,
                                 const_cast<char*>(event.payload.data()), event.payload.size(),
                                 event.key.data(), event.key.size(), 0, nullptr);
        if (code == RdKafka::ERR__QUEUE_FULL) producer->poll(100);
      }
      if (code == RdKafka::ERR__QUEUE_FULL) break;  // stopping
      if (code != RdKafka::ERR_NO_ERROR && dropped++ == 0) {
        std::fprintf(err, "fairwatch simulate: produce failed: %s\n",
                     RdKafka::err2str(code).c_str());
      }
      ++sent;
    }
    producer->poll(0);
    if (now >= next_progress) {
      next_progress += kProgressInterval;
      std::fprintf(err, "fairwatch simulate: %llu events sent, %llu delivered, %.0f events/s%s\n",
                   static_cast<unsigned long long>(sent),
                   static_cast<unsigned long long>(counter.delivered.load()),
                   static_cast<double>(sent) / std::max(elapsed, 1e-3),
                   adm.bias_active(wall_clock_ms()) ? ", bias active" : "");
    }
    const auto next_due =
        start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(sent) / options->rate));
    std::this_thread::sleep_until(std::min({next_due, now + std::chrono::milliseconds(50), end}));
  }

  const int timeout_ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(kFinalFlush).count());
  producer->flush(timeout_ms);
  producer->poll(0);
  const int undelivered = producer->outq_len();
  const std::uint64_t failed = counter.failed.load() + dropped;
  std::fprintf(err,
               "fairwatch simulate: done: %llu events sent, %llu delivered, %llu failed, %d "
               "undelivered%s\n",
               static_cast<unsigned long long>(sent),
               static_cast<unsigned long long>(counter.delivered.load()),
               static_cast<unsigned long long>(failed), undelivered,
               stop_requested.load() ? " (stopped by signal)" : "");
  if (counter.fatal.load()) {
    std::string fatal_detail;
    producer->fatal_error(fatal_detail);
    std::fprintf(err, "fairwatch simulate: fatal Kafka error: %s\n",
                 redact_kafka_text(fatal_detail, settings).c_str());
    return 1;
  }
  return failed == 0 && undelivered == 0 ? 0 : 1;
}

}  // namespace fairwatch::daemon
