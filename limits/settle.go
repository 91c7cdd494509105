package limits

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
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
	// whose limit type mails at thresholds only).
	Spend rating.Money
}

// SettleCardTx settles one card's call inside the caller's transaction
// tx: SettleCardsTx with one charge, except that an unknown account is
// ErrNotFound, returned before any write.
func (s *Service) SettleCardTx(ctx context.Context, tx store.Tx, number string, c CallCharge) (Settled, error) {
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
// The work takes six statements however many calls there are: three
// reads, then three writes; two round trips when tx.Together.
func (s *Service) SettleCardsTx(ctx context.Context, tx store.Tx, charges []CardCharge) ([]Settled, error) {
	for _, c := range charges {
		if err := c.Charge.check(); err != nil {
			return nil, err
		}
	}
	if len(charges) == 0 {
		return nil, nil
	}
	_, now := s.nowStamp()
	numbers := make([]string, 0, len(charges))
	references := make([]string, 0, len(charges))
	for _, c := range charges {
		numbers = append(numbers, c.Number)
		references = append(references, c.Charge.Reference)
	}
	numbers = slices.Compact(slices.Sorted(slices.Values(numbers)))
	cards := map[string]*lockedCard{}
	debited := map[string]owner{}
	var held []heldRow
	err := queryGroup(ctx, tx, tx.Together, []statement{
		stmt(s.lockQuery("a.id, a.account_number, a.balance_micros", numbers)),
		earlierDebits(references),
		stmt(s.reservationsQuery("r.id, r.account_id, r.conf_id", numbers)),
	}, func(rows *sql.Rows) error {
		var card lockedCard
		if err := rows.Scan(&card.ID, &card.Number, &card.Balance); err != nil {
			return err
		}
		cards[card.Number] = &card
		return nil
	}, scanDebit(debited), func(rows *sql.Rows) error {
		var r heldRow
		if err := rows.Scan(&r.ID, &r.AccountID, &r.ConfID); err != nil {
			return err
		}
		held = append(held, r)
		return nil
	})
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
	err = execGroup(ctx, tx, tx.Together, []statement{
		appendEntries(entries, now),
		moveBalances(moved),
		releaseCards(cards, charges, held, settled),
	})
	if err != nil {
		return nil, err
	}
	return settled, nil
}

// earlierDebits reads the call debits already posted with these
// references, for scanDebit.
func earlierDebits(references []string) statement {
	return statement{"SELECT reference, account_id, user_id FROM ledger_entry WHERE kind = ? AND reference IN (" + placeholders(len(references)) + ")",
		append([]any{KindCallDebit}, anys(references)...)}
}

// scanDebit records the owner of each earlier debit by its reference.
func scanDebit(debited map[string]owner) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		var reference string
		var account, user sql.NullInt64
		if err := rows.Scan(&reference, &account, &user); err != nil {
			return err
		}
		debited[reference] = userOwner(user.Int64)
		if account.Valid {
			debited[reference] = cardOwner(account.Int64)
		}
		return nil
	}
}

// lockedCard is a card's id and balance, read under its row lock.
type lockedCard struct {
	ID      int64
	Number  string
	Balance rating.Money
}

// heldRow is a stored reservation of a card.
type heldRow struct {
	ID        int64
	AccountID int64
	ConfID    string
}

