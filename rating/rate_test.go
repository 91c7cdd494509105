package rating

import (
	"testing"
	"time"
)

type wantPart struct {
	band          string
	seconds       int64
	billedSeconds int64
	start         string // UTC "2006-01-02 15:04:05"; "" = not checked
	amount        string // unrounded, in currency units; "" = not checked
}

type rateCase struct {
	name   string
	tweak  func(*TariffData) // changes the fixture for this case only
	call   Call
	status Status
	zone   string
	prefix string
	band   string
	billed int64
	parts  []wantPart
	cost   string
	capped bool
}

func setPlan(id int64, change func(*Plan)) func(*TariffData) {
	return func(data *TariffData) {
		for i := range data.Plans {
			if data.Plans[i].ID == id {
				change(&data.Plans[i])
			}
		}
	}
}

const (
	berlin    = "4930123456"
	sofiaFix  = "35929876543"
	sofiaMob  = "359888123456"
	newYork   = "12125550100"
	london    = "442071234567"
	mcmurdo   = "6721234"
	nowhere   = "8881234567"
	sofiaZone = "Europe/Sofia"
	utcZone   = "UTC"
)

// Every expected cost below is worked out by hand in the comment beside it:
// price per minute × billed seconds / 60, plus the connect fee, then the
// plan's rounding. Retail rounds half-up to 2 decimals; us-night rounds up.
func rateCases(t *testing.T) []rateCase {
	sofia := func(clock string) time.Time { return at(t, sofiaZone, clock) }
	utc := func(clock string) time.Time { return at(t, utcZone, clock) }
	retail := func(number, clock string, seconds int64) Call {
		return Call{PlanID: planRetail, Called: number, ConnectTime: sofia(clock), DurationSeconds: seconds, Direction: Outgoing}
	}
	night := func(clock string, seconds int64) Call {
		return Call{PlanID: planNight, Called: newYork, ConnectTime: utc(clock), DurationSeconds: seconds, Direction: Outgoing}
	}
	incoming := func(call Call) Call { call.Direction = Incoming; return call }
	rounding := func(mode RoundingMode, decimals int) func(*TariffData) {
		return setPlan(planNight, func(p *Plan) { p.Rounding, p.RoundingDecimals = mode, decimals })
	}

	return []rateCase{
		// 60/1, fee 0.40, tiers 0 s: 0.20, 60 s: 0.10. Tue 10:00 is peak.
		{name: "worked example 120 s", call: retail(berlin, "2025-06-10 10:00:00", 120),
			// 0.40 + 0.20×60/60 + 0.10×60/60 = 0.40 + 0.20 + 0.10 = 0.70
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 120,
			parts: []wantPart{{"peak", 120, 120, "2025-06-10 07:00:00", "0.30"}}, cost: "0.70"},
		{name: "second tier for one second", call: retail(berlin, "2025-06-10 10:00:00", 61),
			// 0.40 + 0.20 + 0.10×1/60 = 0.601666… → 0.60
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 61,
			parts: []wantPart{{"peak", 61, 61, "", ""}}, cost: "0.60"},
		{name: "first increment 60 s for a 1 s call", call: retail(berlin, "2025-06-10 10:00:00", 1),
			// billed 60: 0.40 + 0.20 = 0.60
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 60,
			parts: []wantPart{{"peak", 1, 60, "", "0.20"}}, cost: "0.60"},
		{name: "unanswered costs nothing", call: retail(berlin, "2025-06-10 10:00:00", 0),
			// 0 s → nothing billed, no connect fee (flag off)
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 0, cost: "0.00"},
		{name: "unanswered with connect fee flag",
			tweak: setPlan(planRetail, func(p *Plan) { p.ConnectFeeOnUnanswered = true }),
			call:  retail(berlin, "2025-06-10 10:00:00", 0),
			// exactly the connect fee 0.40
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 0, cost: "0.40"},
		{name: "30/6 increments 31 s", call: retail(sofiaMob, "2025-06-13 10:00:00", 31),
			// billed 30+6 = 36: 0.10 + 0.30×36/60 = 0.10 + 0.18 = 0.28
			status: StatusOK, zone: "Bulgaria mobile", prefix: "35988", band: "peak", billed: 36,
			parts: []wantPart{{"peak", 31, 36, "", "0.18"}}, cost: "0.28"},
		{name: "30/6 increments 1 s", call: retail(sofiaMob, "2025-06-13 10:00:00", 1),
			// billed 30: 0.10 + 0.30×30/60 = 0.25
			status: StatusOK, zone: "Bulgaria mobile", prefix: "35988", band: "peak", billed: 30, cost: "0.25"},
		{name: "shorter overlapping prefix 359", call: retail(sofiaFix, "2025-06-10 10:00:00", 61),
			// 359 2… is fixed, not mobile; 60/60 bills 61 s as 120: 0.10×2 = 0.20
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "peak", billed: 120, cost: "0.20"},
		{name: "rate in force at connect time runs past its valid_to", call: retail(sofiaMob, "2025-06-16 11:59:00", 120),
			// rate 111 ends 12:00; billed 30 + 15×6 = 120: 0.10 + 0.30×2 = 0.70
			status: StatusOK, zone: "Bulgaria mobile", prefix: "35988", band: "peak", billed: 120,
			parts: []wantPart{{"peak", 120, 120, "", "0.60"}}, cost: "0.70"},
		{name: "new rate from its valid_from", call: retail(sofiaMob, "2025-06-16 12:00:00", 120),
			// rate 112: 0.10 + 0.24×2 = 0.58
			status: StatusOK, zone: "Bulgaria mobile", prefix: "35988", band: "peak", billed: 120, cost: "0.58"},
		{name: "midnight Friday into the weekend, billed tail", call: retail(sofiaFix, "2025-06-13 23:59:30", 45),
			// billed 60: 30 s offpeak 0.05×30/60 = 0.025; 30 s weekend (15 real) 0.03×30/60 = 0.015; 0.04
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "offpeak", billed: 60,
			parts: []wantPart{
				{"offpeak", 30, 30, "2025-06-13 20:59:30", "0.025"},
				{"weekend", 15, 30, "2025-06-13 21:00:00", "0.015"},
			}, cost: "0.04"},
		{name: "midnight within one band stays one part", call: retail(sofiaFix, "2025-06-10 23:59:00", 120),
			// Tue 23:59 → Wed 00:01, offpeak throughout: 0.05×2 = 0.10
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "offpeak", billed: 120,
			parts: []wantPart{{"offpeak", 120, 120, "", "0.10"}}, cost: "0.10"},
		{name: "peak to offpeak at 20:00, tiers by elapsed time", call: retail(berlin, "2025-06-10 19:59:00", 120),
			// peak [0,60) 0.20; offpeak [60,120) in its 60 s tier 0.06; fee 0.40 → 0.66
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 120,
			parts: []wantPart{
				{"peak", 60, 60, "2025-06-10 16:59:00", "0.20"},
				{"offpeak", 60, 60, "2025-06-10 17:00:00", "0.06"},
			}, cost: "0.66"},
		{name: "band split inside the first tier", call: retail(berlin, "2025-06-10 19:59:30", 120),
			// peak [0,30) 0.20×30/60 = 0.10; offpeak [30,60) 0.12×30/60 = 0.06 + [60,120) 0.06 = 0.12; +0.40 = 0.62
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 120,
			parts: []wantPart{{"peak", 30, 30, "", "0.10"}, {"offpeak", 90, 90, "", "0.12"}}, cost: "0.62"},
		{name: "start-band policy prices the whole call at peak",
			tweak: setPlan(planRetail, func(p *Plan) { p.BandPolicy = BandStart }),
			call:  retail(berlin, "2025-06-10 19:59:00", 120),
			// as the worked example: 0.40 + 0.20 + 0.10 = 0.70
			status: StatusOK, zone: "Germany", prefix: "49", band: "peak", billed: 120,
			parts: []wantPart{{"peak", 120, 120, "2025-06-10 16:59:00", "0.30"}}, cost: "0.70"},
		{name: "offpeak to peak at 08:00, fee from the start band", call: retail(sofiaMob, "2025-06-09 07:59:40", 50),
			// billed 30 + 4×6 = 54: offpeak 20 s 0.18×20/60 = 0.06; peak 34 s (30 real) 0.30×34/60 = 0.17;
			// fee 0.10 → 0.33
			status: StatusOK, zone: "Bulgaria mobile", prefix: "35988", band: "offpeak", billed: 54,
			parts: []wantPart{{"offpeak", 20, 20, "", "0.06"}, {"peak", 30, 34, "2025-06-09 05:00:00", "0.17"}}, cost: "0.33"},
		{name: "weekend", call: retail(sofiaFix, "2025-06-14 12:00:00", 600),
			// 0.03×10 = 0.30
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "weekend", billed: 600, cost: "0.30"},
		{name: "holiday on a Thursday takes the weekend band", call: retail(sofiaFix, "2025-12-25 10:00:00", 600),
			// 0.03×10 = 0.30 (peak would be 1.00)
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "weekend", billed: 600, cost: "0.30"},
		{name: "into a holiday at midnight", call: retail(sofiaFix, "2025-12-24 23:59:00", 120),
			// offpeak 0.05 + weekend 0.03 = 0.08
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "offpeak", billed: 120,
			parts: []wantPart{{"offpeak", 60, 60, "", "0.05"}, {"weekend", 60, 60, "2025-12-24 22:00:00", "0.03"}}, cost: "0.08"},
		{name: "out of a holiday at midnight", call: retail(berlin, "2025-12-25 23:59:00", 120),
			// weekend [0,60) 0.12; offpeak [60,120) at its 60 s tier 0.06; fee 0.40 → 0.58
			status: StatusOK, zone: "Germany", prefix: "49", band: "weekend", billed: 120,
			parts: []wantPart{{"weekend", 60, 60, "", "0.12"}, {"offpeak", 60, 60, "2025-12-25 22:00:00", "0.06"}}, cost: "0.58"},
		{name: "Sofia after spring forward: 08:00 EEST is 05:00 UTC", call: retail(sofiaFix, "2025-03-31 07:59:00", 120),
			// offpeak 0.05 + peak 0.10 = 0.15
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "offpeak", billed: 120,
			parts: []wantPart{{"offpeak", 60, 60, "2025-03-31 04:59:00", "0.05"}, {"peak", 60, 60, "2025-03-31 05:00:00", "0.10"}}, cost: "0.15"},
		{name: "Sofia after fall back: 08:00 EET is 06:00 UTC", call: retail(sofiaFix, "2025-10-27 07:59:00", 120),
			// offpeak 0.05 + peak 0.10 = 0.15
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "offpeak", billed: 120,
			parts: []wantPart{{"offpeak", 60, 60, "2025-10-27 05:59:00", "0.05"}, {"peak", 60, 60, "2025-10-27 06:00:00", "0.10"}}, cost: "0.15"},
		{name: "Sofia spring forward inside a weekend call", call: Call{PlanID: planRetail, Called: sofiaFix,
			ConnectTime: utc("2025-03-30 00:50:00"), DurationSeconds: 1200, Direction: Outgoing},
			// 02:50 EET; clocks jump 03:00 → 04:00; still weekend: 0.03×20 = 0.60, one part
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "weekend", billed: 1200,
			parts: []wantPart{{"weekend", 1200, 1200, "2025-03-30 00:50:00", "0.60"}}, cost: "0.60"},
		{name: "Sunday midnight just after spring forward", call: retail(sofiaFix, "2025-03-30 23:59:00", 120),
			// weekend 0.03 + offpeak 0.05 = 0.08; Monday starts 21:00 UTC (EEST)
			status: StatusOK, zone: "Bulgaria fixed", prefix: "359", band: "weekend", billed: 120,
			parts: []wantPart{{"weekend", 60, 60, "", "0.03"}, {"offpeak", 60, 60, "2025-03-30 21:00:00", "0.05"}}, cost: "0.08"},
		{name: "minimum duration 30 s", call: retail(newYork, "2025-06-10 10:00:00", 10),
			// billed 30: 0.06×30/60 = 0.03
			status: StatusOK, zone: "USA", prefix: "1", band: "peak", billed: 30, parts: []wantPart{{"peak", 10, 30, "", "0.03"}}, cost: "0.03"},
		{name: "below the cap", call: retail(newYork, "2025-06-10 10:00:00", 600),
			// 0.06×10 = 0.60 < 1.00
			status: StatusOK, zone: "USA", prefix: "1", band: "peak", billed: 600, cost: "0.60"},
		{name: "maximum cost cap", call: retail(newYork, "2025-06-10 10:00:00", 1200),
			// 0.06×20 = 1.20 → capped at 1.00
			status: StatusOK, zone: "USA", prefix: "1", band: "peak", billed: 1200,
			parts: []wantPart{{"peak", 1200, 1200, "", "1.20"}}, cost: "1.00", capped: true},
		{name: "incoming", call: incoming(retail(sofiaMob, "2025-06-10 10:00:00", 90)),
			// 1/1: 0.02×90/60 = 0.03
			status: StatusOK, zone: "Bulgaria mobile", prefix: "35988", band: "peak", billed: 90, cost: "0.03"},
		{name: "incoming without an incoming rate", call: incoming(retail(berlin, "2025-06-10 10:00:00", 90)),
			status: StatusNoRate, zone: "Germany", prefix: "49", band: "peak", cost: "0.00"},
		{name: "unknown destination", call: retail(nowhere, "2025-06-10 10:00:00", 90),
			status: StatusUnknownDestination, cost: "0.00"},
		{name: "zone without rates", call: retail(mcmurdo, "2025-06-10 10:00:00", 90),
			status: StatusNoRate, zone: "Antarctica", prefix: "672", band: "peak", cost: "0.00"},
		{name: "rate not yet in force", call: retail(london, "2025-06-10 10:00:00", 60),
			status: StatusNoRate, zone: "United Kingdom", prefix: "44", band: "peak", cost: "0.00"},
		{name: "rate in force from 2026", call: retail(london, "2026-01-05 10:00:00", 60),
			// 0.05×1 = 0.05
			status: StatusOK, zone: "United Kingdom", prefix: "44", band: "peak", billed: 60, cost: "0.05"},
		{name: "no rate for a band the call runs into", call: retail(london, "2026-01-05 19:59:00", 120),
			// peak has a rate, offpeak has none: the call cannot be priced
			status: StatusNoRate, zone: "United Kingdom", prefix: "44", band: "peak", cost: "0.00"},
		{name: "unknown plan", call: Call{PlanID: 99, Called: berlin, ConnectTime: sofia("2025-06-10 10:00:00"), DurationSeconds: 60, Direction: Outgoing},
			status: StatusUnknownPlan, cost: "0.00"},
		{name: "number with a plus sign", call: retail("+"+berlin, "2025-06-10 10:00:00", 60),
			status: StatusInvalidCall, cost: "0.00"},
		{name: "negative duration", call: retail(berlin, "2025-06-10 10:00:00", -1),
			status: StatusInvalidCall, cost: "0.00"},
		{name: "zero connect time", call: Call{PlanID: planRetail, Called: berlin, DurationSeconds: 60, Direction: Outgoing},
			status: StatusInvalidCall, cost: "0.00"},

		// us-night: fee 0.05, 1/1, day 0.06, night 0.03.
		{name: "New York spring forward splits at the jump", call: night("2025-03-09 06:50:00", 1200),
			// 01:50 EST; at 07:00 UTC clocks jump to 03:00 EDT, day begins:
			// night 0.03×10 = 0.30, day 0.06×10 = 0.60, fee 0.05 → 0.95
			status: StatusOK, zone: "USA", prefix: "1", band: "night", billed: 1200,
			parts: []wantPart{{"night", 600, 600, "2025-03-09 06:50:00", "0.30"}, {"day", 600, 600, "2025-03-09 07:00:00", "0.60"}}, cost: "0.95"},
		{name: "New York fall back: the repeated hour is still night", call: night("2025-11-02 05:50:00", 4800),
			// 01:50 EDT; 03:00 EST (08:00 UTC) is 130 min away: 0.03×80 = 2.40 + 0.05 = 2.45
			status: StatusOK, zone: "USA", prefix: "1", band: "night", billed: 4800,
			parts: []wantPart{{"night", 4800, 4800, "", "2.40"}}, cost: "2.45"},
		{name: "New York fall back: day starts 03:00 EST", call: night("2025-11-02 07:50:00", 1200),
			// 02:50 EST: night 0.30 + day 0.60 + 0.05 = 0.95
			status: StatusOK, zone: "USA", prefix: "1", band: "night", billed: 1200,
			parts: []wantPart{{"night", 600, 600, "", "0.30"}, {"day", 600, 600, "2025-11-02 08:00:00", "0.60"}}, cost: "0.95"},
		{name: "unanswered with connect fee", call: night("2025-06-10 16:00:00", 0),
			// exactly the fee 0.05
			status: StatusOK, zone: "USA", prefix: "1", band: "day", cost: "0.05"},
		{name: "round up to 2 decimals", call: night("2025-06-10 16:00:00", 1),
			// 0.05 + 0.06/60 = 0.051 → 0.06
			status: StatusOK, zone: "USA", prefix: "1", band: "day", billed: 1, cost: "0.06"},
		{name: "round half-up to 2 decimals, below half", tweak: rounding(RoundHalfUp, 2), call: night("2025-06-10 16:00:00", 1),
			// 0.051 → 0.05
			status: StatusOK, zone: "USA", prefix: "1", band: "day", billed: 1, cost: "0.05"},
		{name: "round half-up to 2 decimals, exact half", tweak: rounding(RoundHalfUp, 2), call: night("2025-06-10 16:00:00", 5),
			// 0.05 + 0.06×5/60 = 0.055 → 0.06
			status: StatusOK, zone: "USA", prefix: "1", band: "day", billed: 5, cost: "0.06"},
		{name: "round down to 2 decimals", tweak: rounding(RoundDown, 2), call: night("2025-06-10 16:00:00", 7),
			// 0.05 + 0.06×7/60 = 0.057 → 0.05
			status: StatusOK, zone: "USA", prefix: "1", band: "day", billed: 7, cost: "0.05"},
		{name: "round up to 0 decimals", tweak: rounding(RoundUp, 0), call: night("2025-03-09 06:50:00", 1200),
			// 0.95 → 1
			status: StatusOK, zone: "USA", prefix: "1", band: "night", billed: 1200, cost: "1.00"},
		{name: "round half-up to 0 decimals, exact half", tweak: rounding(RoundHalfUp, 0), call: night("2025-06-10 16:00:00", 450),
			// 0.05 + 0.06×450/60 = 0.05 + 0.45 = 0.50 → 1
			status: StatusOK, zone: "USA", prefix: "1", band: "day", billed: 450, cost: "1.00"},
		{name: "round half-up to 0 decimals, below half", tweak: rounding(RoundHalfUp, 0), call: night("2025-11-02 05:50:00", 4800),
			// 2.45 → 2
			status: StatusOK, zone: "USA", prefix: "1", band: "night", billed: 4800, cost: "2.00"},
		{name: "round down to 0 decimals", tweak: rounding(RoundDown, 0), call: night("2025-03-09 06:50:00", 1200),
			// 0.95 → 0
			status: StatusOK, zone: "USA", prefix: "1", band: "night", billed: 1200, cost: "0.00"},
	}
}

