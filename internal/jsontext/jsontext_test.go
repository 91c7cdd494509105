package jsontext

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func FuzzAppendStringRoundTrips(f *testing.F) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "nul\x00byte", "tab\tnew\nline\x1f", "ünï ☎ 電話", `"\`, "end\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("callers pass valid UTF-8 only")
		}
		out := AppendString([]byte("prefix"), s)
		if string(out[:6]) != "prefix" {
			t.Fatalf("prefix overwritten: %q", out)
		}
		var back string
		if err := json.Unmarshal(out[6:], &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, out[6:], err)
		}
		if back != s {
			t.Fatalf("%q came back as %q", s, back)
		}
	})
}
