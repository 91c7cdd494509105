package settlement

import "testing"

func TestRoundLine(t *testing.T) {
	two, zero, six := 2, 0, 6
	for _, c := range []struct {
		micros   int64
		decimals *int
		want     int64
	}{
		{1_234_567, nil, 1_234_567},
		{1_234_567, &six, 1_234_567},
		{1_234_567, &two, 1_230_000},
		{1_235_000, &two, 1_240_000}, // half away from zero
		{1_234_999, &two, 1_230_000},
		{-1_235_000, &two, -1_240_000},
		{-1_234_999, &two, -1_230_000},
		{499_999, &zero, 0},
		{500_000, &zero, 1_000_000},
		{-500_000, &zero, -1_000_000},
	} {
		if got := roundLine(c.micros, c.decimals); got != c.want {
			t.Errorf("roundLine(%d, %v) = %d, want %d", c.micros, c.decimals, got, c.want)
		}
	}
}
