package rating

import (
	"errors"
	"fmt"
	"strconv"
)

// Money is an amount of a currency in micro-units (1e-6 of the unit):
// Money(700000) is 0.70. Integer arithmetic keeps every charge exact.
type Money int64

// MicrosPerUnit is the number of micro-units in one currency unit.
const MicrosPerUnit = 1_000_000

// moneyDecimals is the number of decimals Money carries.
const moneyDecimals = 6

// pow10 holds 10^0 … 10^6 for decimal shifting without floats.
var pow10 = [moneyDecimals + 1]int64{1, 10, 100, 1_000, 10_000, 100_000, 1_000_000}

// String formats m with all six decimals, e.g. "0.700000" or "-1.500000".
func (m Money) String() string { return m.Format(moneyDecimals) }

// Format formats m with the given number of decimals (clamped to 0..6),
// rounding half away from zero when decimals are dropped: Money(705000)
// formats as "0.71" with 2 decimals. Charges are already rounded by their
// plan, so formatting them with the plan's decimals drops only zeros.
func (m Money) Format(decimals int) string {
	decimals = min(max(decimals, 0), moneyDecimals)
	magnitude := uint64(m)
	negative := m < 0
	if negative {
		magnitude = -magnitude // two's complement: also right for math.MinInt64
	}
	step := uint64(pow10[moneyDecimals-decimals])
	magnitude = (magnitude + step/2) / step // half away from zero; step/2 is 0 when step is 1

	scale := uint64(pow10[decimals])
	whole, fraction := magnitude/scale, magnitude%scale
	buf := make([]byte, 0, 24)
	if negative && magnitude != 0 {
		buf = append(buf, '-')
	}
	buf = strconv.AppendUint(buf, whole, 10)
	if decimals > 0 {
		buf = append(buf, '.')
		digits := strconv.AppendUint(nil, fraction, 10)
		for range decimals - len(digits) {
			buf = append(buf, '0')
		}
		buf = append(buf, digits...)
	}
	return string(buf)
}

// ErrInvalidMoney is wrapped by every ParseMoney error.
var ErrInvalidMoney = errors.New("invalid amount")

// ParseMoney parses a plain decimal amount: an optional '-', one or more
// digits, and optionally '.' followed by one to six digits ("0.05", "-1.5",
// "12"). Anything else — a '+', spaces, exponents, a bare ".5" or "5.", a
// seventh decimal, a value outside the int64 micro-unit range — is rejected
// rather than guessed at, because tariffs are money.
func ParseMoney(s string) (Money, error) {
	fail := func(why string) (Money, error) {
		return 0, fmt.Errorf("%w %q: %s", ErrInvalidMoney, s, why)
	}
	i := 0
	negative := len(s) > 0 && s[0] == '-'
	if negative {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := s[intStart:i]
	if intDigits == "" {
		return fail("expected digits")
	}
	fracDigits := ""
	if i < len(s) {
		if s[i] != '.' {
			return fail("unexpected character " + strconv.QuoteRune(rune(s[i])))
		}
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracDigits = s[fracStart:i]
		switch {
		case fracDigits == "":
			return fail("expected digits after '.'")
		case i < len(s):
			return fail("unexpected character " + strconv.QuoteRune(rune(s[i])))
		case len(fracDigits) > moneyDecimals:
			return fail("more than 6 decimals")
		}
	}

	// The magnitude limit is one larger for negatives: -9223372036854.775808
	// is representable.
	limit := uint64(1<<63 - 1)
	if negative {
		limit++
	}
	var units uint64
	for j := 0; j < len(intDigits); j++ {
		units = units*10 + uint64(intDigits[j]-'0')
		if units > limit/MicrosPerUnit {
			return fail("out of range")
		}
	}
	var fraction uint64
	for j := 0; j < len(fracDigits); j++ {
		fraction = fraction*10 + uint64(fracDigits[j]-'0')
	}
	fraction *= uint64(pow10[moneyDecimals-len(fracDigits)])
	magnitude := units*MicrosPerUnit + fraction
	if magnitude > limit {
		return fail("out of range")
	}
	if negative {
		return Money(-magnitude), nil
	}
	return Money(magnitude), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ExactAmount is an unrounded amount in sixtieths of a micro-unit. A price
// per minute (micro-units) times a number of seconds is an integer in this
// unit, so sums of call parts stay exact; the division by 60 happens once,
// when the plan's rounding rule turns the total into Money.
type ExactAmount int64

// Micros returns a truncated to whole micro-units, for display only.
func (a ExactAmount) Micros() Money { return Money(a / 60) }
