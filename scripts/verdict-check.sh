#!/usr/bin/env bash
# Measures the strategy verdict itself (`kvbench ab --strategies`, the method bench's verdict uses): RUNS independent
# runs of static-gqa against kv at NEW_TOKENS new tokens, each with its A/A control (kv against itself). A good verdict
# never calls the A/A faster or slower, and calls static-gqa faster every time. Prints each run's words, ratios,
# interval widths and wall time, then the counts. Usage: scripts/verdict-check.sh [RUNS] [NEW_TOKENS] [ROUNDS] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; tokens=${2:-1024}; rounds=${3:-5}; pairs=${4:-10}
jar=target/benchmarks.jar
[ -f "$jar" ] || mvn -q -B -DskipTests package
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "verdict-check: $runs runs of static-gqa against kv at $tokens new tokens, $rounds rounds x $pairs paired generations each"
aa_called=0; faster=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  java -Dkvbench.root="$PWD" -cp "$jar" dev.kvbench.cli.Main ab --strategies kv,static-gqa -p newTokens="$tokens" \
    --rounds "$rounds" --pairs "$pairs" --warmup-ops 3 --format json --out "$tmp" > "$tmp/run-$i.json" 2> "$tmp/run-$i.log" \
    || [ $? -le 1 ] || { echo "verdict-check: ab failed:" >&2; tail -5 "$tmp/run-$i.log" >&2; exit 3; }
  wall=$(( $(date +%s) - start ))
  line=$(python3 - "$tmp/run-$i.json" "$wall" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
b = v["verdicts"][0]; c = v["controls"][0]
print(f'{b["verdict"]}|{c["verdict"]}|static-gqa/kv {b["ratio"]:.3f} [{b["ratio_ci95_low"]:.3f}, {b["ratio_ci95_high"]:.3f}], '
      f'A/A {c["ratio"]:.3f} [{c["ratio_ci95_low"]:.3f}, {c["ratio_ci95_high"]:.3f}] (±{c["half_width_percent"]:.1f}%), {sys.argv[2]} s')
PY
)
  IFS='|' read -r word control rest <<< "$line"
  [ "$word" = faster ] && faster=$((faster + 1))
  case "$control" in faster|slower) aa_called=$((aa_called + 1)) ;; esac
  echo "run $i: static-gqa $word, A/A $control: $rest"
done
echo "verdict-check: static-gqa called faster in $faster of $runs runs; A/A called faster or slower in $aa_called of $runs"
