package report

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"time"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// Deviation is a terminated leg that did not take the expected route: the
// rank 1 of the route list its call was authorized with, or, for a call
// without one, the carrier whose plan would have charged least for it.
type Deviation struct {
	CallTime           time.Time
	ConfID, Called     string
	Zone               string
	Actual, Expected   string // carriers' names
	ActualCost, Should rating.Money
	Currency           string
	ByRouteList        bool // the expectation is the call's rank 1, not the cheapest plan
}

// Difference is what the deviation cost: the actual carrier's charge minus
// the expected one's.
func (d Deviation) Difference() rating.Money { return d.ActualCost - d.Should }

// DeviationReport lists the legs of [From, To) not via the least-cost
// route.
type DeviationReport struct {
	From, To   time.Time
	Lines      []Deviation
	Difference map[string]rating.Money // per currency, the sum of the lines'
}

// Deviations compares every terminated leg (outgoing-traffic charges) of
// the range with its expected route, pricing the expected carrier's plan
// for the leg's own number, time and duration with tariffs.
func Deviations(ctx context.Context, db *store.DB, tariffs *rating.Snapshot, partners *partner.Directory, from, to time.Time) (DeviationReport, error) {
	rep := DeviationReport{From: from, To: to, Difference: map[string]rating.Money{}}
	var legs []struct {
		ConfID    string         `db:"conf_id"`
		CallTime  string         `db:"call_time"`
		PartnerID int64          `db:"partner_id"`
		Zone      string         `db:"zone"`
		Duration  int64          `db:"duration_s"`
		Amount    int64          `db:"amount_micros"`
		Currency  string         `db:"currency"`
		Called    string         `db:"called_number_norm"`
		Connect   sql.NullString `db:"connect_time"`
		First     sql.NullInt64  `db:"first_partner_id"`
	}
	err := db.SelectContext(ctx, &legs, `SELECT c.conf_id, c.call_time, c.partner_id, c.zone, c.duration_s, c.amount_micros, c.currency,
		d.called_number_norm, d.connect_time, r.first_partner_id
		FROM leg_charge c JOIN cdr d ON d.dedup_key = c.dedup_key LEFT JOIN route_offer r ON r.conf_id = c.conf_id AND c.conf_id <> ''
		WHERE c.rate_type = 'outgoing' AND c.amount_micros IS NOT NULL AND c.call_time >= ? AND c.call_time < ? ORDER BY c.call_time, c.id`,
		store.FormatTime(from), store.FormatTime(to))
	if err != nil {
		return rep, err
	}
	price := func(p *partner.Partner, called string, at time.Time, duration int64) (rating.Money, bool) {
		plan, ok := p.Rates[partner.Outgoing]
		if !ok {
			return 0, false
		}
		c := tariffs.Rate(rating.Call{PlanID: plan, Called: called, ConnectTime: at, DurationSeconds: duration, Direction: rating.Outgoing, NearestRatedPrefix: true})
		return c.Cost, c.Status == rating.StatusOK
	}
	for _, l := range legs {
		at, err := store.ParseTime(l.CallTime)
		if err != nil {
			return rep, err
		}
		if l.Connect.Valid {
			if at, err = store.ParseTime(l.Connect.String); err != nil {
				return rep, err
			}
		}
		d := Deviation{CallTime: at, ConfID: l.ConfID, Called: l.Called, Zone: l.Zone, Actual: partners.Name(l.PartnerID), ActualCost: rating.Money(l.Amount), Currency: l.Currency}
		switch {
		case l.First.Valid:
			if l.First.Int64 == l.PartnerID {
				continue
			}
			d.Expected, d.ByRouteList = partners.Name(l.First.Int64), true
			if p := partners.Partner(l.First.Int64); p != nil {
				d.Should, _ = price(p, l.Called, at, l.Duration)
			}
		default:
			best, found := rating.Money(0), false
			for _, p := range partners.All() {
				if cost, ok := price(p, l.Called, at, l.Duration); ok && p.ID != l.PartnerID && (!found || cost < best) {
					best, found, d.Expected = cost, true, p.Name
				}
			}
			if !found || best >= d.ActualCost {
				continue
			}
			d.Should = best
		}
		rep.Lines = append(rep.Lines, d)
		rep.Difference[d.Currency] += d.Difference()
	}
	return rep, nil
}

// DeviationsTable is the report as a table, its differences totalled per
// currency.
func DeviationsTable(rep DeviationReport) Table {
	currency := SingleCurrency(rep.Lines, func(d Deviation) string { return d.Currency })
	t := Table{Sheet: "Deviations", Columns: []export.Column{{Name: "call_time"}, {Name: "conf_id"}, {Name: "called"}, {Name: "zone"},
		{Name: "expected_by"}, {Name: "expected"}, {Name: "actual"}, {Name: "expected_cost", Kind: export.Money, Currency: currency},
		{Name: "actual_cost", Kind: export.Money, Currency: currency}, {Name: "difference", Kind: export.Money, Currency: currency}, {Name: "currency"}}}
	for _, d := range rep.Lines {
		by := "cheapest plan"
		if d.ByRouteList {
			by = "route list"
		}
		t.Rows = append(t.Rows, []any{d.CallTime.UTC().Format("2006-01-02 15:04:05"), d.ConfID, d.Called, d.Zone, by, d.Expected, d.Actual,
			d.Should, d.ActualCost, d.Difference(), d.Currency})
	}
	for _, c := range slices.Sorted(maps.Keys(rep.Difference)) {
		t.Rows = append(t.Rows, []any{"TOTAL", "", "", "", "", "", "", nil, nil, rep.Difference[c], c})
	}
	return t
}
