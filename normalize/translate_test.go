package normalize

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

// Gateways of the realistic rule set below.
var (
	gwSofia   = Gateway{ClientName: "gw-sofia", NASIP: "10.1.0.1", GatewayID: "sofia-gw1.example.bg"}
	gwNYC     = Gateway{ClientName: "gw-nyc", NASIP: "192.0.2.10", GatewayID: "nyc-gw1.example.com"}
	gwPlovdiv = Gateway{ClientName: "plovdiv", NASIP: "10.2.0.1", GatewayID: "plovdiv-pbx.example.bg"}
)

// realisticRules is a company with Bulgarian defaults (wildcard rules), a
// New York gateway with its own dial plan, and a Plovdiv PBX that prefixes
// every number with the outside-line 0.
var realisticRules = []Rule{
	// Everywhere, first: drop the *67 caller-ID-block feature code.
	{ID: 5, Position: 1, Direction: Called, Kind: Prefix, Match: "*67"},

	// New York, before the defaults.
	{ID: 20, Position: 10, Gateway: "gw-nyc", Direction: Called, Kind: Prefix, Match: "9", MinLength: 8,
		Description: "outside line 9, not on extensions"},
	{ID: 21, Position: 20, Gateway: "gw-nyc", Direction: Called, Kind: Prefix, Match: "011", Final: true},
	{ID: 22, Position: 30, Gateway: "192.0.2.10", Direction: Called, Kind: Regexp,
		Match: `^([2-9]\d{2})([2-9]\d{6})$`, Replace: "1${1}${2}", MinLength: 10, MaxLength: 10, Final: true,
		Description: "NANP 10 digits, keyed by NAS IP"},
	{ID: 24, Position: 50, Gateway: "gw-nyc", Direction: Called, Kind: Regexp,
		Match: `^(\d+)$`, Replace: "1212555$1", MinLength: 4, MaxLength: 4, Final: true},

	// Plovdiv PBX, keyed by h323-gw-id.
	{ID: 40, Position: 5, Gateway: "plovdiv-pbx.example.bg", Direction: Called, Kind: Prefix, Match: "0"},

	// Bulgarian defaults.
	{ID: 1, Position: 100, Direction: Called, Kind: Prefix, Match: "00", Final: true},
	{ID: 2, Position: 110, Direction: Called, Kind: Prefix, Match: "0", Replace: "359", Final: true},
	{ID: 3, Position: 120, Direction: Called, Kind: Regexp, Match: `^(\d+)$`, Replace: "3592981$1",
		MinLength: 4, MaxLength: 4, Final: true, Description: "Sofia branch extensions"},

	// Calling numbers.
	{ID: 50, Position: 5, Direction: Calling, Kind: Prefix, Match: "00", Final: true},
	{ID: 51, Position: 10, Direction: Calling, Kind: Prefix, Match: "0", Replace: "359", MinLength: 10, MaxLength: 10, Final: true},
}

func mustCompile(t testing.TB, rules []Rule) *Translator {
	t.Helper()
	tr, err := Compile(rules)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return tr
}

type translateCase struct {
	name      string
	gw        Gateway
	dir       Direction
	number    string
	want      string
	wantFired []int64
	wantOK    bool
}

