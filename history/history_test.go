package history_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/rating"
)

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Every change of a user — from creation through a limit change, a new
// number, deletion, restore and revert — is one version, by its actor, and
// revert and restore bring back exactly the snapshot they name.
func TestUserVersionsRevertAndRestore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		testdb.DemoTariff(t, db, "..")
		ctx := history.WithActor(context.Background(), history.Actor{Name: "web:alice", Reason: "new starter"})
		o := org.New(db)
		branch := must[org.Branch](t)(o.CreateBranch(ctx, "Sofia"))
		dept := must[org.Department](t)(o.CreateDepartment(ctx, branch.ID, "Sales"))
		svc := limits.New(db, limits.Options{})
		plan := must[int64](t)(db.PlanID(ctx, "retail"))
		u := must[limits.User](t)(svc.CreateUser(ctx, limits.NewUser{Name: "Мария", DepartmentID: dept.ID, PlanID: plan,
			Limit: limits.Limit{Amount: 50 * rating.MicrosPerUnit}, Numbers: []string{"2001"}}))
		ctx = history.WithActor(context.Background(), history.Actor{Name: "cli:root"})
		if err := svc.SetUserLimit(ctx, u.ID, limits.Limit{Amount: 80 * rating.MicrosPerUnit}); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddUserNumber(ctx, u.ID, "2002"); err != nil {
			t.Fatal(err)
		}
		versions := must[[]history.Version](t)(history.Versions(ctx, db, "user", history.ID(u.ID)))
		if len(versions) != 3 || versions[0].Actor != "web:alice" || versions[0].Reason != "new starter" || versions[2].Actor != "cli:root" {
			t.Fatalf("versions %+v", versions)
		}
		diff := history.Diff(versions[0].Snapshot, versions[1].Snapshot)
		if len(diff) != 1 || diff[0] != (history.FieldChange{Field: "limit_micros", Old: "50000000", New: "80000000"}) {
			t.Fatalf("diff v1→v2 %+v", diff)
		}
		if diff := history.Diff(versions[1].Snapshot, versions[2].Snapshot); len(diff) != 1 || diff[0].New != "2001, 2002" {
			t.Fatalf("diff v2→v3 %+v", diff)
		}

		if err := history.Revert(ctx, db.DB, "user", history.ID(u.ID), 1); err != nil {
			t.Fatal(err)
		}
		got := must[limits.User](t)(svc.User(ctx, u.ID))
		if got.Limit.Amount != 50*rating.MicrosPerUnit || !slices.Equal(got.Numbers, []string{"2001"}) || got.Name != "Мария" {
			t.Fatalf("after revert to v1: %+v", got)
		}

		if err := svc.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.User(ctx, u.ID); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("deleted user: %v", err)
		}
		if _, err := svc.UserByNumber(ctx, "2001"); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("a deleted user's number still identifies it: %v", err)
		}
		if err := history.Revert(ctx, db.DB, "user", history.ID(u.ID), 2); !errors.Is(err, history.ErrState) {
			t.Fatalf("revert of a deleted user: %v", err)
		}
		// The number goes to someone else: the restore is refused and changes nothing.
		other := must[limits.User](t)(svc.CreateUser(ctx, limits.NewUser{Name: "Ivan", PlanID: plan, Numbers: []string{"2001"}}))
		if err := history.Restore(ctx, db.DB, "user", history.ID(u.ID)); !errors.Is(err, history.ErrConflict) {
			t.Fatalf("restore with a reused number: %v", err)
		}
		if _, err := svc.User(ctx, u.ID); !errors.Is(err, limits.ErrNotFound) {
			t.Fatalf("a refused restore brought the user back: %v", err)
		}
		if err := svc.RemoveUserNumber(ctx, "2001"); err != nil {
			t.Fatal(err)
		}
		before := must[int64](t)(db.TariffVersion(ctx))
		if err := history.Restore(ctx, db.DB, "user", history.ID(u.ID)); err != nil {
			t.Fatal(err)
		}
		if after := must[int64](t)(db.TariffVersion(ctx)); after <= before {
			t.Fatalf("tariff_version %d after a restore, %d before: servers would not learn the numbers", after, before)
		}
		got = must[limits.User](t)(svc.User(ctx, u.ID))
		if !slices.Equal(got.Numbers, []string{"2001"}) || got.DepartmentID != dept.ID {
			t.Fatalf("restored %+v", got)
		}
		if err := history.Restore(ctx, db.DB, "user", history.ID(u.ID)); !errors.Is(err, history.ErrState) {
			t.Fatalf("restore of a live user: %v", err)
		}
		last := must[[]history.Version](t)(history.Versions(ctx, db, "user", history.ID(u.ID)))
		if n := len(last); n != 6 || last[3].Operation != history.Update || last[4].Operation != history.Delete || last[5].Operation != history.Create {
			t.Fatalf("versions after revert, delete, restore: %+v", last)
		}
		if len(must[[]history.Version](t)(history.Versions(ctx, db, "user", history.ID(other.ID)))) != 2 {
			t.Fatal("Ivan's number removal is not a version of Ivan")
		}
		var audited int
		if err := db.GetContext(ctx, &audited, "SELECT COUNT(*) FROM audit_log WHERE action = 'change'"); err != nil {
			t.Fatal(err)
		}
		var versionsTotal int
		if err := db.GetContext(ctx, &versionsTotal, "SELECT COUNT(*) FROM entity_version"); err != nil || audited != versionsTotal {
			t.Fatalf("audit log has %d changes, history %d versions (%v)", audited, versionsTotal, err)
		}
	})
}

