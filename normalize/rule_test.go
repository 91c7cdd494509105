package normalize

import (
	"strings"
	"testing"
)

func TestCompileRejects(t *testing.T) {
	valid := Rule{ID: 7, Direction: Called, Kind: Prefix, Match: "0", Replace: "359"}
	for _, c := range []struct {
		name    string
		edit    func(*Rule)
		wantErr string
	}{
		{"empty prefix match", func(r *Rule) { r.Match = "" }, "empty prefix match"},
		{"bad regexp", func(r *Rule) { r.Kind, r.Match = Regexp, `^0(\d+$` }, "missing closing )"},
		{"Perl-only regexp", func(r *Rule) { r.Kind, r.Match = Regexp, `^(?=0)` }, "invalid or unsupported Perl syntax"},
		{"unknown direction", func(r *Rule) { r.Direction = "caller" }, `direction "caller"`},
		{"empty direction", func(r *Rule) { r.Direction = "" }, `direction ""`},
		{"unknown kind", func(r *Rule) { r.Kind = "suffix" }, `kind "suffix"`},
		{"negative min length", func(r *Rule) { r.MinLength = -1 }, "negative length bound"},
		{"negative max length", func(r *Rule) { r.MaxLength = -1 }, "negative length bound"},
		{"min above max", func(r *Rule) { r.MinLength, r.MaxLength = 11, 10 }, "min length 11 exceeds max length 10"},
		{"replacement too long", func(r *Rule) { r.Replace = strings.Repeat("1", MaxNumberLength+1) }, "replacement longer than 64"},
		{"prefix match too long", func(r *Rule) { r.Match = strings.Repeat("1", MaxNumberLength+1) }, "can never match"},
		{"space in prefix match", func(r *Rule) { r.Match = "00 " }, "separator or white space"},
		{"dash in prefix match", func(r *Rule) { r.Match = "0-" }, "separator or white space"},
		{"space in prefix replacement", func(r *Rule) { r.Replace = "359 " }, "separator or white space"},
		{"template group missing", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(\d+)$`, "359$2" }, `group "2"`},
		{"template $10 meant ${1}0", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(\d+)$`, "$10" }, `group "10"`},
		{"template name missing", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(?P<n>\d+)$`, "${m}" }, `group "m"`},
		{"template $01 is a name, not group 1", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(\d+)$`, "$01" }, `group "01"`},
		{"template $1x is a name", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(\d+)$`, "$1x" }, `group "1x"`},
		{"template lone dollar", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(\d+)$`, "359$" }, "'$' must start"},
		{"template unclosed brace", func(r *Rule) { r.Kind, r.Match, r.Replace = Regexp, `^0(\d+)$`, "${1" }, "'$' must start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := valid
			c.edit(&r)
			tr, err := Compile([]Rule{r})
			if err == nil || tr != nil {
				t.Fatalf("Compile(%+v) = %v, %v; want an error", r, tr, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "rule 7:") || !strings.Contains(msg, c.wantErr) {
				t.Errorf("error %q does not name rule 7 and contain %q", msg, c.wantErr)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, r := range []Rule{
		{ID: 1, Direction: Called, Kind: Prefix, Match: "*67"},
		{ID: 1, Direction: Calling, Kind: Prefix, Match: "0", Replace: "359", MinLength: 10, MaxLength: 10},
		{ID: 1, Direction: Called, Kind: Prefix, Match: "0", MinLength: 4}, // no upper bound
		{ID: 1, Direction: Called, Kind: Regexp, Match: ""},                // empty pattern: prepend Replace
		{ID: 1, Direction: Called, Kind: Regexp, Match: `^0(\d+)$`, Replace: "${1}0"},
		{ID: 1, Direction: Called, Kind: Regexp, Match: `^0(\d+)$`, Replace: "$0$1"},
		{ID: 1, Direction: Called, Kind: Regexp, Match: `^#(\d+)$`, Replace: "$$$1"},
		{ID: 1, Direction: Called, Kind: Regexp, Match: `^(?P<cc>\d{3})(?P<rest>\d+)$`, Replace: "$rest${cc}"},
		{ID: 1, Direction: Called, Kind: Regexp, Match: `(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)`, Replace: "$10"},
	} {
		if _, err := Compile([]Rule{r}); err != nil {
			t.Errorf("Compile(%+v): %v", r, err)
		}
	}
}

func TestCompileReportsEveryBadRule(t *testing.T) {
	_, err := Compile([]Rule{
		{ID: 1, Direction: Called, Kind: Prefix, Match: "0"},
		{ID: 2, Direction: Called, Kind: Prefix},
		{ID: 3, Direction: "up", Kind: Prefix, Match: "0"},
		{ID: 1, Direction: Called, Kind: Prefix, Match: "00"},
	})
	if err == nil {
		t.Fatal("Compile accepted invalid rules")
	}
	for _, want := range []string{"rule 2: empty prefix match", `rule 3: direction "up"`, "rule 1: duplicate id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestCompileCopiesRules checks the Translator does not see later edits to
// the caller's slice, so it stays immutable while the loader reuses rows.
func TestCompileCopiesRules(t *testing.T) {
	rules := []Rule{{ID: 1, Direction: Called, Kind: Prefix, Match: "0", Replace: "359"}}
	tr := mustCompile(t, rules)
	rules[0].Replace = "44"
	if got, _, _ := tr.Translate(Gateway{}, Called, "0888"); got != "359888" {
		t.Errorf("after editing the input slice got %q, want 359888", got)
	}
}
