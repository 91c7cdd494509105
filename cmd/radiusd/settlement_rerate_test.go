package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/settlement"
)

// TestRerateAfterSettlement: a re-rate reprices a leg's clearinghouse
// charges — in place while no closed statement settled them, as an
// adjustment for the next period once one did, leaving the closed
// statement as it was — and a rate type's statement lines are rounded to
// the decimals declared for it.
func TestRerateAfterSettlement(t *testing.T) {
	radclient := lookRadclient(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		c := newClearinghouse(t, b)
		const conf = "11111111 22222222 33333333 44444444"
		for _, stop := range []string{partnerStop("A-1", "10.1.0.1", "answer", conf, 120, ""), partnerStop("X-1", "10.2.0.1", "originate", conf, 120, "")} {
			if r := radclientSend(t, radclient, c.acct, "acct", stop); r.code != "Accounting-Response" {
				t.Fatalf("stop: %+v", r)
			}
		}
		// Our own retail customer's call out of our own gateway to a
		// Bulgarian mobile: it costs our egress rates and earns our base
		// rates — with A's incoming and X's outgoing, all four rate types.
		own := strings.Replace(strings.Replace(partnerStop("U-1", "10.0.0.1", "originate", "aaaaaaaa 22222222 33333333 44444444", 120, ""),
			`"525512345678"`, `"359888123456"`, 1), `"5215550100"`, `"35929001234"`, 1)
		if r := radclientSend(t, radclient, c.acct, "acct", own); r.code != "Accounting-Response" {
			t.Fatalf("own customer's stop: %+v", r)
		}
		var charges []string
		if err := c.db.Select(&charges, "SELECT "+concatCharge(b.Driver)+" FROM leg_charge ORDER BY partner_id, rate_type"); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("[%[1]d base 500000 %[1]d egress 80000 %[2]d incoming 120000 %[3]d outgoing 80000]", c.us.ID, c.a.ID, c.x.ID); fmt.Sprint(charges) != want {
			t.Fatalf("charges %v, want %s", charges, want)
		}

		// MemberA's statement lines in tenths of a euro.
		plan, err := c.db.PlanID(ctx, "member-a-incoming")
		if err != nil {
			t.Fatal(err)
		}
		tenths := 1
		if err := c.svc.SetRate(ctx, c.a.ID, partner.Incoming, plan, &tenths); err != nil {
			t.Fatal(err)
		}
		carrierX := func(factor string) {
			t.Helper()
			if _, err := c.db.Exec("UPDATE rate_tier SET price_per_minute_micros = price_per_minute_micros " + factor +
				" WHERE rate_id IN (SELECT r.id FROM rate r JOIN tariff_plan p ON p.id = r.plan_id WHERE p.name = 'carrier-x-outgoing')"); err != nil {
				t.Fatal(err)
			}
		}
		rerate := func() {
			t.Helper()
			tables, err := billing.Load(ctx, c.db)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := billing.Rerate(ctx, c.db, limits.New(c.db, limits.Options{}), tables, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), nil, 10); err != nil {
				t.Fatal(err)
			}
		}
		xCharge := func() int64 {
			t.Helper()
			return int64(c.count("SELECT amount_micros FROM leg_charge WHERE partner_id = ?", c.x.ID))
		}
		adjustments := func(open bool) int {
			t.Helper()
			cond := "statement_id IS NOT NULL"
			if open {
				cond = "statement_id IS NULL"
			}
			return c.count("SELECT COUNT(*) FROM leg_charge_adjustment WHERE " + cond)
		}

		// Not settled yet: X's new price replaces the old one.
		carrierX("* 2")
		rerate()
		if got := xCharge(); got != 160_000 || adjustments(true) != 0 {
			t.Fatalf("X's charge after the re-rate: %d, %d adjustments; want 160000 in place", got, adjustments(true))
		}
		settle := settlement.New(c.db)
		november := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		statements, err := settle.Run(ctx, november, 0)
		if err != nil {
			t.Fatal(err)
		}
		// A's 0.12 is a line of 0.1 in tenths.
		if len(statements) != 2 || statements[0].Partner != "MemberA" || statements[0].Receivable != 100_000 || statements[0].Lines[0].Amount != 100_000 ||
			statements[1].Partner != "CarrierX" || statements[1].Payable != 160_000 {
			t.Fatalf("November's statements: %+v", statements)
		}
		for _, st := range statements {
			if _, err := settle.Close(ctx, st.ID); err != nil {
				t.Fatal(err)
			}
		}

		// Settled: the charge stays, the difference waits for December.
		carrierX("/ 2")
		rerate()
		if got := xCharge(); got != 160_000 || adjustments(true) != 1 {
			t.Fatalf("X's settled charge after the re-rate: %d, %d open adjustments; want 160000 and 1", got, adjustments(true))
		}
		for _, st := range statements {
			if err := settle.Verify(ctx, st.ID); err != nil {
				t.Errorf("November's closed statement after the re-rate: %v", err)
			}
		}
		again, err := settle.Run(ctx, november, 0)
		if err != nil || len(again) != 0 {
			t.Fatalf("running closed November again: %+v, %v", again, err)
		}
		december, err := settle.Run(ctx, november.AddDate(0, 1, 0), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(december) != 1 || december[0].Partner != "CarrierX" || december[0].Payable != -80_000 || december[0].Direction() != "CarrierX pays us" ||
			len(december[0].Lines) != 1 || december[0].Lines[0].Kind != settlement.Adjustment || december[0].Lines[0].Calls != 0 ||
			december[0].Lines[0].RefersTo == "" {
			t.Fatalf("December: %+v", december)
		}
		if _, err := settle.Close(ctx, december[0].ID); err != nil {
			t.Fatal(err)
		}
		// At the same prices again, nothing more is owed either way.
		rerate()
		if adjustments(true) != 0 || adjustments(false) != 1 {
			t.Fatalf("after re-rating again: %d open, %d settled adjustments; want 0 and 1", adjustments(true), adjustments(false))
		}
		if january, err := settle.Run(ctx, november.AddDate(0, 2, 0), 0); err != nil || len(january) != 0 {
			t.Fatalf("January: %+v, %v", january, err)
		}
	})
}

// concatCharge is the SQL of a leg_charge row as "partner rate_type amount".
func concatCharge(driver string) string {
	if driver == "mysql" {
		return "CONCAT(partner_id, ' ', rate_type, ' ', amount_micros)"
	}
	return "partner_id || ' ' || rate_type || ' ' || amount_micros"
}
