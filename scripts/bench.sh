#!/usr/bin/env bash
# Accounting throughput: radiusd on MariaDB (durable commits) against the
# radload generator on the same machine. Prints radload's figures and checks
# that every acknowledged Stop is in the database exactly once. MODE=journal
# runs radiusd with writer.mode journal and also reports how long the
# loader took, after the run, to get the journal into the database (CPU
# figures then include the loading).
#   N=200000 C=64 GATEWAYS=8 scripts/bench.sh
#   MODE=journal N=1500000 scripts/bench.sh
#   MYSQL_ARGS="-h127.0.0.1 -uroot" DSN='root@tcp(127.0.0.1:3306)/radbill_bench' scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
C=${C:-64}
GATEWAYS=${GATEWAYS:-8}
MYSQL_ARGS=${MYSQL_ARGS:--h127.0.0.1 -uroot}
DSN=${DSN:-root@tcp(127.0.0.1:3306)/radbill_bench}
DB=${DSN##*/}; DB=${DB%%\?*}
MODE=${MODE:-direct}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

mariadb $MYSQL_ARGS -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
echo "MariaDB innodb_flush_log_at_trx_commit=$(mariadb $MYSQL_ARGS -N -e 'SELECT @@innodb_flush_log_at_trx_commit')"

export RADBILL_DATABASE_DRIVER=mysql RADBILL_DATABASE_DSN="$DSN" RADBILL_SPOOL_DIR="$work/spool"
# The demo tariff rates the generator's calls (35988... is Bulgaria mobile);
# RADBILL_RATING_ENABLED=false measures without rating.
bin/radbill db migrate >/dev/null
bin/radbill tariff import scripts/demo/tariff/*.csv >/dev/null
bin/radbill gateway set bench --plan retail >/dev/null
RADBILL_LISTEN_AUTH=127.0.0.1:11812 RADBILL_LISTEN_ACCT=127.0.0.1:11813 RADBILL_LISTEN_METRICS=127.0.0.1:19812 \
RADBILL_CLIENTS='[{name: bench, address: 127.0.0.1, secret: bench-secret}]' RADBILL_LOG_LEVEL=warn RADBILL_WRITER_MODE=$MODE \
  bin/radiusd >"$work/radiusd.log" 2>&1 &
echo $! >"$work/pid"
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:19812/healthz >/dev/null && break; sleep 0.2; done

. scripts/cpu.sh
cpu_mark "$(cat "$work/pid")"
echo "radbill writer.mode $MODE"
bin/radload -addr 127.0.0.1:11813 -secret bench-secret -n "$N" -c "$C" -gateways "$GATEWAYS" -acked "$work/acked" || true
if [ "$MODE" = journal ]; then
  ended=$(date +%s.%N)
  backlog() { curl -s http://127.0.0.1:19812/metrics | awk '/^radbill_journal_lag_records /{print $2}'; }
  echo "journal backlog at the end of the run: $(backlog) records"
  for _ in $(seq 1 3000); do [ "$(backlog)" = 0 ] && break; sleep 0.1; done
  echo "journal loaded into the database $(echo "$(date +%s.%N) - $ended" | bc | xargs printf '%.1f') s after the run"
fi
cpu_report "$N" Stop
acked=$(wc -l <"$work/acked")
stored=$(mariadb $MYSQL_ARGS -N -e "SELECT COUNT(*) FROM $DB.cdr")
echo "acknowledged $acked, stored $stored"
curl -s http://127.0.0.1:19812/metrics | grep -E '^radbill_(store_batch_size_(sum|count)|rating_total)' || true
[ "$acked" -eq "$stored" ] || { echo "MISMATCH: acknowledged and stored differ" >&2; exit 1; }
