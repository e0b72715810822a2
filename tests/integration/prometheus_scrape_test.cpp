// A real Prometheus scraping an in-process Exporter fed from an in-process
// Engine: what PromQL sees must be what the engine knows.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <variant>

#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/exporter.h"
#include "fairwatch/daemon/report.h"
#include "prometheus_server.h"

namespace fairwatch::testing {
namespace {

using daemon::Engine;
using daemon::Exporter;
using daemon::Outcome;
using daemon::Report;

constexpr std::int64_t kBaseEpochSeconds = 1795132800;  // 2026-11-20T00:00:00Z

config::Config scrape_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0},
                       {"ethnicity", "/attributes/ethnicity", {"black", "white"}, 0}};
  config.intersections = {{"sex", "ethnicity"}};
  config.windows = {{"24h", 86400}};
  config.statistics.min_group_size = 5;
  config.exporter.listen = "127.0.0.1:0";
  return config;
}

class Feeder {
 public:
  explicit Feeder(Engine& engine) : engine_(engine) {}

  // `count` events at `minute`, the first `selected` of them selected.
  void add(int minute, const std::string& sex, const std::string& ethnicity, int count,
           int selected) {
    for (int i = 0; i < count; ++i) {
      const std::string json =
          "{\"event_id\":\"s" + std::to_string(next_id_++) +
          "\",\"timestamp\":" + std::to_string(kBaseEpochSeconds + minute * 60) +
          ",\"system\":\"cv\",\"stage\":\"screening\",\"requisition\":\"req-" +
          std::to_string(i % 3) + "\",\"decision\":\"" + (i < selected ? "selected" : "rejected") +
          "\",\"score\":" + (i < selected ? "0.8" : "0.3") + ",\"attributes\":{\"sex\":\"" + sex +
          "\",\"ethnicity\":\"" + ethnicity + "\"}}";
      ASSERT_EQ(engine_.offer(json).outcome, Outcome::accepted);
    }
  }

 private:
  Engine& engine_;
  int next_id_ = 1;
};

const daemon::GroupRow& row(const Report& report, const std::string& window,
                            const std::string& attribute, const std::string& group) {
  for (const daemon::GroupRow& r : report.groups) {
    if (r.window == window && r.attribute == attribute && r.group == group && !r.stratum) return r;
  }
  ADD_FAILURE() << "no row " << window << " " << attribute << " " << group;
  static const daemon::GroupRow none;
  return none;
}

// The value of a query answering one sample; NaN (and a failure) otherwise.
double only_value(const PrometheusQueryResult& result, const std::string& promql) {
  EXPECT_TRUE(result.ok) << promql << ": " << result.error;
  EXPECT_EQ(result.samples.size(), 1u) << promql;
  return result.samples.size() == 1 ? result.samples.front().value : std::nan("");
}

// Polls until `promql` answers exactly `expected` (Prometheus sees a new
// scrape every second); returns the last value seen.
double wait_for_value(const PrometheusServer& prometheus, const std::string& promql,
                      double expected) {
  double last = std::nan("");
  wait_until(
      [&] {
        const PrometheusQueryResult result = prometheus.query(promql);
        if (!result.ok || result.samples.size() != 1) return false;
        last = result.samples.front().value;
        return last == expected;
      },
      std::chrono::seconds(30));
  return last;
}

