package limits_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

func TestSettleCard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{})
		e.card(t, "600", 1_000_000, nil)
		e.card(t, "601", 1_000_000, nil)
		expectCode(t, "call", e.authorizeCard(t, "600", e.call("conf-1")), limits.CodeSuccess)

		// A 125 s call: 0.40 + 0.20 + 65 s × 0.10/min = 0.708333.
		charge := e.tariff.Snapshot.Rate(rating.Call{PlanID: e.tariff.ExactPlan, Called: e.tariff.MobileNumber,
			ConnectTime: start, DurationSeconds: 125, Direction: rating.Outgoing})
		if charge.Cost != 708_333 {
			t.Fatalf("the fixture rates 125 s at %s, want 0.708333", charge.Cost)
		}
		stop := limits.CallCharge{Reference: "dedup-1", ConfID: "conf-1", Cost: charge.Cost, Reason: "call to 359888123456, 125 s"}

		// Rolled back with the caller's transaction: nothing happened.
		_, err := inTx(e.db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
			if _, err := e.svc.SettleCardTx(ctx, tx, "600", stop); err != nil {
				return limits.Settled{}, err
			}
			return limits.Settled{}, errors.New("the CDR insert failed")
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		if account, _ := e.svc.Account(ctx, "600"); account.Balance != 1_000_000 || account.LiveCalls != 1 {
			t.Fatalf("after rollback: %+v", account)
		}

		settled := settleCard(t, e.db, e.svc, "600", stop)
		if !settled.Debited || !settled.Released || settled.Balance != 291_667 {
			t.Fatalf("settled %+v, want debited, released, balance 0.291667", settled)
		}
		checkLedgers(t, e.db)
		// The same Stop again (gateway retry, second server): nothing more.
		again := settleCard(t, e.db, e.svc, "600", stop)
		if again.Debited || again.Released || again.Balance != 291_667 {
			t.Fatalf("duplicate settle %+v", again)
		}
		checkLedgers(t, e.db)
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'call_debit'"); n != 1 {
			t.Fatalf("%d call debits, want 1", n)
		}
		entries, err := e.svc.AccountLedger(ctx, "600", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Amount != -708_333 || entries[0].Reference != "dedup-1" || entries[0].Reason != stop.Reason {
			t.Fatalf("latest entry %+v", entries)
		}

		// One reference cannot debit two cards.
		_, err = inTx(e.db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
			return e.svc.SettleCardTx(ctx, tx, "601", stop)
		})
		if !errors.Is(err, limits.ErrReferenceReused) {
			t.Fatalf("settling another card with a used reference: %v", err)
		}

		// An unknown card leaves the caller's transaction usable: the next
		// settle in it commits.
		settled, err = inTx(e.db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
			if _, err := e.svc.SettleCardTx(ctx, tx, "699", limits.CallCharge{Reference: "dedup-2", Cost: 1}); !errors.Is(err, limits.ErrNotFound) {
				return limits.Settled{}, err
			}
			return e.svc.SettleCardTx(ctx, tx, "601", limits.CallCharge{Reference: "dedup-3", Cost: 100_000})
		})
		if err != nil || !settled.Debited || settled.Released || settled.Balance != 900_000 {
			t.Fatalf("settle after ErrNotFound: %+v, %v", settled, err)
		}
		checkLedgers(t, e.db)

		for _, bad := range []limits.CallCharge{{Cost: 1}, {Reference: "r", Cost: -1}} {
			if _, err := inTx(e.db, func(ctx context.Context, tx store.Tx) (limits.Settled, error) {
				return e.svc.SettleCardTx(ctx, tx, "601", bad)
			}); err == nil {
				t.Fatalf("settled invalid %+v", bad)
			}
		}
	})
}

// TestSettleCardsInOneBatch settles many Stops at once, as the CDR writer
// does with its batch: each card is debited the sum of its calls, a Stop
// repeated in the batch or settled before debits once, every call's
// reservation is released, and an unknown card is skipped without
// failing the others.
func TestSettleCardsInOneBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{MaxCreditTime: 5 * time.Minute}) // 1.40 a call
		for _, number := range []string{"610", "611"} {
			e.card(t, number, 5_000_000, func(n *limits.NewAccount) { n.MaxConcurrentCalls = 5 })
		}
		for _, conf := range []string{"a", "b", "c"} {
			expectCode(t, "call "+conf, e.authorizeCard(t, "610", e.call(conf)), limits.CodeSuccess)
		}
		expectCode(t, "call d", e.authorizeCard(t, "611", e.call("d")), limits.CodeSuccess)
		settleCard(t, e.db, e.svc, "611", limits.CallCharge{Reference: "stop-before", Cost: 50_000})

		charge := func(number, reference, conf string, cost rating.Money) limits.CardCharge {
			return limits.CardCharge{Number: number, Charge: limits.CallCharge{Reference: reference, ConfID: conf, Cost: cost}}
		}
		batch := []limits.CardCharge{
			charge("611", "stop-d", "d", 300_000),
			charge("610", "stop-a", "a", 100_000),
			charge("699", "stop-x", "x", 1), // no such card
			charge("610", "stop-b", "b", 200_000),
			charge("610", "stop-a", "a", 100_000),    // repeated in the batch
			charge("611", "stop-before", "", 50_000), // settled before
			charge("610", "stop-c", "c", 0),          // unanswered
		}
		settled, err := inTx(e.db, func(ctx context.Context, tx store.Tx) ([]limits.Settled, error) {
			return e.svc.SettleCardsTx(ctx, tx, batch)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []limits.Settled{
			{Debited: true, Released: true, Balance: 4_650_000},
			{Debited: true, Released: true, Balance: 4_900_000},
			{UnknownOwner: true},
			{Debited: true, Released: true, Balance: 4_700_000},
			{Balance: 4_700_000},
			{Balance: 4_650_000},
			{Debited: true, Released: true, Balance: 4_700_000},
		}
		for i := range want {
			if settled[i] != want[i] {
				t.Errorf("charge %d (%s): settled %+v, want %+v", i, batch[i].Charge.Reference, settled[i], want[i])
			}
		}
		for number, balance := range map[string]rating.Money{"610": 4_700_000, "611": 4_650_000} {
			account, err := e.svc.Account(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			if account.Balance != balance || account.LiveCalls != 0 || account.Reserved != 0 {
				t.Errorf("card %s: balance %s, %d calls holding %s; want %s and nothing held", number, account.Balance, account.LiveCalls, account.Reserved, balance)
			}
		}
		if n := countRows(t, e.db, "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'call_debit'"); n != 5 {
			t.Errorf("%d call debits, want 5", n)
		}
		checkLedgers(t, e.db)
	})
}
