// KafkaSource, KafkaDeadLetterSink, property resolution, the synthetic ADM and
// `fairwatch simulate`, against librdkafka's mock cluster over TCP.
#include "fairwatch/daemon/kafka_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "child_process.h"
#include "fairwatch/config/load.h"
#include "fairwatch/daemon/decoder.h"
#include "fairwatch/daemon/log.h"
#include "fairwatch/daemon/synthetic_adm.h"
#include "mock_kafka.h"

namespace fairwatch::testing {
namespace {

using daemon::KafkaDeadLetterSink;
using daemon::KafkaSource;
using daemon::PartitionOffset;
using daemon::PollStatus;
using daemon::SourceMessage;
using std::chrono::milliseconds;
using std::chrono::seconds;

config::KafkaConfig kafka_config(const MockKafkaCluster& cluster, const std::string& topic,
                                 const std::string& group) {
  config::KafkaConfig config;
  config.brokers = cluster.bootstraps();
  config.topic = topic;
  config.group_id = group;
  config.properties = {{"session.timeout.ms", "6000"},
                       {"heartbeat.interval.ms", "500"},
                       {"reconnect.backoff.max.ms", "1000"},
                       {"log_level", "3"}};
  // FAIRWATCH_KAFKA_DEBUG=cgrp,protocol (librdkafka `debug` contexts) logs
  // the clients' debug output, for diagnosing these tests.
  if (const char* debug = std::getenv("FAIRWATCH_KAFKA_DEBUG")) {
    config.properties["debug"] = debug;
    config.properties["log_level"] = "7";
    daemon::Log::global().set_level(config::LogLevel::debug);
  }
  return config;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int count) {
  std::vector<std::string> out;
  for (int i = from; i < from + count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Records assignment changes in a log shared by several listeners, tracks the
// next offset consumed per partition, and (with a source) commits those in
// on_revoked, as the daemon's checkpointing listener does.
class RecordingListener : public daemon::PartitionListener {
 public:
  RecordingListener(std::string name, std::vector<std::string>& events)
      : name_(std::move(name)), events_(events) {}

  std::vector<std::optional<std::int64_t>> on_assigned(
      std::span<const std::int32_t> partitions) override {
    std::vector<std::optional<std::int64_t>> offsets;
    for (const auto partition : partitions) {
      events_.push_back(name_ + " assigned " + std::to_string(partition));
      const auto start = start_offsets.find(partition);
      offsets.push_back(start != start_offsets.end() ? start->second
                                                     : std::optional<std::int64_t>());
    }
    return offsets;
  }

  void on_revoked(std::span<const std::int32_t> partitions) override {
    std::vector<PartitionOffset> commits;
    for (const auto partition : partitions) {
      events_.push_back(name_ + " revoked " + std::to_string(partition));
      revoked.push_back(partition);
      const auto next = next_offsets.find(partition);
      if (next != next_offsets.end()) commits.push_back({partition, next->second});
    }
    if (source != nullptr && !commits.empty()) {
      if (!source->commit(commits) && commits_must_succeed) {
        for (const auto& commit : commits) refused_commits.push_back(commit.partition);
      }
    }
  }

  void record(const SourceMessage& message) {
    next_offsets[message.partition] = message.offset + 1;
    payloads.emplace_back(message.payload);
    positions.emplace_back(message.partition, message.offset);
  }

  std::map<std::int32_t, std::optional<std::int64_t>> start_offsets;
  std::map<std::int32_t, std::int64_t> next_offsets;
  std::vector<std::string> payloads;
  std::vector<std::pair<std::int32_t, std::int64_t>> positions;
  std::vector<std::int32_t> revoked;
  daemon::EventSource* source = nullptr;
  // Partitions whose commit in on_revoked failed, unless cleared (before a
  // close() that leaves a re-forming group: the mock refuses those commits).
  bool commits_must_succeed = true;
  std::vector<std::int32_t> refused_commits;

 private:
  std::string name_;
  std::vector<std::string>& events_;
};

std::unique_ptr<KafkaSource> make_source(const config::KafkaConfig& config,
                                         RecordingListener& listener) {
  auto created = KafkaSource::create(config, listener);
  if (auto* error = std::get_if<std::string>(&created)) {
    ADD_FAILURE() << *error;
    return nullptr;
  }
  auto source = std::move(std::get<std::unique_ptr<KafkaSource>>(created));
  listener.source = source.get();
  return source;
}

// One poll of at most 100 ms; false on a fatal status.
bool poll_once(KafkaSource& source, RecordingListener& listener) {
  const PollStatus status = source.poll(
      milliseconds(100), 1000, [&](const SourceMessage& message) { listener.record(message); });
  EXPECT_EQ(status, PollStatus::ok) << source.fatal_error();
  return status == PollStatus::ok;
}

bool consume_until(KafkaSource& source, RecordingListener& listener, std::size_t count,
                   milliseconds timeout) {
  return wait_until(
      [&] { return poll_once(source, listener) && listener.payloads.size() >= count; }, timeout);
}

void expect_exactly(std::vector<std::string> seen, std::vector<std::string> expected) {
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "a message seen twice";
  EXPECT_EQ(seen, expected);
}

TEST(KafkaSource, ConsumesEveryEventOnceAndCommits) {
  MockKafkaCluster cluster;
  ASSERT_TRUE(cluster.create_topic("decisions", 4));
  const auto payloads = numbered("event-", 0, 400);
  ASSERT_TRUE(cluster.produce("decisions", -1, payloads, numbered("key-", 0, 400)));

  std::vector<std::string> events;
  RecordingListener listener("a", events);
  auto source = make_source(kafka_config(cluster, "decisions", "consume-once"), listener);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->topic(), "decisions");
  ASSERT_TRUE(consume_until(*source, listener, payloads.size(), seconds(30)));
  // Nothing more arrives.
  for (int i = 0; i < 3; ++i) poll_once(*source, listener);
  expect_exactly(listener.payloads, payloads);
  EXPECT_EQ(source->assignment(), (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_GE(source->rebalances(), 1u);
  ASSERT_TRUE(wait_until(
      [&] {
        poll_once(*source, listener);
        const auto health = source->health();
        return health.connected && health.lag_messages == 0;
      },
      seconds(10)));
  EXPECT_EQ(source->health().assigned_partitions, 4u);

  std::vector<PartitionOffset> commits;
  for (const auto& [partition, next] : listener.next_offsets) commits.push_back({partition, next});
  ASSERT_TRUE(source->commit(commits));
  EXPECT_EQ(cluster.committed_offsets("consume-once", "decisions"),
            (std::map<std::int32_t, std::int64_t>(listener.next_offsets.begin(),
                                                  listener.next_offsets.end())));

  source->close();
  source->close();  // idempotent
  EXPECT_TRUE(source->assignment().empty());
  EXPECT_EQ(source->poll(milliseconds(0), 1, [](const SourceMessage&) {}), PollStatus::fatal);
  EXPECT_FALSE(source->commit(commits));
}

TEST(KafkaSource, HonoursListenerStartOffsetsAndFurtherCommits) {
  MockKafkaCluster cluster;
  ASSERT_TRUE(cluster.create_topic("decisions", 4));
  for (std::int32_t partition = 0; partition < 4; ++partition) {
    ASSERT_TRUE(cluster.produce("decisions", partition,
                                numbered("p" + std::to_string(partition) + "-", 0, 20)));
  }
  // The group committed 7 on partition 1 and 8 on partition 2.
  ASSERT_TRUE(cluster.commit_offsets("start-offsets", "decisions", {{1, 7}, {2, 8}}));

  std::vector<std::string> events;
  RecordingListener listener("a", events);
  // 0: the checkpoint's 5. 1: none → committed 7. 2: the checkpoint's 2, but
  // the group committed 8 → 8. 3: none, nothing committed → earliest.
  listener.start_offsets = {{0, 5}, {1, std::nullopt}, {2, 2}, {3, std::nullopt}};
  auto config = kafka_config(cluster, "decisions", "start-offsets");
  config.properties["partition.assignment.strategy"] = "range";  // the EAGER protocol
  auto source = make_source(config, listener);
  ASSERT_NE(source, nullptr);
  const std::size_t expected = 15 + 13 + 12 + 20;
  ASSERT_TRUE(consume_until(*source, listener, expected, seconds(30)));
  for (int i = 0; i < 3; ++i) poll_once(*source, listener);
  EXPECT_EQ(listener.payloads.size(), expected);

  std::map<std::int32_t, std::int64_t> first;
  for (const auto& [partition, offset] : listener.positions) {
    if (!first.contains(partition) || offset < first[partition]) first[partition] = offset;
  }
  EXPECT_EQ(first, (std::map<std::int32_t, std::int64_t>{{0, 5}, {1, 7}, {2, 8}, {3, 0}}));
  EXPECT_EQ(listener.next_offsets,
            (std::map<std::int32_t, std::int64_t>{{0, 20}, {1, 20}, {2, 20}, {3, 20}}));
}

// One cooperative handover from a to b. Sets `commit_refused` when the mock
// refused a's commit in on_revoked; then only no-loss is checked.
//
// The mock (librdkafka 2.0.2) completes a SyncGroup round as soon as the
// leader's request arrives; a follower's SyncGroup arriving after it gets
// INVALID_REQUEST and rejoins, which starts another round at once, and the mock
// refuses commits while a round forms (a real broker accepts them while
// preparing a rebalance). Which SyncGroup arrives first is a race.
void cooperative_handover(bool& commit_refused) {
  MockKafkaCluster cluster;
  ASSERT_TRUE(cluster.create_topic("decisions", 6));
  auto all = numbered("early-", 0, 300);
  ASSERT_TRUE(cluster.produce("decisions", -1, all, all));

  std::vector<std::string> events;
  RecordingListener listener_a("a", events);
  RecordingListener listener_b("b", events);
  const auto config = kafka_config(cluster, "decisions", "cooperative");
  auto a = make_source(config, listener_a);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(consume_until(*a, listener_a, 300, seconds(30)));
  ASSERT_EQ(a->assignment().size(), 6u);

  auto b = make_source(config, listener_b);
  ASSERT_NE(b, nullptr);
  const auto late = numbered("late-", 0, 300);
  bool produced_late = false;
  all.insert(all.end(), late.begin(), late.end());
  ASSERT_TRUE(wait_until(
      [&] {
        poll_once(*a, listener_a);
        poll_once(*b, listener_b);
        if (!produced_late && !b->assignment().empty()) {
          produced_late = cluster.produce("decisions", -1, late, late);
        }
        std::set<std::string> distinct(listener_a.payloads.begin(), listener_a.payloads.end());
        distinct.insert(listener_b.payloads.begin(), listener_b.payloads.end());
        return produced_late && distinct.size() >= all.size() &&
               a->assignment().size() + b->assignment().size() == 6;
      },
      seconds(40)));
  for (int i = 0; i < 3; ++i) {
    poll_once(*a, listener_a);
    poll_once(*b, listener_b);
  }

  // Cooperative: a kept some partitions and lost exactly those b received,
  // each revoked from a before b got it.
  EXPECT_FALSE(a->assignment().empty());
  EXPECT_FALSE(b->assignment().empty());
  std::vector<std::int32_t> revoked = listener_a.revoked;
  std::sort(revoked.begin(), revoked.end());
  EXPECT_EQ(revoked, b->assignment());
  for (const auto partition : b->assignment()) {
    const auto revoked_at =
        std::find(events.begin(), events.end(), "a revoked " + std::to_string(partition));
    const auto assigned_at =
        std::find(events.begin(), events.end(), "b assigned " + std::to_string(partition));
    ASSERT_NE(assigned_at, events.end());
    EXPECT_LT(revoked_at - events.begin(), assigned_at - events.begin()) << partition;
  }
  EXPECT_GE(a->rebalances(), 2u);
  EXPECT_TRUE(listener_b.refused_commits.empty());

  std::vector<std::string> seen = listener_a.payloads;
  seen.insert(seen.end(), listener_b.payloads.begin(), listener_b.payloads.end());
  commit_refused = !listener_a.refused_commits.empty();
  if (commit_refused) {
    std::set<std::string> distinct(seen.begin(), seen.end());
    EXPECT_EQ(distinct, std::set<std::string>(all.begin(), all.end()));
  } else {
    expect_exactly(seen, all);
  }

  listener_a.commits_must_succeed = false;
  listener_b.commits_must_succeed = false;
  b->close();
  a->close();
}

TEST(KafkaSource, CooperativeRebalanceHandsPartitionsOverExactlyOnce) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    bool commit_refused = false;
    cooperative_handover(commit_refused);
    if (HasFailure() || !commit_refused) return;
    std::printf("attempt %d: the mock refused the handover commit (SyncGroup race); again\n",
                attempt);
  }
  ADD_FAILURE() << "the mock refused the handover commit three times";
}

TEST(KafkaSource, HealthFollowsTheBrokers) {
  MockKafkaCluster cluster;
  ASSERT_TRUE(cluster.create_topic("decisions", 2));
  ASSERT_TRUE(cluster.produce("decisions", -1, numbered("before-", 0, 10)));
  std::vector<std::string> events;
  RecordingListener listener("a", events);
  auto source = make_source(kafka_config(cluster, "decisions", "health"), listener);
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(consume_until(*source, listener, 10, seconds(30)));
  ASSERT_TRUE(wait_until([&] { return poll_once(*source, listener) && source->health().connected; },
                         seconds(10)));

  for (int broker = 1; broker <= cluster.broker_count(); ++broker) {
    ASSERT_TRUE(cluster.broker_down(broker));
  }
  const auto down_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(
      [&] { return poll_once(*source, listener) && !source->health().connected; }, seconds(15)));
  const auto noticed = std::chrono::steady_clock::now() - down_at;
  EXPECT_LT(noticed, seconds(10));
  const std::uint64_t errors_while_down = source->kafka_errors();

  for (int broker = 1; broker <= cluster.broker_count(); ++broker) {
    ASSERT_TRUE(cluster.broker_up(broker));
  }
  ASSERT_TRUE(wait_until([&] { return poll_once(*source, listener) && source->health().connected; },
                         seconds(20)));
  ASSERT_TRUE(cluster.produce("decisions", -1, numbered("after-", 0, 10)));
  ASSERT_TRUE(consume_until(*source, listener, 20, seconds(30)));
  std::vector<std::string> expected = numbered("before-", 0, 10);
  const auto after = numbered("after-", 0, 10);
  expected.insert(expected.end(), after.begin(), after.end());
  expect_exactly(listener.payloads, expected);
  EXPECT_GE(errors_while_down, 1u);
  std::printf("all brokers down noticed after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(noticed).count()));
}

TEST(KafkaSource, RejectsInvalidPropertiesNamingTheKeyNotTheValue) {
  std::vector<std::string> events;
  RecordingListener listener("a", events);
  config::KafkaConfig config;
  config.brokers = "127.0.0.1:1";
  config.topic = "decisions";
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"session.timeout.ms", "s3cr3t-not-a-number"},
           {"no.such.property", "hunter2-secret"},
           {"security.protocol", "sasl_s3cr3t"}}) {
    config.properties = {{key, value}};
    auto created = KafkaSource::create(config, listener);
    ASSERT_EQ(created.index(), 1u) << key;
    const std::string& error = std::get<std::string>(created);
    EXPECT_NE(error.find(key), std::string::npos) << error;
    EXPECT_EQ(error.find("s3cr3t"), std::string::npos) << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  }
  config.properties = {{"sasl.password", "${FAIRWATCH_TEST_SURELY_UNSET}"}};
  auto created = KafkaSource::create(config, listener);
  ASSERT_EQ(created.index(), 1u);
  EXPECT_NE(std::get<std::string>(created).find("sasl.password"), std::string::npos);
  EXPECT_NE(std::get<std::string>(created).find("FAIRWATCH_TEST_SURELY_UNSET"), std::string::npos);

