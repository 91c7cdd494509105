package store

import (
	"testing"
	"time"
)

// formatTime writes what Time.Format writes with timeLayout, for times of
// every field width and zone.
func TestFormatTimeAsTimeFormat(t *testing.T) {
	zone := time.FixedZone("UTC+05:45", 5*3600+45*60)
	times := []time.Time{
		time.Date(2026, 11, 30, 9, 5, 7, 4_999_999, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 1, 3, 0, 0, 120_000_000, zone), // the previous day in UTC
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := range 1000 {
		times = append(times, time.Unix(int64(i)*7_919_993, int64(i)*1_234_567).In(zone))
	}
	for _, tm := range times {
		if got, want := formatTime(tm), tm.UTC().Format(timeLayout); got != want {
			t.Fatalf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}
