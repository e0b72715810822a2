#!/bin/sh
# Verifies the systemd unit with `systemd-analyze verify` (any warning fails)
# and checks its exposure (`systemd-analyze security`, at most 2.0 of 10).
# The installed binaries need not exist: a copy of the unit runs the built
# ones. Usage: systemd_verify.sh UNIT FAIRWATCHD FAIRWATCH. Exit 77 (skip)
# without systemd-analyze.
set -eu
unit="$1"
fairwatchd="$2"
fairwatch="$3"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not found: skipped"
  exit 77
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
copy="$dir/$(basename "$unit")"
sed -e "s#/usr/local/bin/fairwatchd #$fairwatchd #" \
    -e "s#/usr/local/bin/fairwatch #$fairwatch #" "$unit" >"$copy"
if grep -q '/usr/local/bin/' "$copy"; then
  echo "the unit runs a binary this test does not know: $(grep '/usr/local/bin/' "$copy")" >&2
  exit 1
fi
output="$(systemd-analyze verify "$copy" 2>&1)" || {
  printf '%s\n' "$output" >&2
  exit 1
}
if [ -n "$output" ]; then
  printf 'systemd-analyze verify warned:\n%s\n' "$output" >&2
  exit 1
fi
systemd-analyze security --offline=yes --threshold=20 "$copy" >"$dir/security" 2>&1 || {
  cat "$dir/security" >&2
  echo "exposure above 2.0" >&2
  exit 1
}
tail -n 1 "$dir/security"
