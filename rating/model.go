package rating

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The structs below mirror the tariff tables that admins edit. Each row has
// an int64 ID (> 0) like a table's primary key, and refers to other rows by
// ID. A loader fills a TariffData and hands it to Build.

// TariffData is everything a Snapshot is built from.
type TariffData struct {
	Plans     []Plan
	Zones     []Zone
	Prefixes  []Prefix
	Bands     []Band
	BandRules []BandRule
	Holidays  []Holiday
	Rates     []Rate
}

// Plan is a rate card: how calls of its customers are priced.
type Plan struct {
	ID   int64
	Name string
	// Currency is the ISO 4217 code (three capital letters) of every amount
	// of the plan's rates.
	Currency string
	// TimeZone is the IANA name ("Europe/Sofia") of the zone in which the
	// plan's bands and holiday dates are read.
	TimeZone string
	// Rounding and RoundingDecimals (0..6) say how the total of a call is
	// rounded, once, to Money.
	Rounding         RoundingMode
	RoundingDecimals int
	BandPolicy       BandPolicy
	// ConnectFeeOnUnanswered charges the connect fee for zero-second calls,
	// which otherwise cost nothing.
	ConnectFeeOnUnanswered bool
}

// Zone is a destination (a country, a mobile network …). Zones are shared
// by all plans.
type Zone struct {
	ID          int64
	Name        string
	Description string
}

// Prefix maps the numbers starting with Digits to a zone. The longest
// matching prefix wins, so "35988" can be a mobile zone inside "359".
type Prefix struct {
	ID     int64
	Digits string // E.164 digits only, at most MaxPrefixDigits
	ZoneID int64
}

// Band is a named time band (peak, off-peak, weekend …) of one plan. The
// band's BandRules say when it applies; a band without rules is used only
// by holidays.
type Band struct {
	ID     int64
	PlanID int64
	Name   string
}

// BandRule puts its band on the given days from From to To, in the plan's
// local time. The rule starts on each of Days; when To is not after From it
// runs on past midnight into the next day (20:00–08:00), and From == To
// means 24 hours. To may be 24:00. Together the rules of a plan's bands
// must cover every minute of the week exactly once.
type BandRule struct {
	ID     int64
	BandID int64
	Days   Weekdays
	From   TimeOfDay
	To     TimeOfDay
}

// Holiday makes Date, a whole local day of the plan, take BandID's band
// instead of the weekly rules.
type Holiday struct {
	ID     int64
	PlanID int64
	Date   Date
	BandID int64
}

// Rate prices calls of one plan to one zone in one band and direction,
// during [ValidFrom, ValidTo). A zero ValidFrom means "since always", a
// zero ValidTo "until further notice".
type Rate struct {
	ID        int64
	PlanID    int64
	ZoneID    int64
	BandID    int64
	Direction Direction
	ValidFrom time.Time
	ValidTo   time.Time
	// ConnectFee is charged once per answered call.
	ConnectFee Money
	// MinDuration (seconds) is the least a connected call is billed for.
	MinDuration int
	// FirstIncrement and NextIncrement (seconds, ≥ 1) are the billing
	// steps: 30/6 bills 31 s as 30+6 = 36 s.
	FirstIncrement int
	NextIncrement  int
	// Tiers give the price per minute by elapsed call time; the first tier
	// starts at second 0.
	Tiers []Tier
	// MaxCost caps the rounded cost of a call; 0 means no cap.
	MaxCost Money
}

// Tier is the price per minute from FromSecond of elapsed call time on,
// until the next tier starts.
type Tier struct {
	FromSecond     int
	PricePerMinute Money
}

// Limits that keep every sum within int64 (see doc.go, "Exactness"). Real
// tariffs are far below them.
const (
	// MaxPrefixDigits is the longest E.164 number.
	MaxPrefixDigits = 15
	// MaxAmount bounds prices per minute, connect fees and caps.
	MaxAmount Money = 1_000_000 * MicrosPerUnit
	// MaxStepSeconds bounds minimum durations and increments.
	MaxStepSeconds = 86_400
	// MaxCallSeconds is the longest call Rate accepts: 31 days.
	MaxCallSeconds = 31 * 86_400
)

// RoundingMode says which way the total of a call is rounded to the plan's
// decimals.
type RoundingMode uint8

