#!/usr/bin/env bash
# Evaluation table for semantic and hybrid search: SciFact test and the arXiv-domain check
# (Hugging Face keywords -> their paper among the 102k, test half; see make_hf_keywords.py),
# for lexical search and, per embedding model given, semantic search alone, hybrid search with
# the model's tuned fusion (paperboy.json, from bench/tune_fusion.sh on SciFact train) and, for
# reference, untuned reciprocal rank fusion with equal weights. Appends to bench/RESULTS.md.
#   bench/eval_semantic.sh MODEL_DIR...     e.g. bench/eval_semantic.sh models/glove-sif-100d
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: bench/eval_semantic.sh MODEL_DIR..." >&2; exit 2; }
scripts/setup --deps-only
cmake --preset release >/dev/null
cmake --build --preset release --target paperboy >/dev/null
bin=build/release/paperboy
out=bench/out/eval_semantic
mkdir -p "$out"
python3 bench/make_hf_keywords.py ../shared/data "$out/hfkw" >/dev/null
sf=../shared/data/ir_eval/scifact
hf=$out/hfkw

metrics() {  # COLLECTION_DIR QUERIES QRELS ARGS... -> "nDCG@10 | Recall@100"
  local dir=$1 q=$2 r=$3
  shift 3
  "$bin" -q eval beir --corpus "$dir/corpus.jsonl" --queries "$dir/$q" --qrels "$dir/$r" \
    -k 100 "$@" | awk '/^nDCG@10/{n=$2} /^Recall@100/{r=$2} END{printf "%s | %s", n, r}'
}
row() {  # LABEL ARGS...
  local label=$1
  shift
  echo "| $label | $(metrics $sf queries.test.jsonl qrels.test.tsv "$@") |" \
       "$(metrics $hf queries.test.jsonl qrels.test.tsv "$@") |"
}
{
  echo
  echo "## Semantic and hybrid search: evaluation — $(date -u '+%Y-%m-%d %H:%M UTC') — $(git rev-parse --short HEAD)"
  echo
  echo "Test splits only (weights were tuned on the training splits). arXiv check: $(wc -l < $hf/queries.test.jsonl) queries of two Hugging Face keywords each, one relevant paper among $(wc -l < $hf/corpus.jsonl)."
  echo
  echo "| backend · mode | SciFact nDCG@10 | SciFact Recall@100 | arXiv-HF nDCG@10 | arXiv-HF Recall@100 |"
  echo "|---|---:|---:|---:|---:|"
  row "BM25F · lexical" --mode lexical
  for m in "$@"; do
    name=$(basename "$m")
    row "$name · semantic" --mode semantic --model "$m"
    row "$name · hybrid (tuned: $(cat "$m/paperboy.json" 2>/dev/null | tr -d '\n"{}' || echo defaults))" \
      --mode hybrid --model "$m"
    row "$name · hybrid (RRF 1:1, untuned)" --mode hybrid --model "$m" --fusion rrf \
      --semantic-weight 1
  done
  echo
  echo "Run by \`bench/eval_semantic.sh $*\`; machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores."
} | tee -a bench/RESULTS.md