TEST(PrometheusScrape, QueriesMatchTheEngine) {
  const config::Config config = scrape_config();
  Engine engine(config);
  Feeder feeder(engine);
  feeder.add(0, "male", "white", 20, 16);
  feeder.add(1, "male", "black", 20, 14);  // male 30/40
  feeder.add(2, "female", "white", 20, 10);
  feeder.add(3, "female", "black", 20, 8);  // female 18/40
  feeder.add(4, "unknown-value", "white", 3, 1);

  auto started = Exporter::start(config);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Exporter>>(started))
      << std::get<std::string>(started);
  Exporter& exporter = *std::get<std::unique_ptr<Exporter>>(started);
  const Report report = build_report(engine, {});
  exporter.publish_statistics(report, engine);
  exporter.set_ready(true, "");

  PrometheusOptions options;
  options.targets = {"127.0.0.1:" + std::to_string(exporter.port())};
  auto launched = PrometheusServer::start(options);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<PrometheusServer>>(launched))
      << std::get<std::string>(launched);
  const PrometheusServer& prometheus = *std::get<std::unique_ptr<PrometheusServer>>(launched);

  const std::string female_all =
      R"({system="cv",stage="screening",attribute="sex",group="female",window="all"})";
  const std::string ratio_query = "fairwatch_impact_ratio" + female_all;
  const PrometheusQueryResult ratio = prometheus.wait_for_samples(ratio_query);
  ASSERT_TRUE(ratio.ok) << ratio.error << "\n" << prometheus.log();
  EXPECT_DOUBLE_EQ(only_value(ratio, ratio_query), 0.6);  // (18/40) / (30/40)
  EXPECT_DOUBLE_EQ(only_value(ratio, ratio_query),
                   *row(report, "all", "sex", "female").statistics.impact_ratio);
  ASSERT_EQ(ratio.samples.size(), 1u);
  EXPECT_EQ(ratio.samples.front().labels.at("job"), "fairwatch");

  const std::string fisher_query =
      R"(fairwatch_p_value{test="fisher",group="female",window="all",attribute="sex"})";
  EXPECT_DOUBLE_EQ(only_value(prometheus.query(fisher_query), fisher_query),
                   *row(report, "all", "sex", "female").statistics.p_value_fisher);

  // Every decision counted once per attribute family (sex, ethnicity, sex*ethnicity).
  const double accepted = static_cast<double>(engine.counters().accepted);
  ASSERT_EQ(accepted, 83.0);
  const std::string sum_query = "sum(fairwatch_decisions_total)";
  EXPECT_EQ(only_value(prometheus.query(sum_query), sum_query), 3 * accepted);
  const std::string sex_query = R"(sum(fairwatch_decisions_total{attribute="sex"}))";
  EXPECT_EQ(only_value(prometheus.query(sex_query), sex_query), accepted);
  const std::string selected_query =
      R"(sum by (group) (fairwatch_decisions_total{attribute="sex",outcome="selected",group="female"}))";
  EXPECT_EQ(only_value(prometheus.query(selected_query), selected_query), 18.0);

  // PromQL rebuilds the ratio from the counters.
  const std::string rebuilt =
      R"(sum(fairwatch_decisions_total{attribute="sex",group="female",outcome="selected"}) / sum(fairwatch_decisions_total{attribute="sex",group="female"}) / on() (sum(fairwatch_decisions_total{attribute="sex",group="male",outcome="selected"}) / sum(fairwatch_decisions_total{attribute="sex",group="male"})))";
  EXPECT_DOUBLE_EQ(only_value(prometheus.query(rebuilt), rebuilt), 0.6);

  // New events reach Prometheus on the next scrape; a ratio whose group leaves
  // the 24h window disappears (the series goes stale), then comes back.
  const std::string female_24h =
      R"(fairwatch_impact_ratio{attribute="sex",group="female",window="24h"})";
  EXPECT_DOUBLE_EQ(only_value(prometheus.query(female_24h), female_24h), 0.6);
  feeder.add(30 * 60, "male", "white", 10, 5);
  exporter.publish_statistics(build_report(engine, {}), engine);
  EXPECT_EQ(wait_for_value(prometheus, sex_query, accepted + 10), accepted + 10);
  EXPECT_TRUE(wait_until([&] { return prometheus.query(female_24h).samples.empty(); },
                         std::chrono::seconds(30)))
      << "the 24h ratio of a group without applicants should go away";
  EXPECT_DOUBLE_EQ(only_value(prometheus.query(ratio_query), ratio_query),
                   (18.0 / 40) / (35.0 / 50));
  feeder.add(30 * 60 + 1, "female", "white", 5, 1);
  exporter.publish_statistics(build_report(engine, {}), engine);
  EXPECT_DOUBLE_EQ(wait_for_value(prometheus, female_24h, 0.4), 0.4);  // (1/5) / (5/10)

  const std::string up = R"(up{job="fairwatch"})";
  EXPECT_EQ(only_value(prometheus.query(up), up), 1.0);
}

}  // namespace
}  // namespace fairwatch::testing
