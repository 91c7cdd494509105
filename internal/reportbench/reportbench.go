// Package reportbench gives the report and console benchmarks a database
// at real size.
package reportbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radbill/radbill/internal/benchdb"
	"github.com/radbill/radbill/store"
)

// The benchmarks' enterprise: 20 branches of 10 departments, 10,000
// users, a gateway per branch, 30 zones, and RADBILL_REPORT_CDRS billed
// legs (default 10,000,000) over the 12 months of 2026. The databases are
// kept between runs (SQLite: RADBILL_REPORT_BENCH_SQLITE, default
// $TMPDIR/radbill-report-bench.db; MariaDB: database radbill_report_bench
// on RADBILL_BENCH_MYSQL_DSN, default root@tcp(127.0.0.1:3306)/) and filled
// again only when their CDR count differs.
const (
	benchBranches       = 20
	benchDepartmentsPer = 10
	benchUsers          = 10_000
	benchZones          = 30
)

func benchCDRs() int {
	if n, err := strconv.Atoi(os.Getenv("RADBILL_REPORT_CDRS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}

// Open opens the benchmark's database on driver (store.SQLite or
// store.MySQL), filling it first unless it holds the benchmark's CDRs; it
// skips the benchmark when MariaDB is not there.
func Open(b testing.TB, driver string) *store.DB {
	b.Helper()
	db := benchdb.Open(b, driver, "radbill-report-bench", os.Getenv("RADBILL_REPORT_BENCH_SQLITE"))
	fillBench(b, db, benchCDRs())
	return db
}

// fillBench makes the database hold the benchmark's organisation and n
// CDRs, and their summaries (radbill report rebuild), unless it does.
func fillBench(b testing.TB, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	var have, december int
	if err := db.Get(&have, "SELECT COUNT(*) FROM cdr"); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&december, "SELECT COUNT(*) FROM cdr_monthly_owner WHERE month = '2026-12-01'"); err != nil {
		b.Fatal(err)
	}
	if have == n && december > 0 {
		return
	}
	for _, table := range []string{"cdr_daily", "cdr_daily_branch", "cdr_monthly_owner", "cdr_monthly_route", "cdr", "enterprise_user_number", "enterprise_user", "department", "branch"} {
		if _, err := db.Exec("DELETE FROM " + table); err != nil {
			b.Fatal(err)
		}
	}
	var plans int
	if err := db.Get(&plans, "SELECT COUNT(*) FROM tariff_plan WHERE id = 1"); err != nil {
		b.Fatal(err)
	}
	if plans == 0 {
		db.MustExec("INSERT INTO tariff_plan (id, name, currency, time_zone) VALUES (1, 'bench', 'EUR', 'UTC')")
	}
	tx := db.MustBegin()
	for br := 1; br <= benchBranches; br++ {
		tx.MustExec("INSERT INTO branch (id, name, created_at) VALUES (?, ?, '2026-01-01 00:00:00.000')", br, fmt.Sprintf("Branch %02d", br))
		for d := 1; d <= benchDepartmentsPer; d++ {
			tx.MustExec("INSERT INTO department (id, branch_id, name, created_at) VALUES (?, ?, ?, '2026-01-01 00:00:00.000')",
				(br-1)*benchDepartmentsPer+d, br, fmt.Sprintf("Department %02d", d))
		}
	}
	for u := 1; u <= benchUsers; u++ {
		tx.MustExec("INSERT INTO enterprise_user (id, name, department_id, plan_id, created_at) VALUES (?, ?, ?, 1, '2026-01-01 00:00:00.000')",
			u, fmt.Sprintf("User %05d", u), userDepartment(u))
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if db.Driver == store.MySQL {
		loadDataMySQL(b, db, n)
	} else {
		insertSQLite(b, db, n)
	}
	b.Logf("%s: %d CDRs stored in %v (%.0f/s)", db.Driver, n, time.Since(began).Round(time.Second), float64(n)/time.Since(began).Seconds())
	began = time.Now()
	if _, _, err := db.RebuildSummaries(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	// Rolled up as radiusd would on 2027-01-03: the year's days are in the
	// monthly and branch tables.
	if _, _, err := db.RollUpSummaries(ctx, time.Date(2027, 1, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: summaries of 12 months rebuilt in %v", db.Driver, time.Since(began).Round(time.Second))
}

func userDepartment(u int) int { return (u-1)%(benchBranches*benchDepartmentsPer) + 1 }

var benchColumns = []string{"dedup_key", "leg_key", "received_at", "call_time", "connect_time", "client_name", "nas_ip", "acct_session_id",
	"call_origin", "call_type", "calling_number", "called_number", "duration_s", "raw", "zone", "cost_micros", "currency", "rated_at",
	"rating_status", "direction", "billed", "plan_id", "billed_seconds", "user_id", "department_id", "branch_id"}

// benchRow is the i-th CDR: a user's call, through its branch's gateway,
// to one of the zones, spread evenly over 2026.
func benchRow(i int, rng *rand.Rand, n int) []any {
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const yearSeconds = 365 * 24 * 60 * 60
	at := year.Add(time.Duration(int64(i)*yearSeconds/int64(n)) * time.Second).Format("2006-01-02 15:04:05.000")
	user := rng.IntN(benchUsers) + 1
	dept := userDepartment(user)
	branch := (dept-1)/benchDepartmentsPer + 1
	duration := rng.Int64N(600)
	billed := (duration + 59) / 60 * 60
	direction := "outgoing"
	if rng.IntN(10) == 0 {
		direction = "incoming"
	}
	zone := rng.IntN(benchZones)
	key := fmt.Sprintf("bench%012d", i)
	return []any{key, key, at, at, at, fmt.Sprintf("gw-%02d", branch), "10.0.0.1", strconv.Itoa(i),
		"originate", "Telephony", fmt.Sprintf("2%04d", user), fmt.Sprintf("3598%08d", i%100_000_000), duration, "[]",
		fmt.Sprintf("Zone %02d", zone), billed * int64(1000*(zone+1)) / 60, "EUR", at,
		"ok", direction, 1, 1, billed, user, dept, branch}
}

func insertSQLite(b testing.TB, db *store.DB, n int) {
	const rows = 500
	rng := rand.New(rand.NewPCG(7, 7))
	stmt := "INSERT INTO cdr (" + strings.Join(benchColumns, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat("("+strings.TrimSuffix(strings.Repeat("?, ", len(benchColumns)), ", ")+"), ", rows), ", ")
	args := make([]any, 0, rows*len(benchColumns))
	tx := db.MustBegin()
	prepared, err := tx.Preparex(stmt)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		args = append(args, benchRow(i, rng, n)...)
		if len(args) == cap(args) || i == n-1 {
			if len(args) == cap(args) {
				prepared.MustExec(args...)
			} else {
				for j := 0; j < len(args); j += len(benchColumns) {
					tx.MustExec("INSERT INTO cdr ("+strings.Join(benchColumns, ", ")+") VALUES ("+strings.TrimSuffix(strings.Repeat("?, ", len(benchColumns)), ", ")+")",
						args[j:j+len(benchColumns)]...)
				}
			}
			args = args[:0]
		}
		if i%200_000 == 199_999 { // commit every 200,000 rows: a transaction's journal stays small
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			tx = db.MustBegin()
			if prepared, err = tx.Preparex(stmt); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// loadDataMySQL streams the rows to LOAD DATA LOCAL INFILE, tab-separated.
func loadDataMySQL(b testing.TB, db *store.DB, n int) {
	r, w := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(7, 7))
		buf := make([]byte, 0, 1<<20)
		for i := 0; i < n; i++ {
			for j, v := range benchRow(i, rng, n) {
				if j > 0 {
					buf = append(buf, '\t')
				}
				buf = fmt.Append(buf, v)
			}
			buf = append(buf, '\n')
			if len(buf) > 1<<20-512 {
				if _, err := w.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		}
		_, _ = w.Write(buf)
		w.Close()
	}()
	mysql.RegisterReaderHandler("bench_cdrs", func() io.Reader { return r })
	defer mysql.DeregisterReaderHandler("bench_cdrs")
	if _, err := db.Exec("LOAD DATA LOCAL INFILE 'Reader::bench_cdrs' INTO TABLE cdr (" + strings.Join(benchColumns, ", ") + ")"); err != nil {
		b.Fatal(err)
	}
}
