// Detection benchmark: synthetic decision streams in event time, one minute
// per step (applicants per group ~ Poisson, selections ~ binomial), fed
// through the real detectors. Compares, side by side:
//   (a) fairwatch's default rule (AdverseImpactRule: impact-ratio confidence
//       sequence below 0.8, or the impact-ratio CUSUM), counts since the
//       start of the simulated monitoring period;
//   (b) a 24-hour-window pooled z test, alarm when z < 0 and p < 0.05;
//   (c) a 7-day-window four-fifths rule (ratio < 0.8);
// (b) and (c) evaluated every minute once both groups have 30 applicants in
// the window, (a) on every minute with decisions.
// Two groups 50/50, the reference selected at 0.3; the other group at
// ratio × 0.3. A further null scenario drops both groups' rates to 0.2 (a
// hiring freeze) and counts alarms in the 90 days after: no adverse impact.
// Deterministic: each run has its own seed (runs in parallel).
// Usage: detection_bench [--years N] [--runs N] [--threads N] [--seed S]
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fairwatch/detectors/adverse_impact_rule.h"
#include "fairwatch/detectors/impact_ratio.h"
#include "fairwatch/detectors/significance.h"

namespace {

using fairwatch::detectors::AdverseImpactRule;
using fairwatch::detectors::AdverseImpactRuleConfig;
using fairwatch::detectors::Counts;

constexpr int kMinutesPerDay = 1440;
constexpr std::int64_t kMinutesPerYear = 365LL * kMinutesPerDay;
constexpr double kReferenceRate = 0.3;
constexpr int kBurnInDays = 30;                  // the change happens during day 30
constexpr int kFollowUpDays = 365;               // a run without an alarm by then is censored
constexpr double kFreezeRate = 0.2;              // both groups' rate in the hiring-freeze scenario
constexpr int kFreezeDays = 90;                  // … watched for this long after the drop
constexpr double kYearsBetweenFalseAlarms = 20;  // the CUSUM's designed ARL0
// (b) and (c) judge a window only when both groups have this many applicants
// in it, as the daemon's statistics.min_group_size (default 30).
constexpr std::uint64_t kMinGroupSize = 30;
constexpr int kMethods = 3;
const char* const kMethodNames[kMethods] = {"(a) fairwatch: CS + CUSUM", "(b) 24h z-test p<0.05",
                                            "(c) 7d four-fifths"};

// The sum of the last `minutes` per-minute counts.
class MinuteWindow {
 public:
  explicit MinuteWindow(int minutes) : ring_(static_cast<std::size_t>(minutes)) {}
  void push(Counts minute) {
    Counts& slot = ring_[next_];
    total_.applicants -= slot.applicants;
    total_.selected -= slot.selected;
    slot = minute;
    total_ += minute;
    next_ = (next_ + 1) % ring_.size();
  }
  Counts total() const { return total_; }

