#!/usr/bin/env bash
# Digest benchmark: SUBSCRIBERS subscriptions (default 10,000) over the 102k-paper arXiv corpus
# plus the Hugging Face daily papers, composed by `paperboy digest run` and sent into a local
# SMTP server (tests/mail/smtp_sink.py on Debian's aiosmtpd). Subscribers mix what people
# follow: the top papers, 1-2 categories, 0-2 authors of recent papers, 0-2 saved searches
# (Hugging Face ai_keywords), and 5% "papers like my library" (a user with 5 saved papers, so
# one linear model is trained per digest). Reports composition digests/s, per-user training
# time, sending messages/s and a rerun (which must queue and send nothing). Appends the
# results to bench/RESULTS.md.
#   bench/digest.sh                    (SUBSCRIBERS=10000)
set -euo pipefail
cd "$(dirname "$0")/.."
subs="${SUBSCRIBERS:-10000}"
out=bench/out/digest
data="$out/data"
mkdir -p "$out"

scripts/setup --deps-only
cmake --preset release >/dev/null
cmake --build --preset release --target paperboy
bin=build/release/paperboy

if [[ ! -f "$data/paperboy.db" ]]; then
  echo "== ingest (once): arXiv corpus and Hugging Face daily papers"
  "$bin" --data "$data" -q ingest ../shared/data/arxiv/arxiv_combined.jsonl.gz \
    ../shared/data/hf_daily_papers/hf_daily_papers_2024-05_2026-08.jsonl.gz || [[ $? -eq 3 ]]
fi
if [[ ! -f bench/out/hfkw/queries.test.jsonl ]]; then
  python3 bench/make_hf_keywords.py ../shared/data bench/out/hfkw
fi

# The run's day: the corpus's busiest announcement day (792 papers, a full arXiv day for
# these categories; its last days hold only a handful).
day=$(sqlite3 "$data/paperboy.db" \
  "SELECT announcement_day FROM papers GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
papers_that_day=$(sqlite3 "$data/paperboy.db" \
  "SELECT count(*) FROM papers WHERE announcement_day = '$day'")
echo "== $subs subscribers, digests for $day"
sqlite3 "$data/paperboy.db" "DELETE FROM outbox; DELETE FROM subscriptions;
  DELETE FROM saved_papers; DELETE FROM users WHERE name LIKE 'bench%';"
python3 - "$data/paperboy.db" "$subs" "$day" <<'PY'
import json, random, sqlite3, sys
db, n, day = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
con = sqlite3.connect(db)
cats = [r[0] for r in con.execute(
    "SELECT primary_category, count(*) c FROM papers GROUP BY 1 ORDER BY c DESC LIMIT 30")]
recent = con.execute(
    "SELECT id, authors, primary_category FROM papers WHERE announcement_day > date(?, '-30 day')",
    (day,)).fetchall()
authors = [a for _, al, _ in recent for a in json.loads(al)[:3]]
queries = [json.loads(l)["text"] for f in ("bench/out/hfkw/queries.train.jsonl",
                                           "bench/out/hfkw/queries.test.jsonl") for l in open(f)]
by_cat = {}
for pid, _, c in recent:
    by_cat.setdefault(c, []).append(pid)
for i in range(n):
    user = None
    if rng.random() < 0.05:
        cur = con.execute("INSERT INTO users (name, name_key, email, email_key, password_hash, "
                          "created_at) VALUES (?, ?, ?, ?, 'x', 0)",
                          (f"bench{i}", f"bench{i}", f"bench{i}@example.org",
                           f"bench{i}@example.org"))
        user = cur.lastrowid
        pool = by_cat.get(rng.choice(cats[:10]), []) or [p for p, _, _ in recent]
        for pid in rng.sample(pool, min(5, len(pool))):
            con.execute("INSERT INTO saved_papers (user_id, paper_id, saved_at) VALUES (?, ?, 0)",
                        (user, pid))
    c = rng.sample(cats[:15], rng.choice([1, 1, 2]))
    a = rng.sample(authors, rng.choice([0, 0, 1, 2]))
    q = rng.sample(queries, rng.choice([0, 1, 1, 2]))
    con.execute("INSERT INTO subscriptions (email, email_key, frequency, state, queries, authors, "
                "categories, top_papers, user_id, created_at, recommend) "
                "VALUES (?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, 0, ?)",
                (f"s{i}@example.org", f"s{i}@example.org",
                 "weekly" if rng.random() < 0.1 else "daily", json.dumps(q), json.dumps(a),
                 json.dumps(c), int(rng.random() < 0.5), user, int(user is not None)))
con.commit()
PY

rm -rf "$out/mailbox" "$out/smtp.port"
/usr/bin/python3 tests/mail/smtp_sink.py --dir "$out/mailbox" --port-file "$out/smtp.port" &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [[ -f "$out/smtp.port" ]] && break; sleep 0.1; done
smtp="smtp://127.0.0.1:$(cat "$out/smtp.port")"

run() {  # name
  /usr/bin/time -v -o "$out/time-$1.txt" "$bin" --data "$data" digest run --date "$day" \
    --smtp "$smtp" --smtp-tls none --json > "$out/$1.json"
}
run first
run again
kill $sink
mailed=$(find "$out/mailbox" -name '*.eml' | wc -l)

python3 - "$out" "$subs" "$day" "$mailed" "$papers_that_day" <<'PY' | tee "$out/result.md"
import json, re, sys
out, subs, day, mailed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
day_papers = int(sys.argv[5])
def time_of(name):
    t = open(f"{out}/time-{name}.txt").read()
    wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split()[0].split(":")
    secs = float(wall[-1]) + 60 * float(wall[-2]) + (3600 * float(wall[-3]) if len(wall) > 2 else 0)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) // 1024
    return secs, rss
f = json.load(open(f"{out}/first.json"))
a = json.load(open(f"{out}/again.json"))
wall, rss = time_of("first")
send_secs = max(wall - f["compose_seconds"], 1e-9)
print(f"| subscribers | digests composed | compose s | digests/s | train ms p50 / p95 / max ({f.get('recommend_models', 0)} models) | sent | send msg/s | wall s | peak RSS MB | rerun: composed / sent |")
print("|---|---|---|---|---|---|---|---|---|---|")
print(f"| {subs:,} | {f['composed']:,} | {f['compose_seconds']:.2f} | **{f['composed'] / f['compose_seconds']:,.0f}** | "
      f"{f.get('train_ms_p50', 0):.1f} / {f.get('train_ms_p95', 0):.1f} / {f.get('train_ms_max', 0):.1f} | "
      f"{f['sent']:,} ({mailed:,} in the sink) | {f['sent'] / send_secs:,.0f} | {wall:.1f} | {rss} | {a['composed']} / {a['sent']} |")
print()
print(f"Announcement day {day} ({day_papers:,} papers announced, the pool each model ranks); "
      f"{f['empty']:,} subscribers had nothing new, {f['no_news']:,} no announcements.")
PY
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  echo
  echo "### Digests: $subs subscribers over the 102k corpus ($(date -u +%Y-%m-%d))"
  echo
  cat "$out/result.md"
  echo
  echo "Run by \`bench/digest.sh\` (release build, $(nproc) cores, $cpu): one process composes" \
       "(one thread) and then sends over one SMTP connection to tests/mail/smtp_sink.py" \
       "(aiosmtpd, Python) on 127.0.0.1; the sink's speed bounds the sending rate."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