  config.dead_letter_topic = "dlq";
  config.properties = {{"no.such.property", "hunter2-secret"}};
  auto sink = KafkaDeadLetterSink::create(config);
  ASSERT_EQ(sink.index(), 1u);
  EXPECT_NE(std::get<std::string>(sink).find("no.such.property"), std::string::npos);
  EXPECT_EQ(std::get<std::string>(sink).find("hunter2"), std::string::npos);
}

TEST(KafkaSource, OverridesAutoCommitWithAWarning) {
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  daemon::Log::global().set_output(log);
  std::vector<std::string> events;
  RecordingListener listener("a", events);
  config::KafkaConfig config;
  config.brokers = "127.0.0.1:1";
  config.topic = "decisions";
  config.properties = {{"enable.auto.commit", "true"}, {"enable.auto.offset.store", "true"}};
  {
    auto created = KafkaSource::create(config, listener);
    ASSERT_EQ(created.index(), 0u) << std::get<std::string>(created);
  }
  daemon::Log::global().set_output(stderr);
  std::rewind(log);
  std::string text;
  for (int c = std::fgetc(log); c != EOF; c = std::fgetc(log)) text += static_cast<char>(c);
  std::fclose(log);
  EXPECT_NE(text.find("\"property\":\"enable.auto.commit\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"property\":\"enable.auto.offset.store\""), std::string::npos) << text;
}