// A branch deleted is restored with its id; a tariff reverted is the
// earlier tariff again and moves tariff_version so servers reload; a card's
// balance, which the ledger keeps, is not reverted.
func TestBranchTariffAndCard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		testdb.DemoTariff(t, db, "..")
		ctx := history.WithActor(context.Background(), history.Actor{Name: "cli:root"})
		o := org.New(db)
		branch := must[org.Branch](t)(o.CreateBranch(ctx, "Plovdiv"))
		if err := o.DeleteBranch(ctx, branch.ID); err != nil {
			t.Fatal(err)
		}
		if err := history.Restore(ctx, db.DB, "branch", history.ID(branch.ID)); err != nil {
			t.Fatal(err)
		}
		if got := must[org.Branch](t)(o.FindBranch(ctx, "Plovdiv")); got.ID != branch.ID {
			t.Fatalf("restored branch %+v", got)
		}

		before := must[rating.TariffData](t)(db.LoadTariffs(ctx))
		changed := before
		changed.Rates = slices.Clone(before.Rates)
		changed.Rates[0].ConnectFee += rating.MicrosPerUnit
		if err := db.ImportTariffs(ctx, changed); err != nil {
			t.Fatal(err)
		}
		v1 := must[int64](t)(db.TariffVersion(ctx))
		if err := history.Revert(ctx, db.DB, "tariff", "", 1); err != nil {
			t.Fatal(err)
		}
		after := must[rating.TariffData](t)(db.LoadTariffs(ctx))
		if after.Rates[0].ConnectFee != before.Rates[0].ConnectFee || len(after.Rates) != len(before.Rates) || len(after.Prefixes) != len(before.Prefixes) {
			t.Fatalf("reverted connect fee %v, want %v", after.Rates[0].ConnectFee, before.Rates[0].ConnectFee)
		}
		if _, err := rating.Build(after); err != nil {
			t.Fatalf("reverted tariff does not build: %v", err)
		}
		if v2 := must[int64](t)(db.TariffVersion(ctx)); v2 <= v1 {
			t.Fatalf("tariff_version %d after revert, %d before", v2, v1)
		}

		svc := limits.New(db, limits.Options{})
		plan := must[int64](t)(db.PlanID(ctx, "retail"))
		card := must[limits.Account](t)(svc.CreateAccount(ctx, limits.NewAccount{Number: "5550001", PIN: "4321", PlanID: plan, InitialBalance: 10 * rating.MicrosPerUnit}))
		if err := svc.SetAccountStatus(ctx, card.Number, limits.AccountBlocked); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Post(ctx, card.Number, limits.Posting{Kind: limits.KindTopUp, Amount: 5 * rating.MicrosPerUnit}); err != nil {
			t.Fatal(err)
		}
		if err := history.Revert(ctx, db.DB, "card", history.ID(card.ID), 1); err != nil {
			t.Fatal(err)
		}
		got := must[limits.Account](t)(svc.Account(ctx, card.Number))
		if got.Status != limits.AccountActive || got.Balance != 15*rating.MicrosPerUnit {
			t.Fatalf("card after revert: status %s balance %s, want active with the ledger's 15", got.Status, got.Balance)
		}
		if _, err := svc.Authenticate(ctx, card.Number, limits.PAP("4321")); err != nil {
			t.Fatalf("the PIN did not survive the revert: %v", err)
		}
	})
}
