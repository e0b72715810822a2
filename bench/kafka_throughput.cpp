// Kafka benchmark: a bare librdkafka consumer and fairwatchd (a separate
// process) over the same mock-cluster topic, then fairwatchd's memory over a
// long stream and its decision-to-metric latency. Prints one table.
//   kafka_throughput --config bench/daemon.yaml --fairwatchd PATH
//                    [--events 1000000] [--long-events 10000000] [--partitions 64]
#include <arpa/inet.h>
#include <librdkafka/rdkafkacpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fairwatch/daemon/embedded_kafka.h"
#include "fairwatch/daemon/synthetic_adm.h"

namespace {

using Clock = std::chrono::steady_clock;
using fairwatch::daemon::SyntheticAdm;

struct Options {
  std::string config;
  std::string fairwatchd;
  std::uint64_t events = 1'000'000;
  std::uint64_t long_events = 10'000'000;
  int partitions = 64;
};

const std::vector<std::string> kSystems = {"cv-screener-v3", "talent-match-v2",
                                           "video-interview-v1", "assessment-v4"};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<RdKafka::Producer> make_producer(const std::string& brokers) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", brokers, error);
  conf->set("linger.ms", "50", error);
  conf->set("batch.num.messages", "10000", error);
  conf->set("queue.buffering.max.messages", "1000000", error);
  conf->set("log_level", "3", error);
  return std::unique_ptr<RdKafka::Producer>(RdKafka::Producer::create(conf.get(), error));
}

// Produces `count` synthetic events (event time: now) to `topic`.
void produce(RdKafka::Producer& producer, SyntheticAdm& adm, const std::string& topic,
             std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto event = adm.next(now_ms());
    while (producer.produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                            const_cast<char*>(event.payload.data()), event.payload.size(),
                            event.key.data(), event.key.size(), 0,
                            nullptr) == RdKafka::ERR__QUEUE_FULL) {
      producer.poll(10);
    }
    if (i % 1000 == 0) producer.poll(0);
  }
  producer.flush(60'000);
}

double bare_consumer_rate(const std::string& brokers, const std::string& topic,
                          std::uint64_t events) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", brokers, error);
  conf->set("group.id", "bare-consumer", error);
  conf->set("auto.offset.reset", "earliest", error);
  conf->set("enable.auto.commit", "false", error);
  conf->set("log_level", "3", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  consumer->subscribe({topic});
  std::uint64_t received = 0;
  Clock::time_point first;
  while (received < events) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(100));
    if (message->err() != RdKafka::ERR_NO_ERROR) continue;
    if (received++ == 0) first = Clock::now();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - first).count();
  consumer->close();
  return static_cast<double>(events - 1) / seconds;
}

std::string http_get_body(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[65536];
  ssize_t n = 0;
  while ((n = read(fd, buffer, sizeof buffer)) > 0)
    response.append(buffer, static_cast<std::size_t>(n));
  close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the first sample line starting with `prefix` (e.g. a metric name).
double metric(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0 && (line.size() == prefix.size() || line[prefix.size()] == ' ' ||
                                       line[prefix.size()] == '{')) {
      return std::strtod(line.c_str() + line.rfind(' '), nullptr);
    }
  }
  return -1;
}