TEST(KafkaProperties, ResolvesEnvironmentVariablesAndFiles) {
  const std::string dir = ::testing::TempDir();
  const std::string lf = dir + "/kafka-secret-lf";
  const std::string crlf = dir + "/kafka-secret-crlf";
  std::ofstream(lf) << "pa55word\n";
  std::ofstream(crlf) << "line one\nline two\r\n";
  const daemon::EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "KAFKA_USER") return "fairwatch";
    if (name == "SECRET_PATH") return crlf;
    return std::nullopt;
  };

  auto resolved = daemon::resolve_kafka_properties({{"sasl.username", "${KAFKA_USER}"},
                                                    {"sasl.password_file", lf},
                                                    {"ssl.key.password_file", "${SECRET_PATH}"},
                                                    {"client.rack", "a${KAFKA_USER}"},
                                                    {"security.protocol", "SASL_SSL"}},
                                                   env);
  ASSERT_EQ(resolved.index(), 0u) << std::get<std::string>(resolved);
  EXPECT_EQ(std::get<daemon::KafkaProperties>(resolved),
            (daemon::KafkaProperties{{"client.rack", "a${KAFKA_USER}"},
                                     {"sasl.password", "pa55word"},
                                     {"sasl.username", "fairwatch"},
                                     {"security.protocol", "SASL_SSL"},
                                     {"ssl.key.password", "line one\nline two"}}));

  auto unset = daemon::resolve_kafka_properties({{"sasl.password", "${NOPE}"}}, env);
  ASSERT_EQ(unset.index(), 1u);
  EXPECT_NE(std::get<std::string>(unset).find("sasl.password"), std::string::npos);
  EXPECT_NE(std::get<std::string>(unset).find("NOPE"), std::string::npos);

  auto unreadable =
      daemon::resolve_kafka_properties({{"sasl.password_file", dir + "/does-not-exist"}}, env);
  ASSERT_EQ(unreadable.index(), 1u);
  EXPECT_NE(std::get<std::string>(unreadable).find("sasl.password_file"), std::string::npos);

  auto both =
      daemon::resolve_kafka_properties({{"sasl.password", "x"}, {"sasl.password_file", lf}}, env);
  ASSERT_EQ(both.index(), 1u);
  EXPECT_EQ(std::get<std::string>(both).find("pa55word"), std::string::npos);

  ::setenv("FAIRWATCH_KAFKA_TEST_USER", "from-process-env", 1);
  auto process =
      daemon::resolve_kafka_properties({{"sasl.username", "${FAIRWATCH_KAFKA_TEST_USER}"}});
  ::unsetenv("FAIRWATCH_KAFKA_TEST_USER");
  ASSERT_EQ(process.index(), 0u);
  EXPECT_EQ(std::get<daemon::KafkaProperties>(process),
            (daemon::KafkaProperties{{"sasl.username", "from-process-env"}}));

  EXPECT_EQ(daemon::redact_kafka_text("bad value \"pa55word\" for x",
                                      {{"sasl.password", "pa55word"}, {"acks", "1"}}),
            "bad value \"[redacted]\" for x");
}

