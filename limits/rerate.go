package limits

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/rating"
)

// Rerated is a re-rated CDR of a card or a user: its owner's money follows
// the CDR's new cost.
type Rerated struct {
	// Reference is the CDR's dedup_key, the reference of its call debit.
	Reference string
	// AccountID or UserID is the owner the CDR was billed to.
	AccountID, UserID int64
	// Cost is what the CDR now says the call costs (0 when it has no cost).
	Cost rating.Money
	// ReceivedAt is when the CDR was received: the period a correction of
	// a call that was never debited counts in.
	ReceivedAt time.Time
	// Reason is the ledger text, e.g. "re-rated call to 359888123456".
	Reason string
}

// Correction is what re-rating changed for one owner: what it had been
// charged for the CDRs, what they cost now, and the ledger's change
// (Cost − Charged, as charged: positive means the owner pays more).
type Correction struct {
	AccountID, UserID int64
	Currency          string
	Charged, Cost     rating.Money
	Adjusted          rating.Money
	Entries           int // rerate ledger entries written
}

// ApplyRerate stores re-rated CDRs and corrects their owners' money in one
// transaction: update writes the CDRs' new ratings; then, for each CDR,
// what its owner was charged (its call debit and earlier rerate entries)
// is compared with its new cost and the difference posted as a rerate
// entry (reference "<dedup_key>/<n>"), counted in the period of the call's
// debit. Cards' balances move by the same amounts; users whose spend
// reaches a threshold get its notification, as a Stop's debit would. It
// is idempotent: a CDR whose owner has been charged its cost gets no entry.
// Owners are locked as settling locks them (cards by account number, then
// users by id), so it may run beside radiusd.
func (s *Service) ApplyRerate(ctx context.Context, calls []Rerated, update func(ctx context.Context, tx *sqlx.Tx) error) ([]Correction, error) {
	var corrections []Correction
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := update(ctx, tx); err != nil {
			return err
		}
		var err error
		corrections, err = s.correct(ctx, tx, calls)
		return err
	})
	return corrections, err
}

