package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// CardLine is one prepaid card over a period, from its ledger: Closing =
// Opening + TopUps + Refunds + Adjustments + Debits, and Closing is the
// ledger's sum up to the period's end (the balance, for a period ending
// now).
type CardLine struct {
	AccountID       int64
	Account         string // account number
	Currency        string
	Status          string
	Calls           int64 // call debits posted in the period
	Opening         rating.Money
	TopUps, Refunds rating.Money
	Adjustments     rating.Money
	Debits          rating.Money // call debits and their re-rate corrections (negative)
	Closing         rating.Money
}

// CardsReport is every card's line, and per currency their total.
type CardsReport struct {
	From, To time.Time
	Lines    []CardLine
	Totals   []CardLine
}

// Cards reports every prepaid card's movements with ledger entries posted
// in [from, to).
func Cards(ctx context.Context, db *store.DB, from, to time.Time) (CardsReport, error) {
	var rows []struct {
		ID       int64  `db:"id"`
		Number   string `db:"account_number"`
		Currency string `db:"currency"`
		Status   string `db:"status"`
		Opening  int64  `db:"opening"`
		TopUps   int64  `db:"topups"`
		Refunds  int64  `db:"refunds"`
		Adjust   int64  `db:"adjustments"`
		Debits   int64  `db:"debits"`
		Calls    int64  `db:"calls"`
	}
	lo, hi := store.FormatTime(from), store.FormatTime(to)
	err := db.SelectContext(ctx, &rows, `SELECT a.id, a.account_number, a.currency, a.status,
		COALESCE(SUM(CASE WHEN e.created_at < ? THEN e.amount_micros END), 0) AS opening,
		COALESCE(SUM(CASE WHEN e.created_at >= ? AND e.created_at < ? AND e.kind = 'topup' THEN e.amount_micros END), 0) AS topups,
		COALESCE(SUM(CASE WHEN e.created_at >= ? AND e.created_at < ? AND e.kind = 'refund' THEN e.amount_micros END), 0) AS refunds,
		COALESCE(SUM(CASE WHEN e.created_at >= ? AND e.created_at < ? AND e.kind = 'adjustment' THEN e.amount_micros END), 0) AS adjustments,
		COALESCE(SUM(CASE WHEN e.created_at >= ? AND e.created_at < ? AND e.kind IN ('call_debit', 'rerate') THEN e.amount_micros END), 0) AS debits,
		COUNT(CASE WHEN e.created_at >= ? AND e.created_at < ? AND e.kind = 'call_debit' THEN 1 END) AS calls
		FROM prepaid_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
		GROUP BY a.id, a.account_number, a.currency, a.status ORDER BY a.account_number`,
		lo, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi)
	if err != nil {
		return CardsReport{}, err
	}
	rep := CardsReport{From: from, To: to}
	totals := map[string]*CardLine{}
	for _, r := range rows {
		l := CardLine{AccountID: r.ID, Account: r.Number, Currency: r.Currency, Status: r.Status, Calls: r.Calls,
			Opening: rating.Money(r.Opening), TopUps: rating.Money(r.TopUps), Refunds: rating.Money(r.Refunds),
			Adjustments: rating.Money(r.Adjust), Debits: rating.Money(r.Debits)}
		l.Closing = l.Opening + l.TopUps + l.Refunds + l.Adjustments + l.Debits
		rep.Lines = append(rep.Lines, l)
		t := totals[l.Currency]
		if t == nil {
			t = &CardLine{Account: "TOTAL", Currency: l.Currency}
			totals[l.Currency] = t
		}
		t.Calls += l.Calls
		t.Opening += l.Opening
		t.TopUps += l.TopUps
		t.Refunds += l.Refunds
		t.Adjustments += l.Adjustments
		t.Debits += l.Debits
		t.Closing += l.Closing
	}
	for _, t := range totals {
		rep.Totals = append(rep.Totals, *t)
	}
	slices.SortFunc(rep.Totals, func(a, b CardLine) int { return strings.Compare(a.Currency, b.Currency) })
	return rep, nil
}