TEST(KafkaDeadLetterSink, CopiesRejectedEventsWithHeaders) {
  MockKafkaCluster cluster;
  ASSERT_TRUE(cluster.create_topic("decisions.dlq", 1));
  config::KafkaConfig config;
  config.brokers = cluster.bootstraps();
  config.topic = "decisions";
  config.dead_letter_topic = "decisions.dlq";
  auto created = KafkaDeadLetterSink::create(config);
  ASSERT_EQ(created.index(), 0u) << std::get<std::string>(created);
  auto& sink = *std::get<std::unique_ptr<KafkaDeadLetterSink>>(created);

  sink.send({"{\"broken", "decisions", 3, 41}, daemon::RejectReason::not_json);
  sink.send({"{\"event_id\":\"x\"}", "decisions", 0, 7}, daemon::RejectReason::missing_field);
  sink.send({std::string_view("bin\0ary", 7), "decisions", 11, 123456789012},
            daemon::RejectReason::bad_timestamp);
  ASSERT_TRUE(sink.flush(seconds(10)));
  EXPECT_EQ(sink.failures(), 0u);
  EXPECT_EQ(sink.delivered(), 3u);

  const auto copies = cluster.consume_all("decisions.dlq");
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_EQ(copies[0].payload, "{\"broken");
  EXPECT_EQ(copies[0].header("fairwatch-reason"), "not_json");
  EXPECT_EQ(copies[0].header("fairwatch-source-topic"), "decisions");
  EXPECT_EQ(copies[0].header("fairwatch-source-partition"), "3");
  EXPECT_EQ(copies[0].header("fairwatch-source-offset"), "41");
  EXPECT_EQ(copies[1].payload, "{\"event_id\":\"x\"}");
  EXPECT_EQ(copies[1].header("fairwatch-reason"), "missing_field");
  EXPECT_EQ(copies[2].payload, std::string("bin\0ary", 7));
  EXPECT_EQ(copies[2].header("fairwatch-reason"), "bad_timestamp");
  EXPECT_EQ(copies[2].header("fairwatch-source-partition"), "11");
  EXPECT_EQ(copies[2].header("fairwatch-source-offset"), "123456789012");
  EXPECT_EQ(copies[2].headers.size(), 4u);
}