// appendEntries inserts new ledger entries in one statement. Their
// references were checked absent under the owners' locks; a call debit's
// reference is its CDR's dedup key, inserted in the same transaction, so
// no other transaction can be adding it.
func appendEntries(entries []ledgerRow, createdAt string) statement {
	if len(entries) == 0 {
		return statement{}
	}
	values := make([]string, 0, len(entries))
	args := make([]any, 0, 8*len(entries))
	for _, e := range entries {
		account, user := e.owner.columns()
		values = append(values, "(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, account, user, e.kind, int64(e.amount), e.reason, e.reference, createdAt, cmp.Or(e.accruedAt, createdAt))
	}
	return statement{"INSERT INTO ledger_entry (account_id, user_id, kind, amount_micros, reason, reference, created_at, accrued_at) VALUES " +
		strings.Join(values, ", "), args}
}

// ledgerRow is a ledger entry to append.
type ledgerRow struct {
	owner             owner
	kind              EntryKind
	amount            rating.Money
	reason, reference string
	// accruedAt places the entry in a user's period; "": when it is posted.
	accruedAt string
}

// moveBalances adds each card's amount to its cached balance.
func moveBalances(moved map[int64]rating.Money) statement {
	if len(moved) == 0 {
		return statement{}
	}
	var cases []string
	var args, ids []any
	for id, amount := range moved {
		cases = append(cases, "WHEN ? THEN ?")
		args = append(args, id, int64(amount))
		ids = append(ids, id)
	}
	return statement{"UPDATE prepaid_account SET balance_micros = balance_micros + CASE id " + strings.Join(cases, " ") +
		" END WHERE id IN (" + placeholders(len(ids)) + ")", append(args, ids...)}
}

// releaseCards deletes the settled calls' reservations (of the cards'
// reservations held) and marks them Released: the first Stop of a call
// releases it.
func releaseCards(cards map[string]*lockedCard, charges []CardCharge, held []heldRow, settled []Settled) statement {
	type call struct {
		accountID int64
		confID    string
	}
	wanted := map[call][]int{}
	for i, c := range charges {
		if card, ok := cards[c.Number]; ok && c.Charge.ConfID != "" {
			key := call{card.ID, c.Charge.ConfID}
			wanted[key] = append(wanted[key], i)
		}
	}
	var released []any
	for _, r := range held {
		if charged := wanted[call{r.AccountID, r.ConfID}]; charged != nil {
			released = append(released, r.ID)
			settled[charged[0]].Released = true
		}
	}
	if len(released) == 0 {
		return statement{}
	}
	return statement{"DELETE FROM credit_reservation WHERE id IN (" + placeholders(len(released)) + ")", released}
}

// SettleUserTx settles an enterprise user's call inside the caller's
// transaction tx: SettleUsersTx with one charge, except that an unknown
// user is ErrNotFound.
func (s *Service) SettleUserTx(ctx context.Context, tx *sqlx.Tx, userID int64, c CallCharge) (Settled, error) {
	settled, err := s.SettleUsersTx(ctx, store.Tx{Tx: tx}, []UserCharge{{UserID: userID, Charge: c}})
	if err != nil {
		return Settled{}, err
	}
	if settled[0].UnknownOwner {
		return Settled{}, fmt.Errorf("user %d: %w", userID, ErrNotFound)
	}
	return settled[0], nil
}

// UserCharge is an enterprise user's call to settle.
type UserCharge struct {
	UserID int64
	Charge CallCharge
}

// SettleUsersTx settles users' calls inside the caller's transaction tx,
// as SettleCardsTx does cards': it locks the users (in id order), appends
// each call debit unless its Reference is there already, and releases the
// calls' reservations, in four statements however many calls there are.
// Then, for each user whose limit type mails at thresholds and who was
// debited, it sums the period's spend and enqueues the limit_notification
// rows of the thresholds reached — at most one per user, period and
// threshold — for the notify package's sender. It never waits for e-mail.
// A charge whose user does not exist is skipped (Settled.UnknownOwner).
func (s *Service) SettleUsersTx(ctx context.Context, tx store.Tx, charges []UserCharge) ([]Settled, error) {
	for _, c := range charges {
		if err := c.Charge.check(); err != nil {
			return nil, err
		}
	}
	if len(charges) == 0 {
		return nil, nil
	}
	now, nowText := s.nowStamp()
	var ids []int64
	references := make([]string, 0, len(charges))
	for _, c := range charges {
		ids = append(ids, c.UserID)
		references = append(references, c.Charge.Reference)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	users := map[int64]userRow{}
	debited := map[string]owner{}
	type userCall struct {
		userID int64
		confID string
	}
	held := map[userCall]int64{} // reservation ids
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	err := queryGroup(ctx, tx, tx.Together, []statement{
		{"SELECT " + userColumns + " FROM enterprise_user WHERE id IN (" + placeholders(len(ids)) + ") ORDER BY id" + s.forUpdate(), idArgs},
		earlierDebits(references),
		{"SELECT id, user_id, conf_id FROM credit_reservation WHERE user_id IN (" + placeholders(len(ids)) + ")", idArgs},
	}, func(rows *sql.Rows) error {
		var u userRow
		if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Language, &u.DepartmentID, &u.PlanID, &u.LimitType, &u.LimitMicros,
			&u.WarningPercent, &u.ResetDay, &u.CreatedAt, &u.DeletedAt); err != nil {
			return err
		}
		users[u.ID] = u
		return nil
	}, scanDebit(debited), func(rows *sql.Rows) error {
		var id, user int64
		var confID string
		if err := rows.Scan(&id, &user, &confID); err != nil {
			return err
		}
		held[userCall{user, confID}] = id
		return nil
	})
	if err != nil {
		return nil, err
	}
	settled := make([]Settled, len(charges))
	var entries []ledgerRow
	var released []any
	mails := map[int64]bool{} // users debited
	for i, c := range charges {
		user, ok := users[c.UserID]
		if !ok {
			settled[i].UnknownOwner = true
			continue
		}
		o := userOwner(user.ID)
		if was, seen := debited[c.Charge.Reference]; !seen {
			debited[c.Charge.Reference] = o
			entries = append(entries, ledgerRow{owner: o, kind: KindCallDebit, amount: -c.Charge.Cost,
				reason: cmp.Or(c.Charge.Reason, "call"), reference: c.Charge.Reference})
			settled[i].Debited = true
			mails[user.ID] = true
		} else if was != o {
			return nil, fmt.Errorf("%s %q: %w", KindCallDebit, c.Charge.Reference, ErrReferenceReused)
		}
		if id, ok := held[userCall{user.ID, c.Charge.ConfID}]; ok && c.Charge.ConfID != "" {
			released = append(released, id)
			delete(held, userCall{user.ID, c.Charge.ConfID})
			settled[i].Released = true
		}
	}
	release := statement{}
	if len(released) > 0 {
		release = statement{"DELETE FROM credit_reservation WHERE id IN (" + placeholders(len(released)) + ")", released}
	}
	if err := execGroup(ctx, tx, tx.Together, []statement{appendEntries(entries, nowText), release}); err != nil {
		return nil, err
	}
	// Only users who mail need the period's sum, which grows with their calls.
	spends := map[int64]rating.Money{}
	for _, id := range ids {
		user, ok := users[id]
		if !ok || !user.hasThresholds() {
			continue
		}
		plan, err := planOf(ctx, tx, user.PlanID)
		if err != nil {
			return nil, err
		}
		period, err := s.userPeriod(plan, user.ResetDay, now)
		if err != nil {
			return nil, err
		}
		if spends[id], err = spendIn(ctx, tx, id, period); err != nil {
			return nil, err
		}
		if !mails[id] {
			continue // a repeated Stop: nothing new to mail
		}
		if err := s.enqueueCrossedThresholds(ctx, tx.Tx, user, plan, period, spends[id], nowText); err != nil {
			return nil, err
		}
	}
	for i, c := range charges {
		settled[i].Spend = spends[c.UserID]
	}
	return settled, nil
}

// hasThresholds: the user's limit type mails at the warning and the limit.
func (u userRow) hasThresholds() bool {
	t := LimitType(u.LimitType)
	return (t == LimitNormal || t == LimitNotification) && u.LimitMicros > 0
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
// spend has reached, unless the period has one already; the warning only
// while the spend is below the limit. Testing "reached"
// rather than "crossed by this debit" also catches a threshold that a
// lowered limit put behind the spend.
func (s *Service) enqueueCrossedThresholds(ctx context.Context, tx *sqlx.Tx, user userRow, plan planFacts, period Period, spend rating.Money, now string) error {
	if !user.hasThresholds() {
		return nil
	}
	// spend ≥ limit × percent / 100, in integers: spend ≥ ⌈limit × percent / 100⌉.
	warningAt := (user.LimitMicros*int64(user.WarningPercent) + 99) / 100
	crossed := []struct {
		threshold Threshold
		percent   int
		reached   bool
	}{
		// A spend at the limit gets the limit's mail alone: a warning
		// arriving with it would only say less, later.
		{ThresholdWarning, user.WarningPercent, int64(spend) >= warningAt && int64(spend) < user.LimitMicros},
		{ThresholdLimit, 100, int64(spend) >= user.LimitMicros},
	}
	for _, c := range crossed {
		if !c.reached {
			continue
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO limit_notification (user_id, period_start, period_end, threshold, threshold_percent, "+
			"spend_micros, limit_micros, currency, status, attempts, next_attempt_at, last_error, created_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '', ?)"+s.onConflictDoNothing("limit_notification", "user_id, period_start, threshold"),
			user.ID, period.Start.Format(dateLayout), period.End.Format(dateLayout), c.threshold, c.percent,
			int64(spend), user.LimitMicros, plan.Currency, now, now)
		if err != nil {
			return err
		}
	}
	return nil
}
