package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radbill/radbill/internal/testdb"
)

// TestCSVTariffEndToEnd imports the demo tariff (scripts/demo/tariff) with
// the radbill CLI, runs radiusd, sends Cisco Stops over UDP and checks the
// costs the database got; then exports and re-imports the tariff, and shows
// that a bad CSV row changes nothing.
func TestCSVTariffEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bin := buildBinaries(t, "radbill")
	b := testdb.SQLite(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "radbill.yaml")
	if err := os.WriteFile(config, []byte(`listen: {auth: "127.0.0.1:22812", acct: "127.0.0.1:22813", metrics: "127.0.0.1:22814"}
database: {driver: sqlite, dsn: "`+b.DSN+`"}
dictionaries: ../../dictionaries
spool: {dir: "`+filepath.Join(dir, "spool")+`"}
rating: {reload_interval: 100ms}
clients: [{name: gw-e2e, address: 127.0.0.1, secret: "`+secret+`"}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	radbill := func(args ...string) (string, error) {
		out, err := exec.Command(filepath.Join(bin, "radbill"), append([]string{"--config", config}, args...)...).CombinedOutput()
		return string(out), err
	}
	mustRadbill := func(args ...string) string {
		t.Helper()
		out, err := radbill(args...)
		if err != nil {
			t.Fatalf("radbill %v: %v\n%s", args, err, out)
		}
		return out
	}
	sample, _ := filepath.Glob("../../scripts/demo/tariff/*.csv")
	mustRadbill("db", "migrate")
	if out := mustRadbill(append([]string{"tariff", "import"}, sample...)...); !strings.Contains(out, "imported 2 plans, 4 zones, 6 prefixes, 4 bands, 5 holidays, 20 rates") {
		t.Fatalf("import said %s", out)
	}
	mustRadbill("gateway", "set", "gw-e2e", "--plan", "retail")

	server := exec.Command(filepath.Join(bin, "radiusd"), "-config", config)
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _, _ = server.Process.Wait() })
	waitHealthy(t, "http://127.0.0.1:22814/healthz")
	h := &harness{t: t, db: testdb.Open(t, b), acct: "127.0.0.1:22813"}

	// Plan retail is in Europe/Sofia (UTC+2 in November); Wed 25 Nov 2026.
	cases := []struct {
		session, called, connectUTC string
		seconds                     uint32
		status                      string
		cost                        int64
	}{
		// Germany peak: 0.40 + 60 s × 0.20/min + 60 s × 0.10/min = 0.70.
		{"E1", "4930123456", "08:00:00.000 UTC Wed Nov 25 2026", 120, "ok", 700_000},
		// Bulgaria mobile peak, rate from 2026-01-15: 0.10 connect, 30/6: 95 s bills 96 s × 0.24/min = 0.384;
		// 0.484 rounded half-up to 0.48.
		{"E2", "359888123456", "10:00:00.000 UTC Wed Nov 25 2026", 95, "ok", 480_000},
		// Germany from 19:59 Sofia: 60 s peak at tier 0 (0.20/min) = 0.20, then 60 s off-peak at tier 60 s
		// (0.06/min) = 0.06, plus 0.40 = 0.66.
		{"E3", "4930123456", "17:59:00.000 UTC Wed Nov 25 2026", 120, "ok", 660_000},
		// No zone for the UK.
		{"E4", "442071234567", "10:00:00.000 UTC Wed Nov 25 2026", 60, "unknown_destination", -1},
	}
	for _, c := range cases {
		mustAck(t, h, telephonyStop(t, c.session, c.called, c.connectUTC, c.seconds))
		r := h.rated(c.session)
		if r.Status != c.status || (c.cost >= 0) != (r.Cost != nil) || r.Cost != nil && *r.Cost != c.cost {
			t.Errorf("%s: status %s cost %v, want %s %d", c.session, r.Status, deref(r.Cost), c.status, c.cost)
		}
	}

	// tariff reload bumps the version the server polls.
	if out := mustRadbill("tariff", "reload"); !strings.Contains(out, "tariff version 4") {
		t.Errorf("tariff reload said %s", out)
	}

	// Re-rating with the tariff unchanged changes nothing and says so.
	rerated := mustRadbill("rerate", "--from", "2026-11-01", "--to", "2026-12-01", "--plan", "retail")
	if !strings.Contains(rerated, "re-rated 4 CDRs") || !strings.Contains(rerated, "0 changed") ||
		!strings.Contains(rerated, "EUR: old total 1.840000, new total 1.840000") || !strings.Contains(rerated, "unknown_destination 1") {
		t.Errorf("rerate said:\n%s", rerated)
	}

	// Export, re-import the export, export again: the same files.
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	mustRadbill("tariff", "export", first)
	exported, _ := filepath.Glob(first + "/*.csv")
	mustRadbill(append([]string{"tariff", "import"}, exported...)...)
	mustRadbill("tariff", "export", second)
	for _, f := range exported {
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(filepath.Join(second, filepath.Base(f)))
		if string(a) != string(b) || len(a) == 0 {
			t.Errorf("%s differs after a round trip:\n%s\n---\n%s", filepath.Base(f), a, b)
		}
	}

	// A bad row: every error named by file, line and field; nothing changes.
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, f := range exported {
		content, _ := os.ReadFile(f)
		if filepath.Base(f) == "rates.csv" {
			content = []byte(strings.Replace(string(content), ",60,1,", ",60,0,", 1))
		}
		if err := os.WriteFile(filepath.Join(bad, filepath.Base(f)), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	badFiles, _ := filepath.Glob(bad + "/*.csv")
	out, err := radbill(append([]string{"tariff", "import"}, badFiles...)...)
	if err == nil || !strings.Contains(out, "rates.csv:") || !strings.Contains(out, `"next_increment"`) {
		t.Fatalf("bad import: err %v, output:\n%s", err, out)
	}
	third := filepath.Join(dir, "third")
	mustRadbill("tariff", "export", third)
	for _, f := range exported {
		a, _ := os.ReadFile(f)
		c, _ := os.ReadFile(filepath.Join(third, filepath.Base(f)))
		if string(a) != string(c) {
			t.Errorf("%s changed by a failed import", filepath.Base(f))
		}
	}
}
