package limits_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/limits/internal/fixture"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// env is one test's database, tariff, clock and service.
type env struct {
	db     *store.DB
	tariff fixture.Tariff
	clock  *fixture.Clock
	svc    *limits.Service
}

// start is the clock's first reading in most tests: a Monday.
var start = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, b testdb.Backend, opts limits.Options) *env {
	t.Helper()
	db := testdb.Open(t, b)
	e := &env{db: db, tariff: fixture.ImportTariff(t, db), clock: fixture.NewClock(start)}
	opts.PINCost = bcrypt.MinCost // the cost is bcrypt's business; tests need speed
	opts.Now = e.clock.Now
	e.svc = limits.New(db, opts)
	return e
}

func (e *env) card(t *testing.T, number string, balance rating.Money, edit func(*limits.NewAccount)) limits.Account {
	t.Helper()
	n := limits.NewAccount{Number: number, PIN: "4321", PlanID: e.tariff.ExactPlan, InitialBalance: balance}
	if edit != nil {
		edit(&n)
	}
	account, err := e.svc.CreateAccount(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return account
}

func (e *env) call(confID string) limits.CallRequest {
	return limits.CallRequest{ConfID: confID, Called: e.tariff.MobileNumber, Direction: rating.Outgoing}
}

func (e *env) authorizeCard(t *testing.T, number string, req limits.CallRequest) limits.Authorization {
	t.Helper()
	a, err := e.svc.AuthorizeCard(context.Background(), number, req, e.tariff.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// settleCard settles in a transaction of its own, as the CDR writer would
// with its batch.
func settleCard(t testing.TB, db *store.DB, svc *limits.Service, number string, c limits.CallCharge) limits.Settled {
	t.Helper()
	settled, err := inTx(db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
		return svc.SettleCardTx(ctx, tx, number, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return settled
}

func settleUser(t testing.TB, db *store.DB, svc *limits.Service, number string, c limits.CallCharge) limits.Settled {
	t.Helper()
	settled, err := inTx(db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
		u, err := svc.UserByNumber(ctx, number)
		if err != nil {
			return limits.Settled{}, err
		}
		return svc.SettleUserTx(ctx, tx.Tx, u.ID, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return settled
}

// inTx runs fn in a transaction on db and commits, or rolls back on error.
// The transaction is the CDR writer's kind (on MySQL Together).
func inTx[T any](db *store.DB, fn func(context.Context, store.Tx) (T, error)) (T, error) {
	ctx := context.Background()
	tx, err := db.BeginTogether(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := fn(ctx, tx)
	if err != nil {
		_ = tx.Rollback()
		return v, err
	}
	return v, tx.Commit()
}

// expectCode fails unless a has the code; on success also the seconds.
func expectCode(t *testing.T, what string, a limits.Authorization, code limits.ReturnCode) {
	t.Helper()
	if a.ReturnCode != code {
		t.Fatalf("%s: return code %d (%v, %q), want %d (%v)", what, a.ReturnCode, a.ReturnCode, a.Reason, code, code)
	}
	if code != limits.CodeSuccess && (a.CreditSeconds != 0 || a.Reserved != 0) {
		t.Fatalf("%s: refused but granted %d s, reserved %s", what, a.CreditSeconds, a.Reserved)
	}
}

// checkLedgers fails unless every card's cached balance is the sum of its
// ledger, read straight from the tables.
func checkLedgers(t testing.TB, db *store.DB) {
	t.Helper()
	var rows []struct {
		Number  string `db:"account_number"`
		Balance int64  `db:"balance_micros"`
		Ledger  int64  `db:"ledger"`
	}
	err := db.Select(&rows, "SELECT a.account_number, a.balance_micros, COALESCE(SUM(e.amount_micros), 0) AS ledger "+
		"FROM prepaid_account a LEFT JOIN ledger_entry e ON e.account_id = a.id GROUP BY a.id, a.account_number, a.balance_micros")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Balance != r.Ledger {
			t.Errorf("account %s: cached balance %s, ledger sum %s", r.Number, rating.Money(r.Balance), rating.Money(r.Ledger))
		}
	}
}

func countRows(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}
