// MockKafkaCluster: librdkafka's in-process mock cluster (reachable over TCP
// on 127.0.0.1, so child processes and kcat can use it too), with helpers to
// create topics, produce, read a topic back, inspect committed offsets and
// take brokers down. Destroying it destroys the cluster: clients still
// connected then only see their brokers go away.
//
// Thread-compatible; the cluster itself runs on librdkafka's threads. Helper
// failures are reported as GoogleTest failures (ADD_FAILURE) plus a
// false/empty result.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace fairwatch::testing {

struct ConsumedMessage {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;  // in order
  // The last value of header `name`, "" when absent.
  std::string header(const std::string& name) const;
};

class MockKafkaCluster {
 public:
  // REQUIRES: brokers >= 1. Broker ids are 1..brokers.
  explicit MockKafkaCluster(int brokers = 3);
  ~MockKafkaCluster();
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  // "127.0.0.1:PORT,..." for bootstrap.servers.
  const std::string& bootstraps() const { return bootstraps_; }

  bool create_topic(const std::string& topic, int partitions);

  // Produces every payload (to `partition`, or -1 for librdkafka's default
  // partitioner) in one batch and waits until all are acknowledged. With
  // `keys`, one key per payload.
  bool produce(const std::string& topic, std::int32_t partition,
               const std::vector<std::string>& payloads, const std::vector<std::string>& keys = {});

  // Reads `topic` from the beginning up to the high watermarks at the time of
  // the call (a throw-away consumer outside any group), ordered by partition
  // then offset.
  std::vector<ConsumedMessage> consume_all(
      const std::string& topic, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // The group's committed offsets for the topic's partitions (partitions
  // without one are left out).
  std::map<std::int32_t, std::int64_t> committed_offsets(const std::string& group,
                                                         const std::string& topic);

  // Commits offsets for `group` from outside the group. The mock accepts this
  // only while the group has no members (e.g. before any consumer joined).
  bool commit_offsets(const std::string& group, const std::string& topic,
                      const std::map<std::int32_t, std::int64_t>& offsets);

  // Disconnects the broker and refuses new connections (leaders stay put).
  bool broker_down(std::int32_t broker_id);
  bool broker_up(std::int32_t broker_id);
  int broker_count() const { return brokers_; }

 private:
  int partition_count(const std::string& topic);

  int brokers_;
  rd_kafka_s* handle_ = nullptr;    // owns the cluster
  rd_kafka_s* producer_ = nullptr;  // for produce(), created on first use
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
};

}  // namespace fairwatch::testing
