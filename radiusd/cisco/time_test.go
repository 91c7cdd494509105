package cisco

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	gatewayZone := time.FixedZone("gateway", 2*3600)
	utc := func(year int, month time.Month, day, hour, minute, second, millis int) time.Time {
		return time.Date(year, month, day, hour, minute, second, millis*int(time.Millisecond), time.UTC)
	}
	tests := []struct {
		in   string
		want Time
	}{
		{"14:30:25.429 UTC Wed Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 429)}},
		{"14:30:25.429 GMT Wed Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 429)}},
		{"14:30:25 UT Wed Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 0)}},
		{"14:30:25.4 Z Wed Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 400)}},
		{"*14:30:25.429 UTC Wed Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 429), NotAuthoritative: true}},
		{".14:30:25.429 UTC Wed Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 429), SyncLost: true}},
		{"  *14:30:25.429   UTC  Wed\tJan  3   2002  ", Time{Time: utc(2002, 1, 3, 14, 30, 25, 429), NotAuthoritative: true}},
		{"4:05:06.007 utc wed jan 23 2002", Time{Time: utc(2002, 1, 23, 4, 5, 6, 7)}},
		{"09:00:00.000 EST Mon Mar 4 2024", Time{Time: utc(2024, 3, 4, 14, 0, 0, 0)}},
		{"09:00:00.000 EDT Mon Jul 1 2024", Time{Time: utc(2024, 7, 1, 13, 0, 0, 0)}},
		{"09:00:00.000 PST Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 17, 0, 0, 0)}},
		{"09:00:00.000 CEST Mon Jul 1 2024", Time{Time: utc(2024, 7, 1, 7, 0, 0, 0)}},
		{"09:00:00.000 IST Mon Jul 1 2024", Time{Time: utc(2024, 7, 1, 3, 30, 0, 0)}},
		{"09:00:00.000 AEDT Mon Jan 1 2024", Time{Time: utc(2023, 12, 31, 22, 0, 0, 0)}},
		{"01:00:00.000 MSK Mon Jan 1 2024", Time{Time: utc(2023, 12, 31, 22, 0, 0, 0)}},
		{"09:00:00.000 GMT+4 Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 5, 0, 0, 0)}},
		{"09:00:00.000 GMT-5 Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 14, 0, 0, 0)}},
		{"09:00:00.000 UTC+05:30 Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 3, 30, 0, 0)}},
		{"09:00:00.000 UTC+5:45 Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 3, 15, 0, 0)}},
		{"09:00:00.000 GMT-0330 Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 12, 30, 0, 0)}},
		{"09:00:00.000 gmt+10 Mon Jan 1 2024", Time{Time: utc(2023, 12, 31, 23, 0, 0, 0)}},
		// Unknown zones are read in the fallback (UTC+2) and flagged.
		{"09:00:00.000 XYZ Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 7, 0, 0, 0), ZoneUnknown: true}},
		{"09:00:00.000 GMT+15 Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 7, 0, 0, 0), ZoneUnknown: true}},
		{"09:00:00.000 Europe/Paris Mon Jan 1 2024", Time{Time: utc(2024, 1, 1, 7, 0, 0, 0), ZoneUnknown: true}},
		// The weekday is not trusted: 23 Jan 2002 was a Wednesday.
		{"14:30:25.429 UTC Fri Jan 23 2002", Time{Time: utc(2002, 1, 23, 14, 30, 25, 429)}},
		{"23:59:59.999 UTC Thu Feb 29 2024", Time{Time: utc(2024, 2, 29, 23, 59, 59, 999)}},
		{"00:00:00.000 UTC Tue Feb 29 2000", Time{Time: utc(2000, 2, 29, 0, 0, 0, 0)}},
		{"00:00:00.123456789 UTC Tue Feb 29 2000", Time{Time: time.Date(2000, 2, 29, 0, 0, 0, 123456789, time.UTC)}},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, gatewayZone)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Time.Equal(tt.want.Time) || got.NotAuthoritative != tt.want.NotAuthoritative ||
			got.SyncLost != tt.want.SyncLost || got.ZoneUnknown != tt.want.ZoneUnknown {
			t.Errorf("ParseTime(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.Time.Location() != time.UTC {
			t.Errorf("ParseTime(%q) location %v, want UTC", tt.in, got.Time.Location())
		}
	}
}

func TestParseTimeNilFallbackIsUTC(t *testing.T) {
	got, err := ParseTime("09:00:00.000 XYZ Mon Jan 1 2024", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC); !got.Time.Equal(want) || !got.ZoneUnknown {
		t.Errorf("got %+v, want %v with ZoneUnknown", got, want)
	}
}

// A fallback with daylight saving is applied for the date in question.
func TestParseTimeFallbackFollowsDST(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	winter, err := ParseTime("12:00:00 LOCAL Mon Jan 1 2024", newYork)
	if err != nil {
		t.Fatal(err)
	}
	summer, err := ParseTime("12:00:00 LOCAL Mon Jul 1 2024", newYork)
	if err != nil {
		t.Fatal(err)
	}
	if winter.Time.Hour() != 17 || summer.Time.Hour() != 16 {
		t.Errorf("noon in New York: winter %v, summer %v; want 17:00 and 16:00 UTC", winter.Time, summer.Time)
	}
}

func TestParseTimeErrors(t *testing.T) {
	inputs := []string{
		"",
		"   ",
		"*",
		".",
		"14:30:25.429",
		"14:30:25.429 UTC Wed Jan 23",            // no year
		"14:30:25.429 UTC Wed Jan 23 2002 extra", // too many fields
		"14:30:25.429 Wed Jan 23 2002",           // no zone
		"h323-setup-time=14:30:25.429 UTC Wed Jan 23 2002",
		"14:30:25.429 UTC Wed Jax 23 2002",     // bad month
		"14:30:25.429 UTC Wed January 23 2002", // month not abbreviated
		"14:30:25.429 UTC Xyz Jan 23 2002",     // bad weekday
		"14:30:25.429 UTC Wed Jan 32 2002",
		"14:30:25.429 UTC Wed Jan 0 2002",
		"14:30:25.429 UTC Wed Jan 123 2002",
		"14:30:25.429 UTC Wed Apr 31 2002",
		"00:00:00.000 UTC Fri Feb 29 2002", // not a leap year
		"00:00:00.000 UTC Thu Feb 29 1900", // century, not a leap year
		"14:30:25.429 UTC Wed Jan 23 02",
		"14:30:25.429 UTC Wed Jan 23 20021",
		"14:30:25.429 UTC Wed Jan 23 2O02",
		"24:00:00.000 UTC Wed Jan 23 2002",
		"14:60:00.000 UTC Wed Jan 23 2002",
		"14:30:60.000 UTC Wed Jan 23 2002",
		"14:3:25.429 UTC Wed Jan 23 2002",
		"14:30:25. UTC Wed Jan 23 2002",
		"14:30:25.1234567890 UTC Wed Jan 23 2002",
		"14:30:25,429 UTC Wed Jan 23 2002",
		"14:30 UTC Wed Jan 23 2002",
		"-1:30:25 UTC Wed Jan 23 2002",
		"+1:30:25 UTC Wed Jan 23 2002",
		"**14:30:25.429 UTC Wed Jan 23 2002",
		"*.14:30:25.429 UTC Wed Jan 23 2002",
	}
	for _, in := range inputs {
		if got, err := ParseTime(in, time.UTC); err == nil {
			t.Errorf("ParseTime(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseTimeDoesNotAllocate(t *testing.T) {
	inputs := []string{
		"14:30:25.429 GMT Wed Jan 23 2002",
		"*14:30:25.429 CEST Wed Jan 23 2002",
		"14:30:25.429 UTC+05:30 Wed Jan 23 2002",
		"14:30:25.429 XYZ Wed Jan 23 2002",
	}
	for _, in := range inputs {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := ParseTime(in, time.UTC); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("ParseTime(%q) allocates %.0f times, want 0", in, allocs)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTime("*14:30:25.429 CEST Wed Jan 23 2002", time.UTC); err != nil {
			b.Fatal(err)
		}
	}
}
