package rating

import (
	"math"
	"time"
)

// Snapshot is a compiled, immutable tariff made by Build. It is safe for
// concurrent use: Rate only reads it, so a server can rate from many
// goroutines and swap in a new Snapshot (atomic.Pointer) on reload.
type Snapshot struct {
	planByID map[int64]int32
	plans    []compiledPlan
	zones    []ZoneRef
	bands    []BandRef
	trie     prefixTrie
	// The rates of zone z are found by its rateKeys,
	// rateKeys[zoneRateKeys[z]:zoneRateKeys[z+1]], sorted by band and
	// direction; each names its rates in rates, sorted by validFrom.
	zoneRateKeys []int32
	rateKeys     []rateKey
	rates        []compiledRate
}

type compiledPlan struct {
	id                     int64
	name                   string
	currency               string
	location               *time.Location
	rounding               RoundingMode
	decimals               int
	policy                 BandPolicy
	connectFeeOnUnanswered bool
	week                   []weekSegment // from Monday 00:00, adjacent segments differ in band
	holidays               []holidayBand // sorted by day
}

// weekSegment starts its band at start seconds after Monday 00:00 local,
// until the next segment (or the end of the week).
type weekSegment struct {
	start int32
	band  int32
}

type holidayBand struct {
	day  int64 // days since 1970-01-01
	band int32
}

// rateKey lists the rates of one zone, band and direction: rates[start:end].
type rateKey struct {
	band       int32 // a band belongs to one plan, so it stands for the plan too
	direction  Direction
	start, end int32
}

type compiledRate struct {
	id             int64
	validFrom      int64 // Unix seconds; math.MinInt64 when open
	validTo        int64 // Unix seconds, exclusive; math.MaxInt64 when open
	connectFee     Money
	minDuration    int64
	firstIncrement int64
	nextIncrement  int64
	tiers          []Tier
	maxCost        Money
}

// ZoneRef names the zone of a charge.
type ZoneRef struct {
	ID   int64
	Name string
}

// BandRef names a band of a charge.
type BandRef struct {
	ID   int64
	Name string
}

// Call holds the facts of a call leg that rating needs.
type Call struct {
	PlanID int64
	// Called is the normalised called number: E.164 digits only, no '+'.
	Called string
	// ConnectTime is when the call was answered; rating uses it to the
	// whole second.
	ConnectTime time.Time
	// DurationSeconds is the connected time, 0 for an unanswered call.
	DurationSeconds int64
	Direction       Direction
	// NearestRatedPrefix prices the call by the longest prefix of the
	// called number whose zone the plan has a rate for at connect time,
	// where the longest prefix's zone has none: a carrier's rate deck,
	// in which each carrier's own longest prefix is its price.
	NearestRatedPrefix bool
}

// Status says whether a call was rated; anything but StatusOK means Cost
// is not the price of the call.
type Status uint8

const (
	StatusOK Status = iota + 1
	// StatusUnknownPlan: no plan has the call's PlanID.
	StatusUnknownPlan
	// StatusUnknownDestination: no prefix matches the called number.
	StatusUnknownDestination
	// StatusNoRate: the plan has no rate in force at connect time for the
	// zone, direction and a band the call falls in.
	StatusNoRate
	// StatusInvalidCall: the facts are unusable: a number that is not all
	// digits, a negative or over-long duration, a connect time outside the
	// years 1900..9999 (such as a zero time.Time), an unknown direction.
	StatusInvalidCall
)

var statusNames = map[Status]string{
	StatusOK: "ok", StatusUnknownPlan: "unknown_plan", StatusUnknownDestination: "unknown_destination",
	StatusNoRate: "no_rate", StatusInvalidCall: "invalid_call",
}

// String returns the name stored in the database, e.g. "no_rate".
func (s Status) String() string { return enumName(statusNames, s, "status") }

// Charge is the result of rating a call.
type Charge struct {
	Status   Status
	Currency string // the plan's; set whenever the plan is known
	Zone     ZoneRef
	Prefix   string // the longest prefix that matched the called number
	// Band is the band at connect time; RateID is that band's rate, which
	// gives the connect fee, minimum duration, increments and cap.
	Band          BandRef
	RateID        int64
	ConnectFee    Money
	BilledSeconds int64
	// Parts split the billed seconds at band boundaries, in time order.
	// ConnectFee×60 + the sum of the parts' Amounts is exactly Exact.
	Parts []Part
	// Exact is the unrounded total; Cost is Exact rounded once by the
	// plan's rule, then capped at the rate's maximum cost (Capped).
	Exact  ExactAmount
	Capped bool
	Cost   Money
}

// Part is a stretch of a call that falls in one band.
type Part struct {
	Band   BandRef
	RateID int64
	Start  time.Time // in the plan's time zone
	// Seconds is the connected time within the part; BilledSeconds also
	// counts the rounding up to increments, which lies after the real end.
	Seconds       int64
	BilledSeconds int64
	// Amount is the part's unrounded price; the connect fee is not in it.
	Amount ExactAmount

	band int32 // index into Snapshot.bands
}

