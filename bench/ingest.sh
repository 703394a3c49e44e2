#!/usr/bin/env bash
# Ingestion benchmark (issue 2): papers/s and peak RSS on one core.
#   1. the shared 102,332-record corpus (gzip JSONL) into a fresh data directory;
#   2. a generated snapshot-format file of SIZE_GB (default 3) to show memory stays flat.
# Appends the results to bench/RESULTS.md. Usage: bench/ingest.sh [SIZE_GB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_gb="${1:-3}"
corpus=../shared/data/arxiv/arxiv_combined.jsonl.gz
out=bench/out
mkdir -p "$out"
scripts/setup >/dev/null
bin=build/release/paperboy

# Runs a command pinned to CPU 0 under /usr/bin/time; prints "seconds peak_rss_kb".
measure() {
  /usr/bin/time -f "%e %M" -o "$out/time.txt" taskset -c 0 "$@" >/dev/null
  cat "$out/time.txt"
}

rm -rf "$out/data-corpus"
read -r secs rss < <(measure "$bin" --data "$out/data-corpus" -q ingest "$corpus")
papers=$("$bin" --data "$out/data-corpus" stats | sed -n 's/^papers: //p')
corpus_rate=$(awk -v n=102332 -v s="$secs" 'BEGIN{printf "%.0f", n/s}')
echo "corpus: 102,332 records -> $papers papers in ${secs}s = ${corpus_rate} records/s, peak RSS $((rss/1024)) MB"

snap="$out/snapshot-${size_gb}g.json"
if [[ ! -f "$snap" ]]; then
  python3 bench/gen_snapshot.py "$corpus" "$snap" "$size_gb"
fi
lines=$(wc -l < "$snap")
bytes=$(stat -c %s "$snap")
rm -rf "$out/data-snap"
read -r ssecs srss < <(measure "$bin" --data "$out/data-snap" -q ingest "$snap")
snap_rate=$(awk -v n="$lines" -v s="$ssecs" 'BEGIN{printf "%.0f", n/s}')
echo "snapshot: $lines records ($(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1e9}') GB) in ${ssecs}s = ${snap_rate} records/s, peak RSS $((srss/1024)) MB"

{
  echo
  echo "## Ingest — $(date -u +%Y-%m-%d) — $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM; pinned to one core (taskset -c 0)."
  echo "Command: \`bench/ingest.sh $size_gb\` (release build; \`/usr/bin/time -f '%e %M' taskset -c 0 paperboy --data D -q ingest FILE\`)"
  echo
  echo "| input | records | papers stored | seconds | records/s | peak RSS |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| shared corpus (62 MB .jsonl.gz) | 102,332 | $papers | $secs | $corpus_rate | $((rss/1024)) MB |"
  echo "| generated snapshot ($(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1e9}') GB .json) | $lines | $lines | $ssecs | $snap_rate | $((srss/1024)) MB |"
  echo
  echo "Targets: ≥ 25,000 papers/s on one core; peak RSS < 300 MB whatever the file size."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
