#include "mock_kafka.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>

namespace fairwatch::testing {
namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using List = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

std::atomic<int> client_counter{0};

// A client of `type` on the cluster; nullptr (with a test failure) on error.
Handle make_client(rd_kafka_type_t type, const std::string& bootstraps,
                   const std::vector<std::pair<std::string, std::string>>& settings) {
  Conf conf(rd_kafka_conf_new());
  char errstr[512];
  std::vector<std::pair<std::string, std::string>> all = {{"bootstrap.servers", bootstraps},
                                                          {"log_level", "3"}};
  all.insert(all.end(), settings.begin(), settings.end());
  for (const auto& [key, value] : all) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << "mock kafka client: " << key << ": " << errstr;
      return nullptr;
    }
  }
  // rd_kafka_new takes ownership of conf on success.
  Handle handle(rd_kafka_new(type, conf.get(), errstr, sizeof errstr));
  if (!handle) {
    ADD_FAILURE() << "mock kafka client: " << errstr;
    return nullptr;
  }
  static_cast<void>(conf.release());  // owned by the handle now
  return handle;
}

struct DeliveryState {
  std::atomic<std::uint64_t> failed{0};
  std::atomic<rd_kafka_resp_err_t> first_error{RD_KAFKA_RESP_ERR_NO_ERROR};
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* state = static_cast<DeliveryState*>(message->_private);
  if (state->failed++ == 0) state->first_error = message->err;
}

}  // namespace

std::string ConsumedMessage::header(const std::string& name) const {
  std::string value;
  for (const auto& [key, text] : headers) {
    if (key == name) value = text;
  }
  return value;
}

MockKafkaCluster::MockKafkaCluster(int brokers) : brokers_(brokers) {
  Conf conf(rd_kafka_conf_new());
  char errstr[512];
  rd_kafka_conf_set(conf.get(), "client.id", "mock-cluster", errstr, sizeof errstr);
  rd_kafka_conf_set(conf.get(), "log_level", "3", errstr, sizeof errstr);
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (handle_ == nullptr) {
    ADD_FAILURE() << "mock kafka: " << errstr;
    return;
  }
  static_cast<void>(conf.release());  // owned by the handle now
  cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
  if (cluster_ == nullptr) {
    ADD_FAILURE() << "mock kafka: cannot create the mock cluster";
    return;
  }
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockKafkaCluster::~MockKafkaCluster() {
  if (producer_ != nullptr) rd_kafka_destroy(producer_);
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

bool MockKafkaCluster::create_topic(const std::string& topic, int partitions) {
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "mock kafka: create topic " << topic << ": " << rd_kafka_err2str(err);
    return false;
  }
  return true;
}

bool MockKafkaCluster::produce(const std::string& topic, std::int32_t partition,
                               const std::vector<std::string>& payloads,
                               const std::vector<std::string>& keys) {
  DeliveryState state;
  if (producer_ == nullptr) {
    Conf settings(rd_kafka_conf_new());
    rd_kafka_conf_set_dr_msg_cb(settings.get(), on_delivery);
    char errstr[512];
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"bootstrap.servers", bootstraps_}, {"log_level", "3"}, {"linger.ms", "5"}}) {
      rd_kafka_conf_set(settings.get(), key.c_str(), value.c_str(), errstr, sizeof errstr);
    }
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, settings.get(), errstr, sizeof errstr);
    if (producer_ == nullptr) {
      ADD_FAILURE() << "mock kafka: cannot create a producer: " << errstr;
      return false;
    }
    static_cast<void>(settings.release());  // owned by the handle now
  }
  rd_kafka_t* producer = producer_;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const void* key = i < keys.size() ? keys[i].data() : nullptr;
    const std::size_t key_size = i < keys.size() ? keys[i].size() : 0;
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(const_cast<char*>(payloads[i].data()), payloads[i].size()),
          RD_KAFKA_V_KEY(key, key_size), RD_KAFKA_V_OPAQUE(&state), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ADD_FAILURE() << "mock kafka: produce: " << rd_kafka_err2str(err);
        return false;
      }
      rd_kafka_poll(producer, 50);
    }
  }
  rd_kafka_flush(producer, 30000);
  if (rd_kafka_outq_len(producer) > 0 || state.failed > 0) {
    ADD_FAILURE() << "mock kafka: " << state.failed << " messages failed, "
                  << rd_kafka_outq_len(producer)
                  << " undelivered: " << rd_kafka_err2str(state.first_error);
    return false;
  }
  return true;
}

