// The subcommands of the `fairwatch` command-line tool. Each takes the
// arguments after its name, writes its output to `out` and diagnostics to
// `err`, and returns the process exit status (0 ok, 1 failure, 2 usage).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace fairwatch::daemon {

using Arguments = std::vector<std::string>;

// `fairwatch <command> …`: dispatches to the commands below.
int run_fairwatch(const Arguments& arguments, std::FILE* out, std::FILE* err);

// `fairwatch replay --config FILE [--format json|csv|table] [--window NAME]
//  [--by-stratum] [--baseline FILE] [FILE…|-]`
int run_replay(const Arguments& arguments, std::FILE* out, std::FILE* err);

// `fairwatch baseline capture --config FILE -o OUT|--output OUT [FILE…|-]`:
// replays the decisions and writes the baseline of all of them (JSON,
// docs/baseline-format.md) to OUT ("-": to `out`).
int run_baseline(const Arguments& arguments, std::FILE* out, std::FILE* err);

// `fairwatchd --config FILE`: the daemon (see docs/operations.md).
int run_fairwatchd(const Arguments& arguments, std::FILE* out, std::FILE* err);

// `fairwatch demo [--duration D] [--seed N] [--rate R]`: mock Kafka cluster,
// synthetic biased ADM and the real consumer path, with a live table.
int run_demo(const Arguments& arguments, std::FILE* out, std::FILE* err);

// `fairwatch simulate --brokers B --topic T [--rate R] [--seed N] [--duration D]`:
// the demo's synthetic ADM producing to a real cluster.
int run_simulate(const Arguments& arguments, std::FILE* out, std::FILE* err);

// `fairwatch check-config FILE`: 0 valid, 1 invalid (every error listed on err).
int run_check_config(const Arguments& arguments, std::FILE* out, std::FILE* err);

}  // namespace fairwatch::daemon
