package tariffcsv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo

	"github.com/radbill/radbill/rating"
)

// readSample reads testdata/sample, its files given in reverse dependency
// order to show that ReadAll orders them.
func readSample(t testing.TB) rating.TariffData {
	t.Helper()
	var files []File
	for _, kind := range slices.Backward(Kinds()) {
		content, err := os.ReadFile(filepath.Join("testdata", "sample", kind.FileName()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Name: kind.FileName(), Reader: bytes.NewReader(content)})
	}
	var data rating.TariffData
	if err := ReadAll(&data, files...); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSampleBuildsAndRates(t *testing.T) {
	data := readSample(t)
	counts := []int{len(data.Plans), len(data.Zones), len(data.Prefixes), len(data.Bands), len(data.BandRules), len(data.Holidays), len(data.Rates)}
	if want := []int{2, 4, 6, 4, 6, 5, 20}; !slices.Equal(counts, want) {
		t.Fatalf("plans, zones, prefixes, bands, rules, holidays, rates = %v, want %v", counts, want)
	}
	snapshot, err := rating.Build(data)
	if err != nil {
		t.Fatal(err)
	}
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	call := func(plan int64, number, clock string, seconds int64) rating.Call {
		at, err := time.ParseInLocation(time.DateTime, clock, sofia)
		if err != nil {
			t.Fatal(err)
		}
		return rating.Call{PlanID: plan, Called: number, ConnectTime: at, DurationSeconds: seconds, Direction: rating.Outgoing}
	}
	retail, business := data.Plans[0].ID, data.Plans[1].ID
	cases := []struct {
		call rating.Call
		cost string
	}{
		// Germany peak: 0.40 + 0.20×60/60 + 0.10×60/60 = 0.70
		{call(retail, "4930123456", "2025-06-10 10:00:00", 120), "0.70"},
		// mobile peak after the 2026-01-15 price change, 30/6: billed 36 s, 0.10 + 0.24×36/60 = 0.244 → 0.24
		{call(retail, "359888123456", "2026-01-19 10:00:00", 31), "0.24"},
		// the same before it: 0.10 + 0.30×36/60 = 0.28
		{call(retail, "359888123456", "2026-01-14 10:00:00", 31), "0.28"},
		// 2026-03-03 is a Tuesday holiday: weekend 0.03×10 = 0.30
		{call(retail, "35929876543", "2026-03-03 10:00:00", 600), "0.30"},
		// business, one band: 0.05 + 0.15×36/60 = 0.14
		{call(business, "359888123456", "2025-06-14 10:00:00", 31), "0.14"},
		// business charges the connect fee on an unanswered call
		{call(business, "359888123456", "2025-06-14 10:00:00", 0), "0.05"},
	}
	for _, tc := range cases {
		charge := snapshot.Rate(tc.call)
		if charge.Status != rating.StatusOK || charge.Cost.Format(2) != tc.cost {
			t.Errorf("%s at %s for %d s: %v %s, want ok %s", tc.call.Called, tc.call.ConnectTime, tc.call.DurationSeconds,
				charge.Status, charge.Cost, tc.cost)
		}
	}
}

// writeAll writes every kind of data, in dependency order.
func writeAll(t testing.TB, data rating.TariffData) []File {
	t.Helper()
	var files []File
	for _, kind := range Kinds() {
		var out bytes.Buffer
		if err := Write(&out, kind, data); err != nil {
			t.Fatalf("Write %v: %v", kind, err)
		}
		files = append(files, File{Name: kind.FileName(), Reader: &out})
	}
	return files
}

func text(files []File) string {
	var all strings.Builder
	for _, file := range files {
		all.WriteString(file.Reader.(*bytes.Buffer).String())
	}
	return all.String()
}

func TestRoundTrip(t *testing.T) {
	data := readSample(t)
	written := writeAll(t, data)
	firstText := text(written)
	var again rating.TariffData
	if err := ReadAll(&again, written...); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(data, again) {
		t.Errorf("Write then Read changed the data:\n%+v\n%+v", data, again)
	}
	if secondText := text(writeAll(t, again)); secondText != firstText {
		t.Errorf("second Write differs:\n%s\n---\n%s", firstText, secondText)
	}
}

// TestRoundTripOfDatabaseRows writes rows as a database would hold them
// (own IDs, times in any zone, a band only holidays use, validity at odd
// instants) and reads them back.
func TestRoundTripOfDatabaseRows(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ambiguous := time.Date(2025, 11, 2, 6, 30, 0, 0, time.UTC) // 01:30 EST, the second 01:30 that day
	data := rating.TariffData{
		Plans: []rating.Plan{{ID: 40, Name: "us", Currency: "USD", TimeZone: "America/New_York", Rounding: rating.RoundDown,
			RoundingDecimals: 4, BandPolicy: rating.BandStart, ConnectFeeOnUnanswered: true}},
		Zones:     []rating.Zone{{ID: 7, Name: "USA, \"lower 48\"", Description: "quoted, with commas"}},
		Prefixes:  []rating.Prefix{{ID: 900, Digits: "1", ZoneID: 7}},
		Bands:     []rating.Band{{ID: 3, PlanID: 40, Name: "all"}, {ID: 5, PlanID: 40, Name: "holiday"}},
		BandRules: []rating.BandRule{{ID: 11, BandID: 3, Days: rating.AllWeekdays, From: 0, To: 24 * 60}},
		Holidays:  []rating.Holiday{{ID: 2, PlanID: 40, Date: rating.Date{Year: 2025, Month: time.July, Day: 4}, BandID: 5}},
		Rates: []rating.Rate{
			{ID: 77, PlanID: 40, ZoneID: 7, BandID: 3, Direction: rating.Outgoing, ValidTo: ambiguous,
				ConnectFee: 1, FirstIncrement: 6, NextIncrement: 6, Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 123_457}}},
			{ID: 78, PlanID: 40, ZoneID: 7, BandID: 3, Direction: rating.Outgoing, ValidFrom: ambiguous,
				ValidTo:    time.Date(2026, 2, 1, 14, 30, 0, 0, newYork),
				ConnectFee: 0, MinDuration: 60, FirstIncrement: 60, NextIncrement: 60, MaxCost: 2_500_000,
				Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 10_000}, {FromSecond: 3600, PricePerMinute: 5_000}}},
			{ID: 79, PlanID: 40, ZoneID: 7, BandID: 5, Direction: rating.Incoming,
				Tiers: []rating.Tier{{FromSecond: 0, PricePerMinute: 0}}, FirstIncrement: 1, NextIncrement: 1},
		},
	}
	written := writeAll(t, data)
	firstText := text(written)
	for _, want := range []string{"2026-02-01 14:30", "2025-11-02T01:30:00-05:00", "us,holiday,,,", `"USA, ""lower 48"""`} {
		if !strings.Contains(firstText, want) {
			t.Errorf("written files lack %q:\n%s", want, firstText)
		}
	}
	var read rating.TariffData
	if err := ReadAll(&read, written...); err != nil {
		t.Fatal(err)
	}
	if !read.Rates[0].ValidTo.Equal(ambiguous) || !read.Rates[1].ValidFrom.Equal(ambiguous) || !read.Rates[1].ValidTo.Equal(data.Rates[1].ValidTo) {
		t.Errorf("validity changed: %v %v %v", read.Rates[0].ValidTo, read.Rates[1].ValidFrom, read.Rates[1].ValidTo)
	}
	if secondText := text(writeAll(t, read)); secondText != firstText {
		t.Errorf("second Write differs:\n%s\n---\n%s", firstText, secondText)
	}
	if _, err := rating.Build(read); err != nil {
		t.Error(err)
	}
}

