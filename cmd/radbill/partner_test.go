package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radbill/radbill/internal/testdb"
)

// The README's clearinghouse walkthrough through the CLI: partners, their
// gateways, rates, policy and routes; route explain; settlement commands.
func TestClearinghouseCommands(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		config := filepath.Join(t.TempDir(), "radbill.yaml")
		if err := os.WriteFile(config, []byte("database:\n  driver: "+b.Driver+"\n  dsn: \""+b.DSN+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		run := func(args ...string) string {
			t.Helper()
			out, err := radbill(t, config, append(args, "--wait", "0s")...)
			if err != nil {
				t.Fatalf("radbill %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return out
		}
		files, _ := filepath.Glob("../../scripts/demo/clearinghouse/*.csv")
		run(append([]string{"tariff", "import"}, files...)...)
		run("partner", "create", "Us", "--currency", "EUR", "--own")
		run("partner", "create", "MemberA", "--currency", "EUR", "--role", "originating")
		run("partner", "create", "CarrierX", "--currency", "EUR", "--role", "terminating")
		run("partner", "create", "CarrierY", "--currency", "EUR", "--role", "terminating")
		run("partner", "gateway", "add", "MemberA", "10.1.0.1")
		run("partner", "gateway", "add", "CarrierX", "10.2.0.1")
		run("partner", "gateway", "add", "CarrierY", "trunk-group=carrier-y", "--kind", "avpair", "--address", "10.3.0.1")
		run("partner", "rates", "MemberA", "--type", "incoming", "--plan", "member-a-incoming")
		run("partner", "rates", "CarrierX", "--type", "outgoing", "--plan", "carrier-x-outgoing")
		run("partner", "rates", "CarrierY", "--type", "outgoing", "--plan", "carrier-y-outgoing")
		if out, err := radbill(t, config, "partner", "rates", "MemberA", "--type", "sideways", "--plan", "own-base", "--wait", "0s"); err == nil {
			t.Fatalf("an unknown rate type taken: %s", out)
		}

		out := run("route", "explain", "00525512345678", "--partner", "MemberA", "--at", "2026-11-20 10:00")
		lines := strings.Split(out, "\n")
		if !strings.Contains(lines[0], "call to 525512345678") || !strings.Contains(out, "1     CarrierX") || !strings.Contains(out, "2     CarrierY") ||
			!strings.Contains(out, "0.040000 EUR") || !strings.Contains(out, "5255") {
			t.Fatalf("route explain:\n%s", out)
		}
		run("partner", "policy", "MemberA", "--strategy", "priority")
		run("partner", "policy", "CarrierY", "--priority", "-1")
		if out := run("route", "explain", "525512345678", "--partner", "MemberA"); !strings.Contains(out, "1     CarrierY") {
			t.Fatalf("priority strategy:\n%s", out)
		}
		run("partner", "route", "MemberA", "--to", "CarrierX")
		if out := run("route", "explain", "525512345678", "--partner", "MemberA"); strings.Contains(out, "CarrierY") {
			t.Fatalf("routing by origin still offers CarrierY:\n%s", out)
		}
		run("partner", "block", "CarrierX")
		if out := run("route", "explain", "525512345678", "--partner", "MemberA"); !strings.Contains(out, "left out: blocked") || !strings.Contains(out, "no route") {
			t.Fatalf("a blocked carrier:\n%s", out)
		}
		if out := run("partner", "show", "MemberA"); !strings.Contains(out, "rates incoming  member-a-incoming") || !strings.Contains(out, "route to") {
			t.Fatalf("partner show:\n%s", out)
		}
		if out := run("history", "show", "partner", "2"); strings.Count(out, "by cli:") != 5 || !strings.Contains(out, "kind=nas partner_id=2 selector=10.1.0.1") ||
			!strings.Contains(out, "plan_id=") || !strings.Contains(out, "destination_id=3") {
			t.Fatalf("MemberA's history:\n%s", out)
		}

		if _, err := db.Exec("INSERT INTO leg_charge (dedup_key, call_time, partner_id, rate_type, plan_id, zone, band, duration_s, billed_seconds, amount_micros, currency, rating_status) " +
			"SELECT 'k1', '2026-11-20 10:00:00.000', id, 'incoming', 1, 'Mexico City', 'all', 120, 120, 120000, 'EUR', 'ok' FROM partner WHERE name = 'MemberA'"); err != nil {
			t.Fatal(err)
		}
		if out := run("settlement", "run", "--period", "2026-11"); !strings.Contains(out, "MemberA pays us: 0.120000 EUR") {
			t.Fatalf("settlement run:\n%s", out)
		}
		if out := run("settlement", "show", "1", "--format", "csv"); !strings.Contains(out, "usage,incoming,Mexico City,all,1,2:00,0.120000,,") ||
			!strings.Contains(out, "NET,MemberA pays us") {
			t.Fatalf("settlement show:\n%s", out)
		}
		if out := run("settlement", "close", "1"); !strings.Contains(out, "closed") {
			t.Fatalf("settlement close:\n%s", out)
		}
		run("settlement", "verify", "1")
		html := filepath.Join(t.TempDir(), "statements.html")
		run("settlement", "print", "--period", "2026-11", "--output", html)
		if page, _ := os.ReadFile(html); !strings.Contains(string(page), "Settlement statement 1: MemberA") || !strings.Contains(string(page), "SHA-256") {
			t.Fatalf("printed statements:\n%s", page)
		}
	})
}
