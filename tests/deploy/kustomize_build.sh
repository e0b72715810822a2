#!/bin/sh
# Builds the kustomize base with kubectl and checks that every kind it should
# hold is in the output. Usage: kustomize_build.sh KUBECTL DIR
set -eu
kubectl="$1"
dir="$2"
out="$("$kubectl" kustomize "$dir")"
status=0
for kind in ConfigMap Service StatefulSet PodDisruptionBudget NetworkPolicy ServiceMonitor PrometheusRule; do
  if ! printf '%s\n' "$out" | grep -qx "kind: $kind"; then
    echo "kustomize output has no $kind" >&2
    status=1
  fi
done
exit "$status"
