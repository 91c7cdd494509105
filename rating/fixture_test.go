package rating

import (
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo
)

// The fixture tariff of the hand-computed cases.
//
// Plan 1 "retail", Europe/Sofia, EUR, half-up to 2 decimals, split at bands:
//
//	peak     Mon–Fri 08:00–20:00
//	offpeak  Mon–Thu 20:00–08:00 (wraps), Mon 00:00–08:00, Fri 20:00–24:00
//	weekend  Sat, Sun; holidays 2025-12-25 and 2026-01-01
//
// Plan 2 "us-night", America/New_York, USD, up to 2 decimals, connect fee
// on unanswered calls: day 03:00–23:00, night 23:00–03:00, every day.
const (
	planRetail = 1
	planNight  = 2

	zoneFixed      = 1 // 359
	zoneMobile     = 2 // 35987, 35988, 35989
	zoneGermany    = 3 // 49
	zoneUSA        = 4 // 1
	zoneAntarctica = 5 // 672, no rates
	zoneUK         = 6 // 44, rates only from 2026

	bandPeak    = 11
	bandOffpeak = 12
	bandWeekend = 13
	bandDay     = 21
	bandNight   = 22
)

func mustMoney(t testing.TB, s string) Money {
	t.Helper()
	m, err := ParseMoney(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustTiers(t testing.TB, s string) []Tier {
	t.Helper()
	tiers, err := ParseTiers(s)
	if err != nil {
		t.Fatal(err)
	}
	return tiers
}

func mustLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	location, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return location
}

// at parses "2006-01-02 15:04:05" in the named zone.
func at(t testing.TB, zone, clock string) time.Time {
	t.Helper()
	moment, err := time.ParseInLocation(time.DateTime, clock, mustLocation(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	return moment
}

func fixture(t testing.TB) TariffData {
	t.Helper()
	rate := func(id, plan, zone, band int64, direction Direction, fee string, minimum, first, next int, tiers, maxCost string) Rate {
		return Rate{
			ID: id, PlanID: plan, ZoneID: zone, BandID: band, Direction: direction,
			ConnectFee: mustMoney(t, fee), MinDuration: minimum, FirstIncrement: first, NextIncrement: next,
			Tiers: mustTiers(t, tiers), MaxCost: mustMoney(t, maxCost),
		}
	}
	mobilePeakUntil := at(t, "Europe/Sofia", "2025-06-16 12:00:00")
	oldMobilePeak := rate(111, planRetail, zoneMobile, bandPeak, Outgoing, "0.10", 0, 30, 6, "0:0.30", "0")
	oldMobilePeak.ValidTo = mobilePeakUntil
	newMobilePeak := rate(112, planRetail, zoneMobile, bandPeak, Outgoing, "0.10", 0, 30, 6, "0:0.24", "0")
	newMobilePeak.ValidFrom = mobilePeakUntil
	ukPeak := rate(161, planRetail, zoneUK, bandPeak, Outgoing, "0", 0, 60, 60, "0:0.05", "0")
	ukPeak.ValidFrom = at(t, "Europe/Sofia", "2026-01-01 00:00:00")
	mon, monThu, monFri, fri := weekdays(t, "mon"), weekdays(t, "mon-thu"), weekdays(t, "mon-fri"), weekdays(t, "fri")

	return TariffData{
		Plans: []Plan{
			{ID: planRetail, Name: "retail", Currency: "EUR", TimeZone: "Europe/Sofia", Rounding: RoundHalfUp, RoundingDecimals: 2},
			{ID: planNight, Name: "us-night", Currency: "USD", TimeZone: "America/New_York", Rounding: RoundUp, RoundingDecimals: 2, ConnectFeeOnUnanswered: true},
		},
		Zones: []Zone{
			{ID: zoneFixed, Name: "Bulgaria fixed"}, {ID: zoneMobile, Name: "Bulgaria mobile"}, {ID: zoneGermany, Name: "Germany"},
			{ID: zoneUSA, Name: "USA"}, {ID: zoneAntarctica, Name: "Antarctica"}, {ID: zoneUK, Name: "United Kingdom"},
		},
		Prefixes: []Prefix{
			{1, "359", zoneFixed}, {2, "35987", zoneMobile}, {3, "35988", zoneMobile}, {4, "35989", zoneMobile},
			{5, "49", zoneGermany}, {6, "1", zoneUSA}, {7, "672", zoneAntarctica}, {8, "44", zoneUK},
		},
		Bands: []Band{
			{bandPeak, planRetail, "peak"}, {bandOffpeak, planRetail, "offpeak"}, {bandWeekend, planRetail, "weekend"},
			{bandDay, planNight, "day"}, {bandNight, planNight, "night"},
		},
		BandRules: []BandRule{
			{ID: 1, BandID: bandPeak, Days: monFri, From: 8 * 60, To: 20 * 60},
			{ID: 2, BandID: bandOffpeak, Days: monThu, From: 20 * 60, To: 8 * 60},
			{ID: 3, BandID: bandOffpeak, Days: mon, From: 0, To: 8 * 60},
			{ID: 4, BandID: bandOffpeak, Days: fri, From: 20 * 60, To: 24 * 60},
			{ID: 5, BandID: bandWeekend, Days: weekdays(t, "sat,sun"), From: 0, To: 24 * 60},
			{ID: 6, BandID: bandDay, Days: AllWeekdays, From: 3 * 60, To: 23 * 60},
			{ID: 7, BandID: bandNight, Days: AllWeekdays, From: 23 * 60, To: 3 * 60},
		},
		Holidays: []Holiday{
			{ID: 1, PlanID: planRetail, Date: Date{2025, time.December, 25}, BandID: bandWeekend},
			{ID: 2, PlanID: planRetail, Date: Date{2026, time.January, 1}, BandID: bandWeekend},
		},
		Rates: []Rate{
			rate(101, planRetail, zoneFixed, bandPeak, Outgoing, "0", 0, 60, 60, "0:0.10", "0"),
			rate(102, planRetail, zoneFixed, bandOffpeak, Outgoing, "0", 0, 60, 60, "0:0.05", "0"),
			rate(103, planRetail, zoneFixed, bandWeekend, Outgoing, "0", 0, 60, 60, "0:0.03", "0"),
			oldMobilePeak, newMobilePeak,
			rate(113, planRetail, zoneMobile, bandOffpeak, Outgoing, "0.10", 0, 30, 6, "0:0.18", "0"),
			rate(114, planRetail, zoneMobile, bandWeekend, Outgoing, "0.10", 0, 30, 6, "0:0.12", "0"),
			rate(121, planRetail, zoneGermany, bandPeak, Outgoing, "0.40", 0, 60, 1, "0:0.20;60:0.10", "0"),
			rate(122, planRetail, zoneGermany, bandOffpeak, Outgoing, "0.40", 0, 60, 1, "0:0.12;60:0.06", "0"),
			rate(123, planRetail, zoneGermany, bandWeekend, Outgoing, "0.40", 0, 60, 1, "0:0.12;60:0.06", "0"),
			rate(131, planRetail, zoneUSA, bandPeak, Outgoing, "0", 30, 1, 1, "0:0.06", "1.00"),
			rate(132, planRetail, zoneUSA, bandOffpeak, Outgoing, "0", 30, 1, 1, "0:0.04", "1.00"),
			rate(133, planRetail, zoneUSA, bandWeekend, Outgoing, "0", 30, 1, 1, "0:0.04", "1.00"),
			rate(141, planRetail, zoneMobile, bandPeak, Incoming, "0", 0, 1, 1, "0:0.02", "0"),
			rate(142, planRetail, zoneMobile, bandOffpeak, Incoming, "0", 0, 1, 1, "0:0.01", "0"),
			rate(143, planRetail, zoneMobile, bandWeekend, Incoming, "0", 0, 1, 1, "0:0.01", "0"),
			ukPeak,
			rate(201, planNight, zoneUSA, bandDay, Outgoing, "0.05", 0, 1, 1, "0:0.06", "0"),
			rate(202, planNight, zoneUSA, bandNight, Outgoing, "0.05", 0, 1, 1, "0:0.03", "0"),
		},
	}
}

func weekdays(t testing.TB, s string) Weekdays {
	t.Helper()
	days, err := ParseWeekdays(s)
	if err != nil {
		t.Fatal(err)
	}
	return days
}

func mustBuild(t testing.TB, data TariffData) *Snapshot {
	t.Helper()
	snapshot, err := Build(data)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot
}