var realisticCases = []translateCase{
	{"BG national mobile to E.164", gwSofia, Called, "0888 123 456", "359888123456", []int64{2}, true},
	{"BG national landline", gwSofia, Called, "02 981 1234", "35929811234", []int64{2}, true},
	{"BG international 00", gwSofia, Called, "00 44 20 7946 0000", "442079460000", []int64{1}, true},
	{"already E.164 with plus", gwSofia, Called, "+359 888 123 456", "359888123456", nil, true},
	{"Sofia 4-digit extension gets branch prefix", gwSofia, Called, "1234", "35929811234", []int64{3}, true},
	{"5 digits are no extension", gwSofia, Called, "12345", "12345", nil, true},

	{"Plovdiv outside-line 0 then national", gwPlovdiv, Called, "0 032 123 456", "35932123456", []int64{40, 2}, true},
	{"Plovdiv outside-line 0 then international", gwPlovdiv, Called, "0 00 44 20 7946 0000", "442079460000", []int64{40, 1}, true},

	{"NYC outside-line 9 then NANP 10 digits", gwNYC, Called, "9 (212) 555-0100", "12125550100", []int64{20, 22}, true},
	{"NYC NANP 10 digits", gwNYC, Called, "212.555.0100", "12125550100", []int64{22}, true},
	{"NYC outside-line 9 then 011 international", gwNYC, Called, "9 011 359 888 123 456", "359888123456", []int64{20, 21}, true},
	{"NYC 011 international", gwNYC, Called, "011 44 20 7946 0000", "442079460000", []int64{21}, true},
	{"NYC extension uses its own prefix, not the wildcard one", gwNYC, Called, "9876", "12125559876", []int64{24}, true},
	{"NYC 1+10 digits passes untouched", gwNYC, Called, "+1 212 555 0100", "12125550100", nil, true},
	{"wildcard feature code runs before gateway rules", gwNYC, Called, "*67 9 212 555 0100", "12125550100", []int64{5, 20, 22}, true},
	{"NANP area code cannot start with 1", gwNYC, Called, "1125550100", "1125550100", nil, true},

	{"terminator # is left: not ratable", gwSofia, Called, "0888123456#", "359888123456#", []int64{2}, false},
	{"letters are left: not ratable", gwNYC, Called, "1-800-FLOWERS", "1800FLOWERS", nil, false},
	{"empty called number", gwSofia, Called, "", "", nil, false},
	{"blank called number", gwSofia, Called, " - ", "", nil, false},
	{"unknown gateway gets only wildcard rules", Gateway{ClientName: "other"}, Called, "0888123456", "359888123456", []int64{2}, true},
	{"no gateway identity at all", Gateway{}, Called, "9 011 44", "901144", nil, true},

	{"calling national", gwSofia, Calling, "0888123456", "359888123456", []int64{51}, true},
	{"calling international", gwSofia, Calling, "0044 20 7946 0000", "442079460000", []int64{50}, true},
	{"calling E.164", gwNYC, Calling, "+1 212 555 0100", "12125550100", nil, true},
	{"calling anonymous is not checked", gwSofia, Calling, "anonymous", "anonymous", nil, true},
	{"calling empty", gwSofia, Calling, "", "", nil, true},
	{"called rules do not apply to calling", gwNYC, Calling, "9 011 44", "901144", nil, true},
}

func checkTranslate(t *testing.T, tr *Translator, c translateCase) {
	t.Helper()
	got, fired, ok := tr.Translate(c.gw, c.dir, c.number)
	if got != c.want || !slices.Equal(fired, c.wantFired) || ok != c.wantOK {
		t.Errorf("Translate(%+v, %s, %q) = %q, %v, %v; want %q, %v, %v",
			c.gw, c.dir, c.number, got, fired, ok, c.want, c.wantFired, c.wantOK)
	}
}

func TestTranslateRealistic(t *testing.T) {
	tr := mustCompile(t, realisticRules)
	for _, c := range realisticCases {
		t.Run(c.name, func(t *testing.T) { checkTranslate(t, tr, c) })
	}
}

// TestDocExamples keeps the examples in doc.go true.
func TestDocExamples(t *testing.T) {
	tr := mustCompile(t, []Rule{
		{ID: 10, Position: 10, Direction: Called, Kind: Prefix, Match: "9"},
		{ID: 20, Position: 20, Gateway: "gw-sof", Direction: Called, Kind: Prefix, Match: "00", Final: true},
		{ID: 30, Position: 30, Gateway: "gw-sof", Direction: Called, Kind: Prefix, Match: "0", Replace: "359", Final: true},
		{ID: 40, Position: 40, Gateway: "gw-sof", Direction: Called, Kind: Regexp, Match: `^(\d+)$`, Replace: "3592981$1",
			MinLength: 4, MaxLength: 4, Final: true},
		{ID: 50, Position: 50, Gateway: "gw-nyc", Direction: Called, Kind: Regexp, Match: `^011(\d+)$`, Replace: "$1", Final: true},
		{ID: 60, Position: 60, Gateway: "gw-nyc", Direction: Called, Kind: Regexp, Match: `^([2-9]\d{9})$`, Replace: "1$1",
			MinLength: 10, MaxLength: 10, Final: true},
	})
	sof, nyc := Gateway{ClientName: "gw-sof"}, Gateway{ClientName: "gw-nyc"}
	for _, c := range []translateCase{
		{"national", sof, Called, "9 0888 123-456", "359888123456", []int64{10, 30}, true},
		{"international", sof, Called, "9 00 44 20 7946 0000", "442079460000", []int64{10, 20}, true},
		{"extension", sof, Called, "1234", "35929811234", []int64{40}, true},
		{"011", nyc, Called, "9 011 44 20 7946 0000", "442079460000", []int64{10, 50}, true},
		{"NANP", nyc, Called, "(212) 555-0100", "12125550100", []int64{60}, true},
		{"terminator sof", sof, Called, "5551234#", "5551234#", nil, false},
		{"terminator nyc", nyc, Called, "5551234#", "5551234#", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) { checkTranslate(t, tr, c) })
	}
}

