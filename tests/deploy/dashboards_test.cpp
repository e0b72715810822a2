// The Grafana dashboards: valid JSON with unique uids and panel ids, the
// template variables the alerts' links and the docs promise, every panel on
// the `datasource` variable, only documented metrics, and PromQL that
// promtool parses once the variables are substituted. Also the
// dashboard-query helper the end-to-end tests use.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <variant>

#include "dashboard_queries.h"
#include "deploy_files.h"

namespace fairwatch::testing {
namespace {

// Values for every variable the dashboards define, plus Grafana's built-ins.
DashboardVariables test_variables() {
  DashboardVariables values = default_builtin_variables();
  values.insert({{"system", "cv-screener-v3"},
                 {"stage", "screening"},
                 {"attribute", "sex"},
                 {"window", "24h"},
                 {"job", "fairwatch"},
                 {"instance", "127.0.0.1:9464"}});
  return values;
}

std::vector<DashboardQuery> queries_of(const std::filesystem::path& file,
                                       const DashboardVariables& values) {
  auto result = dashboard_queries(file.string(), values);
  if (const auto* error = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << *error;
    return {};
  }
  return std::get<std::vector<DashboardQuery>>(result);
}

// Visits every panel, panels nested in rows included.
template <typename Visit>
void for_each_panel(simdjson::dom::array panels, Visit&& visit) {
  for (simdjson::dom::element panel : panels) {
    visit(panel);
    simdjson::dom::array nested;
    if (panel["panels"].get(nested) == simdjson::SUCCESS) for_each_panel(nested, visit);
  }
}

std::string_view string_at(simdjson::dom::element element, std::string_view pointer) {
  std::string_view value;
  if (element.at_pointer(pointer).get(value) != simdjson::SUCCESS) return {};
  return value;
}

TEST(Dashboards, ThereAreTheThreeDashboardsWithUniqueUids) {
  std::set<std::string> uids;
  for (const auto& file : dashboard_files()) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.load(file.string()).get(root), simdjson::SUCCESS) << file;
    const std::string uid(string_at(root, "/uid"));
    EXPECT_FALSE(uid.empty()) << file;
    EXPECT_TRUE(uids.insert(uid).second) << "uid " << uid << " twice";
  }
  EXPECT_EQ(uids, (std::set<std::string>{"fairwatch-detector-detail", "fairwatch-hiring-fairness",
                                         "fairwatch-operations"}));
}

TEST(Dashboards, HaveTheirTemplateVariablesAndEveryPanelUsesTheDatasourceVariable) {
  for (const auto& file : dashboard_files()) {
    SCOPED_TRACE(file.filename().string());
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.load(file.string()).get(root), simdjson::SUCCESS);
    std::set<std::string> variables;
    simdjson::dom::array list;
    ASSERT_EQ(root.at_pointer("/templating/list").get(list), simdjson::SUCCESS);
    for (simdjson::dom::element variable : list) {
      variables.insert(std::string(string_at(variable, "/name")));
      if (string_at(variable, "/name") == "datasource") {
        EXPECT_EQ(string_at(variable, "/type"), "datasource");
        EXPECT_EQ(string_at(variable, "/query"), "prometheus");
      }
    }
    const bool operations = string_at(root, "/uid") == "fairwatch-operations";
    const std::set<std::string> expected =
        operations ? std::set<std::string>{"datasource", "job", "instance", "system", "stage"}
                   : std::set<std::string>{"datasource", "system", "stage", "attribute", "window"};
    EXPECT_EQ(variables, expected);

    std::set<int64_t> ids;
    simdjson::dom::array panels;
    ASSERT_EQ(root["panels"].get(panels), simdjson::SUCCESS);
    std::size_t count = 0;
    for_each_panel(panels, [&](simdjson::dom::element panel) {
      ++count;
      int64_t id = 0;
      EXPECT_EQ(panel["id"].get(id), simdjson::SUCCESS);
      EXPECT_TRUE(ids.insert(id).second) << "panel id " << id << " twice";
      const std::string title(string_at(panel, "/title"));
      EXPECT_FALSE(title.empty());
      EXPECT_EQ(panel.at_pointer("/gridPos/w").error(), simdjson::SUCCESS) << title;
      if (string_at(panel, "/type") == "row") return;
      EXPECT_FALSE(string_at(panel, "/description").empty()) << title << ": no description";
      EXPECT_EQ(string_at(panel, "/datasource/uid"), "${datasource}") << title;
      simdjson::dom::array targets;
      ASSERT_EQ(panel["targets"].get(targets), simdjson::SUCCESS) << title;
      EXPECT_GT(targets.size(), 0u) << title;
      for (simdjson::dom::element target : targets) {
        EXPECT_EQ(string_at(target, "/datasource/uid"), "${datasource}") << title;
      }
    });
    EXPECT_GT(count, 8u);
  }
}

TEST(Dashboards, UseOnlyDocumentedMetricsAndDefinedRecordings) {
  for (const auto& file : dashboard_files()) expect_only_known_names(file);
}

TEST(Dashboards, AlertDashboardLinksPointAtExistingDashboardsAndVariables) {
  std::set<std::string> uids;
  for (const auto& file : dashboard_files()) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.load(file.string()).get(root), simdjson::SUCCESS);
    uids.insert(std::string(string_at(root, "/uid")));
  }
  static const std::regex kLink(R"(/d/([a-z0-9-]+)/)");
  std::size_t links = 0;
  for (const auto& file : rule_files()) {
    const std::string text = read_text(file);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kLink);
         it != std::sregex_iterator(); ++it, ++links) {
      EXPECT_TRUE(uids.contains((*it)[1])) << "no dashboard with uid " << (*it)[1];
    }
  }
  EXPECT_GT(links, 0u);
}

