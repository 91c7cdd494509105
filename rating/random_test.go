package rating

import (
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// randomTimeZones include half-hour DST (Lord Howe) and odd offsets.
var randomTimeZones = []string{"UTC", "Europe/Sofia", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "America/Sao_Paulo"}

// weekInterval is [start, end) minutes of the Monday-first week in a band.
type weekInterval struct {
	start, end int
	band       int64
}

// randomTariff is a small valid tariff and, for each plan, the week it was
// generated from: the oracle that band splits are checked against.
type randomTariff struct {
	data  TariffData
	weeks map[int64][]weekInterval
}

var (
	randomEpochStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	randomEpochEnd   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

func newRandomTariff(rng *rand.Rand) randomTariff {
	tariff := randomTariff{weeks: make(map[int64][]weekInterval)}
	data := &tariff.data
	nextID := int64(1)
	id := func() int64 { nextID++; return nextID }

	for z := range 1 + rng.IntN(4) {
		data.Zones = append(data.Zones, Zone{ID: id(), Name: "zone " + strconv.Itoa(z)})
	}
	seenPrefixes := map[string]bool{}
	for range 1 + rng.IntN(6) {
		digits := randomDigits(rng, 1+rng.IntN(4))
		if !seenPrefixes[digits] {
			seenPrefixes[digits] = true
			data.Prefixes = append(data.Prefixes, Prefix{ID: id(), Digits: digits, ZoneID: data.Zones[rng.IntN(len(data.Zones))].ID})
		}
	}

	for p := range 1 + rng.IntN(3) {
		plan := Plan{
			ID: int64(p + 1), Name: "plan " + strconv.Itoa(p), Currency: "EUR",
			TimeZone: randomTimeZones[rng.IntN(len(randomTimeZones))], Rounding: RoundingMode(1 + rng.IntN(3)),
			RoundingDecimals: rng.IntN(7), BandPolicy: BandPolicy(rng.IntN(2)), ConnectFeeOnUnanswered: rng.IntN(2) == 0,
		}
		data.Plans = append(data.Plans, plan)
		var bands []int64
		for b := range 1 + rng.IntN(3) {
			bands = append(bands, id())
			data.Bands = append(data.Bands, Band{ID: bands[b], PlanID: plan.ID, Name: "band " + strconv.Itoa(b)})
		}
		week := randomWeek(rng, bands)
		tariff.weeks[plan.ID] = week
		for _, interval := range week {
			data.BandRules = append(data.BandRules, rulesFor(rng, interval, id)...)
		}
		if rng.IntN(3) == 0 { // a band used only on holidays
			bands = append(bands, id())
			data.Bands = append(data.Bands, Band{ID: bands[len(bands)-1], PlanID: plan.ID, Name: "holiday"})
		}
		seenDays := map[time.Time]bool{}
		for range rng.IntN(4) {
			day := time.Unix(randomEpochStart+rng.Int64N(randomEpochEnd-randomEpochStart), 0).UTC().Truncate(24 * time.Hour)
			if !seenDays[day] {
				seenDays[day] = true
				data.Holidays = append(data.Holidays, Holiday{ID: id(), PlanID: plan.ID,
					Date: Date{day.Year(), day.Month(), day.Day()}, BandID: bands[rng.IntN(len(bands))]})
			}
		}
		for _, zone := range data.Zones {
			for _, band := range bands {
				for _, direction := range []Direction{Outgoing, Incoming} {
					if rng.IntN(8) > 0 {
						data.Rates = append(data.Rates, randomRates(rng, id, plan.ID, zone.ID, band, direction)...)
					}
				}
			}
		}
	}
	return tariff
}

func randomDigits(rng *rand.Rand, n int) string {
	digits := make([]byte, n)
	for i := range digits {
		digits[i] = byte('0' + rng.IntN(10))
	}
	return string(digits)
}

// randomWeek cuts the week at up to six random minutes.
func randomWeek(rng *rand.Rand, bands []int64) []weekInterval {
	cuts := []int{0, minutesPerWeek}
	for range rng.IntN(7) {
		cuts = append(cuts, 1+rng.IntN(minutesPerWeek-1))
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var week []weekInterval
	for i := 0; i+1 < len(cuts); i++ {
		week = append(week, weekInterval{cuts[i], cuts[i+1], bands[rng.IntN(len(bands))]})
	}
	return week
}

// rulesFor writes an interval as rules: one per day, or one rule wrapping
// past midnight when the interval crosses one and is shorter than a day.
func rulesFor(rng *rand.Rand, interval weekInterval, id func() int64) []BandRule {
	firstDay, lastDay := interval.start/minutesPerDay, (interval.end-1)/minutesPerDay
	if lastDay == firstDay+1 && interval.end-interval.start < minutesPerDay && rng.IntN(2) == 0 {
		return []BandRule{{ID: id(), BandID: interval.band, Days: 1 << mondayFirst[firstDay],
			From: TimeOfDay(interval.start % minutesPerDay), To: TimeOfDay(interval.end % minutesPerDay)}}
	}
	var rules []BandRule
	for day := firstDay; day <= lastDay; day++ {
		from := max(interval.start, day*minutesPerDay) - day*minutesPerDay
		to := min(interval.end, (day+1)*minutesPerDay) - day*minutesPerDay
		rules = append(rules, BandRule{ID: id(), BandID: interval.band, Days: 1 << mondayFirst[day], From: TimeOfDay(from), To: TimeOfDay(to)})
	}
	return rules
}

// randomRates makes one rate, or two that meet at a random instant.
func randomRates(rng *rand.Rand, id func() int64, plan, zone, band int64, direction Direction) []Rate {
	newRate := func() Rate {
		tiers := []Tier{{0, Money(rng.Int64N(500_001))}}
		for range rng.IntN(3) {
			tiers = append(tiers, Tier{tiers[len(tiers)-1].FromSecond + 1 + rng.IntN(600), Money(rng.Int64N(500_001))})
		}
		maxCost := Money(0)
		if rng.IntN(3) == 0 {
			maxCost = Money(1 + rng.Int64N(5_000_000))
		}
		return Rate{ID: id(), PlanID: plan, ZoneID: zone, BandID: band, Direction: direction,
			ConnectFee: Money(rng.Int64N(500_001)), MinDuration: rng.IntN(121),
			FirstIncrement: 1 + rng.IntN(120), NextIncrement: 1 + rng.IntN(60), Tiers: tiers, MaxCost: maxCost}
	}
	first := newRate()
	if rng.IntN(3) > 0 {
		return []Rate{first}
	}
	second := newRate()
	change := time.Unix(randomEpochStart+rng.Int64N(randomEpochEnd-randomEpochStart), 0)
	first.ValidTo, second.ValidFrom = change, change
	return []Rate{first, second}
}

func (r randomTariff) randomCall(t *testing.T, rng *rand.Rand) Call {
	call := Call{
		PlanID:          int64(1 + rng.IntN(len(r.data.Plans)+1)), // one past the last: unknown
		Called:          randomDigits(rng, 1+rng.IntN(10)),
		ConnectTime:     time.Unix(randomEpochStart+rng.Int64N(randomEpochEnd-randomEpochStart), 0),
		DurationSeconds: rng.Int64N(7201),
		Direction:       Direction(1 + rng.IntN(2)),
	}
	if len(r.data.Prefixes) > 0 && rng.IntN(5) > 0 {
		call.Called = r.data.Prefixes[rng.IntN(len(r.data.Prefixes))].Digits + randomDigits(rng, rng.IntN(9))
	}
	if rng.IntN(10) == 0 {
		call.DurationSeconds = 0
	}
	if instants := r.edges(t, call.PlanID); len(instants) > 0 && rng.IntN(3) > 0 {
		before := rng.Int64N(7200)
		if rng.IntN(4) == 0 {
			before = rng.Int64N(2) // on the edge, or its last second before
		}
		call.ConnectTime = time.Unix(instants[rng.IntN(len(instants))]-before, 0)
	}
	return call
}

// edges are the instants where rating is most likely to go wrong for a
// plan: holiday midnights, rate validity changes and UTC offset changes.
func (r randomTariff) edges(t *testing.T, planID int64) []int64 {
	plan, known := r.plan(planID)
	if !known {
		return nil
	}
	location := cachedLocation(t, plan.TimeZone)
	var edges []int64
	for _, holiday := range r.data.Holidays {
		if holiday.PlanID == planID {
			midnight := time.Date(holiday.Date.Year, holiday.Date.Month, holiday.Date.Day, 0, 0, 0, 0, location)
			edges = append(edges, midnight.Unix(), midnight.AddDate(0, 0, 1).Unix())
		}
	}
	for _, rate := range r.data.Rates {
		if rate.PlanID == planID && !rate.ValidFrom.IsZero() {
			edges = append(edges, rate.ValidFrom.Unix())
		}
	}
	for at := time.Unix(randomEpochStart, 0).In(location); at.Unix() < randomEpochEnd; {
		_, end := at.ZoneBounds()
		if end.IsZero() {
			break
		}
		edges = append(edges, end.Unix())
		at = end
	}
	return edges
}

// oracleBand is the band at instant at by the generated week and holidays,
// read off the plan's wall clock with the time package.
func (r randomTariff) oracleBand(t *testing.T, planID int64, at time.Time) int64 {
	t.Helper()
	var plan Plan
	for _, p := range r.data.Plans {
		if p.ID == planID {
			plan = p
		}
	}
	local := at.In(cachedLocation(t, plan.TimeZone))
	for _, holiday := range r.data.Holidays {
		if holiday.PlanID == planID && holiday.Date == (Date{local.Year(), local.Month(), local.Day()}) {
			return holiday.BandID
		}
	}
	minute := weekPosition(local.Weekday())*minutesPerDay + local.Hour()*60 + local.Minute()
	for _, interval := range r.weeks[planID] {
		if interval.start <= minute && minute < interval.end {
			return interval.band
		}
	}
	t.Fatalf("generated week has no band at minute %d", minute)
	return 0
}

var locationCache sync.Map // zone name → *time.Location; loading is slow

func cachedLocation(t *testing.T, name string) *time.Location {
	if location, ok := locationCache.Load(name); ok {
		return location.(*time.Location)
	}
	location := mustLocation(t, name)
	locationCache.Store(name, location)
	return location
}

func (r randomTariff) plan(id int64) (Plan, bool) {
	for _, plan := range r.data.Plans {
		if plan.ID == id {
			return plan, true
		}
	}
	return Plan{}, false
}

// longestPrefix finds the zone by trying every prefix.
func (r randomTariff) longestPrefix(number string) (zoneID int64, prefix string) {
	for _, p := range r.data.Prefixes {
		if len(p.Digits) > len(prefix) && len(number) >= len(p.Digits) && number[:len(p.Digits)] == p.Digits {
			zoneID, prefix = p.ZoneID, p.Digits
		}
	}
	return zoneID, prefix
}

// rateInForce finds the rate by trying every rate.
func (r randomTariff) rateInForce(planID, zoneID, bandID int64, direction Direction, at int64) (Rate, bool) {
	for _, rate := range r.data.Rates {
		if rate.PlanID == planID && rate.ZoneID == zoneID && rate.BandID == bandID && rate.Direction == direction &&
			(rate.ValidFrom.IsZero() || rate.ValidFrom.Unix() <= at) && (rate.ValidTo.IsZero() || at < rate.ValidTo.Unix()) {
			return rate, true
		}
	}
	return Rate{}, false
}

// checkCharge checks a charge against brute-force oracles and the
// invariants that must hold for any charge.
func (r randomTariff) checkCharge(t *testing.T, call Call, charge Charge) {
	t.Helper()
	if charge.Cost < 0 || charge.Exact < 0 {
		t.Fatalf("negative cost %s / exact %d for %+v", charge.Cost, charge.Exact, call)
	}
	if charge.Status != StatusOK && (charge.Cost != 0 || len(charge.Parts) != 0) {
		t.Fatalf("status %v with cost %s and parts %v", charge.Status, charge.Cost, charge.Parts)
	}
	wantStatus := func(want Status) {
		t.Helper()
		if charge.Status != want {
			t.Fatalf("status %v, want %v for %+v", charge.Status, want, call)
		}
	}
	plan, planKnown := r.plan(call.PlanID)
	connect := call.ConnectTime.Unix()
	switch {
	case !planKnown:
		wantStatus(StatusUnknownPlan)
		return
	case !allDigits(call.Called) || call.DurationSeconds < 0 || call.DurationSeconds > MaxCallSeconds ||
		call.ConnectTime.Year() < 1900 || call.ConnectTime.Year() > 9999 || (call.Direction != Outgoing && call.Direction != Incoming):
		wantStatus(StatusInvalidCall)
		return
	}
	zoneID, prefix := r.longestPrefix(call.Called)
	if prefix == "" {
		wantStatus(StatusUnknownDestination)
		return
	}
	if charge.Zone.ID != zoneID || charge.Prefix != prefix {
		t.Fatalf("zone %d prefix %q, want %d %q", charge.Zone.ID, charge.Prefix, zoneID, prefix)
	}
	if band := r.oracleBand(t, plan.ID, call.ConnectTime); charge.Band.ID != band {
		t.Fatalf("start band %d, want %d", charge.Band.ID, band)
	}
	rate, rated := r.rateInForce(plan.ID, zoneID, charge.Band.ID, call.Direction, connect)
	if !rated || charge.Status == StatusNoRate {
		// A later part may lack a rate; the parts are gone then, so only
		// check that the start band has one.
		if !rated {
			wantStatus(StatusNoRate)
		}
		return
	}
	wantStatus(StatusOK)
	if charge.RateID != rate.ID {
		t.Fatalf("rate %d, want %d", charge.RateID, rate.ID)
	}
	checkBilledSeconds(t, rate, call.DurationSeconds, charge.BilledSeconds)

	whole := ExactAmount(0)
	if charge.BilledSeconds > 0 || plan.ConnectFeeOnUnanswered {
		whole = ExactAmount(rate.ConnectFee) * 60
	}
	var seconds, billed int64
	for i, part := range charge.Parts {
		if part.BilledSeconds <= 0 {
			t.Fatalf("part %d: %+v", i, part)
		}
		if want := connect + billed; part.Start.Unix() != want {
			t.Fatalf("part %d starts at %d, want %d", i, part.Start.Unix(), want)
		}
		if i > 0 && part.Band == charge.Parts[i-1].Band {
			t.Fatalf("parts %d and %d are both %q", i-1, i, part.Band.Name)
		}
		if plan.BandPolicy == BandSplit {
			r.checkPartBand(t, plan.ID, part)
		} else if part.Band != charge.Band {
			t.Fatalf("start-band pricing, but part %d is %q", i, part.Band.Name)
		}
		partRate, _ := r.rateInForce(plan.ID, zoneID, part.Band.ID, call.Direction, connect)
		if part.RateID != partRate.ID {
			t.Fatalf("part %d rate %d, want %d", i, part.RateID, partRate.ID)
		}
		if part.BilledSeconds <= 100_000 {
			var amount ExactAmount // second by second
			for elapsed := billed; elapsed < billed+part.BilledSeconds; elapsed++ {
				price := Money(0)
				for _, tier := range partRate.Tiers {
					if int64(tier.FromSecond) <= elapsed {
						price = tier.PricePerMinute
					}
				}
				amount += ExactAmount(price)
			}
			if part.Amount != amount {
				t.Fatalf("part %d amount %d/60 µ, want %d", i, part.Amount, amount)
			}
		}
		if want := max(0, min(billed+part.BilledSeconds, call.DurationSeconds)-billed); part.Seconds != want {
			t.Fatalf("part %d has %d connected seconds, want %d", i, part.Seconds, want)
		}
		whole += part.Amount
		seconds += part.Seconds
		billed += part.BilledSeconds
	}
	if whole != charge.Exact || seconds != call.DurationSeconds || billed != charge.BilledSeconds {
		t.Fatalf("parts add up to %d/60 µ, %d s, %d s billed; charge has %d, %d, %d",
			whole, seconds, billed, charge.Exact, call.DurationSeconds, charge.BilledSeconds)
	}
	if len(charge.Parts) > 0 && charge.Parts[0].Band != charge.Band {
		t.Fatalf("first part band %q, charge band %q", charge.Parts[0].Band.Name, charge.Band.Name)
	}
	checkRounding(t, plan, rate, charge)
}

// checkBilledSeconds checks the defining properties of billed seconds:
// the first increment plus whole next increments, the least such that
// covers max(duration, minimum); nothing for an unanswered call.
func checkBilledSeconds(t *testing.T, rate Rate, duration, billed int64) {
	t.Helper()
	if duration == 0 {
		if billed != 0 {
			t.Fatalf("unanswered call billed %d s", billed)
		}
		return
	}
	least := max(duration, int64(rate.MinDuration))
	first, next := int64(rate.FirstIncrement), int64(rate.NextIncrement)
	if billed < first || billed < least || (billed-first)%next != 0 || (billed > first && billed-next >= least) {
		t.Fatalf("%d s with minimum %d, increments %d/%d billed as %d s", duration, rate.MinDuration, first, next, billed)
	}
}

// checkRounding recomputes the cost with math/big: the exact total
// rounded by the plan's rule, then capped.
func checkRounding(t *testing.T, plan Plan, rate Rate, charge Charge) {
	t.Helper()
	step := pow10[moneyDecimals-plan.RoundingDecimals]
	steps := big.NewRat(int64(charge.Exact), 60*step) // the total in rounding steps
	if plan.Rounding == RoundHalfUp {
		steps.Add(steps, big.NewRat(1, 2))
	}
	whole := new(big.Int).Quo(steps.Num(), steps.Denom()) // floor: the total is not negative
	if plan.Rounding == RoundUp && !steps.IsInt() {
		whole.Add(whole, big.NewInt(1))
	}
	want := Money(whole.Int64() * step)
	capped := rate.MaxCost > 0 && want > rate.MaxCost
	if capped {
		want = rate.MaxCost
	}
	if charge.Cost != want || charge.Capped != capped {
		t.Fatalf("%v to %d decimals of %d/60 µ, cap %s: got %s (capped %v), want %s (capped %v)",
			plan.Rounding, plan.RoundingDecimals, charge.Exact, rate.MaxCost, charge.Cost, charge.Capped, want, capped)
	}
}

// checkPartBand checks the part's band against the oracle at the part's
// first and last second and, for parts up to a day, at every minute turn
// of the local clock in between.
func (r randomTariff) checkPartBand(t *testing.T, planID int64, part Part) {
	t.Helper()
	end := part.Start.Unix() + part.BilledSeconds
	check := func(at int64) {
		if band := r.oracleBand(t, planID, time.Unix(at, 0)); band != part.Band.ID {
			t.Fatalf("part %q from %s: band at %s is %d", part.Band.Name, part.Start, time.Unix(at, 0).UTC(), band)
		}
	}
	check(part.Start.Unix())
	check(end - 1)
	if part.BilledSeconds > secondsPerDay {
		return
	}
	location := part.Start.Location()
	for at := part.Start.Unix(); at < end; {
		check(at)
		at += int64(60 - time.Unix(at, 0).In(location).Second())
	}
}

// checkAgainstStartPolicy compares a split-policy charge with the same call
// rated by the whole call's start band.
func checkAgainstStartPolicy(t *testing.T, split, start Charge) {
	t.Helper()
	if split.Status != StatusOK {
		return
	}
	if len(split.Parts) <= 1 {
		// The snapshots load their own *time.Location: compare instants.
		split.Parts, start.Parts = inUTC(split.Parts), inUTC(start.Parts)
		if !reflect.DeepEqual(split, start) {
			t.Fatalf("no boundary crossed, but split %+v != start %+v", split, start)
		}
		return
	}
	if start.Status != StatusOK || len(start.Parts) != 1 || start.Parts[0].Band != split.Band || start.BilledSeconds != split.BilledSeconds {
		t.Fatalf("start policy %+v for split %+v", start, split)
	}
}

func inUTC(parts []Part) []Part {
	parts = slices.Clone(parts)
	for i := range parts {
		parts[i].Start = parts[i].Start.UTC()
	}
	return parts
}

func withPolicy(data TariffData, policy BandPolicy) TariffData {
	data.Plans = slices.Clone(data.Plans)
	for i := range data.Plans {
		data.Plans[i].BandPolicy = policy
	}
	return data
}
