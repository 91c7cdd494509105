package limits

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/rating"
)

// CallCharge is the rated cost of a finished call, to settle.
type CallCharge struct {
	// Reference identifies the debit: the billed leg's CDR dedup_key, or
	// the call's conf-id. It is unique among call debits, so settling the
	// same Stop twice debits once.
	Reference string
	// ConfID is the h323-conf-id the call was authorized with: its
	// reservation is released. Empty when the call had none.
	ConfID string
	// Cost is the rated cost (≥ 0).
	Cost rating.Money
	// Reason is the ledger text, e.g. "call to 359888123456, 125 s"
	// (default "call").
	Reason string
}

func (c CallCharge) check() error {
	switch {
	case c.Reference == "":
		return fmt.Errorf("settle: empty reference")
	case c.Cost < 0:
		return fmt.Errorf("settle %s: negative cost %s", c.Reference, c.Cost)
	}
	return nil
}

// Settled is the outcome of settling a call.
type Settled struct {
	// Debited is false when Reference had been settled before (a repeated
	// Stop): the ledger and balance are unchanged.
	Debited bool
	// Released reports that the call's reservation was found and deleted.
	Released bool
	// Balance is the card's balance afterwards (cards only).
	Balance rating.Money
	// UnknownOwner: no card has the charge's account number (SettleCardsTx).
	UnknownOwner bool
	// Spend is the user's spend in the current period afterwards (users
	// only).
	Spend rating.Money
}

// SettleCardTx settles one card's call inside the caller's transaction
// tx: SettleCardsTx with one charge, except that an unknown account is
// ErrNotFound, returned before any write.
func (s *Service) SettleCardTx(ctx context.Context, tx *sqlx.Tx, number string, c CallCharge) (Settled, error) {
	settled, err := s.SettleCardsTx(ctx, tx, []CardCharge{{Number: number, Charge: c}})
	if err != nil {
		return Settled{}, err
	}
	if settled[0].UnknownOwner {
		return Settled{}, fmt.Errorf("account %s: %w", number, ErrNotFound)
	}
	return settled[0], nil
}

// CardCharge is a card's call to settle.
type CardCharge struct {
	Number string
	Charge CallCharge
}

// SettleCardsTx settles cards' calls inside the caller's transaction tx
// (begun on the Service's database, e.g. the one that stores the CDRs),
// in the order given: for each it appends the call debit to the ledger
// unless its Reference is there already, lowers the cached balance by the
// same amount, and releases the call's reservation. A charge whose card
// does not exist is skipped (Settled.UnknownOwner). It locks the cards'
// rows first, in account-number order, so that two transactions settling
// and authorizing shared cards cannot deadlock on MySQL — if one does, the
// error is MySQL's deadlock and the whole transaction must be retried.
// The work takes six statements however many calls there are.
func (s *Service) SettleCardsTx(ctx context.Context, tx *sqlx.Tx, charges []CardCharge) ([]Settled, error) {
	for _, c := range charges {
		if err := c.Charge.check(); err != nil {
			return nil, err
		}
	}
	if len(charges) == 0 {
		return nil, nil
	}
	_, now := s.nowStamp()
	cards, err := s.lockBalances(ctx, tx, charges)
	if err != nil {
		return nil, err
	}
	debited, err := s.debitedBefore(ctx, tx, charges)
	if err != nil {
		return nil, err
	}
	settled := make([]Settled, len(charges))
	var entries []ledgerRow
	moved := map[int64]rating.Money{}
	for i, c := range charges {
		card, ok := cards[c.Number]
		if !ok {
			settled[i].UnknownOwner = true
			continue
		}
		if o, seen := debited[c.Charge.Reference]; !seen {
			debited[c.Charge.Reference] = cardOwner(card.ID)
			entries = append(entries, ledgerRow{owner: cardOwner(card.ID), kind: KindCallDebit, amount: -c.Charge.Cost,
				reason: cmp.Or(c.Charge.Reason, "call"), reference: c.Charge.Reference})
			card.Balance -= c.Charge.Cost
			moved[card.ID] -= c.Charge.Cost
			settled[i].Debited = true
		} else if o != cardOwner(card.ID) {
			return nil, fmt.Errorf("%s %q: %w", KindCallDebit, c.Charge.Reference, ErrReferenceReused)
		}
		settled[i].Balance = card.Balance
	}
	if err := s.appendEntries(ctx, tx, entries, now); err != nil {
		return nil, err
	}
	if err := moveBalances(ctx, tx, moved); err != nil {
		return nil, err
	}
	return settled, s.releaseCards(ctx, tx, cards, charges, settled)
}

