package limits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/rating"
)

// Authentication is the answer to a card's account number and PIN
// (Access-Request #1 of the debit-card flow).
type Authentication struct {
	ReturnCode ReturnCode
	// Reason says why in words, for logs.
	Reason string
	// Account is the card, set whenever the PIN matched: its Available
	// credit goes out as h323-credit-amount, with Currency and Language.
	Account Account
}

// Authenticate checks a card's PIN and whether it may call at all: the
// codes are CodeInvalidAccount, CodeInvalidPIN, CodeUserDenied (blocked),
// CodeCardExpired, CodeAccountInUse (all its concurrent calls taken, or
// its credit held by calls in progress), CodeZeroBalance, else CodeSuccess.
func (s *Service) Authenticate(ctx context.Context, number string, p Proof) (Authentication, error) {
	row, err := s.readAccount(ctx, number)
	if errors.Is(err, ErrNotFound) {
		s.likeAPINCheck(p)
		return Authentication{ReturnCode: CodeInvalidAccount, Reason: "unknown account"}, nil
	}
	if err != nil {
		return Authentication{}, err
	}
	if !s.proves(number, pinRow{PINHash: row.PINHash, PINSealed: row.PINSealed}, p) {
		return Authentication{ReturnCode: CodeInvalidPIN, Reason: "wrong PIN"}, nil
	}
	account, err := row.account()
	if err != nil {
		return Authentication{}, err
	}
	code, reason := cardState(account, s.now())
	return Authentication{ReturnCode: code, Reason: reason, Account: account}, nil
}

// cardState is whether a card may start a call, before any destination.
func cardState(a Account, now time.Time) (ReturnCode, string) {
	switch {
	case a.Status != AccountActive:
		return CodeUserDenied, "account blocked"
	case a.ExpiredAt(now):
		return CodeCardExpired, "card expired"
	case a.LiveCalls >= a.MaxConcurrentCalls:
		return CodeAccountInUse, fmt.Sprintf("%d of %d calls in progress", a.LiveCalls, a.MaxConcurrentCalls)
	case a.Available() <= 0 && a.LiveCalls > 0:
		return CodeAccountInUse, "credit held by calls in progress"
	case a.Available() <= 0:
		return CodeZeroBalance, "zero balance"
	}
	return CodeSuccess, ""
}

// CallRequest is what is known of a call about to be placed.
type CallRequest struct {
	// ConfID is the call's h323-conf-id: the key of its reservation. A
	// second authorization with the same ConfID replaces the first.
	ConfID string
	// Called is the normalised called number (E.164 digits) and Direction
	// the rating direction, usually rating.Outgoing.
	Called    string
	Direction rating.Direction
}

// Authorization is the answer to a call's authorization (Access-Request #2).
type Authorization struct {
	ReturnCode ReturnCode
	// Reason says why in words, for logs.
	Reason string
	// CreditSeconds is the h323-credit-time granted; 0 when refused.
	CreditSeconds int64
	// Unlimited is set for enterprise users whose calls have no credit time
	// (LimitNotification, LimitUnrestricted): send no h323-credit-time.
	Unlimited bool
	// Reserved is the cost of CreditSeconds, held until the Stop settles.
	Reserved rating.Money
	// Available is the credit that was free for this call: the balance (or
	// what is left of the limit) minus other calls' reservations.
	Available rating.Money
	Currency  string
	Language  string // cards only
}

func refused(a Authorization, code ReturnCode, reason string) Authorization {
	a.ReturnCode, a.Reason = code, reason
	return a
}

// AuthorizeCard decides a card's call: AuthorizeCards with this one call
// and no PIN check.
func (s *Service) AuthorizeCard(ctx context.Context, number string, call CallRequest, tariff *rating.Snapshot) (Authorization, error) {
	decided, err := s.AuthorizeCards(ctx, []CardCall{{Number: number, Call: call, Tariff: tariff}})
	if err != nil {
		return Authorization{}, err
	}
	return decided[0], nil
}