int MockKafkaCluster::partition_count(const std::string& topic) {
  Handle client = make_client(RD_KAFKA_PRODUCER, bootstraps_, {});
  if (!client) return 0;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(client.get(), 0, handle, &metadata, 10000);
  int count = 0;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
      metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    count = metadata->topics[0].partition_cnt;
  } else {
    ADD_FAILURE() << "mock kafka: no metadata for " << topic << ": " << rd_kafka_err2str(err);
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(handle);
  return count;
}

std::vector<ConsumedMessage> MockKafkaCluster::consume_all(const std::string& topic,
                                                           std::chrono::milliseconds timeout) {
  std::vector<ConsumedMessage> messages;
  const int partitions = partition_count(topic);
  Handle consumer =
      make_client(RD_KAFKA_CONSUMER, bootstraps_,
                  {{"group.id", "mock-kafka-reader-" + std::to_string(client_counter++)},
                   {"enable.auto.commit", "false"},
                   {"enable.partition.eof", "false"}});
  if (!consumer || partitions == 0) return messages;
  rd_kafka_poll_set_consumer(consumer.get());

  std::map<std::int32_t, std::int64_t> end;  // partition → high watermark, for non-empty ones
  List assignment(rd_kafka_topic_partition_list_new(partitions));
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(),
                                                                     partition, &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "mock kafka: watermarks of " << topic << "/" << partition << ": "
                    << rd_kafka_err2str(err);
      return messages;
    }
    if (high > low) {
      end[partition] = high;
      rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  rd_kafka_assign(consumer.get(), assignment.get());

  std::set<std::int32_t> done;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (done.size() < end.size() && std::chrono::steady_clock::now() < deadline) {
    Message message(rd_kafka_consumer_poll(consumer.get(), 100));
    if (!message) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    ConsumedMessage consumed;
    consumed.partition = message->partition;
    consumed.offset = message->offset;
    if (message->key != nullptr) {
      consumed.key.assign(static_cast<const char*>(message->key), message->key_len);
    }
    if (message->payload != nullptr) {
      consumed.payload.assign(static_cast<const char*>(message->payload), message->len);
    }
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        consumed.headers.emplace_back(
            name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
      }
    }
    if (consumed.offset + 1 >= end[consumed.partition]) done.insert(consumed.partition);
    messages.push_back(std::move(consumed));
  }
  if (done.size() < end.size()) ADD_FAILURE() << "mock kafka: timed out reading " << topic;
  rd_kafka_consumer_close(consumer.get());
  std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) {
    return std::pair(a.partition, a.offset) < std::pair(b.partition, b.offset);
  });
  return messages;
}

std::map<std::int32_t, std::int64_t> MockKafkaCluster::committed_offsets(const std::string& group,
                                                                         const std::string& topic) {
  std::map<std::int32_t, std::int64_t> offsets;
  const int partitions = partition_count(topic);
  Handle consumer = make_client(RD_KAFKA_CONSUMER, bootstraps_,
                                {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!consumer || partitions == 0) return offsets;
  List list(rd_kafka_topic_partition_list_new(partitions));
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  }
  const rd_kafka_resp_err_t err = rd_kafka_committed(consumer.get(), list.get(), 10000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "mock kafka: committed offsets of " << group << ": " << rd_kafka_err2str(err);
    return offsets;
  }
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR && list->elems[i].offset >= 0) {
      offsets[list->elems[i].partition] = list->elems[i].offset;
    }
  }
  rd_kafka_consumer_close(consumer.get());
  return offsets;
}

bool MockKafkaCluster::commit_offsets(const std::string& group, const std::string& topic,
                                      const std::map<std::int32_t, std::int64_t>& offsets) {
  Handle consumer = make_client(RD_KAFKA_CONSUMER, bootstraps_,
                                {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!consumer) return false;
  List list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [partition, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  }
  const rd_kafka_resp_err_t err = rd_kafka_commit(consumer.get(), list.get(), 0);
  rd_kafka_consumer_close(consumer.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "mock kafka: commit for " << group << ": " << rd_kafka_err2str(err);
    return false;
  }
  return true;
}

bool MockKafkaCluster::broker_down(std::int32_t broker_id) {
  return rd_kafka_mock_broker_set_down(cluster_, broker_id) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool MockKafkaCluster::broker_up(std::int32_t broker_id) {
  // The cached producer may be stuck in reconnect back-off: the next produce() makes a new one.
  if (producer_ != nullptr) {
    rd_kafka_destroy(producer_);
    producer_ = nullptr;
  }
  return rd_kafka_mock_broker_set_up(cluster_, broker_id) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace fairwatch::testing
