#!/usr/bin/env bash
# Recommender evaluation: recall@20 of a held-out paper for simulated users (authors of the
# shared arXiv corpus), per-user linear SVM vs centroid cosine vs most recent, same run; and
# training time per user. Appends the results to bench/RESULTS.md.
# With MODEL=DIR (an embedding model, e.g. from scripts/fetch-glove), also the SVM on TF-IDF
# plus the model's embeddings (the engine's embedding features) and embedding centroid cosine.
#   bench/recommend.sh [USERS]       e.g. bench/recommend.sh 200, MODEL=models/glove-sif-100d
set -euo pipefail
cd "$(dirname "$0")/.."
users="${1:-200}"
corpus=../shared/data/arxiv/arxiv_combined.jsonl.gz
out=bench/out/recommend
mkdir -p "$out"

cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPB_BUILD_BENCH=ON \
  -DPB_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target recommend_bench -j2
bin=build/bench/bench/recommend_bench

/usr/bin/time -v -o "$out/time.txt" taskset -c 0 "$bin" --corpus "$corpus" --users "$users" \
  ${MODEL:+--model "$MODEL"} --out "$out/recommend.md"
rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$out/time.txt")
elapsed=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time.*: //p' "$out/time.txt")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  echo
  cat "$out/recommend.md"
  echo
  echo "Run by \`${MODEL:+MODEL=$MODEL }bench/recommend.sh${1:+ $1}\` (release build, \`taskset -c 0\`, $cpu):" \
       "peak RSS $((rss_kb / 1024)) MB, wall clock $elapsed (corpus analysis included)."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
