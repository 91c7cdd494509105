package limits

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/rating"
)

// AccountStatus says whether a card may be used.
type AccountStatus string

const (
	AccountActive  AccountStatus = "active"
	AccountBlocked AccountStatus = "blocked"
)

// NewAccount describes a card to create.
type NewAccount struct {
	// Number and PIN are what the caller types on the keypad: digits only;
	// the PIN has at least 4. The PIN is stored as a bcrypt hash, and
	// sealed for CHAP when the Service has a PIN key.
	Number string
	PIN    string
	PlanID int64
	// Currency must be the plan's; empty takes the plan's.
	Currency string
	// InitialBalance, when not zero, is posted as a top-up in the same
	// transaction that creates the card.
	InitialBalance rating.Money
	// ExpiresAt is when the card stops working; zero: never.
	ExpiresAt time.Time
	// MaxConcurrentCalls is how many calls may be in progress at once
	// (default 1).
	MaxConcurrentCalls int
	// Language is sent as h323-preferred-lang (default "en").
	Language string
	// MaxCreditTime caps one call's credit time, and so what it holds of
	// the balance (0: the Service's Options.MaxCreditTime).
	MaxCreditTime time.Duration
}

// Account is a prepaid card as stored, with the credit its calls in
// progress hold.
type Account struct {
	ID     int64
	Number string
	// Balance is the sum of the card's ledger entries.
	Balance rating.Money
	// Reserved is held by the card's live reservations (calls authorized
	// and not yet settled); LiveCalls counts them.
	Reserved           rating.Money
	LiveCalls          int
	Currency           string
	PlanID             int64
	Status             AccountStatus
	ExpiresAt          time.Time // zero: never
	MaxConcurrentCalls int
	// MaxCreditTime caps one call's credit time; 0: the Service's.
	MaxCreditTime time.Duration
	Language      string
	CreatedAt     time.Time
}

// Available is the credit a new call may use: the balance minus what calls
// in progress hold.
func (a Account) Available() rating.Money { return a.Balance - a.Reserved }

// ExpiredAt reports whether the card has expired at t.
func (a Account) ExpiredAt(t time.Time) bool { return !a.ExpiresAt.IsZero() && !t.Before(a.ExpiresAt) }

// accountRow is a prepaid_account row; the reservation columns come from
// a join and are zero where it is not made.
type accountRow struct {
	ID                 int64          `db:"id"`
	Number             string         `db:"account_number"`
	PINHash            string         `db:"pin_hash"`
	PINSealed          []byte         `db:"pin_sealed"`
	Balance            int64          `db:"balance_micros"`
	Currency           string         `db:"currency"`
	PlanID             int64          `db:"plan_id"`
	Status             string         `db:"status"`
	ExpiresAt          sql.NullString `db:"expires_at"`
	MaxConcurrentCalls int            `db:"max_concurrent_calls"`
	MaxCreditSeconds   sql.NullInt64  `db:"max_credit_seconds"`
	Language           string         `db:"language"`
	CreatedAt          string         `db:"created_at"`
	Reserved           int64          `db:"reserved_micros"`
	LiveCalls          int            `db:"live_calls"`
}

const accountColumns = "a.id, a.account_number, a.pin_hash, a.pin_sealed, a.balance_micros, a.currency, a.plan_id, a.status, " +
	"a.expires_at, a.max_concurrent_calls, a.max_credit_seconds, a.language, a.created_at"

// fields are the destinations of accountColumns, in order, for reading
// rows without reflection.
func (r *accountRow) fields() []any {
	return []any{&r.ID, &r.Number, &r.PINHash, &r.PINSealed, &r.Balance, &r.Currency, &r.PlanID, &r.Status,
		&r.ExpiresAt, &r.MaxConcurrentCalls, &r.MaxCreditSeconds, &r.Language, &r.CreatedAt}
}

