#!/usr/bin/python3
# Probe (no engine change): does a term-proximity feature on BM25F's top list help?
# Reranks paperboy's lexical top 100 with score + lam * f * sum over adjacent query word pairs
# (stopwords dropped) of w(pair) * tf (k1+1)/(tf+k1), tf = the pair's ordered occurrences in
# the paper (at most one stopword between), f = 3/max(3, pairs) (long queries get less), and
# w(pair) = the pair's own idf (pair) or one made of the two words' idf (max, sum, min).
# Tokens are a crude stand-in for paperboy's analyzer (lowercase, plural s stripped).
# Run by bench/proximity_probe.sh, which writes the run files it reads.
import json, re, sys, collections, math
STOP=set('a an and are as at be by for from has have in into is it its of on or that the this to was were with we our via using based'.split())
def toks(t):
    out=[]
    for w in re.findall(r'[a-z0-9]+', t.lower()):
        if w in STOP: out.append(None); continue
        if len(w)>3 and w.endswith('s') and not w.endswith('ss'): w=w[:-1]
        out.append(w)
    return out
def qpairs(t):
    ts=[w for w in toks(t) if w is not None]
    return list(dict.fromkeys(zip(ts, ts[1:])))
GAP = 2  # a pair's words may have at most one stopword between them


def idf(n, df):
    return math.log(1 + (n - df + .5) / (df + .5))


def load(corpus, checks):
    """Reads each check's queries, qrels and run, then scans the corpus once for all of them."""
    sets = {}
    for name, qfile, qrels, run in checks:
        queries = {}
        for l in open(qfile):
            o = json.loads(l); queries[o['_id']] = o['text']
        rel = collections.defaultdict(dict)
        for l in open(qrels):
            a = l.rstrip('\n').split('\t')
            if a[0] != 'query-id' and int(a[2]) > 0: rel[a[0]][a[1]] = int(a[2])
        r = collections.defaultdict(list)
        for l in open(run):
            a = l.split(); r[a[0]].append((a[2], float(a[4])))
        sets[name] = dict(rel=rel, runs=r, qp={q: qpairs(queries[q]) for q in r})
    allpairs = set(p for D in sets.values() for v in D['qp'].values() for p in v)
    allterms = set(w for p in allpairs for w in p)
    need = set(d for D in sets.values() for lst in D['runs'].values() for d, _ in lst)
    udf = collections.Counter(); df = collections.Counter(); feat = {}; n = 0
    for l in open(corpus):
        o = json.loads(l); n += 1
        ts = toks(o.get('title', '') + ' . ' + o['text'])
        c = collections.Counter()
        for i in range(len(ts) - 1):
            a = ts[i]
            if a is None: continue
            for j in range(i + 1, min(len(ts), i + 1 + GAP)):
                if ts[j] is not None:
                    if (a, ts[j]) in allpairs: c[(a, ts[j])] += 1
                    break
        for p in c: df[p] += 1
        for w in set(ts):
            if w in allterms: udf[w] += 1
        if o['_id'] in need: feat[o['_id']] = c
    for D in sets.values(): D.update(udf=udf, df=df, feat=feat, N=n)
    return sets


def evaluate(D, lam, depth=1000, k1=0.9, damp=False, idfm='pair'):
    r10=mrr=nd=0
    for q,lst in D['runs'].items():
        pairs=D['qp'][q]; rel=D['rel'][q]
        scored=[]
        for rank,(d,sc) in enumerate(lst[:depth]):
            c=D['feat'].get(d,{}); x=0.0
            for p in pairs:
                tf=c.get(p,0)
                if tf:
                    if idfm == 'pair':
                        w = idf(D['N'], D['df'][p])
                    else:
                        a, b = idf(D['N'], D['udf'][p[0]]), idf(D['N'], D['udf'][p[1]])
                        w = {'max': max(a, b), 'sum': 0.5 * (a + b), 'min': min(a, b)}[idfm]
                    x+=w*tf*(k1+1)/(tf+k1)
            f = 3 / max(3, len(pairs)) if damp else 1
            scored.append((sc+lam*f*x, -rank, d))
        scored.sort(reverse=True)
        top=[d for _,_,d in scored[:10]]
        hit=[d for d in top if d in rel]
        r10+=len(hit)/len(rel)
        for i,d in enumerate(top):
            if d in rel: mrr+=1/(i+1); break
        dcg=sum((2**rel.get(d,0)-1)/math.log2(i+2) for i,d in enumerate(top))
        ideal=sorted(rel.values(), reverse=True)[:10]
        nd+=dcg/sum((2**g-1)/math.log2(i+2) for i,g in enumerate(ideal))
    n=len(D['runs']); return r10/n, mrr/n, nd/n
H='bench/out/train_embedder/hfkw'; S='../shared/data/ir_eval/scifact'; RUNS='bench/out/proximity'
sets = load(f'{H}/corpus.jsonl', [(s, f'{H}/queries.{s}.jsonl', f'{H}/qrels.{s}.tsv',
                                     f'{RUNS}/{s}.lex1000.trec') for s in ('train', 'test', 'hand')])
sets.update(load(f'{S}/corpus.jsonl', [('sf' + s, f'{S}/queries.{s}.jsonl', f'{S}/qrels.{s}.tsv',
                                        f'{RUNS}/sf{s}.lex1000.trec') for s in ('train', 'test')]))
for idfm in ('pair','max','sum','min'):
  for s,D in sets.items():
    for lam in (0.5, 1, 1.5):
        print(idfm, s, lam, *('%.4f'%v for v in evaluate(D, lam, 100, damp=True, idfm=idfm)))
# The depth-1000 rows RESULTS.md quotes: pair idf, with f (lam 0.5) and without it (lam 1).
for s, D in sets.items():
    print('depth1000 f', s, 0.5, *('%.4f' % v for v in evaluate(D, 0.5, 1000, damp=True)))
    print('depth1000 no-f', s, 1, *('%.4f' % v for v in evaluate(D, 1, 1000, damp=False)))
