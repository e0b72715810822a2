// The Prometheus rules: every rule has promtool unit tests (alerts firing and
// not firing, with every annotation checked; recordings with samples), every
// alert links to a runbook section that exists, the alerts cover the alert
// values the daemon exports, and every metric they use is documented.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "deploy_files.h"

namespace fairwatch::testing {
namespace {

struct Rules {
  std::map<std::string, YAML::Node> alerts;  // by alert name
  std::set<std::string> records;
};

Rules load_rules() {
  Rules rules;
  for (const auto& file : rule_files()) {
    for (const YAML::Node& group : YAML::LoadFile(file.string())["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        if (rule["alert"]) rules.alerts[rule["alert"].as<std::string>()] = rule;
        if (rule["record"]) rules.records.insert(rule["record"].as<std::string>());
      }
    }
  }
  return rules;
}

struct Coverage {
  std::set<std::string> firing;      // alert names with a case expecting alerts
  std::set<std::string> silent;      // alert names with a case expecting none
  std::set<std::string> annotated;   // firing with all four annotations expected
  std::vector<std::string> queries;  // promql_expr_test exprs expecting samples
};

Coverage load_coverage() {
  Coverage coverage;
  const auto files = files_ending(source_dir() / "deploy/prometheus/tests", ".test.yml");
  EXPECT_FALSE(files.empty());
  for (const auto& file : files) {
    for (const YAML::Node& test : YAML::LoadFile(file.string())["tests"]) {
      for (const YAML::Node& alert_test : test["alert_rule_test"]) {
        const auto name = alert_test["alertname"].as<std::string>();
        const YAML::Node expected = alert_test["exp_alerts"];
        if (!expected || expected.size() == 0) {
          coverage.silent.insert(name);
          continue;
        }
        coverage.firing.insert(name);
        bool all_annotated = true;
        for (const YAML::Node& alert : expected) {
          for (const char* key : {"summary", "description", "runbook_url", "dashboard_url"}) {
            all_annotated = all_annotated && alert["exp_annotations"][key];
          }
        }
        if (all_annotated) coverage.annotated.insert(name);
      }
      for (const YAML::Node& expr_test : test["promql_expr_test"]) {
        if (expr_test["exp_samples"].size() > 0) {
          coverage.queries.push_back(expr_test["expr"].as<std::string>());
        }
      }
    }
  }
  return coverage;
}

TEST(PrometheusRules, EveryAlertFiresAndStaysSilentInUnitTestsWithEveryAnnotationChecked) {
  const Rules rules = load_rules();
  const Coverage coverage = load_coverage();
  ASSERT_FALSE(rules.alerts.empty());
  for (const auto& [name, rule] : rules.alerts) {
    EXPECT_TRUE(coverage.firing.contains(name)) << name << ": no test case where it fires";
    EXPECT_TRUE(coverage.silent.contains(name)) << name << ": no test case where it stays silent";
    EXPECT_TRUE(coverage.annotated.contains(name))
        << name << ": no firing case checks summary, description, runbook_url and dashboard_url";
  }
}

TEST(PrometheusRules, EveryRecordingRuleHasSamplesCheckedInUnitTests) {
  const Rules rules = load_rules();
  const Coverage coverage = load_coverage();
  ASSERT_FALSE(rules.records.empty());
  for (const std::string& record : rules.records) {
    bool tested = false;
    for (const std::string& query : coverage.queries) {
      tested = tested || fairwatch_names(query).contains(record);
    }
    EXPECT_TRUE(tested) << record << ": no promql_expr_test with samples queries it";
  }
}

TEST(PrometheusRules, EveryAlertHasSeverityAnnotationsAndARunbookSectionThatExists) {
  const auto anchors = markdown_anchors(source_dir() / "docs/runbook.md");
  // runbook_url is the runbook_base of fairwatch:alert_links:info + "#anchor".
  static const std::regex kAnchor(R"(runbook_base[^#]*#([a-z0-9_-]+)\s*$)");
  for (const auto& [name, rule] : load_rules().alerts) {
    SCOPED_TRACE(name);
    const auto expr = rule["expr"].as<std::string>();
    // fairwatch_alert_active carries the daemon's severity; other alerts set one.
    if (expr.find("fairwatch_alert_active") == std::string::npos) {
      ASSERT_TRUE(rule["labels"]["severity"]);
      const auto severity = rule["labels"]["severity"].as<std::string>();
      EXPECT_TRUE(severity == "warning" || severity == "critical") << severity;
    }
    for (const char* key : {"summary", "description", "runbook_url", "dashboard_url"}) {
      EXPECT_TRUE(rule["annotations"][key]) << "no annotation " << key;
    }
    const auto runbook = rule["annotations"]["runbook_url"].as<std::string>("");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(runbook, match, kAnchor)) << runbook;
    EXPECT_TRUE(anchors.contains(match[1])) << "docs/runbook.md has no section #" << match[1];
  }
}

TEST(PrometheusRules, LinksPointAtTheRunbookInTheRepository) {
  bool found = false;
  for (const auto& file : rule_files()) {
    for (const YAML::Node& group : YAML::LoadFile(file.string())["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        if (rule["record"].as<std::string>("") != "fairwatch:alert_links:info") continue;
        found = true;
        EXPECT_TRUE(
            rule["labels"]["runbook_base"].as<std::string>("").ends_with("/docs/runbook.md"));
        EXPECT_TRUE(rule["labels"]["grafana_base"]);
        // Evaluated before the alerts of its group, which read it.
        EXPECT_EQ(group["rules"][0]["record"].as<std::string>(""), "fairwatch:alert_links:info");
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST(PrometheusRules, AlertsCoverEveryAlertTheDaemonExports) {
  std::set<std::string> covered;
  static const std::regex kAlertValue(R"re(fairwatch_alert_active\{alert="([a-z_]+)"\})re");
  for (const auto& [name, rule] : load_rules().alerts) {
    const auto expr = rule["expr"].as<std::string>();
    std::smatch match;
    if (std::regex_search(expr, match, kAlertValue)) covered.insert(match[1]);
  }
  EXPECT_EQ(covered,
            (std::set<std::string>{"adverse_impact", "checkpoint_failing", "consumer_lag_growing",
                                   "drift", "events_stale", "kafka_disconnected"}));
  EXPECT_TRUE(load_rules().alerts.contains("FairwatchDown"));
}

TEST(PrometheusRules, UseOnlyDocumentedMetricsAndDefinedRecordings) {
  for (const auto& file : rule_files()) expect_only_known_names(file);
}

TEST(DeployFiles, NamesOfFairwatchSeriesAreFoundInText) {
  EXPECT_EQ(fairwatch_names("rate(fairwatch_decisions_total{a=\"fairwatch_x\"}[5m]) / "
                            "a:fairwatch_y:ratio1h, fairwatch_z: prose fairwatch-uid fairwatch"),
            (std::set<std::string>{"a:fairwatch_y:ratio1h", "fairwatch_decisions_total",
                                   "fairwatch_x", "fairwatch_z"}));
  const std::set<std::string> known{"fairwatch_score", "fairwatch_events_count_total"};
  EXPECT_EQ(base_metric("fairwatch_score_bucket", known), "fairwatch_score");
  EXPECT_EQ(base_metric("fairwatch_score_count", known), "fairwatch_score");
  EXPECT_EQ(base_metric("fairwatch_events_count_total", known), "fairwatch_events_count_total");
  EXPECT_EQ(heading_anchor("FairwatchAdverseImpact"), "fairwatchadverseimpact");
  EXPECT_EQ(heading_anchor("Silencing an alert (responsibly)"), "silencing-an-alert-responsibly");
}

}  // namespace
}  // namespace fairwatch::testing
