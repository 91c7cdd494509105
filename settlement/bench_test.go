package settlement_test

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
	"github.com/radbill/radbill/settlement"
	"github.com/radbill/radbill/store"
)

// BenchmarkSettleMonth runs November's statements of 200 partners over
// RADBILL_SETTLEMENT_LEGS charged legs (default 10,000,000) in 100 zones
// and 3 bands. The databases are kept between runs (SQLite:
// $TMPDIR/radbill-settlement-bench.db; MariaDB: radbill_settlement_bench
// on RADBILL_BENCH_MYSQL_DSN) and filled again when their count differs.
func BenchmarkSettleMonth(b *testing.B) {
	n := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("RADBILL_SETTLEMENT_LEGS")); err == nil && v > 0 {
		n = v
	}
	for _, driver := range []string{store.SQLite, store.MySQL} {
		b.Run(driver, func(b *testing.B) {
			db := benchdb.Open(b, driver, "radbill-settlement-bench", "")
			fillLegs(b, db, n)
			svc := settlement.New(db)
			november := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			var statements int
			for b.Loop() {
				st, err := svc.Run(context.Background(), november, 0)
				if err != nil {
					b.Fatal(err)
				}
				statements = len(st)
			}
			b.ReportMetric(float64(statements), "statements")
		})
	}
}

const benchPartners = 200

func fillLegs(b *testing.B, db *store.DB, n int) {
	var have int
	if err := db.Get(&have, "SELECT COUNT(*) FROM leg_charge"); err != nil {
		b.Fatal(err)
	}
	if have == n {
		return
	}
	for _, table := range []string{"settlement_line", "settlement_statement", "leg_charge", "partner"} {
		db.MustExec("DELETE FROM " + table)
	}
	for p := 1; p <= benchPartners; p++ {
		db.MustExec("INSERT INTO partner (id, name, currency, created_at) VALUES (?, ?, 'EUR', '2026-01-01 00:00:00.000')", p, fmt.Sprintf("Partner %03d", p))
	}
	began := time.Now()
	row := func(i int, rng *rand.Rand) []any {
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(int64(i) * int64(30*24*time.Hour) / int64(n))).Format("2006-01-02 15:04:05.000")
		rateType := "incoming"
		if i%2 == 1 {
			rateType = "outgoing"
		}
		billed := int64(60 * (1 + rng.IntN(10)))
		return []any{fmt.Sprintf("leg%012d", i), at, 1 + rng.IntN(benchPartners), rateType, fmt.Sprintf("Zone %03d", rng.IntN(100)),
			[]string{"peak", "offpeak", "weekend"}[rng.IntN(3)], billed, billed, billed * int64(1000+rng.IntN(100_000)) / 60}
	}
	cols := "dedup_key, call_time, partner_id, rate_type, zone, band, duration_s, billed_seconds, amount_micros"
	rng := rand.New(rand.NewPCG(11, 11))
	if db.Driver == store.MySQL {
		r, w := io.Pipe()
		go func() {
			for i := range n {
				cells := row(i, rng)
				parts := make([]string, len(cells))
				for j, c := range cells {
					parts[j] = fmt.Sprint(c)
				}
				if _, err := io.WriteString(w, strings.Join(parts, "\t")+"\n"); err != nil {
					return
				}
			}
			w.Close()
		}()
		mysql.RegisterReaderHandler("bench_legs", func() io.Reader { return r })
		defer mysql.DeregisterReaderHandler("bench_legs")
		db.MustExec("LOAD DATA LOCAL INFILE 'Reader::bench_legs' INTO TABLE leg_charge (" + cols + ") SET plan_id = 1, currency = 'EUR', rating_status = 'ok'")
	} else {
		const rows = 500
		one := "(?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'EUR', 'ok')"
		stmt := "INSERT INTO leg_charge (" + cols + ", plan_id, currency, rating_status) VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
		tx := db.MustBegin()
		var args []any
		for i := range n {
			args = append(args, row(i, rng)...)
			if len(args) == rows*9 {
				tx.MustExec(stmt, args...)
				args = args[:0]
			}
			if i%200_000 == 199_999 {
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				tx = db.MustBegin()
			}
		}
		for j := 0; j < len(args); j += 9 {
			tx.MustExec("INSERT INTO leg_charge ("+cols+", plan_id, currency, rating_status) VALUES "+one, args[j:j+9]...)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: %d legs stored in %v", db.Driver, n, time.Since(began).Round(time.Second))
}