func (s *Service) correct(ctx context.Context, tx *sqlx.Tx, calls []Rerated) ([]Correction, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	_, now := s.nowStamp()
	cards, err := s.lockCardsByID(ctx, tx, calls)
	if err != nil {
		return nil, err
	}
	users := map[int64]userRow{}
	var userIDs []int64
	for _, c := range calls {
		if c.AccountID == 0 && c.UserID != 0 {
			userIDs = append(userIDs, c.UserID)
		}
	}
	for _, id := range slices.Compact(slices.Sorted(slices.Values(userIDs))) {
		if users[id], err = s.lockUser(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	charged, err := chargedFor(ctx, tx, calls)
	if err != nil {
		return nil, err
	}

	byOwner := map[owner]*Correction{}
	var entries []ledgerRow
	moved := map[int64]rating.Money{}
	accrued := map[int64]map[string]bool{} // user → accrual instants of its corrections
	for _, c := range calls {
		o := cardOwner(c.AccountID)
		if c.AccountID == 0 {
			o = userOwner(c.UserID)
		}
		sum := byOwner[o]
		if sum == nil {
			sum = &Correction{AccountID: c.AccountID, UserID: c.UserID}
			if c.AccountID != 0 {
				currency, ok := cards[c.AccountID]
				if !ok {
					return nil, fmt.Errorf("re-rated CDR %s: card %d: %w", c.Reference, c.AccountID, ErrNotFound)
				}
				sum.Currency = currency
			} else {
				plan, err := planOf(ctx, tx, users[c.UserID].PlanID)
				if err != nil {
					return nil, err
				}
				sum.Currency = plan.Currency
			}
			byOwner[o] = sum
		}
		was := charged[c.Reference]
		sum.Charged += was.amount
		sum.Cost += c.Cost
		if was.amount == c.Cost {
			continue
		}
		accruedAt := cmp.Or(was.accruedAt, dbtime.Format(c.ReceivedAt))
		entries = append(entries, ledgerRow{owner: o, kind: KindRerate, amount: was.amount - c.Cost,
			reason:    cmp.Or(c.Reason, "re-rated call") + fmt.Sprintf(": %s → %s", was.amount, c.Cost),
			reference: c.Reference + "/" + strconv.Itoa(was.corrections+1), accruedAt: accruedAt})
		sum.Adjusted += c.Cost - was.amount
		sum.Entries++
		if c.AccountID != 0 {
			moved[c.AccountID] -= c.Cost - was.amount
		} else {
			if accrued[c.UserID] == nil {
				accrued[c.UserID] = map[string]bool{}
			}
			accrued[c.UserID][accruedAt] = true
		}
	}
	if err := execGroup(ctx, tx, false, []statement{appendEntries(entries, now), moveBalances(moved)}); err != nil {
		return nil, err
	}
	if err := s.recheckThresholds(ctx, tx, users, accrued, now); err != nil {
		return nil, err
	}
	out := make([]Correction, 0, len(byOwner))
	for _, c := range byOwner {
		out = append(out, *c)
	}
	return out, nil
}

// lockCardsByID locks the calls' cards in account-number order, as
// SettleCardsTx does, and returns their currencies by id.
func (s *Service) lockCardsByID(ctx context.Context, tx *sqlx.Tx, calls []Rerated) (map[int64]string, error) {
	var ids []int64
	for _, c := range calls {
		if c.AccountID != 0 {
			ids = append(ids, c.AccountID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	query, args, err := sqlx.In("SELECT account_number FROM prepaid_account WHERE id IN (?)", ids)
	if err != nil {
		return nil, err
	}
	var numbers []string
	if err := tx.SelectContext(ctx, &numbers, tx.Rebind(query), args...); err != nil {
		return nil, err
	}
	slices.Sort(numbers)
	lock, lockArgs := s.lockQuery("a.id, a.currency", numbers)
	rows, err := tx.QueryContext(ctx, lock, lockArgs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cards := map[int64]string{}
	for rows.Next() {
		var id int64
		var currency string
		if err := rows.Scan(&id, &currency); err != nil {
			return nil, err
		}
		cards[id] = currency
	}
	return cards, rows.Err()
}

// charge is what an owner has been charged for one CDR.
type charge struct {
	amount      rating.Money // positive: the debit and its corrections, as charged
	corrections int          // rerate entries so far
	accruedAt   string       // the call debit's, "" when there is none
}

// chargedFor reads the call debits of the calls' CDRs and their rerate
// entries (references "<dedup_key>/<n>", found as key ranges of the
// unique (kind, reference) index), in chunks that keep the statements
// short.
func chargedFor(ctx context.Context, tx *sqlx.Tx, calls []Rerated) (map[string]charge, error) {
	charged := make(map[string]charge, len(calls))
	const chunk = 100
	for start := 0; start < len(calls); start += chunk {
		part := calls[start:min(start+chunk, len(calls))]
		var ranges []string
		args := []any{KindCallDebit}
		for _, c := range part {
			args = append(args, c.Reference)
		}
		args = append(args, KindRerate)
		for _, c := range part {
			ranges = append(ranges, "(reference > ? AND reference < ?)")
			args = append(args, c.Reference+"/", c.Reference+"0") // '0' follows '/'
		}
		rows, err := tx.QueryContext(ctx, "SELECT kind, reference, amount_micros, accrued_at FROM ledger_entry WHERE "+
			"(kind = ? AND reference IN ("+placeholders(len(part))+")) OR (kind = ? AND ("+strings.Join(ranges, " OR ")+"))", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var kind, reference, accruedAt string
			var amount int64
			if err := rows.Scan(&kind, &reference, &amount, &accruedAt); err != nil {
				rows.Close()
				return nil, err
			}
			key := reference
			if EntryKind(kind) == KindRerate {
				key, _, _ = strings.Cut(reference, "/")
			}
			c := charged[key]
			c.amount -= rating.Money(amount)
			if EntryKind(kind) == KindRerate {
				c.corrections++
			} else {
				c.accruedAt = accruedAt
			}
			charged[key] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return charged, nil
}

// recheckThresholds queues the notifications of the thresholds the users'
// corrected spend has reached, in each period a correction counted in.
func (s *Service) recheckThresholds(ctx context.Context, tx *sqlx.Tx, users map[int64]userRow, accrued map[int64]map[string]bool, now string) error {
	for id, instants := range accrued {
		user := users[id]
		plan, err := planOf(ctx, tx, user.PlanID)
		if err != nil {
			return err
		}
		periods := map[Period]bool{}
		for instant := range instants {
			t, err := dbtime.Parse(instant)
			if err != nil {
				return err
			}
			period, err := s.userPeriod(plan, user.ResetDay, t)
			if err != nil {
				return err
			}
			periods[period] = true
		}
		for period := range periods {
			spend, err := spendIn(ctx, tx, id, period)
			if err != nil {
				return err
			}
			if err := s.enqueueCrossedThresholds(ctx, tx, user, plan, period, spend, now); err != nil {
				return err
			}
		}
	}
	return nil
}
