package rating

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// BuildError lists every problem Build found in a TariffData, each naming
// its row, e.g. `rate id 17 (plan "retail", zone "Bulgaria mobile", band
// "peak"): next increment 0`.
type BuildError struct {
	Problems []string
	// Omitted counts problems beyond maxProblems that were not listed.
	Omitted int
}

// maxProblems keeps a hopeless import (a million bad rows) from producing a
// million messages.
const maxProblems = 1000

func (e *BuildError) Error() string {
	text := "invalid tariff: " + strings.Join(e.Problems, "; ")
	if e.Omitted > 0 {
		text += fmt.Sprintf("; and %d more problems", e.Omitted)
	}
	return text
}

// builder holds Build's lookups while it validates and compiles the rows.
type builder struct {
	data     *TariffData
	snapshot *Snapshot
	problems BuildError

	zoneByID map[int64]int32
	bandByID map[int64]int32
	bandPlan []int32        // plan index of each band
	badPlans map[int32]bool // plans with a problem that makes their week meaningless
}

// Build validates data and compiles it into an immutable Snapshot. It
// reports every problem it finds as a *BuildError.
func Build(data TariffData) (*Snapshot, error) {
	b := &builder{
		data:     &data,
		snapshot: &Snapshot{planByID: make(map[int64]int32, len(data.Plans))},
		zoneByID: make(map[int64]int32, len(data.Zones)),
		bandByID: make(map[int64]int32, len(data.Bands)),
		badPlans: make(map[int32]bool),
	}
	b.plans()
	b.zones()
	b.prefixes()
	b.bands()
	b.bandRules()
	b.holidays()
	b.rates()
	if len(b.problems.Problems) > 0 {
		return nil, &b.problems
	}
	return b.snapshot, nil
}

func (b *builder) fail(format string, args ...any) {
	if len(b.problems.Problems) >= maxProblems {
		b.problems.Omitted++
		return
	}
	b.problems.Problems = append(b.problems.Problems, fmt.Sprintf(format, args...))
}

// nameProblem says what is wrong with a name, or "" when nothing is.
// Names are keys operators type into CSV files, so stray spaces would make
// two rows look alike and differ.
func nameProblem(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.TrimSpace(name) != name:
		return fmt.Sprintf("name %q has leading or trailing spaces", name)
	}
	return ""
}

// rowCheck reports the problems of one input row, each after the row's
// description, and remembers whether there was any.
type rowCheck struct {
	b   *builder
	row string
	ok  bool
}

func (b *builder) checkRow(row string) *rowCheck { return &rowCheck{b: b, row: row, ok: true} }

func (c *rowCheck) that(good bool, format string, args ...any) {
	if !good {
		c.b.fail(c.row+": "+format, args...)
		c.ok = false
	}
}

// newID checks the row's id: positive, and not among those seen before.
func (c *rowCheck) newID(id int64, seen map[int64]bool) {
	c.that(id > 0, "id must be positive")
	c.that(!seen[id], "duplicate id")
	seen[id] = true
}

func (b *builder) plans() {
	locations := make(map[string]*time.Location)
	byName := make(map[string]int64)
	for _, plan := range b.data.Plans {
		row := fmt.Sprintf("plan id %d (%q)", plan.ID, plan.Name)
		problemsBefore := len(b.problems.Problems) + b.problems.Omitted
		if plan.ID <= 0 {
			b.fail("%s: id must be positive", row)
		} else if _, dup := b.snapshot.planByID[plan.ID]; dup {
			b.fail("%s: duplicate id", row)
			continue
		}
		if problem := nameProblem(plan.Name); problem != "" {
			b.fail("%s: %s", row, problem)
		} else if other, dup := byName[plan.Name]; dup {
			b.fail("%s: name also used by plan id %d", row, other)
		}
		byName[plan.Name] = plan.ID
		if !isCurrencyCode(plan.Currency) {
			b.fail("%s: currency %q is not a three-letter ISO 4217 code", row, plan.Currency)
		}
		location, known := locations[plan.TimeZone]
		if !known {
			location = loadLocation(plan.TimeZone)
			locations[plan.TimeZone] = location
		}
		if location == nil {
			b.fail("%s: unknown time zone %q", row, plan.TimeZone)
		}
		if _, ok := roundingModeNames[plan.Rounding]; !ok {
			b.fail("%s: invalid rounding mode %d", row, plan.Rounding)
		}
		if plan.RoundingDecimals < 0 || plan.RoundingDecimals > moneyDecimals {
			b.fail("%s: rounding decimals %d not in 0..6", row, plan.RoundingDecimals)
		}
		if _, ok := bandPolicyNames[plan.BandPolicy]; !ok {
			b.fail("%s: invalid band policy %d", row, plan.BandPolicy)
		}
		index := int32(len(b.snapshot.plans))
		b.snapshot.planByID[plan.ID] = index
		if len(b.problems.Problems)+b.problems.Omitted > problemsBefore {
			b.badPlans[index] = true
		}
		b.snapshot.plans = append(b.snapshot.plans, compiledPlan{
			id: plan.ID, name: plan.Name, currency: plan.Currency, location: location,
			rounding: plan.Rounding, decimals: plan.RoundingDecimals, policy: plan.BandPolicy,
			connectFeeOnUnanswered: plan.ConnectFeeOnUnanswered,
		})
	}
}

