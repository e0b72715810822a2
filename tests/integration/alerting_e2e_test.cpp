// End to end, all real: fairwatchd fed through librdkafka's mock cluster, a
// real Prometheus scraping it and loading the shipped rules, a real
// Alertmanager delivering to a webhook receiver in this test. A synthetic ADM
// injects bias against women at screening; the adverse-impact alert must reach
// the webhook with its labels and evidence, and resolve once the bias stops.
// Then every Grafana panel query runs against the same Prometheus.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <variant>

#include "alertmanager_server.h"
#include "child_process.h"
#include "dashboard_queries.h"
#include "fairwatch/daemon/synthetic_adm.h"
#include "http_client.h"
#include "metrics_text.h"
#include "mock_kafka.h"
#include "prometheus_server.h"
#include "webhook_receiver.h"

namespace fairwatch::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr int kEventsPerMinute = 240;

std::string config_yaml(const std::string& brokers, const std::string& directory, int port) {
  return "events: {favourable: [selected], unfavourable: [rejected]}\n"
         "attributes:\n"
         "  - {name: sex, field: /attributes/sex, groups: [female, male, non-binary]}\n"
         "  - {name: ethnicity, field: /attributes/ethnicity,\n"
         "     groups: [asian, black, mixed, white, other]}\n"
         "  - {name: disability, field: /attributes/disability, groups: ['yes', 'no']}\n"
         "intersections: [[sex, ethnicity]]\n"
         "windows: [1h, 24h]\n"
         "statistics: {min_group_size: 30}\n"
         "drift: {baseline: " +
         directory +
         "/baseline.json, interval: 1s}\n"
         "alerts:\n"
         "  adverse_impact: {ratio_below: 0.8, clear_above: 0.85, for: 15m, windows: [1h]}\n"
         "source:\n  kafka:\n    brokers: \"" +
         brokers +
         "\"\n    topic: decisions\n    group_id: fairwatch-e2e\n"
         "exporter: {listen: 127.0.0.1:" +
         std::to_string(port) + "}\ncheckpoint: {path: " + directory + "/state, interval: 1s}\n";
}

// Produces one event-minute of decisions per call, keyed by candidate.
class Producer {
 public:
  Producer(MockKafkaCluster& cluster, std::int64_t start_ms)
      : cluster_(cluster), now_ms_(start_ms) {}

  void minute(daemon::SyntheticAdm& adm) {
    std::vector<std::string> payloads;
    std::vector<std::string> keys;
    for (int i = 0; i < kEventsPerMinute; ++i) {
      daemon::SyntheticEvent event = adm.next(now_ms_ + i * (kMinuteMs / kEventsPerMinute));
      payloads.push_back(std::move(event.payload));
      keys.push_back(std::move(event.key));
    }
    ASSERT_TRUE(cluster_.produce("decisions", -1, payloads, keys));
    now_ms_ += kMinuteMs;
  }
  std::int64_t now_ms() const { return now_ms_; }

 private:
  MockKafkaCluster& cluster_;
  std::int64_t now_ms_;
};

daemon::SyntheticAdmOptions adm_options(std::uint64_t seed, bool biased) {
  daemon::SyntheticAdmOptions options;
  options.seed = seed;
  options.systems = {"cv-screener-v3"};
  if (biased) {
    options.bias.attribute = "sex";
    options.bias.group = "female";
    options.bias.stage = "screening";
    options.bias.factor = 0.4;
    options.bias.after_events = 0;
  }
  return options;
}

// The adverse-impact alert for women at screening in `status`, if delivered.
const WebhookAlert* find_female_alert(const std::vector<WebhookNotification>& notifications,
                                      const std::string& status) {
  for (const WebhookNotification& notification : notifications) {
    for (const WebhookAlert& alert : notification.alerts) {
      if (alert.status == status && alert.label("alertname") == "FairwatchAdverseImpact" &&
          alert.label("attribute") == "sex" && alert.label("group") == "female" &&
          alert.label("stage") == "screening" && alert.label("window") == "1h") {
        return &alert;
      }
    }
  }
  return nullptr;
}

