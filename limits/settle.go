package limits

import (
	"cmp"
	"context"
	"fmt"

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
	// Spend is the user's spend in the current period afterwards (users
	// only).
	Spend rating.Money
}

// SettleCardTx settles a card's call inside the caller's transaction tx
// (begun on the Service's database, e.g. the one that stores the CDR): it
// appends the call debit to the ledger unless Reference is already there,
// lowers the cached balance by the same amount, and releases the call's
// reservation. It locks the card's row first; a transaction settling
// several cards should settle them in a fixed order (e.g. by account
// number) so that two such transactions cannot deadlock on MySQL — if
// one does, the error is MySQL's deadlock and the whole transaction must
// be retried. ErrNotFound (unknown account) comes before any write.
func (s *Service) SettleCardTx(ctx context.Context, tx *sqlx.Tx, number string, c CallCharge) (Settled, error) {
	if err := c.check(); err != nil {
		return Settled{}, err
	}
	_, now := s.nowStamp()
	account, err := s.lockAccount(ctx, tx, number)
	if err != nil {
		return Settled{}, err
	}
	posted, err := s.post(ctx, tx, account.ID, Posting{Kind: KindCallDebit, Amount: -c.Cost, Reason: cmp.Or(c.Reason, "call"), Reference: c.Reference}, now)
	if err != nil {
		return Settled{}, err
	}
	released, err := s.release(ctx, tx, cardOwner(account.ID), c.ConfID)
	return Settled{Debited: posted.Applied, Released: released, Balance: posted.Balance}, err
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
