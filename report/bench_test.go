package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/reportbench"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

// BenchmarkMonthReport answers November's cost report by branch and by
// user over the benchmark's CDRs.
func BenchmarkMonthReport(b *testing.B) {
	for _, driver := range []string{store.SQLite, store.MySQL} {
		b.Run(driver, func(b *testing.B) {
			db := reportbench.Open(b, driver)
			for _, by := range []report.Dimension{report.ByBranch, report.ByUser, report.ByZone, report.ByDay} {
				b.Run(string(by), func(b *testing.B) {
					q := report.CostQuery{By: by, From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
					var lines int
					for b.Loop() {
						rep, err := report.Cost(context.Background(), db, q)
						if err != nil {
							b.Fatal(err)
						}
						lines = len(rep.Lines)
					}
					b.ReportMetric(float64(lines), "lines")
				})
			}
		})
	}
}
