#!/usr/bin/env bash
# Reports at real size: fills (once; kept between runs) a SQLite file and a
# MariaDB database with RADBILL_REPORT_CDRS CDRs (default 10,000,000) over
# the 12 months of 2026 for 10,000 users in 200 departments of 20 branches,
# times a month's cost report by branch, user, zone and day
# (BenchmarkMonthReport) and the console's dashboard and branch report pages
# (BenchmarkConsolePages), then exports 1,000,000 CDRs with radbill cdr list
# to CSV and XLSX and prints rows/s and peak RSS.
#   RADBILL_REPORT_CDRS=1000000 scripts/bench-reports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SQLITE=${RADBILL_REPORT_BENCH_SQLITE:-${TMPDIR:-/tmp}/radbill-report-bench.db}
MYSQL_DSN=${RADBILL_BENCH_MYSQL_DSN:-root@tcp(127.0.0.1:3306)/}radbill_report_bench
ROWS=${ROWS:-1000000}
export RADBILL_REPORT_BENCH_SQLITE=$SQLITE
go test -v -run '^$' -bench MonthReport -benchtime 10x -timeout 120m ./report/
go test -run '^$' -bench ConsolePages -benchtime 10x -timeout 120m ./web/
make build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for db in "sqlite $SQLITE" "mysql $MYSQL_DSN"; do
  set -- $db
  for format in csv xlsx; do
    /usr/bin/time -f "%e %M" -o "$work/time" env RADBILL_DATABASE_DRIVER=$1 RADBILL_DATABASE_DSN="$2" \
      bin/radbill cdr list --from 2026-01-01 --limit "$ROWS" --format "$format" --output "$work/cdrs.$format"
    read -r seconds kb <"$work/time"
    echo "$1 cdr list $ROWS rows to $format: ${seconds} s, $(awk "BEGIN{printf \"%d\", $ROWS/$seconds}") rows/s, peak RSS $((kb / 1024)) MB, $(du -m "$work/cdrs.$format" | cut -f1) MB file"
  done
done
