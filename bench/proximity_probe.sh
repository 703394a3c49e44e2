#!/usr/bin/env bash
# Term-proximity probe for issue 7's arXiv target: BM25F top-1000 runs on the HF-keyword,
# hand-written and SciFact checks, reranked by bench/proximity_probe.py. Needs the collections
# bench/train_embedder.sh writes (bench/out/train_embedder/hfkw).   bench/proximity_probe.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/paperboy
hf=bench/out/train_embedder/hfkw
sf=../shared/data/ir_eval/scifact
out=bench/out/proximity
mkdir -p "$out"
for s in train test hand; do
  "$bin" -q eval beir --corpus "$hf/corpus.jsonl" --queries "$hf/queries.$s.jsonl" \
    --qrels "$hf/qrels.$s.tsv" --mode lexical -k 1000 --run "$out/$s.lex1000.trec" >/dev/null
done
for s in train test; do
  "$bin" -q eval beir --corpus "$sf/corpus.jsonl" --queries "$sf/queries.$s.jsonl" \
    --qrels "$sf/qrels.$s.tsv" --mode lexical -k 1000 --run "$out/sf$s.lex1000.trec" >/dev/null
done
/usr/bin/python3 bench/proximity_probe.py
