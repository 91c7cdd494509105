package settlement

import (
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/rating"
)

func TestReconcile(t *testing.T) {
	file := `start,calling,called,duration,amount
2026-11-20 10:00:02,5215550100,525512345678,120,0.12
2026-11-20 11:00:00,5215550100,525512345678,300,0.31
2026-11-20 12:00:00,5215550101,525512345679,60,0.09
2026-11-20 13:00:00,5215550102,525512345670,60,
`
	theirs, err := ReadPartnerCalls(strings.NewReader(file), "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	at := func(clock string) time.Time { v, _ := time.Parse(time.DateTime, "2026-11-20 "+clock); return v }
	ours := []OurCall{
		{DedupKey: "k1", Start: at("10:00:00"), Calling: "5215550100", Called: "525512345678", Duration: 120, Amount: 120_000}, // matches (2 s apart)
		{DedupKey: "k2", Start: at("11:00:01"), Calling: "5215550100", Called: "525512345678", Duration: 290, Amount: 290_000}, // 10 s shorter
		{DedupKey: "k3", Start: at("12:00:00"), Calling: "5215550101", Called: "525512345679", Duration: 60, Amount: 60_000},   // amount differs
		{DedupKey: "k4", Start: at("14:00:00"), Calling: "5215550103", Called: "525512345671", Duration: 60, Amount: 60_000},   // not theirs
	}
	rec := reconcile(ours, theirs, Tolerance{Start: 5 * time.Second, Duration: 1, Amount: rating.Money(10_000)})
	if rec.Matched != 1 || rec.Differing != 2 || rec.OnlyOurs != 1 || rec.OnlyTheirs != 1 || len(rec.Lines) != 4 {
		t.Fatalf("%+v", rec)
	}
	want := []string{"duration 290 s ours, 300 s theirs; amount 0.290000 ours, 0.310000 theirs", "amount 0.060000 ours, 0.090000 theirs", "missing in ours", "missing in theirs"}
	for i, l := range rec.Lines {
		if l.Problem != want[i] {
			t.Errorf("line %d: %q, want %q", i, l.Problem, want[i])
		}
	}
	if _, err := ReadPartnerCalls(strings.NewReader("start,calling,called,duration\nyesterday,1,2,3\n2026-11-20 10:00:00,1,2,-1\n"), "b.csv"); err == nil ||
		!strings.Contains(err.Error(), "b.csv:2: start") || !strings.Contains(err.Error(), "b.csv:3: duration") {
		t.Fatalf("bad rows: %v", err)
	}
	if _, err := ReadPartnerCalls(strings.NewReader("when,calling,called,duration\n"), "c.csv"); err == nil || !strings.Contains(err.Error(), `no "start" column`) {
		t.Fatalf("no start column: %v", err)
	}
}
