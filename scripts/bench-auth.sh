#!/usr/bin/env bash
# Stage-2 authorization throughput (the debit-card flow's Access-Request #2:
# PIN check, rating of the credit time, a reservation in the database) on
# MariaDB, with CARDS prepaid cards of a large balance, C in flight.
#   N=150000 C=64 CARDS=200 scripts/bench-auth.sh
#   N=150000 STOPS=1 STOP_EVERY=10 scripts/bench-auth.sh
#   N=150000 ROUTES=20 scripts/bench-auth.sh
# ROUTES=K adds K terminating carriers (clearinghouse partners pricing with
# the demo plans): every Accept then carries the call's ranked route list,
# kept in route_offer.
# By default each card has CALLS calls in progress that are authorized again
# and again (a reservation per call, replaced). STOPS=1 instead ends
# authorized calls — every one, or every STOP_EVERY-th while the others stay
# in progress: the call's Stop follows its Accept on the same worker — and at
# the end every card's balance must equal its ledger, with one debit per
# stored CDR and no reservation left for an ended call.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
C=${C:-64}
CARDS=${CARDS:-200}
CALLS=${CALLS:-4}
STOPS=${STOPS:-0}
MYSQL_ARGS=${MYSQL_ARGS:--h127.0.0.1 -uroot}
DSN=${DSN:-root@tcp(127.0.0.1:3306)/radbill_bench_auth}
DB=${DSN##*/}; DB=${DB%%\?*}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
sql() { mariadb $MYSQL_ARGS -N "$DB" -e "$1"; }
mariadb $MYSQL_ARGS -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
export RADBILL_DATABASE_DRIVER=mysql RADBILL_DATABASE_DSN="$DSN" RADBILL_SPOOL_DIR="$work/spool"
bin/radbill db migrate >/dev/null
bin/radbill tariff import scripts/demo/tariff/*.csv >/dev/null
# The first card through the CLI, the others copied from it in bulk (same PIN
# hash, balance and a top-up entry each, so every balance equals its ledger).
RADBILL_PIN=1234 bin/radbill account create 8800000 --plan retail --balance 1000000 --max-calls 1000000 >/dev/null
if [ "$CARDS" -gt 1 ]; then
  sql "INSERT INTO prepaid_account (account_number, pin_hash, balance_micros, currency, plan_id, status, max_concurrent_calls, language, created_at)
       SELECT 8800000 + s.seq, a.pin_hash, a.balance_micros, a.currency, a.plan_id, a.status, a.max_concurrent_calls, a.language, a.created_at
       FROM prepaid_account a JOIN seq_1_to_$((CARDS - 1)) s WHERE a.account_number = '8800000';
       INSERT INTO ledger_entry (account_id, kind, amount_micros, reason, created_at, accrued_at)
       SELECT id, 'topup', balance_micros, 'initial balance', created_at, created_at FROM prepaid_account WHERE account_number <> '8800000'"
fi
for k in $(seq 1 "${ROUTES:-0}"); do
  bin/radbill partner create "carrier-$k" --currency EUR --role terminating --wait 0s >/dev/null
  bin/radbill partner gateway add "carrier-$k" "10.9.$((k / 250)).$((k % 250 + 1))" --wait 0s >/dev/null
  bin/radbill partner rates "carrier-$k" --type outgoing --plan "$([ $((k % 2)) = 0 ] && echo retail || echo business)" --wait 0s >/dev/null
done
RADBILL_LISTEN_AUTH=127.0.0.1:14812 RADBILL_LISTEN_ACCT=127.0.0.1:14813 RADBILL_LISTEN_METRICS=127.0.0.1:24812 \
RADBILL_CLIENTS='[{name: bench, address: 127.0.0.1, secret: bench-secret}]' RADBILL_LOG_LEVEL=error \
  bin/radiusd >"$work/radiusd.log" 2>&1 &
echo $! >"$work/pid"
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:24812/healthz >/dev/null && break; sleep 0.2; done
load=(-auth-calls "$CALLS")
# The Stops come from GATEWAYS gateways (NAS-IP-Addresses).
[ "$STOPS" = 1 ] && load=(-auth-calls 0 -auth-stops 127.0.0.1:14813 -gateways "${GATEWAYS:-8}" -auth-stop-every "${STOP_EVERY:-1}")
# Warm-up: one call per card, whose PIN check (bcrypt) is then remembered,
# as the stage-1 request of every real call would have it.
bin/radload -addr 127.0.0.1:14812 -secret bench-secret -n "$CARDS" -c 8 \
  -auth-cards "$CARDS" -auth-first 8800000 -auth-pin 1234 "${load[@]}" >/dev/null
. scripts/cpu.sh
cpu_mark "$(cat "$work/pid")"
bin/radload -addr 127.0.0.1:14812 -secret bench-secret -n "$N" -c "$C" \
  -auth-cards "$CARDS" -auth-first 8800000 -auth-pin 1234 "${load[@]}" || true
cpu_report "$N" authorization
curl -s http://127.0.0.1:24812/metrics | grep -E '^radbill_drops_total' || true
echo "reservations held: $(sql 'SELECT COUNT(*) FROM credit_reservation')"
[ "${ROUTES:-0}" = 0 ] || echo "route lists kept: $(sql 'SELECT COUNT(*) FROM route_offer')"
[ "$STOPS" = 1 ] || exit 0
echo "CDRs $(sql 'SELECT COUNT(*) FROM cdr'), call debits $(sql "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'call_debit'")," \
  "CDR cost $(sql 'SELECT SUM(cost_micros) FROM cdr'), debited $(sql "SELECT -SUM(amount_micros) FROM ledger_entry WHERE kind = 'call_debit'")"
off=$(sql 'SELECT COUNT(*) FROM prepaid_account a WHERE a.balance_micros <> (SELECT COALESCE(SUM(e.amount_micros), 0) FROM ledger_entry e WHERE e.account_id = a.id)')
echo "cards whose balance differs from their ledger: $off"
# A reservation of an ended call: its card's and conf-id's CDR exists. Looked
# up from the CDRs by the reservations' unique (card, conf-id): cdr.conf_id
# is not indexed (sql/SCHEMA.md, "Indexes").
ended=$(sql 'SELECT COUNT(*) FROM cdr c JOIN prepaid_account a ON a.account_number = c.user_name
  JOIN credit_reservation r ON r.account_id = a.id AND r.conf_id = c.conf_id')
echo "reservations of ended calls: $ended"
[ "$off" -eq 0 ] && [ "$ended" -eq 0 ] &&
  [ "$(sql 'SELECT COUNT(*) FROM cdr')" -eq "$(sql "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'call_debit'")" ] || { echo "MISMATCH" >&2; exit 1; }
