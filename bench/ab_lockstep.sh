#!/usr/bin/env bash
# A/B of two lexical_bench builds for development, robust to a busy machine:
#   bench/ab_lockstep.sh OLD_BINARY NEW_BINARY
# Both run --paperboy-only on core 0 and take turns query by query (lexical_bench's
# --lockstep-* options: a byte passed through two FIFOs), each query timed 7 times and its
# minimum kept, so load from elsewhere falls on both alike. Runs twice with the sides swapped
# (the second process has a small edge) and prints NEW/OLD p50 ratios of both orders and their
# geometric mean. ROUNDS=1 times each query once instead, as the race does: the one-shot time,
# cold caches included (noisier; use more QUERIES or repeat). BUILDS=N compares index builds
# instead: each side builds the corpus N times, the two taking turns build by build, and the
# NEW/OLD ratios of the 2N turn pairs are summarised (median, geometric mean). Build a binary with
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

# What a side runs and prints: per query set "SET P50" lines, or with BUILDS its build
# seconds, one a line.
if [[ -n "${BUILDS:-}" ]]; then
  mode=(--queries 10 --build-rounds "$BUILDS")
  select='/^build rounds/ {for (i = 4; i <= NF; ++i) print $i}'
else
  mode=(--queries "${QUERIES:-1000}" --lockstep-rounds "${ROUNDS:-7}")
  select='/^(titles|claims):/ {print $1, $3}'
fi

side() {  # binary name fifo_in fifo_out [--lockstep-start]
  taskset -c 0 "$1" --corpus "$corpus" --scifact "$scifact" --out-dir "$tmp/$2" \
    --paperboy-only --lockstep-in "$3" --lockstep-out "$4" "${mode[@]}" "${@:5}" \
    2>"$tmp/$2.err" | awk "$select"
}

# Runs FIRST (taking the first turn) against SECOND; prints their outputs side by side.
race() {
  side "$1" first "$tmp/a" "$tmp/b" --lockstep-start >"$tmp/first.out" &
  local p1=$!
  side "$2" second "$tmp/b" "$tmp/a" >"$tmp/second.out" &
  local p2=$!
  # A side that fails (an old binary without --lockstep-* or --build-rounds, say) would leave
  # the other waiting for its turn forever: stop both. wait -n returns when either side ends;
  # bash keeps the exit status of a reaped job for the plain waits.
  if ! wait -n || ! wait "$p1" || ! wait "$p2"; then
    kill "$p1" "$p2" 2>/dev/null || true
    echo "ab_lockstep: a side failed:" >&2
    tail -n 3 "$tmp"/*.err >&2
    exit 1
  fi
  paste "$tmp/first.out" "$tmp/second.out"
}

if [[ -n "${BUILDS:-}" ]]; then
  race "$old" "$new" | awk '{print $1, $2}' >"$tmp/pairs"   # old new
  race "$new" "$old" | awk '{print $2, $1}' >>"$tmp/pairs"  # old new
  [[ -n "${PAIRS_OUT:-}" ]] && cp "$tmp/pairs" "$PAIRS_OUT"
  old_min=$(sort -n "$tmp/pairs" | awk 'NR == 1 {print $1}')
  new_min=$(sort -k2 -n "$tmp/pairs" | awk 'NR == 1 {print $2}')
  awk '{print $2 / $1}' "$tmp/pairs" | sort -g | awk -v o="$old_min" -v n="$new_min" '
    { r[NR] = $1; lr += log($1) }
    END {
      if (NR == 0) { print "ab_lockstep: no build times" > "/dev/stderr"; exit 1 }
      m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
      printf "build    old min %.3f s  new min %.3f s  new/old median %.4f  geomean %.4f  (%d pairs, %.4f .. %.4f)\n",
             o, n, m, exp(lr / NR), NR, r[1], r[NR]
    }'
  exit 0
fi

race "$old" "$new" | awk '{print $1, $2, $4}' >"$tmp/r1"  # set first_p50 second_p50
race "$new" "$old" | awk '{print $1, $2, $4}' >"$tmp/r2"
paste "$tmp/r1" "$tmp/r2" | awk '{
  r1 = $3 / $2; r2 = $5 / $6
  printf "%-8s old %.4f / %.4f ms  new %.4f / %.4f ms  new/old %.4f, %.4f  geomean %.4f\n",
         $1, $2, $6, $3, $5, r1, r2, sqrt(r1 * r2)
}'