// selectAccounts reads cards with their live reservations (those not
// expired at the first two arguments, both "now"). The sums are correlated
// subqueries so that each reads only its card's reservations: a join with
// an aggregate over the whole table made every authorization scan all
// reservations.
const selectAccounts = "SELECT " + accountColumns + ", " +
	"COALESCE((SELECT SUM(r.amount_micros) FROM credit_reservation r WHERE r.account_id = a.id AND r.expires_at > ?), 0) AS reserved_micros, " +
	"(SELECT COUNT(*) FROM credit_reservation r WHERE r.account_id = a.id AND r.expires_at > ?) AS live_calls " +
	"FROM prepaid_account a"

func (r accountRow) account() (Account, error) {
	expires, err := dbtime.ParseNull(r.ExpiresAt)
	if err != nil {
		return Account{}, err
	}
	created, err := dbtime.Parse(r.CreatedAt)
	if err != nil {
		return Account{}, err
	}
	return Account{
		ID: r.ID, Number: r.Number, Balance: rating.Money(r.Balance), Reserved: rating.Money(r.Reserved),
		LiveCalls: r.LiveCalls, Currency: r.Currency, PlanID: r.PlanID, Status: AccountStatus(r.Status),
		ExpiresAt: expires, MaxConcurrentCalls: r.MaxConcurrentCalls, MaxCreditTime: time.Duration(r.MaxCreditSeconds.Int64) * time.Second,
		Language: r.Language, CreatedAt: created,
	}, nil
}

// CreateAccount creates a card, and tops it up with InitialBalance.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (Account, error) {
	switch {
	case !isDigits(n.Number) || len(n.Number) > 64:
		return Account{}, fmt.Errorf("account number %q: want 1 to 64 digits", n.Number)
	case n.InitialBalance < 0:
		return Account{}, fmt.Errorf("account %s: negative initial balance %s", n.Number, n.InitialBalance)
	case n.MaxConcurrentCalls < 0:
		return Account{}, fmt.Errorf("account %s: negative max concurrent calls", n.Number)
	case n.MaxCreditTime < 0 || n.MaxCreditTime%time.Second != 0:
		return Account{}, fmt.Errorf("account %s: max credit time %s: want whole seconds above 0", n.Number, n.MaxCreditTime)
	}
	if err := validatePIN(n.Number, n.PIN); err != nil {
		return Account{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.PIN), s.pinCost)
	if err != nil {
		return Account{}, err
	}
	sealed, err := s.sealPIN(n.Number, n.PIN)
	if err != nil {
		return Account{}, err
	}
	_, createdAt := s.nowStamp()
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		plan, err := planOf(ctx, tx, n.PlanID)
		if err != nil {
			return err
		}
		currency := cmp.Or(n.Currency, plan.Currency)
		if currency != plan.Currency {
			return fmt.Errorf("account %s: currency %s differs from the plan's %s", n.Number, currency, plan.Currency)
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO prepaid_account (account_number, pin_hash, pin_sealed, balance_micros, currency, plan_id, "+
			"status, expires_at, max_concurrent_calls, max_credit_seconds, language, created_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
			n.Number, string(hash), sealed, currency, n.PlanID, AccountActive, dbtime.Null(n.ExpiresAt),
			cmp.Or(n.MaxConcurrentCalls, 1), creditSeconds(n.MaxCreditTime), cmp.Or(n.Language, "en"), createdAt)
		if isDuplicateKey(err) {
			return fmt.Errorf("account %s: %w", n.Number, ErrExists)
		}
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if n.InitialBalance != 0 {
			if _, err = s.post(ctx, tx, id, Posting{Kind: KindTopUp, Amount: n.InitialBalance, Reason: "initial balance"}, createdAt); err != nil {
				return err
			}
		}
		return history.Record(ctx, tx, "card", id, history.Create)
	})
	if err != nil {
		return Account{}, err
	}
	return s.Account(ctx, n.Number)
}

// creditSeconds is a card's max_credit_seconds: NULL for the default.
func creditSeconds(d time.Duration) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(d / time.Second), Valid: d > 0}
}

