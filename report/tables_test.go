package report

import (
	"testing"

	"github.com/radbill/radbill/rating"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		part, whole int64
		want        string
	}{{1, 3, "33.3"}, {-590_000, 2_410_000, "-24.4"}, {5, 0, ""}, {9_000_000_000_000_000, 9_000_000_000_000_000, "100.0"}} {
		if got := Percent(rating.Money(c.part), rating.Money(c.whole)); got != c.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", c.part, c.whole, got, c.want)
		}
	}
}
