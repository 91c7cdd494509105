#!/usr/bin/env bash
# Overload: a flood far above capacity (FLOOD Stops/s from 127.0.0.2) while a
# well-behaved gateway (127.0.0.1, 64 in flight) measures what it gets.
# Prints both sides, radiusd's peak RSS (radiusd runs with the GOMEMLIMIT of
# scripts/radiusd.service unless one is given), its drops by client and
# reason and its batch sizes and commit times.
#   FLOOD=100000 scripts/overload.sh
#   FLOOD_RATE_LIMIT=2000 scripts/overload.sh   # the flooder gets a per-client rate limit
#   FLOOD_NICE=19 scripts/overload.sh           # the flooding generator yields the CPU to the rest
set -euo pipefail
cd "$(dirname "$0")/.."
FLOOD=${FLOOD:-100000}
SECONDS_OF_FLOOD=${SECONDS_OF_FLOOD:-10}
FLOOD_RATE_LIMIT=${FLOOD_RATE_LIMIT:-0}
MYSQL_ARGS=${MYSQL_ARGS:--h127.0.0.1 -uroot}
DSN=${DSN:-root@tcp(127.0.0.1:3306)/radbill_overload}
DB=${DSN##*/}; DB=${DB%%\?*}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mariadb $MYSQL_ARGS -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"

GOMEMLIMIT=${GOMEMLIMIT:-512MiB}
GOMEMLIMIT=$GOMEMLIMIT RADBILL_DATABASE_DRIVER=mysql RADBILL_DATABASE_DSN="$DSN" \
RADBILL_LISTEN_AUTH=127.0.0.1:12812 RADBILL_LISTEN_ACCT=127.0.0.1:12813 RADBILL_LISTEN_METRICS=127.0.0.1:29812 \
RADBILL_CLIENTS='[{name: gateway, address: 127.0.0.1, secret: s}, {name: flooder, address: 127.0.0.2, secret: s, rate_limit: '"$FLOOD_RATE_LIMIT"'}]' RADBILL_LOG_LEVEL=error \
  bin/radiusd >"$work/radiusd.log" 2>&1 &
pid=$!; echo $pid >"$work/pid"
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:29812/healthz >/dev/null && break; sleep 0.2; done
# Warm-up, as on a server that has been running: the writer's statements
# get prepared and the tables' pages read.
bin/radload -addr 127.0.0.1:12813 -secret s -bind 127.0.0.1 -n 5000 -c 64 -gateways 8 >/dev/null

peak=0
( while kill -0 $pid 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$pid/status; sleep 0.2; done ) >"$work/rss" &
${FLOOD_NICE:+nice -n "$FLOOD_NICE"} bin/radload -addr 127.0.0.1:12813 -secret s -bind 127.0.0.2 -nas 192.0.2.200 -flood "$FLOOD" -n $((FLOOD * SECONDS_OF_FLOOD)) >"$work/flood" &
flooder=$!
sleep 2
echo "gateway during the flood:"
bin/radload -addr 127.0.0.1:12813 -secret s -bind 127.0.0.1 -n 20000 -c 64 -gateways 8 -timeout 1s || true
wait $flooder
cat "$work/flood"
peak=$(sort -n "$work/rss" | tail -1)
echo "radiusd peak RSS: $((peak / 1024)) MiB (GOMEMLIMIT $GOMEMLIMIT)"
curl -s http://127.0.0.1:29812/metrics >"$work/metrics"
# radiusd's own view of what it answered: per client, the histogram bounds
# within which half and 99 % of the answered requests were answered.
awk '
  /^radbill_reply_seconds_bucket\{.*listener="acct"/ {
    match($0, /client="[^"]*"/); c = substr($0, RSTART + 8, RLENGTH - 9)
    match($0, /le="[^"]*"/); k[c]++; le[c, k[c]] = substr($0, RSTART + 4, RLENGTH - 5); n[c, k[c]] = $2
  }
  END {
    for (c in k) {
      total = n[c, k[c]]; p50 = ""; p99 = ""
      for (i = 1; i <= k[c]; i++) {
        if (p50 == "" && n[c, i] >= 0.5 * total) p50 = le[c, i]
        if (p99 == "" && n[c, i] >= 0.99 * total) p99 = le[c, i]
      }
      printf "radiusd answered %s %d times: p50 <= %s s, p99 <= %s s\n", c, total, p50, p99
    }
  }' "$work/metrics"
grep -E '^radbill_(drops_total|store_batch_size_(sum|count)|store_commit_seconds_(sum|count)|spool_)' "$work/metrics" || true
