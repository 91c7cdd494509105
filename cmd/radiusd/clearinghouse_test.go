package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/history"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/partner"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/settlement"
)

// clearinghouse is the README walkthrough's: our own network, member A
// (originating, gateway 10.1.0.1), member B (10.4.0.1), carrier X
// (terminating, 10.2.0.1) and carrier Y (known by its trunk group, routed
// to 10.3.0.1), with the demo clearinghouse tariff.
type clearinghouse struct {
	*harness
	svc            *partner.Service
	us, a, b, x, y partner.Partner
}

func newClearinghouse(t *testing.T, b testdb.Backend) *clearinghouse {
	t.Helper()
	h := startServer(t, b)
	testdb.Tariff(t, h.db, "../../scripts/demo/clearinghouse")
	ctx := history.WithActor(context.Background(), history.Actor{Name: "test"})
	c := &clearinghouse{harness: h, svc: partner.New(h.db)}
	create := func(name string, role partner.Role, own bool, kind partner.GatewayKind, match, address string, rates map[partner.RateType]string) partner.Partner {
		t.Helper()
		p, err := c.svc.Create(ctx, partner.NewPartner{Name: name, Currency: "EUR", Role: role, Own: own})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.svc.AddGateway(ctx, p.ID, kind, match, address); err != nil {
			t.Fatal(err)
		}
		for rt, plan := range rates {
			id, err := h.db.PlanID(ctx, plan)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.svc.SetRate(ctx, p.ID, rt, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	c.us = create("Us", partner.Both, true, partner.ByNAS, "10.0.0.1", "", map[partner.RateType]string{partner.Base: "own-base", partner.Egress: "own-egress"})
	c.a = create("MemberA", partner.Originating, false, partner.ByNAS, "10.1.0.1", "", map[partner.RateType]string{partner.Incoming: "member-a-incoming"})
	c.b = create("MemberB", partner.Originating, false, partner.ByNAS, "10.4.0.1", "", map[partner.RateType]string{partner.Incoming: "member-b-incoming"})
	c.x = create("CarrierX", partner.Terminating, false, partner.ByNAS, "10.2.0.1", "", map[partner.RateType]string{partner.Outgoing: "carrier-x-outgoing"})
	c.y = create("CarrierY", partner.Terminating, false, partner.ByAVPair, "trunk-group=carrier-y", "10.3.0.1", map[partner.RateType]string{partner.Outgoing: "carrier-y-outgoing"})
	h.publishTables()
	return c
}

// radclientReply is a reply's code and attributes as radclient prints them;
// Cisco-AVPairs by their name.
type radclientReply struct {
	code  string
	attrs map[string]string
}

func radclientSend(t *testing.T, radclient, addr, kind, request string) radclientReply {
	t.Helper()
	cmd := exec.Command(radclient, "-x", "-r", "1", "-t", "3", addr, kind, secret)
	cmd.Stdin = strings.NewReader(request)
	out, _ := cmd.CombinedOutput() // radclient exits 1 on Access-Reject
	reply := radclientReply{attrs: map[string]string{}}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "Received Access-") || strings.HasPrefix(line, "Received Accounting-") {
			reply.code = strings.Fields(line)[1]
		}
		if name, value, ok := strings.Cut(line, " = "); ok {
			value = strings.Trim(value, `"`)
			if name == "Cisco-AVPair" {
				name, value, _ = strings.Cut(value, "=")
			} else {
				value = strings.TrimPrefix(value, name+"=")
			}
			reply.attrs[name] = value
		}
	}
	if reply.code == "" {
		t.Fatalf("radclient got no reply:\n%s", out)
	}
	return reply
}

// partnerStop is a Telephony leg's Stop from the gateway at nas.
func partnerStop(session, nas, origin, conf string, seconds int, extra string) string {
	return fmt.Sprintf(`Acct-Status-Type = Stop
Acct-Session-Id = "%s"
NAS-IP-Address = %s
Calling-Station-Id = "5215550100"
Called-Station-Id = "525512345678"
Acct-Session-Time = %d
h323-conf-id = "h323-conf-id=%s"
h323-call-origin = "h323-call-origin=%s"
h323-call-type = "h323-call-type=Telephony"
h323-setup-time = "h323-setup-time=09:59:55.000 UTC Fri Nov 20 2026"
h323-connect-time = "h323-connect-time=10:00:00.000 UTC Fri Nov 20 2026"
h323-disconnect-time = "h323-disconnect-time=10:02:00.000 UTC Fri Nov 20 2026"
%s`, session, nas, seconds, conf, origin, extra)
}

// A member's gateway asks where to send a call and gets the ranked list;
// both legs' Stops are charged under the rate types that apply: what we
// charge member A for the call it sent, what carrier X charges us for
// terminating it; the period's statements add them up, and a late leg
// after the close goes to the next period. A blocked member is refused.
func TestClearinghouseWithRadclient(t *testing.T) {
	radclient := lookRadclient(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		c := newClearinghouse(t, b)
		const conf = "11111111 22222222 33333333 44444444"
		ask := func(nas string) radclientReply {
			return radclientSend(t, radclient, c.auth, "auth", fmt.Sprintf("NAS-IP-Address = %s\nCalling-Station-Id = \"5215550100\"\n"+
				"Called-Station-Id = \"525512345678\"\nh323-conf-id = \"h323-conf-id=%s\"\n", nas, conf))
		}
		reply := ask("10.1.0.1")
		// X prices Mexico City by its Mexico prefix at 0.04, Y by its own
		// 5255 at 0.045: X first, though Y's prefix is the longer.
		if reply.code != "Access-Accept" || reply.attrs["h323-redirect-ip-address"] != "10.2.0.1" ||
			reply.attrs["radbill-route-1"] != "10.2.0.1;CarrierX;0.040000;EUR" || reply.attrs["radbill-route-2"] != "10.3.0.1;CarrierY;0.045000;EUR" {
			t.Fatalf("route list for MemberA: %+v", reply)
		}
		for deadline := time.Now().Add(5 * time.Second); c.count("SELECT COUNT(*) FROM route_offer WHERE conf_id = ? AND first_partner_id = ?", conf, c.x.ID) != 1; {
			if time.Now().After(deadline) {
				t.Fatal("the route list was not kept")
			}
			time.Sleep(20 * time.Millisecond)
		}

		for range 2 { // the second time a retransmission: nothing more is charged
			for _, stop := range []string{
				partnerStop("A-1", "10.1.0.1", "answer", conf, 120, ""),
				partnerStop("X-1", "10.2.0.1", "originate", conf, 120, ""),
			} {
				if r := radclientSend(t, radclient, c.acct, "acct", stop); r.code != "Accounting-Response" {
					t.Fatalf("stop: %+v", r)
				}
			}
		}
		type charge struct {
			Partner  int64  `db:"partner_id"`
			RateType string `db:"rate_type"`
			Hop      string `db:"hop"`
			Amount   int64  `db:"amount_micros"`
			Zone     string `db:"zone"`
			Duration int64  `db:"duration_s"`
		}
		var charges []charge
		if err := c.db.Select(&charges, "SELECT partner_id, rate_type, hop, amount_micros, zone, duration_s FROM leg_charge ORDER BY rate_type"); err != nil {
			t.Fatal(err)
		}
		want := []charge{{c.a.ID, "incoming", "inbound", 120_000, "Mexico City", 120}, {c.x.ID, "outgoing", "egress", 80_000, "Mexico", 120}}
		if fmt.Sprint(charges) != fmt.Sprint(want) {
			t.Fatalf("charges %+v, want %+v", charges, want)
		}

		// November's statements equal the hand-computed figures; after
		// the close a late leg of November goes to December.
		settle := settlement.New(c.db)
		november := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		statements, err := settle.Run(context.Background(), november, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(statements) != 2 || statements[0].Partner != "MemberA" || statements[0].Receivable != 120_000 || statements[0].Payable != 0 ||
			statements[1].Partner != "CarrierX" || statements[1].Payable != 80_000 || statements[1].Direction() != "we pay CarrierX" {
			t.Fatalf("November's statements: %+v", statements)
		}
		for _, st := range statements {
			if _, err := settle.Close(context.Background(), st.ID); err != nil {
				t.Fatal(err)
			}
		}
		if r := radclientSend(t, radclient, c.acct, "acct", partnerStop("A-2", "10.1.0.1", "answer", "55555555 66666666 77777777 88888888", 60, "")); r.code != "Accounting-Response" {
			t.Fatalf("late stop: %+v", r)
		}
		december, err := settle.Run(context.Background(), november.AddDate(0, 1, 0), c.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(december) != 1 || december[0].Receivable != 60_000 || len(december[0].Lines) != 1 || december[0].Lines[0].Kind != settlement.Adjustment {
			t.Fatalf("December: %+v", december)
		}

		// MemberA's own CDR file against ours: its copy of the first call
		// agrees, the late call is missing from it, and it has one we lack.
		theirs, err := settlement.ReadPartnerCalls(strings.NewReader("start,calling,called,duration,amount\n"+
			"2026-11-20 10:00:01,5215550100,525512345678,120,0.12\n2026-11-21 08:00:00,5215550100,525512345678,30,0.03\n"), "member-a.csv")
		if err != nil {
			t.Fatal(err)
		}
		rec, err := settle.Reconcile(context.Background(), c.a.ID, november, theirs, settlement.Tolerance{Start: 5 * time.Second, Duration: 1, Amount: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Matched != 1 || rec.OnlyOurs != 1 || rec.OnlyTheirs != 1 || rec.Differing != 0 {
			t.Fatalf("reconciliation: %+v", rec)
		}

		// Calls that went through carrier Y though X was cheaper: one
		// against its route list's rank 1, one without a list against
		// the cheapest carrier's plan.
		const conf2, conf3 = "99999999 22222222 33333333 44444444", "99999999 33333333 33333333 44444444"
		ask2 := radclientSend(t, radclient, c.auth, "auth", fmt.Sprintf("NAS-IP-Address = 10.1.0.1\nCalled-Station-Id = \"525512345678\"\nh323-conf-id = \"h323-conf-id=%s\"\n", conf2))
		if ask2.attrs["radbill-route-1"] == "" {
			t.Fatalf("second route list: %+v", ask2)
		}
		for deadline := time.Now().Add(5 * time.Second); c.count("SELECT COUNT(*) FROM route_offer WHERE conf_id = ?", conf2) != 1; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the second route list was not kept")
			}
		}
		for i, conf := range []string{conf2, conf3} {
			stop := partnerStop(fmt.Sprint("Y-", i), "10.9.9.9", "originate", conf, 120, "Cisco-AVPair = \"trunk-group=carrier-y\"\n")
			if r := radclientSend(t, radclient, c.acct, "acct", stop); r.code != "Accounting-Response" {
				t.Fatalf("carrier Y's stop: %+v", r)
			}
		}
		tables, err := billing.Load(context.Background(), c.db)
		if err != nil {
			t.Fatal(err)
		}
		deviations, err := report.Deviations(context.Background(), c.db, tables.Tariffs, tables.Partners, november, november.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(deviations.Lines) != 2 || deviations.Difference["EUR"] != 20_000 {
			t.Fatalf("deviations: %+v", deviations)
		}
		for i, d := range deviations.Lines {
			if d.Expected != "CarrierX" || d.Actual != "CarrierY" || d.Should != 80_000 || d.ActualCost != 90_000 || d.ByRouteList != (i == 0) {
				t.Errorf("deviation %d: %+v", i, d)
			}
		}

		// Each call's revenue, cost and margin: A's first call earns 0.12
		// and costs 0.08; its late call earns 0.06; Y's two legs with
		// nothing earned are losses.
		margins, err := report.Margins(context.Background(), c.db, tables.Partners, november, november.AddDate(0, 1, 0), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(margins.Lines) != 4 || margins.Totals["EUR"] != [3]rating.Money{180_000, 260_000, -80_000} {
			t.Fatalf("margins: %+v", margins)
		}
		first := margins.Lines[0]
		if first.ConfID != conf || first.Origin != "MemberA" || first.Terminator != "CarrierX" || first.Margin() != 40_000 || first.Loss {
			t.Errorf("the first call's margin: %+v", first)
		}
		losses, err := report.Margins(context.Background(), c.db, tables.Partners, november, november.AddDate(0, 1, 0), true)
		if err != nil {
			t.Fatal(err)
		}
		if len(losses.Lines) != 2 || losses.Lines[0].Terminator != "CarrierY" || !losses.Lines[0].Loss {
			t.Fatalf("losses: %+v", losses.Lines)
		}

		if err := c.svc.SetBlocked(context.Background(), c.b.ID, true); err != nil {
			t.Fatal(err)
		}
		c.publishTables()
		if r := ask("10.4.0.1"); r.code != "Access-Reject" || r.attrs["h323-return-code"] != "7" {
			t.Fatalf("a blocked member: %+v", r)
		}
	})
}
