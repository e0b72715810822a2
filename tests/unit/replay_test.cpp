#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "command_runner.h"
#include "fairwatch/daemon/commands.h"

namespace fairwatch::daemon {
namespace {

const std::string kData = std::string(FAIRWATCH_TEST_DATA_DIR) + "/data/";

using fairwatch::testing::CommandOutput;

CommandOutput run(const Arguments& arguments) {
  return fairwatch::testing::run_command(arguments);
}

std::map<std::string, double> read_expected(const std::string& path) {
  std::ifstream file(path);
  std::map<std::string, double> values;
  std::string line;
  std::getline(file, line);  // header
  while (std::getline(file, line)) {
    const auto comma = line.find(',');
    values[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  return values;
}

simdjson::dom::element find_row(simdjson::dom::element report, const char* list,
                                const std::map<std::string, std::string>& keys) {
  for (simdjson::dom::element row : report[list].get_array()) {
    bool match = true;
    for (const auto& [key, value] : keys) {
      std::string_view actual;
      if (row[key].get_string().get(actual) != simdjson::SUCCESS || actual != value) match = false;
    }
    if (match) return row;
  }
  ADD_FAILURE() << "no matching row in " << list;
  return {};
}

TEST(Replay, SimpsonsParadoxInBerkeleyAdmissions) {
  const CommandOutput result =
      run({"replay", "--config", kData + "ucb_admissions.yaml", kData + "ucb_admissions.jsonl"});
  ASSERT_EQ(result.status, 0) << result.err;
  const std::map<std::string, double> expected =
      read_expected(kData + "ucb_admissions_expected.csv");

  simdjson::dom::parser parser;
  simdjson::dom::element report = parser.parse(result.out);
  EXPECT_EQ(uint64_t(report["events"]["accepted"]), 4526u);

  const auto female =
      find_row(report, "groups", {{"window", "all"}, {"attribute", "sex"}, {"group", "female"}});
  EXPECT_EQ(uint64_t(female["applicants"]), expected.at("applicants_female"));
  EXPECT_EQ(uint64_t(female["selected"]), expected.at("selected_female"));
  EXPECT_NEAR(double(female["impact_ratio"]), expected.at("impact_ratio_female"), 1e-12);
  // In aggregate, women fail the four-fifths rule, significantly …
  EXPECT_EQ(std::string_view(female["four_fifths"]), "fail");
  EXPECT_EQ(std::string_view(female["reference_group"]), "male");
  EXPECT_LT(double(female["p_value_adjusted"]), 1e-15);

  // … but within departments there is no significant association.
  const auto sex = find_row(report, "attributes", {{"window", "all"}, {"attribute", "sex"}});
  const auto cmh = sex["cmh"];
  EXPECT_EQ(uint64_t(cmh["strata"]), 6u);
  EXPECT_EQ(int64_t(cmh["df"]), 1);
  EXPECT_NEAR(double(cmh["statistic"]), expected.at("cmh_statistic"), 1e-9);
  EXPECT_NEAR(double(cmh["p_value"]), expected.at("cmh_p_value"), 1e-9);
  EXPECT_GT(double(cmh["p_value"]), 0.05);
  EXPECT_NEAR(double(cmh["common_odds_ratio"]), expected.at("cmh_common_odds_ratio"), 1e-9);
  EXPECT_NEAR(double(cmh["common_odds_ratio_ci"].at(0)), expected.at("cmh_common_odds_ratio_lower"),
              1e-9);
  EXPECT_NEAR(double(cmh["common_odds_ratio_ci"].at(1)), expected.at("cmh_common_odds_ratio_upper"),
              1e-9);
}

TEST(Replay, ByStratumReportsEachDepartment) {
  const CommandOutput result =
      run({"replay", "--config", kData + "ucb_admissions.yaml", "--by-stratum", "--window", "all",
           "--format", "csv", kData + "ucb_admissions.jsonl"});
  ASSERT_EQ(result.status, 0) << result.err;
  // Department A: 89 of 108 women admitted (R: UCBAdmissions[, "Female", "A"]).
  EXPECT_NE(result.out.find("all,ucb-graduate,admission,sex,female,dept-A,108,89,"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.find("\n24h,"), std::string::npos);  // --window all only
}

TEST(Replay, BrokenLinesAreCountedByReasonAndLoseNothingElse) {
  // A line larger than the decoder accepts, in a second input file.
  const std::string big_path = ::testing::TempDir() + "/too_large.jsonl";
  {
    std::ofstream big(big_path);
    big << R"({"event_id":"big","timestamp":"2026-11-20T10:00:00Z","system":"cv",)"
        << R"("stage":"screening","decision":"selected","padding":")" << std::string(1100000, 'x')
        << "\"}\n";
  }
  const CommandOutput result = run({"replay", "--config", kData + "mixed_valid_and_broken.yaml",
                                    kData + "mixed_valid_and_broken.jsonl", big_path});
  ASSERT_EQ(result.status, 0) << result.err;
  simdjson::dom::parser parser;
  simdjson::dom::element report = parser.parse(result.out);
  const auto events = report["events"];
  EXPECT_EQ(uint64_t(events["read"]), 16u);
  EXPECT_EQ(uint64_t(events["accepted"]), 5u);
  EXPECT_EQ(uint64_t(events["duplicates"]), 1u);
  EXPECT_EQ(uint64_t(events["late"]), 1u);
  EXPECT_EQ(uint64_t(events["unknown"]["sex"]), 2u);
  const std::map<std::string, std::uint64_t> rejected = {
      {"not_json", 2},   {"too_large", 1},      {"missing_field", 1},
      {"wrong_type", 1}, {"bad_timestamp", 1},  {"unmapped_decision", 1},
      {"bad_score", 1},  {"unknown_system", 1}, {"unknown_stage", 1}};
  for (const auto& [reason, count] : rejected) {
    EXPECT_EQ(uint64_t(events["rejected"][reason]), count) << reason;
  }
  EXPECT_EQ(simdjson::dom::object(events["rejected"]).size(), rejected.size());

  auto counts = [&](const char* window, const char* group) {
    const auto row = find_row(report, "groups", {{"window", window}, {"group", group}});
    return std::make_pair(uint64_t(row["applicants"]), uint64_t(row["selected"]));
  };
  EXPECT_EQ(counts("all", "female"), std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(counts("all", "male"), std::make_pair(uint64_t{1}, uint64_t{0}));
  EXPECT_EQ(counts("all", "unknown"), std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(counts("24h", "female"),
            std::make_pair(uint64_t{1}, uint64_t{1}));  // late one: all only
  EXPECT_EQ(std::string_view(report["as_of"]), "2026-11-20T10:10:00.000Z");
}

TEST(Replay, UndefinedValuesAreNullNeverNaN) {
  const CommandOutput result = run({"replay", "--config", kData + "mixed_valid_and_broken.yaml",
                                    kData + "mixed_valid_and_broken.jsonl"});
  ASSERT_EQ(result.status, 0);
  EXPECT_EQ(result.out.find("nan"), std::string::npos);
  EXPECT_EQ(result.out.find("inf"), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element report = parser.parse(result.out);
  const auto unknown = find_row(report, "groups", {{"window", "all"}, {"group", "unknown"}});
  EXPECT_TRUE(unknown["impact_ratio"].is_null());
  EXPECT_TRUE(unknown["four_fifths"].is_null());
}

TEST(Replay, UsageErrors) {
  EXPECT_EQ(run({"replay"}).status, 2);
  EXPECT_EQ(run({"replay", "--config", kData + "ucb_admissions.yaml", "--format", "xml"}).status,
            2);
  EXPECT_EQ(run({"replay", "--config", kData + "ucb_admissions.yaml", "--window", "9h"}).status, 2);
  const CommandOutput missing =
      run({"replay", "--config", kData + "ucb_admissions.yaml", kData + "does-not-exist.jsonl"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("does-not-exist.jsonl"), std::string::npos);
  EXPECT_EQ(run({"no-such-command"}).status, 2);
}

TEST(CheckConfig, ValidAndInvalidFiles) {
  const CommandOutput valid = run({"check-config", kData + "ucb_admissions.yaml"});
  EXPECT_EQ(valid.status, 0) << valid.err;
  const std::string broken_path = ::testing::TempDir() + "/broken.yaml";
  {
    std::ofstream broken(broken_path);
    broken << "attributes:\n"
              "  - {name: sex, field: attributes/sex, groups: [female, male]}\n"
              "statistics: {confidence: 1.5, colour: blue}\n";
  }
  const CommandOutput invalid = run({"check-config", broken_path});
  EXPECT_EQ(invalid.status, 1);
  EXPECT_NE(invalid.err.find(broken_path + ":2:"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find(broken_path + ":3:"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("statistics.confidence"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("statistics.colour"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("attributes[0].field"), std::string::npos) << invalid.err;
}

}  // namespace
}  // namespace fairwatch::daemon