// CallLimits are a card's limits on its calls; a zero field keeps its value.
type CallLimits struct {
	MaxConcurrentCalls int
	// MaxCreditTime in whole seconds; negative: back to the default.
	MaxCreditTime time.Duration
}

// SetCallLimits changes how many calls a card may have at once and how
// much credit time each gets; calls in progress keep what they were given.
func (s *Service) SetCallLimits(ctx context.Context, number string, l CallLimits) error {
	if l.MaxConcurrentCalls < 0 || (l.MaxCreditTime > 0 && l.MaxCreditTime%time.Second != 0) {
		return fmt.Errorf("account %s: max calls %d, max credit time %s: want at least 1 and whole seconds", number, l.MaxConcurrentCalls, l.MaxCreditTime)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		card, err := s.lockAccount(ctx, tx, number)
		if err != nil {
			return err
		}
		calls, credit := card.MaxConcurrentCalls, card.MaxCreditSeconds
		if l.MaxConcurrentCalls > 0 {
			calls = l.MaxConcurrentCalls
		}
		switch {
		case l.MaxCreditTime > 0:
			credit = creditSeconds(l.MaxCreditTime)
		case l.MaxCreditTime < 0:
			credit = sql.NullInt64{}
		}
		if _, err = tx.ExecContext(ctx, "UPDATE prepaid_account SET max_concurrent_calls = ?, max_credit_seconds = ? WHERE id = ?", calls, credit, card.ID); err != nil {
			return err
		}
		return history.Record(ctx, tx, "card", card.ID, history.Update)
	})
}

// Account returns the card with that number.
func (s *Service) Account(ctx context.Context, number string) (Account, error) {
	row, err := s.readAccount(ctx, number)
	if err != nil {
		return Account{}, err
	}
	return row.account()
}

// readAccount reads the card without locking it.
func (s *Service) readAccount(ctx context.Context, number string) (accountRow, error) {
	var row accountRow
	_, now := s.nowStamp()
	err := s.db.GetContext(ctx, &row, selectAccounts+" WHERE a.account_number = ?", now, now, number)
	if errors.Is(err, sql.ErrNoRows) {
		return row, fmt.Errorf("account %s: %w", number, ErrNotFound)
	}
	return row, err
}

// AccountFilter selects cards for ListAccounts.
type AccountFilter struct {
	Status AccountStatus // empty: any
	Limit  int           // 0: all
}

// ListAccounts returns cards ordered by number.
func (s *Service) ListAccounts(ctx context.Context, f AccountFilter) ([]Account, error) {
	_, now := s.nowStamp()
	query, args := selectAccounts, []any{now, now}
	if f.Status != "" {
		query += " WHERE a.status = ?"
		args = append(args, f.Status)
	}
	query += " ORDER BY a.account_number"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var rows []accountRow
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	accounts := make([]Account, len(rows))
	for i, row := range rows {
		var err error
		if accounts[i], err = row.account(); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}

// SetAccountStatus blocks or unblocks a card. New authorizations are
// refused with CodeUserDenied; blocking queues a Disconnect-Request for
// each of its calls in progress.
func (s *Service) SetAccountStatus(ctx context.Context, number string, status AccountStatus) error {
	if status != AccountActive && status != AccountBlocked {
		return fmt.Errorf("account status %q: want %q or %q", status, AccountActive, AccountBlocked)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		card, err := s.lockAccount(ctx, tx, number)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE prepaid_account SET status = ? WHERE id = ?", status, card.ID); err != nil {
			return err
		}
		if status == AccountBlocked {
			if err := s.queueDisconnects(ctx, tx, cardOwner(card.ID), DisconnectCardBlocked); err != nil {
				return err
			}
		}
		return history.Record(ctx, tx, "card", card.ID, history.Update)
	})
}

// EntryKind is the kind of a ledger entry.
type EntryKind string