// lockedCard is a card's id and balance, read under its row lock.
type lockedCard struct {
	ID      int64
	Number  string
	Balance rating.Money
}

func (s *Service) lockBalances(ctx context.Context, tx *sqlx.Tx, charges []CardCharge) (map[string]*lockedCard, error) {
	numbers := make([]string, 0, len(charges))
	for _, c := range charges {
		numbers = append(numbers, c.Number)
	}
	rows, err := s.lockNumbers(ctx, tx, "a.id, a.account_number, a.balance_micros", numbers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cards := make(map[string]*lockedCard, len(numbers))
	for rows.Next() {
		var card lockedCard
		if err := rows.Scan(&card.ID, &card.Number, &card.Balance); err != nil {
			return nil, err
		}
		cards[card.Number] = &card
	}
	return cards, rows.Err()
}

// debitedBefore returns the owners of the call debits already in the
// ledger with the charges' references: a Stop settled before.
func (s *Service) debitedBefore(ctx context.Context, tx *sqlx.Tx, charges []CardCharge) (map[string]owner, error) {
	references := make([]string, 0, len(charges))
	for _, c := range charges {
		references = append(references, c.Charge.Reference)
	}
	query, args, err := sqlx.In("SELECT reference, account_id, user_id FROM ledger_entry WHERE kind = ? AND reference IN (?)", KindCallDebit, references)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Reference string        `db:"reference"`
		Account   sql.NullInt64 `db:"account_id"`
		User      sql.NullInt64 `db:"user_id"`
	}
	if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	debited := make(map[string]owner, len(charges))
	for _, r := range rows {
		debited[r.Reference] = userOwner(r.User.Int64)
		if r.Account.Valid {
			debited[r.Reference] = cardOwner(r.Account.Int64)
		}
	}
	return debited, nil
}

// ledgerRow is a ledger entry to append.
type ledgerRow struct {
	owner             owner
	kind              EntryKind
	amount            rating.Money
	reason, reference string
}

