#!/usr/bin/env bash
# The CI regression gate (docs/comparing-commits.md, "CI regression gate"), two parts; it fails if either does:
# 1. Figures that do not depend on the machine's speed, from a GenerationBenchmark run of this checkout (no-cache, kv,
#    static-gqa at 256 new tokens, 1 fork x 5 iterations, -prof gc) against results/baseline/ci-gate.json:
#    heap bytes per operation, the in-run kv/no-cache speedup floor, and every baseline configuration present.
# 2. Time: an interleaved same-machine A/B of the recorded baseline commit results/baseline/REF against HEAD
#    (scripts/ab-gate.sh: kv and static-gqa at 64 and 256 new tokens, paired generations, 8 rounds).
# Refresh after an intended change: scripts/ci-gate.sh --refresh (rewrites ci-gate.json; then commit it, and put the
# new accepted commit in results/baseline/REF).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/benchmarks.jar
[ -f "$jar" ] || mvn -q -B -DskipTests package
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

echo "ci-gate: allocation and in-run speedup (GenerationBenchmark, 1 fork x 5 iterations, -prof gc)"
java -Dkvbench.root="$PWD" -jar "$jar" 'dev.kvbench.bench.GenerationBenchmark' \
  -p model=tiny-llama -p strategy=no-cache,kv,static-gqa -p newTokens=256 -p batchSize=1 -p threads=1 -p ortCall=direct \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf json -rff "$out/ci-gate.json" > "$out/jmh.log" 2>&1 \
  || { tail -40 "$out/jmh.log"; exit 1; }
if [ "${1:-}" = "--refresh" ]; then
  mkdir -p results/baseline
  cp "$out/ci-gate.json" results/baseline/ci-gate.json
  echo "baseline refreshed: results/baseline/ci-gate.json"
fi
java -cp "$jar" dev.kvbench.cli.Main gate results/baseline/ci-gate.json "$out/ci-gate.json" || status=1

ref=$(tr -d '[:space:]' < results/baseline/REF)
echo "ci-gate: time, interleaved A/B of the baseline commit $ref against HEAD"
# A flagged regression is measured once more, by a second independent run, and fails the gate only if flagged again:
# this machine has minutes-long noisy periods, and a real slowdown is flagged with p < 0.001 every time (docs/comparing-commits.md).
if ! scripts/ab-gate.sh "$ref" HEAD "$out/ab"; then
  echo "ci-gate: the time comparison flagged a regression; confirming with a second, independent run"
  scripts/ab-gate.sh "$ref" HEAD "$out/ab-confirm" || status=1
fi
exit $status
