// fairwatchd as a separate process against librdkafka's mock cluster (over
// TCP): counts and gauges scraped from /metrics against the truth known from
// the generator; kill -9 and SIGTERM restarts; a broker outage; bad events
// and the dead-letter topic; SIGHUP reloads; an adverse-impact alert firing
// on biased events and resolving after them, with its audit records.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "child_process.h"
#include "fairwatch/daemon/synthetic_adm.h"
#include "fairwatch/detectors/impact_ratio.h"
#include "http_client.h"
#include "metrics_text.h"
#include "mock_kafka.h"

namespace fairwatch::testing {
namespace {

using daemon::SyntheticAdm;
using daemon::SyntheticAdmOptions;
using daemon::SyntheticEvent;
using daemon::SyntheticKind;
using namespace std::chrono_literals;

const std::set<std::string> kSexGroups = {"female", "male", "non-binary"};

// Accepted decisions per (system, stage, sex group incl. unknown): {applicants, selected}.
using Truth = std::map<std::tuple<std::string, std::string, std::string>, detectors::Counts>;

struct Stream {
  std::vector<std::string> payloads;
  std::vector<std::string> keys;
  Truth truth;
  std::map<SyntheticKind, std::uint64_t> kinds;
};

// N events, one every 10 ms of event time from an hour ago, with anomalies.
Stream generate(std::size_t n, std::uint64_t seed, double anomalies) {
  SyntheticAdmOptions options;
  options.seed = seed;
  options.anomalies.malformed = anomalies;
  options.anomalies.duplicate = anomalies;
  options.anomalies.late = anomalies;
  options.anomalies.unknown_group = anomalies;
  SyntheticAdm adm(options);
  Stream stream;
  const std::int64_t start = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() -
                             3'600'000;
  for (std::size_t i = 0; i < n; ++i) {
    SyntheticEvent event = adm.next(start + static_cast<std::int64_t>(i) * 10);
    ++stream.kinds[event.kind];
    if (event.kind == SyntheticKind::decision || event.kind == SyntheticKind::late ||
        event.kind == SyntheticKind::unknown_group) {
      const std::string sex(event.attributes[0]);
      const std::string group = kSexGroups.count(sex) ? sex : "unknown";
      detectors::Counts& counts =
          stream.truth[{std::string(event.system), std::string(event.stage), group}];
      ++counts.applicants;
      if (event.selected) ++counts.selected;
    }
    stream.payloads.push_back(std::move(event.payload));
    stream.keys.push_back(std::move(event.key));
  }
  return stream;
}

std::uint64_t accepted(const Truth& truth) {
  std::uint64_t total = 0;
  for (const auto& [key, counts] : truth) total += counts.applicants;
  return total;
}

// A fairwatchd process with its own config and checkpoint directory.
class DaemonHarness {
 public:
  DaemonHarness(const std::string& name, const std::string& brokers, const std::string& topic,
                const std::string& extra_yaml = "")
      : directory_(::testing::TempDir() + "/" + name + "-" + std::to_string(getpid())),
        port_(free_tcp_port()) {
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    config_path_ = directory_ + "/fairwatch.yaml";
    std::ofstream config(config_path_);
    config << "events:\n"
              "  favourable: [selected]\n"
              "  unfavourable: [rejected]\n"
              "attributes:\n"
              "  - {name: sex, field: /attributes/sex, groups: [female, male, non-binary]}\n"
              "  - {name: ethnicity, field: /attributes/ethnicity,\n"
              "     groups: [asian, black, mixed, white, other]}\n"
              "  - {name: age_band, field: /attributes/age_band, groups: ['<25', '25-39', "
              "'40-54', '55+']}\n"
              "intersections: [[sex, ethnicity]]\n"
              "windows: [1h, 24h]\n"
              "statistics: {min_group_size: 30}\n"
              "source:\n"
              "  kafka:\n"
              "    brokers: \""
           << brokers << "\"\n    topic: " << topic << "\n    group_id: fairwatch-" << name
           << "\n    properties: {session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\"}\n"
           << extra_yaml << "exporter: {listen: 127.0.0.1:" << port_ << "}\n"
           << "checkpoint: {path: " << directory_ << "/state, interval: 1s}\n";
  }

