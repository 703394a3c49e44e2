#!/usr/bin/env bash
# Vector index benchmark: paperboy's HNSW vs hnswlib vs faiss on vectors of the shared arXiv
# corpus, one core, same run. Appends the results to bench/RESULTS.md.
#   bench/vector.sh [extra vector_bench flags, e.g. --dim 256 --m 24]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/data/arxiv/arxiv_combined.jsonl.gz
out=bench/out/vector
mkdir -p "$out"

scripts/setup --deps-only
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPB_BUILD_BENCH=ON \
  -DPB_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target vector_bench
bin=build/bench/bench/vector_bench

/usr/bin/time -v -o "$out/time.txt" taskset -c 0 "$bin" --corpus "$corpus" \
  --out "$out/vector.md" "$@"

rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$out/time.txt")
elapsed=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time.*: //p' "$out/time.txt")
{
  echo
  cat "$out/vector.md"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores," \
       "$(free -g | awk '/^Mem:/{print $2}') GB RAM; GCC $(gcc -dumpfullversion)." \
       "Run by \`bench/vector.sh${1:+ $*}\` at commit $(git rev-parse --short HEAD)" \
       "(release build, \`taskset -c 0\`): peak RSS $((rss_kb / 1024)) MB, wall clock $elapsed."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