func TestRateHandComputedCases(t *testing.T) {
	cases := rateCases(t)
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := fixture(t)
			if tc.tweak != nil {
				tc.tweak(&data)
			}
			charge := mustBuild(t, data).Rate(tc.call)
			checkCharge(t, charge, tc)
		})
	}
}

func checkCharge(t *testing.T, charge Charge, tc rateCase) {
	t.Helper()
	if charge.Status != tc.status {
		t.Fatalf("status %v, want %v", charge.Status, tc.status)
	}
	if charge.Zone.Name != tc.zone || charge.Prefix != tc.prefix || charge.Band.Name != tc.band {
		t.Errorf("zone %q prefix %q band %q, want %q %q %q", charge.Zone.Name, charge.Prefix, charge.Band.Name, tc.zone, tc.prefix, tc.band)
	}
	if got := charge.Cost.Format(2); got != tc.cost {
		t.Errorf("cost %s, want %s", charge.Cost, tc.cost)
	}
	if charge.Capped != tc.capped {
		t.Errorf("capped %v, want %v", charge.Capped, tc.capped)
	}
	if charge.Status != StatusOK {
		if len(charge.Parts) != 0 || charge.Cost != 0 || charge.BilledSeconds != 0 || charge.RateID != 0 {
			t.Errorf("status %v with parts %v and cost %s", charge.Status, charge.Parts, charge.Cost)
		}
		return
	}
	if charge.BilledSeconds != tc.billed {
		t.Errorf("billed %d s, want %d s", charge.BilledSeconds, tc.billed)
	}
	if tc.parts == nil {
		return
	}
	if len(charge.Parts) != len(tc.parts) {
		t.Fatalf("parts %+v, want %+v", charge.Parts, tc.parts)
	}
	for i, want := range tc.parts {
		got := charge.Parts[i]
		if got.Band.Name != want.band || got.Seconds != want.seconds || got.BilledSeconds != want.billedSeconds {
			t.Errorf("part %d: %s %d s billed %d s, want %s %d s billed %d s", i, got.Band.Name, got.Seconds, got.BilledSeconds,
				want.band, want.seconds, want.billedSeconds)
		}
		if want.start != "" && got.Start.UTC().Format(time.DateTime) != want.start {
			t.Errorf("part %d starts %s, want %s UTC", i, got.Start.UTC().Format(time.DateTime), want.start)
		}
		if want.amount != "" && got.Amount != ExactAmount(mustMoney(t, want.amount))*60 {
			t.Errorf("part %d amount %d/60 µ, want %s", i, got.Amount, want.amount)
		}
	}
}

