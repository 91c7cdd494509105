package rating

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBuildAcceptsFixture(t *testing.T) {
	snapshot := mustBuild(t, fixture(t))
	if got := len(snapshot.trie.nodes); got != 15 {
		// root 1; 3,35,359,3598,35987,35988,35989: 7; 4,49,44: 3; 1: 1; 6,67,672: 3
		t.Errorf("trie has %d nodes, want 15", got)
	}
}

func TestBuildRejectsAndNamesTheRow(t *testing.T) {
	rateByID := func(data *TariffData, id int64) *Rate {
		for i := range data.Rates {
			if data.Rates[i].ID == id {
				return &data.Rates[i]
			}
		}
		t.Fatalf("no rate %d", id)
		return nil
	}
	ruleByID := func(data *TariffData, id int64) *BandRule {
		for i := range data.BandRules {
			if data.BandRules[i].ID == id {
				return &data.BandRules[i]
			}
		}
		t.Fatalf("no rule %d", id)
		return nil
	}
	cases := []struct {
		name  string
		tweak func(*TariffData)
		want  string
	}{
		{"duplicate plan id", func(d *TariffData) { d.Plans[1].ID = planRetail }, `plan id 1 ("us-night"): duplicate id`},
		{"plan without name", func(d *TariffData) { d.Plans[0].Name = "" }, `plan id 1 (""): empty name`},
		{"plan name with spaces", func(d *TariffData) { d.Plans[0].Name = "retail " }, `plan id 1 ("retail "): name "retail " has leading or trailing spaces`},
		{"lower-case currency", func(d *TariffData) { d.Plans[0].Currency = "eur" }, `plan id 1 ("retail"): currency "eur" is not a three-letter ISO 4217 code`},
		{"unknown time zone", func(d *TariffData) { d.Plans[0].TimeZone = "Europe/Sofai" }, `plan id 1 ("retail"): unknown time zone "Europe/Sofai"`},
		{"Local time zone", func(d *TariffData) { d.Plans[0].TimeZone = "Local" }, `plan id 1 ("retail"): unknown time zone "Local"`},
		{"missing rounding mode", func(d *TariffData) { d.Plans[0].Rounding = 0 }, `plan id 1 ("retail"): invalid rounding mode 0`},
		{"seven rounding decimals", func(d *TariffData) { d.Plans[0].RoundingDecimals = 7 }, `plan id 1 ("retail"): rounding decimals 7 not in 0..6`},
		{"unknown band policy", func(d *TariffData) { d.Plans[0].BandPolicy = 9 }, `plan id 1 ("retail"): invalid band policy 9`},
		{"duplicate zone name", func(d *TariffData) { d.Zones[1].Name = "Bulgaria fixed" }, `zone id 2 ("Bulgaria fixed"): name also used by zone id 1`},
		{"zone id 0", func(d *TariffData) { d.Zones[0].ID = 0 }, `zone id 0 ("Bulgaria fixed"): id must be positive`},
		{"prefix with a letter", func(d *TariffData) { d.Prefixes[2].Digits = "3598a" }, `prefix id 3 ("3598a"): must be 1 to 15 digits`},
		{"prefix of 16 digits", func(d *TariffData) { d.Prefixes[2].Digits = "3598812345678901" }, `prefix id 3 ("3598812345678901"): must be 1 to 15 digits`},
		{"empty prefix", func(d *TariffData) { d.Prefixes[2].Digits = "" }, `prefix id 3 (""): must be 1 to 15 digits`},
		{"prefix of an unknown zone", func(d *TariffData) { d.Prefixes[2].ZoneID = 77 }, `prefix id 3 ("35988"): unknown zone id 77`},
		{"duplicate prefix", func(d *TariffData) {
			d.Prefixes = append(d.Prefixes, Prefix{ID: 9, Digits: "35988", ZoneID: zoneFixed})
		},
			`prefix id 9 ("35988"): duplicate of prefix id 3`},
		{"band of an unknown plan", func(d *TariffData) { d.Bands[0].PlanID = 5 }, `band id 11 (plan id 5, "peak"): unknown plan id 5`},
		{"two bands of a plan with one name", func(d *TariffData) { d.Bands[1].Name = "peak" },
			`band id 12 (plan "retail", "peak"): name also used by band id 11 of the same plan`},
		{"rule from 24:00", func(d *TariffData) { ruleByID(d, 3).From = 24 * 60 },
			`band rule id 3 (plan "retail", band "offpeak"): from 1440 minutes not in 00:00..23:59`},
		{"rule to 24:01", func(d *TariffData) { ruleByID(d, 3).To = 24*60 + 1 },
			`band rule id 3 (plan "retail", band "offpeak"): to 1441 minutes not in 00:00..24:00`},
		{"rule without days", func(d *TariffData) { ruleByID(d, 3).Days = 0 },
			`band rule id 3 (plan "retail", band "offpeak"): days must be a non-empty set of weekdays`},
		{"rule of an unknown band", func(d *TariffData) { ruleByID(d, 3).BandID = 99 }, `band rule id 3 (band id 99): unknown band id 99`},
		{"week with a gap", func(d *TariffData) { ruleByID(d, 3).To = 7 * 60 },
			`plan id 1 ("retail"): Mon 07:00–08:00 is not covered by any band`},
		{"week with a gap over midnight", func(d *TariffData) { ruleByID(d, 4).To = 23 * 60 },
			`plan id 1 ("retail"): Fri 23:00–24:00 is not covered by any band`},
		{"plan without bands", func(d *TariffData) {
			d.Plans = append(d.Plans, Plan{ID: 3, Name: "empty", Currency: "EUR", TimeZone: "UTC", Rounding: RoundDown})
		}, `plan id 3 ("empty"): the whole week is not covered by any band`},
		{"week covered twice", func(d *TariffData) { ruleByID(d, 4).To = 8 * 60 },
			`plan id 1 ("retail"): Sat 00:00–08:00 is covered twice: band "offpeak" (rule id 4) and band "weekend" (rule id 5)`},
		{"holiday on 30 February", func(d *TariffData) { d.Holidays[0].Date = Date{2025, time.February, 30} },
			`holiday id 1 (plan "retail", 2025-02-30): invalid date`},
		{"holiday with another plan's band", func(d *TariffData) { d.Holidays[0].BandID = bandNight },
			`holiday id 1 (plan "retail", 2025-12-25): band "night" belongs to another plan`},
		{"two holidays on one date", func(d *TariffData) { d.Holidays[1].Date = d.Holidays[0].Date },
			`holiday id 2 (plan "retail", 2025-12-25): same date as holiday id 1`},
		{"next increment 0", func(d *TariffData) { rateByID(d, 112).NextIncrement = 0 },
			`rate id 112 (plan "retail", zone "Bulgaria mobile", band "peak"): next increment 0 not in 1..86400`},
		{"first increment 0", func(d *TariffData) { rateByID(d, 121).FirstIncrement = 0 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): first increment 0 not in 1..86400`},
		{"negative minimum duration", func(d *TariffData) { rateByID(d, 121).MinDuration = -1 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): minimum duration -1 not in 0..86400`},
		{"tiers not from 0", func(d *TariffData) { rateByID(d, 121).Tiers[0].FromSecond = 1 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): first tier starts at 1 s, not 0`},
		{"tiers not ascending", func(d *TariffData) { rateByID(d, 121).Tiers = []Tier{{0, 1}, {60, 1}, {60, 1}} },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): tier 3 starts at 60 s, not after 60 s`},
		{"no tiers", func(d *TariffData) { rateByID(d, 121).Tiers = nil },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): no tiers`},
		{"negative price", func(d *TariffData) { rateByID(d, 121).Tiers[1].PricePerMinute = -1 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): tier 2 price -0.000001 out of range`},
		{"negative connect fee", func(d *TariffData) { rateByID(d, 121).ConnectFee = -1 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): connect fee -0.000001 not in 0..`},
		{"huge maximum cost", func(d *TariffData) { rateByID(d, 121).MaxCost = MaxAmount + 1 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): maximum cost 1000000.000001 not in 0..`},
		{"no direction", func(d *TariffData) { rateByID(d, 121).Direction = 0 },
			`rate id 121 (plan "retail", zone "Germany", band "peak"): invalid direction 0`},
		{"band of another plan", func(d *TariffData) { rateByID(d, 121).BandID = bandDay },
			`rate id 121 (plan "retail", zone "Germany", band "day"): band "day" belongs to another plan`},
		{"unknown zone", func(d *TariffData) { rateByID(d, 121).ZoneID = 42 },
			`rate id 121 (plan "retail", zone id 42, band "peak"): unknown zone id 42`},
		{"valid_to before valid_from", func(d *TariffData) {
			r := rateByID(d, 112)
			r.ValidTo = r.ValidFrom.Add(-time.Hour)
		}, `rate id 112 (plan "retail", zone "Bulgaria mobile", band "peak"): valid to 2025-06-16T11:00:00+03:00 is not after valid from 2025-06-16T12:00:00+03:00`},
		{"overlapping validity", func(d *TariffData) {
			r := *rateByID(d, 112)
			r.ID, r.ValidFrom = 115, at(t, "Europe/Sofia", "2025-06-01 00:00:00")
			d.Rates = append(d.Rates, r)
		}, `rate id 115 (plan "retail", zone "Bulgaria mobile", band "peak", outgoing): validity overlaps rate id 111 (valid always to 2025-06-16T12:00:00+03:00)`},
		{"two open-ended rates", func(d *TariffData) {
			r := *rateByID(d, 121)
			r.ID = 125
			d.Rates = append(d.Rates, r)
		}, `rate id 125 (plan "retail", zone "Germany", band "peak", outgoing): validity overlaps rate id 121 (valid always to open-ended)`},
		{"duplicate rate id", func(d *TariffData) { rateByID(d, 122).ID = 121 },
			`rate id 121 (plan "retail", zone "Germany", band "offpeak"): duplicate id`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := fixture(t)
			tc.tweak(&data)
			snapshot, err := Build(data)
			var buildError *BuildError
			if !errors.As(err, &buildError) || snapshot != nil {
				t.Fatalf("Build = %v, %v; want a *BuildError", snapshot, err)
			}
			for _, problem := range buildError.Problems {
				if strings.HasPrefix(problem, tc.want) {
					return
				}
			}
			t.Errorf("problems %q\nlack %q", buildError.Problems, tc.want)
		})
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	data := fixture(t)
	data.Plans[0].Currency = "euro"
	data.Zones[2].Name = ""
	data.Rates[0].NextIncrement = 0
	_, err := Build(data)
	var buildError *BuildError
	if !errors.As(err, &buildError) || len(buildError.Problems) != 3 {
		t.Fatalf("Build: %v; want three problems", err)
	}
	if !strings.Contains(err.Error(), "; ") {
		t.Errorf("Error() does not join the problems: %q", err.Error())
	}
}

func TestBuildCapsTheNumberOfProblems(t *testing.T) {
	data := fixture(t)
	for i := range maxProblems + 5 {
		data.Prefixes = append(data.Prefixes, Prefix{ID: int64(100 + i), Digits: "x", ZoneID: zoneFixed})
	}
	_, err := Build(data)
	var buildError *BuildError
	if !errors.As(err, &buildError) || len(buildError.Problems) != maxProblems || buildError.Omitted != 5 {
		t.Fatalf("got %d problems, %d omitted; want %d and 5", len(buildError.Problems), buildError.Omitted, maxProblems)
	}
	if !strings.HasSuffix(err.Error(), "; and 5 more problems") {
		t.Errorf("Error() does not mention the omitted problems")
	}
}
