package report

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/radbill/radbill/export"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
)

// Table is a report as columns and rows of cells, as the CLI's writers, the
// console's pages and its CSV and XLSX exports show it; its last rows are
// the totals.
type Table struct {
	Sheet   string
	Columns []export.Column
	Rows    [][]any
}

// Write writes every row to w.
func (t Table) Write(w export.Writer, progress func()) error {
	for _, row := range t.Rows {
		progress()
		if err := w.WriteRow(row...); err != nil {
			return err
		}
	}
	return nil
}

// SingleCurrency is the one currency of lines, or "" when they have
// several (a money column's header names its currency only when it has one).
func SingleCurrency[L any](lines []L, currency func(L) string) string {
	var one string
	for _, l := range lines {
		c := currency(l)
		if c == "" {
			continue
		}
		if one != "" && c != one {
			return ""
		}
		one = c
	}
	return one
}

// CostTable is a cost report's table: one row per line, then the totals.
func CostTable(rep CostReport) Table {
	cur := SingleCurrency(rep.Totals, func(l CostLine) string { return l.Currency })
	t := Table{Sheet: "Cost by " + string(rep.Query.By), Columns: []export.Column{{Name: string(rep.Query.By)}, {Name: "currency"},
		{Name: "out_calls", Kind: export.Integer}, {Name: "out_answered", Kind: export.Integer}, {Name: "out_minutes", Kind: export.Minutes},
		{Name: "out_cost", Kind: export.Money, Currency: cur},
		{Name: "in_calls", Kind: export.Integer}, {Name: "in_answered", Kind: export.Integer}, {Name: "in_minutes", Kind: export.Minutes},
		{Name: "in_cost", Kind: export.Money, Currency: cur},
		{Name: "unrated", Kind: export.Integer}, {Name: "cost", Kind: export.Money, Currency: cur}}}
	for _, l := range append(slices.Clone(rep.Lines), rep.Totals...) {
		t.Rows = append(t.Rows, []any{l.Label, l.Currency, l.Out.Calls, l.Out.Answered, l.Out.BilledSeconds, l.Out.Cost,
			l.In.Calls, l.In.Answered, l.In.BilledSeconds, l.In.Cost, l.Out.Unrated + l.In.Unrated, l.Cost()})
	}
	return t
}

// LimitsTable is a limits report's table; departments names each
// department id ("Branch/Department").
func LimitsTable(rep LimitsReport, departments map[int64]string) Table {
	totals := map[string][2]rating.Money{}
	for _, l := range rep.Lines {
		t := totals[l.Currency]
		totals[l.Currency] = [2]rating.Money{t[0] + l.User.Limit.Amount, t[1] + l.Spend}
	}
	cur := SingleCurrency(rep.Lines, func(l limits.UserPeriod) string { return l.Currency })
	t := Table{Sheet: "Limits", Columns: []export.Column{{Name: "user_id", Kind: export.Integer}, {Name: "user"}, {Name: "department"},
		{Name: "period_start"}, {Name: "period_end"}, {Name: "limit_type"}, {Name: "limit", Kind: export.Money, Currency: cur},
		{Name: "warning_percent", Kind: export.Integer}, {Name: "spend", Kind: export.Money, Currency: cur},
		{Name: "spent_percent"}, {Name: "currency"}, {Name: "mails"}}}
	for _, l := range rep.Lines {
		t.Rows = append(t.Rows, []any{l.User.ID, l.User.Name, departments[l.User.DepartmentID], l.Period.Start.Format(time.DateOnly),
			l.Period.End.Format(time.DateOnly), string(l.User.Limit.Type), l.User.Limit.Amount, int64(l.User.Limit.WarningPercent), l.Spend,
			Percent(l.Spend, l.User.Limit.Amount), l.Currency, mails(l.Mails)})
	}
	for _, c := range slices.Sorted(maps.Keys(totals)) {
		sums := totals[c]
		t.Rows = append(t.Rows, []any{nil, "TOTAL", "", "", "", "", sums[0], nil, sums[1], Percent(sums[1], sums[0]), c, ""})
	}
	return t
}

func mails(m map[string]string) string {
	var parts []string
	for _, threshold := range []string{"warning", "limit"} {
		if status, ok := m[threshold]; ok {
			parts = append(parts, threshold+" "+status)
		}
	}
	return strings.Join(parts, ", ")
}

// CardsTable is a cards report's table.
func CardsTable(rep CardsReport) Table {
	cur := SingleCurrency(rep.Totals, func(l CardLine) string { return l.Currency })
	money := func(name string) export.Column { return export.Column{Name: name, Kind: export.Money, Currency: cur} }
	t := Table{Sheet: "Cards", Columns: []export.Column{{Name: "account"}, {Name: "status"}, {Name: "currency"}, {Name: "calls", Kind: export.Integer},
		money("opening"), money("topups"), money("refunds"), money("adjustments"), money("call_debits"), money("closing")}}
	for _, l := range append(slices.Clone(rep.Lines), rep.Totals...) {
		t.Rows = append(t.Rows, []any{l.Account, l.Status, l.Currency, l.Calls, l.Opening, l.TopUps, l.Refunds, l.Adjustments, l.Debits, l.Closing})
	}
	return t
}

// SplitTable is an invoice split's table: the shares, the total, and the
// difference between the invoice and radbill's rated total.
func SplitTable(rep SplitReport) Table {
	cur := rep.Query.Currency
	t := Table{Sheet: "Invoice " + rep.Query.Month.Format("2006-01"), Columns: []export.Column{{Name: string(rep.Query.By)},
		{Name: "rated", Kind: export.Money, Currency: cur}, {Name: "rated_percent"}, {Name: "invoice_share", Kind: export.Money, Currency: cur}}}
	for _, l := range rep.Lines {
		t.Rows = append(t.Rows, []any{l.Label, l.Rated, Percent(l.Rated, rep.Rated), l.Share})
	}
	t.Rows = append(t.Rows, []any{"TOTAL", rep.Rated, "100.0", rep.Query.Total},
		[]any{"difference (invoice - rated)", nil, Percent(rep.Difference, rep.Rated), rep.Difference})
	return t
}

// Percent is part of whole in per cent with one decimal, rounded toward
// zero ("" when whole is 0).
func Percent(part, whole rating.Money) string {
	if whole == 0 {
		return ""
	}
	tenths := new(big.Int).Quo(big.NewInt(0).Mul(big.NewInt(int64(part)), big.NewInt(1000)), big.NewInt(int64(whole))).Int64()
	sign := ""
	if tenths < 0 {
		sign, tenths = "-", -tenths
	}
	return fmt.Sprintf("%s%d.%d", sign, tenths/10, tenths%10)
}