// Connect times outside the years 1900..9999 are refused: they are broken
// clocks, and the limit keeps second arithmetic far from overflow.
var (
	earliestConnect = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	latestConnect   = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - 1
)

// Rate prices call. It never fails: problems are reported in the Status.
func (s *Snapshot) Rate(call Call) Charge {
	var charge Charge
	s.RateTo(&charge, call)
	return charge
}

// RateTo is Rate writing into charge, reusing its Parts storage, so that a
// caller rating in a loop does not allocate.
func (s *Snapshot) RateTo(charge *Charge, call Call) {
	*charge = Charge{Parts: charge.Parts[:0]}
	planIndex, planKnown := s.planByID[call.PlanID]
	if !planKnown {
		charge.Status = StatusUnknownPlan
		return
	}
	plan := &s.plans[planIndex]
	charge.Currency = plan.currency
	connect := call.ConnectTime.Unix()
	if !allDigits(call.Called) || call.DurationSeconds < 0 || call.DurationSeconds > MaxCallSeconds ||
		connect < earliestConnect || connect > latestConnect || (call.Direction != Outgoing && call.Direction != Incoming) {
		charge.Status = StatusInvalidCall
		return
	}
	zone, prefixLength := s.trie.lookup(call.Called)
	if zone == noZone {
		charge.Status = StatusUnknownDestination
		return
	}
	local, offsetLasts := plan.localTime(connect)
	startBand, _ := plan.bandAt(local)
	startRate := s.rateAt(zone, startBand, call.Direction, connect)
	if startRate == nil && call.NearestRatedPrefix {
		var zones [MaxPrefixDigits]int32
		var lengths [MaxPrefixDigits]int
		n := s.trie.lookupAll(call.Called, &zones, &lengths)
		if i, rate := s.nearestRate(zones[:n], startBand, call.Direction, connect); rate != nil {
			zone, prefixLength, startRate = zones[i], lengths[i], rate
		}
	}
	charge.Zone = s.zones[zone]
	charge.Prefix = call.Called[:prefixLength]
	charge.Band = s.bands[startBand]
	if startRate == nil {
		charge.Status = StatusNoRate
		return
	}
	charge.RateID = startRate.id
	charge.ConnectFee = startRate.connectFee
	charge.BilledSeconds = startRate.billedSeconds(call.DurationSeconds)

	exact := ExactAmount(0)
	if charge.BilledSeconds > 0 || plan.connectFeeOnUnanswered {
		exact = ExactAmount(startRate.connectFee) * 60
	}
	if charge.BilledSeconds > 0 {
		if plan.policy == BandStart {
			charge.Parts = append(charge.Parts, Part{Band: charge.Band, BilledSeconds: charge.BilledSeconds, band: startBand})
		} else {
			charge.Parts = s.splitAtBands(charge.Parts, plan, connect, charge.BilledSeconds, local, offsetLasts)
		}
		elapsed := int64(0)
		for i := range charge.Parts {
			part := &charge.Parts[i]
			rate := startRate
			if part.band != startBand {
				rate = s.rateAt(zone, part.band, call.Direction, connect)
			}
			if rate == nil { // keep only what a start band without a rate would show
				*charge = Charge{Status: StatusNoRate, Currency: charge.Currency, Zone: charge.Zone, Prefix: charge.Prefix,
					Band: charge.Band, Parts: charge.Parts[:0]}
				return
			}
			part.RateID = rate.id
			part.Start = time.Unix(connect+elapsed, 0).In(plan.location)
			part.Seconds = max(0, min(elapsed+part.BilledSeconds, call.DurationSeconds)-elapsed)
			part.Amount = rate.amount(elapsed, elapsed+part.BilledSeconds)
			exact += part.Amount
			elapsed += part.BilledSeconds
		}
	}
	charge.Exact = exact
	charge.Cost = plan.round(exact)
	if startRate.maxCost > 0 && charge.Cost > startRate.maxCost {
		charge.Cost, charge.Capped = startRate.maxCost, true
	}
	charge.Status = StatusOK
}

// splitAtBands lays billed seconds on the timeline from connect and cuts
// them where the band changes. Bands are read off the local wall clock, so
// a boundary at 08:00 is at the real instant of 08:00 local on that date,
// and a boundary inside a skipped DST hour takes effect at the jump. Each
// step ends at the nearest of: the next band boundary, local midnight
// (holidays are whole dates), the next UTC offset change; steps in the
// same band are merged into one part. local and offsetLasts are
// plan.localTime(connect), which the caller already has.
func (s *Snapshot) splitAtBands(parts []Part, plan *compiledPlan, connect, billed, local, offsetLasts int64) []Part {
	for at, end := connect, connect+billed; at < end; {
		if at != connect {
			local, offsetLasts = plan.localTime(at)
		}
		band, bandLasts := plan.bandAt(local)
		step := min(bandLasts, offsetLasts, end-at)
		if n := len(parts); n > 0 && parts[n-1].band == band {
			parts[n-1].BilledSeconds += step
		} else {
			parts = append(parts, Part{Band: s.bands[band], BilledSeconds: step, band: band})
		}
		at += step
	}
	return parts
}