 private:
  std::vector<Counts> ring_;
  std::size_t next_ = 0;
  Counts total_;
};

AdverseImpactRuleConfig default_rule(double applicants_per_day) {
  AdverseImpactRuleConfig config;
  const double group_per_year = applicants_per_day / 2 * 365;
  config.change_arl0_outcomes = kYearsBetweenFalseAlarms * group_per_year;
  config.cs_tuned_for_applicants = group_per_year;
  return config;
}

// One simulated monitoring period. alarm_minute[m]: the first minute >=
// watch_from at which method m alarmed; nullopt if none before `minutes`.
struct Run {
  std::optional<std::int64_t> alarm_minute[kMethods];
};

Run simulate(double applicants_per_day, double ratio_after_change, std::int64_t change_minute,
             std::int64_t minutes, std::uint64_t seed,
             double reference_rate_after_change = kReferenceRate) {
  std::mt19937_64 random(seed);
  std::poisson_distribution<std::uint32_t> arrivals(applicants_per_day / 2 / kMinutesPerDay);
  std::binomial_distribution<std::uint32_t> selections;
  using Binomial = std::binomial_distribution<std::uint32_t>::param_type;
  AdverseImpactRule rule(default_rule(applicants_per_day));
  MinuteWindow group_day(kMinutesPerDay), reference_day(kMinutesPerDay);
  MinuteWindow group_week(7 * kMinutesPerDay), reference_week(7 * kMinutesPerDay);
  Counts group_total, reference_total;
  Run run;
  const std::int64_t watch_from = std::max<std::int64_t>(change_minute, 0);
  for (std::int64_t minute = 0; minute < minutes; ++minute) {
    const bool changed = minute >= change_minute;
    const double reference_rate = changed ? reference_rate_after_change : kReferenceRate;
    const double group_rate = reference_rate * (changed ? ratio_after_change : 1.0);
    const std::uint32_t group_n = arrivals(random);
    const std::uint32_t reference_n = arrivals(random);
    const Counts group{group_n, group_n ? selections(random, Binomial(group_n, group_rate)) : 0u};
    const Counts reference{
        reference_n, reference_n ? selections(random, Binomial(reference_n, reference_rate)) : 0u};
    group_total += group;
    reference_total += reference;
    group_day.push(group);
    reference_day.push(reference);
    group_week.push(group);
    reference_week.push(reference);
    bool alarm[kMethods] = {false, false, false};
    if (group_n > 0 || reference_n > 0) {
      alarm[0] = rule.evaluate(group, reference, group_total, reference_total).alarm;
    }
    if (minute >= watch_from) {
      const bool day_judged = group_day.total().applicants >= kMinGroupSize &&
                              reference_day.total().applicants >= kMinGroupSize;
      const bool week_judged = group_week.total().applicants >= kMinGroupSize &&
                               reference_week.total().applicants >= kMinGroupSize;
      if (!run.alarm_minute[1] && day_judged) {
        const auto z =
            fairwatch::detectors::two_proportion_z_test(group_day.total(), reference_day.total());
        alarm[1] = z && z->statistic < 0 && z->p_value < 0.05;
      }
      if (!run.alarm_minute[2] && week_judged) {
        alarm[2] =
            fairwatch::detectors::below_four_fifths(group_week.total(), reference_week.total());
      }
      bool all_alarmed = true;
      for (int m = 0; m < kMethods; ++m) {
        if (alarm[m] && !run.alarm_minute[m]) run.alarm_minute[m] = minute;
        all_alarmed = all_alarmed && run.alarm_minute[m].has_value();
      }
      if (all_alarmed) break;
    }
  }
  return run;
}

// Runs f(i) for i in [0, count) on `threads` threads.
void parallel_for(int count, int threads, const std::function<void(int)>& f) {
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) f(i);
    });
  }
  for (std::thread& worker : workers) worker.join();
}

std::uint64_t seed_of(std::uint64_t base, std::uint64_t scenario, std::uint64_t run) {
  std::seed_seq sequence{base, scenario, run};
  std::uint32_t words[2];
  sequence.generate(words, words + 2);
  return (static_cast<std::uint64_t>(words[0]) << 32) | words[1];
}

// "median / p90" of delays in days, "> N d" where censored runs decide it.
std::string delay_summary(std::vector<double> delays_days, int runs) {
  std::sort(delays_days.begin(), delays_days.end());
  auto quantile = [&](double q) -> std::string {
    const auto rank = static_cast<std::size_t>(std::ceil(q * runs)) - 1;
    char text[32];
    if (rank >= delays_days.size()) {
      std::snprintf(text, sizeof text, ">%d", kFollowUpDays);
    } else {
      std::snprintf(text, sizeof text, "%.2f", delays_days[rank]);
    }
    return text;
  };
  return quantile(0.5) + " / " + quantile(0.9);
}

