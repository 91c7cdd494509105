package normalize

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestRulesCSVRoundTrip(t *testing.T) {
	rules := []Rule{
		{ID: 1, Position: 10, Direction: Called, Kind: Prefix, Match: "0", Replace: "359", MinLength: 10, Description: "national, to E.164"},
		{ID: 2, Position: 5, Gateway: "gw-sofia", Direction: Called, Kind: Regexp, Match: `^00(\d+)$`, Replace: "$1", Final: true},
		{ID: 3, Position: 20, Direction: Calling, Kind: Prefix, Match: "+", MaxLength: 16},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rules); err != nil {
		t.Fatal(err)
	}
	read, err := ReadCSV("rules.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	// Written in the order they apply, read back with ids in file order.
	want := []Rule{rules[1], rules[0], rules[2]}
	for i := range want {
		want[i].ID = int64(i + 1)
	}
	if !reflect.DeepEqual(read, want) {
		t.Fatalf("read back %+v, want %+v", read, want)
	}
}

func TestRulesCSVNamesEveryBadLine(t *testing.T) {
	content := strings.Join(CSVHeader, ",") + "\n" +
		"0,,called,prefix,0,359,0,0,no,good\n" +
		"x,,called,prefix,0,359,0,0,no,bad position\n" +
		"0,,sideways,prefix,0,359,0,0,no,bad direction\n" +
		"0,,called,regex,(,x,0,0,no,bad pattern\n" +
		"0,,called,prefix,0,359,0,0,maybe,bad final\n"
	rules, err := ReadCSV("rules.csv", strings.NewReader(content))
	if err == nil || rules != nil {
		t.Fatalf("ReadCSV = %v, %v", rules, err)
	}
	for _, want := range []string{`rules.csv:3: field "position"`, `rules.csv:4: direction "sideways"`, `rules.csv:5: error parsing regexp`, `rules.csv:6: field "final"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "rules.csv:2") {
		t.Errorf("the good line was reported:\n%v", err)
	}
	if _, err := ReadCSV("other.csv", strings.NewReader("plan,currency\n")); err == nil || !strings.Contains(err.Error(), "other.csv:1: want the columns") {
		t.Errorf("wrong header: %v", err)
	}
}

func TestTraceShowsEachRule(t *testing.T) {
	tr, err := Compile([]Rule{
		{ID: 1, Position: 1, Direction: Called, Kind: Prefix, Match: "00", Replace: ""},
		{ID: 2, Position: 2, Direction: Called, Kind: Prefix, Match: "0", Replace: "359"},
		{ID: 3, Position: 3, Direction: Called, Kind: Prefix, Match: "359359", Replace: "359"},
	})
	if err != nil {
		t.Fatal(err)
	}
	steps, out, ok := tr.Trace(Gateway{}, Called, "(0) 0888-123")
	want := []Step{{RuleID: 1, Before: "00888123", After: "888123"}}
	if !reflect.DeepEqual(steps, want) || out != "888123" || !ok {
		t.Fatalf("Trace = %+v, %q, %v; want %+v", steps, out, ok, want)
	}
	if _, fired, _ := tr.Translate(Gateway{}, Called, "0888123"); len(fired) != 1 || fired[0] != 2 {
		t.Fatalf("Translate fired %v", fired)
	}
}
