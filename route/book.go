package route

import (
	"slices"
	"sync"
	"time"

	"github.com/radbill/radbill/rating"
)

// Book is the carriers' prices as routing reads them: every carrier
// plan's first minute to a number, worked out once per destination prefix
// and minute and shared by the calls of that minute — a least-cost-routing
// table kept fresh by the clock, so that ranking a call reads a few
// prices rather than rating every carrier.
type Book struct {
	tariffs *rating.Snapshot
	plans   []int64
	mu      sync.Mutex
	minute  int64            // Unix minute of pages
	pages   map[string]*page // by longest prefix
}

// page is every plan's quote for numbers under one prefix in one minute,
// in the order of Book.plans.
type page struct {
	quotes []rating.Quote
}

var unknownPlan = rating.Quote{Status: rating.StatusUnknownPlan}

// quote is c's quote on the page: by the slot Prepare gave it, else found
// by its plan; unknownPlan when the book lacks the plan.
func (p *page) quote(b *Book, c *Carrier) *rating.Quote {
	if c.slot > 0 && int(c.slot) <= len(p.quotes) && b.plans[c.slot-1] == c.PlanID {
		return &p.quotes[c.slot-1]
	}
	if i, ok := slices.BinarySearch(b.plans, c.PlanID); ok {
		return &p.quotes[i]
	}
	return &unknownPlan
}

// Prepare notes where each carrier's plan is in the book, so that ranking
// finds its price without a search.
func (b *Book) Prepare(carriers []Carrier) {
	for i := range carriers {
		if at, ok := slices.BinarySearch(b.plans, carriers[i].PlanID); ok {
			carriers[i].slot = int32(at + 1)
		}
	}
}

// NewBook makes a book of plans (the carriers' outgoing-traffic plans).
func NewBook(tariffs *rating.Snapshot, plans []int64) *Book {
	slices.Sort(plans)
	return &Book{tariffs: tariffs, plans: slices.Compact(plans), pages: map[string]*page{}}
}

// page returns the prices of calls to called at at.
func (b *Book) page(called string, at time.Time) *page {
	prefix, ok := b.tariffs.LongestPrefix(called)
	minute := at.Unix() / 60
	if ok {
		b.mu.Lock()
		if b.minute != minute {
			b.minute, b.pages = minute, map[string]*page{}
		}
		p := b.pages[prefix]
		b.mu.Unlock()
		if p != nil {
			return p
		}
	}
	p := &page{quotes: make([]rating.Quote, len(b.plans))}
	b.tariffs.QuoteMinute(called, time.Unix(minute*60, 0), b.plans, p.quotes)
	if ok {
		b.mu.Lock()
		if b.minute == minute {
			b.pages[prefix] = p
		}
		b.mu.Unlock()
	}
	return p
}
