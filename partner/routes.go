package partner

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/route"
	"github.com/radbill/radbill/store"
)

// Carriers are the candidate routes of a call from origin (nil: our own
// customers' call): the terminating partners with outgoing-traffic rates,
// or, when origin has routes of its own (routing by origin), those alone
// with the priorities and shares given there. The origin itself is never
// its own route. The list is the Directory's: read it, do not change it.
func (d *Directory) Carriers(origin *Partner) []route.Carrier {
	if d.Empty() {
		return nil
	}
	if origin != nil {
		if list, ok := d.byOrigin[origin.ID]; ok {
			return list
		}
	}
	return d.carriers
}

// carrierLists makes the candidate lists Carriers returns.
func (d *Directory) carrierLists() {
	candidate := func(p *Partner, origin *Partner, priority, share int) (route.Carrier, bool) {
		plan, ok := p.Rates[Outgoing]
		if !ok || !p.Role.Terminates() || p.Own || (origin != nil && p.ID == origin.ID) {
			return route.Carrier{}, false
		}
		return route.Carrier{ID: p.ID, Name: p.Name, Address: p.RouteAddress(), PlanID: plan, Priority: priority, Share: share,
			Capacity: p.Capacity, MaxCost: p.MaxCost, Blocked: p.Blocked}, true
	}
	d.byOrigin = map[int64][]route.Carrier{}
	for _, p := range d.ordered {
		if c, ok := candidate(p, nil, p.Priority, p.Share); ok {
			d.carriers = append(d.carriers, c)
		}
		if len(p.Routes) == 0 {
			continue
		}
		var list []route.Carrier
		for _, r := range p.Routes {
			if dest := d.partners[r.DestinationID]; dest != nil {
				if c, ok := candidate(dest, p, r.Priority, r.Share); ok {
					list = append(list, c)
				}
			}
		}
		d.byOrigin[p.ID] = list
	}
	// A partner both originating and terminating is not its own route.
	for _, p := range d.ordered {
		if _, ok := d.byOrigin[p.ID]; !ok && p.Role.Terminates() && p.Role.Originates() {
			d.byOrigin[p.ID] = slices.DeleteFunc(slices.Clone(d.carriers), func(c route.Carrier) bool { return c.ID == p.ID })
		}
	}
}

// Book makes the routing book of the carriers' plans in tariffs and notes
// each candidate's place in it; radiusd makes one with each tables load.
func (d *Directory) Book(tariffs *rating.Snapshot) *route.Book {
	var plans []int64
	for _, p := range d.All() {
		if plan, ok := p.Rates[Outgoing]; ok {
			plans = append(plans, plan)
		}
	}
	book := route.NewBook(tariffs, plans)
	if !d.Empty() {
		book.Prepare(d.carriers)
		for _, list := range d.byOrigin {
			book.Prepare(list)
		}
	}
	return book
}

// Policy is how the calls of origin (nil: our own customers', whose
// policy is the own partner's) are routed.
func (d *Directory) Policy(origin *Partner) route.Policy {
	p := origin
	if p == nil {
		p = d.Own()
	}
	if p == nil {
		return route.Policy{Strategy: route.LeastCost}
	}
	return route.Policy{Strategy: string(p.Strategy), MinMargin: p.MinMargin, RefuseLoss: p.RefuseLoss}
}

// QualityKey is a carrier's calls to a zone.
type QualityKey struct {
	PartnerID int64
	Zone      string
}

// LoadQuality adds up each terminating partner's legs per zone since
// since: calls, answered calls and their seconds, from the outgoing-
// traffic charges stored with the CDRs.
func LoadQuality(ctx context.Context, q sqlx.QueryerContext, since time.Time) (map[QualityKey]route.Figures, error) {
	var rows []struct {
		PartnerID int64  `db:"partner_id"`
		Zone      string `db:"zone"`
		Calls     int64  `db:"calls"`
		Answered  int64  `db:"answered"`
		Seconds   int64  `db:"seconds"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, "SELECT partner_id, zone, COUNT(*) AS calls, SUM(CASE WHEN duration_s > 0 THEN 1 ELSE 0 END) AS answered, "+
		"COALESCE(SUM(duration_s), 0) AS seconds FROM leg_charge WHERE rate_type = 'outgoing' AND call_time >= ? GROUP BY partner_id, zone", dbtime.Format(since))
	if err != nil {
		return nil, err
	}
	out := make(map[QualityKey]route.Figures, len(rows))
	for _, r := range rows {
		out[QualityKey{r.PartnerID, r.Zone}] = route.Figures{Calls: r.Calls, Answered: r.Answered, AnsweredSeconds: r.Seconds}
	}
	return out, nil
}

// LoadActive counts each partner's calls in progress: the active legs its
// gateways report.
func (d *Directory) LoadActive(ctx context.Context, q sqlx.QueryerContext) (map[int64]int, error) {
	if d.Empty() {
		return nil, nil
	}
	var rows []struct {
		ClientName string `db:"client_name"`
		NASIP      string `db:"nas_ip"`
		Calls      int    `db:"calls"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, "SELECT client_name, nas_ip, COUNT(*) AS calls FROM active_call GROUP BY client_name, nas_ip"); err != nil {
		return nil, err
	}
	out := map[int64]int{}
	for _, r := range rows {
		if p, _ := d.Of(Leg{ClientName: r.ClientName, NASIP: r.NASIP}); p != nil {
			out[p.ID] += r.Calls
		}
	}
	return out, nil
}

// State is what routing knows of the carriers now: their calls in
// progress and their quality figures, refreshed in the background.
type State struct {
	Active  map[int64]int
	Quality map[QualityKey]route.Figures
}

