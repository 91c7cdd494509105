package billing_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// millionPrefixTariff is one plan with a band covering the week, 1,000
// zones and a million distinct prefixes spread over them.
func millionPrefixTariff() rating.TariffData {
	data := rating.TariffData{
		Plans:     []rating.Plan{{ID: 1, Name: "big", Currency: "EUR", TimeZone: "Europe/Sofia", Rounding: rating.RoundHalfUp, RoundingDecimals: 2}},
		Bands:     []rating.Band{{ID: 1, PlanID: 1, Name: "all"}},
		BandRules: []rating.BandRule{{ID: 1, BandID: 1, Days: rating.AllWeekdays, From: 0, To: 0}},
	}
	for z := range 1000 {
		data.Zones = append(data.Zones, rating.Zone{ID: int64(z + 1), Name: fmt.Sprintf("zone %d", z)})
		data.Rates = append(data.Rates, rating.Rate{ID: int64(z + 1), PlanID: 1, ZoneID: int64(z + 1), BandID: 1, Direction: rating.Outgoing,
			FirstIncrement: 60, NextIncrement: 60, Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: rating.Money(10_000 + z)}}})
	}
	for i := range 1_000_000 {
		// 1000 three-digit country codes 100..999, each with 1000 four-digit extensions.
		digits := strconv.Itoa(100+i%900) + fmt.Sprintf("%04d", i/900)
		data.Prefixes = append(data.Prefixes, rating.Prefix{ID: int64(i + 1), Digits: digits, ZoneID: int64(i%1000 + 1)})
	}
	return data
}

// BenchmarkLoadTables1M measures what a radiusd does at start and on every
// reload with a million-prefix tariff: read the tables from the database
// and build the snapshot. Reports the peak RSS of the process.
func BenchmarkLoadTables1M(b *testing.B) {
	for _, backend := range []string{store.SQLite, store.MySQL} {
		b.Run(backend, func(b *testing.B) {
			be := testdb.SQLite(b)
			if backend == store.MySQL {
				be = testdb.MySQL(b)
			}
			db := testdb.Open(b, be)
			ctx := context.Background()
			if err := db.ImportTariffs(ctx, millionPrefixTariff()); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			b.ResetTimer()
			var tables *billing.Tables
			for b.Loop() {
				t, err := billing.Load(ctx, db)
				if err != nil {
					b.Fatal(err)
				}
				tables = t
			}
			b.StopTimer()
			runtime.KeepAlive(tables)
			b.ReportMetric(float64(peakRSS())/1e6, "peak-RSS-MB")
		})
	}
}

func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
