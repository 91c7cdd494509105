package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
)

// TestFoldSummaries: the shards of closed periods fold into shard 0 with
// the same sums; the current day's and month's stay, being written.
func TestFoldSummaries(t *testing.T) {
	db := testdb.Open(t, testdb.MySQL(t))
	ctx := context.Background()
	for shard, day := range []string{"2026-11-30", "2026-11-30", "2026-11-30", "2026-12-03", "2026-12-03"} {
		if _, err := db.ExecContext(ctx, "INSERT INTO cdr_daily VALUES (?, 1, 2, 3, 'mobile', 'gw', 'outgoing', 'EUR', 2, 1, 0, 120, 500000, ?)", day, shard); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO cdr_monthly_owner VALUES (?, 1, 2, 3, 'outgoing', 'EUR', 2, 1, 0, 120, 500000, ?)", day[:8]+"01", shard); err != nil {
			t.Fatal(err)
		}
	}
	folded, err := db.FoldSummaries(ctx, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// November 30: shards 1 and 2 of cdr_daily and of cdr_monthly_owner's
	// November; December is still being written.
	if folded != 4 {
		t.Errorf("folded %d rows, want 4", folded)
	}
	for _, c := range []struct {
		query string
		want  [2]int64
	}{
		{"SELECT COUNT(*), SUM(cost_micros) FROM cdr_daily WHERE day = '2026-11-30'", [2]int64{1, 1_500_000}},
		{"SELECT COUNT(*), SUM(calls) FROM cdr_daily WHERE day = '2026-11-30' AND shard = 0", [2]int64{1, 6}},
		{"SELECT COUNT(*), SUM(cost_micros) FROM cdr_daily WHERE day = '2026-12-03'", [2]int64{2, 1_000_000}},
		{"SELECT COUNT(*), SUM(billed_seconds) FROM cdr_monthly_owner WHERE month = '2026-11-01'", [2]int64{1, 360}},
		{"SELECT COUNT(*), SUM(billed_seconds) FROM cdr_monthly_owner WHERE month = '2026-12-01'", [2]int64{2, 240}},
	} {
		var got [2]int64
		if err := db.QueryRowContext(ctx, c.query).Scan(&got[0], &got[1]); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}
	if again, err := db.FoldSummaries(ctx, time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)); err != nil || again != 0 {
		t.Errorf("folding again: %d rows, %v", again, err)
	}
}
