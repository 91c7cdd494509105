package limits_test

import (
	"context"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
)

// The fixture tariff prices calls to 35988…: connect fee 0.40, 0.20/min
// for the first minute (first increment 60 s), then 0.10/min per second.
func TestAuthorizeCreditSeconds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newEnv(t, b, limits.Options{})
		cases := []struct {
			name    string
			plan    func() int64
			balance rating.Money
			seconds int64
			cost    rating.Money
		}{
			// 1.00 − 0.40 connect − 0.20 first minute leaves 0.40, which buys
			// 240 s at 0.10/min: 60 + 240 = 300 s costing exactly 1.00; 301 s
			// would cost 1.001667.
			{"exact plan, 1.00", func() int64 { return e.tariff.ExactPlan }, 1_000_000, 300, 1_000_000},
			// 0.75 − 0.60 = 0.15 buys 90 s: 150 s for 0.75.
			{"exact plan, 0.75", func() int64 { return e.tariff.ExactPlan }, 750_000, 150, 750_000},
			// 0.60 pays the connect fee and the first increment: 60 s.
			{"exact plan, 0.60", func() int64 { return e.tariff.ExactPlan }, 600_000, 60, 600_000},
			// Rounded half up to cents, 302 s cost 1.003333 → 1.00, and 303 s
			// cost 1.005 → 1.01: the plan's rounding buys two more seconds,
			// never a cent more than the balance.
			{"retail plan, 1.00", func() int64 { return e.tariff.RetailPlan }, 1_000_000, 302, 1_000_000},
		}
		for i, c := range cases {
			number := "7000" + string(rune('0'+i))
			e.card(t, number, c.balance, func(n *limits.NewAccount) { n.PlanID = c.plan() })
			a := e.authorizeCard(t, number, e.call("conf-"+number))
			expectCode(t, c.name, a, limits.CodeSuccess)
			if a.CreditSeconds != c.seconds || a.Reserved != c.cost || a.Available != c.balance || a.Currency != "EUR" || a.Language != "en" {
				t.Errorf("%s: %d s reserving %s of %s available, want %d s reserving %s", c.name, a.CreditSeconds, a.Reserved, a.Available, c.seconds, c.cost)
			}
			account, err := e.svc.Account(context.Background(), number)
			if err != nil {
				t.Fatal(err)
			}
			if account.Reserved != c.cost || account.LiveCalls != 1 || account.Available() != c.balance-c.cost {
				t.Errorf("%s: account after authorization %+v", c.name, account)
			}
		}
	})
}

func TestAuthorizeRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{})
		e.card(t, "800", 0, nil)
		e.card(t, "801", 590_000, nil) // one second costs 0.60
		e.card(t, "802", 5_000_000, func(n *limits.NewAccount) { n.ExpiresAt = start.Add(time.Hour) })
		e.card(t, "803", 5_000_000, nil)
		if err := e.svc.SetAccountStatus(ctx, "803", limits.AccountBlocked); err != nil {
			t.Fatal(err)
		}
		e.card(t, "804", 5_000_000, nil)

		expectCode(t, "unknown account", e.authorizeCard(t, "899", e.call("c1")), limits.CodeInvalidAccount)
		expectCode(t, "zero balance", e.authorizeCard(t, "800", e.call("c2")), limits.CodeZeroBalance)
		expectCode(t, "insufficient balance", e.authorizeCard(t, "801", e.call("c3")), limits.CodeInsufficientBalance)
		expectCode(t, "blocked", e.authorizeCard(t, "803", e.call("c4")), limits.CodeUserDenied)
		expectCode(t, "not yet expired", e.authorizeCard(t, "802", e.call("c5")), limits.CodeSuccess)
		e.clock.Set(start.Add(time.Hour))
		expectCode(t, "expired", e.authorizeCard(t, "802", e.call("c6")), limits.CodeCardExpired)

		for name, called := range map[string]string{"unknown destination": e.tariff.UnknownNumber, "zone without rate": e.tariff.LandlineNumber, "not a number": "35988x"} {
			a := e.authorizeCard(t, "804", limits.CallRequest{ConfID: "c7", Called: called, Direction: rating.Outgoing})
			expectCode(t, name, a, limits.CodeNumberBlocked)
		}
		noConfID := e.authorizeCard(t, "804", limits.CallRequest{Called: e.tariff.MobileNumber, Direction: rating.Outgoing})
		expectCode(t, "no conf-id", noConfID, limits.CodeInvalidArgument)
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM credit_reservation WHERE conf_id <> 'c5'"); n != 0 {
			t.Fatalf("refused calls left %d reservations", n)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{})
		e.card(t, "900", 1_250_000, func(n *limits.NewAccount) { n.ExpiresAt = start.Add(time.Hour); n.Language = "bg" })
		e.card(t, "901", 0, nil)
		check := func(what, number, pin string, code limits.ReturnCode) limits.Authentication {
			t.Helper()
			a, err := e.svc.Authenticate(ctx, number, limits.PAP(pin))
			if err != nil {
				t.Fatal(err)
			}
			if a.ReturnCode != code {
				t.Fatalf("%s: return code %d (%q), want %d", what, a.ReturnCode, a.Reason, code)
			}
			return a
		}
		ok := check("valid", "900", "4321", limits.CodeSuccess)
		if ok.Account.Available() != 1_250_000 || ok.Account.Currency != "EUR" || ok.Account.Language != "bg" {
			t.Fatalf("authenticated %+v", ok.Account)
		}
		check("unknown account", "999", "4321", limits.CodeInvalidAccount)
		if wrong := check("wrong PIN", "900", "1234", limits.CodeInvalidPIN); wrong.Account.ID != 0 {
			t.Fatal("a wrong PIN revealed the account")
		}
		check("zero balance", "901", "4321", limits.CodeZeroBalance)

		// The one call the card may have holds its credit.
		expectCode(t, "call", e.authorizeCard(t, "900", e.call("busy")), limits.CodeSuccess)
		check("in use", "900", "4321", limits.CodeAccountInUse)

		if err := e.svc.SetAccountStatus(ctx, "900", limits.AccountBlocked); err != nil {
			t.Fatal(err)
		}
		check("blocked", "900", "4321", limits.CodeUserDenied)
		if err := e.svc.SetAccountStatus(ctx, "900", limits.AccountActive); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(start.Add(time.Hour))
		check("expired", "900", "4321", limits.CodeCardExpired)
	})
}

