#!/usr/bin/python3
"""Writes small randomly initialised models in the Hugging Face layouts that paperboy's
embedders load, and the expected token ids and vectors from an independent reference
implementation (this file: tokenizer written from the BERT / Hugging Face `tokenizers`
semantics with Python's unicodedata, forward pass in float64 torch).

    /usr/bin/python3 tests/embed/make_models.py OUT_DIR

Writes OUT_DIR/<model>/... and OUT_DIR/expected.json. Exit status 3 when torch or numpy is
missing (the C++ test then skips), 0 on success.

Models:
  bert_mean    F32, tokenizer.json (uncased, accents stripped) + vocab.txt, modules.json with
               mean pooling, max_position_embeddings 40 (long texts are truncated)
  bert_cls     BF16, vocab.txt + tokenizer_config.json (do_lower_case, strip_accents false),
               no pooling config (CLS by default)
  bert_cased   F16, tokenizer.json (cased, accents kept), 1_Pooling/config.json with CLS,
               paperboy.json with query/document prefixes, 3 heads of 16
  m2v          model2vec: embeddings table (F32), tokenizer.json, config.json
"""

import json
import math
import os
import struct
import sys
import unicodedata

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print(f"make_models.py: {e}", file=sys.stderr)
    sys.exit(3)

# ---------------------------------------------------------------------------------------------
# Texts: the hostile set.

LONG_WORDS = " ".join(["stable", "alpha", "process", "model"] * 60)
TEXTS = [
    "",
    "Attention Is All You Need",
    "Ünïcödé àccents: café, naïve, Æsir, Ångström, İstanbul, straße, ÉCOLE",
    "e\u0301cole de\u0301compose\u0301e",
    "中文分词测试 mixed with English和中文, 日本語のテキスト, 한국어",
    "Emoji 🤗🚀 and ZWJ 👩\u200d🔬 family 👨\u200d👩\u200d👧 ❤️ ok",
    "$\\alpha$-stable processes and $\\mathcal{O}(n \\log n)$ bounds; \\cite{foo}",
    "MiXeD CaSe WORDS and camelCase, GPT-4 and Llama-3.1-8B",
    "punctuation!!! ??? ... ---- (((nested))) [brackets] {braces} <angle> \"quotes\" 'single' `back`",
    "tab\there\nnewline\r\x00nul\x07bell\u200bzwsp\ufeffbom\u00a0nbsp\u3000ideo\u2028line\x85nel",
    "Ελληνικά ΣΊΣΥΦΟΣ σοφία Русский текст",
    "العربية हिन्दी ไทย",
    "ＡＢＣ１２３ fullwidth, ﬁnance ligature, ½ fraction, x² and H₂O",
    "unaffable unbelievable un-aff-able stable processes",
    "x_1^2 + y_2^2 = r^2, π ≈ 3.14159, 1e-4, 10% — en–dash “curly” ‘quotes’ … ellipsis",
    "a" * 150 + " long word then normal words",
    "word" + "é" * 99 + " exactly at the per-word limit",
    LONG_WORDS,
]

# ---------------------------------------------------------------------------------------------
# Reference tokenizer (BertNormalizer + BertPreTokenizer + WordPiece), independent of ICU.