// A carrier's deck prices a number by the carrier's own longest prefix:
// a plan without the longest prefix's zone falls back to the next one it
// rates when the call asks for it, and only then.
func TestNearestRatedPrefix(t *testing.T) {
	all := Weekdays(0x7f)
	data := TariffData{
		Plans: []Plan{{ID: 1, Name: "carrier-a", Currency: "EUR", TimeZone: "UTC", Rounding: RoundHalfUp, RoundingDecimals: 4},
			{ID: 2, Name: "carrier-b", Currency: "EUR", TimeZone: "UTC", Rounding: RoundHalfUp, RoundingDecimals: 4}},
		Zones:     []Zone{{ID: 1, Name: "Bulgaria"}, {ID: 2, Name: "Bulgaria mobile"}},
		Prefixes:  []Prefix{{ID: 1, Digits: "359", ZoneID: 1}, {ID: 2, Digits: "35988", ZoneID: 2}},
		Bands:     []Band{{ID: 1, PlanID: 1, Name: "all"}, {ID: 2, PlanID: 2, Name: "all"}},
		BandRules: []BandRule{{ID: 1, BandID: 1, Days: all, From: 0, To: 24 * 60}, {ID: 2, BandID: 2, Days: all, From: 0, To: 24 * 60}},
		Rates: []Rate{
			{ID: 1, PlanID: 1, ZoneID: 1, BandID: 1, Direction: Outgoing, FirstIncrement: 60, NextIncrement: 60, Tiers: []Tier{{PricePerMinute: 20_000}}},
			{ID: 2, PlanID: 2, ZoneID: 1, BandID: 2, Direction: Outgoing, FirstIncrement: 60, NextIncrement: 60, Tiers: []Tier{{PricePerMinute: 10_000}}},
			{ID: 3, PlanID: 2, ZoneID: 2, BandID: 2, Direction: Outgoing, FirstIncrement: 60, NextIncrement: 60, Tiers: []Tier{{PricePerMinute: 90_000}}},
		},
	}
	s := mustBuild(t, data)
	call := Call{PlanID: 1, Called: "359888123456", ConnectTime: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC), DurationSeconds: 60, Direction: Outgoing}
	if c := s.Rate(call); c.Status != StatusNoRate {
		t.Fatalf("without the fallback: %v", c.Status)
	}
	call.NearestRatedPrefix = true
	if c := s.Rate(call); c.Status != StatusOK || c.Cost != 20_000 || c.Zone.Name != "Bulgaria" || c.Prefix != "359" {
		t.Fatalf("carrier A by its 359: %+v", c)
	}
	call.PlanID = 2 // has the longer prefix: its dearer 35988 price, never its cheaper 359
	if c := s.Rate(call); c.Status != StatusOK || c.Cost != 90_000 || c.Prefix != "35988" {
		t.Fatalf("carrier B by its 35988: %+v", c)
	}
}
