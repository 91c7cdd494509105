package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/cdrgen"
	"github.com/radbill/radbill/internal/testdb"
)

// TestImportKilledAndRunAgain kills `radbill import cucm` with -9 in the
// middle of a 60,000-call file and runs it again: every call is stored
// once and charged to its user once.
func TestImportKilledAndRunAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bin := buildBinaries(t, "radbill")
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		dir := t.TempDir()
		config := filepath.Join(dir, "radbill.yaml")
		if err := os.WriteFile(config, []byte("database: {driver: "+b.Driver+", dsn: \""+b.DSN+"\"}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		radbill := func(args ...string) *exec.Cmd {
			return exec.Command(filepath.Join(bin, "radbill"), append([]string{"--config", config, "--wait", "0s"}, args...)...)
		}
		must := func(args ...string) {
			t.Helper()
			if out, err := radbill(args...).CombinedOutput(); err != nil {
				t.Fatalf("radbill %v: %v\n%s", args, err, out)
			}
		}
		sample, _ := filepath.Glob("../../scripts/demo/tariff/*.csv")
		must("db", "migrate")
		must(append([]string{"tariff", "import"}, sample...)...)
		must("gateway", "set", "gw-trunk", "--plan", "retail")
		for _, ext := range []string{"2001", "2002", "2003"} {
			must("user", "create", "user"+ext, "--plan", "retail", "--type", "unrestricted", "--number", ext)
		}
		const n = 30_000
		path := filepath.Join(dir, "cdr_GenCluster_01_202611201000_1")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Unix()
		if err := cdrgen.WriteCUCM(f, cdrgen.Fields133, n, func(i int) cdrgen.Call {
			return cdrgen.Call{CallID: i + 1, Calling: []string{"2001", "2002", "2003"}[i%3], Called: "35988123456", OrigDevice: "SEP0011223344",
				DestDevice: "gw-trunk", Origination: start + int64(i), Connect: start + int64(i) + 3, End: start + int64(i) + 3 + int64(i%300)}
		}); err != nil {
			t.Fatal(err)
		}
		f.Close()

		db := testdb.Open(t, b)
		first := radbill("import", "cucm", path)
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		stored := 0
		for deadline := time.Now().Add(60 * time.Second); stored < n/6 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			_ = db.Get(&stored, "SELECT COUNT(*) FROM cdr")
		}
		_ = first.Process.Kill()
		_ = first.Wait()
		_ = db.Get(&stored, "SELECT COUNT(*) FROM cdr")
		if stored == 0 || stored == n {
			t.Fatalf("killed with %d of %d stored: not in the middle", stored, n)
		}
		t.Logf("radbill import killed -9 with %d of %d calls stored", stored, n)
		out, err := radbill("import", "cucm", path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "read 30000") {
			t.Fatalf("second run: %v\n%s", err, out)
		}
		var c struct {
			CDRs, Owned, Debits, DistinctDebits int
			Cost, Debited                       int64
		}
		for _, q := range []struct {
			dest  any
			query string
		}{
			{&c.CDRs, "SELECT COUNT(*) FROM cdr"},
			{&c.Owned, "SELECT COUNT(*) FROM cdr WHERE user_id IS NOT NULL AND cost_micros IS NOT NULL"},
			{&c.Debits, "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'call_debit'"},
			{&c.DistinctDebits, "SELECT COUNT(DISTINCT reference) FROM ledger_entry WHERE kind = 'call_debit'"},
			{&c.Cost, "SELECT SUM(cost_micros) FROM cdr"},
			{&c.Debited, "SELECT -SUM(amount_micros) FROM ledger_entry WHERE kind = 'call_debit'"},
		} {
			if err := db.Get(q.dest, q.query); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("after the second run: %+v", c)
		if c.CDRs != n || c.Owned != n || c.Debits != n || c.DistinctDebits != n || c.Cost != c.Debited || c.Cost == 0 {
			t.Fatalf("want %d CDRs, each its user's and debited once, debits equal to costs: %+v", n, c)
		}
	})
}

// TestRadiusdFollowsImportDirectories: with an `import:` entry radiusd
// imports the CUCM files that arrive in the directory itself, no cron.
func TestRadiusdFollowsImportDirectories(t *testing.T) {
	dir := t.TempDir()
	h := startServer(t, testdb.SQLite(t), func(c *config.Config) {
		c.Import = []map[string]any{{"format": "cucm", "dir": dir, "settle": "100ms"}}
	})
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Unix()
	var b strings.Builder
	if err := cdrgen.WriteCUCM(&b, cdrgen.Fields133, 5, func(i int) cdrgen.Call {
		return cdrgen.Call{CallID: i + 1, Calling: "2001", Called: "35988123456", OrigDevice: "SEP1", DestDevice: "SEP2",
			Origination: start, Connect: start + 1, End: start + 61}
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cdr_GenCluster_01_202611251000_1"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); h.count("SELECT COUNT(*) FROM cdr WHERE source = 'cucm'") < 5; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("radiusd did not import the file in its import directory")
		}
	}
	if n := h.count("SELECT COUNT(*) FROM import_file"); n != 1 {
		t.Errorf("%d import_file rows, want 1", n)
	}
}
