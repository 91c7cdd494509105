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
	// Capacity is its limit of concurrent calls (0: none).
	Capacity int
	MaxCost  rating.Money // 0: none
	Blocked  bool
	slot     int32 // its plan's place in the Book plus one (Book.Prepare); 0: not noted
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
	// Quality gives a carrier's figures for a zone (nil: none known);
	// Active its calls in progress (nil: none).
	Quality func(carrier int64, zone string) Figures
	Active  map[int64]int
	// Explain lists every carrier left out, and why; without it a
	// least-cost list skips them (the authorization's fast path).
	Explain bool
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

// Rank ranks carriers for a call to called (E.164 digits) at at, with
// the prices of book.
func Rank(book *Book, called string, at time.Time, carriers []Carrier, p Policy) ([]Ranked, []Excluded) {
	pg := book.page(called, at)
	var ranked []Ranked
	var excluded []Excluded
	fast := p.Strategy != Quality && p.Strategy != Priority && p.Strategy != LoadShare && p.Max > 0 && !p.Explain
	total := 0
	for i := range carriers {
		c := &carriers[i]
		q := pg.quote(book, c)
		why := ""
		switch {
		case c.Blocked:
			why = "blocked"
		case q.Status != rating.StatusOK:
			why = "no price: " + q.Status.String()
		case c.MaxCost > 0 && q.Cost > c.MaxCost:
			why = "over its maximum cost"
		case c.Capacity > 0 && p.Active[c.ID] >= c.Capacity:
			why = "at capacity"
		case p.Sell > 0 && p.Sell-q.Cost < p.MinMargin && p.RefuseLoss:
			why = "a loss"
		}
		if why != "" {
			if p.Explain {
				excluded = append(excluded, Excluded{*c, explainExclusion(why, *c, *q, p)})
			}
			continue
		}
		if fast && len(ranked) == p.Max && !cheaper(q.Cost, c.ID, &ranked[p.Max-1]) {
			continue // a least-cost list keeps only its Max cheapest
		}
		r := Ranked{Carrier: *c, Cost: q.Cost, Currency: q.Currency, Zone: q.Zone.Name, Prefix: q.Prefix, Loss: p.Sell > 0 && p.Sell-q.Cost < p.MinMargin}
		if p.Quality != nil {
			r.Quality = p.Quality(c.ID, r.Zone)
		}
		total += max(c.Share, 0)
		if !fast {
			ranked = append(ranked, r)
			continue
		}
		at := len(ranked)
		for at > 0 && cheaper(r.Cost, r.ID, &ranked[at-1]) {
			at--
		}
		if len(ranked) < p.Max {
			ranked = append(ranked, Ranked{})
		}
		copy(ranked[at+1:], ranked[at:len(ranked)-1])
		ranked[at] = r
	}
	if !fast {
		ranked = order(ranked, p, total)
	}
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

// cheaper tells whether a route at cost of carrier id goes before r.
func cheaper(cost rating.Money, id int64, r *Ranked) bool {
	return cost < r.Cost || cost == r.Cost && id < r.ID
}

// explainExclusion says in words why a carrier was left out.
func explainExclusion(why string, c Carrier, q rating.Quote, p Policy) string {
	switch why {
	case "over its maximum cost":
		return fmt.Sprintf("%s/min is over its maximum %s", q.Cost, c.MaxCost)
	case "at capacity":
		return fmt.Sprintf("at capacity: %d of %d calls", p.Active[c.ID], c.Capacity)
	case "a loss":
		return fmt.Sprintf("loss: sells at %s/min, costs %s", p.Sell, q.Cost)
	}
	return why
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
