package main

import (
	"context"
	"testing"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
)

// TestRerateMovesTheMoney: Stops of a prepaid card and of an enterprise
// user are rated and charged through radiusd; the user's number then goes
// to another user; a re-rate up and then down corrects the CDRs and the
// money with them. After each re-rate: the card's balance equals its
// ledger's sum equals its top-up less its CDRs' costs, the user's spend is
// her CDRs' costs, the calls stay hers, the other user pays nothing, and a
// second run writes nothing. The re-rate that takes her past 80 % queues
// the warning e-mail.
func TestRerateMovesTheMoney(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		ctx := context.Background()
		plan, svc := h.cardsTariff()
		card, err := svc.CreateAccount(ctx, limits.NewAccount{Number: "5550001", PIN: "4321", PlanID: plan, InitialBalance: 10_000_000})
		if err != nil {
			t.Fatal(err)
		}
		ann, err := svc.CreateUser(ctx, limits.NewUser{Name: "Ann", Email: "ann@example.com", PlanID: plan, Numbers: []string{"1110002"},
			Limit: limits.Limit{Type: limits.LimitNotification, Amount: 2_000_000, WarningPercent: 80}})
		if err != nil {
			t.Fatal(err)
		}
		bob, err := svc.CreateUser(ctx, limits.NewUser{Name: "Bob", PlanID: plan, Limit: limits.Limit{Type: limits.LimitUnrestricted}})
		if err != nil {
			t.Fatal(err)
		}
		h.publishTables()

		// 120 s at 0.40 connect, 0.20 the first minute, 0.10/min after: 0.70.
		stop := func(session, userName, calling string) []byte {
			return telephonyStop(t, session, "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", 120, func(p *radius.Packet) {
				p.Set(1, radius.Attribute(userName))
				p.Set(31, radius.Attribute(calling))
			})
		}
		for _, s := range []string{"C1", "C2", "C3"} {
			mustAck(t, h, stop(s, "5550001", "1110009"))
		}
		for _, s := range []string{"U1", "U2"} {
			mustAck(t, h, stop(s, "1110002", "1110002"))
		}
		if err := svc.RemoveUserNumber(ctx, "1110002"); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddUserNumber(ctx, bob.ID, "1110002"); err != nil {
			t.Fatal(err)
		}

		check := func(when string, each rating.Money) {
			t.Helper()
			var balance, ledger, cardCDRs, annCDRs, bobCDRs int64
			for _, q := range []struct {
				dest  *int64
				query string
				arg   int64
			}{
				{&balance, "SELECT balance_micros FROM prepaid_account WHERE id = ?", card.ID},
				{&ledger, "SELECT SUM(amount_micros) FROM ledger_entry WHERE account_id = ?", card.ID},
				{&cardCDRs, "SELECT COALESCE(SUM(cost_micros), 0) FROM cdr WHERE account_id = ?", card.ID},
				{&annCDRs, "SELECT COALESCE(SUM(cost_micros), 0) FROM cdr WHERE user_id = ?", ann.ID},
				{&bobCDRs, "SELECT COUNT(*) FROM cdr WHERE user_id = ?", bob.ID},
			} {
				if err := h.db.GetContext(ctx, q.dest, q.query, q.arg); err != nil {
					t.Fatal(err)
				}
			}
			if cardCDRs != int64(3*each) || balance != ledger || balance != 10_000_000-cardCDRs {
				t.Errorf("%s: card balance %d, ledger %d, its CDRs %d; want CDRs %d, balance = ledger = 10.00 - CDRs", when, balance, ledger, cardCDRs, 3*each)
			}
			annUsage, err := svc.UserUsage(ctx, ann.ID)
			if err != nil {
				t.Fatal(err)
			}
			bobUsage, err := svc.UserUsage(ctx, bob.ID)
			if err != nil {
				t.Fatal(err)
			}
			if annCDRs != int64(2*each) || int64(annUsage.Spend) != annCDRs || bobCDRs != 0 || bobUsage.Spend != 0 {
				t.Errorf("%s: Ann's CDRs cost %d, her spend %s; Bob has %d CDRs, spend %s; want Ann's %d", when, annCDRs, annUsage.Spend, bobCDRs, bobUsage.Spend, 2*each)
			}
		}
		check("as stored", 700_000)

		from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		rerate := func(connectFee rating.Money) billing.RerateSummary {
			t.Helper()
			tariff := flatTariff()
			tariff.Rates[0].ConnectFee = connectFee
			if err := h.db.ImportTariffs(ctx, tariff); err != nil {
				t.Fatal(err)
			}
			tables, err := billing.Load(ctx, h.db)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := billing.Rerate(ctx, h.db, svc, tables, from, to, nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			return sum
		}
		entries := func() int { return h.count("SELECT COUNT(*) FROM ledger_entry WHERE kind = 'rerate'") }

		up := rerate(600_000) // 0.90 a call
		check("after a re-rate up", 900_000)
		want := []limits.Correction{
			{AccountID: card.ID, Currency: "EUR", Charged: 2_100_000, Cost: 2_700_000, Adjusted: 600_000, Entries: 3},
			{UserID: ann.ID, Currency: "EUR", Charged: 1_400_000, Cost: 1_800_000, Adjusted: 400_000, Entries: 2},
		}
		if len(up.Owners) != 2 || up.Owners[0] != want[0] || up.Owners[1] != want[1] {
			t.Errorf("re-rate up, per owner %+v, want %+v", up.Owners, want)
		}
		if n := h.count("SELECT COUNT(*) FROM limit_notification WHERE user_id = ? AND threshold = 'warning'", ann.ID); n != 1 {
			t.Errorf("Ann at 90 %% after the re-rate: %d warnings queued, want 1", n)
		}
		if again := rerate(600_000); entries() != 5 || again.Owners[0].Adjusted != 0 || again.Owners[1].Adjusted != 0 {
			t.Errorf("a second re-rate with the same tariff: %d rerate entries (want 5), owners %+v", entries(), again.Owners)
		}
		check("after the same re-rate again", 900_000)

		down := rerate(200_000) // 0.50 a call
		check("after a re-rate down", 500_000)
		if down.Owners[0].Adjusted != -1_200_000 || down.Owners[1].Adjusted != -800_000 || entries() != 10 {
			t.Errorf("re-rate down: per owner %+v, %d rerate entries", down.Owners, entries())
		}
	})
}
