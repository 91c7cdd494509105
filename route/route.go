// Package route ranks the carriers that can terminate a call: the
// clearinghouse's ranked destination list, sent back to the originating
// gateway in the Access-Accept and explained by radbill route explain. It
// does no I/O: the carriers, their plans and their quality figures are
// given.
//
// Each carrier is priced by its own plan at the call's time for one
// minute (connect fee included), by the longest prefix of the number that
// the plan rates (rating.Call.NearestRatedPrefix): never a cheaper shorter
// prefix over the right longer one. Then:
//   - left out: a blocked carrier, one without a rate for the number, one
//     dearer than its own maximum cost, one at its capacity of concurrent
//     calls, and, when the policy refuses losses, a loss route (the sell
//     price minus the carrier's price under the minimum margin);
//   - ordered by the strategy: least cost; quality (the price divided by
//     the answer-seizure ratio, so a carrier answering half its calls
//     costs twice per answered call, once it has MinSamples calls in the
//     window; below that its plain price); fixed priority (lower first,
//     then price); load share (the first route drawn by share from the
//     call's draw, the rest by price). Ties go to the lower carrier id.
package route

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/radbill/radbill/rating"
)

// Strategy names, as partner.Strategy stores them.
const (
	LeastCost = "least_cost"
	Quality   = "quality"
	Priority  = "priority"
	LoadShare = "load_share"
)

// Carrier is a terminating partner as a candidate route.
type Carrier struct {
	ID      int64
	Name    string
	Address string // where the gateway sends the call
	PlanID  int64  // its outgoing-traffic rates: what it charges us
	// Priority and Share are its rank and weight for this call's origin.
	Priority, Share int
	// Capacity is its limit of concurrent calls (0: none), Active its
	// calls now.
	Capacity, Active int
	MaxCost          rating.Money // 0: none
	Blocked          bool
}

// Figures are a carrier's calls to a zone over the quality window.
type Figures struct {
	Calls, Answered int64
	AnsweredSeconds int64
}

// ASR is the answer-seizure ratio in per cent.
func (f Figures) ASR() float64 {
	if f.Calls == 0 {
		return 0
	}
	return 100 * float64(f.Answered) / float64(f.Calls)
}

// ACD is the average answered call's duration.
func (f Figures) ACD() time.Duration {
	if f.Answered == 0 {
		return 0
	}
	return time.Duration(f.AnsweredSeconds/f.Answered) * time.Second
}

// Policy is how one call's routes are ranked.
type Policy struct {
	Strategy   string
	MinSamples int64 // quality counts from this many calls in the window
	// Sell is what the call earns per minute (0: unknown, no loss guard);
	// a route earning less than MinMargin on it is a loss.
	Sell, MinMargin rating.Money
	RefuseLoss      bool
	// Draw picks the load-share route: any number, the same for a call's
	// retries (a hash of its conf-id).
	Draw uint64
	// Max is the length of the list (0: all).
	Max int
	// Quality gives a carrier's figures for a zone (nil: none known).
	Quality func(carrier int64, zone string) Figures
}

// Ranked is a route in the list.
type Ranked struct {
	Carrier
	Rank         int
	Quality      Figures
	Cost         rating.Money // per minute, connect fee included
	Currency     string
	Zone, Prefix string
	Loss         bool
	totalShare   int // the shares of every route of the call
}

// Excluded is a carrier left out, and why.
type Excluded struct {
	Carrier
	Why string
}

// Rank ranks carriers for a call to called (E.164 digits) at at.
func Rank(tariffs *rating.Snapshot, called string, at time.Time, carriers []Carrier, p Policy) ([]Ranked, []Excluded) {
	var ranked []Ranked
	var excluded []Excluded
	plans := make([]int64, len(carriers))
	for i, c := range carriers {
		plans[i] = c.PlanID
	}
	quotes := make([]rating.Quote, len(carriers))
	tariffs.QuoteMinute(called, at, plans, quotes)
	for i, c := range carriers {
		charge := &quotes[i]
		if c.Blocked {
			excluded = append(excluded, Excluded{c, "blocked"})
			continue
		}
		switch {
		case charge.Status != rating.StatusOK:
			excluded = append(excluded, Excluded{c, "no price: " + charge.Status.String()})
			continue
		case c.MaxCost > 0 && charge.Cost > c.MaxCost:
			excluded = append(excluded, Excluded{c, fmt.Sprintf("%s/min is over its maximum %s", charge.Cost, c.MaxCost)})
			continue
		case c.Capacity > 0 && c.Active >= c.Capacity:
			excluded = append(excluded, Excluded{c, fmt.Sprintf("at capacity: %d of %d calls", c.Active, c.Capacity)})
			continue
		}
		r := Ranked{Carrier: c, Cost: charge.Cost, Currency: charge.Currency, Zone: charge.Zone.Name, Prefix: charge.Prefix}
		if p.Quality != nil {
			r.Quality = p.Quality(c.ID, r.Zone)
		}
		if p.Sell > 0 && p.Sell-r.Cost < p.MinMargin {
			r.Loss = true
			if p.RefuseLoss {
				excluded = append(excluded, Excluded{c, fmt.Sprintf("loss: sells at %s/min, costs %s", p.Sell, r.Cost)})
				continue
			}
		}
		ranked = append(ranked, r)
	}
	total := 0
	for _, r := range ranked {
		total += max(r.Share, 0)
	}
	ranked = order(ranked, p, total)
	if p.Max > 0 && len(ranked) > p.Max {
		beyond := "beyond the list's " + strconv.Itoa(p.Max) + " routes"
		for _, r := range ranked[p.Max:] {
			excluded = append(excluded, Excluded{r.Carrier, beyond})
		}
		ranked = ranked[:p.Max]
	}
	for i := range ranked {
		ranked[i].Rank, ranked[i].totalShare = i+1, total
	}
	return ranked, excluded
}