// nearestRate is the rate in force at the Unix second at of the first of
// zones (the number's prefixes' zones, longest first) that has one for
// band and direction, with that zone's index in zones; nil for none.
func (s *Snapshot) nearestRate(zones []int32, band int32, direction Direction, at int64) (int, *compiledRate) {
	for i, zone := range zones {
		if rate := s.rateAt(zone, band, direction, at); rate != nil {
			return i, rate
		}
	}
	return -1, nil
}

// rateAt returns the rate for the key in force at the Unix second at, or
// nil.
func (s *Snapshot) rateAt(zone, band int32, direction Direction, at int64) *compiledRate {
	keys := s.rateKeys[s.zoneRateKeys[zone]:s.zoneRateKeys[zone+1]]
	low, high := 0, len(keys) // binary search for the first key not before (band, direction)
	for low < high {
		middle := (low + high) / 2
		if key := keys[middle]; key.band < band || (key.band == band && key.direction < direction) {
			low = middle + 1
		} else {
			high = middle
		}
	}
	if low == len(keys) || keys[low].band != band || keys[low].direction != direction {
		return nil
	}
	for i := keys[low].start; i < keys[low].end; i++ {
		if rate := &s.rates[i]; rate.validFrom <= at && at < rate.validTo {
			return rate
		}
	}
	return nil
}

// localTime returns the wall-clock reading at Unix second at, as seconds
// since 1970-01-01 00:00 local, and how many seconds the plan's zone keeps
// its current UTC offset (math.MaxInt64 if for ever).
func (p *compiledPlan) localTime(at int64) (local, offsetLasts int64) {
	t := time.Unix(at, 0).In(p.location)
	_, offset := t.Zone()
	offsetLasts = math.MaxInt64
	if _, end := t.ZoneBounds(); !end.IsZero() {
		offsetLasts = end.Unix() - at
	}
	return at + int64(offset), offsetLasts
}

// bandAt returns the band in force at a local wall-clock second and how
// many wall-clock seconds it lasts at least: to the band's end in the
// week, or to midnight, where a holiday may begin or end.
func (p *compiledPlan) bandAt(local int64) (band int32, lasts int64) {
	day := floorDiv(local, secondsPerDay)
	sinceMidnight := local - day*secondsPerDay
	untilMidnight := secondsPerDay - sinceMidnight
	if band, isHoliday := p.holidayBand(day); isHoliday {
		return band, untilMidnight
	}
	// 1970-01-01 was a Thursday, day 3 of a Monday-first week.
	position := int32(floorMod(day+3, 7)*secondsPerDay + sinceMidnight)
	low, high := 0, len(p.week) // find the last segment starting at or before position
	for high-low > 1 {
		middle := (low + high) / 2
		if p.week[middle].start <= position {
			low = middle
		} else {
			high = middle
		}
	}
	end := int32(secondsPerWeek)
	if low+1 < len(p.week) {
		end = p.week[low+1].start
	}
	return p.week[low].band, min(int64(end-position), untilMidnight)
}

func (p *compiledPlan) holidayBand(day int64) (int32, bool) {
	low, high := 0, len(p.holidays)
	for low < high {
		middle := (low + high) / 2
		switch {
		case p.holidays[middle].day < day:
			low = middle + 1
		case p.holidays[middle].day > day:
			high = middle
		default:
			return p.holidays[middle].band, true
		}
	}
	return 0, false
}

// billedSeconds applies the minimum duration and the increments.
func (r *compiledRate) billedSeconds(duration int64) int64 {
	if duration == 0 {
		return 0
	}
	seconds := max(duration, r.minDuration)
	if seconds <= r.firstIncrement {
		return r.firstIncrement
	}
	steps := (seconds - r.firstIncrement + r.nextIncrement - 1) / r.nextIncrement
	return r.firstIncrement + steps*r.nextIncrement
}

// amount prices elapsed call seconds [from, to) by the rate's tiers.
func (r *compiledRate) amount(from, to int64) ExactAmount {
	var total int64
	for i, tier := range r.tiers {
		low := max(from, int64(tier.FromSecond))
		high := to
		if i+1 < len(r.tiers) {
			high = min(high, int64(r.tiers[i+1].FromSecond))
		}
		if high > low {
			total += int64(tier.PricePerMinute) * (high - low)
		}
	}
	return ExactAmount(total)
}

// round turns an exact total into Money by the plan's rule.
func (p *compiledPlan) round(exact ExactAmount) Money {
	step := pow10[moneyDecimals-p.decimals] // micro-units per rounding step
	unit := 60 * step                       // exact units per rounding step
	quotient, remainder := int64(exact)/unit, int64(exact)%unit
	switch p.rounding {
	case RoundUp:
		if remainder > 0 {
			quotient++
		}
	case RoundHalfUp:
		if 2*remainder >= unit {
			quotient++
		}
	}
	return Money(quotient * step)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
