#!/usr/bin/env bash
# Grid search of BM25F parameters (k1, b, title weight) on the SciFact TRAINING split only.
# Prints every setting's nDCG@10 on train, best last. The test split is never used here.
# Usage: bench/tune_bm25.sh [path/to/paperboy]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release/paperboy}"
s=../shared/data/ir_eval/scifact
results=$(mktemp)
for k1 in 0.6 0.8 0.9 1.0 1.2 1.4 1.6; do
  for b in 0.3 0.4 0.5 0.6 0.75 0.9; do
    for tw in 0.5 1 1.5 2 3; do
      ndcg=$("$bin" -q eval beir --corpus $s/corpus.jsonl --queries $s/queries.train.jsonl \
               --qrels $s/qrels.train.tsv --k1 $k1 --b $b --title-weight $tw -k 100 |
             awk '/^nDCG@10/{print $2}')
      echo "$ndcg k1=$k1 b=$b title_weight=$tw" | tee -a "$results"
    done
  done
done
echo "best on train:"
sort -n "$results" | tail -5
rm -f "$results"