func TestWriteRejectsDanglingReferences(t *testing.T) {
	data := readSample(t)
	data.Prefixes[0].ZoneID = 999
	if err := Write(&bytes.Buffer{}, Prefixes, data); err == nil || !strings.Contains(err.Error(), "prefix id 1 refers to unknown zone id 999") {
		t.Errorf("Write = %v", err)
	}
}

func TestReadReportsEveryProblemWithFileLineAndField(t *testing.T) {
	cases := []struct {
		name, file, content string
		want                []string
	}{
		{"increment and money", "rates.csv", `plan,zone,band,direction,valid_from,valid_to,connect_fee,min_duration,first_increment,next_increment,tiers,max_cost
retail,Germany,peak,outgoing,,,0.40,0,60,1,0:0.20;60:0.10,
retail,USA,peak,outgoing,,,0.00,30,1,0,0:0.06,1.00
retail,USA,offpeak,outgoing,,,"0,05",x,0,86401,0:0.04,-1
`, []string{
			`rates.csv:3: field "next_increment": must be ≥ 1, got "0"`,
			`rates.csv:4: field "connect_fee": must be an amount like 0.05, got "0,05"`,
			`rates.csv:4: field "min_duration": must be a whole number, got "x"`,
			`rates.csv:4: field "first_increment": must be ≥ 1, got "0"`,
			`rates.csv:4: field "next_increment": must be ≤ 86400, got "86401"`,
			`rates.csv:4: field "max_cost": must not be negative, got "-1"`,
		}},
		{"references", "r.csv", `plan,zone,band,direction,valid_from,valid_to,connect_fee,min_duration,first_increment,next_increment,tiers,max_cost
wholesale,Germany,peak,outgoing,,,0,0,60,60,0:0.1,
retail,Mars,night,sideways,,,0,0,60,60,0:0.1,
`, []string{
			`r.csv:2: field "plan": unknown plan "wholesale"`,
			`r.csv:3: field "zone": unknown zone "Mars"`,
			`r.csv:3: field "band": unknown band "night" of plan "retail"`,
			`r.csv:3: field "direction": must be outgoing or incoming, got "sideways"`,
		}},
		{"tiers and validity", "rates.csv", `plan,zone,band,direction,valid_from,valid_to,connect_fee,min_duration,first_increment,next_increment,tiers,max_cost
retail,Germany,offpeak,incoming,2025-06-01,2025-05-01,0,0,60,60,0:0.1,
retail,Germany,offpeak,incoming,,,0,0,60,60,60:0.1,
retail,Germany,offpeak,incoming,yesterday,,0,0,60,60,0:0.1;0:0.2,
retail,Germany,weekend,incoming,2025-06-01,,0,0,60,60,0:0.1,
retail,Germany,weekend,incoming,2025-01-01 08:00,2025-06-01T00:00:01+03:00,0,0,60,60,0:0.1,
`, []string{
			`rates.csv:2: field "valid_to": must be after valid_from, got "2025-05-01"`,
			`rates.csv:3: field "tiers": first tier starts at 60 s, not 0; want from_second:price_per_minute pairs like 0:0.20;60:0.10`,
			`rates.csv:4: field "valid_from": must be a date like 2025-06-01, a local time like "2025-06-01 08:00" or RFC 3339, got "yesterday"`,
			`rates.csv:4: field "tiers": tier 2 starts at 0 s, not after 0 s; want`,
			`rates.csv:6: field "valid_from": validity overlaps the rate on line 5`,
		}},
		{"overlap with an existing rate", "rates.csv", `plan,zone,band,direction,valid_from,valid_to,connect_fee,min_duration,first_increment,next_increment,tiers,max_cost
retail,Germany,peak,outgoing,2025-01-01,,0,0,60,60,0:0.1,
`, []string{`rates.csv:2: field "valid_from": validity overlaps existing rate id 11`}},
		{"plans", "plans.csv", `plan,currency,time_zone,rounding,rounding_decimals,band_policy,unanswered_connect_fee
retail,EUR,Europe/Sofia,half_up,2,split,no
new,eur,Europe/Sofai,nearest,7,middle,maybe
new,USD,UTC,up,0,,yes
new,USD,UTC,up,0,,yes
`, []string{
			`plans.csv:2: field "plan": plan "retail" already exists`,
			`plans.csv:3: field "currency": must be a three-letter ISO 4217 code like EUR, got "eur"`,
			`plans.csv:3: field "time_zone": must be an IANA time zone like Europe/Sofia, got "Europe/Sofai"`,
			`plans.csv:3: field "rounding": must be half_up, up or down, got "nearest"`,
			`plans.csv:3: field "rounding_decimals": must be ≤ 6, got "7"`,
			`plans.csv:3: field "band_policy": must be split or start, got "middle"`,
			`plans.csv:3: field "unanswered_connect_fee": must be yes or no, got "maybe"`,
			`plans.csv:5: field "plan": plan "new" is already defined on line 4`,
		}},
		{"zones and prefixes", "prefixes.csv", `prefix,zone
35988,Bulgaria mobile
4930,Germany
+49,Germany
4930,Germany
1234567890123456,Germany
44,
`, []string{
			`prefixes.csv:2: field "prefix": prefix 35988 already exists`,
			`prefixes.csv:4: field "prefix": must be 1 to 15 digits, got "+49"`,
			`prefixes.csv:5: field "prefix": prefix 4930 is already defined on line 3`,
			`prefixes.csv:6: field "prefix": must be 1 to 15 digits, got "1234567890123456"`,
			`prefixes.csv:7: field "zone": must not be empty`,
		}},
		{"bands", "bands.csv", `plan,band,days,from,to
retail,night,mon-fri,24:00,06:00
retail,night,weekdays,22:00,24:01
retail,evening,mon,,
retail,peak,sat,00:00,01:00
`, []string{
			`bands.csv:2: field "from": must be a time from 00:00 to 23:59, got "24:00"`,
			`bands.csv:3: field "days": must be days like mon-fri or sat,sun, got "weekdays"`,
			`bands.csv:3: field "to": must be a time from 00:00 to 24:00, got "24:01"`,
			`bands.csv:4: field "from": must be a time from 00:00 to 23:59, got ""`,
			`bands.csv:5: field "band": band "peak" of plan "retail" already exists`,
		}},
		{"holidays", "holidays.csv", `plan,date,band
retail,2025-12-25,weekend
retail,2025-02-30,weekend
retail,2026-05-06,weekend
retail,2026-05-06,peak
`, []string{
			`holidays.csv:2: field "date": the holiday of plan "retail" on 2025-12-25 already exists`,
			`holidays.csv:3: field "date": must be a date like 2025-12-25, got "2025-02-30"`,
			`holidays.csv:5: field "date": the holiday of plan "retail" on 2026-05-06 is already defined on line 4`,
		}},
		{"unknown header", "x.csv", "prefix,zone,price\n1,USA,0.1\n", []string{
			`x.csv:1: header "prefix,zone,price" is not that of a tariff file: want the columns of one of plans (plan,currency,`}},
		{"empty file", "x.csv", "", []string{`x.csv:1: no header row`}},
		{"field count and a stray quote", "zones.csv", "zone,description\nMars\nVenus,\"hot\nPluto,\"cold\"x\n", []string{
			`zones.csv:2: has 1 fields, want 2`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := readSample(t)
			before := writeAll(t, data)
			err := Read(tc.file, strings.NewReader(tc.content), &data)
			var list *ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Read = %v, want an *ErrorList", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("errors lack %q:\n%v", want, err)
				}
			}
			if text(writeAll(t, data)) != text(before) {
				t.Error("a bad file changed the data")
			}
		})
	}
}