// AuthorizeUser decides an enterprise user's call, the user found by
// calling number: CodeInvalidAccount when no user has the number;
// LimitBlocked → CodeUserDenied; LimitNotification and LimitUnrestricted
// → CodeSuccess with Unlimited; LimitNormal → like a card whose balance is
// what is left of the period's limit (limit − the period's call debits −
// other calls' reservations), refused with CodeNumberBlocked or
// CodeServiceNotAvailable for the destination, CodeCreditLimitReached when
// nothing (or not a second) is left.
func (s *Service) AuthorizeUser(ctx context.Context, callingNumber string, call CallRequest, tariff *rating.Snapshot) (Authorization, error) {
	if call.ConfID == "" || tariff == nil {
		return Authorization{}, fmt.Errorf("authorize calling number %s: need a conf-id and a tariff", callingNumber)
	}
	var result Authorization
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now, nowText := s.nowStamp()
		user, err := s.lockUserByNumber(ctx, tx, callingNumber)
		if errors.Is(err, ErrNotFound) {
			result = refused(Authorization{}, CodeInvalidAccount, "no user has this calling number")
			return nil
		}
		if err != nil {
			return err
		}
		plan, err := planOf(ctx, tx, user.PlanID)
		if err != nil {
			return err
		}
		result = Authorization{Currency: plan.Currency}
		switch LimitType(user.LimitType) {
		case LimitBlocked:
			result = refused(result, CodeUserDenied, "user blocked")
			return nil
		case LimitNotification, LimitUnrestricted:
			result.Unlimited = true
			return nil
		}
		period, err := s.userPeriod(plan, user.ResetDay, now)
		if err != nil {
			return err
		}
		spend, err := spendIn(ctx, tx, user.ID, period)
		if err != nil {
			return err
		}
		owner := userOwner(user.ID)
		live, err := otherReservations(ctx, tx, owner, call.ConfID, nowText)
		if err != nil {
			return err
		}
		left := rating.Money(user.LimitMicros) - spend
		result.Available = left - live.amount
		rated := rating.Call{PlanID: user.PlanID, Called: call.Called, ConnectTime: now, Direction: call.Direction}
		if code, reason := destinationState(tariff, rated, plan.Currency); code != CodeSuccess {
			result = refused(result, code, reason)
			return nil
		}
		switch {
		case left <= 0:
			result = refused(result, CodeCreditLimitReached, fmt.Sprintf("spent %s of the limit %s", spend, rating.Money(user.LimitMicros)))
			return nil
		case result.Available <= 0:
			result = refused(result, CodeCreditLimitReached, "the rest of the limit is held by calls in progress")
			return nil
		}
		result = s.fitCredit(tariff, rated, result, CodeCreditLimitReached, 0)
		if result.ReturnCode != CodeSuccess {
			return nil
		}
		return s.reserve(ctx, tx, []reservation{s.reservationOf(owner, call.ConfID, result, now)}, nowText)
	})
	return result, err
}

// destinationState is whether tariff can price calls of this plan to
// this destination, in the owner's currency.
func destinationState(tariff *rating.Snapshot, call rating.Call, currency string) (ReturnCode, string) {
	call.DurationSeconds = 1
	charge := tariff.Rate(call)
	switch {
	case charge.Status == rating.StatusUnknownPlan:
		return CodeServiceNotAvailable, fmt.Sprintf("plan %d is not in the tariff", call.PlanID)
	case charge.Status != rating.StatusOK:
		return CodeNumberBlocked, "destination not rated: " + charge.Status.String()
	case charge.Currency != currency:
		return CodeServiceNotAvailable, fmt.Sprintf("plan prices in %s, the credit is in %s", charge.Currency, currency)
	}
	return CodeSuccess, ""
}