// Whether the latest notification of each female alert that ever fired says resolved.
bool every_female_alert_resolved(const std::vector<WebhookNotification>& notifications) {
  std::map<std::string, std::string> last_status;  // by severity
  for (const WebhookNotification& notification : notifications) {
    for (const WebhookAlert& alert : notification.alerts) {
      if (alert.label("group") != "female" || alert.label("attribute") != "sex" ||
          alert.label("window") != "1h") {
        continue;
      }
      last_status[alert.label("severity")] = alert.status;
    }
  }
  if (last_status.empty()) return false;
  for (const auto& [severity, status] : last_status) {
    if (status != "resolved") return false;
  }
  return true;
}

TEST(AlertingEndToEnd, BiasReachesTheWebhookWithEvidenceAndResolvesAndEveryPanelHasData) {
  MockKafkaCluster cluster(1);
  ASSERT_TRUE(cluster.create_topic("decisions", 4));

  const std::string directory = ::testing::TempDir() + "/alerting-e2e-" + std::to_string(getpid());
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  const int daemon_port = free_tcp_port();
  std::ofstream(directory + "/fairwatch.yaml")
      << config_yaml(cluster.bootstraps(), directory, daemon_port);
  {
    // The drift baseline: two event-hours of another fair stream, captured by the CLI.
    daemon::SyntheticAdm reference(adm_options(3, false));
    std::ofstream events(directory + "/reference.jsonl");
    for (int i = 0; i < 2 * 60 * kEventsPerMinute; ++i) {
      events << reference.next(i * (kMinuteMs / kEventsPerMinute)).payload << '\n';
    }
  }
  ChildProcess capture(
      {FAIRWATCH_PATH, "baseline", "capture", "--config", directory + "/fairwatch.yaml", "-o",
       directory + "/baseline.json", directory + "/reference.jsonl"},
      directory + "/capture");
  ASSERT_EQ(capture.wait(60s), 0) << capture.stderr_text();
  ChildProcess fairwatchd({FAIRWATCHD_PATH, "--config", directory + "/fairwatch.yaml"},
                          directory + "/fairwatchd");

  WebhookReceiver webhook;
  ASSERT_TRUE(webhook.ok()) << webhook.error();
  AlertmanagerOptions alertmanager_options;
  alertmanager_options.webhook_url = webhook.url();
  auto alertmanager_started = AlertmanagerServer::start(alertmanager_options);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<AlertmanagerServer>>(alertmanager_started))
      << std::get<std::string>(alertmanager_started);
  const auto& alertmanager = std::get<std::unique_ptr<AlertmanagerServer>>(alertmanager_started);

  PrometheusOptions prometheus_options;
  prometheus_options.targets = {"127.0.0.1:" + std::to_string(daemon_port)};
  prometheus_options.rule_files = {
      std::string(FAIRWATCH_SOURCE_DIR) + "/deploy/prometheus/fairwatch-alerts.rules.yml",
      std::string(FAIRWATCH_SOURCE_DIR) + "/deploy/prometheus/fairwatch-recording.rules.yml"};
  prometheus_options.alertmanager = alertmanager->address();
  auto prometheus_started = PrometheusServer::start(prometheus_options);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<PrometheusServer>>(prometheus_started))
      << std::get<std::string>(prometheus_started);
  const auto& prometheus = std::get<std::unique_ptr<PrometheusServer>>(prometheus_started);

  // Five hours of fair decisions (event time, ending now), then bias.
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  Producer producer(cluster, now_ms - 6 * 3'600'000);
  daemon::SyntheticAdm fair(adm_options(7, false));
  for (int minute = 0; minute < 300; ++minute) producer.minute(fair);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto response = http_get("127.0.0.1", daemon_port, "/metrics", 5s);
        return response.status == 200 &&
               parse_metrics(response.body).sum("fairwatch_events_received_total") >=
                   300.0 * kEventsPerMinute;
      },
      60s))
      << fairwatchd.stderr_text();
  EXPECT_EQ(find_female_alert(webhook.notifications(), "firing"), nullptr);

  // Bias from now on: one event-minute every 100 ms until the alert arrives.
  daemon::SyntheticAdm biased(adm_options(8, true));
  const auto bias_start = Clock::now();
  const WebhookAlert* fired = nullptr;
  for (int minute = 0; minute < 600 && fired == nullptr; ++minute) {
    producer.minute(biased);
    std::this_thread::sleep_for(100ms);
    const auto notifications = webhook.notifications();
    fired = find_female_alert(notifications, "firing");
    if (fired != nullptr) {
      const double seconds = std::chrono::duration<double>(Clock::now() - bias_start).count();
      std::printf("bias start to alert delivery: %.1f s wall, %d event-minutes\n", seconds,
                  minute + 1);
      const WebhookAlert alert = *fired;
      EXPECT_TRUE(alert.labels.at("severity") == "warning" ||
                  alert.labels.at("severity") == "critical");
      for (const char* name : {"summary", "description", "runbook_url", "dashboard_url"}) {
        EXPECT_TRUE(alert.annotations.count(name)) << name;
      }
      EXPECT_NE(alert.annotations.at("runbook_url").find("runbook.md#"), std::string::npos);
      EXPECT_NE(alert.annotations.at("description").find("female"), std::string::npos)
          << alert.annotations.at("description");
      break;
    }
  }
  ASSERT_NE(fired, nullptr) << "no alert delivered; fairwatchd: " << fairwatchd.stderr_text()
                            << "\nprometheus: " << prometheus->log()
                            << "\nalertmanager: " << alertmanager->log();

  // Every panel query of every dashboard answers with data from this Prometheus,
  // for `sex` (three groups, alerting) or `disability` (two groups: the CMH
  // common odds ratio exists only for two).
  std::map<std::string, std::string> failures;  // "dashboard / panel: expr" -> why
  std::set<std::string> answered;
  int queries = 0;
  for (const char* attribute : {"sex", "disability"}) {
    DashboardVariables variables = default_builtin_variables();
    variables.insert({{"datasource", "prometheus"},
                      {"system", "cv-screener-v3"},
                      {"stage", "screening"},
                      {"attribute", attribute},
                      {"window", "24h"},
                      {"job", "fairwatch"},
                      {"instance", "127.0.0.1:" + std::to_string(daemon_port)}});
    for (const char* file : {"hiring-fairness.json", "detector-detail.json", "operations.json"}) {
      auto loaded = dashboard_queries(
          std::string(FAIRWATCH_SOURCE_DIR) + "/grafana/dashboards/" + file, variables);
      ASSERT_TRUE(std::holds_alternative<std::vector<DashboardQuery>>(loaded))
          << std::get<std::string>(loaded);
      for (const DashboardQuery& query : std::get<std::vector<DashboardQuery>>(loaded)) {
        const std::string name = query.dashboard + " / " + query.panel + " / " + query.ref_id;
        if (answered.count(name)) continue;
        ++queries;
        // Recording rules of the 1h ratios are first evaluated up to a minute after start.
        const PrometheusQueryResult result = prometheus->wait_for_samples(query.expr, 70s);
        if (result.ok && !result.samples.empty()) {
          answered.insert(name);
          failures.erase(name);
        } else {
          failures[name] = query.expr + " -> " + (result.ok ? "no data" : result.error);
        }
      }
    }
  }
  for (const auto& [name, why] : failures) ADD_FAILURE() << name << ": " << why;
  std::printf("dashboard queries run: %d, answered: %zu\n", queries, answered.size());

  // The bias stops: fair decisions slide it out of the 1h window; the alert resolves.
  const auto fair_again = Clock::now();
  bool resolved = false;
  for (int minute = 0; minute < 600 && !resolved; ++minute) {
    producer.minute(fair);
    std::this_thread::sleep_for(100ms);
    resolved = every_female_alert_resolved(webhook.notifications());
  }
  EXPECT_TRUE(resolved) << alertmanager->log();
  std::printf("bias end to resolved delivery: %.1f s wall\n",
              std::chrono::duration<double>(Clock::now() - fair_again).count());
}

}  // namespace
}  // namespace fairwatch::testing