# Unicode White_Space property (what Rust's char::is_whitespace tests).
WHITE_SPACE = set([0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) +
                  [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


def is_whitespace(ch):
    return ord(ch) in WHITE_SPACE


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or
            0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or
            0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize(text, lowercase, strip_accents):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    s = "".join(out)
    if strip_accents:
        s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
    if lowercase:
        s = "".join(c.lower() for c in s)  # per character: no final-sigma rule, as in tokenizers
    return s


def pre_tokenize(s):
    words, cur = [], []
    for ch in s:
        if is_whitespace(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        elif is_punct(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def tokenize(text, vocab, lowercase, strip_accents):
    toks = []
    for w in pre_tokenize(normalize(text, lowercase, strip_accents)):
        toks.extend(wordpiece(w, vocab))
    return [vocab[t] for t in toks]


# ---------------------------------------------------------------------------------------------
# Vocabulary: special tokens, single characters (whole and ##), and random prefixes and
# continuations of the words in the texts, so that every WordPiece path is taken.

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
EXTRA = ["query", ":", "passage", "un", "##aff", "##able", "stable", "alpha", "process", "##es",
         "model", "attention", "is", "all", "you", "need", "Attention", "Is", "All", "You", "Need",
         "café", "naïve", "école", "σοφια", "σοφία", "σισυφοσ", "ΣΊΣΥΦΟΣ"]


def build_vocab(rng):
    chars, words = set(), set()
    for t in TEXTS:
        for lower, strip in ((True, True), (True, False), (False, False)):
            for w in pre_tokenize(normalize(t, lower, strip)):
                if len(w) <= 40:
                    words.add(w)
                for ch in w:
                    chars.add(ch)
    chars.discard("🚀")  # stays unknown
    tokens = list(SPECIAL)
    for ch in sorted(chars):
        tokens.append(ch)
        if rng.random() < 0.8:
            tokens.append("##" + ch)
    for w in sorted(words):
        if rng.random() < 0.5 and len(w) > 1:
            tokens.append(w[: rng.integers(1, len(w) + 1)])
        if rng.random() < 0.5 and len(w) > 2:
            i = int(rng.integers(1, len(w) - 1))
            tokens.append("##" + w[i: i + int(rng.integers(1, 4))])
    tokens += EXTRA
    seen, vocab_list = set(), []
    for t in tokens:
        if t not in seen:
            seen.add(t)
            vocab_list.append(t)
    return vocab_list


# ---------------------------------------------------------------------------------------------
# Files.


def to_bf16_bits(a):
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    return rounded.astype(np.uint16)


def store_dtype(a, dtype):
    """Returns (raw bytes, the float64 values a reader gets back)."""
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.tobytes(), a.astype(np.float64)
    if dtype == "F16":
        h = a.astype(np.float16)
        return h.tobytes(), h.astype(np.float64)
    bits = to_bf16_bits(a)
    back = (bits.astype(np.uint32) << 16).view(np.float32)
    return bits.tobytes(), back.astype(np.float64)


def write_safetensors(path, tensors, dtype, extra=None):
    """tensors: name -> float array; returns name -> float64 array as stored."""
    header, blobs, stored, offset = {}, [], {}, 0
    for name in sorted(tensors):
        raw, back = store_dtype(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(np.shape(tensors[name])),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        stored[name] = back
        offset += len(raw)
    for name, (dt, shape, raw) in (extra or {}).items():
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return stored


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def tokenizer_json(vocab_list, lowercase, strip_accents):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for i, t in enumerate(SPECIAL)],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": strip_accents, "lowercase": lowercase},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [], "special_tokens": {}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100,
                  "vocab": {t: i for i, t in enumerate(vocab_list)}},
    }


# ---------------------------------------------------------------------------------------------
# Reference BERT forward pass (post-LN, Devlin et al. 2019), float64.


def random_bert(rng, vocab_size, d, layers, inter, max_pos):
    def n(*shape, std=0.2):
        return rng.normal(0.0, std, size=shape).astype(np.float32)

    t = {
        "embeddings.word_embeddings.weight": n(vocab_size, d, std=0.5),
        "embeddings.position_embeddings.weight": n(max_pos, d, std=0.3),
        "embeddings.token_type_embeddings.weight": n(2, d, std=0.3),
        "embeddings.LayerNorm.weight": 1 + n(d, std=0.1),
        "embeddings.LayerNorm.bias": n(d, std=0.1),
        "pooler.dense.weight": n(d, d),
        "pooler.dense.bias": n(d),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"):
            t[p + name + ".weight"] = n(d, d, std=0.7 / math.sqrt(d) * 2)
            t[p + name + ".bias"] = n(d, std=0.1)
        t[p + "attention.output.LayerNorm.weight"] = 1 + n(d, std=0.1)
        t[p + "attention.output.LayerNorm.bias"] = n(d, std=0.1)
        t[p + "intermediate.dense.weight"] = n(inter, d, std=1.0 / math.sqrt(d))
        t[p + "intermediate.dense.bias"] = n(inter, std=0.3)
        t[p + "output.dense.weight"] = n(d, inter, std=1.0 / math.sqrt(inter))
        t[p + "output.dense.bias"] = n(d, std=0.1)
        t[p + "output.LayerNorm.weight"] = 1 + n(d, std=0.1)
        t[p + "output.LayerNorm.bias"] = n(d, std=0.1)
    return t


def bert_forward(w, ids, layers, heads, eps, pooling):
    T = lambda name: torch.from_numpy(w[name])  # noqa: E731
    ids_t = torch.tensor(ids, dtype=torch.long)
    n = len(ids)
    x = T("embeddings.word_embeddings.weight")[ids_t] + \
        T("embeddings.position_embeddings.weight")[:n] + \
        T("embeddings.token_type_embeddings.weight")[0]

    def ln(v, p):
        mu = v.mean(-1, keepdim=True)
        var = ((v - mu) ** 2).mean(-1, keepdim=True)
        return (v - mu) / torch.sqrt(var + eps) * T(p + ".weight") + T(p + ".bias")

    def lin(v, p):
        return v @ T(p + ".weight").T + T(p + ".bias")

    x = ln(x, "embeddings.LayerNorm")
    d = x.shape[1]
    dh = d // heads
    for i in range(layers):
        p = f"encoder.layer.{i}."
        q = lin(x, p + "attention.self.query").reshape(n, heads, dh).transpose(0, 1)
        k = lin(x, p + "attention.self.key").reshape(n, heads, dh).transpose(0, 1)
        v = lin(x, p + "attention.self.value").reshape(n, heads, dh).transpose(0, 1)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dh), dim=-1)
        ctx = (att @ v).transpose(0, 1).reshape(n, d)
        x = ln(x + lin(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = lin(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        x = ln(x + lin(h, p + "output.dense"), p + "output.LayerNorm")
    v = x[0] if pooling == "cls" else x.mean(0)
    v = v / torch.linalg.norm(v)
    return v.tolist()


def make_bert(out, name, rng, vocab_list, spec):
    d, layers, heads, inter, max_pos = spec["d"], spec["layers"], spec["heads"], spec["inter"], spec["max_pos"]
    path = os.path.join(out, name)
    os.makedirs(path, exist_ok=True)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": d,
              "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": inter,
              "max_position_embeddings": max_pos, "vocab_size": len(vocab_list),
              "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
              "hidden_dropout_prob": 0.1, "position_embedding_type": "absolute"}
    write_json(os.path.join(path, "config.json"), config)
    weights = random_bert(rng, len(vocab_list), d, layers, inter, max_pos)
    extra = {"embeddings.position_ids": ("I64", [1, max_pos],
                                         np.arange(max_pos, dtype=np.int64).tobytes())}
    stored = write_safetensors(os.path.join(path, "model.safetensors"), weights, spec["dtype"], extra)
    lower, strip = spec["lowercase"], spec["strip_accents"]
    if spec.get("vocab_txt", True):
        with open(os.path.join(path, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(vocab_list) + "\n")
    tconfig = {"do_lower_case": lower, "model_max_length": max_pos, "unk_token": "[UNK]",
               "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
               "tokenizer_class": "BertTokenizer"}
    if strip is not None:
        tconfig["strip_accents"] = strip
    write_json(os.path.join(path, "tokenizer_config.json"), tconfig)
    if spec.get("tokenizer_json", True):
        write_json(os.path.join(path, "tokenizer.json"), tokenizer_json(vocab_list, lower, strip))
    pooling = spec["pooling"]
    pool_cfg = {"word_embedding_dimension": d, "pooling_mode_cls_token": pooling == "cls",
                "pooling_mode_mean_tokens": pooling == "mean", "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False}
    if spec.get("modules_json"):
        write_json(os.path.join(path, "modules.json"), [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    if spec.get("pooling_config"):
        write_json(os.path.join(path, "1_Pooling", "config.json"), pool_cfg)
    prefixes = spec.get("prefixes", {"query": "", "document": ""})
    if spec.get("prefixes"):
        write_json(os.path.join(path, "paperboy.json"),
                   {"query_prefix": prefixes["query"], "document_prefix": prefixes["document"]})

    strip_eff = lower if strip is None else strip
    result = {"max_length": max_pos, "dim": d, "ids": [], "query": [], "document": []}

    def encode(text):
        pieces = tokenize(text, vocab, lower, strip_eff)[: max_pos - 2]
        return [vocab["[CLS]"]] + pieces + [vocab["[SEP]"]]

    for t in TEXTS:
        result["ids"].append(encode(t))
        for kind in ("query", "document"):
            ids = encode(prefixes[kind] + t)
            result[kind].append(bert_forward(stored, ids, layers, heads, 1e-12, pooling))
    return result


def make_m2v(out, rng, vocab_list):
    path = os.path.join(out, "m2v")
    os.makedirs(path, exist_ok=True)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    dim = 24
    table = rng.normal(0, 1, size=(len(vocab_list), dim)).astype(np.float32)
    stored = write_safetensors(os.path.join(path, "model.safetensors"), {"embeddings": table}, "F32")
    write_json(os.path.join(path, "config.json"),
               {"model_type": "model2vec", "architectures": ["StaticModel"], "hidden_dim": dim,
                "normalize": True, "apply_pca": dim, "apply_zipf": True})
    write_json(os.path.join(path, "tokenizer.json"), tokenizer_json(vocab_list, True, None))
    result = {"max_length": 512, "dim": dim, "ids": [], "query": [], "document": []}
    unk = vocab["[UNK]"]
    for t in TEXTS:
        ids = [i for i in tokenize(t, vocab, True, True) if i != unk][:512]
        result["ids"].append(ids)
        if ids:
            v = stored["embeddings"][ids].mean(0)
            v = v / np.linalg.norm(v)
        else:
            v = np.zeros(dim)
        result["query"].append(v.tolist())
        result["document"].append(v.tolist())
    return result


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(20261126)
    vocab_list = build_vocab(rng)
    expected = {"texts": TEXTS, "models": {}}
    expected["models"]["bert_mean"] = make_bert(out, "bert_mean", rng, vocab_list, dict(
        d=32, layers=2, heads=4, inter=64, max_pos=40, dtype="F32", lowercase=True,
        strip_accents=None, pooling="mean", modules_json=True, pooling_config=True))
    expected["models"]["bert_cls"] = make_bert(out, "bert_cls", rng, vocab_list, dict(
        d=32, layers=2, heads=2, inter=48, max_pos=64, dtype="BF16", lowercase=True,
        strip_accents=False, pooling="cls", tokenizer_json=False))
    expected["models"]["bert_cased"] = make_bert(out, "bert_cased", rng, vocab_list, dict(
        d=48, layers=2, heads=3, inter=96, max_pos=128, dtype="F16", lowercase=False,
        strip_accents=False, pooling="cls", pooling_config=True, vocab_txt=False,
        prefixes={"query": "query: ", "document": "passage: "}))
    expected["models"]["m2v"] = make_m2v(out, rng, vocab_list)
    write_json(os.path.join(out, "expected.json"), expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