const (
	// RoundHalfUp rounds to the nearest step, halves up: 0.125 → 0.13.
	RoundHalfUp RoundingMode = iota + 1
	// RoundUp rounds any remainder up: 0.121 → 0.13.
	RoundUp
	// RoundDown drops the remainder: 0.129 → 0.12.
	RoundDown
)

var roundingModeNames = map[RoundingMode]string{RoundHalfUp: "half_up", RoundUp: "up", RoundDown: "down"}

// String returns the stored name: "half_up", "up" or "down".
func (m RoundingMode) String() string { return enumName(roundingModeNames, m, "rounding") }

// ParseRoundingMode is the inverse of String.
func ParseRoundingMode(s string) (RoundingMode, error) {
	return parseEnum(roundingModeNames, s, "rounding")
}

// BandPolicy says how a call that crosses a band boundary is priced.
type BandPolicy uint8

const (
	// BandSplit (the default) prices each part of the call with the rate of
	// the band it falls in.
	BandSplit BandPolicy = iota
	// BandStart prices the whole call with the band it started in.
	BandStart
)

var bandPolicyNames = map[BandPolicy]string{BandSplit: "split", BandStart: "start"}

// String returns the stored name: "split" or "start".
func (p BandPolicy) String() string { return enumName(bandPolicyNames, p, "band_policy") }

// ParseBandPolicy is the inverse of String.
func ParseBandPolicy(s string) (BandPolicy, error) {
	return parseEnum(bandPolicyNames, s, "band policy")
}

// Direction is the direction of a call leg as seen by the gateway.
type Direction uint8

const (
	Outgoing Direction = iota + 1
	Incoming
)

var directionNames = map[Direction]string{Outgoing: "outgoing", Incoming: "incoming"}

// String returns the stored name: "outgoing" or "incoming".
func (d Direction) String() string { return enumName(directionNames, d, "direction") }

// ParseDirection is the inverse of String.
func ParseDirection(s string) (Direction, error) { return parseEnum(directionNames, s, "direction") }

func enumName[E ~uint8](names map[E]string, value E, kind string) string {
	if name, ok := names[value]; ok {
		return name
	}
	return kind + "(" + strconv.Itoa(int(value)) + ")"
}

func parseEnum[E ~uint8](names map[E]string, s, kind string) (E, error) {
	for value, name := range names {
		if name == s {
			return value, nil
		}
	}
	valid := make([]string, 0, len(names))
	for value := range len(names) + 1 { // enums are small and dense
		if name, ok := names[E(value)]; ok {
			valid = append(valid, name)
		}
	}
	return 0, fmt.Errorf("invalid %s %q: want %s", kind, s, strings.Join(valid, ", "))
}

// Weekdays is a set of days of the week: bit d is time.Weekday(d).
type Weekdays uint8

// AllWeekdays is every day of the week.
const AllWeekdays Weekdays = 1<<7 - 1

// weekdayNames are in Monday-first order, as operators write them.
var weekdayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// mondayFirst lists the weekdays in the order of weekdayNames.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// Has reports whether day is in w.
func (w Weekdays) Has(day time.Weekday) bool { return w&(1<<day) != 0 }

