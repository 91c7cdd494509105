package normalize

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Building blocks of the fuzz rule generator: every combination compiles.
var (
	fuzzGateways = []string{"", "gw-a", "10.0.0.1", "gw-id-a"}
	fuzzPrefixes = []string{"0", "00", "011", "9", "1", "#", "*67", "359", "0888"}
	fuzzReplaces = []string{"", "359", "1", "3592981", "00", "#", strings.Repeat("7", 40), strings.Repeat("8", MaxNumberLength)}
	fuzzRegexps  = []struct{ pattern, template string }{
		{`^0(\d+)$`, "359${1}"},
		{`^(\d{4})$`, "3592981$1"},
		{`^(\d+)#$`, "$1"},
		{`^([2-9]\d{2})([2-9]\d{6})$`, "1${1}${2}"},
		{`^(\d*)$`, "${1}${1}"}, // doubles the number: exercises the length limit
		{``, "9"},               // empty match: inserts at the front
		{`\d`, "$0$0$0$0"},
		{`(?P<cc>\d{1,3})(?P<rest>.*)`, "${rest}${cc}"},
		{`[^0-9]+`, ""},
		{`^\+?(.*)$`, "00$1$1$1"},
	}
	fuzzCallGateways = []Gateway{
		{},
		{ClientName: "gw-a"},
		{ClientName: "gw-a", NASIP: "10.0.0.1", GatewayID: "gw-id-a"},
		{ClientName: "10.0.0.1", NASIP: "10.0.0.1"},
		{GatewayID: "gw-id-a"},
	}
)

// fuzzRulesMax bounds the generated rule set; six spec bytes make one rule.
const fuzzRulesMax = 16

// genRules turns fuzz bytes into a valid rule set: IDs are unique, the rest
// (positions with ties and negatives, gateways, lengths, Final) is chosen by
// the bytes.
func genRules(spec []byte) []Rule {
	var rules []Rule
	for i := 0; len(spec) >= 6 && i < fuzzRulesMax; i, spec = i+1, spec[6:] {
		b := spec[:6]
		r := Rule{
			ID:        int64(i + 1),
			Position:  int(int8(b[1])) / 8,
			Gateway:   fuzzGateways[int(b[0]>>3)%len(fuzzGateways)],
			Direction: Calling,
			Final:     b[0]&4 != 0,
			MinLength: int(b[4] % 14),
		}
		if b[0]&2 != 0 {
			r.Direction = Called
		}
		if b[5]&1 != 0 {
			r.MaxLength = r.MinLength + int(b[5]>>1)%16
		}
		if b[0]&1 == 0 {
			r.Kind = Prefix
			r.Match = fuzzPrefixes[int(b[2])%len(fuzzPrefixes)]
			r.Replace = fuzzReplaces[int(b[3])%len(fuzzReplaces)]
		} else {
			re := fuzzRegexps[int(b[2])%len(fuzzRegexps)]
			r.Kind, r.Match, r.Replace = Regexp, re.pattern, re.template
		}
		rules = append(rules, r)
	}
	return rules
}

// referenceTranslate is a deliberately naive model of the rule walk: filter
// all rules, sort them, apply in turn. Translate must agree with it; the
// interesting differences are in gateway indexing and list merging.
func referenceTranslate(t *testing.T, rules []Rule, gw Gateway, dir Direction, clean string) (string, []int64, bool) {
	t.Helper()
	var applicable []Rule
	for _, r := range rules {
		if r.Direction == dir && (r.Gateway == "" || r.Gateway == gw.ClientName || r.Gateway == gw.NASIP || r.Gateway == gw.GatewayID) {
			applicable = append(applicable, r)
		}
	}
	slices.SortFunc(applicable, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	s := clean
	var fired []int64
	for _, r := range applicable {
		if len(s) < r.MinLength || (r.MaxLength > 0 && len(s) > r.MaxLength) {
			continue
		}
		var next string
		if r.Kind == Prefix {
			rest, found := strings.CutPrefix(s, r.Match)
			if !found {
				continue
			}
			next = r.Replace + rest
		} else {
			re := regexp.MustCompile(r.Match)
			loc := re.FindStringSubmatchIndex(s)
			if loc == nil {
				continue
			}
			next = s[:loc[0]] + string(re.ExpandString(nil, r.Replace, s, loc)) + s[loc[1]:]
		}
		if len(next) > MaxNumberLength {
			return s, fired, false
		}
		s = next
		fired = append(fired, r.ID)
		if r.Final {
			break
		}
	}
	return s, fired, dir == Calling || isDigits(s)
}

func FuzzTranslate(f *testing.F) {
	f.Add([]byte{0x02, 0x08, 0x01, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x01, 0x00, 0x00}, "0888 123 456", true, uint8(0))
	f.Add([]byte{0x0b, 0x00, 0x03, 0x00, 0x0a, 0x15, 0x03, 0xf0, 0x04, 0x00, 0x00, 0x00}, "9 (212) 555-0100", true, uint8(2))
	f.Add([]byte{0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x01, 0x04, 0x00, 0x00, 0x00}, "+1234567890123456789012345678901", true, uint8(1))
	f.Add([]byte{0x00, 0x00, 0x00, 0x07, 0x00, 0x00}, "00 44 20 7946 0000", false, uint8(3))
	f.Fuzz(func(t *testing.T, spec []byte, number string, called bool, gwPick uint8) {
		rules := genRules(spec)
		tr, err := Compile(rules)
		if err != nil {
			t.Fatalf("Compile rejected generated rules: %v", err)
		}
		gw := fuzzCallGateways[int(gwPick)%len(fuzzCallGateways)]
		dir := Calling
		if called {
			dir = Called
		}

		got, fired, ok := tr.Translate(gw, dir, number)

		if len(got) > MaxNumberLength {
			t.Fatalf("result is %d bytes, limit %d: %q", len(got), MaxNumberLength, got)
		}
		if ok && called && !isDigits(got) {
			t.Fatalf("ok called number %q is not digits only", got)
		}
		againGot, againFired, againOK := tr.Translate(gw, dir, number)
		if againGot != got || !slices.Equal(againFired, fired) || againOK != ok {
			t.Fatalf("not deterministic: %q %v %v then %q %v %v", got, fired, ok, againGot, againFired, againOK)
		}

		clean, cleanOK := cleanup(number)
		if len(number) > MaxRawLength || !cleanOK {
			if got != "" || fired != nil || ok {
				t.Fatalf("rejected input gave %q, %v, %v", got, fired, ok)
			}
			return
		}
		wantGot, wantFired, wantOK := referenceTranslate(t, rules, gw, dir, clean)
		if got != wantGot || !slices.Equal(fired, wantFired) || ok != wantOK {
			t.Fatalf("Translate(%+v, %s, %q) = %q, %v, %v; reference %q, %v, %v\nrules: %+v",
				gw, dir, number, got, fired, ok, wantGot, wantFired, wantOK, rules)
		}
	})
}