func TestReadAcceptsSpreadsheetHabits(t *testing.T) {
	var data rating.TariffData
	content := "\uFEFFDescription , Zone\r\n\r\n  Far away , Mars \r\n"
	if err := Read("zones.csv", strings.NewReader(content), &data); err != nil {
		t.Fatal(err)
	}
	if want := []rating.Zone{{ID: 1, Name: "Mars", Description: "Far away"}}; !reflect.DeepEqual(data.Zones, want) {
		t.Errorf("zones %+v, want %+v", data.Zones, want)
	}
}

func TestReadAllIsAllOrNothing(t *testing.T) {
	var data rating.TariffData
	err := ReadAll(&data,
		File{Name: "rates.csv", Reader: strings.NewReader(strings.Join(Rates.Header(), ",") + "\nretail,Mars,peak,outgoing,,,0,0,1,1,0:0.1,\n")},
		File{Name: "plans.csv", Reader: strings.NewReader(strings.Join(Plans.Header(), ",") + "\nretail,EUR,UTC,up,2,split,no\n")},
	)
	if err == nil || !strings.Contains(err.Error(), `rates.csv:2: field "zone": unknown zone "Mars"`) {
		t.Fatalf("ReadAll = %v", err)
	}
	if len(data.Plans) != 0 {
		t.Errorf("the good plans file was added: %+v", data.Plans)
	}
}

