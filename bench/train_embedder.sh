#!/usr/bin/env bash
# The learned embedder (train-embedder), measured end to end and appended to bench/RESULTS.md:
#  1. cost: training on the 102k arXiv papers plus the SciFact corpus text (no labels) —
#     wall time, CPU time and peak RSS from /usr/bin/time -v, on all (2) cores;
#  2. fusion tuned on the SciFact TRAINING split (bench/tune_fusion.sh), written into the
#     model's paperboy.json;
#  3. retrieval, test splits only: SciFact test (nDCG@10) and the arXiv-domain check (Hugging
#     Face ai_keywords of a paper -> that paper among the 102k, see make_hf_keywords.py;
#     Recall@10, MRR@10; and 100 hand-written queries, bench/arxiv_hand_queries.tsv) for
#     BM25F, the trained model and GloVe-SIF (if present), semantic alone and hybrid;
#  4. embedding throughput (papers/s on one core) and query embedding latency (embed_bench).
#   bench/train_embedder.sh [EPOCHS] [GLOVE_DIR]    (defaults: 5, models/glove-sif-100d)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-5}"
glove="${2:-models/glove-sif-100d}"
out=bench/out/train_embedder
mkdir -p "$out"
cmake --preset release >/dev/null
cmake --build --preset release --target paperboy >/dev/null
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPB_BUILD_BENCH=ON \
  -DPB_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target embed_bench >/dev/null
bin=build/release/paperboy
arxiv=../shared/data/arxiv/arxiv_combined.jsonl.gz
sf=../shared/data/ir_eval/scifact
hf=$out/hfkw
python3 bench/make_hf_keywords.py ../shared/data "$hf" >/dev/null
# The 100 hand-written queries (bench/arxiv_hand_queries.tsv) against the same corpus.
grep -v '^#' bench/arxiv_hand_queries.tsv | python3 -c '
import json, sys
out = sys.argv[1]
with open(out + "/queries.hand.jsonl", "w") as q, open(out + "/qrels.hand.tsv", "w") as r:
    r.write("query-id\tcorpus-id\tscore\n")
    for line in sys.stdin:
        pid, text = line.rstrip("\n").split("\t")
        q.write(json.dumps({"_id": "hand-" + pid, "text": text}) + "\n")
        r.write(f"hand-{pid}\t{pid}\t1\n")
' "$hf"
model=$out/paperboy-256d
rm -rf "$model"

# 1. Training cost.
/usr/bin/time -v "$bin" train-embedder --from "$arxiv" "$sf/corpus.jsonl" --out "$model" \
  --epochs "$epochs" --seed 1 >"$out/train.out" 2>"$out/train.err"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$out/train.err")
user=$(awk -F': ' '/User time/{print $2}' "$out/train.err")
sys=$(awk -F': ' '/System time/{print $2}' "$out/train.err")
rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$out/train.err")

# 2. Fusion tuned on SciFact train.
bench/tune_fusion.sh "$model" "$bin" >"$out/tune.txt"
best=$(tail -1 "$out/tune.txt")
case "$best" in
  *lexical*) fusion=score weight=0 ;;
  *) fusion=$(awk '{print $2}' <<<"$best") weight=$(sed 's/.*weight=//' <<<"$best") ;;
esac
# Hybrid is the default search mode where the tuned fusion gives the vectors any weight.
mode=hybrid
[[ $weight == 0 ]] && mode=lexical
printf '{\n "fusion": "%s",\n "hybrid_weight": %s,\n "default_mode": "%s"\n}\n' "$fusion" "$weight" \
  "$mode" >"$model/paperboy.json"

# 3. Retrieval on the test splits.
ev() {  # DIR SPLIT ARGS... -> metrics of the run
  local dir=$1 split=$2
  shift 2
  "$bin" -q eval beir --corpus "$dir/corpus.jsonl" --queries "$dir/queries.$split.jsonl" \
    --qrels "$dir/qrels.$split.tsv" -k 100 "$@"
}
row() {  # LABEL ARGS...
  local label=$1
  shift
  local s h m
  s=$(ev $sf test "$@" | awk '/^nDCG@10/{print $2}')
  h=$(ev $hf test "$@" | awk '/^Recall@10 /{r=$2} /^MRR@10/{m=$2} END{printf "%s | %s", r, m}')
  m=$(ev $hf hand "$@" | awk '/^Recall@10 /{r=$2} /^MRR@10/{m=$2} END{printf "%s | %s", r, m}')
  echo "| $label | $s | $h | $m |"
}
table=$(
  echo "| model · mode | SciFact nDCG@10 | arXiv-HF Recall@10 | arXiv-HF MRR@10 | arXiv-hand Recall@10 | arXiv-hand MRR@10 |"
  echo "|---|---:|---:|---:|---:|---:|"
  row "BM25F · lexical" --mode lexical
  row "trained $(basename "$model") · semantic" --mode semantic --model "$model"
  row "trained $(basename "$model") · hybrid ($fusion, weight $weight)" --mode hybrid --model "$model"
  if [[ -f "$glove/model.safetensors" ]]; then
    row "GloVe-SIF 100d · semantic" --mode semantic --model "$glove"
    row "GloVe-SIF 100d · hybrid (its paperboy.json)" --mode hybrid --model "$glove"
  fi
)

# 4. Throughput and query latency, one core.
taskset -c 0 build/bench/bench/embed_bench --corpus "$arxiv" --papers 102332 --bert-papers 20 \
  --model "$model" >"$out/embed_bench.txt"
through=$(grep "^| $model" "$out/embed_bench.txt" | head -1)
latency=$(sed -n '/^| model | p50/,$p' "$out/embed_bench.txt")

{
  echo
  echo "## Learned embedder (train-embedder) — $(date -u '+%Y-%m-%d %H:%M UTC') — $(git rev-parse --short HEAD)"
  echo
  echo "Trained on the 102,332 arXiv records plus the 5,183 SciFact abstracts (text only, no labels): \`$bin train-embedder --from $arxiv $sf/corpus.jsonl --out $model --epochs $epochs --seed 1\` (256-d, all cores)."
  echo
  echo "- $(grep '^train-embedder:' "$out/train.out")"
  echo "- cost: wall $wall, CPU user $user s + sys $sys s, peak RSS $rss MB (\`/usr/bin/time -v\`)"
  echo "- fusion tuned on SciFact train (\`bench/tune_fusion.sh\`): best \`$best\` → paperboy.json fusion $fusion, hybrid_weight $weight"
  echo
  echo "Test splits (SciFact: 300 claims; arXiv-HF: $(wc -l <"$hf/queries.test.jsonl") queries of two Hugging Face ai_keywords each, one relevant paper among $(wc -l <"$hf/corpus.jsonl"); arXiv-hand: the $(grep -vc "^#" bench/arxiv_hand_queries.tsv) hand-written known-item queries of bench/arxiv_hand_queries.tsv, same corpus):"
  echo
  echo "$table"
  echo
  echo "Embedding on one core (\`taskset -c 0 build/bench/bench/embed_bench --corpus $arxiv --papers 102332 --model $model\`):"
  echo
  echo "| backend | papers | wall s | papers/s | papers/s/core (wall) | papers per CPU-s |"
  echo "|---|---|---|---|---|---|"
  echo "$through"
  echo
  echo "Query embedding latency (1000 titles, one per call; ms):"
  echo
  echo "$latency"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB RAM."
} | tee -a bench/RESULTS.md