TEST(MockKafkaCluster, ProducesAndReadsBackWithKeys) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.create_topic("t", 3));
  ASSERT_TRUE(cluster.produce("t", 2, {"a", "b"}, {"ka", "kb"}));
  ASSERT_TRUE(cluster.produce("t", 0, {"c"}));
  const auto messages = cluster.consume_all("t");
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].partition, 0);
  EXPECT_EQ(messages[0].payload, "c");
  EXPECT_EQ(messages[1].partition, 2);
  EXPECT_EQ(messages[1].offset, 0);
  EXPECT_EQ(messages[1].key, "ka");
  EXPECT_EQ(messages[2].payload, "b");
  EXPECT_TRUE(cluster.committed_offsets("nobody", "t").empty());
}

config::Config demo_config() {
  auto loaded =
      config::load_config_file(std::string(FAIRWATCH_SOURCE_DIR) + "/config/examples/demo.yaml");
  if (loaded.index() != 0) ADD_FAILURE() << "demo.yaml does not load";
  return loaded.index() == 0 ? std::get<config::Config>(loaded) : config::Config{};
}

constexpr std::int64_t kStartMs = 1795000000000;  // 2026-11-18

TEST(SyntheticAdm, IsDeterministicForASeedAndDecodes) {
  daemon::SyntheticAdmOptions options;
  options.seed = 42;
  options.anomalies.malformed = 0.05;
  options.anomalies.duplicate = 0.05;
  options.anomalies.late = 0.05;
  options.anomalies.unknown_group = 0.05;
  daemon::SyntheticAdm first(options);
  daemon::SyntheticAdm second(options);
  options.seed = 43;
  daemon::SyntheticAdm other(options);
  const config::Config config = demo_config();
  daemon::Decoder decoder(config);
  daemon::Decision decision;
  int differing = 0;
  std::map<daemon::SyntheticKind, int> kinds;
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t now = kStartMs + i * 1000LL;
    const auto a = first.next(now);
    const auto b = second.next(now);
    const auto c = other.next(now);
    ASSERT_EQ(a.payload, b.payload) << i;
    ASSERT_EQ(a.key, b.key);
    if (a.payload != c.payload) ++differing;
    ++kinds[a.kind];
    const auto result = decoder.decode(a.payload, decision);
    if (a.kind == daemon::SyntheticKind::malformed) {
      EXPECT_FALSE(result.accepted) << a.payload;
      continue;
    }
    ASSERT_TRUE(result.accepted) << a.payload << " " << daemon::to_string(result.reason);
    EXPECT_EQ(decision.event_time_ms, a.event_time_ms);
    EXPECT_EQ(decision.favourable, a.selected);
    EXPECT_EQ(decision.stage, a.stage);
    EXPECT_EQ(decision.system, a.system);
    EXPECT_EQ(a.event_time_ms, a.kind == daemon::SyntheticKind::late ? now - 2LL * 3600 * 1000
                               : a.kind == daemon::SyntheticKind::duplicate ? a.event_time_ms
                                                                            : now);
    if (a.kind == daemon::SyntheticKind::unknown_group) {
      EXPECT_NE(a.payload.find("\"undisclosed\""), std::string::npos);
    } else if (a.kind == daemon::SyntheticKind::decision) {
      EXPECT_EQ(a.payload.find("\"undisclosed\""), std::string::npos);
      for (std::size_t attribute = 0; attribute < decision.groups.size(); ++attribute) {
        EXPECT_LT(decision.groups[attribute], config.attributes[attribute].groups.size());
      }
    }
  }
  EXPECT_GT(differing, 4900);
  for (const auto kind : {daemon::SyntheticKind::malformed, daemon::SyntheticKind::duplicate,
                          daemon::SyntheticKind::late, daemon::SyntheticKind::unknown_group}) {
    EXPECT_GT(kinds[kind], 150) << daemon::to_string(kind);
    EXPECT_LT(kinds[kind], 350) << daemon::to_string(kind);
  }
  std::set<std::string_view> stages;
  std::set<std::string_view> systems;
  daemon::SyntheticAdm again(daemon::SyntheticAdmOptions{});
  for (int i = 0; i < 2000; ++i) {
    const auto event = again.next(kStartMs);
    stages.insert(event.stage);
    systems.insert(event.system);
  }
  EXPECT_EQ(stages, (std::set<std::string_view>{"interview", "offer", "screening"}));
  EXPECT_EQ(systems.size(), 2u);
}