// fitCredit grants the longest call a.Available (> 0) pays for, up to
// maxCredit (0: the Service's Options.MaxCreditTime), or refuses with
// noSecond when it buys no second.
func (s *Service) fitCredit(tariff *rating.Snapshot, call rating.Call, a Authorization, noSecond ReturnCode, maxCredit time.Duration) Authorization {
	maxSeconds := s.maxCreditSeconds
	if maxCredit > 0 {
		maxSeconds = int64(maxCredit / time.Second)
	}
	seconds, cost := affordable(tariff, call, a.Available, min(maxSeconds, rating.MaxCallSeconds))
	if seconds == 0 {
		return refused(a, noSecond, fmt.Sprintf("%s buys no second", a.Available))
	}
	a.ReturnCode, a.Reason, a.CreditSeconds, a.Reserved = CodeSuccess, "", seconds, cost
	return a
}

// affordable returns the longest duration, 1 to maxSeconds, whose rated
// cost fits in budget, with that cost; 0 when not even one second does.
// Rated cost never decreases with duration, and a duration that reaches
// a band without a rate counts as unaffordable (it stays so for longer
// calls), so "fits" is true up to some duration and false after it, and a
// binary search finds that duration in log2(maxSeconds) ratings — about 14
// for 4 hours. The plan's connect fee, minimum duration, increments, tiers,
// band splits, rounding and cap all take part, because it is the plan's
// own rating that is searched.
func affordable(tariff *rating.Snapshot, call rating.Call, budget rating.Money, maxSeconds int64) (seconds int64, cost rating.Money) {
	var charge rating.Charge
	fits := func(duration int64) bool {
		call.DurationSeconds = duration
		tariff.RateTo(&charge, call)
		return charge.Status == rating.StatusOK && charge.Cost <= budget
	}
	if maxSeconds < 1 || !fits(1) {
		return 0, 0
	}
	low, lowCost := int64(1), charge.Cost // fits(low) holds
	if fits(maxSeconds) {
		return maxSeconds, charge.Cost
	}
	high := maxSeconds // fits(high) does not hold
	for high-low > 1 {
		middle := low + (high-low)/2
		if fits(middle) {
			low, lowCost = middle, charge.Cost
		} else {
			high = middle
		}
	}
	return low, lowCost
}

// reservations sums live reservations.
type reservations struct {
	calls  int
	amount rating.Money
}

// liveReservations sums the owner's reservations not expired at now.
func liveReservations(ctx context.Context, q sqlx.QueryerContext, o owner, now string) (reservations, error) {
	return otherReservations(ctx, q, o, "", now) // no reservation has an empty conf-id
}

// otherReservations sums the owner's reservations not expired at now,
// but confID's: the call being authorized again is decided without its
// own reservation, which a grant replaces and a refusal keeps.
func otherReservations(ctx context.Context, q sqlx.QueryerContext, o owner, confID, now string) (reservations, error) {
	var sums struct {
		Calls  int   `db:"calls"`
		Amount int64 `db:"amount"`
	}
	err := sqlx.GetContext(ctx, q, &sums, "SELECT COUNT(*) AS calls, COALESCE(SUM(amount_micros), 0) AS amount "+
		"FROM credit_reservation WHERE "+o.column+" = ? AND expires_at > ? AND conf_id <> ?", o.id, now, confID)
	return reservations{calls: sums.Calls, amount: rating.Money(sums.Amount)}, err
}

// SweepReservations deletes every expired reservation and returns how
// many. Authorizations ignore a card's or user's expired reservations;
// the sweep deletes them, which keeps the table small and the
// Reserved figures of Account and UserUsage exact. Run it every minute or
// so from one or all servers: it is idempotent.
func (s *Service) SweepReservations(ctx context.Context) (int64, error) {
	_, now := s.nowStamp()
	res, err := s.db.ExecContext(ctx, "DELETE FROM credit_reservation WHERE expires_at <= ?", now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
