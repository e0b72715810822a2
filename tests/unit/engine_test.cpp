#include "fairwatch/daemon/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fairwatch/daemon/report.h"

namespace fairwatch::daemon {
namespace {

config::Config two_attribute_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.events.allowed_lateness_seconds = 3600;
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0},
                       {"age_band", "/attributes/age_band", {"<40", "40+"}, 0}};
  config.intersections = {{"sex", "age_band"}};
  config.windows = {{"24h", 86400}};
  config.statistics.min_group_size = 0;
  return config;
}

// Builds one event; hour is hours after 2026-11-20T00:00:00Z.
std::string event(int id, int hour, const std::string& sex, const std::string& age, bool selected,
                  const std::string& extra = "") {
  char time[32];
  std::snprintf(time, sizeof time, "\"2026-11-%02dT%02d:00:00Z\"", 20 + hour / 24, hour % 24);
  return "{\"event_id\":\"e" + std::to_string(id) + "\",\"timestamp\":" + time +
         ",\"system\":\"cv\",\"stage\":\"screening\",\"decision\":\"" +
         (selected ? "selected" : "rejected") + "\",\"attributes\":{\"sex\":\"" + sex +
         "\",\"age_band\":\"" + age + "\"}" + extra + "}";
}

const GroupRow& row(const Report& report, const std::string& window, const std::string& attribute,
                    const std::string& group) {
  for (const GroupRow& r : report.groups) {
    if (r.window == window && r.attribute == attribute && r.group == group && !r.stratum) return r;
  }
  ADD_FAILURE() << "no row " << window << " " << attribute << " " << group;
  static const GroupRow none;
  return none;
}

TEST(Engine, RoutesDecisionsToGroupsAndIntersections) {
  const config::Config config = two_attribute_config();
  Engine engine(config);
  EXPECT_EQ(engine.offer(event(1, 0, "female", "<40", true)).outcome, Outcome::accepted);
  EXPECT_EQ(engine.offer(event(2, 0, "female", "40+", false)).outcome, Outcome::accepted);
  EXPECT_EQ(engine.offer(event(3, 1, "male", "40+", true)).outcome, Outcome::accepted);
  EXPECT_EQ(engine.offer(event(4, 1, "robot", "40+", true)).outcome, Outcome::accepted);

  const Report report = build_report(engine, {});
  EXPECT_EQ(row(report, "all", "sex", "female").statistics.counts, (detectors::Counts{2, 1}));
  EXPECT_EQ(row(report, "all", "sex", "male").statistics.counts, (detectors::Counts{1, 1}));
  EXPECT_EQ(row(report, "all", "sex", "unknown").statistics.counts, (detectors::Counts{1, 1}));
  EXPECT_EQ(row(report, "all", "age_band", "40+").statistics.counts, (detectors::Counts{3, 2}));
  EXPECT_EQ(row(report, "24h", "sex*age_band", "female*40+").statistics.counts,
            (detectors::Counts{1, 0}));
  EXPECT_EQ(row(report, "24h", "sex*age_band", "unknown").statistics.counts,
            (detectors::Counts{1, 1}));
  EXPECT_EQ(engine.counters().unknown, (std::vector<std::uint64_t>{1, 0, 1}));
  EXPECT_TRUE(row(report, "all", "sex", "unknown").unknown);
  EXPECT_FALSE(row(report, "all", "sex", "unknown").statistics.impact_ratio.has_value());
}

TEST(Engine, DuplicatesAreDroppedAndRejectionsCountedByReason) {
  const config::Config config = two_attribute_config();
  Engine engine(config);
  EXPECT_EQ(engine.offer(event(1, 0, "female", "<40", true)).outcome, Outcome::accepted);
  EXPECT_EQ(engine.offer(event(1, 0, "female", "<40", true)).outcome, Outcome::duplicate);
  const OfferResult bad = engine.offer("{not json");
  EXPECT_EQ(bad.outcome, Outcome::rejected);
  EXPECT_EQ(bad.reason, RejectReason::not_json);
  EXPECT_EQ(engine.offer(event(2, 0, "female", "<40", true, ",\"score\":\"high\"")).reason,
            RejectReason::bad_score);
  EXPECT_EQ(engine.counters().read, 4u);
  EXPECT_EQ(engine.counters().accepted, 1u);
  EXPECT_EQ(engine.counters().duplicates, 1u);
  EXPECT_EQ(engine.counters().rejected_total(), 2u);
  EXPECT_EQ(engine.counters().rejected[static_cast<std::size_t>(RejectReason::not_json)], 1u);
}

TEST(Engine, WindowsSlideWithEventTimeAndLateEventsGoOnlyToAll) {
  const config::Config config = two_attribute_config();
  Engine engine(config);
  engine.offer(event(1, 0, "female", "<40", true));
  engine.offer(event(2, 30, "female", "<40", false));  // watermark now hour 30
  // Hour 29.5 is within the allowed lateness (1h): it lands in its bucket.
  const std::string late_ok =
      "{\"event_id\":\"e3\",\"timestamp\":\"2026-11-21T05:30:00Z\",\"system\":\"cv\","
      "\"stage\":\"screening\",\"decision\":\"selected\",\"attributes\":{\"sex\":\"female\"}}";
  EXPECT_FALSE(engine.offer(late_ok).late);
  // Hour 20 is 10h behind the watermark: late, so only in `all`.
  EXPECT_TRUE(engine.offer(event(4, 20, "female", "<40", true)).late);
  EXPECT_EQ(engine.counters().late, 1u);

  const Report report = build_report(engine, {});
  // 24h window at hour 30 no longer holds hour 0, nor the late hour-20 event.
  EXPECT_EQ(row(report, "24h", "sex", "female").statistics.counts, (detectors::Counts{2, 1}));
  EXPECT_EQ(row(report, "all", "sex", "female").statistics.counts, (detectors::Counts{4, 3}));
}

