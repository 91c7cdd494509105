package limits_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// notificationRow is a limit_notification row as the sender will see it.
type notificationRow struct {
	Threshold   string `db:"threshold"`
	Percent     int    `db:"threshold_percent"`
	PeriodStart string `db:"period_start"`
	PeriodEnd   string `db:"period_end"`
	Spend       int64  `db:"spend_micros"`
	Limit       int64  `db:"limit_micros"`
	Currency    string `db:"currency"`
	Status      string `db:"status"`
}

func notifications(t *testing.T, e *env, userID int64) []notificationRow {
	t.Helper()
	var rows []notificationRow
	err := e.db.Select(&rows, "SELECT threshold, threshold_percent, period_start, period_end, spend_micros, limit_micros, currency, status "+
		"FROM limit_notification WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (e *env) user(t *testing.T, name string, limit limits.Limit, numbers ...string) limits.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), limits.NewUser{Name: name, Email: name + "@example.com",
		DepartmentID: e.sales(t), PlanID: e.tariff.RetailPlan, Limit: limit, Numbers: numbers})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// sales is the id of department Sofia/Sales, created on first use.
func (e *env) sales(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := e.db.Get(&id, "SELECT id FROM department WHERE name = 'Sales'"); err == nil {
		return id
	}
	o := org.New(e.db)
	b, err := o.CreateBranch(context.Background(), "Sofia")
	if err != nil {
		t.Fatal(err)
	}
	d, err := o.CreateDepartment(context.Background(), b.ID, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func (e *env) authorizeUser(t *testing.T, number, confID string) limits.Authorization {
	t.Helper()
	a, err := e.svc.AuthorizeUser(context.Background(), number, e.call(confID), e.tariff.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The users are on the retail plan: Europe/Sofia (UTC+2 in March), totals
// rounded half up to cents, calls to 35988… at 0.40 connect, 0.20 for the
// first minute, then 0.10/min per second.
func TestNormalUserLimitAndPeriod(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{})
		// 23:00 in Sofia on 14 March: the period that began on 15 February.
		e.clock.Set(time.Date(2025, 3, 14, 21, 0, 0, 0, time.UTC))
		ana := e.user(t, "ana", limits.Limit{Amount: 10_000_000, ResetDay: 15}, "2001", "35929001")
		if ana.Limit != (limits.Limit{Type: limits.LimitNormal, Amount: 10_000_000, WarningPercent: 80, ResetDay: 15}) ||
			len(ana.Numbers) != 2 || ana.Numbers[0] != "2001" {
			t.Fatalf("created %+v", ana)
		}

		// 10.00 buys 5702 s: 0.60 for the first minute, then 5642 s × 0.10/min
		// = 9.403333, total 10.003333 → 10.00; 5703 s would be 10.005 → 10.01.
		first := e.authorizeUser(t, "2001", "u1")
		expectCode(t, "first call", first, limits.CodeSuccess)
		if first.CreditSeconds != 5702 || first.Reserved != 10_000_000 || first.Available != 10_000_000 || first.Unlimited || first.Currency != "EUR" {
			t.Fatalf("first call %+v", first)
		}
		expectCode(t, "second call while the first holds the limit", e.authorizeUser(t, "35929001", "u2"), limits.CodeCreditLimitReached)
		unknown, err := e.svc.AuthorizeUser(ctx, "2001", limits.CallRequest{ConfID: "u9", Called: e.tariff.UnknownNumber, Direction: rating.Outgoing}, e.tariff.Snapshot)
		if err != nil {
			t.Fatal(err)
		}
		expectCode(t, "unknown destination", unknown, limits.CodeNumberBlocked)

		settled := settleUser(t, e.db, e.svc, "2001", limits.CallCharge{Reference: "cdr-u1", ConfID: "u1", Cost: 8_000_000})
		if !settled.Debited || !settled.Released || settled.Spend != 8_000_000 {
			t.Fatalf("settled %+v", settled)
		}
		// 8.00 is 80 % of 10.00: the warning, not yet the limit.
		want := []notificationRow{{Threshold: "warning", Percent: 80, PeriodStart: "2025-02-15", PeriodEnd: "2025-03-15",
			Spend: 8_000_000, Limit: 10_000_000, Currency: "EUR", Status: "pending"}}
		if got := notifications(t, e, ana.ID); len(got) != 1 || got[0] != want[0] {
			t.Fatalf("notifications %+v, want %+v", got, want)
		}
		if again := settleUser(t, e.db, e.svc, "2001", limits.CallCharge{Reference: "cdr-u1", ConfID: "u1", Cost: 8_000_000}); again.Debited || again.Spend != 8_000_000 {
			t.Fatalf("duplicate settle %+v", again)
		}

		// 2.00 left buys 902 s: 0.60 + 842 s × 0.10/min = 2.003333 → 2.00.
		second := e.authorizeUser(t, "35929001", "u2")
		expectCode(t, "second call", second, limits.CodeSuccess)
		if second.CreditSeconds != 902 || second.Reserved != 2_000_000 {
			t.Fatalf("second call %+v", second)
		}
		settleUser(t, e.db, e.svc, "35929001", limits.CallCharge{Reference: "cdr-u2", ConfID: "u2", Cost: 2_000_000})
		want = append(want, notificationRow{Threshold: "limit", Percent: 100, PeriodStart: "2025-02-15", PeriodEnd: "2025-03-15",
			Spend: 10_000_000, Limit: 10_000_000, Currency: "EUR", Status: "pending"})
		if got := notifications(t, e, ana.ID); len(got) != 2 || got[1] != want[1] {
			t.Fatalf("notifications %+v, want %+v", got, want)
		}
		expectCode(t, "limit spent", e.authorizeUser(t, "2001", "u3"), limits.CodeCreditLimitReached)
		usage, err := e.svc.UserUsage(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		sofia, _ := time.LoadLocation("Europe/Sofia")
		if usage.Spend != 10_000_000 || usage.Reserved != 0 || usage.Remaining() != 0 || usage.Currency != "EUR" ||
			!usage.Period.Start.Equal(time.Date(2025, 2, 15, 0, 0, 0, 0, sofia)) || !usage.Period.End.Equal(time.Date(2025, 3, 15, 0, 0, 0, 0, sofia)) {
			t.Fatalf("usage %+v", usage)
		}

		// The last millisecond of 14 March in Sofia is still the old period;
		// its midnight starts a new one with the whole limit.
		e.clock.Set(time.Date(2025, 3, 14, 21, 59, 59, 999_000_000, time.UTC))
		expectCode(t, "just before the reset", e.authorizeUser(t, "2001", "u4"), limits.CodeCreditLimitReached)
		e.clock.Set(time.Date(2025, 3, 14, 22, 0, 0, 0, time.UTC))
		fresh := e.authorizeUser(t, "2001", "u5")
		expectCode(t, "after the reset", fresh, limits.CodeSuccess)
		if fresh.CreditSeconds != 5702 {
			t.Fatalf("new period grants %d s, want 5702", fresh.CreditSeconds)
		}
		settleUser(t, e.db, e.svc, "2001", limits.CallCharge{Reference: "cdr-u5", ConfID: "u5", Cost: 9_000_000})
		if got := notifications(t, e, ana.ID); len(got) != 3 || got[2].PeriodStart != "2025-03-15" || got[2].PeriodEnd != "2025-04-15" || got[2].Threshold != "warning" {
			t.Fatalf("new period's notifications %+v", got)
		}

		// Blocking is a limit type.
		if err := e.svc.SetUserLimit(ctx, ana.ID, limits.Limit{Type: limits.LimitBlocked, Amount: 10_000_000, ResetDay: 15}); err != nil {
			t.Fatal(err)
		}
		expectCode(t, "blocked", e.authorizeUser(t, "2001", "u6"), limits.CodeUserDenied)
		if err := e.svc.SetUserLimit(ctx, ana.ID, limits.Limit{Amount: 20_000_000, ResetDay: 15}); err != nil {
			t.Fatal(err)
		}
		expectCode(t, "unblocked with a higher limit", e.authorizeUser(t, "2001", "u6"), limits.CodeSuccess)
	})
}

func TestOtherLimitTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{})
		boris := e.user(t, "boris", limits.Limit{Type: limits.LimitNotification, Amount: 1_000_000}, "2002")
		cveta := e.user(t, "cveta", limits.Limit{Type: limits.LimitUnrestricted, Amount: 1_000_000}, "2003")
		e.user(t, "dimo", limits.Limit{Type: limits.LimitBlocked}, "2004")

		for i, number := range []string{"2002", "2003"} {
			for call := range 2 {
				a := e.authorizeUser(t, number, "call")
				expectCode(t, number, a, limits.CodeSuccess)
				if !a.Unlimited || a.CreditSeconds != 0 || a.Reserved != 0 {
					t.Fatalf("%s: %+v, want unlimited", number, a)
				}
				// 0.90 then 0.50: past the warning (0.80) and the limit.
				cost := []rating.Money{900_000, 500_000}[call]
				settled := settleUser(t, e.db, e.svc, number, limits.CallCharge{Reference: number + string(rune('a'+call)), Cost: cost})
				if !settled.Debited || settled.Released {
					t.Fatalf("%s call %d (user %d): %+v", number, call, i, settled)
				}
			}
		}
		expectCode(t, "notification type past its limit", e.authorizeUser(t, "2002", "later"), limits.CodeSuccess)
		if got := notifications(t, e, boris.ID); len(got) != 2 || got[0].Spend != 900_000 || got[1].Spend != 1_400_000 || got[1].Threshold != "limit" {
			t.Fatalf("notification type: %+v", got)
		}
		if got := notifications(t, e, cveta.ID); len(got) != 0 {
			t.Fatalf("unrestricted type was notified: %+v", got)
		}
		expectCode(t, "blocked type", e.authorizeUser(t, "2004", "x"), limits.CodeUserDenied)
		expectCode(t, "unknown number", e.authorizeUser(t, "2999", "x"), limits.CodeInvalidAccount)
		if _, err := inTx(e.db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
			return e.svc.SettleUserTx(ctx, tx.Tx, 999_999, limits.CallCharge{Reference: "nobody", Cost: 1})
		}); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("settling an unknown user: %v", err)
		}

		if _, err := e.svc.CreateUser(ctx, limits.NewUser{Name: "eve", PlanID: e.tariff.RetailPlan, Numbers: []string{"2002"}}); !errors.Is(err, limits.ErrExists) {
			t.Fatalf("a taken number: %v", err)
		}
		for _, bad := range []limits.NewUser{
			{Name: "", PlanID: e.tariff.RetailPlan},
			{Name: "f", Email: "not an address", PlanID: e.tariff.RetailPlan},
			{Name: "g", PlanID: e.tariff.RetailPlan, Limit: limits.Limit{Type: "strict"}},
			{Name: "h", PlanID: e.tariff.RetailPlan, Limit: limits.Limit{WarningPercent: 101}},
			{Name: "i", PlanID: e.tariff.RetailPlan, Limit: limits.Limit{ResetDay: 32}},
			{Name: "j", PlanID: e.tariff.RetailPlan, Limit: limits.Limit{Amount: -1}},
		} {
			if _, err := e.svc.CreateUser(ctx, bad); err == nil {
				t.Fatalf("created invalid user %+v", bad)
			}
		}
		if err := e.svc.AddUserNumber(ctx, boris.ID, "2102"); err != nil {
			t.Fatal(err)
		}
		if u, err := e.svc.UserByNumber(ctx, "2102"); err != nil || u.ID != boris.ID || len(u.Numbers) != 2 {
			t.Fatalf("user by new number: %+v, %v", u, err)
		}
		if err := e.svc.RemoveUserNumber(ctx, "2102"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RemoveUserNumber(ctx, "2102"); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("removing twice: %v", err)
		}
		users, err := e.svc.ListUsers(ctx, limits.UserFilter{DepartmentID: e.sales(t)})
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 3 || users[0].Name != "boris" || users[2].Name != "dimo" || users[2].Numbers[0] != "2004" {
			t.Fatalf("listed %+v", users)
		}
		if none, _ := e.svc.ListUsers(ctx, limits.UserFilter{BranchID: e.sales(t) + 1000}); len(none) != 0 {
			t.Fatalf("branch filter: %+v", none)
		}
	})
}

