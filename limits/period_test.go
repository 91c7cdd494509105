package limits

import (
	"testing"
	"time"
)

func TestPeriodAt(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		at         time.Time
		resetDay   int
		loc        *time.Location
		start, end string // local dates
	}{
		{"first of the month", time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC), 1, time.UTC, "2025-03-01", "2025-04-01"},
		{"on the reset midnight", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 1, time.UTC, "2025-03-01", "2025-04-01"},
		{"before the reset day", time.Date(2025, 3, 14, 23, 59, 59, 0, sofia), 15, sofia, "2025-02-15", "2025-03-15"},
		// 22:30 UTC on 14 March is already 00:30 on the 15th in Sofia.
		{"local midnight, not UTC", time.Date(2025, 3, 14, 22, 30, 0, 0, time.UTC), 15, sofia, "2025-03-15", "2025-04-15"},
		{"across new year", time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), 15, time.UTC, "2024-12-15", "2025-01-15"},
		{"into the new year", time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC), 15, time.UTC, "2025-12-15", "2026-01-15"},
		// The 31st does not exist in every month: the last day stands in.
		{"31st in February", time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC), 31, time.UTC, "2025-02-28", "2025-03-31"},
		{"31st before February's end", time.Date(2025, 2, 27, 12, 0, 0, 0, time.UTC), 31, time.UTC, "2025-01-31", "2025-02-28"},
		{"31st in a leap February", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), 31, time.UTC, "2024-02-29", "2024-03-31"},
		{"31st in April", time.Date(2025, 4, 30, 8, 0, 0, 0, time.UTC), 31, time.UTC, "2025-04-30", "2025-05-31"},
	}
	for _, c := range cases {
		p := periodAt(c.at, c.resetDay, c.loc)
		if got := p.Start.Format(dateLayout); got != c.start || p.Start.Hour() != 0 || p.Start.Location() != c.loc {
			t.Errorf("%s: starts %s, want %s 00:00 %s", c.name, p.Start, c.start, c.loc)
		}
		if got := p.End.Format(dateLayout); got != c.end {
			t.Errorf("%s: ends %s, want %s", c.name, got, c.end)
		}
		if c.at.Before(p.Start) || !c.at.Before(p.End) {
			t.Errorf("%s: %s is not in [%s, %s)", c.name, c.at, p.Start, p.End)
		}
	}
}
