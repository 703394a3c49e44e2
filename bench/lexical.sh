#!/usr/bin/env bash
# Lexical search benchmark: paperboy vs SQLite FTS5 vs Xapian on the shared arXiv corpus and
# SciFact (build speed and size, query latency, nDCG@10), one core, same run; with SCALE also
# paperboy alone on SCALE synthetic papers. Appends the results to bench/RESULTS.md.
#   bench/lexical.sh [SCALE]       e.g. bench/lexical.sh 1000000
# Environment: QUERIES (default 1000) title queries to sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-0}"
queries="${QUERIES:-1000}"
corpus=../shared/data/arxiv/arxiv_combined.jsonl.gz
scifact=../shared/data/ir_eval/scifact
out=bench/out/lexical
mkdir -p "$out"

scripts/setup --deps-only
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPB_BUILD_BENCH=ON \
  -DPB_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target lexical_bench
bin=build/bench/bench/lexical_bench

args=(--corpus "$corpus" --scifact "$scifact" --queries "$queries" --out-dir "$out")
# Runs the benchmark binary pinned to core 0 under /usr/bin/time, its output sent to stderr;
# prints the process's peak RSS (MB) and wall clock.
timed() {  # TIME_FILE ARGS...
  local tf=$1
  shift
  /usr/bin/time -v -o "$tf" taskset -c 0 "$bin" "$@" >&2
  local rss_kb elapsed
  rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tf")
  elapsed=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time.*: //p' "$tf")
  echo "$((rss_kb / 1024)) MB, wall clock $elapsed"
}
# The race, then the scale run in a process of its own (it leaves a large heap behind).
race_cost=$(timed "$out/time.txt" "${args[@]}")
[[ "$scale" != 0 ]] && scale_cost=$(timed "$out/time-scale.txt" "${args[@]}" --scale "$scale")
{
  echo
  cat "$out/lexical.md"
  echo
  echo "Run by \`bench/lexical.sh${1:+ $1}\` (release build, \`/usr/bin/time -v taskset -c 0\`):" \
       "whole process peak RSS $race_cost."
  if [[ "$scale" != 0 ]]; then
    echo
    cat "$out/scale.md"
    echo
    echo "The scale run's own process (\`lexical_bench --scale $scale\`, same way): peak RSS" \
         "$scale_cost."
  fi
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