// TestConcurrentUserLimit authorizes one normal user's calls from many
// goroutines on two servers: together they may never hold more than the
// limit, which is what FreeRADIUS's counters cannot promise.
func TestConcurrentUserLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b, limits.Options{MaxCreditTime: 10 * time.Minute})
		other := limits.New(testdb.Open(t, b), limits.Options{Now: e.clock.Now, MaxCreditTime: 10 * time.Minute})
		e.user(t, "zara", limits.Limit{Amount: 5_000_000}, "3001")
		var mu sync.Mutex
		var held rating.Money
		granted := 0
		var wg sync.WaitGroup
		for i := range 12 {
			svc := []*limits.Service{e.svc, other}[i%2]
			wg.Go(func() {
				a, err := svc.AuthorizeUser(context.Background(), "3001", e.call(string(rune('A'+i))), e.tariff.Snapshot)
				if err != nil {
					t.Error(err)
					return
				}
				if a.ReturnCode != limits.CodeSuccess && a.ReturnCode != limits.CodeCreditLimitReached {
					t.Errorf("code %d (%s)", a.ReturnCode, a.Reason)
				}
				mu.Lock()
				defer mu.Unlock()
				held += a.Reserved
				if a.ReturnCode == limits.CodeSuccess {
					granted++
				}
			})
		}
		wg.Wait()
		// 10 min cost 0.60 + 540 s × 0.10/min = 1.50: three calls hold 4.50,
		// a fourth gets what the remaining 0.50 buys (0.50 < 0.60: nothing).
		if held > 5_000_000 || granted != 3 || held != 4_500_000 {
			t.Fatalf("%d calls granted holding %s of a 5.00 limit, want 3 holding 4.50", granted, held)
		}
	})
}

