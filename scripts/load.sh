#!/usr/bin/env bash
# Load test: wrk POSTs signed Account Activity deliveries to `starling up`, then the log proves
# nothing answered 200 was lost. Needs wrk (Debian: apt-get install wrk) and python3.
#
#   bash scripts/load.sh                      # 10 s, 2 threads, 32 connections
#   DURATION=60s CONNECTIONS=64 bash scripts/load.sh
#   DASHBOARD=1 bash scripts/load.sh          # with the dashboard open in headless Chromium
#   STARLING_BIN=/tmp/a/starling bash scripts/load.sh   # a binary built before, not rebuilt
#   PHOTOS=100 bash scripts/load.sh           # 100 photo posts at once instead of wrk's text posts
#   PHOTOS=100 DETECT_TEXT=never bash scripts/load.sh   # … without reading text in the photos
#
# PHOTOS=N: N deliveries, each a post with one photo (the demo's 1112×600 JPEG of two faces,
# served from a directory by the hidden `starling up --media-dir`: https and X's media hosts are
# still checked), posted one after another as fast as the server answers; the figure is the
# drain: photos analysed, answered (the annotated reply, through egress) and in the lake per second.
#
# Prints wrk's requests/s and latency percentiles, the count of 200s, the events in the log, and
# how long the pipeline took to finish the backlog (analysis, replies, lake) after the load.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DISTINCT=${DISTINCT:-100000}  # more than a run sends, so every post is new
PORT=${PORT:-3917}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-1800}
PHOTOS=${PHOTOS:-0}
DETECT_TEXT=${DETECT_TEXT:-auto}

[ "$PHOTOS" -gt 0 ] || command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

# Optimised like release, without fat LTO so it builds in a few minutes (Cargo.toml [profile.load]);
# without the `sql` feature (DuckDB's C++ is the long pole of a build, and the load never queries).
# STARLING_BIN=path runs a binary built before instead (to compare two builds in one session).
if [ -n "${STARLING_BIN:-}" ]; then
  starling=$STARLING_BIN
else
  cargo build --profile load -p starling --bin starling --no-default-features
  target_dir=${CARGO_TARGET_DIR:-target}
  starling="$target_dir/load/starling"
fi

work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
secret="load-test-$(date +%s)"
export STARLING_CONSUMER_SECRET=$secret STARLING_BOT_USER_ID=1603419180975409153

# DISTINCT deliveries, each one mention with its own post id, signed as X signs them
# (HMAC-SHA256 of the body with the consumer secret, base64, "sha256=" prefix).
# With PHOTOS=N, N deliveries each linking one photo.
[ "$PHOTOS" -gt 0 ] && DISTINCT=$PHOTOS
python3 - "$work/deliveries.tsv" "$DISTINCT" "$secret" "$PHOTOS" <<'PY'
import base64, hashlib, hmac, json, sys
path, n, secret, photos = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4]) > 0
texts = ["@starling_bot tell me a joke", "@starling_bot I love this, thank you!",
         "@starling_bot this is awful and broken", "@starling_bot tell me a fact about birds"]
if photos:
    texts = ["@starling_bot who is in this photo? https://t.co/LoadPh0to"]
with open(path, "w") as out:
    for i in range(n):
        post = {
            "created_at": "Mon Nov 23 09:00:00 +0000 2026", "id_str": str(1996000000000000000 + i),
            "text": texts[i % len(texts)], "lang": "en",
            "entities": {"user_mentions": [{"id_str": "1603419180975409153", "screen_name": "starling_bot", "indices": [0, 13]}]},
            "user": {"id_str": str(5000 + i % 997), "screen_name": f"load{i % 997}"}}
        if photos:
            media = [{"id_str": str(1997000000000000000 + i), "type": "photo", "url": "https://t.co/LoadPh0to",
                      "media_url_https": "https://pbs.twimg.com/media/load-photo.jpg"}]
            post["entities"]["media"] = media
            post["extended_entities"] = {"media": media}
        body = json.dumps({"for_user_id": "1603419180975409153", "tweet_create_events": [post]},
            separators=(",", ":"))
        sig = "sha256=" + base64.b64encode(hmac.new(secret, body.encode(), hashlib.sha256).digest()).decode()
        out.write(f"{sig}\t{body}\n")
PY

# The reply policy's defaults would hold back all but 90 replies per 15 minutes: this measures the
# pipeline, so the load's authors get every reply (to the outbox: no X credentials are set).
cat >"$work/policy.json" <<'JSON'
{"cooldownSeconds": 0, "authorDailyCap": 1000000, "conversationCap": 1000000, "budget": 1000000}
JSON
mkdir -p "$work/media"
cp crates/offline/tests/fixtures/images/two_faces_composite.jpg "$work/media/load-photo.jpg"
"$starling" up --port "$PORT" --data-dir "$work/data" --policy "$work/policy.json" \
  --media-dir "$work/media" --detect-text "$DETECT_TEXT" >"$work/up.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

