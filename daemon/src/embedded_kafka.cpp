#include "fairwatch/daemon/embedded_kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace fairwatch::daemon {

struct EmbeddedKafka::Handles {
  rd_kafka_t* client = nullptr;  // the mock cluster needs a client handle to live on
  rd_kafka_mock_cluster_t* cluster = nullptr;
  ~Handles() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (client != nullptr) rd_kafka_destroy(client);
  }
};

std::variant<std::unique_ptr<EmbeddedKafka>, std::string> EmbeddedKafka::start(int brokers) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "client.id", "fairwatch-embedded-kafka", error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  std::unique_ptr<EmbeddedKafka> kafka(new EmbeddedKafka());
  kafka->handles_ = std::make_unique<Handles>();
  // rd_kafka_new takes ownership of conf on success only.
  kafka->handles_->client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (kafka->handles_->client == nullptr) {
    rd_kafka_conf_destroy(conf);
    return std::string("cannot create the embedded Kafka client: ") + error;
  }
  kafka->handles_->cluster = rd_kafka_mock_cluster_new(kafka->handles_->client, brokers);
  if (kafka->handles_->cluster == nullptr) return std::string("cannot start the mock cluster");
  kafka->bootstraps_ = rd_kafka_mock_cluster_bootstraps(kafka->handles_->cluster);
  return kafka;
}

EmbeddedKafka::~EmbeddedKafka() = default;

bool EmbeddedKafka::create_topic(const std::string& topic, int partitions) {
  return rd_kafka_mock_topic_create(handles_->cluster, topic.c_str(), partitions, 1) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace fairwatch::daemon
