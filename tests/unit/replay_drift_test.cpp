// Drift against a baseline end to end: `fairwatch baseline capture` over the
// baseline period, then `fairwatch replay --baseline` over the current one,
// against values computed independently in R
// (tests/reference/generate_replay_drift_reference.R), in the 7d window and
// in `all`. Plus refusals (other edges, malformed files), reproducibility,
// and agreement between drift counts and the report's counts.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <variant>

#include "command_runner.h"
#include "fairwatch/daemon/baseline.h"
#include "reference_csv.h"

namespace fairwatch::daemon {
namespace {

using fairwatch::test_support::Csv;
using fairwatch::testing::CommandOutput;
using fairwatch::testing::run_command;

const std::string kData = std::string(FAIRWATCH_TEST_DATA_DIR) + "/data/";
const std::string kConfig = kData + "drift.yaml";

// PSI, JS and D are closed forms of the same counts: 1e-9. p-values: 1e-6
// relative (the exact ones are sums over lattice paths on both sides).
constexpr double kClosedForm = 1e-9;
constexpr double kPValue = 1e-6;

// A file of this test only: ctest runs the tests as parallel processes.
std::string temp_path(const std::string& name) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return ::testing::TempDir() + "/" + test->test_suite_name() + "." + test->name() + "-" +
         std::to_string(getpid()) + "-" + name;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Captures the baseline period into a temporary file; returns its path.
std::string capture_baseline_file() {
  std::string path = temp_path("drift_baseline.json");
  const CommandOutput result = run_command(
      {"baseline", "capture", "--config", kConfig, "-o", path, kData + "drift_baseline.jsonl"});
  EXPECT_EQ(result.status, 0) << result.err;
  return path;
}

CommandOutput replay_with_baseline(const std::string& baseline, const Arguments& extra = {}) {
  Arguments arguments = {"replay", "--config", kConfig, "--baseline", baseline};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  arguments.push_back(kData + "drift_current.jsonl");
  return run_command(arguments);
}

// The drift row with these keys; fails the test when there is none.
simdjson::dom::element drift_row(simdjson::dom::element report, std::string_view window,
                                 std::string_view stage, std::string_view subject,
                                 std::string_view group) {
  for (simdjson::dom::element row : report["drift"].get_array()) {
    const bool group_matches =
        row["group"].is_null() ? group.empty() : std::string_view(row["group"]) == group;
    if (std::string_view(row["window"]) == window && std::string_view(row["stage"]) == stage &&
        std::string_view(row["subject"]) == subject &&
        std::string_view(row["system"]) == "cv-screener" &&
        std::string_view(row["attribute"]) == "sex" && group_matches) {
      return row;
    }
  }
  ADD_FAILURE() << "no drift row " << window << " " << stage << " " << subject << " " << group;
  return {};
}

void ExpectNearOrNull(simdjson::dom::element value, const std::optional<double>& expected,
                      double tolerance, const std::string& where) {
  if (!expected) {
    EXPECT_TRUE(value.is_null()) << where;
    return;
  }
  ASSERT_FALSE(value.is_null()) << where;
  EXPECT_NEAR(double(value), *expected, tolerance * std::max(1.0, std::fabs(*expected))) << where;
}

TEST(ReplayDrift, ShiftedScoresAndMixReproduceTheReferenceValues) {
  const std::string baseline = capture_baseline_file();
  const CommandOutput result = replay_with_baseline(baseline);
  ASSERT_EQ(result.status, 0) << result.err;
  simdjson::dom::parser parser;
  const simdjson::dom::element report = parser.parse(result.out);
  const Csv expected("replay_drift.csv");
  ASSERT_EQ(expected.size(), 4u);
  int exact = 0;
  for (const char* window : {"7d", "all"}) {
    for (std::size_t row = 0; row < expected.size(); ++row) {
      const std::string subject = expected.at(row, "subject");
      const std::string group = subject == "mix" ? "" : expected.at(row, "group");
      std::string where = window;
      where += " " + subject + " " + group;
      const auto actual = drift_row(report, window, "screening", subject, group);
      ExpectNearOrNull(actual["psi"], expected.number(row, "psi"), kClosedForm, where);
      ExpectNearOrNull(actual["js_divergence"], expected.number(row, "js_divergence"), kClosedForm,
                       where);
      ExpectNearOrNull(actual["ks_statistic"], expected.number(row, "ks_statistic"), kClosedForm,
                       where);
      // Relative tolerance for p-values, however small.
      const auto p = expected.number(row, "ks_p_value");
      if (p) {
        EXPECT_NEAR(double(actual["ks_p_value"]), *p, kPValue * *p) << where;
      } else {
        EXPECT_TRUE(actual["ks_p_value"].is_null()) << where;
      }
      EXPECT_EQ(uint64_t(actual["baseline_n"]), expected.count(row, "baseline_n")) << where;
      EXPECT_EQ(uint64_t(actual["current_n"]), expected.count(row, "current_n")) << where;
      if (subject == "score") exact += expected.count(row, "exact") == 1 ? 1 : 0;
    }
  }
  EXPECT_EQ(exact, 4);  // female and non-binary exact in both windows; male asymptotic
}

TEST(ReplayDrift, SeriesMissingFromTheBaselineHaveNullsAndNoBaselineCount) {
  const CommandOutput result = replay_with_baseline(capture_baseline_file());
  ASSERT_EQ(result.status, 0) << result.err;
  simdjson::dom::parser parser;
  const simdjson::dom::element report = parser.parse(result.out);
  for (const char* group : {"female", "male", ""}) {
    const auto row = drift_row(report, "all", "interview", group[0] ? "score" : "mix", group);
    EXPECT_TRUE(row["psi"].is_null());
    EXPECT_TRUE(row["js_divergence"].is_null());
    EXPECT_TRUE(row["ks_statistic"].is_null());
    EXPECT_TRUE(row["ks_p_value"].is_null());
    EXPECT_EQ(uint64_t(row["baseline_n"]), 0u);
    EXPECT_GT(uint64_t(row["current_n"]), 0u);
  }
}

TEST(ReplayDrift, DriftCountsAreTheReportsCountsInEveryWindow) {
  const CommandOutput result = replay_with_baseline(capture_baseline_file());
  ASSERT_EQ(result.status, 0) << result.err;
  simdjson::dom::parser parser;
  const simdjson::dom::element report = parser.parse(result.out);
  std::map<std::string, std::uint64_t> applicants;  // window/stage → known groups' applicants
  int compared = 0;
  for (simdjson::dom::element group : report["groups"].get_array()) {
    const std::string_view name = group["group"];
    if (name == "unknown") continue;
    const std::string_view window = group["window"];
    const std::string_view stage = group["stage"];
    applicants[std::string(window) + "/" + std::string(stage)] += uint64_t(group["applicants"]);
    const auto row = drift_row(report, window, stage, "score", name);
    EXPECT_EQ(uint64_t(row["current_n"]), uint64_t(group["scored"])) << window << " " << name;
    ++compared;
  }
  EXPECT_EQ(compared, 12);  // 2 windows × 2 stages × 3 groups
  for (const auto& [key, count] : applicants) {
    const auto slash = key.find('/');
    const auto row = drift_row(report, key.substr(0, slash), key.substr(slash + 1), "mix", "");
    EXPECT_EQ(uint64_t(row["current_n"]), count) << key;
  }
}

TEST(ReplayDrift, WindowOptionKeepsOnlyThatWindow) {
  const CommandOutput result = replay_with_baseline(capture_baseline_file(), {"--window", "7d"});
  ASSERT_EQ(result.status, 0) << result.err;
  simdjson::dom::parser parser;
  const simdjson::dom::element report = parser.parse(result.out);
  std::size_t rows = 0;
  for (simdjson::dom::element row : report["drift"].get_array()) {
    EXPECT_EQ(std::string_view(row["window"]), "7d");
    ++rows;
  }
  EXPECT_EQ(rows, 8u);  // 2 stages × (3 groups + mix)
}

TEST(ReplayDrift, SameInputSameBaselineAndReport) {
  const std::string first = read_file(capture_baseline_file());
  const std::string second = read_file(capture_baseline_file());
  EXPECT_EQ(first, second);
  const std::string path = temp_path("drift_baseline_copy.json");
  write_file(path, first);
  const CommandOutput a = replay_with_baseline(path);
  const CommandOutput b = replay_with_baseline(path);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("\"drift\":["), std::string::npos);
  // Without a baseline there is no drift section.
  const CommandOutput plain =
      run_command({"replay", "--config", kConfig, kData + "drift_current.jsonl"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out.find("\"drift\""), std::string::npos);
}

TEST(ReplayDrift, BaselineFileRoundTripsAndHoldsNoEventIdentity) {
  const std::string text = read_file(capture_baseline_file());
  auto parsed = parse_baseline(text);
  ASSERT_TRUE(std::holds_alternative<Baseline>(parsed)) << std::get<std::string>(parsed);
  const Baseline& baseline = std::get<Baseline>(parsed);
  EXPECT_EQ(format_baseline(baseline), text);
  ASSERT_EQ(baseline.scores.size(), 3u);
  EXPECT_EQ(baseline.scores[0].group, "female");
  EXPECT_EQ(baseline.scores[0].applicants, 70u);
  EXPECT_EQ(baseline.scores[0].sample.size(), 70u);
  ASSERT_EQ(baseline.mixes.size(), 1u);
  EXPECT_EQ(baseline.mixes[0].applicants.size(), 3u);  // `unknown` is not in the mix
  EXPECT_EQ(text.find("base-0"), std::string::npos);   // no event ids
  EXPECT_EQ(text.find("undisclosed"), std::string::npos);
  EXPECT_NE(text.find("\"first_event\":\"2026-10-01T"), std::string::npos);
}

TEST(ReplayDrift, BaselineWithOtherScoreEdgesIsRefused) {
  const std::string config = temp_path("drift_other_edges.yaml");
  write_file(config, read_file(kConfig) + "drift: {score_edges: [0, 0.5, 1]}\n");
  const CommandOutput result =
      run_command({"replay", "--config", config, "--baseline", capture_baseline_file(),
                   kData + "drift_current.jsonl"});
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("cannot compare with this baseline: its score_edges "
                            "[0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1] differ from the "
                            "configuration's drift.score_edges [0,0.5,1]"),
            std::string::npos)
      << result.err;
}

TEST(ReplayDrift, CheckConfigReadsTheConfiguredBaseline) {
  const std::string good = temp_path("drift_check_good.yaml");
  write_file(good, read_file(kConfig) + "drift: {baseline: " + capture_baseline_file() + "}\n");
  const CommandOutput valid = run_command({"check-config", good});
  EXPECT_EQ(valid.status, 0) << valid.err;

  const std::string missing = temp_path("drift_check_missing.yaml");
  const std::string absent = temp_path("no-such-baseline.json");
  write_file(missing, read_file(kConfig) + "drift: {baseline: " + absent + "}\n");
  const CommandOutput unreadable = run_command({"check-config", missing});
  EXPECT_EQ(unreadable.status, 1);
  EXPECT_NE(
      unreadable.err.find(missing + ": drift.baseline: " + absent + ": cannot read the baseline"),
      std::string::npos)
      << unreadable.err;

  const std::string other = temp_path("drift_check_other_edges.yaml");
  write_file(other, read_file(kConfig) + "drift: {score_edges: [0, 0.5, 1], baseline: " +
                        capture_baseline_file() + "}\n");
  const CommandOutput mismatched = run_command({"check-config", other});
  EXPECT_EQ(mismatched.status, 1);
  EXPECT_NE(mismatched.err.find(": cannot compare with this baseline: its score_edges"),
            std::string::npos)
      << mismatched.err;
}

TEST(ReplayDrift, ConfiguredBaselineIsUsedAndTheFlagOverridesIt) {
  const std::string config = temp_path("drift_configured_baseline.yaml");
  const std::string missing = temp_path("configured_but_missing.json");
  write_file(config, read_file(kConfig) + "drift: {baseline: " + missing + "}\n");
  const CommandOutput configured =
      run_command({"replay", "--config", config, kData + "drift_current.jsonl"});
  EXPECT_EQ(configured.status, 1);
  EXPECT_NE(configured.err.find(missing + ": cannot read the baseline"), std::string::npos)
      << configured.err;
  const CommandOutput overridden =
      run_command({"replay", "--config", config, "--baseline", capture_baseline_file(),
                   kData + "drift_current.jsonl"});
  ASSERT_EQ(overridden.status, 0) << overridden.err;
  EXPECT_NE(overridden.out.find("\"drift\":[{"), std::string::npos);
}

TEST(ReplayDrift, MalformedBaselinesGiveAClearError) {
  const std::string good = read_file(capture_baseline_file());
  struct Case {
    std::string text;
    std::string message;
  };
  std::string bad_histogram = good;
  bad_histogram.replace(bad_histogram.find("\"histogram\":["), 13, "\"histogram\":[1,");
  std::string bad_version = good;
  bad_version.replace(bad_version.find("\"version\":1"), 11, "\"version\":7");
  std::string extra_key = good;
  extra_key.replace(extra_key.find("\"sample_size\""), 13, "\"sample_sise\"");
  const std::vector<Case> cases = {
      {"{\"format\":", "not a valid baseline: not valid JSON"},
      {"[]", "not a valid baseline: expected an object, got an array"},
      {bad_histogram,
       "not a valid baseline: scores[0].histogram: expected 10 counts (one per bin of "
       "score_edges), got 11"},
      {bad_version,
       "not a valid baseline: version: version 7 is not supported (this fairwatch reads "
       "version 1)"},
      {extra_key, "not a valid baseline: sample_sise: unknown key"},
  };
  const std::string path = temp_path("drift_malformed.json");
  for (const Case& c : cases) {
    write_file(path, c.text);
    const CommandOutput result = replay_with_baseline(path);
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.err.find("fairwatch replay: " + path + ": " + c.message), std::string::npos)
        << result.err;
  }
  const CommandOutput missing = replay_with_baseline(temp_path("no_such_baseline.json"));
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("cannot read the baseline: No such file or directory"),
            std::string::npos)
      << missing.err;
}

TEST(ReplayDrift, CaptureNeedsAnOutputAndReportsWriteErrors) {
  const CommandOutput no_output =
      run_command({"baseline", "capture", "--config", kConfig, kData + "drift_baseline.jsonl"});
  EXPECT_EQ(no_output.status, 2);
  EXPECT_NE(no_output.err.find("-o OUT are required"), std::string::npos) << no_output.err;
  const CommandOutput unwritable =
      run_command({"baseline", "capture", "--config", kConfig, "-o", "/nonexistent/dir/b.json",
                   kData + "drift_baseline.jsonl"});
  EXPECT_EQ(unwritable.status, 1);
  EXPECT_NE(unwritable.err.find("cannot write /nonexistent/dir/b.json"), std::string::npos);
  const CommandOutput to_stdout = run_command(
      {"baseline", "capture", "--config", kConfig, "-o", "-", kData + "drift_baseline.jsonl"});
  EXPECT_EQ(to_stdout.status, 0);
  EXPECT_EQ(to_stdout.out, read_file(capture_baseline_file()));
  EXPECT_EQ(run_command({"baseline"}).status, 2);
}

}  // namespace
}  // namespace fairwatch::daemon
