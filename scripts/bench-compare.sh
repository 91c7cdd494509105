#!/usr/bin/env bash
# radbill against FreeRADIUS on this machine, in one run (issue 18's table):
# radbill direct and journal on MariaDB (scripts/bench.sh), FreeRADIUS's
# detail file and FreeRADIUS + rlm_sql on the same MariaDB
# (scripts/bench-freeradius.sh), each under the same radload, RUNS times.
#   N=1200000 N_SQL=100000 RUNS=1 scripts/bench-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export N=${N:-1200000} C=${C:-64}
N_SQL=${N_SQL:-100000}
RUNS=${RUNS:-1}
make build >/dev/null
figures() { grep -E 'answered|latency|CPU per|journal|acknowledged|MISMATCH' || true; }
for i in $(seq 1 "$RUNS"); do
  echo "== run $i: radbill, writer.mode direct"; MODE=direct scripts/bench.sh 2>&1 | figures
  echo "== run $i: radbill, writer.mode journal"; MODE=journal scripts/bench.sh 2>&1 | figures
  echo "== run $i: FreeRADIUS, accounting { detail }"; PEER=detail scripts/bench-freeradius.sh 2>&1 | figures
  echo "== run $i: FreeRADIUS + rlm_sql (N=$N_SQL)"; N=$N_SQL PEER=sql scripts/bench-freeradius.sh 2>&1 | figures
done
