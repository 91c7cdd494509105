package limits

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/radbill/radbill/limits/internal/dbtime"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// CardCall is one card's call for AuthorizeCards.
type CardCall struct {
	Number string
	// PINHash is the card's pin_hash that the caller checked the PIN
	// against (CheckPIN). When the card's PIN has changed since, the call
	// is refused with CodeInvalidPIN. Empty: the caller checks nothing.
	PINHash string
	Call    CallRequest
	// Tariff prices the destination and the credit time.
	Tariff *rating.Snapshot
}

// AuthorizeCards decides several cards' calls in one transaction, as if
// each were decided alone in the order given: under the cards' row locks
// it checks status, expiry and concurrent calls, rates the destination,
// finds the longest call the available credit pays for (at most
// Options.MaxCreditTime) and reserves its cost, counting the reservations
// granted to earlier calls of the batch. The codes are
// CodeInvalidAccount, CodeInvalidPIN (the PIN changed, see
// CardCall.PINHash), CodeUserDenied, CodeCardExpired, CodeAccountInUse,
// CodeServiceNotAvailable (the card's plan is not in the tariff or prices
// in another currency), CodeNumberBlocked (destination not rated:
// unknown, no rate, invalid number), CodeZeroBalance,
// CodeInsufficientBalance (the credit buys no second),
// CodeInvalidArgument (no ConfID or Tariff), else CodeSuccess. Refusals
// reserve nothing. A call whose ConfID holds a reservation of its card
// already is decided without it; granted, its new reservation replaces
// the old one; refused, it keeps the old one.
//
// One transaction for many calls is what makes thousands of
// authorizations per second possible: its three statements and its commit
// are shared, and each card is locked once per batch.
func (s *Service) AuthorizeCards(ctx context.Context, calls []CardCall) ([]Authorization, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	decided := make([]Authorization, len(calls))
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now, nowText := s.nowStamp()
		cards, err := s.lockCards(ctx, tx, calls)
		if err != nil {
			return err
		}
		if err := s.countLiveReservations(ctx, tx, cards, now); err != nil {
			return err
		}
		var grants []reservation
		for i, c := range calls {
			card := cards[c.Number]
			switch {
			case c.Call.ConfID == "" || c.Tariff == nil:
				decided[i] = refused(Authorization{}, CodeInvalidArgument, "a call needs a conf-id and a tariff")
				continue
			case card == nil:
				decided[i] = refused(Authorization{}, CodeInvalidAccount, "unknown account")
				continue
			}
			decided[i] = s.decideCard(card, c, now)
			if decided[i].ReturnCode == CodeSuccess {
				grants = append(grants, s.reservationOf(cardOwner(card.ID), c.Call.ConfID, decided[i], now))
			}
		}
		return s.reserve(ctx, tx, grants, nowText)
	})
	if err != nil {
		return nil, err
	}
	return decided, nil
}

// cardInBatch is a locked card with its live reservations: those in the
// database and those the batch has granted so far. Account's Reserved and
// LiveCalls are their sums.
type cardInBatch struct {
	Account
	pinHash string
	held    map[string]rating.Money // conf-id → amount reserved
}

// decideCard decides one call of a batch and counts its grant. A call
// that holds a reservation already (authorized again) is decided without
// it; granted, the new reservation replaces it; refused, the call keeps
// it, since the gateway may still be using that credit.
func (s *Service) decideCard(card *cardInBatch, c CardCall, now time.Time) Authorization {
	previous, renewing := card.held[c.Call.ConfID]
	if renewing {
		card.Reserved -= previous
		card.LiveCalls--
	}
	result := s.decideCardCall(card.Account, card.pinHash, c, now)
	switch {
	case result.ReturnCode == CodeSuccess:
		card.held[c.Call.ConfID] = result.Reserved
		card.Reserved += result.Reserved
		card.LiveCalls++
	case renewing:
		card.Reserved += previous
		card.LiveCalls++
	}
	return result
}

func (s *Service) decideCardCall(card Account, pinHash string, c CardCall, now time.Time) Authorization {
	result := Authorization{Available: card.Available(), Currency: card.Currency, Language: card.Language}
	if c.PINHash != "" && c.PINHash != pinHash {
		return refused(result, CodeInvalidPIN, "the PIN changed since it was checked")
	}
	if code, reason := cardState(card, now); code != CodeSuccess {
		return refused(result, code, reason)
	}
	rated := rating.Call{PlanID: card.PlanID, Called: c.Call.Called, ConnectTime: now, Direction: c.Call.Direction}
	if code, reason := destinationState(c.Tariff, rated, card.Currency); code != CodeSuccess {
		return refused(result, code, reason)
	}
	return s.fitCredit(c.Tariff, rated, result, CodeInsufficientBalance)
}