TEST(Engine, StrataFeedTheCmhTest) {
  config::Config config = two_attribute_config();
  config.intersections.clear();
  Engine engine(config);
  int id = 0;
  // Two requisitions; within each the rates are equal across sexes.
  for (int i = 0; i < 40; ++i) {
    const std::string req = i < 20 ? "r1" : "r2";
    const bool selected = (i % 4 == 0) == (req == "r1");
    const std::string extra = ",\"requisition\":\"" + req + "\"";
    engine.offer(event(++id, 0, "female", "<40", selected, extra));
    engine.offer(event(++id, 0, "male", "<40", selected, extra));
  }
  ReportOptions options;
  options.by_stratum = true;
  const Report report = build_report(engine, options);
  bool found = false;
  for (const AttributeRow& attribute : report.attributes) {
    if (attribute.window != "all" || attribute.attribute != "sex") continue;
    found = true;
    ASSERT_TRUE(attribute.cmh.has_value());
    EXPECT_EQ(attribute.cmh->strata, 2u);
    EXPECT_NEAR(attribute.cmh->test.p_value, 1.0, 1e-12);
    EXPECT_NEAR(*attribute.cmh->common_odds_ratio, 1.0, 1e-12);
  }
  EXPECT_TRUE(found);
  int stratum_rows = 0;
  for (const GroupRow& r : report.groups) stratum_rows += r.stratum.has_value() ? 1 : 0;
  // 2 strata × 2 windows × 2 attributes × 3 groups (with unknown).
  EXPECT_EQ(stratum_rows, 24);
}

}  // namespace
}  // namespace fairwatch::daemon

namespace fairwatch::daemon {
namespace {

TEST(Engine, ScoringRatesMatchAMedianComputedFromTheRawScores) {
  config::Config config = two_attribute_config();
  config.intersections.clear();
  config.scores.bins = 100;
  Engine engine(config);
  // Two-decimal scores: exact on a 100-bin grid.
  std::vector<std::pair<std::string, double>> scored;
  std::uint32_t state = 12345;
  for (int i = 0; i < 301; ++i) {
    state = state * 1103515245u + 12345u;
    const std::string sex = (state >> 16) % 3 == 0 ? "female" : "male";
    const double score = static_cast<double>((state >> 8) % 101) / 100.0;
    scored.emplace_back(sex, score);
    char extra[32];
    std::snprintf(extra, sizeof extra, ",\"score\":%.2f", score);
    ASSERT_EQ(engine.offer(event(i, 0, sex, "<40", i % 2 == 0, extra)).outcome, Outcome::accepted);
  }
  std::vector<double> all;
  for (const auto& [sex, score] : scored) all.push_back(score);
  std::sort(all.begin(), all.end());
  const double median = all[all.size() / 2];  // 301 scores: the 151st
  auto scoring_rate = [&](const std::string& group) {
    double above = 0;
    double total = 0;
    for (const auto& [sex, score] : scored) {
      if (sex != group) continue;
      ++total;
      if (score > median + 1e-9) ++above;
    }
    return above / total;
  };
  const Report report = build_report(engine, {});
  for (const std::string window : {"24h", "all"}) {
    const GroupRow& female = row(report, window, "sex", "female");
    const GroupRow& male = row(report, window, "sex", "male");
    ASSERT_TRUE(female.statistics.scoring_rate.has_value());
    EXPECT_DOUBLE_EQ(*female.statistics.scoring_rate, scoring_rate("female"));
    EXPECT_DOUBLE_EQ(*male.statistics.scoring_rate, scoring_rate("male"));
    const double highest = std::max(scoring_rate("female"), scoring_rate("male"));
    EXPECT_DOUBLE_EQ(*female.statistics.scoring_impact_ratio, scoring_rate("female") / highest);
    EXPECT_EQ(female.scored + male.scored, 301u);
  }
  EXPECT_EQ(row(report, "all", "sex", "female").score_quantiles.size(), 5u);
  EXPECT_TRUE(row(report, "24h", "sex", "female").score_quantiles.empty());
}

TEST(Engine, NamedReferenceGroupIsUsedEvenWhenNotHighest) {
  config::Config config = two_attribute_config();
  config.intersections.clear();
  config.statistics.reference = config::ReferenceKind::named;
  config.statistics.reference_groups = {{"sex", "male"}};
  Engine engine(config);
  int id = 0;
  for (int i = 0; i < 10; ++i) engine.offer(event(++id, 0, "female", "<40", i < 6));
  for (int i = 0; i < 10; ++i) engine.offer(event(++id, 0, "male", "<40", i < 3));
  const Report report = build_report(engine, {});
  const GroupRow& female = row(report, "all", "sex", "female");
  EXPECT_EQ(female.reference_group, "male");
  EXPECT_DOUBLE_EQ(*female.statistics.impact_ratio, 2.0);
  EXPECT_EQ(row(report, "all", "sex", "male").statistics.four_fifths,
            detectors::FourFifths::reference);
  // age_band names no reference: the highest rate is used.
  EXPECT_EQ(row(report, "all", "age_band", "<40").statistics.four_fifths,
            detectors::FourFifths::reference);
}

}  // namespace
}  // namespace fairwatch::daemon
