#!/usr/bin/env bash
# Webhook → reply latency at low load: runs `starling demo` (six signed deliveries over loopback,
# one a 1 MP-class photo of two people) RUNS times with the optimised `load` build, and reports,
# from each run's event log, the time from the bus accepting MESSAGE_RECEIVED to it accepting the
# TWEET_SENT of the reply (the reply is in the outbox by then), for text posts and for the photo.
#
#   bash scripts/latency.sh            # 20 runs
#   RUNS=50 bash scripts/latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
cargo build --profile load -p starling --bin starling --no-default-features
starling="${CARGO_TARGET_DIR:-target}/load/starling"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq "$RUNS"); do
  "$starling" --data-dir "$work/run$i" demo >/dev/null
done
python3 - "$work" "$RUNS" <<'PY'
import json, sqlite3, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
kinds = {"text": [], "photo": []}
for i in range(1, runs + 1):
    db = sqlite3.connect(f"{work}/run{i}/demo/bus.sqlite")
    received, sent = {}, {}
    for dt, put_ms, env in db.execute("SELECT detail_type, put_ms, envelope FROM events WHERE detail_type IN ('MESSAGE_RECEIVED','TWEET_SENT')"):
        d = json.loads(env)["detail"]
        if dt == "MESSAGE_RECEIVED":
            received[d["Twitter"]["TweetId"]] = (put_ms, "photo" if d.get("ImageUrls") else "text")
        else:
            sent[d["ReplyToTweetId"]] = put_ms
    for post, (at, kind) in received.items():
        if post in sent:
            kinds[kind].append(sent[post] - at)
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]
print("| post | replies | p50 ms | p90 ms | max ms |\n|---|---:|---:|---:|---:|")
for kind, xs in kinds.items():
    if xs:
        print(f"| {kind} | {len(xs)} | {statistics.median(xs):.0f} | {q(xs, 0.9):.0f} | {max(xs):.0f} |")
PY
