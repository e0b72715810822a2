#!/usr/bin/env bash
# Replay benchmark: builds fairwatch in Release, writes a synthetic 1M-event
# file (4 attributes, one intersection, 4 windows, scores, strata) and prints
# events/s and peak RSS of: decoding only (the floor), reading lines only, the
# full replay engine, replay plus the final report, and replay with a drift
# monitor — all in one run, so the ratios are comparable on a noisy machine —
# then what the daemon adds per evaluation on that state: the report (every
# second), the sequential monitor (every second) and the drift rows (every
# drift.interval).
#   bench/run.sh [EVENTS]     (default 1000000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build-release}"
events="${1:-1000000}"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFAIRWATCH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target replay_throughput >/dev/null
input="$(mktemp -d)/events.jsonl"
trap 'rm -rf "$(dirname "$input")"' EXIT
"$build_dir/bench/replay_throughput" --config "$root/config/examples/demo.yaml" \
  --input "$input" --generate "$events"
echo "input: $events events, $(($(stat -c %s "$input") / 1048576)) MiB"