const (
	// KindTopUp credits money paid in (positive).
	KindTopUp EntryKind = "topup"
	// KindCallDebit is the cost of a call (negative), written only by
	// SettleCardTx and SettleUserTx.
	KindCallDebit EntryKind = "call_debit"
	// KindRefund credits money given back, e.g. for a failed call (positive).
	KindRefund EntryKind = "refund"
	// KindAdjustment corrects the balance either way; it needs a reason.
	KindAdjustment EntryKind = "adjustment"
	// KindRerate corrects a call's debit after its CDR was re-rated (either
	// sign), written only by Rerate; it counts in the period of the call's
	// debit.
	KindRerate EntryKind = "rerate"
)

// Posting is a ledger entry an operator makes on a card.
type Posting struct {
	Kind   EntryKind // KindTopUp, KindRefund or KindAdjustment
	Amount rating.Money
	Reason string
	// Reference, when set, makes the posting idempotent: a second posting
	// of the same kind and reference (a payment id posted twice) changes
	// nothing.
	Reference string
	// DisconnectCalls takes a debit past the card's available credit
	// anyway and disconnects its calls in progress, whose reservations it
	// no longer covers; without it such a debit is refused.
	DisconnectCalls bool
}

// Posted is the outcome of a posting.
type Posted struct {
	// Applied is false when the reference had already been posted.
	Applied bool
	Balance rating.Money
}

// Post appends an operator's entry to a card's ledger and moves its
// balance by the same amount, in one transaction. A debit may not take more
// than the card's available credit (ErrInsufficientCredit), so that calls
// in progress stay covered, unless it disconnects them (DisconnectCalls).
func (s *Service) Post(ctx context.Context, number string, p Posting) (Posted, error) {
	switch {
	case p.Kind == KindTopUp || p.Kind == KindRefund:
		if p.Amount <= 0 {
			return Posted{}, fmt.Errorf("%s of %s: the amount must be positive", p.Kind, p.Amount)
		}
	case p.Kind == KindAdjustment:
		if p.Amount == 0 || p.Reason == "" {
			return Posted{}, fmt.Errorf("adjustment: needs a non-zero amount and a reason")
		}
	default:
		return Posted{}, fmt.Errorf("cannot post a %q entry: want %s, %s or %s", p.Kind, KindTopUp, KindRefund, KindAdjustment)
	}
	_, createdAt := s.nowStamp()
	var posted Posted
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		account, err := s.lockAccount(ctx, tx, number)
		if err != nil {
			return err
		}
		if p.Amount < 0 {
			live, err := liveReservations(ctx, tx, cardOwner(account.ID), createdAt)
			if err != nil {
				return err
			}
			if available := rating.Money(account.Balance) - live.amount; -p.Amount > available {
				if !p.DisconnectCalls {
					return fmt.Errorf("account %s: debit of %s exceeds the available %s: %w", number, -p.Amount, available, ErrInsufficientCredit)
				}
				if err := s.queueDisconnects(ctx, tx, cardOwner(account.ID), DisconnectCreditCut); err != nil {
					return err
				}
			}
		}
		posted, err = s.post(ctx, tx, account.ID, p, createdAt)
		return err
	})
	return posted, err
}

// post appends p to the card's ledger and moves its balance, when the
// entry is new. The card's row must be locked (or be new) in tx.
func (s *Service) post(ctx context.Context, tx *sqlx.Tx, accountID int64, p Posting, createdAt string) (Posted, error) {
	applied, err := s.appendEntry(ctx, tx, cardOwner(accountID), p.Kind, p.Amount, p.Reason, p.Reference, createdAt)
	if err != nil {
		return Posted{}, err
	}
	if applied {
		if _, err := tx.ExecContext(ctx, "UPDATE prepaid_account SET balance_micros = balance_micros + ? WHERE id = ?", int64(p.Amount), accountID); err != nil {
			return Posted{}, err
		}
	}
	var balance int64
	err = tx.GetContext(ctx, &balance, "SELECT balance_micros FROM prepaid_account WHERE id = ?", accountID)
	return Posted{Applied: applied, Balance: rating.Money(balance)}, err
}