func TestCleanup(t *testing.T) {
	digits64 := strings.Repeat("1", MaxNumberLength)
	var none *Translator // a nil Translator only cleans up
	for _, c := range []struct {
		name, number, want  string
		calledOK, callingOK bool
	}{
		{"spaces and dashes", "  0888 123-456 ", "0888123456", true, true},
		{"plus, parentheses and dots", "+359 (888) 123.456", "359888123456", true, true},
		{"plus after a separator is still leading", "(+1) 212-555-0100", "12125550100", true, true},
		{"only one leading plus goes", "++359", "+359", false, true},
		{"inner plus stays", "359+888", "359+888", false, true},
		{"white space trimmed at the ends", "\t0888123456\r\n", "0888123456", true, true},
		{"tab inside stays", "0888\t123", "0888\t123", false, true},
		{"hash and star stay", "*67#", "*67#", false, true},
		{"non-ASCII digits stay", "٠١٢", "٠١٢", false, true},
		{"plus alone", "+", "", false, true},
		{"separators alone", "-.()", "", false, true},
		{"longest accepted", digits64, digits64, true, true},
		{"longest accepted after separators", "+" + strings.Repeat("1 ", MaxNumberLength), digits64, true, true},
		// Too long: rejected in both directions.
		{"one byte too long", digits64 + "1", "", false, false},
		{"one byte too long after separators", strings.Repeat("1-", MaxNumberLength+1), "", false, false},
		{"raw too long even though clean would fit", strings.Repeat(" ", MaxRawLength) + "0888123456", "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, fired, ok := none.Translate(Gateway{}, Called, c.number)
			if got != c.want || fired != nil || ok != c.calledOK {
				t.Errorf("called %q: got %q, %v, %v; want %q, nil, %v", c.number, got, fired, ok, c.want, c.calledOK)
			}
			got, fired, ok = none.Translate(Gateway{}, Calling, c.number)
			if got != c.want || fired != nil || ok != c.callingOK {
				t.Errorf("calling %q: got %q, %v, %v; want %q, nil, %v", c.number, got, fired, ok, c.want, c.callingOK)
			}
		})
	}
}

func TestUnknownDirection(t *testing.T) {
	tr := mustCompile(t, realisticRules)
	for _, dir := range []Direction{"", "CALLED", "both"} {
		if got, fired, ok := tr.Translate(gwSofia, dir, "0888123456"); got != "" || fired != nil || ok {
			t.Errorf("direction %q: got %q, %v, %v; want \"\", nil, false", dir, got, fired, ok)
		}
	}
}

func TestFinalStops(t *testing.T) {
	rules := func(final bool) []Rule {
		return []Rule{
			{ID: 1, Position: 1, Direction: Called, Kind: Prefix, Match: "00", Final: final},
			{ID: 2, Position: 2, Direction: Called, Kind: Prefix, Match: "0", Replace: "359"},
		}
	}
	// "000888..." is an international call to a number starting with 0,
	// which must not then be treated as national.
	if got, fired, _ := mustCompile(t, rules(true)).Translate(Gateway{}, Called, "000888"); got != "0888" || !slices.Equal(fired, []int64{1}) {
		t.Errorf("Final rule: got %q, %v; want \"0888\", [1]", got, fired)
	}
	if got, fired, _ := mustCompile(t, rules(false)).Translate(Gateway{}, Called, "000888"); got != "359888" || !slices.Equal(fired, []int64{1, 2}) {
		t.Errorf("non-final rule: got %q, %v; want \"359888\", [1 2]", got, fired)
	}
}