TEST(SyntheticAdm, BiasIsVisibleInCounts) {
  daemon::SyntheticAdmOptions options;
  options.seed = 7;
  options.bias.after_time_ms = kStartMs + 30000 * 1000LL;
  daemon::SyntheticAdm adm(options);
  // applicants and selections at screening: [before/after bias][female/male]
  double applicants[2][2] = {};
  double selected[2][2] = {};
  for (int i = 0; i < 60000; ++i) {
    const std::int64_t now = kStartMs + i * 1000LL;
    const auto event = adm.next(now);
    const int after = now >= *options.bias.after_time_ms ? 1 : 0;
    EXPECT_EQ(event.biased,
              after == 1 && event.stage == "screening" && event.attributes[0] == "female");
    if (event.stage != "screening") continue;
    const int group = event.attributes[0] == "female" ? 0 : event.attributes[0] == "male" ? 1 : -1;
    if (group < 0) continue;
    applicants[after][group] += 1;
    selected[after][group] += event.selected ? 1 : 0;
  }
  const double ratio_before =
      (selected[0][0] / applicants[0][0]) / (selected[0][1] / applicants[0][1]);
  const double ratio_after =
      (selected[1][0] / applicants[1][0]) / (selected[1][1] / applicants[1][1]);
  EXPECT_GT(ratio_before, 0.88);
  EXPECT_LT(ratio_before, 1.12);
  EXPECT_GT(ratio_after, 0.5);
  EXPECT_LT(ratio_after, 0.7);
  EXPECT_FALSE(adm.bias_active(kStartMs));
  EXPECT_TRUE(adm.bias_active(*options.bias.after_time_ms));

  daemon::SyntheticAdmOptions by_count;
  by_count.bias.after_events = 10;
  daemon::SyntheticAdm counted(by_count);
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(counted.bias_active(kStartMs));
    counted.next(kStartMs);
  }
  EXPECT_TRUE(counted.bias_active(kStartMs));
}

