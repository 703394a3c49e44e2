#!/usr/bin/env python3
"""Writes a synthetic arXiv-metadata-snapshot file of about SIZE_GB gigabytes.

Records recombine real titles, abstracts and authors from the shared 102k corpus under
fresh, unique new-style ids, in the exact line format of arxiv-metadata-oai-snapshot.json.
Usage: gen_snapshot.py CORPUS.jsonl.gz OUT.json SIZE_GB
"""
import gzip
import json
import random
import sys


def main():
    corpus, out_path, size_gb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    papers = []
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            papers.append((p["title"], p["abstract"], p.get("authors") or ["A. Nonymous"],
                           p.get("categories") or ["cs.LG"], p.get("comment")))
    rng = random.Random(7)
    target = int(size_gb * 1e9)
    written = n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        while written < target:
            t, _, _, _, _ = papers[rng.randrange(len(papers))]
            _, a, au, cats, com = papers[rng.randrange(len(papers))]
            yy, rest = 15 + n // (12 * 99999), n % (12 * 99999)
            mm, num = 1 + rest // 99999, 1 + rest % 99999
            nv = 1 + rng.randrange(3)
            rec = {
                "id": f"{yy:02d}{mm:02d}.{num:05d}",
                "submitter": au[0],
                "authors": ", ".join(au),
                "title": t,
                "comments": com,
                "journal-ref": None,
                "doi": None,
                "report-no": None,
                "categories": " ".join(cats),
                "license": None,
                "abstract": "  " + a + "\n",
                "versions": [{"version": f"v{v}", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}
                             for v in range(1, nv + 1)],
                "update_date": "2008-11-13",
                "authors_parsed": [[x.split(" ")[-1], " ".join(x.split(" ")[:-1]), ""]
                                   for x in au],
            }
            line = json.dumps(rec) + "\n"
            out.write(line)
            written += len(line)
            n += 1
    print(f"{out_path}: {n} records, {written / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