// lockCards reads and locks the batch's cards.
func (s *Service) lockCards(ctx context.Context, tx *sqlx.Tx, calls []CardCall) (map[string]*cardInBatch, error) {
	numbers := make([]string, 0, len(calls))
	for _, c := range calls {
		numbers = append(numbers, c.Number)
	}
	rows, err := s.lockNumbers(ctx, tx, accountColumns, numbers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cards := make(map[string]*cardInBatch, len(numbers))
	for rows.Next() {
		var row accountRow
		if err := rows.Scan(row.fields()...); err != nil {
			return nil, err
		}
		account, err := row.account()
		if err != nil {
			return nil, err
		}
		cards[row.Number] = &cardInBatch{Account: account, pinHash: row.PINHash, held: map[string]rating.Money{}}
	}
	return cards, rows.Err()
}

// lockNumbers locks the rows of the cards with these numbers and reads
// their columns (of prepaid_account a), in account-number order so that
// concurrent transactions lock shared cards in the same order.
func (s *Service) lockNumbers(ctx context.Context, tx *sqlx.Tx, columns string, numbers []string) (*sql.Rows, error) {
	numbers = slices.Compact(slices.Sorted(slices.Values(numbers)))
	query, args, err := sqlx.In("SELECT "+columns+" FROM prepaid_account a WHERE a.account_number IN (?) "+
		"ORDER BY a.account_number"+s.forUpdate(), numbers)
	if err != nil {
		return nil, err
	}
	return tx.QueryContext(ctx, query, args...)
}

// countLiveReservations fills each card's live reservations, those not
// expired at now. It reads all the cards' reservations through the unique
// (account_id, conf_id) index — few per card: its calls in progress, and
// expired ones until the next sweep — and leaves out the expired ones
// here: with the expiry in the query MariaDB read every live reservation
// through the expiry index when its statistics were stale, and an index
// covering both would cost every reservation write.
func (s *Service) countLiveReservations(ctx context.Context, tx *sqlx.Tx, cards map[string]*cardInBatch, now time.Time) error {
	if len(cards) == 0 {
		return nil
	}
	byID := make(map[int64]*cardInBatch, len(cards))
	args := make([]any, 0, len(cards))
	for _, card := range cards {
		byID[card.ID] = card
		args = append(args, card.ID)
	}
	rows, err := tx.QueryContext(ctx, "SELECT account_id, conf_id, amount_micros, expires_at FROM credit_reservation "+
		"WHERE account_id IN ("+placeholders(len(byID))+")", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	// Scanned by hand and the expiry compared as stored text (dbtime's
	// fixed-width layout sorts as time does): this loop runs for every
	// reservation of every card of every batch, and sqlx's reflection cost
	// a sixth of the CPU.
	nowText := dbtime.Format(now)
	var accountID, amount int64
	var confID, expires string
	for rows.Next() {
		if err := rows.Scan(&accountID, &confID, &amount, &expires); err != nil {
			return err
		}
		if expires > nowText {
			card := byID[accountID]
			card.held[confID] = rating.Money(amount)
			card.LiveCalls++
			card.Reserved += rating.Money(amount)
		}
	}
	return rows.Err()
}

// reservation is credit held for one authorized call.
type reservation struct {
	owner   owner
	confID  string
	amount  rating.Money
	seconds int64
	expires time.Time
}

// reservationOf is what a granted call holds: its cost until its credit
// time and the slack have passed.
func (s *Service) reservationOf(o owner, confID string, granted Authorization, now time.Time) reservation {
	return reservation{owner: o, confID: confID, amount: granted.Reserved, seconds: granted.CreditSeconds,
		expires: now.Add(time.Duration(granted.CreditSeconds)*time.Second + s.reservationSlack)}
}

// reserve stores the grants in one statement, each replacing the owner's
// reservation of the same conf-id; of two grants of one call in the list
// the later wins, as it does in decideCard.
func (s *Service) reserve(ctx context.Context, tx *sqlx.Tx, grants []reservation, now string) error {
	type key struct {
		owner  owner
		confID string
	}
	last := make(map[key]int, len(grants))
	for i, g := range grants {
		last[key{g.owner, g.confID}] = i
	}
	var rows []string
	var args []any
	for i, g := range grants {
		if last[key{g.owner, g.confID}] != i {
			continue
		}
		rows = append(rows, "(?, ?, ?, ?, ?, ?, ?)")
		account, user := g.owner.columns()
		args = append(args, account, user, g.confID, int64(g.amount), g.seconds, now, dbtime.Format(g.expires))
	}
	if len(rows) == 0 {
		return nil
	}
	replace := " ON CONFLICT DO UPDATE SET amount_micros = excluded.amount_micros, credit_seconds = excluded.credit_seconds, " +
		"created_at = excluded.created_at, expires_at = excluded.expires_at"
	if s.db.Driver == store.MySQL {
		replace = " ON DUPLICATE KEY UPDATE amount_micros = VALUES(amount_micros), credit_seconds = VALUES(credit_seconds), " +
			"created_at = VALUES(created_at), expires_at = VALUES(expires_at)"
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO credit_reservation (account_id, user_id, conf_id, amount_micros, credit_seconds, created_at, expires_at) "+
		"VALUES "+strings.Join(rows, ", ")+replace, args...)
	return err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
