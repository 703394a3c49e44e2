#!/usr/bin/env bash
# Semantic search benchmarks, side by side on one core, appended to bench/RESULTS.md:
#  1. embedding throughput per backend (embed_bench: model2vec, 6-layer 384-d BERT fp32/int8);
#  2. vector index: paperboy's HNSW vs hnswlib vs faiss on the GloVe vectors of the 102k papers;
#  3. search latency by mode, query embedding included (hybrid_bench), with the static GloVe
#     model (scripts/fetch-glove) and the 6-layer BERT from step 1 (int8).
#   bench/semantic.sh [GLOVE_DIR]     (default models/glove-sif-100d, fetched if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
glove="${1:-models/glove-sif-100d}"
corpus=../shared/data/arxiv/arxiv_combined.jsonl.gz
out=bench/out/semantic
mkdir -p "$out"

scripts/setup --deps-only
[[ -f "$glove/model.safetensors" ]] || scripts/fetch-glove "$glove"
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPB_BUILD_BENCH=ON \
  -DPB_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target embed_bench vector_bench hybrid_bench
b=build/bench/bench
machine="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB RAM; GCC $(gcc -dumpfullversion); commit $(git rev-parse --short HEAD)"

rm -rf "$out/models"
taskset -c 0 $b/embed_bench --corpus "$corpus" --papers 20000 --bert-papers 200 \
  --keep "$out/models" --model "$glove" > "$out/embed.md"
taskset -c 0 $b/vector_bench --corpus "$corpus" --model "$glove" --out "$out/vector.md" > /dev/null
taskset -c 0 $b/hybrid_bench --corpus "$corpus" --model "$glove" \
  --model "$out/models/bert-6x384" > "$out/hybrid.md"
{
  echo
  echo "## Embedding throughput — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "One thread (\`taskset -c 0 $b/embed_bench --corpus $corpus --papers 20000 --bert-papers 200 --model $glove\`). BERT and the 256-d model2vec have random weights in real shapes (no weights can be downloaded here); speed does not depend on the values."
  echo
  cat "$out/embed.md"
  echo
  cat "$out/vector.md"
  echo
  echo "Command: \`taskset -c 0 $b/vector_bench --corpus $corpus --model $glove\`."
  echo
  cat "$out/hybrid.md"
  echo
  echo "Command: \`taskset -c 0 $b/hybrid_bench --corpus $corpus --model $glove --model $out/models/bert-6x384\`."
  echo
  echo "Machine: $machine."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
