#!/usr/bin/env bash
# The time part of the CI gate: an interleaved same-machine A/B (`kvbench ab`, paired generations) of BASE and HEAD on
# the key configurations, kv and static-gqa at 64 and 256 new tokens. Exit 1 when a configuration is significantly slower
# (paired t-test on the rounds' log ratios, alpha 0.01) by more than 5%. One place for these parameters: ci-gate.sh and
# detector-check.sh both call this script.
# Usage: scripts/ab-gate.sh BASE HEAD [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1
head=$2
out=${3:-results}
jar=target/benchmarks.jar
[ -f "$jar" ] || mvn -q -B -DskipTests package
exec java -cp "$jar" dev.kvbench.cli.Main ab "$base" "$head" --root "$PWD" --out "$out" \
  -p model=tiny-llama -p strategy=kv,static-gqa -p newTokens=64,256 \
  --rounds 8 --warmup-ops 15 --pairs 30 --threshold 5 --alpha 0.01
