#!/usr/bin/env bash
# Measures the time gate itself (scripts/ab-gate.sh): RUNS A/A runs (HEAD against HEAD: must not flag) and RUNS A/B runs
# against a throwaway commit that adds a known cost (after every kv step, a busy wait of a tenth of that step's
# OrtSession.run time: about +10% per kv token; static-gqa untouched). Prints each run's verdict and wall time, then the
# false-alarm rate, the detection rate, and the wall-time range. Takes RUNS x 2 x ~5 minutes.
# Usage: scripts/detector-check.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
jar=target/benchmarks.jar
[ -f "$jar" ] || mvn -q -B -DskipTests package
base=$(git rev-parse HEAD)
tmp=$(mktemp -d)
cleanup() { git worktree remove --force "$tmp/planted" >/dev/null 2>&1 || true; git worktree prune; rm -rf "$tmp"; }
trap cleanup EXIT
git worktree add --detach "$tmp/planted" "$base" >/dev/null 2>&1
perl -0pi -e 's/(lastRunNanos = System\.nanoTime\(\) - r0;\n)/$1            if (strategy == Strategy.KV) { long until = System.nanoTime() + lastRunNanos \/ 10; while (System.nanoTime() < until) { Thread.onSpinWait(); } }\n/' \
  "$tmp/planted/src/main/java/dev/kvbench/decode/Generator.java"
git -C "$tmp/planted" diff --quiet && { echo "detector-check: the planted cost did not apply" >&2; exit 3; }
git -C "$tmp/planted" -c user.name=detector-check -c user.email=detector-check@localhost commit -qam "planted: +10% per kv step (throwaway)"
planted=$(git -C "$tmp/planted" rev-parse HEAD)
echo "detector-check: base $base, planted $planted, $runs A/A and $runs A/B runs"
false_alarms=0; detections=0; walls=()
for i in $(seq 1 "$runs"); do
  for kind in aa ab; do
    head=$base; [ "$kind" = ab ] && head=$planted
    start=$(date +%s)
    set +e
    scripts/ab-gate.sh "$base" "$head" "$tmp/out" > "$tmp/$kind-$i.log" 2>&1
    code=$?
    set -e
    wall=$(( $(date +%s) - start )); walls+=("$wall")
    [ "$code" -le 1 ] || { echo "detector-check: ab failed (exit $code):" >&2; tail -5 "$tmp/$kind-$i.log" >&2; exit 3; }
    flagged=$(grep -c "REGRESSION" "$tmp/$kind-$i.log" || true)
    [ "$kind" = aa ] && [ "$code" = 1 ] && false_alarms=$((false_alarms + 1))
    [ "$kind" = ab ] && [ "$code" = 1 ] && detections=$((detections + 1))
    echo "$kind run $i: exit $code, $flagged configuration(s) flagged, ${wall} s"
    grep -E "^PairedGenerations" "$tmp/$kind-$i.log" | sed 's/^/    /'
  done
done
sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
echo "detector-check: A/A false alarms $false_alarms/$runs, A/B detections $detections/$runs, wall $(echo "$sorted" | head -1)-$(echo "$sorted" | tail -1) s per gate run"
