#!/usr/bin/env bash
# Detection benchmark: false-alarm years and detection delays of fairwatch's
# default adverse-impact rule against a 24h z-test and a 7-day four-fifths
# rule, on seeded synthetic decision streams. Builds nothing: pass a build
# directory where the target `detection_bench` was built (default: build).
#   bench/detection/run.sh [BUILD_DIR] [-- detection_bench options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${1:-build}"
shift || true
[[ "${1:-}" == "--" ]] && shift
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
exec "$build_dir/bench/detection_bench" "$@"
