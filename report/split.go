package report

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// SplitQuery selects an invoice split: the provider's invoice Total for a
// month, distributed in proportion to radbill's rated cost of that month's
// calls (through Gateway, when set) per branch or per department.
type SplitQuery struct {
	Month    time.Time
	Total    rating.Money
	Decimals int // of the invoice: shares are whole units of 10^-Decimals
	Currency string
	Gateway  string
	By       Dimension // ByBranch or ByDepartment
}

// SplitLine is one branch's or department's share.
type SplitLine struct {
	Key   string
	Label string
	Rated rating.Money // radbill's rated cost
	Share rating.Money // its part of the invoice
}

// SplitReport is an invoice split. The shares add up to Total exactly;
// Difference = Total - Rated, large when a tariff is out of date.
type SplitReport struct {
	Query      SplitQuery
	Lines      []SplitLine
	Rated      rating.Money
	Difference rating.Money
}

// InvoiceSplit distributes the invoice by the largest-remainder method:
// each line first gets its proportional share rounded down to the
// invoice's unit, then the units left over go one each to the lines with
// the largest remainders (ties by label), so that the shares add up to the
// total exactly.
func InvoiceSplit(ctx context.Context, db *store.DB, q SplitQuery) (SplitReport, error) {
	if q.By != ByBranch && q.By != ByDepartment {
		return SplitReport{}, fmt.Errorf("split by %q: want branch or department", q.By)
	}
	if q.Decimals < 0 || q.Decimals > 6 {
		return SplitReport{}, fmt.Errorf("invoice total with %d decimals: want 0 to 6", q.Decimals)
	}
	if q.Total < 0 {
		return SplitReport{}, fmt.Errorf("invoice total %s: want 0 or more", q.Total)
	}
	// The month's rolled-up days from the monthly table with gateway,
	// branch and department, the days from the watermark on from cdr_daily.
	month, end := q.Month.Format(time.DateOnly), q.Month.AddDate(0, 1, 0).Format(time.DateOnly)
	part := func(table, where string, args ...any) (string, []any) {
		if q.Gateway != "" {
			where += " AND gateway = ?"
			args = append(args, q.Gateway)
		}
		return "SELECT " + q.By.column() + " AS k, currency, cost_micros FROM " + table + " WHERE " + where, args
	}
	mark, err := db.RolledUpTo(ctx)
	if err != nil {
		return SplitReport{}, err
	}
	query, args := part(store.SummaryTables[2].Name, "month = ?", month)
	if mark < end {
		daily, dailyArgs := part(store.SummaryTables[0].Name, "day >= ? AND day < ? AND day >= "+store.RolledUpToSQL, max(month, mark), end)
		query, args = query+" UNION ALL "+daily, append(args, dailyArgs...)
	}
	rows, err := db.QueryContext(ctx, "SELECT k, currency, SUM(cost_micros) FROM ("+query+") AS month_legs GROUP BY 1, 2", args...)
	if err != nil {
		return SplitReport{}, err
	}
	defer rows.Close()
	byCurrency := map[string][]SplitLine{}
	for rows.Next() {
		var key, currency string
		var cost int64
		if err := rows.Scan(&key, &currency, &cost); err != nil {
			return SplitReport{}, err
		}
		if currency != "" && cost != 0 {
			byCurrency[currency] = append(byCurrency[currency], SplitLine{Key: key, Rated: rating.Money(cost)})
		}
	}
	if err := rows.Err(); err != nil {
		return SplitReport{}, err
	}
	if q.Currency == "" {
		if len(byCurrency) > 1 {
			return SplitReport{}, fmt.Errorf("the month's calls are rated in %s: give --currency", strings.Join(slices.Sorted(maps.Keys(byCurrency)), ", "))
		}
		for c := range byCurrency {
			q.Currency = c
		}
	}
	lines := byCurrency[q.Currency]
	var rated rating.Money
	for _, l := range lines {
		rated += l.Rated
	}
	if rated <= 0 {
		return SplitReport{}, fmt.Errorf("no rated cost in %s for %s%s: nothing to split in proportion to", cmp.Or(q.Currency, "any currency"),
			q.Month.Format("2006-01"), gatewayNote(q.Gateway))
	}
	labels, err := labeller(ctx, db, q.By)
	if err != nil {
		return SplitReport{}, err
	}
	for i := range lines {
		lines[i].Label = labels(lines[i].Key)
	}
	if err := distribute(lines, q.Total, q.Decimals, rated); err != nil {
		return SplitReport{}, err
	}
	slices.SortFunc(lines, func(a, b SplitLine) int {
		return cmp.Or(cmp.Compare(b.Share, a.Share), strings.Compare(a.Label, b.Label))
	})
	return SplitReport{Query: q, Lines: lines, Rated: rated, Difference: q.Total - rated}, nil
}

func gatewayNote(g string) string {
	if g == "" {
		return ""
	}
	return " through gateway " + g
}

// distribute sets each line's Share (largest remainder, see InvoiceSplit).
func distribute(lines []SplitLine, total rating.Money, decimals int, rated rating.Money) error {
	unit := int64(1)
	for range 6 - decimals {
		unit *= 10
	}
	if int64(total)%unit != 0 {
		return fmt.Errorf("invoice total %s has more than %d decimals", total, decimals)
	}
	units := big.NewInt(int64(total) / unit)
	den := big.NewInt(int64(rated))
	remainders := make([]*big.Int, len(lines))
	given := int64(0)
	for i, l := range lines {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(units, big.NewInt(int64(l.Rated))), den, new(big.Int))
		lines[i].Share = rating.Money(q.Int64() * unit)
		remainders[i] = r
		given += q.Int64()
	}
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(remainders[b].Cmp(remainders[a]), strings.Compare(lines[a].Label, lines[b].Label))
	})
	for i := int64(0); i < units.Int64()-given; i++ {
		lines[order[i]].Share += rating.Money(unit)
	}
	return nil
}
