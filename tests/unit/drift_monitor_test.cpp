// DriftMonitor fed by the Engine: the same event-time windows as the engine,
// exact samples while they fit, uniform subsamples beyond, determinism, and
// the save/restore round trip.
#include "fairwatch/daemon/drift_monitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "fairwatch/daemon/engine.h"
#include "fairwatch/detectors/drift.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kStartMs = 1'795'000'000'000;  // 2026-11-18

config::Config drift_config() {
  config::Config config;
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0}};
  config.windows = {{"6h", 21600}, {"24h", 86400}};
  config.events.allowed_lateness_seconds = 3600;
  config.drift.sample_size = 120;
  return config;
}

// An engine feeding a DriftMonitor, fed decisions straight through
// Engine::apply (the decoder is tested elsewhere).
class Monitored {
 public:
  // Keeps its own copy of `config`: the engine refers to it for its lifetime.
  explicit Monitored(const config::Config& config)
      : config(config), engine(this->config), monitor(this->config) {
    engine.set_drift_monitor(&monitor);
  }
  OfferResult add(std::int64_t time_ms, GroupIndex sex, std::optional<double> score,
                  const char* stage = "screening") {
    ids_.push_back("e" + std::to_string(ids_.size()));
    Decision decision;
    decision.event_id = ids_.back();
    decision.system = "cv";
    decision.stage = stage;
    decision.event_time_ms = time_ms;
    decision.score = score;
    decision.groups = {sex};
    return engine.apply(decision);
  }
  ScoreDistribution scores(std::size_t window, std::uint32_t slot,
                           const char* stage = "screening") const {
    return monitor.scores("cv", stage, window, slot, engine.watermark_ms());
  }

  config::Config config;
  Engine engine;
  DriftMonitor monitor;

 private:
  std::vector<std::string> ids_{};
};

std::vector<double> sorted(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values;
}

// Scored decisions in a window of the engine, per slot.
std::uint64_t engine_scored(const Engine& engine, std::size_t window, std::size_t slot) {
  const StageState& stage = *engine.stages().front();
  if (window == stage.windows.size()) return stage.all_scores[slot].count;
  detectors::ScoreSummary summary(engine.score_grid().bins);
  stage.windows[window].accumulate_scores(engine.watermark_ms(), slot, summary);
  return summary.count;
}

TEST(DriftMonitor, WindowsHoldWhatTheEnginesWindowsHold) {
  const config::Config config = drift_config();
  Monitored feed(config);
  const Engine& engine = feed.engine;
  const DriftMonitor& monitor = feed.monitor;
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> score(0, 1);
  // 30 hours, a few events an hour, some late (2 h back: all only), some
  // unscored, some of unknown sex.
  for (std::int64_t hour = 0; hour < 30; ++hour) {
    for (std::int64_t i = 0; i < 3; ++i) {
      const std::int64_t time = kStartMs + hour * kHourMs + i * 600'000;
      feed.add(time, static_cast<GroupIndex>(i % 3), score(random));
    }
    feed.add(kStartMs + hour * kHourMs, 0, std::nullopt);
    if (hour % 7 == 6) {
      EXPECT_TRUE(feed.add(kStartMs + (hour - 2) * kHourMs, 1, 0.5).late);
    }
  }
  for (std::size_t window = 0; window <= config.windows.size(); ++window) {
    for (std::uint32_t slot = 0; slot < 2; ++slot) {
      const ScoreDistribution scores = feed.scores(window, slot);
      EXPECT_EQ(scores.scored, engine_scored(engine, window, slot)) << window << " " << slot;
      EXPECT_EQ(std::accumulate(scores.histogram.begin(), scores.histogram.end(), 0ULL),
                scores.scored);
      EXPECT_GT(scores.scored, 0u);
    }
  }
  // The 6h window saw fewer scores than the 24h one, which saw fewer than all.
  EXPECT_LT(feed.scores(0, 0).scored, feed.scores(1, 0).scored);
  // The unknown group keeps no scores; nor does an unknown series.
  EXPECT_FALSE(monitor.tracks(2));
  EXPECT_EQ(feed.scores(2, 2).scored, 0u);
  EXPECT_EQ(feed.scores(2, 0, "interview").scored, 0u);
  EXPECT_EQ(monitor.first_event_ms(), kStartMs);
  EXPECT_EQ(monitor.last_event_ms(), kStartMs + 29 * kHourMs + 1'200'000);
}