// String writes w Monday first, runs of three or more days as ranges:
// "mon-fri", "sat,sun", "mon,wed-fri". The empty set is "".
func (w Weekdays) String() string {
	var parts []string
	for i := 0; i < 7; {
		if !w.Has(mondayFirst[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(mondayFirst[j+1]) {
			j++
		}
		switch j - i {
		case 0:
			parts = append(parts, weekdayNames[i])
		case 1:
			parts = append(parts, weekdayNames[i], weekdayNames[j])
		default:
			parts = append(parts, weekdayNames[i]+"-"+weekdayNames[j])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseWeekdays reads a comma-separated list of days and ranges, e.g.
// "mon-fri", "sat,sun", "fri-mon" (a range may wrap past Sunday). Day names
// are the three-letter English ones, in any case.
func ParseWeekdays(s string) (Weekdays, error) {
	var days Weekdays
	for item := range strings.SplitSeq(s, ",") {
		first, last, isRange := strings.Cut(strings.TrimSpace(item), "-")
		from, okFrom := weekdayIndex(first)
		to, okTo := from, okFrom
		if isRange {
			to, okTo = weekdayIndex(last)
		}
		if !okFrom || !okTo {
			return 0, fmt.Errorf("invalid days %q: want names like mon, sat,sun or mon-fri", s)
		}
		for i := from; ; i = (i + 1) % 7 {
			days |= 1 << mondayFirst[i]
			if i == to {
				break
			}
		}
	}
	return days, nil
}

func weekdayIndex(name string) (int, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for i, n := range weekdayNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// TimeOfDay is a wall-clock time in minutes after midnight, 0 (00:00) to
// 1440 (24:00, valid only as the end of a rule).
type TimeOfDay int

// minutesPerDay is also the TimeOfDay of 24:00.
const minutesPerDay = 24 * 60

// String formats t as "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// ParseTimeOfDay reads "HH:MM" (00:00 … 24:00).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	hours, minutes, ok := strings.Cut(s, ":")
	h, errH := strconv.Atoi(hours)
	m, errM := strconv.Atoi(minutes)
	if !ok || len(hours) != 2 || len(minutes) != 2 || !allDigits(hours) || !allDigits(minutes) ||
		errH != nil || errM != nil || m > 59 || h*60+m > minutesPerDay {
		return 0, fmt.Errorf("invalid time of day %q: want HH:MM from 00:00 to 24:00", s)
	}
	return TimeOfDay(h*60 + m), nil
}

// Date is a calendar day, without a time zone: holidays are whole local
// days of their plan.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// valid reports whether d is a real calendar day in years 1900..9999.
func (d Date) valid() bool {
	if d.Year < 1900 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Month() == d.Month && t.Day() == d.Day
}

// daysSinceEpoch numbers d's day, 1970-01-01 being 0.
func (d Date) daysSinceEpoch() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	d := Date{t.Year(), t.Month(), t.Day()}
	if err != nil || !d.valid() {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return d, nil
}

// FormatTiers writes tiers as "from:price" pairs joined by ';', prices with
// at least two decimals: "0:0.20;60:0.10".
func FormatTiers(tiers []Tier) string {
	var b strings.Builder
	for i, tier := range tiers {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(strconv.Itoa(tier.FromSecond))
		b.WriteByte(':')
		b.WriteString(FormatMinimal(tier.PricePerMinute))
	}
	return b.String()
}

// FormatMinimal formats m with as few decimals as keep it exact, but at
// least two: "0.20", "0.025", "12.00".
func FormatMinimal(m Money) string {
	s := m.String()
	trimmed := strings.TrimRight(s, "0")
	if dot := strings.IndexByte(s, '.'); len(trimmed) < dot+3 {
		return s[:dot+3]
	}
	return trimmed
}

// ParseTiers reads FormatTiers' format and checks the tiers as Build does.
func ParseTiers(s string) ([]Tier, error) {
	var tiers []Tier
	for item := range strings.SplitSeq(s, ";") {
		from, price, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return nil, fmt.Errorf("invalid tier %q: want from_second:price_per_minute", item)
		}
		second, err := strconv.Atoi(strings.TrimSpace(from))
		if err != nil || !allDigits(strings.TrimSpace(from)) {
			return nil, fmt.Errorf("invalid tier %q: start %q is not a number of seconds", item, from)
		}
		amount, err := ParseMoney(strings.TrimSpace(price))
		if err != nil {
			return nil, fmt.Errorf("invalid tier %q: %w", item, err)
		}
		tiers = append(tiers, Tier{FromSecond: second, PricePerMinute: amount})
	}
	if err := checkTiers(tiers); err != nil {
		return nil, err
	}
	return tiers, nil
}

// checkTiers enforces what the rating loop relies on: a first tier at 0 s,
// strictly ascending starts, prices within 0..MaxAmount.
func checkTiers(tiers []Tier) error {
	if len(tiers) == 0 {
		return fmt.Errorf("no tiers")
	}
	if tiers[0].FromSecond != 0 {
		return fmt.Errorf("first tier starts at %d s, not 0", tiers[0].FromSecond)
	}
	for i, tier := range tiers {
		if i > 0 && tier.FromSecond <= tiers[i-1].FromSecond {
			return fmt.Errorf("tier %d starts at %d s, not after %d s", i+1, tier.FromSecond, tiers[i-1].FromSecond)
		}
		if tier.PricePerMinute < 0 || tier.PricePerMinute > MaxAmount {
			return fmt.Errorf("tier %d price %s out of range 0..%s", i+1, tier.PricePerMinute, MaxAmount)
		}
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
