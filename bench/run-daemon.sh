#!/usr/bin/env bash
# Daemon benchmark, one run: a bare librdkafka consumer and fairwatchd over the
# same 1M-event topic of librdkafka's mock cluster (64 partitions), their
# rates and ratio; fairwatchd's RSS along a 10M-event stream produced while it
# consumes (576 group series x 4 windows, bench/daemon.yaml); and the
# decision-to-metric latency.
#   bench/run-daemon.sh [EVENTS] [LONG_EVENTS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build-release}"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFAIRWATCH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target kafka_throughput fairwatchd >/dev/null
"$build_dir/bench/kafka_throughput" --config "$root/bench/daemon.yaml" \
  --fairwatchd "$build_dir/daemon/fairwatchd" --events "${1:-1000000}" --long-events "${2:-10000000}"