std::uint64_t status_kib(pid_t pid, const char* field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtoull(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return 0;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// fairwatchd as a child process on `topic`.
struct Daemon {
  pid_t pid = -1;
  int port = 0;
  std::string directory;

  Daemon(const Options& options, const std::string& brokers, const std::string& topic) {
    directory = std::filesystem::temp_directory_path() / ("fairwatch-bench-" + topic);
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    port = free_port();
    std::ifstream base(options.config);
    std::stringstream config;
    config << base.rdbuf() << "source:\n  kafka:\n    brokers: \"" << brokers
           << "\"\n    topic: " << topic << "\n    group_id: fairwatchd-" << topic
           << "\nexporter: {listen: 127.0.0.1:" << port << "}\ncheckpoint: {path: " << directory
           << "/state, interval: 10s}\nlogging: {level: warning}\n";
    std::ofstream(directory + "/fairwatch.yaml") << config.str();
    pid = fork();
    if (pid == 0) {
      const std::string log = directory + "/fairwatchd.log";
      if (std::freopen(log.c_str(), "w", stderr) == nullptr) _exit(126);
      execl(options.fairwatchd.c_str(), options.fairwatchd.c_str(), "--config",
            (directory + "/fairwatch.yaml").c_str(), nullptr);
      _exit(127);
    }
  }
  ~Daemon() {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    std::filesystem::remove_all(directory);
  }
  double received() const {
    return metric(http_get_body(port, "/metrics"), "fairwatch_events_received_total");
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--config") options.config = value;
    if (flag == "--fairwatchd") options.fairwatchd = value;
    if (flag == "--events") options.events = std::stoull(value);
    if (flag == "--long-events") options.long_events = std::stoull(value);
    if (flag == "--partitions") options.partitions = std::stoi(value);
  }
  if (options.config.empty() || options.fairwatchd.empty()) {
    std::fprintf(stderr,
                 "usage: kafka_throughput --config FILE --fairwatchd PATH [--events N] "
                 "[--long-events N] [--partitions N]\n");
    return 2;
  }
  auto started = fairwatch::daemon::EmbeddedKafka::start(3);
  if (std::holds_alternative<std::string>(started)) return 1;
  auto& kafka = *std::get<std::unique_ptr<fairwatch::daemon::EmbeddedKafka>>(started);
  const std::string brokers = kafka.bootstraps();
  fairwatch::daemon::SyntheticAdmOptions adm_options;
  adm_options.systems = kSystems;
  adm_options.requisitions = 400;
  SyntheticAdm adm(adm_options);
  auto producer = make_producer(brokers);

  // 1. The same topic for both consumers.
  kafka.create_topic("bench", options.partitions);
  std::fprintf(stderr, "producing %" PRIu64 " events...\n", options.events);
  produce(*producer, adm, "bench", options.events);
  const double bare = bare_consumer_rate(brokers, "bench", options.events);

  double daemon_rate = 0;
  std::uint64_t rss_after_first_kib = 0;
  {
    Daemon daemon(options, brokers, "bench");
    // Rate while consuming: between the first sample showing progress and the
    // last sample before the end (so idle time after the end does not count).
    // Polled every 2 s: a scrape of ~45k series costs the daemon real CPU.
    double first = -1;
    Clock::time_point first_time;
    double last_partial = -1;
    Clock::time_point last_partial_time;
    for (;;) {
      const double received = daemon.received();
      const auto now = Clock::now();
      if (received > 0 && first < 0) {
        first = received;
        first_time = now;
      }
      if (received >= static_cast<double>(options.events)) {
        if (last_partial > first) {
          daemon_rate = (last_partial - first) /
                        std::chrono::duration<double>(last_partial_time - first_time).count();
        } else {
          daemon_rate =
              (received - first) / std::chrono::duration<double>(now - first_time).count();
        }
        break;
      }
      if (received > 0) {
        last_partial = received;
        last_partial_time = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    }
    rss_after_first_kib = status_kib(daemon.pid, "VmRSS:");
  }

  // 2. A long stream produced while fairwatchd consumes it; RSS sampled along the way.
  if (options.long_events == 0) {
    std::printf("fairwatchd / bare consumer: %.0f / %.0f = %.2f\n", daemon_rate, bare,
                daemon_rate / bare);
    return 0;
  }
  kafka.create_topic("long", options.partitions);
  std::vector<std::pair<double, std::uint64_t>> rss_samples;
  double long_consumed = 0;
  std::vector<double> latencies_ms;
  {
    Daemon daemon(options, brokers, "long");
    std::atomic<double> consumed{0};
    std::atomic<bool> done{false};
    std::thread feeder([&] {
      std::uint64_t sent = 0;
      while (sent < options.long_events) {
        // Stay at most 300k events ahead: the mock keeps only ~5 MiB per partition.
        if (static_cast<double>(sent) - consumed.load() > 300'000) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        const std::uint64_t batch = std::min<std::uint64_t>(50'000, options.long_events - sent);
        produce(*producer, adm, "long", batch);
        sent += batch;
      }
      done = true;
    });
    double next_sample = 1'000'000;
    double last = -1;
    auto last_change = Clock::now();
    for (;;) {
      const double received = daemon.received();
      if (received >= 0) consumed = received;
      if (received >= next_sample) {
        rss_samples.emplace_back(received, status_kib(daemon.pid, "VmRSS:"));
        next_sample += 1'000'000;
      }
      if (received != last) {
        last = received;
        last_change = Clock::now();
      }
      // Done when everything was produced and the count stopped moving (the
      // mock may have dropped a few events if the consumer fell behind).
      if (done.load() && (received >= static_cast<double>(options.long_events) ||
                          Clock::now() - last_change > std::chrono::seconds(10))) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
    long_consumed = last;
    feeder.join();
    // 3. Decision-to-metric latency: one probe decision at a time, from produce to /metrics.
    fairwatch::daemon::SyntheticAdmOptions probe_options;
    probe_options.systems = {kSystems[0]};
    SyntheticAdm probe(probe_options);
    for (int i = 0; i < 20; ++i) {
      const double before = daemon.received();
      const auto event = probe.next(now_ms());
      const auto start = Clock::now();
      producer->produce("long", RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                        const_cast<char*>(event.payload.data()), event.payload.size(), nullptr, 0,
                        0, nullptr);
      producer->flush(5000);
      while (daemon.received() <= before) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      std::this_thread::sleep_for(
          std::chrono::milliseconds(137));  // de-correlate from the 1 s refresh
    }
  }

  std::printf("\n%-44s %14s\n", "measure", "value");
  std::printf("%-44s %14.0f\n", "bare librdkafka consumer (events/s)", bare);
  std::printf("%-44s %14.0f\n", "fairwatchd (events/s)", daemon_rate);
  std::printf("%-44s %14.2f\n", "fairwatchd / bare consumer", daemon_rate / bare);
  std::printf("%-44s %14.1f\n", "fairwatchd RSS after 1M events (MiB)",
              static_cast<double>(rss_after_first_kib) / 1024.0);
  for (const auto& [events, kib] : rss_samples) {
    char label[64];
    std::snprintf(label, sizeof label, "  RSS after %.0fM events, long stream (MiB)", events / 1e6);
    std::printf("%-44s %14.1f\n", label, static_cast<double>(kib) / 1024.0);
  }
  std::printf("%-44s %14.0f\n", "  events consumed in the long stream", long_consumed);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  if (!latencies_ms.empty()) {
    std::printf("%-44s %14.0f\n", "decision-to-metric latency, median (ms)",
                latencies_ms[latencies_ms.size() / 2]);
    std::printf("%-44s %14.0f\n", "decision-to-metric latency, p90 (ms)",
                latencies_ms[latencies_ms.size() * 9 / 10]);
  }
  return 0;
}
