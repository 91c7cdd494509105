package limits_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
)

func TestAccountLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, limits.Options{})
		expires := start.Add(30 * 24 * time.Hour)
		created := e.card(t, "100200300", 5_000_000, func(n *limits.NewAccount) {
			n.ExpiresAt, n.MaxConcurrentCalls, n.Language = expires, 2, "bg"
		})
		if created.Balance != 5_000_000 || created.Currency != "EUR" || created.Status != limits.AccountActive ||
			!created.ExpiresAt.Equal(expires) || created.MaxConcurrentCalls != 2 || created.Language != "bg" || !created.CreatedAt.Equal(start) {
			t.Fatalf("created %+v", created)
		}
		checkLedgers(t, e.db)

		if _, err := e.svc.CreateAccount(ctx, limits.NewAccount{Number: "100200300", PIN: "1111", PlanID: e.tariff.ExactPlan}); !errors.Is(err, limits.ErrExists) {
			t.Fatalf("duplicate number: %v, want ErrExists", err)
		}
		if _, err := e.svc.CreateAccount(ctx, limits.NewAccount{Number: "555", PIN: "1111", PlanID: e.tariff.ExactPlan, Currency: "USD"}); err == nil {
			t.Fatal("a USD card on a EUR plan was created")
		}
		for _, bad := range []limits.NewAccount{
			{Number: "12a", PIN: "1111", PlanID: e.tariff.ExactPlan},
			{Number: "556", PIN: "123", PlanID: e.tariff.ExactPlan},
			{Number: "557", PIN: "1111", PlanID: 9999},
		} {
			if _, err := e.svc.CreateAccount(ctx, bad); err == nil {
				t.Fatalf("created invalid account %+v", bad)
			}
		}

		// A top-up with a payment reference counts once.
		topUp := limits.Posting{Kind: limits.KindTopUp, Amount: 2_500_000, Reason: "cash", Reference: "receipt-17"}
		for i, wantApplied := range []bool{true, false} {
			posted, err := e.svc.Post(ctx, "100200300", topUp)
			if err != nil {
				t.Fatal(err)
			}
			if posted.Applied != wantApplied || posted.Balance != 7_500_000 {
				t.Fatalf("top-up %d: %+v, want applied %v, balance 7.50", i, posted, wantApplied)
			}
			checkLedgers(t, e.db)
		}
		if _, err := e.svc.Post(ctx, "100200300", limits.Posting{Kind: limits.KindRefund, Amount: 500_000, Reason: "dropped call"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Post(ctx, "100200300", limits.Posting{Kind: limits.KindAdjustment, Amount: -3_000_000, Reason: "chargeback"}); err != nil {
			t.Fatal(err)
		}
		checkLedgers(t, e.db)
		// 7.50 + 0.50 - 3.00 = 5.00: more cannot be taken away.
		_, err := e.svc.Post(ctx, "100200300", limits.Posting{Kind: limits.KindAdjustment, Amount: -5_000_001, Reason: "too much"})
		if !errors.Is(err, limits.ErrInsufficientCredit) {
			t.Fatalf("over-debit: %v, want ErrInsufficientCredit", err)
		}
		for _, bad := range []limits.Posting{
			{Kind: limits.KindTopUp, Amount: -1},
			{Kind: limits.KindAdjustment, Amount: 100},
			{Kind: limits.KindCallDebit, Amount: -100, Reference: "x"},
		} {
			if _, err := e.svc.Post(ctx, "100200300", bad); err == nil {
				t.Fatalf("posted invalid %+v", bad)
			}
		}
		if _, err := e.svc.Post(ctx, "999", topUp); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("post to unknown card: %v", err)
		}

		entries, err := e.svc.AccountLedger(ctx, "100200300", 0)
		if err != nil {
			t.Fatal(err)
		}
		wantKinds := []limits.EntryKind{limits.KindAdjustment, limits.KindRefund, limits.KindTopUp, limits.KindTopUp}
		wantAmounts := []rating.Money{-3_000_000, 500_000, 2_500_000, 5_000_000}
		if len(entries) != len(wantKinds) {
			t.Fatalf("ledger has %d entries, want %d: %+v", len(entries), len(wantKinds), entries)
		}
		for i, entry := range entries {
			if entry.Kind != wantKinds[i] || entry.Amount != wantAmounts[i] || !entry.CreatedAt.Equal(start) {
				t.Errorf("entry %d: %+v, want %s %s", i, entry, wantKinds[i], wantAmounts[i])
			}
		}
		if entries[2].Reference != "receipt-17" || entries[3].Reason != "initial balance" {
			t.Errorf("references/reasons: %+v", entries)
		}

		if err := e.svc.SetAccountStatus(ctx, "100200300", limits.AccountBlocked); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetAccountStatus(ctx, "100200300", limits.AccountBlocked); err != nil {
			t.Fatalf("blocking twice: %v", err)
		}
		if err := e.svc.SetAccountStatus(ctx, "999", limits.AccountBlocked); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("blocking unknown card: %v", err)
		}
		e.card(t, "100200301", 0, nil)
		blocked, err := e.svc.ListAccounts(ctx, limits.AccountFilter{Status: limits.AccountBlocked})
		if err != nil {
			t.Fatal(err)
		}
		all, err := e.svc.ListAccounts(ctx, limits.AccountFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(blocked) != 1 || blocked[0].Number != "100200300" || blocked[0].Balance != 5_000_000 ||
			len(all) != 2 || all[1].Number != "100200301" {
			t.Fatalf("blocked %+v, all %+v", blocked, all)
		}
	})
}
