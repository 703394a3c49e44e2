#!/usr/bin/env bash
# Tunes hybrid fusion for one embedding model on the SciFact TRAINING split only: reciprocal
# rank fusion and normalised score fusion over a grid of semantic weights (weight 0 is lexical
# alone). Prints every setting's nDCG@10 on train, best last; the test split is never used.
# Write the winner into the model directory's paperboy.json ("fusion", "hybrid_weight").
# Usage: bench/tune_fusion.sh MODEL_DIR [path/to/paperboy]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: bench/tune_fusion.sh MODEL_DIR [paperboy]}"
bin="${2:-build/release/paperboy}"
s=../shared/data/ir_eval/scifact
results=$(mktemp)
run() {
  "$bin" -q eval beir --corpus $s/corpus.jsonl --queries $s/queries.train.jsonl \
    --qrels $s/qrels.train.tsv -k 100 --model "$model" "$@" | awk '/^nDCG@10/{print $2}'
}
echo "$(run --mode lexical) lexical (weight 0)" | tee -a "$results"
echo "$(run --mode semantic) semantic alone" | tee -a "$results"
for w in 0.05 0.1 0.2 0.3 0.5 1 2; do
  echo "$(run --mode hybrid --fusion rrf --semantic-weight $w) rrf weight=$w" | tee -a "$results"
  echo "$(run --mode hybrid --fusion score --semantic-weight $w) score weight=$w" | tee -a "$results"
done
echo "best on train:"
sort -n "$results" | tail -3
rm -f "$results"
