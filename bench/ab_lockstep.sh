#!/usr/bin/env bash
# A/B of two lexical_bench builds for development, robust to a busy machine:
#   bench/ab_lockstep.sh OLD_BINARY NEW_BINARY
# Both run --paperboy-only on core 0 and take turns query by query (lexical_bench's
# --lockstep-* options: a byte passed through two FIFOs), each query timed 7 times and its
# minimum kept, so load from elsewhere falls on both alike. Runs twice with the sides swapped
# (the second process has a small edge) and prints NEW/OLD p50 ratios of both orders and their
# geometric mean. ROUNDS=1 times each query once instead, as the race does: the one-shot time,
# cold caches included (noisier; use more QUERIES or repeat). Build a binary with
#   cmake --build build/bench --target lexical_bench && cp build/bench/bench/lexical_bench X
# Nothing is written to bench/RESULTS.md: this compares builds, not engines.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 2 ]] || { echo "usage: bench/ab_lockstep.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
old=$1 new=$2
corpus=../shared/data/arxiv/arxiv_combined.jsonl.gz
scifact=../shared/data/ir_eval/scifact
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/a" "$tmp/b"

# One side: prints "titles P50" and "claims P50".
side() {  # binary name fifo_in fifo_out [--lockstep-start]
  taskset -c 0 "$1" --corpus "$corpus" --scifact "$scifact" --queries "${QUERIES:-1000}" \
    --out-dir "$tmp/$2" --paperboy-only --lockstep-in "$3" --lockstep-out "$4" \
    --lockstep-rounds "${ROUNDS:-7}" "${@:5}" \
    2>/dev/null | awk '/^(titles|claims):/ {print $1, $3}'
}

# Runs FIRST (taking the first turn) against SECOND; prints "set first_p50 second_p50".
race() {
  side "$1" first "$tmp/a" "$tmp/b" --lockstep-start >"$tmp/first.out" &
  local p1=$!
  side "$2" second "$tmp/b" "$tmp/a" >"$tmp/second.out" &
  local p2=$!
  # A side that fails (an old binary without --lockstep-*, say) would leave the other
  # waiting for its turn forever: stop both.
  if ! wait -n || ! wait -n; then
    kill "$p1" "$p2" 2>/dev/null || true
    echo "ab_lockstep: a side failed (does each binary have --lockstep-in?)" >&2
    exit 1
  fi
  paste "$tmp/first.out" "$tmp/second.out" | awk '{print $1, $2, $4}'
}

race "$old" "$new" >"$tmp/r1"
race "$new" "$old" >"$tmp/r2"
paste "$tmp/r1" "$tmp/r2" | awk '{
  r1 = $3 / $2; r2 = $5 / $6
  printf "%-8s old %.4f / %.4f ms  new %.4f / %.4f ms  new/old %.4f, %.4f  geomean %.4f\n",
         $1, $2, $6, $3, $5, r1, r2, sqrt(r1 * r2)
}'