func TestConcurrentCallsAndReservationLifetime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{MaxCreditTime: 10 * time.Minute, ReservationSlack: 5 * time.Minute})
		e.card(t, "500", 10_000_000, func(n *limits.NewAccount) { n.MaxConcurrentCalls = 2 })
		// 600 s cost 0.60 + 540 s × 0.10/min = 1.50.
		for _, confID := range []string{"a", "b"} {
			a := e.authorizeCard(t, "500", e.call(confID))
			expectCode(t, "call "+confID, a, limits.CodeSuccess)
			if a.CreditSeconds != 600 || a.Reserved != 1_500_000 {
				t.Fatalf("call %s: %d s for %s, want 600 s for 1.50 (the cap)", confID, a.CreditSeconds, a.Reserved)
			}
		}
		expectCode(t, "third call", e.authorizeCard(t, "500", e.call("c")), limits.CodeAccountInUse)
		// The gateway asking again for call b replaces its reservation.
		expectCode(t, "call b again", e.authorizeCard(t, "500", e.call("b")), limits.CodeSuccess)
		if account, _ := e.svc.Account(ctx, "500"); account.LiveCalls != 2 || account.Reserved != 3_000_000 {
			t.Fatalf("after re-authorization: %d calls holding %s", account.LiveCalls, account.Reserved)
		}

		settled := settleCard(t, e.db, e.svc, "500", limits.CallCharge{Reference: "cdr-a", ConfID: "a", Cost: 700_000})
		if !settled.Debited || !settled.Released || settled.Balance != 9_300_000 {
			t.Fatalf("settling a: %+v", settled)
		}
		expectCode(t, "third call after a ended", e.authorizeCard(t, "500", e.call("c")), limits.CodeSuccess)

		// Reservations lapse credit time + slack after authorization: b and
		// c then hold nothing, and a sweep deletes them.
		e.clock.Advance(15*time.Minute - time.Millisecond)
		if account, _ := e.svc.Account(ctx, "500"); account.LiveCalls != 2 {
			t.Fatalf("just before expiry: %d live calls", account.LiveCalls)
		}
		e.clock.Advance(time.Millisecond)
		if account, _ := e.svc.Account(ctx, "500"); account.LiveCalls != 0 || account.Available() != 9_300_000 {
			t.Fatalf("after expiry: %+v", account)
		}
		swept, err := e.svc.SweepReservations(ctx)
		if err != nil || swept != 2 {
			t.Fatalf("swept %d, %v; want 2", swept, err)
		}
		// A Stop after its reservation lapsed is still debited.
		settled = settleCard(t, e.db, e.svc, "500", limits.CallCharge{Reference: "cdr-b", ConfID: "b", Cost: 1_500_000})
		if !settled.Debited || settled.Released || settled.Balance != 7_800_000 {
			t.Fatalf("settling b late: %+v", settled)
		}
		checkLedgers(t, e.db)
	})
}
