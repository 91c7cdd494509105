package rating

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"testing"
)

func TestParseMoney(t *testing.T) {
	valid := []struct {
		in   string
		want Money
	}{
		{"0.05", 50_000},
		{"-1.5", -1_500_000},
		{"12", 12_000_000},
		{"0", 0},
		{"-0", 0},
		{"007.100", 7_100_000},
		{"0.000001", 1},
		{"9223372036854.775807", math.MaxInt64},
		{"-9223372036854.775808", math.MinInt64},
	}
	for _, tc := range valid {
		got, err := ParseMoney(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	invalid := []string{
		"", "-", "+1", " 1", "1 ", ".5", "5.", "1.0000001", "1e3", "1E3", "0x10", "1,5", "1.2.3",
		"--1", "1-", "NaN", "Inf", "١", "9223372036854.775808", "-9223372036854.775809",
		"99999999999999999999999", "1.5€",
	}
	for _, in := range invalid {
		if got, err := ParseMoney(in); err == nil || !errors.Is(err, ErrInvalidMoney) {
			t.Errorf("ParseMoney(%q) = %d, %v; want an ErrInvalidMoney", in, got, err)
		}
	}
}

func TestMoneyFormat(t *testing.T) {
	cases := []struct {
		money    Money
		decimals int
		want     string
	}{
		{700_000, 6, "0.700000"},
		{700_000, 2, "0.70"},
		{705_000, 2, "0.71"},   // half away from zero
		{704_999, 2, "0.70"},   // below half
		{-705_000, 2, "-0.71"}, // half away from zero
		{-4_000, 2, "0.00"},    // rounds to zero: no "-0.00"
		{1_500_000, 0, "2"},
		{12_000_000, 2, "12.00"},
		{1, 6, "0.000001"},
		{math.MaxInt64, 6, "9223372036854.775807"},
		{math.MinInt64, 6, "-9223372036854.775808"},
		{math.MinInt64, 0, "-9223372036855"},
		{123_456, 9, "0.123456"}, // decimals clamp to 6
		{123_456, -1, "0"},       // and to 0
	}
	for _, tc := range cases {
		if got := tc.money.Format(tc.decimals); got != tc.want {
			t.Errorf("Money(%d).Format(%d) = %q, want %q", tc.money, tc.decimals, got, tc.want)
		}
	}
	if got := Money(700_000).String(); got != "0.700000" {
		t.Errorf("String() = %q", got)
	}
}

func TestFormatMinimal(t *testing.T) {
	for money, want := range map[Money]string{200_000: "0.20", 25_000: "0.025", 12_000_000: "12.00", -500_000: "-0.50", 1: "0.000001"} {
		if got := FormatMinimal(money); got != want {
			t.Errorf("FormatMinimal(%d) = %q, want %q", money, got, want)
		}
	}
}

// strictAmount is the accepted syntax, written independently of the parser.
var strictAmount = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,6})?$`)

func FuzzParseMoney(f *testing.F) {
	for _, seed := range []string{"0.05", "-1.5", "12", "1e3", "9223372036854.775807", "-9223372036854.775808", ".5", "1.0000001"} {
		f.Add(seed)
	}
	micros := big.NewRat(MicrosPerUnit, 1)
	limits := [2]*big.Rat{big.NewRat(math.MinInt64, 1), big.NewRat(math.MaxInt64, 1)}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseMoney(in)
		inRange := false
		var want big.Rat
		if strictAmount.MatchString(in) {
			if _, ok := want.SetString(in); !ok {
				t.Fatalf("big.Rat rejects %q", in)
			}
			want.Mul(&want, micros)
			inRange = want.Cmp(limits[0]) >= 0 && want.Cmp(limits[1]) <= 0
		}
		if !inRange {
			if err == nil {
				t.Fatalf("ParseMoney(%q) = %d, want an error", in, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseMoney(%q): %v", in, err)
		}
		if !want.IsInt() || want.Num().Int64() != int64(got) {
			t.Fatalf("ParseMoney(%q) = %d, want %s micro-units", in, got, want.RatString())
		}
		if again, err := ParseMoney(got.String()); err != nil || again != got {
			t.Fatalf("String() of %d = %q parses to %d, %v", got, got.String(), again, err)
		}
	})
}