  void start() {
    ++starts_;
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{FAIRWATCHD_PATH, "--config", config_path_},
        directory_ + "/run" + std::to_string(starts_));
  }
  ChildProcess& process() { return *process_; }
  int port() const { return port_; }
  const std::string& config_path() const { return config_path_; }

  std::optional<MetricSamples> scrape() const {
    const HttpResponse response = http_get("127.0.0.1", port_, "/metrics", 5s);
    if (response.status != 200) return std::nullopt;
    return parse_metrics(response.body);
  }
  int readyz() const { return http_get("127.0.0.1", port_, "/readyz", 5s).status; }

  // Waits until the daemon has read `events` events (accepted, rejected or duplicate).
  bool wait_for_events(double events, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
          const auto samples = scrape();
          return samples && samples->sum("fairwatch_events_received_total") >= events;
        },
        timeout);
  }

  // Waits until the daemon has applied an event stamped at or after `seconds` (epoch).
  bool wait_for_event_time(double seconds, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
          const auto samples = scrape();
          return samples &&
                 samples->get("fairwatch_last_event_timestamp_seconds").value_or(0) >= seconds;
        },
        timeout);
  }

  std::string logs() const { return process_ ? process_->stderr_text() : ""; }

 private:
  std::string directory_;
  std::string config_path_;
  int port_;
  int starts_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

void expect_decisions_match(const MetricSamples& samples, const Truth& truth) {
  for (const auto& [key, counts] : truth) {
    const auto& [system, stage, group] = key;
    const Labels labels = {
        {"system", system}, {"stage", stage}, {"attribute", "sex"}, {"group", group}};
    Labels selected = labels;
    selected["outcome"] = "selected";
    Labels rejected = labels;
    rejected["outcome"] = "rejected";
    EXPECT_EQ(samples.get("fairwatch_decisions_total", selected).value_or(-1),
              static_cast<double>(counts.selected))
        << system << "/" << stage << "/" << group;
    EXPECT_EQ(samples.get("fairwatch_decisions_total", rejected).value_or(-1),
              static_cast<double>(counts.rejected()))
        << system << "/" << stage << "/" << group;
  }
  // And nothing more: the total over all series equals the truth.
  EXPECT_EQ(samples.sum("fairwatch_decisions_total", {{"attribute", "sex"}}),
            static_cast<double>(accepted(truth)));
}

class DaemonTest : public ::testing::Test {
 protected:
  MockKafkaCluster cluster_{3};
};