func TestGatewayOrdering(t *testing.T) {
	// Each rule appends its ID's digit so the result spells the order in
	// which the rules fired.
	appendDigit := func(id int64, pos int, gateway string) Rule {
		return Rule{ID: id, Position: pos, Gateway: gateway, Direction: Called, Kind: Regexp,
			Match: `^(\d*)$`, Replace: "${1}" + string(rune('0'+id))}
	}
	tr := mustCompile(t, []Rule{
		appendDigit(1, 30, ""),
		appendDigit(2, 10, "gw-a"),
		appendDigit(3, 20, "10.0.0.1"),
		appendDigit(4, 20, ""), // same position as 3: lower ID first
		appendDigit(5, 5, "gw-id-a"),
		appendDigit(6, 15, "gw-b"),
		appendDigit(7, 30, "gw-a"), // same position as 1: ID 1 first
	})
	for _, c := range []struct {
		name string
		gw   Gateway
		want string
	}{
		{"all three identifiers", Gateway{ClientName: "gw-a", NASIP: "10.0.0.1", GatewayID: "gw-id-a"}, "523417"},
		{"client name only", Gateway{ClientName: "gw-a"}, "2417"},
		{"NAS IP only", Gateway{NASIP: "10.0.0.1"}, "341"},
		{"h323-gw-id only", Gateway{GatewayID: "gw-id-a"}, "541"},
		{"identifier repeated in two fields applies once", Gateway{ClientName: "10.0.0.1", NASIP: "10.0.0.1"}, "341"},
		{"other gateway", Gateway{ClientName: "gw-b"}, "641"},
		{"names are case-sensitive", Gateway{ClientName: "GW-A"}, "41"},
		{"no identity", Gateway{}, "41"},
	} {
		got, fired, ok := tr.Translate(c.gw, Called, "")
		if got != c.want || !ok {
			t.Errorf("%s: got %q, ok=%v; want %q", c.name, got, ok, c.want)
		}
		if wantFired := digitsToIDs(c.want); !slices.Equal(fired, wantFired) {
			t.Errorf("%s: fired %v; want %v", c.name, fired, wantFired)
		}
	}
}

func digitsToIDs(s string) []int64 {
	var ids []int64
	for _, c := range s {
		ids = append(ids, int64(c-'0'))
	}
	return ids
}

func TestLengthBounds(t *testing.T) {
	tr := mustCompile(t, []Rule{
		{ID: 1, Direction: Called, Kind: Prefix, Match: "0", Replace: "359", MinLength: 10, MaxLength: 10},
		{ID: 2, Direction: Called, Kind: Prefix, Match: "0", Replace: "3592", MinLength: 7},
		{ID: 3, Direction: Called, Kind: Prefix, Match: "0", Replace: "35932", MaxLength: 6},
	})
	for number, want := range map[string]string{
		"0888123456":  "359888123456",   // 10: rule 1; the result no longer starts with 0
		"08881234567": "35928881234567", // 11: rule 2
		"0123456":     "3592123456",     // 7: rule 2, MinLength is inclusive
		"012345":      "3593212345",     // 6: rule 3, MaxLength is inclusive
		"0":           "35932",
	} {
		if got, _, _ := tr.Translate(Gateway{}, Called, number); got != want {
			t.Errorf("Translate(%q) = %q; want %q", number, got, want)
		}
	}
}