// owner is the card or the user a ledger entry or reservation belongs to.
type owner struct {
	column string // "account_id" or "user_id"
	id     int64
}

func cardOwner(id int64) owner { return owner{column: "account_id", id: id} }
func userOwner(id int64) owner { return owner{column: "user_id", id: id} }

// columns are the values of the (account_id, user_id) pair for o: its id
// in its column, NULL in the other.
func (o owner) columns() (account, user any) {
	if o.column == "account_id" {
		return o.id, nil
	}
	return nil, o.id
}

// appendEntry inserts a ledger entry unless one of the same kind and
// reference exists, and reports whether it did. A reference already used
// by another owner is an error, not a duplicate.
func (s *Service) appendEntry(ctx context.Context, tx *sqlx.Tx, o owner, kind EntryKind, amount rating.Money, reason, reference, createdAt string) (bool, error) {
	ref := sql.NullString{String: reference, Valid: reference != ""}
	res, err := tx.ExecContext(ctx, "INSERT INTO ledger_entry ("+o.column+", kind, amount_micros, reason, reference, created_at, accrued_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?)"+s.onConflictDoNothing("ledger_entry", "kind, reference"), o.id, kind, int64(amount), reason, ref, createdAt, createdAt)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	var existing struct {
		Account sql.NullInt64 `db:"account_id"`
		User    sql.NullInt64 `db:"user_id"`
	}
	if err := tx.GetContext(ctx, &existing, "SELECT account_id, user_id FROM ledger_entry WHERE kind = ? AND reference = ?", kind, reference); err != nil {
		return false, err
	}
	existingOwner := userOwner(existing.User.Int64)
	if existing.Account.Valid {
		existingOwner = cardOwner(existing.Account.Int64)
	}
	if existingOwner != o {
		return false, fmt.Errorf("%s %q: %w", kind, reference, ErrReferenceReused)
	}
	return false, nil
}

// lockAccount reads the card's row and locks it until tx ends: every
// change of a card's money starts here, so changes of one card are
// serialised across all processes.
func (s *Service) lockAccount(ctx context.Context, tx *sqlx.Tx, number string) (accountRow, error) {
	var row accountRow
	err := tx.GetContext(ctx, &row, "SELECT "+accountColumns+" FROM prepaid_account a WHERE a.account_number = ?"+s.forUpdate(), number)
	if errors.Is(err, sql.ErrNoRows) {
		return row, fmt.Errorf("account %s: %w", number, ErrNotFound)
	}
	return row, err
}

// LedgerEntry is one row of a ledger.
type LedgerEntry struct {
	ID        int64
	Kind      EntryKind
	Amount    rating.Money
	Reason    string
	Reference string
	CreatedAt time.Time
}

// AccountLedger returns the card's latest entries, newest first; limit 0
// returns all.
func (s *Service) AccountLedger(ctx context.Context, number string, limit int) ([]LedgerEntry, error) {
	query := "SELECT e.id, e.kind, e.amount_micros, e.reason, COALESCE(e.reference, '') AS reference, e.created_at " +
		"FROM ledger_entry e JOIN prepaid_account a ON a.id = e.account_id WHERE a.account_number = ? ORDER BY e.id DESC"
	args := []any{number}
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	var rows []struct {
		ID        int64  `db:"id"`
		Kind      string `db:"kind"`
		Amount    int64  `db:"amount_micros"`
		Reason    string `db:"reason"`
		Reference string `db:"reference"`
		CreatedAt string `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if _, err := s.Account(ctx, number); err != nil {
			return nil, err
		}
	}
	entries := make([]LedgerEntry, len(rows))
	for i, r := range rows {
		created, err := dbtime.Parse(r.CreatedAt)
		if err != nil {
			return nil, err
		}
		entries[i] = LedgerEntry{ID: r.ID, Kind: EntryKind(r.Kind), Amount: rating.Money(r.Amount), Reason: r.Reason, Reference: r.Reference, CreatedAt: created}
	}
	return entries, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