// TestSettleUsersInOneBatch: a batch of users' calls — two of one user,
// one of them a repeat, one of another user, one of a user that does not
// exist — debits each call once, releases the reservation of the
// authorized call, sums the spend of the user who mails, and queues her
// warning.
func TestSettleUsersInOneBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b, limits.Options{})
		e.clock.Set(time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC))
		ana := e.user(t, "ana", limits.Limit{Type: limits.LimitNormal, Amount: 10_000_000}, "2001")
		boris := e.user(t, "boris", limits.Limit{Type: limits.LimitUnrestricted}, "2002")
		expectCode(t, "ana's call", e.authorizeUser(t, "2001", "conf-a"), limits.CodeSuccess)
		charges := []limits.UserCharge{
			{UserID: ana.ID, Charge: limits.CallCharge{Reference: "cdr-1", ConfID: "conf-a", Cost: 5_000_000}},
			{UserID: boris.ID, Charge: limits.CallCharge{Reference: "cdr-2", Cost: 1_000_000}},
			{UserID: ana.ID, Charge: limits.CallCharge{Reference: "cdr-3", Cost: 3_500_000}},
			{UserID: ana.ID, Charge: limits.CallCharge{Reference: "cdr-1", ConfID: "conf-a", Cost: 5_000_000}},
			{UserID: 999_999, Charge: limits.CallCharge{Reference: "cdr-4", Cost: 1}},
		}
		settled, err := inTx(e.db, func(ctx context.Context, tx store.Tx) ([]limits.Settled, error) {
			return e.svc.SettleUsersTx(ctx, tx, charges)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []limits.Settled{
			{Debited: true, Released: true, Spend: 8_500_000},
			{Debited: true},
			{Debited: true, Spend: 8_500_000},
			{Spend: 8_500_000},
			{UnknownOwner: true},
		}
		if !slices.Equal(settled, want) {
			t.Fatalf("settled %+v, want %+v", settled, want)
		}
		if u, _ := e.svc.UserUsage(context.Background(), ana.ID); u.Reserved != 0 || u.Spend != 8_500_000 {
			t.Errorf("ana: spend %s, reserved %s", u.Spend, u.Reserved)
		}
		if got := notifications(t, e, ana.ID); len(got) != 1 || got[0].Threshold != "warning" || got[0].Spend != 8_500_000 {
			t.Errorf("ana's notifications %+v, want the warning at 8.50", got)
		}
		if u, _ := e.svc.UserUsage(context.Background(), boris.ID); u.Spend != 1_000_000 {
			t.Errorf("boris spent %s", u.Spend)
		}
	})
}