TEST_F(DaemonTest, CountersAndGaugesMatchTheTruthAndBadEventsAreDeadLettered) {
  ASSERT_TRUE(cluster_.create_topic("decisions", 8));
  const Stream stream = generate(20'000, 11, 0.01);
  ASSERT_TRUE(cluster_.produce("decisions", -1, stream.payloads, stream.keys));
  DaemonHarness harness("truth", cluster_.bootstraps(), "decisions",
                        "    dead_letter_topic: decisions.dlq\n");
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(20'000, 60s)) << harness.logs();
  // One more publish so every gauge reflects the last events.
  std::this_thread::sleep_for(1500ms);
  const auto samples = harness.scrape();
  ASSERT_TRUE(samples.has_value());

  expect_decisions_match(*samples, stream.truth);
  const std::uint64_t malformed = stream.kinds.at(SyntheticKind::malformed);
  const std::uint64_t duplicates = stream.kinds.at(SyntheticKind::duplicate);
  EXPECT_EQ(samples->sum("fairwatch_events_rejected_total"), static_cast<double>(malformed));
  EXPECT_EQ(samples->get("fairwatch_events_duplicate_total").value_or(-1),
            static_cast<double>(duplicates));
  EXPECT_GE(samples->get("fairwatch_events_late_total").value_or(-1),
            static_cast<double>(stream.kinds.at(SyntheticKind::late)));

  // Gauges of the `all` window against ratios computed from the truth.
  for (const std::string system : {"cv-screener-v3", "talent-match-v2"}) {
    const auto female = stream.truth.at({system, "screening", "female"});
    const auto male = stream.truth.at({system, "screening", "male"});
    const Labels base = {
        {"system", system}, {"stage", "screening"}, {"attribute", "sex"}, {"window", "all"}};
    Labels female_labels = base;
    female_labels["group"] = "female";
    EXPECT_EQ(samples->get("fairwatch_applicants", female_labels).value_or(-1),
              static_cast<double>(female.applicants));
    const auto reference = detectors::rate_greater(female, male) ? female : male;
    const auto other = detectors::rate_greater(female, male) ? "male" : "female";
    const auto ratio = detectors::impact_ratio(
        detectors::rate_greater(female, male) ? male : female, reference, 0.95);
    ASSERT_TRUE(ratio.has_value());
    Labels other_labels = base;
    other_labels["group"] = other;
    // Non-binary may be the highest-rate group with >= 30 applicants; compare only then.
    const auto non_binary = stream.truth.find({system, "screening", "non-binary"});
    if (non_binary == stream.truth.end() || non_binary->second.applicants < 30 ||
        !detectors::rate_greater(non_binary->second, reference)) {
      EXPECT_NEAR(samples->get("fairwatch_impact_ratio", other_labels).value_or(-1), ratio->ratio,
                  1e-9);
      EXPECT_NEAR(samples->get("fairwatch_impact_ratio_lower", other_labels).value_or(-1),
                  ratio->interval->lower, 1e-9);
    }
  }

  // Every rejected event is in the dead-letter topic with its reason.
  const auto dead = cluster_.consume_all("decisions.dlq");
  EXPECT_EQ(dead.size(), malformed);
  for (const auto& message : dead) {
    EXPECT_FALSE(message.header("fairwatch-reason").empty());
    EXPECT_EQ(message.header("fairwatch-source-topic"), "decisions");
  }
  // The log never carries attribute values or event ids.
  const std::string logs = harness.logs();
  EXPECT_EQ(logs.find("\"female\""), std::string::npos);
  EXPECT_EQ(logs.find("cand-"), std::string::npos);

  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0) << harness.logs();
}

TEST_F(DaemonTest, KillNineAtRandomPointsLosesNothingAndCountsNothingTwice) {
  ASSERT_TRUE(cluster_.create_topic("crash", 16));
  const Stream stream = generate(100'000, 23, 0.005);
  DaemonHarness harness("crash", cluster_.bootstraps(), "crash");

  // The producer feeds the topic while the daemon is killed and restarted.
  std::atomic<bool> produced{false};
  std::thread producer([&] {
    const std::size_t batch = 2'000;
    for (std::size_t i = 0; i < stream.payloads.size(); i += batch) {
      const std::size_t end = std::min(stream.payloads.size(), i + batch);
      ASSERT_TRUE(cluster_.produce(
          "crash", -1,
          std::vector<std::string>(stream.payloads.begin() + static_cast<std::ptrdiff_t>(i),
                                   stream.payloads.begin() + static_cast<std::ptrdiff_t>(end)),
          std::vector<std::string>(stream.keys.begin() + static_cast<std::ptrdiff_t>(i),
                                   stream.keys.begin() + static_cast<std::ptrdiff_t>(end))));
      std::this_thread::sleep_for(1500ms);
    }
    produced = true;
  });

  // Each run is killed at a random moment after it has made progress.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  int kills = 0;
  int mid_stream_kills = 0;
  for (; kills < 12; ++kills) {
    harness.start();
    std::optional<double> restored;
    ASSERT_TRUE(wait_until(
        [&] {
          const auto samples = harness.scrape();
          if (!samples) return false;
          const double received = samples->get("fairwatch_events_received_total").value_or(0);
          if (!restored) restored = received;
          return received > *restored;
        },
        90s))
        << harness.logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    const auto before_kill = harness.scrape();
    harness.process().signal(SIGKILL);
    ASSERT_TRUE(harness.process().wait(10s).has_value());
    if (before_kill && before_kill->get("fairwatch_events_received_total").value_or(0) < 100'000) {
      ++mid_stream_kills;
    }
  }
  EXPECT_GE(mid_stream_kills, 10);
  producer.join();
  ASSERT_TRUE(produced.load());
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(100'000, 120s)) << harness.logs();
  std::this_thread::sleep_for(1500ms);
  const auto samples = harness.scrape();
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(kills, 12);
  EXPECT_EQ(samples->get("fairwatch_events_received_total").value_or(-1), 100'000.0);
  expect_decisions_match(*samples, stream.truth);
  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0);
}

TEST_F(DaemonTest, SigtermMidStreamThenRestartCountsExactly) {
  ASSERT_TRUE(cluster_.create_topic("term", 8));
  const Stream stream = generate(40'000, 31, 0.0);
  DaemonHarness harness("term", cluster_.bootstraps(), "term");
  std::vector<std::string> first(stream.payloads.begin(), stream.payloads.begin() + 20'000);
  std::vector<std::string> first_keys(stream.keys.begin(), stream.keys.begin() + 20'000);
  ASSERT_TRUE(cluster_.produce("term", -1, first, first_keys));
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(1, 60s)) << harness.logs();
  harness.process().signal(SIGTERM);
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(harness.process().wait(30s), 0) << harness.logs();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 30s);

  std::vector<std::string> rest(stream.payloads.begin() + 20'000, stream.payloads.end());
  std::vector<std::string> rest_keys(stream.keys.begin() + 20'000, stream.keys.end());
  ASSERT_TRUE(cluster_.produce("term", -1, rest, rest_keys));
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(40'000, 90s)) << harness.logs();
  std::this_thread::sleep_for(1500ms);
  const auto samples = harness.scrape();
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(samples->get("fairwatch_events_received_total").value_or(-1), 40'000.0);
  expect_decisions_match(*samples, stream.truth);
  // Offsets were committed after the checkpoints: the group's lag is visible to others.
  const auto committed = cluster_.committed_offsets("fairwatch-term", "term");
  std::int64_t committed_total = 0;
  for (const auto& [partition, offset] : committed) committed_total += offset;
  EXPECT_GT(committed_total, 0);
  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0);
}

TEST_F(DaemonTest, BrokerOutageMakesItUnreadyThenItRecoversWithExactCounts) {
  ASSERT_TRUE(cluster_.create_topic("outage", 4));
  const Stream stream = generate(10'000, 41, 0.0);
  ASSERT_TRUE(cluster_.produce(
      "outage", -1,
      std::vector<std::string>(stream.payloads.begin(), stream.payloads.begin() + 5'000),
      std::vector<std::string>(stream.keys.begin(), stream.keys.begin() + 5'000)));
  DaemonHarness harness("outage", cluster_.bootstraps(), "outage");
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(5'000, 60s)) << harness.logs();
  ASSERT_TRUE(wait_until([&] { return harness.readyz() == 200; }, 30s)) << harness.logs();

  for (int broker = 1; broker <= cluster_.broker_count(); ++broker) cluster_.broker_down(broker);
  EXPECT_TRUE(wait_until([&] { return harness.readyz() == 503; }, 30s)) << harness.logs();
  EXPECT_TRUE(harness.process().running());
  const auto during = harness.scrape();
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->get("fairwatch_kafka_connected").value_or(-1), 0.0);

  for (int broker = 1; broker <= cluster_.broker_count(); ++broker) cluster_.broker_up(broker);
  ASSERT_TRUE(wait_until([&] { return harness.readyz() == 200; }, 60s)) << harness.logs();
  ASSERT_TRUE(cluster_.produce(
      "outage", -1,
      std::vector<std::string>(stream.payloads.begin() + 5'000, stream.payloads.end()),
      std::vector<std::string>(stream.keys.begin() + 5'000, stream.keys.end())));
  ASSERT_TRUE(harness.wait_for_events(10'000, 60s)) << harness.logs();
  std::this_thread::sleep_for(1500ms);
  const auto after = harness.scrape();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->get("fairwatch_kafka_connected").value_or(-1), 1.0);
  expect_decisions_match(*after, stream.truth);
  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0);
}

TEST_F(DaemonTest, SighupAppliesAValidConfigAndKeepsTheOldOneOtherwise) {
  ASSERT_TRUE(cluster_.create_topic("reload", 2));
  const Stream stream = generate(2'000, 51, 0.0);
  ASSERT_TRUE(cluster_.produce("reload", -1, stream.payloads, stream.keys));
  DaemonHarness harness("reload", cluster_.bootstraps(), "reload");
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(2'000, 60s)) << harness.logs();
  const std::string original = read_file(harness.config_path());
  // Writes `text` as the config, sends SIGHUP, waits for the reload counter.
  auto reload = [&](const std::string& text, const std::string& result, double count) {
    std::ofstream(harness.config_path()) << text;
    harness.process().signal(SIGHUP);
    return wait_until(
        [&] {
          const auto s = harness.scrape();
          return s && s->get("fairwatch_config_reloads_total", {{"result", result}}) == count;
        },
        20s);
  };
  auto edited = [&](const std::string& from, const std::string& to) {
    std::string text = original;
    text.replace(text.find(from), from.size(), to);
    return text;
  };

  // A broken file: rejected, counted, the daemon keeps running.
  EXPECT_TRUE(reload("attributes: [\n", "failure", 1)) << harness.logs();
  EXPECT_TRUE(harness.process().running());
  // A state-shape change needs a restart: rejected too.
  EXPECT_TRUE(reload(edited("windows: [1h, 24h]", "windows: [1h, 7d]"), "failure", 2));
  // A statistics change applies.
  EXPECT_TRUE(reload(edited("min_group_size: 30", "min_group_size: 1"), "success", 1));
  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0) << harness.logs();
}

TEST_F(DaemonTest, ACheckpointOfAnotherShapeIsRefusedOrDiscardedNeverMixed) {
  ASSERT_TRUE(cluster_.create_topic("shape", 4));
  const Stream stream = generate(5'000, 61, 0.0);
  ASSERT_TRUE(cluster_.produce("shape", -1, stream.payloads, stream.keys));
  DaemonHarness harness("shape", cluster_.bootstraps(), "shape");
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(5'000, 60s)) << harness.logs();
  harness.process().signal(SIGTERM);
  ASSERT_EQ(harness.process().wait(30s), 0) << harness.logs();

  // Another group in `sex` changes what the checkpointed counts mean.
  const std::string original = read_file(harness.config_path());
  std::string changed = original;
  changed.replace(changed.find("groups: [female, male, non-binary]"), 34,
                  "groups: [female, male, non-binary, intersex]");
  std::ofstream(harness.config_path()) << changed;
  harness.start();
  EXPECT_EQ(harness.process().wait(30s), 1);
  EXPECT_NE(harness.logs().find("another state shape"), std::string::npos) << harness.logs();
  EXPECT_NE(harness.logs().find("intersex"), std::string::npos) << harness.logs();

  // With on_config_change: discard it starts empty and re-reads every retained event.
  changed.replace(changed.find("interval: 1s}"), 13, "interval: 1s, on_config_change: discard}");
  std::ofstream(harness.config_path()) << changed;
  harness.start();
  ASSERT_TRUE(harness.wait_for_events(5'000, 60s)) << harness.logs();
  std::this_thread::sleep_for(1500ms);
  const auto samples = harness.scrape();
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(samples->get("fairwatch_events_received_total").value_or(-1), 5'000.0);
  expect_decisions_match(*samples, stream.truth);
  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0);
}

TEST_F(DaemonTest, InvalidConfigIsRefusedWithEveryError) {
  const std::string path = ::testing::TempDir() + "/invalid-fairwatchd.yaml";
  std::ofstream(path) << "attributes: [{name: sex, groups: [female]}]\nwindows: [0h]\n";
  ChildProcess process({FAIRWATCHD_PATH, "--config", path}, ::testing::TempDir() + "/invalid");
  EXPECT_EQ(process.wait(20s), 1);
  const std::string logs = process.stderr_text();
  EXPECT_NE(logs.find(path + ":1:"), std::string::npos) << logs;
  EXPECT_NE(logs.find(path + ":2:"), std::string::npos) << logs;
}

}  // namespace
}  // namespace fairwatch::testing

namespace fairwatch::testing {
namespace {

// Events from `adm`, four per second of event time for `seconds` from start_ms.
// The wall clock `seconds` ago, in ms, rounded down to a whole second.
std::int64_t whole_seconds_ago_ms(std::int64_t seconds) {
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  return (now_ms / 1000 - seconds) * 1000;
}

Stream timed_batch(SyntheticAdm& adm, std::int64_t start_ms, int seconds) {
  Stream stream;
  for (int i = 0; i < seconds * 4; ++i) {
    SyntheticEvent event = adm.next(start_ms + std::int64_t{i} * 250);
    stream.payloads.push_back(std::move(event.payload));
    stream.keys.push_back(std::move(event.key));
  }
  return stream;
}

TEST_F(DaemonTest, AdverseImpactAlertFiresOnBiasAndResolvesAfterItWithAuditRecords) {
  ASSERT_TRUE(cluster_.create_topic("alerting", 4));
  DaemonHarness harness(
      "alerts", cluster_.bootstraps(), "alerting",
      "alerts:\n  adverse_impact: {method: fixed_window, for: 10m, windows: [1h]}\n");
  const std::int64_t start_ms = whole_seconds_ago_ms(6 * 3600);
  SyntheticAdmOptions options;
  options.seed = 5;
  options.bias.after_time_ms = start_ms + 30 * 60'000;  // women selected 40% less often
  SyntheticAdm adm(options);
  harness.start();
  // Produces one batch and waits until the daemon has evaluated its last event.
  const auto send = [&](std::int64_t from_ms, int seconds) {
    const Stream batch = timed_batch(adm, from_ms, seconds);
    ASSERT_TRUE(cluster_.produce("alerting", -1, batch.payloads, batch.keys));
    const double last_s = static_cast<double>(from_ms) / 1000 + seconds - 0.25;
    ASSERT_TRUE(harness.wait_for_event_time(last_s, 30s)) << harness.logs();
  };
  const Labels female = {{"alert", "adverse_impact"}, {"system", "cv-screener-v3"},
                         {"stage", "screening"},      {"attribute", "sex"},
                         {"group", "female"},         {"window", "1h"}};
  const auto firing = [&] {
    const auto samples = harness.scrape();
    return samples ? samples->sum("fairwatch_alert_active", female) : -1.0;
  };

  const auto bias_started = std::chrono::steady_clock::now();
  send(start_ms, 30 * 60);  // 30 minutes unbiased
  EXPECT_EQ(firing(), 0.0);
  for (int quarter = 0; quarter < 4; ++quarter) {  // one hour biased, a quarter at a time
    send(start_ms + (30 + 15 * quarter) * 60'000, 15 * 60);
  }
  ASSERT_TRUE(wait_until([&] { return firing() == 1.0; }, 10s)) << harness.logs();
  std::printf(
      "adverse_impact fired %.1f s after the biased events were first produced\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - bias_started).count());
  const auto samples = harness.scrape();
  ASSERT_TRUE(samples);
  EXPECT_GE(samples->sum("fairwatch_alert_transitions_total",
                         {{"alert", "adverse_impact"}, {"to", "firing"}}),
            1.0);

  // Two hours later the window holds only unbiased decisions: it resolves.
  options.bias.after_time_ms.reset();
  SyntheticAdm fair(options);
  const Stream after = timed_batch(fair, start_ms + 3 * 3'600'000, 30 * 60);
  ASSERT_TRUE(cluster_.produce("alerting", -1, after.payloads, after.keys));
  ASSERT_TRUE(wait_until([&] { return firing() == 0.0; }, 30s)) << harness.logs();
  EXPECT_GE(harness.scrape()->sum("fairwatch_alert_transitions_total",
                                  {{"alert", "adverse_impact"}, {"to", "resolved"}}),
            1.0);

  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0) << harness.logs();
  // The audit log: a firing then a resolved record for the group, with evidence.
  const std::string audit_path =
      ::testing::TempDir() + "/alerts-" + std::to_string(getpid()) + "/state/audit.jsonl";
  std::ifstream audit(audit_path);
  ASSERT_TRUE(audit.good()) << audit_path;
  std::vector<std::string> changes;
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(audit, line)) {
    EXPECT_EQ(line.find("cand-"), std::string::npos);
    const simdjson::dom::element record = parser.parse(line);
    if (std::string_view(record["alert"]) != "adverse_impact" ||
        std::string_view(record["labels"]["system"]) != "cv-screener-v3" ||
        std::string_view(record["labels"]["stage"]) != "screening" ||
        std::string_view(record["labels"]["group"]) != "female") {
      continue;
    }
    changes.emplace_back(std::string_view(record["to"]));
    EXPECT_EQ(std::string_view(record["id"]).size(), 32u);
    EXPECT_EQ(std::string_view(record["config_sha256"]).size(), 64u);
    if (changes.size() == 1) {
      EXPECT_TRUE(record["counts"]["reference_group"].is_string());
      EXPECT_LT(double(record["ratio"]), 0.8);
      EXPECT_LT(double(record["p_values"]["z_adjusted"]), 0.05);
      EXPECT_GE(std::uint64_t(record["counts"]["group"]["applicants"]), 30u);
    }
  }
  ASSERT_GE(changes.size(), 2u);
  EXPECT_EQ(changes.front(), "firing");
  EXPECT_EQ(changes.back(), "resolved");
}

TEST_F(DaemonTest, DriftAgainstACapturedBaselineIsExportedAndAlerts) {
  ASSERT_TRUE(cluster_.create_topic("drifting", 2));
  const std::string baseline =
      ::testing::TempDir() + "/drift-baseline-" + std::to_string(getpid()) + ".json";
  DaemonHarness harness("drift", cluster_.bootstraps(), "drifting",
                        "drift: {baseline: " + baseline +
                            ", interval: 1s}\n"
                            "alerts:\n  drift: {psi_above: 0.1, clear_below: 0.05, for: 1m, "
                            "windows: [all]}\n");
  const std::int64_t start_ms = whole_seconds_ago_ms(12 * 3600);
  // The baseline: two event-hours of the fair synthetic screener, captured by the CLI.
  SyntheticAdmOptions options;
  options.seed = 7;
  SyntheticAdm fair(options);
  const Stream reference = timed_batch(fair, start_ms, 2 * 3600);
  const std::string events_path =
      ::testing::TempDir() + "/drift-reference-" + std::to_string(getpid()) + ".jsonl";
  {
    std::ofstream events(events_path);
    for (const std::string& payload : reference.payloads) events << payload << '\n';
  }
  ChildProcess capture({FAIRWATCH_PATH, "baseline", "capture", "--config", harness.config_path(),
                        "-o", baseline, events_path},
                       ::testing::TempDir() + "/drift-capture-" + std::to_string(getpid()));
  ASSERT_EQ(capture.wait(60s), 0) << capture.stderr_text();

  // The daemon then sees the biased screener: women's screening scores lower.
  options.seed = 8;
  options.bias.after_time_ms = start_ms;
  SyntheticAdm biased(options);
  harness.start();
  const Labels female_score = {
      {"system", "cv-screener-v3"}, {"stage", "screening"}, {"attribute", "sex"},
      {"group", "female"},          {"window", "all"},      {"subject", "score"}};
  Labels male_score = female_score;
  male_score["group"] = "male";
  const Labels female_alert = {{"alert", "drift"},     {"system", "cv-screener-v3"},
                               {"stage", "screening"}, {"attribute", "sex"},
                               {"group", "female"},    {"window", "all"}};
  bool fired = false;
  for (int batch = 0; batch < 8 && !fired; ++batch) {
    const std::int64_t from_ms = start_ms + 3 * 3'600'000 + std::int64_t{batch} * 15 * 60'000;
    const Stream stream = timed_batch(biased, from_ms, 15 * 60);
    ASSERT_TRUE(cluster_.produce("drifting", -1, stream.payloads, stream.keys));
    const double last_s = static_cast<double>(from_ms) / 1000 + 15 * 60 - 0.25;
    ASSERT_TRUE(harness.wait_for_event_time(last_s, 30s)) << harness.logs();
    std::this_thread::sleep_for(1500ms);  // at least one drift evaluation at this watermark
    const auto samples = harness.scrape();
    ASSERT_TRUE(samples);
    fired = samples->sum("fairwatch_alert_active", female_alert) == 1.0;
  }
  EXPECT_TRUE(fired) << harness.logs();
  const auto samples = harness.scrape();
  ASSERT_TRUE(samples);
  const auto female_psi = samples->get("fairwatch_drift_psi", female_score);
  const auto male_psi = samples->get("fairwatch_drift_psi", male_score);
  ASSERT_TRUE(female_psi && male_psi);
  std::printf("drift against the baseline: women's screening scores PSI %.3f, men's %.3f\n",
              *female_psi, *male_psi);
  EXPECT_GT(*female_psi, 0.1);
  EXPECT_LT(*male_psi, 0.05);
  EXPECT_LT(samples->get("fairwatch_drift_ks_p_value", female_score).value_or(1), 1e-6);
  EXPECT_GT(samples->get("fairwatch_drift_ks_p_value", male_score).value_or(0), 1e-6);
  // The applicant mix did not change: no KS series for it, a small PSI, no alert.
  const Labels mix = {{"system", "cv-screener-v3"},
                      {"stage", "screening"},
                      {"attribute", "sex"},
                      {"group", ""},
                      {"window", "all"},
                      {"subject", "mix"}};
  EXPECT_LT(samples->get("fairwatch_drift_psi", mix).value_or(1), 0.05);
  EXPECT_EQ(samples->count("fairwatch_drift_ks_statistic", mix), 0u);
  Labels male_alert = female_alert;
  male_alert["group"] = "male";
  EXPECT_EQ(samples->sum("fairwatch_alert_active", male_alert), 0.0);

  // A restart keeps the drift state (checkpoint) and the baseline.
  harness.process().signal(SIGTERM);
  ASSERT_EQ(harness.process().wait(30s), 0) << harness.logs();
  harness.start();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto again = harness.scrape();
        const auto psi = again ? again->get("fairwatch_drift_psi", female_score) : std::nullopt;
        return psi && std::abs(*psi - *female_psi) < 0.02;
      },
      30s))
      << harness.logs();
  harness.process().signal(SIGTERM);
  EXPECT_EQ(harness.process().wait(30s), 0) << harness.logs();
}

}  // namespace
}  // namespace fairwatch::testing