// appendEntries inserts new ledger entries in one statement. Their
// references were checked absent under the owners' locks; a call debit's
// reference is its CDR's dedup key, inserted in the same transaction, so
// no other transaction can be adding it.
func (s *Service) appendEntries(ctx context.Context, tx *sqlx.Tx, entries []ledgerRow, createdAt string) error {
	if len(entries) == 0 {
		return nil
	}
	values := make([]string, 0, len(entries))
	args := make([]any, 0, 7*len(entries))
	for _, e := range entries {
		account, user := e.owner.columns()
		values = append(values, "(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, account, user, e.kind, int64(e.amount), e.reason, e.reference, createdAt)
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO ledger_entry (account_id, user_id, kind, amount_micros, reason, reference, created_at) VALUES "+
		strings.Join(values, ", "), args...)
	return err
}

// moveBalances adds each card's amount to its cached balance.
func moveBalances(ctx context.Context, tx *sqlx.Tx, moved map[int64]rating.Money) error {
	if len(moved) == 0 {
		return nil
	}
	var cases []string
	var args, ids []any
	for id, amount := range moved {
		cases = append(cases, "WHEN ? THEN ?")
		args = append(args, id, int64(amount))
		ids = append(ids, id)
	}
	_, err := tx.ExecContext(ctx, "UPDATE prepaid_account SET balance_micros = balance_micros + CASE id "+strings.Join(cases, " ")+
		" END WHERE id IN ("+placeholders(len(ids))+")", append(args, ids...)...)
	return err
}

// releaseCards deletes the settled calls' reservations and marks them
// Released.
func (s *Service) releaseCards(ctx context.Context, tx *sqlx.Tx, cards map[string]*lockedCard, charges []CardCharge, settled []Settled) error {
	type call struct {
		accountID int64
		confID    string
	}
	wanted := map[call][]int{}
	var ids []any
	for i, c := range charges {
		if card, ok := cards[c.Number]; ok && c.Charge.ConfID != "" {
			key := call{card.ID, c.Charge.ConfID}
			if wanted[key] == nil {
				ids = append(ids, card.ID)
			}
			wanted[key] = append(wanted[key], i)
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	var held []struct {
		ID        int64  `db:"id"`
		AccountID int64  `db:"account_id"`
		ConfID    string `db:"conf_id"`
	}
	query, args, err := sqlx.In("SELECT id, account_id, conf_id FROM credit_reservation"+
		s.forceIndex("credit_reservation_account_call")+" WHERE account_id IN (?)", ids)
	if err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &held, query, args...); err != nil {
		return err
	}
	var released []int64
	for _, r := range held {
		if charged := wanted[call{r.AccountID, r.ConfID}]; charged != nil {
			released = append(released, r.ID)
			settled[charged[0]].Released = true // the first Stop of the call releases it
		}
	}
	if len(released) == 0 {
		return nil
	}
	query, args, err = sqlx.In("DELETE FROM credit_reservation WHERE id IN (?)", released)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, query, args...)
	return err
}

// SettleUserTx settles an enterprise user's call, the user found by
// calling number, inside the caller's transaction tx, like SettleCardTx:
// it appends the call debit (once per Reference) and releases the
// reservation. When the debit takes the period's spend to the warning
// threshold or the limit (types LimitNormal and LimitNotification, limit
// above 0), it enqueues the limit_notification row in the same
// transaction — at most one per user, period and threshold — for the
// notify package's sender to deliver. It never waits for e-mail.
func (s *Service) SettleUserTx(ctx context.Context, tx *sqlx.Tx, callingNumber string, c CallCharge) (Settled, error) {
	if err := c.check(); err != nil {
		return Settled{}, err
	}
	now, nowText := s.nowStamp()
	user, err := s.lockUserByNumber(ctx, tx, callingNumber)
	if err != nil {
		return Settled{}, err
	}
	plan, err := planOf(ctx, tx, user.PlanID)
	if err != nil {
		return Settled{}, err
	}
	period, err := s.userPeriod(plan, user.ResetDay, now)
	if err != nil {
		return Settled{}, err
	}
	debited, err := s.appendEntry(ctx, tx, userOwner(user.ID), KindCallDebit, -c.Cost, cmp.Or(c.Reason, "call"), c.Reference, nowText)
	if err != nil {
		return Settled{}, err
	}
	released, err := s.release(ctx, tx, userOwner(user.ID), c.ConfID)
	if err != nil {
		return Settled{}, err
	}
	spend, err := spendIn(ctx, tx, user.ID, period)
	if err != nil {
		return Settled{}, err
	}
	if debited {
		err = s.enqueueCrossedThresholds(ctx, tx, user, plan, period, spend, nowText)
	}
	return Settled{Debited: debited, Released: released, Spend: spend}, err
}

// release deletes the reservation of a call.
func (s *Service) release(ctx context.Context, tx *sqlx.Tx, o owner, confID string) (bool, error) {
	if confID == "" {
		return false, nil
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM credit_reservation WHERE "+o.column+" = ? AND conf_id = ?", o.id, confID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Threshold names a limit notification.
type Threshold string

const (
	// ThresholdWarning: the spend reached WarningPercent of the limit.
	ThresholdWarning Threshold = "warning"
	// ThresholdLimit: the spend reached the limit.
	ThresholdLimit Threshold = "limit"
)

// enqueueCrossedThresholds inserts a notification for each threshold the
// spend has reached, unless the period has one already. Testing "reached"
// rather than "crossed by this debit" also catches a threshold that a
// lowered limit put behind the spend.
func (s *Service) enqueueCrossedThresholds(ctx context.Context, tx *sqlx.Tx, user userRow, plan planFacts, period Period, spend rating.Money, now string) error {
	limitType := LimitType(user.LimitType)
	if (limitType != LimitNormal && limitType != LimitNotification) || user.LimitMicros <= 0 {
		return nil
	}
	// spend ≥ limit × percent / 100, in integers: spend ≥ ⌈limit × percent / 100⌉.
	warningAt := (user.LimitMicros*int64(user.WarningPercent) + 99) / 100
	crossed := []struct {
		threshold Threshold
		percent   int
		reached   bool
	}{
		{ThresholdWarning, user.WarningPercent, int64(spend) >= warningAt},
		{ThresholdLimit, 100, int64(spend) >= user.LimitMicros},
	}
	for _, c := range crossed {
		if !c.reached {
			continue
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO limit_notification (user_id, period_start, period_end, threshold, threshold_percent, "+
			"spend_micros, limit_micros, currency, status, attempts, next_attempt_at, last_error, created_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '', ?)"+s.onConflictDoNothing("user_id, period_start, threshold"),
			user.ID, period.Start.Format(dateLayout), period.End.Format(dateLayout), c.threshold, c.percent,
			int64(spend), user.LimitMicros, plan.Currency, now, now)
		if err != nil {
			return err
		}
	}
	return nil
}
