// EmbeddedKafka: librdkafka's mock cluster running inside this process — a
// real Kafka protocol endpoint on 127.0.0.1 that other clients (in this
// process or others) reach over TCP. For `fairwatch demo` and tests; not for
// production data (it keeps only a few MiB per partition). Thread-safe as far
// as librdkafka's mock API is.
#pragma once

#include <memory>
#include <string>
#include <variant>

namespace fairwatch::daemon {

class EmbeddedKafka {
 public:
  // Starts `brokers` mock brokers. Returns the cluster or why it failed.
  static std::variant<std::unique_ptr<EmbeddedKafka>, std::string> start(int brokers);
  ~EmbeddedKafka();
  EmbeddedKafka(const EmbeddedKafka&) = delete;
  EmbeddedKafka& operator=(const EmbeddedKafka&) = delete;

  // "127.0.0.1:PORT,…": the bootstrap servers.
  const std::string& bootstraps() const { return bootstraps_; }
  // Creates a topic; false if the cluster refused.
  bool create_topic(const std::string& topic, int partitions);

 private:
  EmbeddedKafka() = default;
  struct Handles;
  std::unique_ptr<Handles> handles_;
  std::string bootstraps_;
};

}  // namespace fairwatch::daemon