// effective is the price a route is ranked by under the quality strategy,
// in micro-units per minute per answered call.
func effective(r Ranked, p Policy) float64 {
	if p.Strategy != Quality || r.Quality.Calls < max(p.MinSamples, 1) || r.Quality.Answered == 0 {
		return float64(r.Cost)
	}
	return float64(r.Cost) * float64(r.Quality.Calls) / float64(r.Quality.Answered)
}

// order puts the routes in the strategy's order: the first Max of them
// sorted (a selection, as a route list is short and the carriers many),
// the rest after them in no order.
func order(rs []Ranked, p Policy, totalShare int) []Ranked {
	byCost := func(a, b *Ranked) int { return cmp.Or(cmp.Compare(a.Cost, b.Cost), cmp.Compare(a.ID, b.ID)) }
	compare := byCost
	switch p.Strategy {
	case Quality:
		compare = func(a, b *Ranked) int { return cmp.Or(cmp.Compare(effective(*a, p), effective(*b, p)), byCost(a, b)) }
	case Priority:
		compare = func(a, b *Ranked) int { return cmp.Or(cmp.Compare(a.Priority, b.Priority), byCost(a, b)) }
	}
	first := 0
	if p.Strategy == LoadShare && totalShare > 0 {
		draw := int(p.Draw % uint64(totalShare))
		for i := range rs {
			if share := max(rs[i].Share, 0); draw < share {
				rs[0], rs[i] = rs[i], rs[0]
				first = 1
				break
			} else {
				draw -= share
			}
		}
	}
	limit := len(rs)
	if p.Max > 0 {
		limit = min(limit, p.Max)
	}
	for i := first; i < limit; i++ {
		best := i
		for j := i + 1; j < len(rs); j++ {
			if compare(&rs[j], &rs[best]) < 0 {
				best = j
			}
		}
		rs[i], rs[best] = rs[best], rs[i]
	}
	return rs
}

// Why says why a route ranks where it does.
func (r Ranked) Why(p Policy) string {
	switch p.Strategy {
	case Quality:
		if r.Quality.Calls < max(p.MinSamples, 1) || r.Quality.Answered == 0 {
			return fmt.Sprintf("%s/min; quality not counted: %d of %d calls needed", r.Cost, r.Quality.Calls, max(p.MinSamples, 1))
		}
		return fmt.Sprintf("%s/min at ASR %.0f%%, ACD %s: %.4f per answered minute", r.Cost, r.Quality.ASR(), r.Quality.ACD(),
			effective(r, p)/float64(rating.MicrosPerUnit))
	case Priority:
		return fmt.Sprintf("priority %d, then %s/min", r.Priority, r.Cost)
	case LoadShare:
		return fmt.Sprintf("share %d of %d, then %s/min", r.Share, r.totalShare, r.Cost)
	}
	return fmt.Sprintf("%s/min by prefix %s", r.Cost, r.Prefix)
}

// Config is the routing part of radiusd's configuration.
type Config struct {
	// MaxRoutes is the length of a route list.
	MaxRoutes int
	// QualityWindow is how far back a carrier's ASR and ACD are counted;
	// MinSamples how many calls to a zone it needs before they count.
	QualityWindow time.Duration
	MinSamples    int64
}

// Check refuses a configuration that cannot rank.
func (c Config) Check() error {
	switch {
	case c.MaxRoutes < 1 || c.MaxRoutes > 20:
		return fmt.Errorf("routing.max_routes %d: want 1 to 20", c.MaxRoutes)
	case c.QualityWindow < time.Hour:
		return fmt.Errorf("routing.quality_window %s: want at least an hour", c.QualityWindow)
	case c.MinSamples < 1:
		return fmt.Errorf("routing.min_samples %d: want at least 1", c.MinSamples)
	}
	return nil
}
