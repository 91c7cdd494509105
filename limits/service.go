package limits

import (
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/dbtime"
	"github.com/radbill/radbill/store"
)

// Errors callers tell apart with errors.Is; the messages name the row.
var (
	// ErrNotFound: no account, user or number with that key. Returned
	// before anything is written, so a caller's transaction stays usable.
	ErrNotFound = errors.New("not found")
	// ErrExists: the account number or calling number is taken.
	ErrExists = errors.New("already exists")
	// ErrInsufficientCredit: a debit posting larger than the card's
	// available credit.
	ErrInsufficientCredit = errors.New("insufficient credit")
	// ErrReferenceReused: a ledger reference already names an entry of
	// another card or user.
	ErrReferenceReused = errors.New("ledger reference already used by another owner")
)

// Options tune a Service; the zero value of each field picks its default.
type Options struct {
	// PINCost is the bcrypt cost of new PIN hashes (default
	// bcrypt.MinCost). Stored hashes keep the cost they were made with.
	// PINs are short digit strings: no hash cost protects 10^4–10^8
	// candidates from an offline search, the hash only keeps them from
	// being read, and online guessing is stopped by the IVR's retry limits.
	// A high cost would only cap authorizations per second (bcrypt's
	// default, 10, costs about 60 ms of CPU per Access-Request).
	PINCost int
	// MaxCreditTime caps the credit time of one authorization, and with it
	// the credit one call holds, so that a rich card's concurrent calls can
	// share its balance (default 4 h).
	MaxCreditTime time.Duration
	// ReservationSlack is how long a reservation outlives its credit time:
	// ringing before the answer plus the delay of the Stop. A reservation
	// that expires before its Stop is settled no longer protects the
	// balance (see "Floor" in doc.go), so be generous (default 15 min).
	ReservationSlack time.Duration
	// PINKey (32 bytes, see ParsePINKey) seals the PINs of new cards and
	// of SetPIN so that CHAP can check them; nil: PAP only.
	PINKey []byte
	// PINCacheSize is how many cards' verified PINs are remembered (see
	// CheckPIN; default 100,000, about 15 MB).
	PINCacheSize int
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// Service keeps prepaid balances, enterprise limits and reservations in a
// radbill database. It is safe for concurrent use, and any number of
// Services (in any number of processes) may share one database: every
// money change is a transaction that locks the card or user row first.
type Service struct {
	db               *store.DB
	pinCost          int
	maxCreditSeconds int64
	reservationSlack time.Duration
	now              func() time.Time
	// dummyPINHash is compared against when the account does not exist, so
	// that a wrong account number takes as long as a wrong PIN.
	dummyPINHash func() []byte
	locations    sync.Map // IANA zone name → *time.Location
	pins         *pinCache
	pinAEAD      cipher.AEAD // nil without Options.PINKey
}

// New returns a Service on db, which must have been opened with store.Open
// and migrated.
func New(db *store.DB, opts Options) *Service {
	s := &Service{
		db:               db,
		pinCost:          cmp.Or(opts.PINCost, bcrypt.MinCost),
		maxCreditSeconds: int64(cmp.Or(opts.MaxCreditTime, 4*time.Hour) / time.Second),
		reservationSlack: cmp.Or(opts.ReservationSlack, 15*time.Minute),
		now:              opts.Now,
		pins:             newPINCache(cmp.Or(opts.PINCacheSize, 100_000)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.PINKey != nil {
		if len(opts.PINKey) != 32 {
			panic("limits: Options.PINKey must be 32 bytes (see ParsePINKey)")
		}
		block, _ := aes.NewCipher(opts.PINKey) // fails only for other key sizes
		s.pinAEAD, _ = cipher.NewGCM(block)    // fails only for other block sizes
	}
	s.dummyPINHash = sync.OnceValue(func() []byte {
		hash, err := bcrypt.GenerateFromPassword([]byte("not a PIN"), s.pinCost)
		if err != nil {
			panic(err) // only an invalid cost fails, and New's caller chose it
		}
		return hash
	})
	return s
}

// inTx runs fn in a transaction and commits it. On SQLite store.Open makes
// every transaction BEGIN IMMEDIATE, so it holds the database's write lock
// from its first statement; on MySQL READ COMMITTED lets each statement
// after a row lock see everything committed before it.
func (s *Service) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return retryDeadlock(func() error { return s.tryTx(ctx, fn) })
}

// retryDeadlock runs a transaction again while MySQL chose it as a
// deadlock's victim, or Galera found it in conflict with another node's
// commit (store.RetryDeadlocks).
func retryDeadlock(try func() error) error { return store.RetryDeadlocks("limits", try) }

func (s *Service) tryTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil) // READ COMMITTED on MySQL (see store.Open)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	// A decision whose commit is given up is answered per the outage
	// policy; if it lands after all, its reservation only holds credit
	// until it expires.
	return store.CommitWithin(ctx, tx)
}

func isDuplicateKey(err error) bool { return store.IsDuplicateKey(err) }

// forUpdate is appended to the SELECT that locks a card or user row. SQLite
// has no row locks: the transaction already holds the write lock.
func (s *Service) forUpdate() string {
	if s.db.Driver == store.MySQL {
		return " FOR UPDATE"
	}
	return ""
}

// forceIndex names the index MariaDB must read a table by: with an IN
// list covering a good part of a small table (a bench's 200 hot cards, 60
// per batch) its optimizer chose a full scan, and a locking read then
// waits for every row another batch holds, not only its own cards.
// SQLite's planner takes the index by itself.
func (s *Service) forceIndex(index string) string {
	if s.db.Driver == store.MySQL {
		return " FORCE INDEX (" + index + ")"
	}
	return ""
}

// onConflictDoNothing is store.OnConflictDoNothing on the service's
// database.
func (s *Service) onConflictDoNothing(table, columns string) string {
	return store.OnConflictDoNothing(s.db.Driver, table, columns)
}

// location loads an IANA zone once.
func (s *Service) location(name string) (*time.Location, error) {
	if loc, ok := s.locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	s.locations.Store(name, loc)
	return loc, nil
}

// nowStamp returns the clock's time and its stored form, to the
// millisecond, so that what is compared in Go equals what is stored.
func (s *Service) nowStamp() (time.Time, string) {
	now := s.now().UTC().Truncate(time.Millisecond)
	return now, dbtime.Format(now)
}

// planFacts are what limits needs of a tariff plan.
type planFacts struct {
	Currency string `db:"currency"`
	TimeZone string `db:"time_zone"`
}

func planOf(ctx context.Context, q sqlx.QueryerContext, planID int64) (planFacts, error) {
	var plan planFacts
	err := sqlx.GetContext(ctx, q, &plan, "SELECT currency, time_zone FROM tariff_plan WHERE id = ?", planID)
	if errors.Is(err, sql.ErrNoRows) {
		return plan, fmt.Errorf("tariff plan %d: %w", planID, ErrNotFound)
	}
	return plan, err
}