TEST(DriftMonitor, SampleIsEveryScoreWhileItFitsAndAUniformSubsampleBeyond) {
  const config::Config config = drift_config();
  Monitored feed(config);
  std::vector<double> in_6h;
  // 100 scores spread over 5 hours: within the 6h window and the sample size.
  for (std::int64_t i = 0; i < 100; ++i) {
    const double score = std::round(i * 7 % 100) / 100.0;
    feed.add(kStartMs + i * 180'000, 0, score);
    in_6h.push_back(score);
  }
  ScoreDistribution scores = feed.scores(0, 0);
  EXPECT_EQ(sorted(scores.sample), sorted(in_6h));
  EXPECT_EQ(scores.histogram, detectors::histogram(config.drift.score_edges, in_6h));
  EXPECT_EQ(sorted(feed.scores(2, 0).sample), sorted(in_6h));

  // 3000 more in the next half hour, all above 0.5: the 6h window then holds 3100
  // scores; its sample is at most 120 and drawn evenly over time: about
  // 100/3100 of it from the first 100 scores (all below 0.99, most below 0.5).
  for (std::int64_t i = 0; i < 3000; ++i) feed.add(kStartMs + 5 * kHourMs + i * 600, 0, 0.75);
  scores = feed.scores(0, 0);
  EXPECT_EQ(scores.scored, 3100u);
  EXPECT_LE(scores.sample.size(), 120u);
  EXPECT_GE(scores.sample.size(), 2u);
  const auto early =
      std::count_if(scores.sample.begin(), scores.sample.end(), [](double s) { return s != 0.75; });
  EXPECT_LE(early, 3);
  // `all` keeps a reservoir of sample_size.
  EXPECT_EQ(feed.scores(2, 0).sample.size(), 120u);
}

TEST(DriftMonitor, SlidingSampleIsSpreadEvenlyOverTheWindow) {
  // 6000 scores rising with time over 5.8 hours, all in the 6h window: a
  // sample drawn evenly over time has about the window's mean and median.
  Monitored feed(drift_config());
  constexpr std::int64_t kScores = 6000;
  for (std::int64_t i = 0; i < kScores; ++i) {
    feed.add(kStartMs + i * 3500, 0, static_cast<double>(i) / kScores);
  }
  const ScoreDistribution scores = feed.scores(0, 0);
  ASSERT_EQ(scores.scored, static_cast<std::uint64_t>(kScores));
  EXPECT_GE(scores.sample.size(), 100u);
  EXPECT_LE(scores.sample.size(), 120u);
  const double mean = std::accumulate(scores.sample.begin(), scores.sample.end(), 0.0) /
                      static_cast<double>(scores.sample.size());
  EXPECT_NEAR(mean, 0.5, 0.03);
  const auto below =
      std::count_if(scores.sample.begin(), scores.sample.end(), [](double s) { return s < 0.25; });
  EXPECT_NEAR(static_cast<double>(below) / static_cast<double>(scores.sample.size()), 0.25, 0.05);
}

TEST(DriftMonitor, SameInputSameSamples) {
  const config::Config config = drift_config();
  std::vector<std::vector<double>> samples;
  for (int run = 0; run < 2; ++run) {
    Monitored feed(config);
    for (std::int64_t i = 0; i < 5000; ++i) feed.add(kStartMs + i * 4000, 0, (i % 97) / 97.0);
    samples.push_back(feed.scores(0, 0).sample);
    samples.push_back(feed.scores(2, 0).sample);
  }
  EXPECT_EQ(samples[0], samples[2]);
  EXPECT_EQ(samples[1], samples[3]);
  EXPECT_FALSE(samples[0].empty());
}

TEST(DriftMonitor, SaveRestoreRoundTrip) {
  const config::Config config = drift_config();
  Monitored feed(config);
  const Engine& engine = feed.engine;
  const DriftMonitor& monitor = feed.monitor;
  for (std::int64_t i = 0; i < 2000; ++i) {
    feed.add(kStartMs + i * 50'000, static_cast<GroupIndex>(i % 3), (i % 89) / 89.0,
             i % 5 == 0 ? "interview" : "screening");
  }
  detectors::StateWriter writer;
  monitor.save_state(writer);
  const std::string bytes = writer.release();

  DriftMonitor restored(config);
  detectors::StateReader reader(bytes);
  ASSERT_TRUE(restored.restore_state(reader));
  EXPECT_TRUE(reader.at_end());
  for (const char* stage : {"screening", "interview"}) {
    for (std::size_t window = 0; window <= config.windows.size(); ++window) {
      for (std::uint32_t slot = 0; slot < 3; ++slot) {
        const ScoreDistribution a =
            monitor.scores("cv", stage, window, slot, engine.watermark_ms());
        const ScoreDistribution b =
            restored.scores("cv", stage, window, slot, engine.watermark_ms());
        EXPECT_EQ(a.histogram, b.histogram);
        EXPECT_EQ(a.sample, b.sample);
        EXPECT_EQ(a.scored, b.scored);
      }
    }
  }
  EXPECT_EQ(restored.first_event_ms(), monitor.first_event_ms());
  EXPECT_EQ(restored.last_event_ms(), monitor.last_event_ms());
  detectors::StateWriter again;
  restored.save_state(again);
  EXPECT_EQ(again.bytes(), bytes);

  // Truncated input, or a state saved with other edges, is refused and changes nothing.
  const std::string truncated = bytes.substr(0, bytes.size() - 9);
  detectors::StateReader short_reader(truncated);
  EXPECT_FALSE(restored.restore_state(short_reader));
  EXPECT_TRUE(short_reader.failed());
  EXPECT_EQ(restored.scores("cv", "screening", 2, 0, engine.watermark_ms()).histogram,
            feed.scores(2, 0).histogram);
  config::Config other = config;
  other.drift.score_edges = {0, 0.5, 1};
  DriftMonitor other_monitor(other);
  detectors::StateReader other_reader(bytes);
  EXPECT_FALSE(other_monitor.restore_state(other_reader));
}

}  // namespace
}  // namespace fairwatch::daemon
