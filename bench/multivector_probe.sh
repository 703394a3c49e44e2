#!/usr/bin/env bash
# Probe for issue 7: would several vectors per paper (its title and each abstract sentence,
# scored by the best match) help the learned model on the arXiv checks? No engine change:
# each paper becomes sub-documents PID~a (title + abstract, as now), PID~t (title) and PID~sN
# (one abstract sentence each); `eval beir --mode semantic` ranks them exhaustively, and
# bench/multivector_probe.py folds the sub-document run back into papers and fuses it with BM25F
# the way paperboy's score fusion does (min-max over each side's top 100).
# Usage: bench/multivector_probe.sh [MODEL_DIR] [paperboy]  (after bench/train_embedder.sh, which
# trains the model and writes the HF-keyword collection to bench/out/train_embedder)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-bench/out/train_embedder/paperboy-256d}"
bin="${2:-build/release/paperboy}"
h=bench/out/train_embedder/hfkw
out=bench/out/multivector
mkdir -p "$out"
/usr/bin/python3 bench/multivector_probe.py split "$h/corpus.jsonl" "$out/sub.jsonl"
# Both query sets in one run each (their ids differ: hf-..., hand-...), so the 992k
# sub-documents are embedded once; each split is then scored against its own qrels.
cat "$h/queries.train.jsonl" "$h/queries.hand.jsonl" >"$out/queries.jsonl"
{ cat "$h/qrels.train.tsv"; tail -n +2 "$h/qrels.hand.tsv"; } >"$out/qrels.tsv"
"$bin" -q eval beir --corpus "$h/corpus.jsonl" --queries "$out/queries.jsonl" \
  --qrels "$out/qrels.tsv" --mode lexical -k 200 --run "$out/lex.trec" >/dev/null
"$bin" -q eval beir --corpus "$out/sub.jsonl" --queries "$out/queries.jsonl" \
  --qrels "$out/qrels.tsv" --mode semantic --model "$model" -k 1500 --run "$out/sub.trec" >/dev/null
for s in train hand; do
  echo "== $s"
  /usr/bin/python3 bench/multivector_probe.py score "$h/qrels.$s.tsv" "$out/lex.trec" "$out/sub.trec"
done