if [ "${DASHBOARD:-0}" = 1 ]; then
  [ -d ci/node/node_modules/playwright-core ] || (cd ci/node && npm ci --no-audit --no-fund --loglevel=error)
  node scripts/load/dashboard-viewer.mjs "http://127.0.0.1:$PORT/ui" >"$work/viewer.txt" 2>"$work/viewer.err" &
  viewer=$!
  for _ in $(seq 300); do grep -q "dashboard open" "$work/viewer.err" 2>/dev/null && break; sleep 0.1; done
fi

load_start=$(date +%s.%N)
if [ "$PHOTOS" -gt 0 ]; then
  # One connection, one delivery after another: the webhook answers in milliseconds, so all N are
  # in the log within a second or two and the drain below is the photos' own.
  ok=$(python3 - "$work/deliveries.tsv" "$PORT" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]))
ok = 0
for line in open(sys.argv[1]):
    sig, body = line.rstrip("\n").split("\t", 1)
    conn.request("POST", "/twitter", body, {"content-type": "application/json", "x-twitter-webhooks-signature": sig})
    response = conn.getresponse(); response.read()
    ok += response.status == 200
print(ok)
PY
)
  CONNECTIONS=0
  echo "$ok photo deliveries answered 200"
else
  STARLING_LOAD_FILE="$work/deliveries.tsv" STARLING_LOAD_THREADS=$THREADS wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s scripts/load/signed-deliveries.lua "http://127.0.0.1:$PORT/twitter" | tee "$work/wrk.txt"
  ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' "$work/wrk.txt")
fi

db="$work/data/bus.sqlite"
count() { sqlite3 "$db" "select count(*) from events where detail_type='$1'"; }

# The backlog: every route's cursor at the log's end, and nothing left mid-delivery.
start=$(date +%s)
while :; do
  behind=$(sqlite3 "$db" "select count(*) from cursors where seq < (select max(seq) from events)")
  [ "$behind" = 0 ] && break
  if [ $(( $(date +%s) - start )) -gt "$DRAIN_TIMEOUT" ]; then echo "backlog not drained in ${DRAIN_TIMEOUT}s" >&2; break; fi
  sleep 1
done
drained=$(date +%s.%N)
echo "backlog drained in $(( $(date +%s) - start )) s after the load"
if [ -n "${viewer:-}" ]; then kill -TERM "$viewer"; wait "$viewer" || true; cat "$work/viewer.txt"; fi
kill -TERM "$server"; wait "$server" || true   # a clean stop flushes the lake's open parts

tweeted=$(count TWITTER_TWEETED)
posts=$(sqlite3 "$db" "select count(distinct json_extract(envelope, '$.detail.Twitter.TweetId')) from events where detail_type='MESSAGE_RECEIVED'")
received=$(count MESSAGE_RECEIVED); analysed=$(count MESSAGE_ANALYSED)
send=$(count SEND_TWEET); sent=$(count TWEET_SENT); suppressed=$(count REPLY_SUPPRESSED)
dead=$(sqlite3 "$db" 'select count(*) from dead_letters')
events=$(sqlite3 "$db" 'select count(*) from events')
lake=$(find "$work/data/lake/events" -type f -exec cat {} + | wc -l)
echo "200 answers: $ok; in the log: TWITTER_TWEETED $tweeted (distinct posts $posts), MESSAGE_RECEIVED $received,"
echo "  MESSAGE_ANALYSED $analysed, SEND_TWEET $send, TWEET_SENT $sent, REPLY_SUPPRESSED $suppressed; dead letters $dead; events $events, lake lines $lake"
awk -v n="$received" -v a="$load_start" -v b="$drained" 'BEGIN { printf "end to end: %d messages received, analysed, answered and in the lake %.1f s after the load began: %.1f messages/s\n", n, b - a, n / (b - a) }'

# wrk stops with up to CONNECTIONS requests in flight: the server may log those without wrk
# counting their 200, so the log may hold a few more than the 200s — never fewer.
fail=0
check() { if ! eval "$1"; then echo "FAILED: $2" >&2; fail=1; fi; }
check '[ "$tweeted" -ge "$ok" ]' "$ok deliveries answered 200 but only $tweeted TWITTER_TWEETED events were logged"
check '[ $((tweeted - ok)) -le "$CONNECTIONS" ]' "$((tweeted - ok)) more events than 200s: more than the $CONNECTIONS requests that can be in flight"
if [ "$tweeted" -le "$DISTINCT" ]; then
  check '[ "$posts" = "$received" ] && [ "$received" = "$tweeted" ]' "every post once: $tweeted TWITTER_TWEETED, $received MESSAGE_RECEIVED, $posts distinct posts"
else
  echo "more requests than the $DISTINCT distinct deliveries: some posts were sent twice, as X redelivers"
fi
check '[ "$analysed" = "$received" ] && [ $((send + suppressed)) = "$received" ] && [ "$sent" = "$send" ]' "every message analysed, then answered and sent or suppressed, once"
check '[ "$dead" = 0 ]' "$dead dead letters"
check '[ "$lake" = "$events" ]' "the lake holds $lake events, the log $events"
[ "$fail" = 0 ] || exit 1
echo "nothing lost: every 200 is in the log, every message was analysed and answered, every event is in the lake"