// LoadState reads the carriers' state: calls in progress now, quality
// over the window before now.
func (d *Directory) LoadState(ctx context.Context, q sqlx.QueryerContext, window time.Duration, now time.Time) (State, error) {
	if d.Empty() {
		return State{}, nil
	}
	active, err := d.LoadActive(ctx, q)
	if err != nil {
		return State{}, err
	}
	quality, err := LoadQuality(ctx, q, now.Add(-window))
	return State{Active: active, Quality: quality}, err
}

// Call is a call to route.
type Call struct {
	Origin *Partner // nil: our own customers' call
	Called string   // E.164 digits after translation
	At     time.Time
	// Sell is what the call earns per minute (0: unknown); Draw picks the
	// load-share route (a hash of the conf-id).
	Sell rating.Money
	Draw uint64
}

// Rank ranks the routes of c under the origin's policy, with the prices
// of book (Directory.Book); explain lists every carrier left out too.
func (d *Directory) Rank(book *route.Book, c Call, st State, cfg route.Config, explain bool) ([]route.Ranked, []route.Excluded) {
	p := d.Policy(c.Origin)
	p.MinSamples, p.Max, p.Sell, p.Draw, p.Active, p.Explain = cfg.MinSamples, cfg.MaxRoutes, c.Sell, c.Draw, st.Active, explain
	if st.Quality != nil {
		p.Quality = func(carrier int64, zone string) route.Figures { return st.Quality[QualityKey{carrier, zone}] }
	}
	return route.Rank(book, c.Called, c.At, d.Carriers(c.Origin), p)
}

// Offer is the route list a call was authorized with.
type Offer struct {
	ConfID   string
	OriginID int64 // 0: our own customers' call
	At       time.Time
	Ranked   []route.Ranked
}

// OfferLog keeps route lists (route_offer) for the comparison of each
// call's Stop with its rank 1, written in the background in batches so
// that an authorization never waits for it. A list not yet written when
// the process dies is lost: the deviation report then compares that call
// with the cheapest carrier's plan instead.
type OfferLog struct {
	db      *store.DB
	offers  chan Offer
	done    chan struct{}
	dropped atomic.Int64
	log     func(error)
}

// offerBatch bounds one INSERT; offerQueue the lists waiting.
const (
	offerBatch = 500
	offerQueue = 50_000
)

// NewOfferLog starts writing route lists to db; failures go to log.
func NewOfferLog(db *store.DB, log func(error)) *OfferLog {
	l := &OfferLog{db: db, offers: make(chan Offer, offerQueue), done: make(chan struct{}), log: log}
	go l.run()
	return l
}

// Add queues a call's list; a full queue drops it (counted).
func (l *OfferLog) Add(o Offer) {
	if o.ConfID == "" || len(o.Ranked) == 0 {
		return
	}
	select {
	case l.offers <- o:
	default:
		l.dropped.Add(1)
	}
}

// Dropped counts the lists a full queue dropped.
func (l *OfferLog) Dropped() int64 { return l.dropped.Load() }

// Close writes what is queued and stops.
func (l *OfferLog) Close() {
	close(l.offers)
	<-l.done
}

func (l *OfferLog) run() {
	defer close(l.done)
	batch := make([]Offer, 0, offerBatch)
	// A call authorized again (a retry, the next stage) keeps its first
	// list: repeats of the calls written lately do not reach the database.
	written := map[string]struct{}{}
	for o := range l.offers {
		batch = batch[:0]
		for next, ok := o, true; ok; {
			if _, seen := written[next.ConfID]; !seen {
				written[next.ConfID] = struct{}{}
				batch = append(batch, next)
			}
			if len(batch) == offerBatch {
				break
			}
			select {
			case next, ok = <-l.offers:
			default:
				ok = false
			}
		}
		if len(written) > offerQueue {
			written = map[string]struct{}{}
		}
		if len(batch) == 0 {
			continue
		}
		if err := l.write(batch); err != nil {
			l.log(err)
		}
	}
}

func (l *OfferLog) write(batch []Offer) error {
	args := make([]any, 0, 7*len(batch))
	for _, o := range batch {
		parts := make([]string, len(o.Ranked))
		for i, r := range o.Ranked {
			parts[i] = strconv.FormatInt(r.ID, 10) + ":" + r.Cost.String()
		}
		origin := sql.NullInt64{Int64: o.OriginID, Valid: o.OriginID != 0}
		args = append(args, o.ConfID, dbtime.Format(o.At), origin, o.Ranked[0].ID, int64(o.Ranked[0].Cost), o.Ranked[0].Currency, strings.Join(parts, ","))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := l.db.ExecContext(ctx, "INSERT INTO route_offer (conf_id, created_at, origin_id, first_partner_id, first_cost_micros, currency, routes) VALUES "+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(batch)), ", ")+store.OnConflictDoNothing(l.db.Driver, "route_offer", "conf_id"), args...)
	return err
}

// Watcher keeps the carriers' state (calls in progress, quality) fresh
// for the packet path, which reads it without waiting.
type Watcher struct {
	state atomic.Pointer[State]
}

// State is the latest state read; empty before the first.
func (w *Watcher) State() State {
	if st := w.state.Load(); st != nil {
		return *st
	}
	return State{}
}

// Refresh reads the state now.
func (w *Watcher) Refresh(ctx context.Context, q sqlx.QueryerContext, d *Directory, window time.Duration) error {
	st, err := d.LoadState(ctx, q, window, time.Now())
	if err != nil {
		return err
	}
	w.state.Store(&st)
	return nil
}
