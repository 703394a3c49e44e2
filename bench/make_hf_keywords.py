#!/usr/bin/env python3
"""Builds an arXiv-domain retrieval check in BEIR format from the shared data: each Hugging
Face daily paper that is also in the 102k arXiv corpus gives one query — two of its
`ai_keywords` (picked by a hash of the id, joined with a comma; all of them would make the
task trivial for BM25, as they are lifted from the abstract) — whose only relevant document
is that paper. Queries are split by a hash
of the paper id into `train` (tuning) and `test` (reporting).

    bench/make_hf_keywords.py SHARED_DATA_DIR OUT_DIR

Writes OUT_DIR/corpus.jsonl (all arXiv papers: title, abstract), queries.{train,test}.jsonl,
qrels.{train,test}.tsv. Standard library only.
"""
import gzip
import hashlib
import json
import os
import re
import sys


def norm_id(i):
    return re.sub(r"v\d+$", "", i.strip())


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_hf_keywords.py SHARED_DATA_DIR OUT_DIR")
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    papers = {}
    with gzip.open(os.path.join(data, "arxiv", "arxiv_combined.jsonl.gz"), "rt") as f:
        for line in f:
            p = json.loads(line)
            papers[norm_id(p["id"])] = p
    with open(os.path.join(out, "corpus.jsonl"), "w") as f:
        for pid, p in papers.items():
            f.write(json.dumps({"_id": pid, "title": p.get("title", ""),
                                "text": p.get("abstract", "")}) + "\n")
    seen = set()
    splits = {"train": [], "test": []}
    hf = os.path.join(data, "hf_daily_papers", "hf_daily_papers_2024-05_2026-08.jsonl.gz")
    with gzip.open(hf, "rt") as f:
        for line in f:
            r = json.loads(line)
            pid = norm_id(r.get("id", ""))
            kws = [k.strip() for k in (r.get("ai_keywords") or []) if k and k.strip()]
            if pid not in papers or pid in seen or len(kws) < 3:
                continue
            seen.add(pid)
            split = "test" if hashlib.sha1(pid.encode()).digest()[0] % 2 else "train"
            h = hashlib.sha1(("kw" + pid).encode()).digest()
            a = h[1] % len(kws)
            b = (a + 1 + h[2] % (len(kws) - 1)) % len(kws)
            splits[split].append((pid, kws[a] + ", " + kws[b]))
    for split, rows in splits.items():
        with open(os.path.join(out, f"queries.{split}.jsonl"), "w") as q, \
             open(os.path.join(out, f"qrels.{split}.tsv"), "w") as r:
            r.write("query-id\tcorpus-id\tscore\n")
            for pid, text in rows:
                q.write(json.dumps({"_id": "hf-" + pid, "text": text}) + "\n")
                r.write(f"hf-{pid}\t{pid}\t1\n")
    print(f"{len(papers)} papers; queries: train {len(splits['train'])}, "
          f"test {len(splits['test'])}")


if __name__ == "__main__":
    main()