func TestReadCapsTheNumberOfErrors(t *testing.T) {
	content := "prefix,zone\n" + strings.Repeat("x,Nowhere\n", maxErrors)
	err := Read("prefixes.csv", strings.NewReader(content), &rating.TariffData{})
	var list *ErrorList
	if !errors.As(err, &list) || len(list.Errors) != maxErrors || list.Omitted != maxErrors {
		t.Fatalf("got %d errors and %d omitted", len(list.Errors), list.Omitted)
	}
	if !strings.HasSuffix(err.Error(), "… and 1000 more errors") {
		t.Error("Error() does not count the omitted errors")
	}
}

// TestOneBadBandLineIsTheOnlyError: a bad line in bands.csv is reported, and
// the holidays and rates that name bands are not checked against a file
// known to be wrong (each of their lines would say its band is unknown).
func TestOneBadBandLineIsTheOnlyError(t *testing.T) {
	var files []File
	for _, kind := range Kinds() {
		content, err := os.ReadFile(filepath.Join("testdata", "sample", kind.FileName()))
		if err != nil {
			t.Fatal(err)
		}
		if kind == Bands {
			lines := strings.SplitN(string(content), "\n", 3)
			fields := strings.Split(lines[1], ",")
			fields[len(fields)-1] = "2x:00"
			content = []byte(lines[0] + "\n" + strings.Join(fields, ",") + "\n" + lines[2])
		}
		files = append(files, File{Name: kind.FileName(), Reader: bytes.NewReader(content)})
	}
	err := ReadAll(&rating.TariffData{}, files...)
	var list *ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("ReadAll = %v", err)
	}
	var lines []string
	for _, e := range list.Errors {
		lines = append(lines, e.Error())
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], `bands.csv:2: field "to": must be a time`) || strings.Contains(err.Error(), "unknown band") {
		t.Fatalf("errors:\n%s", strings.Join(lines, "\n"))
	}
	for _, later := range lines[1:] {
		if !strings.Contains(later, "not checked: it refers to rows of bands.csv") {
			t.Errorf("more than the bands' error: %s", later)
		}
	}
}
