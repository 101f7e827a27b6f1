#!/usr/bin/env bash
# The CI regression gate: a short GenerationBenchmark run (kv, no-cache, static-gqa at 256 new tokens, -prof gc),
# compared with results/baseline/ci-gate.json on machine-independent figures (see README, "CI regression gate").
# Refresh the baseline: scripts/ci-gate.sh --refresh (then commit results/baseline/ci-gate.json).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/benchmarks.jar
[ -f "$jar" ] || mvn -q -B -DskipTests package
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
java -Dkvbench.root="$PWD" -jar "$jar" 'dev.kvbench.bench.GenerationBenchmark' \
  -p model=tiny-llama -p strategy=no-cache,kv,static-gqa -p newTokens=256 -p threads=1 -p ortCall=direct \
  -f 1 -wi 1 -w 1s -i 3 -r 1s -prof gc -rf json -rff "$out/ci-gate.json" > "$out/jmh.log" 2>&1 \
  || { tail -40 "$out/jmh.log"; exit 1; }
if [ "${1:-}" = "--refresh" ]; then
  mkdir -p results/baseline
  cp "$out/ci-gate.json" results/baseline/ci-gate.json
  echo "baseline refreshed: results/baseline/ci-gate.json"
fi
java -cp "$jar" dev.kvbench.cli.Main gate results/baseline/ci-gate.json "$out/ci-gate.json"
