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

// CallMargin is one clearinghouse call's money in one currency: what its
// legs earned (base and incoming charges), what they cost (egress and
// outgoing), and the margin.
type CallMargin struct {
	ConfID             string
	CallTime           time.Time
	Origin, Terminator string // partners' names; "" when the call has no such leg
	BilledSeconds      int64  // the longest of its legs'
	Revenue, Cost      rating.Money
	Currency           string
	// Loss: the margin is below the origin's minimum margin per minute
	// times the call's minutes (below 0 without an origin).
	Loss bool
}

// Margin is Revenue - Cost.
func (c CallMargin) Margin() rating.Money { return c.Revenue - c.Cost }

// MarginReport is the calls of [From, To) with their margins, and per
// currency the totals.
type MarginReport struct {
	From, To time.Time
	Lines    []CallMargin
	Totals   map[string][3]rating.Money // revenue, cost, margin
}

// Margins adds up each call's partner charges (by conf-id) filed in
// [from, to); lossesOnly keeps the loss calls.
func Margins(ctx context.Context, db *store.DB, partners *partner.Directory, from, to time.Time, lossesOnly bool) (MarginReport, error) {
	rep := MarginReport{From: from, To: to, Totals: map[string][3]rating.Money{}}
	var rows []struct {
		ConfID     string        `db:"conf_id"`
		CallTime   string        `db:"call_time"`
		Currency   string        `db:"currency"`
		Revenue    int64         `db:"revenue"`
		Cost       int64         `db:"cost"`
		Billed     int64         `db:"billed"`
		Origin     sql.NullInt64 `db:"origin"`
		Terminator sql.NullInt64 `db:"terminator"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT conf_id, MIN(call_time) AS call_time, currency,
		SUM(CASE WHEN rate_type IN ('base', 'incoming') THEN amount_micros ELSE 0 END) AS revenue,
		SUM(CASE WHEN rate_type IN ('egress', 'outgoing') THEN amount_micros ELSE 0 END) AS cost,
		MAX(billed_seconds) AS billed,
		MAX(CASE WHEN rate_type = 'incoming' THEN partner_id END) AS origin,
		MAX(CASE WHEN rate_type = 'outgoing' THEN partner_id END) AS terminator
		FROM leg_charge WHERE conf_id <> '' AND amount_micros IS NOT NULL AND call_time >= ? AND call_time < ?
		GROUP BY conf_id, currency ORDER BY MIN(call_time), conf_id`, store.FormatTime(from), store.FormatTime(to))
	if err != nil {
		return rep, err
	}
	for _, r := range rows {
		at, err := store.ParseTime(r.CallTime)
		if err != nil {
			return rep, err
		}
		c := CallMargin{ConfID: r.ConfID, CallTime: at, BilledSeconds: r.Billed, Revenue: rating.Money(r.Revenue), Cost: rating.Money(r.Cost), Currency: r.Currency}
		floor := rating.Money(0)
		if r.Origin.Valid {
			c.Origin = partners.Name(r.Origin.Int64)
			if origin := partners.Partner(r.Origin.Int64); origin != nil {
				floor = origin.MinMargin * rating.Money((r.Billed+59)/60)
			}
		}
		if r.Terminator.Valid {
			c.Terminator = partners.Name(r.Terminator.Int64)
		}
		c.Loss = c.Margin() < floor
		if lossesOnly && !c.Loss {
			continue
		}
		rep.Lines = append(rep.Lines, c)
		t := rep.Totals[c.Currency]
		t[0], t[1], t[2] = t[0]+c.Revenue, t[1]+c.Cost, t[2]+c.Margin()
		rep.Totals[c.Currency] = t
	}
	return rep, nil
}

// MarginsTable is the report as a table, totalled per currency.
func MarginsTable(rep MarginReport) Table {
	currency := SingleCurrency(rep.Lines, func(c CallMargin) string { return c.Currency })
	t := Table{Sheet: "Margins", Columns: []export.Column{{Name: "call_time"}, {Name: "conf_id"}, {Name: "origin"}, {Name: "terminator"},
		{Name: "minutes", Kind: export.Minutes}, {Name: "revenue", Kind: export.Money, Currency: currency}, {Name: "cost", Kind: export.Money, Currency: currency},
		{Name: "margin", Kind: export.Money, Currency: currency}, {Name: "loss"}, {Name: "currency"}}}
	for _, c := range rep.Lines {
		loss := ""
		if c.Loss {
			loss = "loss"
		}
		t.Rows = append(t.Rows, []any{c.CallTime.UTC().Format("2006-01-02 15:04:05"), c.ConfID, c.Origin, c.Terminator, c.BilledSeconds,
			c.Revenue, c.Cost, c.Margin(), loss, c.Currency})
	}
	for _, cur := range slices.Sorted(maps.Keys(rep.Totals)) {
		tot := rep.Totals[cur]
		t.Rows = append(t.Rows, []any{"TOTAL", "", "", "", nil, tot[0], tot[1], tot[2], "", cur})
	}
	return t
}
