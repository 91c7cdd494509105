package normalize

import "testing"

// BenchmarkTranslate runs the ten called-direction rules of realisticRules
// on the shapes of number a gateway sends most.
func BenchmarkTranslate(b *testing.B) {
	var called []Rule
	for _, r := range realisticRules {
		if r.Direction == Called {
			called = append(called, r)
		}
	}
	called = append(called, Rule{ID: 99, Position: 200, Direction: Called, Kind: Regexp, Match: `^(\d+)#$`, Replace: "$1"})
	if len(called) != 10 {
		b.Fatalf("benchmark wants 10 rules, has %d", len(called))
	}
	tr := mustCompile(b, called)
	for _, c := range []struct {
		name, number string
		gw           Gateway
	}{
		{"E164-no-rule-fires", "12125550100", gwNYC},
		{"national-prefix", "0888 123 456", gwSofia},
		{"outside-line-then-NANP-regexp", "9 (212) 555-0100", gwNYC},
		{"terminator-stripped-by-last-rule", "44207946000#", gwNYC},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tr.Translate(c.gw, Called, c.number)
			}
		})
	}
}