struct Options {
  int years = 200;
  int runs = 200;
  int threads = 2;
  std::uint64_t seed = 20261201;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    const std::string name = argv[i];
    if (name == "--years") {
      options.years = static_cast<int>(value);
    } else if (name == "--runs") {
      options.runs = static_cast<int>(value);
    } else if (name == "--threads") {
      options.threads = static_cast<int>(value);
    } else if (name == "--seed") {
      options.seed = static_cast<std::uint64_t>(value);
    } else {
      std::fprintf(stderr,
                   "usage: detection_bench [--years N] [--runs N] [--threads N] [--seed S]\n");
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const double rates[] = {100, 1000, 10000};
  const double drops[] = {0.7, 0.85};
  std::printf(
      "detection_bench: %d monitoring years per rate, %d change runs per scenario, seed %llu\n",
      options.years, options.runs, static_cast<unsigned long long>(options.seed));
  std::printf(
      "two groups 50/50, reference rate %.1f; change during day %d, follow-up %d days;\n"
      "(a) CUSUM designed for %.0f years between false alarms per group, CS alpha 0.05\n\n",
      kReferenceRate, kBurnInDays, kFollowUpDays, kYearsBetweenFalseAlarms);
  std::printf(
      "| applicants/day | method | years with a false alarm | delay 1.0→0.7 median / p90 (days) "
      "| delay 1.0→0.85 median / p90 (days) | false alarms when both rates drop 0.3→0.2 "
      "(90 days) |\n|---|---|---|---|---|---|\n");
  std::uint64_t scenario = 0;
  for (const double rate : rates) {
    std::vector<Run> null_runs(static_cast<std::size_t>(options.years));
    const std::uint64_t null_scenario = scenario++;
    parallel_for(options.years, options.threads, [&](int i) {
      null_runs[static_cast<std::size_t>(i)] =
          simulate(rate, 1.0, 0, kMinutesPerYear, seed_of(options.seed, null_scenario, i));
    });
    std::vector<Run> freeze_runs(static_cast<std::size_t>(options.runs));
    const std::uint64_t freeze_scenario = scenario++;
    parallel_for(options.runs, options.threads, [&](int i) {
      const std::int64_t change = static_cast<std::int64_t>(kBurnInDays) * kMinutesPerDay;
      freeze_runs[static_cast<std::size_t>(i)] =
          simulate(rate, 1.0, change, change + std::int64_t{kFreezeDays} * kMinutesPerDay,
                   seed_of(options.seed, freeze_scenario, i), kFreezeRate);
    });
    std::vector<std::string> delays[kMethods];
    for (const double drop : drops) {
      std::vector<Run> runs(static_cast<std::size_t>(options.runs));
      std::vector<std::int64_t> changes(runs.size());
      const std::uint64_t change_scenario = scenario++;
      parallel_for(options.runs, options.threads, [&](int i) {
        const std::uint64_t seed = seed_of(options.seed, change_scenario, i);
        const std::int64_t change = static_cast<std::int64_t>(kBurnInDays) * kMinutesPerDay +
                                    static_cast<std::int64_t>(seed % kMinutesPerDay);
        changes[static_cast<std::size_t>(i)] = change;
        runs[static_cast<std::size_t>(i)] =
            simulate(rate, drop, change,
                     change + static_cast<std::int64_t>(kFollowUpDays) * kMinutesPerDay, seed);
      });
      for (int m = 0; m < kMethods; ++m) {
        std::vector<double> days;
        for (std::size_t i = 0; i < runs.size(); ++i) {
          if (runs[i].alarm_minute[m]) {
            days.push_back(static_cast<double>(*runs[i].alarm_minute[m] - changes[i]) /
                           kMinutesPerDay);
          }
        }
        delays[m].push_back(delay_summary(days, options.runs));
      }
    }
    for (int m = 0; m < kMethods; ++m) {
      int alarmed = 0;
      for (const Run& run : null_runs) alarmed += run.alarm_minute[m] ? 1 : 0;
      int frozen = 0;
      for (const Run& run : freeze_runs) frozen += run.alarm_minute[m] ? 1 : 0;
      std::printf("| %.0f | %s | %.1f%% (%d/%d) | %s | %s | %.1f%% (%d/%d) |\n", rate,
                  kMethodNames[m], 100.0 * alarmed / options.years, alarmed, options.years,
                  delays[m][0].c_str(), delays[m][1].c_str(), 100.0 * frozen / options.runs, frozen,
                  options.runs);
    }
    std::fflush(stdout);
  }
  return 0;
}
