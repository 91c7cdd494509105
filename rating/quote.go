package rating

import "time"

// Quote is one plan's price of the first minute of an outgoing call.
type Quote struct {
	Status   Status
	Cost     Money // the connect fee and the minute's billed seconds, rounded by the plan and capped
	Currency string
	Zone     ZoneRef
	Prefix   string
}

// QuoteMinute prices the first minute of an outgoing call to called at at
// on each plan of plans into quotes[i], each plan by the longest prefix of
// the number it has a rate for (as Call.NearestRatedPrefix): a carrier's
// rate deck. Ranking many carriers at once shares the number's prefix
// lookup and the plans' local time. A minute that crosses a band boundary
// is priced whole in its start band; Rate prices the call itself.
func (s *Snapshot) QuoteMinute(called string, at time.Time, plans []int64, quotes []Quote) {
	connect := at.Unix()
	var zones [MaxPrefixDigits]int32
	var lengths [MaxPrefixDigits]int
	n := 0
	valid := allDigits(called) && connect >= earliestConnect && connect <= latestConnect
	if valid {
		n = s.trie.lookupAll(called, &zones, &lengths)
	}
	type localAt struct {
		location           *time.Location
		local, offsetLasts int64
	}
	var locals [4]localAt // the plans' few time zones
	seen := 0
	for i, id := range plans {
		q := &quotes[i]
		*q = Quote{}
		index, ok := s.planByID[id]
		if !ok {
			q.Status = StatusUnknownPlan
			continue
		}
		plan := &s.plans[index]
		q.Currency = plan.currency
		switch {
		case !valid:
			q.Status = StatusInvalidCall
			continue
		case n == 0:
			q.Status = StatusUnknownDestination
			continue
		}
		var local int64
		found := false
		for j := range seen {
			if locals[j].location == plan.location {
				local, found = locals[j].local, true
				break
			}
		}
		if !found {
			var offsetLasts int64
			local, offsetLasts = plan.localTime(connect)
			if seen < len(locals) {
				locals[seen] = localAt{plan.location, local, offsetLasts}
				seen++
			}
		}
		band, _ := plan.bandAt(local)
		q.Status = StatusNoRate
		z, rate := s.nearestRate(zones[:n], band, Outgoing, connect)
		if rate == nil {
			continue
		}
		billed := rate.billedSeconds(60)
		cost := plan.round(ExactAmount(rate.connectFee)*60 + rate.amount(0, billed))
		if rate.maxCost > 0 && cost > rate.maxCost {
			cost = rate.maxCost
		}
		q.Status, q.Cost, q.Zone, q.Prefix = StatusOK, cost, s.zones[zones[z]], called[:lengths[z]]
	}
}

// LongestPrefix is the longest prefix of number that names a zone: calls
// to numbers with the same one are priced alike by every plan.
func (s *Snapshot) LongestPrefix(number string) (string, bool) {
	if !allDigits(number) {
		return "", false
	}
	zone, length := s.trie.lookup(number)
	return number[:length], zone != noZone
}