// Every query, variables substituted, is PromQL that promtool accepts: each
// goes into a rule file as a recording rule and `promtool check rules` parses
// it.
TEST(Dashboards, EveryQueryIsValidPromQLOnceVariablesAreSubstituted) {
  const std::string promtool = PROMTOOL_PATH;
  ASSERT_FALSE(promtool.empty() || promtool.ends_with("-NOTFOUND"))
      << "promtool not found: install the Debian package prometheus";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("fairwatch-dashboards-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto rules = dir / "queries.rules.yml";
  {
    std::ofstream out(rules);
    out << "groups:\n  - name: dashboards\n    rules:\n";
    int n = 0;
    for (const auto& file : dashboard_files()) {
      for (const DashboardQuery& query : queries_of(file, test_variables())) {
        std::string escaped;
        for (const char c : query.expr) {
          if (c == '\\' || c == '"') escaped += '\\';
          escaped += c == '\n' ? ' ' : c;
        }
        out << "      # " << query.dashboard << ": " << query.panel << "\n"
            << "      - record: dashboard_query_" << n++ << "\n"
            << "        expr: \"" << escaped << "\"\n";
      }
    }
    ASSERT_GT(n, 50);
  }
  const std::string command = promtool + " check rules " + rules.string() + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output << "\n(rule file: " << rules << ")";
  if (status == 0) std::filesystem::remove_all(dir);
}

TEST(DashboardQueries, EveryDashboardYieldsQueriesWithNothingLeftToSubstitute) {
  for (const auto& file : dashboard_files()) {
    SCOPED_TRACE(file.filename().string());
    const auto queries = queries_of(file, test_variables());
    EXPECT_GT(queries.size(), 5u);
    std::size_t variables = 0;
    for (const DashboardQuery& query : queries) {
      EXPECT_FALSE(query.dashboard.empty());
      EXPECT_FALSE(query.panel.empty());
      EXPECT_EQ(query.expr.find('$'), std::string::npos) << query.panel << ": " << query.expr;
      EXPECT_EQ(query.expr.find("[["), std::string::npos) << query.panel << ": " << query.expr;
      if (query.panel.starts_with("variable: ")) ++variables;
    }
    EXPECT_GE(variables, 4u);
  }
}

TEST(DashboardQueries, SubstitutesEveryVariableSyntaxAndLeavesUnknownOnes) {
  const DashboardVariables values{{"system", "cv"}, {"systems", "many"}, {"__rate_interval", "1m"}};
  EXPECT_EQ(substitute_variables(R"(x{system=~"$system"}[$__rate_interval])", values),
            R"(x{system=~"cv"}[1m])");
  EXPECT_EQ(substitute_variables("${system} ${system:regex} [[system]] $systems", values),
            "cv cv cv many");
  EXPECT_EQ(substitute_variables("$stage ${stage} [[stage]] $ cost$", values),
            "$stage ${stage} [[stage]] $ cost$");
  EXPECT_EQ(substitute_variables("${system", values), "${system");
}

TEST(DashboardQueries, WalksRowsAnnotationsAndVariables) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("fairwatch-dashboard-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(file);
    out << R"json({"title": "T",
      "panels": [
        {"type": "timeseries", "title": "A", "targets": [
          {"refId": "A", "expr": "up{job=\"$job\"}"},
          {"refId": "B", "expr": "x", "instant": true, "range": false},
          {"refId": "C", "expr": ""}]},
        {"type": "row", "title": "R", "collapsed": true, "panels": [
          {"type": "stat", "title": "S", "targets": [{"refId": "A", "expr": "y[$__range]"}]}]},
        {"type": "text", "title": "no targets"}],
      "annotations": {"list": [{"name": "N", "expr": "z == 1"}, {"name": "builtin"}]},
      "templating": {"list": [
        {"name": "job", "type": "query", "query": "label_values(up{a=\"b,c\"}, job)"},
        {"name": "i", "type": "query", "query": {"query": "label_values(instance)"}},
        {"name": "q", "type": "query", "query": {"query": "query_result(max(w))"}},
        {"name": "datasource", "type": "datasource", "query": "prometheus"}]}})json";
  }
  auto result = dashboard_queries(file.string(), {{"job", "j"}, {"__range", "1h"}});
  std::filesystem::remove(file);
  ASSERT_TRUE(std::holds_alternative<std::vector<DashboardQuery>>(result));
  std::vector<std::string> seen;
  for (const DashboardQuery& q : std::get<std::vector<DashboardQuery>>(result)) {
    seen.push_back(q.dashboard + "|" + q.panel + "|" + q.ref_id + "|" + q.expr + "|" +
                   (q.instant ? "instant" : "range"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      R"(T|A|A|up{job="j"}|range)",
                      "T|A|B|x|instant",
                      "T|R / S|A|y[1h]|range",
                      "T|annotation: N||z == 1|range",
                      R"(T|variable: job||up{a="b,c"}|instant)",
                      "T|variable: q||max(w)|instant",
                  }));
}

TEST(DashboardQueries, ReportsUnreadableFilesAndInvalidJson) {
  auto missing = dashboard_queries("/nonexistent/dashboard.json", {});
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_NE(std::get<std::string>(missing).find("cannot read"), std::string::npos);

  const auto file = std::filesystem::temp_directory_path() /
                    ("fairwatch-broken-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << "{\"panels\": [";
  auto broken = dashboard_queries(file.string(), {});
  std::filesystem::remove(file);
  ASSERT_TRUE(std::holds_alternative<std::string>(broken));
  EXPECT_NE(std::get<std::string>(broken).find("invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace fairwatch::testing