TEST(KafkaSimulate, ProducesTheSyntheticStreamAndExits) {
  MockKafkaCluster cluster;
  ASSERT_TRUE(cluster.create_topic("simulated", 3));
  ChildProcess simulate({FAIRWATCH_PATH, "simulate", "--brokers", cluster.bootstraps(), "--topic",
                         "simulated", "--rate", "200", "--duration", "2s", "--bias-after", "1s",
                         "--seed", "9", "--partitions", "3"},
                        ::testing::TempDir() + "/fairwatch-simulate");
  const auto status = simulate.wait(seconds(30));
  ASSERT_TRUE(status.has_value()) << simulate.stderr_text();
  EXPECT_EQ(*status, 0) << simulate.stderr_text();
  EXPECT_NE(simulate.stderr_text().find("done:"), std::string::npos) << simulate.stderr_text();
  std::printf("%s", simulate.stderr_text().c_str());

  const auto messages = cluster.consume_all("simulated");
  EXPECT_GE(messages.size(), 300u);
  EXPECT_LE(messages.size(), 460u);
  const config::Config config = demo_config();
  daemon::Decoder decoder(config);
  daemon::Decision decision;
  std::set<std::int32_t> partitions;
  const auto now_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (const auto& message : messages) {
    ASSERT_TRUE(decoder.decode(message.payload, decision).accepted) << message.payload;
    EXPECT_NEAR(static_cast<double>(decision.event_time_ms), static_cast<double>(now_ms), 60000.0);
    EXPECT_EQ(message.key.rfind("cand-", 0), 0u);
    partitions.insert(message.partition);
  }
  EXPECT_EQ(partitions.size(), 3u);

  auto usage = ChildProcess({FAIRWATCH_PATH, "simulate", "--topic", "x"},
                            ::testing::TempDir() + "/fairwatch-simulate-usage");
  EXPECT_EQ(usage.wait(seconds(10)), 2);
}

}  // namespace
}  // namespace fairwatch::testing
