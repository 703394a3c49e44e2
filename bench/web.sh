#!/usr/bin/env bash
# Load benchmark of `paperboy serve` with wrk on the 102k-paper arXiv corpus plus the Hugging
# Face daily papers: the search API (2,000 keyword queries, cycled) and the daily page, each for
# DURATION seconds with CONNECTIONS keep-alive connections on this machine's cores (wrk and the
# server share them). Reports requests/s, latency percentiles, errors, and the server's memory
# before and after each run. Appends the results to bench/RESULTS.md.
#   bench/web.sh                 (DURATION=60 CONNECTIONS=32 THREADS=2 PORT=18080)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-60}"
conns="${CONNECTIONS:-32}"
wrk_threads="${THREADS:-2}"
port="${PORT:-18080}"
out=bench/out/web
data="$out/data"
mkdir -p "$out"

scripts/setup --deps-only
cmake --preset release >/dev/null
cmake --build --preset release --target paperboy
bin=build/release/paperboy

if [[ ! -f "$data/paperboy.db" ]]; then
  echo "== ingest (once): arXiv corpus and Hugging Face daily papers"
  "$bin" --data "$data" -q ingest ../shared/data/arxiv/arxiv_combined.jsonl.gz \
    ../shared/data/hf_daily_papers/hf_daily_papers_2024-05_2026-08.jsonl.gz || [[ $? -eq 3 ]]
fi

# Queries: two Hugging Face ai_keywords of a paper, as people type them (bench/hfkw).
if [[ ! -f bench/out/hfkw/queries.test.jsonl ]]; then
  python3 bench/make_hf_keywords.py ../shared/data bench/out/hfkw
fi
python3 - "$out/queries.txt" <<'PY'
import json, sys, urllib.parse
qs = []
for f in ("bench/out/hfkw/queries.train.jsonl", "bench/out/hfkw/queries.test.jsonl"):
    for line in open(f):
        qs.append(urllib.parse.quote(json.loads(line)["text"], safe=""))
with open(sys.argv[1], "w") as o:
    o.write("\n".join(qs[:2000]) + "\n")
PY

pid=""
start_server() {  # extra serve flags...
  "$bin" --data "$data" serve --port "$port" --threads 128 --access-log "" "$@" \
    > "$out/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return
    sleep 0.2
  done
  echo "bench/web.sh: the server did not start" >&2
  exit 1
}
stop_server() {
  kill -TERM "$pid"
  wait "$pid" || true
}
trap '[[ -n "$pid" ]] && kill $pid 2>/dev/null || true' EXIT
start_server
day=$(curl -sfI "http://127.0.0.1:$port/api/daily_papers" | tr -d '\r' | sed -n 's/^X-Paperboy-Date: //p')

# Private memory (anonymous pages: heap, caches); the memory-mapped store and index are file
# pages the kernel can drop and are reported apart.
rss() { awk '/RssAnon/ {a=int($2/1024)} /RssFile/ {f=int($2/1024)} END {print a " MB (+" f " MB file)"}' "/proc/$pid/status"; }

run() {  # slug name url [script]
  local slug="$1" name="$2" url="$3" script="${4:-}"
  local args=(-t "$wrk_threads" -c "$conns" -d 10s --latency)
  [[ -n "$script" ]] && args+=(-s "$script")
  PB_QUERIES="$out/queries.txt" wrk "${args[@]}" "$url" >/dev/null  # warm-up
  local before after
  before=$(rss)
  args[5]="${duration}s"
  PB_QUERIES="$out/queries.txt" wrk "${args[@]}" "$url" > "$out/$slug.txt"
  after=$(rss)
  local rps p50 p99 non2xx sock
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out/$slug.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/$slug.txt")
  p99=$(awk '$1=="99%" {print $2}' "$out/$slug.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/$slug.txt")
  sock=$(awk '/Socket errors/ {print $0}' "$out/$slug.txt")
  echo "| $name | $rps | $p50 | $p99 | ${non2xx:-0} | ${sock:-none} | $before → $after |" >> "$out/table.md"
  cat "$out/$slug.txt"
}

: > "$out/table.md"
run search "search API (/api/papers/search, 2,000 keyword queries, cycled)" "http://127.0.0.1:$port" bench/web_search.lua
run daily-page "daily page (/papers?date=$day, HTML)" "http://127.0.0.1:$port/papers?date=$day"
run daily-api "daily API (/api/daily_papers?date=$day)" "http://127.0.0.1:$port/api/daily_papers?date=$day"
stop_server
# The same search load with the API response cache off: every request searches, hydrates,
# makes snippets and serialises.
start_server --api-cache 0
run search-nocache "search API, --api-cache 0 (every request computed)" "http://127.0.0.1:$port" bench/web_search.lua
stop_server
trap - EXIT

papers=$("$bin" --data "$data" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["papers"])')
{
  echo
  echo "## Web load: \`bench/web.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
  echo
  echo "paperboy serve (release) on $papers papers; wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')" \
       "with $wrk_threads threads and $conns keep-alive connections for ${duration} s per row, on the" \
       "same cores as the server. Memory is the server's private memory (RssAnon; memory-mapped store"\
       "and index pages apart) before and after the timed run, which follows a 10 s warm-up."
  echo
  echo "| endpoint | requests/s | p50 | p99 | non-2xx | socket errors | memory |"
  echo "|---|---|---|---|---|---|---|"
  cat "$out/table.md"
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