func TestRegexpRule(t *testing.T) {
	for _, c := range []struct {
		name, pattern, replace, number, want string
		fires                                bool
	}{
		{"capture groups reordered", `^(\d{3})\*(\d+)$`, "$2$1", "123*456", "456123", true},
		{"named groups", `^00(?P<cc>1|359)(?P<rest>\d+)$`, "${cc}${rest}", "00359888", "359888", true},
		{"group followed by digit needs braces", `^0(\d+)$`, "${1}0", "0123", "1230", true},
		{"literal dollar", `^#(\d+)$`, "$$$1", "#5", "$5", true},
		{"unanchored: leftmost match only, rest kept", `\*`, "", "*67*89", "67*89", true},
		{"unanchored in the middle", `#`, "", "12#34#", "1234#", true},
		{"empty match inserts", `^`, "00", "44", "0044", true},
		{"no match", `^0(\d+)$`, "359$1", "1234", "1234", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := mustCompile(t, []Rule{{ID: 9, Direction: Calling, Kind: Regexp, Match: c.pattern, Replace: c.replace}})
			got, fired, _ := tr.Translate(Gateway{}, Calling, c.number)
			if got != c.want || (len(fired) == 1) != c.fires {
				t.Errorf("got %q, fired %v; want %q, fires=%v", got, fired, c.want, c.fires)
			}
		})
	}
}

func TestGrowthBeyondMaxIsRejected(t *testing.T) {
	doubling := Rule{ID: 1, Position: 1, Direction: Called, Kind: Regexp, Match: `^(\d*)$`, Replace: "$1$1"}
	prefixing := Rule{ID: 2, Position: 2, Direction: Called, Kind: Prefix, Match: "1", Replace: strings.Repeat("1", MaxNumberLength)}
	tr := mustCompile(t, []Rule{doubling, prefixing})

	half := strings.Repeat("1", MaxNumberLength/2)
	got, fired, ok := tr.Translate(Gateway{}, Called, half)
	if want := half + half; got != want || !slices.Equal(fired, []int64{1}) || ok {
		// Rule 1 fits exactly; rule 2 would overflow, so the result stops
		// before it and is marked.
		t.Errorf("half: got %q, %v, %v; want %q, [1], false", got, fired, ok, want)
	}
	got, fired, ok = tr.Translate(Gateway{}, Called, half+"1")
	if got != half+"1" || fired != nil || ok {
		t.Errorf("half+1: got %q, %v, %v; want the cleaned number, nil, false", got, fired, ok)
	}
}

func TestNilAndZeroTranslator(t *testing.T) {
	for name, tr := range map[string]*Translator{"nil": nil, "zero": {}, "no rules": mustCompile(t, nil)} {
		got, fired, ok := tr.Translate(gwSofia, Called, "+359 888 123 456")
		if got != "359888123456" || fired != nil || !ok {
			t.Errorf("%s: got %q, %v, %v; want cleanup only", name, got, fired, ok)
		}
	}
}

func TestTranslateConcurrent(t *testing.T) {
	tr := mustCompile(t, realisticRules)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 200 {
				for _, c := range realisticCases {
					got, fired, ok := tr.Translate(c.gw, c.dir, c.number)
					if got != c.want || !slices.Equal(fired, c.wantFired) || ok != c.wantOK {
						t.Errorf("%s: got %q, %v, %v", c.name, got, fired, ok)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestFiredIsCallersOwn checks the returned slice does not alias state
// shared between calls.
func TestFiredIsCallersOwn(t *testing.T) {
	tr := mustCompile(t, realisticRules)
	_, fired, _ := tr.Translate(gwNYC, Called, "9 212 555 0100")
	fired[0] = -1
	if _, again, _ := tr.Translate(gwNYC, Called, "9 212 555 0100"); !slices.Equal(again, []int64{20, 22}) {
		t.Errorf("second call fired %v after the first result was modified", again)
	}
}

func TestTranslateAllocs(t *testing.T) {
	tr := mustCompile(t, realisticRules)
	// Digits only and no rule fires: the number is returned as a substring.
	if n := testing.AllocsPerRun(100, func() { tr.Translate(gwSofia, Called, "359888123456") }); n != 0 {
		t.Errorf("untouched number: %v allocations, want 0", n)
	}
	// Cleanup copy, one prefix rewrite, the fired slice.
	if n := testing.AllocsPerRun(100, func() { tr.Translate(gwSofia, Called, "0888 123 456") }); n > 3 {
		t.Errorf("national number: %v allocations, want at most 3", n)
	}
}
