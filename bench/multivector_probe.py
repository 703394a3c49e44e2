"""Steps of bench/multivector_probe.sh.

split CORPUS OUT: writes each BEIR paper as sub-documents PID~a (title and abstract), PID~t (title)
and PID~sN (abstract sentences longer than 20 characters).
score QRELS LEX_RUN SUB_RUN: Recall@10 and MRR@10 of lexical, of each way of folding sub-document
scores into a paper score, and of that list fused with the lexical one (weights 0.2, 0.5, 1); and
how often the paper is in either top 10, the bound for any fusion of the two lists.
"""
import collections
import json
import re
import sys

SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=[A-Z(\[])')


def split(corpus, out_path):
    with open(corpus) as src, open(out_path, 'w') as out:
        for line in src:
            d = json.loads(line)
            pid, title, text = d['_id'], d.get('title', ''), d.get('text', '')
            out.write(json.dumps({'_id': pid + '~a', 'title': title, 'text': text}) + '\n')
            out.write(json.dumps({'_id': pid + '~t', 'title': title, 'text': ''}) + '\n')
            sentences = [s.strip() for s in SENTENCE_END.split(' '.join(text.split()))]
            for i, s in enumerate(x for x in sentences if len(x) > 20):
                out.write(json.dumps({'_id': f'{pid}~s{i}', 'title': '', 'text': s}) + '\n')


def load_run(path):
    run = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            q, _, d, _, s, _ = line.split()
            run[q].append((d, float(s)))
    return run


def load_qrels(path):
    rel = collections.defaultdict(set)
    with open(path) as f:
        next(f)
        for line in f:
            q, d, s = line.split()[:3]
            if int(s) > 0:
                rel[q].add(d)
    return rel


def paper_scores(ranked, kinds, lam):
    """kinds: which sub-documents count ('a', 't', 's'). lam None: the best of them; else the
    whole-paper score plus lam times the best title or sentence score."""
    full, best = {}, {}
    for d, s in ranked:
        pid, kind = d.rsplit('~', 1)
        if kind == 'a':
            full[pid] = s
        elif kind[0] in kinds:
            best[pid] = max(best.get(pid, float('-inf')), s)
    if lam is None:
        out = dict(best)
        if 'a' in kinds:
            for p, s in full.items():
                out[p] = max(out.get(p, float('-inf')), s)
        return out
    floor_full = min(full.values(), default=0.0)
    floor_best = min(best.values(), default=0.0)
    return {p: full.get(p, floor_full) + lam * best.get(p, floor_best) for p in set(full) | set(best)}


def top(scores, n):
    return sorted(scores.items(), key=lambda x: -x[1])[:n]


def fuse(lexical, semantic, weight, depth=100):
    out = collections.defaultdict(float)
    for ranked, w in ((lexical[:depth], 1.0), (semantic[:depth], weight)):
        if not ranked:
            continue
        hi, lo = ranked[0][1], ranked[-1][1]
        for d, s in ranked:
            out[d] += w * ((s - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(out.items(), key=lambda x: -x[1])


def metrics(run, rel):
    found = rr = 0.0
    for q, relevant in rel.items():
        ids = [d for d, _ in run.get(q, [])[:10]]
        hit = next((i for i, d in enumerate(ids) if d in relevant), None)
        if hit is not None:
            found += 1
            rr += 1 / (hit + 1)
    return found / len(rel), rr / len(rel)


def score(qrels, lex_path, sub_path):
    rel, lex, sub = load_qrels(qrels), load_run(lex_path), load_run(sub_path)
    print('lexical                        R@10 %.4f MRR@10 %.4f' % metrics(lex, rel))
    variants = [('whole paper (as now)', 'a', None), ('best of title, sentences', 'ts', None),
                ('best sentence', 's', None), ('best of all', 'ats', None),
                ('whole + 0.5 best(title, sent.)', 'ts', 0.5),
                ('whole + 1 best(title, sent.)', 'ts', 1.0)]
    for name, kinds, lam in variants:
        sem = {q: top(paper_scores(r, kinds, lam), 100) for q, r in sub.items()}
        line = f'{name:30s} semantic %.4f %.4f' % metrics(sem, rel)
        for w in (0.2, 0.5, 1.0):
            hybrid = {q: fuse(lex.get(q, []), sem.get(q, []), w) for q in rel}
            line += f' | hybrid w{w} %.4f %.4f' % metrics(hybrid, rel)
        # The bound for any fusion of the two lists: the paper is in either top 10.
        either = sum(any(d in relevant for d, _ in lex.get(q, [])[:10] + sem.get(q, [])[:10])
                     for q, relevant in rel.items())
        print(line + ' | in either top 10 %.4f' % (either / len(rel)))


if __name__ == '__main__':
    if sys.argv[1] == 'split':
        split(sys.argv[2], sys.argv[3])
    else:
        score(sys.argv[2], sys.argv[3], sys.argv[4])
