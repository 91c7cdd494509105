package rating

import (
	"testing"
	"time"
)

func TestWeekdays(t *testing.T) {
	for text, want := range map[string]string{
		"mon-fri": "mon-fri", "sat,sun": "sat,sun", "SUN,Sat": "sat,sun", "fri-mon": "mon,fri-sun",
		"mon,wed-fri": "mon,wed-fri", "mon-sun": "mon-sun", "tue": "tue", "mon,tue": "mon,tue", " mon , tue-wed ": "mon-wed",
	} {
		days, err := ParseWeekdays(text)
		if err != nil || days.String() != want {
			t.Errorf("ParseWeekdays(%q) = %q, %v; want %q", text, days, err, want)
		}
	}
	for _, bad := range []string{"", "monday", "mon-", "-fri", "mon,,tue", "mon-fri-sat"} {
		if _, err := ParseWeekdays(bad); err == nil {
			t.Errorf("ParseWeekdays(%q) accepted", bad)
		}
	}
	for set := Weekdays(1); set <= AllWeekdays; set++ { // every set survives String → Parse
		if back, err := ParseWeekdays(set.String()); err != nil || back != set {
			t.Errorf("%07b → %q → %07b, %v", set, set, back, err)
		}
	}
	if !weekdays(t, "sat,sun").Has(time.Sunday) || weekdays(t, "mon-fri").Has(time.Sunday) {
		t.Error("Has")
	}
}

func TestTimeOfDay(t *testing.T) {
	for text, want := range map[string]TimeOfDay{"00:00": 0, "08:30": 510, "23:59": 1439, "24:00": 1440} {
		got, err := ParseTimeOfDay(text)
		if err != nil || got != want || got.String() != text {
			t.Errorf("ParseTimeOfDay(%q) = %d (%s), %v; want %d", text, got, got, err, want)
		}
	}
	for _, bad := range []string{"", "8:00", "08:60", "24:01", "-1:00", "+1:00", "08:00:00", "0800", "ab:cd"} {
		if _, err := ParseTimeOfDay(bad); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", bad)
		}
	}
}

func TestDate(t *testing.T) {
	date, err := ParseDate("2025-12-25")
	if err != nil || date != (Date{2025, time.December, 25}) || date.String() != "2025-12-25" {
		t.Errorf("ParseDate = %v, %v", date, err)
	}
	for _, bad := range []string{"2025-02-30", "2025-13-01", "25-12-25", "1899-12-31", "2025-12-25T00:00:00Z", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if got := (Date{1970, time.January, 2}).daysSinceEpoch(); got != 1 {
		t.Errorf("daysSinceEpoch = %d", got)
	}
}

func TestEnumNames(t *testing.T) {
	for _, mode := range []RoundingMode{RoundHalfUp, RoundUp, RoundDown} {
		if back, err := ParseRoundingMode(mode.String()); err != nil || back != mode {
			t.Errorf("rounding %v: %v, %v", mode, back, err)
		}
	}
	for _, policy := range []BandPolicy{BandSplit, BandStart} {
		if back, err := ParseBandPolicy(policy.String()); err != nil || back != policy {
			t.Errorf("policy %v: %v, %v", policy, back, err)
		}
	}
	for _, direction := range []Direction{Outgoing, Incoming} {
		if back, err := ParseDirection(direction.String()); err != nil || back != direction {
			t.Errorf("direction %v: %v, %v", direction, back, err)
		}
	}
	if _, err := ParseRoundingMode("nearest"); err == nil || err.Error() != `invalid rounding "nearest": want half_up, up, down` {
		t.Errorf("ParseRoundingMode error: %v", err)
	}
	want := map[Status]string{StatusOK: "ok", StatusUnknownPlan: "unknown_plan", StatusUnknownDestination: "unknown_destination",
		StatusNoRate: "no_rate", StatusInvalidCall: "invalid_call", 0: "status(0)"}
	for status, name := range want {
		if status.String() != name {
			t.Errorf("Status(%d) = %q, want %q", status, status, name)
		}
	}
}

func TestExactAmountMicros(t *testing.T) {
	// 0.40×60 s + 0.20×60 s + 0.10×1 s in sixtieths = 36,100,000 → 601,666.67 µ, shown as 601,666
	if got := ExactAmount(400_000*60 + 200_000*60 + 100_000*1).Micros(); got != 601_666 {
		t.Errorf("Micros = %d", got)
	}
}
