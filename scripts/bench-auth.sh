#!/usr/bin/env bash
# Stage-2 authorization throughput (the debit-card flow's Access-Request #2:
# PIN check, rating of the credit time, a reservation in the database) on
# MariaDB, with CARDS prepaid cards of a large balance, C in flight.
#   N=20000 C=64 CARDS=200 scripts/bench-auth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
C=${C:-64}
CARDS=${CARDS:-200}
MYSQL_ARGS=${MYSQL_ARGS:--h127.0.0.1 -uroot}
DSN=${DSN:-root@tcp(127.0.0.1:3306)/radbill_bench_auth}
DB=${DSN##*/}; DB=${DB%%\?*}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mariadb $MYSQL_ARGS -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
export RADBILL_DATABASE_DRIVER=mysql RADBILL_DATABASE_DSN="$DSN" RADBILL_SPOOL_DIR="$work/spool"
bin/radbill db migrate >/dev/null
bin/radbill tariff import scripts/demo/tariff/*.csv >/dev/null
for i in $(seq 0 $((CARDS - 1))); do
  RADBILL_PIN=1234 bin/radbill account create $((8800000 + i)) --plan retail --balance 1000000 --max-calls 1000000 >/dev/null
done
RADBILL_LISTEN_AUTH=127.0.0.1:14812 RADBILL_LISTEN_ACCT=127.0.0.1:14813 RADBILL_LISTEN_METRICS=127.0.0.1:24812 \
RADBILL_CLIENTS='[{name: bench, address: 127.0.0.1, secret: bench-secret}]' RADBILL_LOG_LEVEL=error \
  bin/radiusd >"$work/radiusd.log" 2>&1 &
echo $! >"$work/pid"
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:24812/healthz >/dev/null && break; sleep 0.2; done
bin/radload -addr 127.0.0.1:14812 -secret bench-secret -n "$N" -c "$C" -auth-cards "$CARDS" -auth-first 8800000 -auth-pin 1234 || true
echo "reservations held: $(mariadb $MYSQL_ARGS -N -e "SELECT COUNT(*) FROM $DB.credit_reservation")"