// loadLocation loads an IANA zone, or returns nil. "" and "Local" would
// make rating depend on the server's own settings, so they are refused.
func loadLocation(name string) *time.Location {
	if name == "" || name == "Local" {
		return nil
	}
	location, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return location
}

func isCurrencyCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := range 3 {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

func (b *builder) zones() {
	byName := make(map[string]int64)
	for _, zone := range b.data.Zones {
		row := fmt.Sprintf("zone id %d (%q)", zone.ID, zone.Name)
		if zone.ID <= 0 {
			b.fail("%s: id must be positive", row)
		} else if _, dup := b.zoneByID[zone.ID]; dup {
			b.fail("%s: duplicate id", row)
			continue
		}
		if problem := nameProblem(zone.Name); problem != "" {
			b.fail("%s: %s", row, problem)
		} else if other, dup := byName[zone.Name]; dup {
			b.fail("%s: name also used by zone id %d", row, other)
		}
		byName[zone.Name] = zone.ID
		if len(b.snapshot.zones) == maxTrieZones {
			b.fail("%s: more than %d zones", row, maxTrieZones)
			return
		}
		b.zoneByID[zone.ID] = int32(len(b.snapshot.zones))
		b.snapshot.zones = append(b.snapshot.zones, ZoneRef{ID: zone.ID, Name: zone.Name})
	}
}

// prefixes checks the prefixes and builds the trie. Prefix IDs only name
// rows in messages (nothing refers to a prefix), so they are not checked
// for uniqueness: that would cost a million-entry set.
func (b *builder) prefixes() {
	keys := make([]prefixKey, 0, len(b.data.Prefixes))
	for row, prefix := range b.data.Prefixes {
		zone, zoneKnown := b.zoneByID[prefix.ZoneID]
		digitsOK := len(prefix.Digits) <= MaxPrefixDigits && allDigits(prefix.Digits)
		if prefix.ID <= 0 || !zoneKnown || !digitsOK {
			name := fmt.Sprintf("prefix id %d (%q)", prefix.ID, prefix.Digits)
			if prefix.ID <= 0 {
				b.fail("%s: id must be positive", name)
			}
			if !zoneKnown {
				b.fail("%s: unknown zone id %d", name, prefix.ZoneID)
			}
			if !digitsOK {
				b.fail("%s: must be 1 to %d digits", name, MaxPrefixDigits)
			}
			continue
		}
		keys = append(keys, prefixKey{key: packDigits(prefix.Digits), zone: zone, row: int32(row)})
	}
	sortPrefixKeys(keys)
	unique := keys[:0]
	for i, k := range keys {
		if i > 0 && k.key == keys[i-1].key {
			first, again := b.data.Prefixes[keys[i-1].row], b.data.Prefixes[k.row]
			b.fail("prefix id %d (%q): duplicate of prefix id %d", again.ID, again.Digits, first.ID)
			continue
		}
		unique = append(unique, k)
	}
	b.snapshot.trie = buildTrie(unique)
}

func (b *builder) planName(planID int64) string {
	if index, ok := b.snapshot.planByID[planID]; ok {
		return fmt.Sprintf("plan %q", b.snapshot.plans[index].name)
	}
	return fmt.Sprintf("plan id %d", planID)
}

func (b *builder) bandName(bandID int64) string {
	if index, ok := b.bandByID[bandID]; ok {
		return fmt.Sprintf("band %q", b.snapshot.bands[index].Name)
	}
	return fmt.Sprintf("band id %d", bandID)
}

func (b *builder) zoneName(zoneID int64) string {
	if index, ok := b.zoneByID[zoneID]; ok {
		return fmt.Sprintf("zone %q", b.snapshot.zones[index].Name)
	}
	return fmt.Sprintf("zone id %d", zoneID)
}

func (b *builder) bands() {
	type planBand struct {
		plan int64
		name string
	}
	byName := make(map[planBand]int64)
	for _, band := range b.data.Bands {
		row := fmt.Sprintf("band id %d (%s, %q)", band.ID, b.planName(band.PlanID), band.Name)
		if band.ID <= 0 {
			b.fail("%s: id must be positive", row)
		} else if _, dup := b.bandByID[band.ID]; dup {
			b.fail("%s: duplicate id", row)
			continue
		}
		plan, planKnown := b.snapshot.planByID[band.PlanID]
		if !planKnown {
			b.fail("%s: unknown plan id %d", row, band.PlanID)
			plan = -1
		}
		if problem := nameProblem(band.Name); problem != "" {
			b.fail("%s: %s", row, problem)
		} else if other, dup := byName[planBand{band.PlanID, band.Name}]; dup {
			b.fail("%s: name also used by band id %d of the same plan", row, other)
		}
		byName[planBand{band.PlanID, band.Name}] = band.ID
		b.bandByID[band.ID] = int32(len(b.snapshot.bands))
		b.bandPlan = append(b.bandPlan, plan)
		b.snapshot.bands = append(b.snapshot.bands, BandRef{ID: band.ID, Name: band.Name})
	}
}

// Positions in the week are counted Monday first, in minutes or seconds
// from Monday 00:00, the way operators read a week.
const (
	minutesPerWeek = 7 * minutesPerDay
	secondsPerDay  = 86_400
	secondsPerWeek = 7 * secondsPerDay
)

// weekPosition returns the Monday-first index (0..6) of day.
func weekPosition(day time.Weekday) int { return (int(day) + 6) % 7 }

// bandRules validates the rules, then checks per plan that they cover the
// week exactly once and compiles the week into segments.
func (b *builder) bandRules() {
	seen := make(map[int64]bool, len(b.data.BandRules))
	rulesOfPlan := make([][]int, len(b.snapshot.plans))
	for i, rule := range b.data.BandRules {
		band, bandKnown := b.bandByID[rule.BandID]
		row := fmt.Sprintf("band rule id %d (band id %d)", rule.ID, rule.BandID)
		if bandKnown {
			row = fmt.Sprintf("band rule id %d (%s, %s)", rule.ID, b.planName(b.data.Bands[band].PlanID), b.bandName(rule.BandID))
		}
		check := b.checkRow(row)
		check.newID(rule.ID, seen)
		check.that(bandKnown, "unknown band id %d", rule.BandID)
		check.that(rule.Days != 0 && rule.Days <= AllWeekdays, "days must be a non-empty set of weekdays")
		check.that(rule.From >= 0 && rule.From < minutesPerDay, "from %d minutes not in 00:00..23:59", rule.From)
		check.that(rule.To >= 0 && rule.To <= minutesPerDay, "to %d minutes not in 00:00..24:00", rule.To)
		if bandKnown && b.bandPlan[band] >= 0 {
			plan := b.bandPlan[band]
			if !check.ok {
				b.badPlans[plan] = true // an incomplete week would only add noise
			}
			rulesOfPlan[plan] = append(rulesOfPlan[plan], i)
		}
	}
	owner := make([]int32, minutesPerWeek)
	second := make([]int32, minutesPerWeek)
	for plan, rules := range rulesOfPlan {
		if !b.badPlans[int32(plan)] {
			b.compileWeek(int32(plan), rules, owner, second)
		}
	}
}

// compileWeek marks each minute of the week with the rule covering it
// (owner) and a second rule covering it too (second), reports gaps and
// overlaps as ranges, and stores the week as band segments.
func (b *builder) compileWeek(plan int32, rules []int, owner, second []int32) {
	for m := range owner {
		owner[m], second[m] = -1, -1
	}
	for _, r := range rules {
		rule := b.data.BandRules[r]
		length := int(rule.To - rule.From)
		if length <= 0 {
			length += minutesPerDay
		}
		for day := time.Sunday; day <= time.Saturday; day++ {
			if !rule.Days.Has(day) {
				continue
			}
			start := weekPosition(day)*minutesPerDay + int(rule.From)
			for m := start; m < start+length; m++ {
				at := m % minutesPerWeek
				if owner[at] < 0 {
					owner[at] = int32(r)
				} else if second[at] < 0 {
					second[at] = int32(r)
				}
			}
		}
	}

	row := fmt.Sprintf("plan id %d (%q)", b.snapshot.plans[plan].id, b.snapshot.plans[plan].name)
	describe := func(r int32) string {
		rule := b.data.BandRules[r]
		return fmt.Sprintf("%s (rule id %d)", b.bandName(rule.BandID), rule.ID)
	}
	complete := true
	for start := 0; start < minutesPerWeek; {
		end := start + 1
		for end < minutesPerWeek && second[end] == second[start] && (owner[end] < 0) == (owner[start] < 0) &&
			(second[start] < 0 || owner[end] == owner[start]) {
			end++
		}
		switch {
		case owner[start] < 0:
			b.fail("%s: %s is not covered by any band", row, weekRange(start, end))
			complete = false
		case second[start] >= 0:
			b.fail("%s: %s is covered twice: %s and %s", row, weekRange(start, end), describe(owner[start]), describe(second[start]))
			complete = false
		}
		start = end
	}
	if !complete {
		return
	}

	var segments []weekSegment
	for m, r := range owner {
		band := b.bandByID[b.data.BandRules[r].BandID]
		if len(segments) == 0 || segments[len(segments)-1].band != band {
			segments = append(segments, weekSegment{start: int32(m * 60), band: band})
		}
	}
	b.snapshot.plans[plan].week = segments
}

// weekRange formats minutes [start, end) of the Monday-first week as
// "Tue 08:00–09:00" or "Fri 20:00–Sat 08:00".
func weekRange(start, end int) string {
	if end-start == minutesPerWeek {
		return "the whole week"
	}
	day := func(m int) string {
		name := weekdayNames[(m/minutesPerDay)%7]
		return strings.ToUpper(name[:1]) + name[1:]
	}
	from := day(start) + " " + TimeOfDay(start%minutesPerDay).String()
	if start/minutesPerDay == (end-1)/minutesPerDay && end%minutesPerDay == 0 {
		return from + "–24:00"
	}
	if start/minutesPerDay == end/minutesPerDay {
		return from + "–" + TimeOfDay(end%minutesPerDay).String()
	}
	return from + "–" + day(end) + " " + TimeOfDay(end%minutesPerDay).String()
}

func (b *builder) holidays() {
	seen := make(map[int64]bool, len(b.data.Holidays))
	type planDay struct {
		plan int32
		day  int64
	}
	byDay := make(map[planDay]int64)
	for _, holiday := range b.data.Holidays {
		row := fmt.Sprintf("holiday id %d (%s, %s)", holiday.ID, b.planName(holiday.PlanID), holiday.Date)
		check := b.checkRow(row)
		check.newID(holiday.ID, seen)
		plan, planKnown := b.snapshot.planByID[holiday.PlanID]
		check.that(planKnown, "unknown plan id %d", holiday.PlanID)
		check.that(holiday.Date.valid(), "invalid date")
		band, bandKnown := b.bandByID[holiday.BandID]
		check.that(bandKnown, "unknown band id %d", holiday.BandID)
		if bandKnown && planKnown {
			check.that(b.bandPlan[band] == plan, "%s belongs to another plan", b.bandName(holiday.BandID))
		}
		if !check.ok {
			continue
		}
		day := holiday.Date.daysSinceEpoch()
		if other, dup := byDay[planDay{plan, day}]; dup {
			b.fail("%s: same date as holiday id %d", row, other)
			continue
		}
		byDay[planDay{plan, day}] = holiday.ID
		compiled := &b.snapshot.plans[plan]
		compiled.holidays = append(compiled.holidays, holidayBand{day: day, band: band})
	}
	for i := range b.snapshot.plans {
		slices.SortFunc(b.snapshot.plans[i].holidays, func(x, y holidayBand) int { return cmp.Compare(x.day, y.day) })
	}
}

func (b *builder) rates() {
	seen := make(map[int64]bool, len(b.data.Rates))
	type pending struct {
		zone, band int32
		direction  Direction
		rate       compiledRate
	}
	var valid []pending
	for _, rate := range b.data.Rates {
		row := fmt.Sprintf("rate id %d (%s, %s, %s)", rate.ID, b.planName(rate.PlanID), b.zoneName(rate.ZoneID), b.bandName(rate.BandID))
		check := b.checkRow(row)
		check.newID(rate.ID, seen)
		plan, planKnown := b.snapshot.planByID[rate.PlanID]
		check.that(planKnown, "unknown plan id %d", rate.PlanID)
		zone, zoneKnown := b.zoneByID[rate.ZoneID]
		check.that(zoneKnown, "unknown zone id %d", rate.ZoneID)
		band, bandKnown := b.bandByID[rate.BandID]
		check.that(bandKnown, "unknown band id %d", rate.BandID)
		if planKnown && bandKnown {
			check.that(b.bandPlan[band] == plan, "%s belongs to another plan", b.bandName(rate.BandID))
		}
		_, directionKnown := directionNames[rate.Direction]
		check.that(directionKnown, "invalid direction %d", rate.Direction)
		from, to := int64(math.MinInt64), int64(math.MaxInt64)
		if !rate.ValidFrom.IsZero() {
			from = rate.ValidFrom.Unix()
		}
		if !rate.ValidTo.IsZero() {
			to = rate.ValidTo.Unix()
		}
		check.that(from < to, "valid to %s is not after valid from %s", rate.ValidTo.Format(time.RFC3339), rate.ValidFrom.Format(time.RFC3339))
		check.that(rate.ConnectFee >= 0 && rate.ConnectFee <= MaxAmount, "connect fee %s not in 0..%s", rate.ConnectFee, MaxAmount)
		check.that(rate.MinDuration >= 0 && rate.MinDuration <= MaxStepSeconds, "minimum duration %d not in 0..%d", rate.MinDuration, MaxStepSeconds)
		check.that(rate.FirstIncrement >= 1 && rate.FirstIncrement <= MaxStepSeconds, "first increment %d not in 1..%d", rate.FirstIncrement, MaxStepSeconds)
		check.that(rate.NextIncrement >= 1 && rate.NextIncrement <= MaxStepSeconds, "next increment %d not in 1..%d", rate.NextIncrement, MaxStepSeconds)
		if err := checkTiers(rate.Tiers); err != nil {
			check.that(false, "%v", err)
		}
		check.that(rate.MaxCost >= 0 && rate.MaxCost <= MaxAmount, "maximum cost %s not in 0..%s", rate.MaxCost, MaxAmount)
		if !check.ok {
			continue
		}
		valid = append(valid, pending{
			zone: zone, band: band, direction: rate.Direction,
			rate: compiledRate{
				id: rate.ID, validFrom: from, validTo: to, connectFee: rate.ConnectFee,
				minDuration: int64(rate.MinDuration), firstIncrement: int64(rate.FirstIncrement),
				nextIncrement: int64(rate.NextIncrement), tiers: slices.Clone(rate.Tiers), maxCost: rate.MaxCost,
			},
		})
	}

	slices.SortFunc(valid, func(x, y pending) int {
		return cmp.Or(cmp.Compare(x.zone, y.zone), cmp.Compare(x.band, y.band),
			cmp.Compare(x.direction, y.direction), cmp.Compare(x.rate.validFrom, y.rate.validFrom))
	})
	sameKey := func(x, y pending) bool { return x.zone == y.zone && x.band == y.band && x.direction == y.direction }
	snapshot := b.snapshot
	snapshot.zoneRateKeys = make([]int32, len(snapshot.zones)+1)
	for i, p := range valid {
		if i > 0 && sameKey(valid[i-1], p) && valid[i-1].rate.validTo > p.rate.validFrom {
			earlier := b.data.Rates[slices.IndexFunc(b.data.Rates, func(r Rate) bool { return r.ID == valid[i-1].rate.id })]
			later := b.data.Rates[slices.IndexFunc(b.data.Rates, func(r Rate) bool { return r.ID == p.rate.id })]
			b.fail("rate id %d (%s, %s, %s, %s): validity overlaps rate id %d (valid %s)", later.ID,
				b.planName(later.PlanID), b.zoneName(later.ZoneID), b.bandName(later.BandID), later.Direction,
				earlier.ID, validity(earlier))
			continue
		}
		if i == 0 || !sameKey(valid[i-1], p) {
			snapshot.rateKeys = append(snapshot.rateKeys, rateKey{band: p.band, direction: p.direction, start: int32(len(snapshot.rates))})
			snapshot.zoneRateKeys[p.zone+1]++
		}
		snapshot.rates = append(snapshot.rates, p.rate)
		snapshot.rateKeys[len(snapshot.rateKeys)-1].end = int32(len(snapshot.rates))
	}
	for zone := range snapshot.zones { // counts per zone → start offsets
		snapshot.zoneRateKeys[zone+1] += snapshot.zoneRateKeys[zone]
	}
}

func validity(rate Rate) string {
	from, to := "always", "open-ended"
	if !rate.ValidFrom.IsZero() {
		from = rate.ValidFrom.Format(time.RFC3339)
	}
	if !rate.ValidTo.IsZero() {
		to = rate.ValidTo.Format(time.RFC3339)
	}
	return from + " to " + to
}
