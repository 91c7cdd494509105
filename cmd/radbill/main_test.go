package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/store"
)

// radbill runs the CLI with args against the database of config and
// returns its output.
func radbill(t *testing.T, config string, args ...string) (string, error) {
	t.Helper()
	cmd := rootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"--config", config}, args...))
	err := cmd.Execute()
	return out.String(), err
}

// withCDRs writes a config for backend b and stores three Stops through the
// writer, as radiusd would.
func withCDRs(t *testing.T, b testdb.Backend) string {
	t.Helper()
	config := filepath.Join(t.TempDir(), "radbill.yaml")
	if err := os.WriteFile(config, []byte("database:\n  driver: "+b.Driver+"\n  dsn: \""+b.DSN+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := radbill(t, config, "db", "migrate"); err != nil || !strings.HasPrefix(out, "applied migrations [1 2") {
		t.Fatalf("db migrate: %v %s", err, out)
	}
	if out, err := radbill(t, config, "db", "migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("second db migrate: %v %s", err, out)
	}
	db, err := store.Open(b.Driver, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := store.NewWriter(db, store.WriterConfig{BatchSize: 10, Writers: 1, QueueSize: 10}, prometheus.NewRegistry(), zaptest.NewLogger(t))
	done := make(chan store.Outcome, 3)
	for i, c := range []struct{ session, calling, called, connect string }{
		{"A1", "1110001", "35988123456", "2026-11-20 10:00:00"},
		{"A2", "1110002", "4930123456", "2026-11-21 11:00:00"},
		{"A3", "1110003", "35929876543", "2026-11-22 12:00:00"},
	} {
		connect, _ := time.Parse(time.DateTime, c.connect)
		d := int64(60 + i)
		cost := int64(700_000)
		w.Submit(&cdr.Record{ReceivedAt: time.Now(), ClientName: "gw", Status: cdr.StatusStop, NASIP: "192.0.2.1", SessionID: c.session,
			CallingNumber: c.calling, CalledNumber: c.called, ConnectTime: &connect, SessionTime: &d, CallOrigin: "originate", CallType: "Telephony",
			Rating: cdr.Rating{Status: "ok", CostMicros: &cost, Currency: "EUR", Zone: "Z"}}, func(o store.Outcome, _ error) { done <- o })
	}
	for range 3 {
		if o := <-done; o != store.Stored {
			t.Fatalf("outcome %v", o)
		}
	}
	w.Close()
	return config
}

func TestCDRList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		config := withCDRs(t, b)

		out, err := radbill(t, config, "cdr", "list", "--format", "csv", "--number", "359")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[1][4] != "A1" || rows[2][4] != "A3" || rows[1][23] != "0.700000" || rows[0][23] != "cost" {
			t.Fatalf("csv filtered by number 359:\n%s", out)
		}

		out, err = radbill(t, config, "cdr", "list", "--format", "json", "--from", "2026-11-21", "--to", "2026-11-22 11:59")
		if err != nil {
			t.Fatal(err)
		}
		var cdrs []map[string]any
		if err := json.Unmarshal([]byte(out), &cdrs); err != nil {
			t.Fatal(err)
		}
		if len(cdrs) != 1 || cdrs[0]["acct_session_id"] != "A2" || cdrs[0]["call_time"] != "2026-11-21 11:00:00.000" || cdrs[0]["duration_s"] != 61.0 {
			t.Fatalf("json filtered by time: %s", out)
		}

		out, err = radbill(t, config, "cdr", "list", "--limit", "2")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "id") || !strings.Contains(lines[2], "A2") {
			t.Fatalf("table with limit 2:\n%s", out)
		}

		if _, err := radbill(t, config, "cdr", "list", "--format", "xml"); err == nil {
			t.Error("unknown format accepted")
		}
		if _, err := radbill(t, config, "cdr", "list", "--from", "yesterday"); err == nil {
			t.Error("bad time accepted")
		}
	})
}

func TestGatewaySetNeedsAPlanThatExists(t *testing.T) {
	config := withCDRs(t, testdb.SQLite(t))
	if _, err := radbill(t, config, "gateway", "set", "gw", "--plan", "nope"); err == nil || !strings.Contains(err.Error(), `no tariff plan "nope"`) {
		t.Fatalf("err = %v", err)
	}
	db, err := store.Open(store.SQLite, strings.TrimSuffix(strings.SplitN(readFile(t, config), "dsn: \"", 2)[1], "\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1, _ := db.TariffVersion(context.Background())
	if out, err := radbill(t, config, "gateway", "set", "gw", "--bill-voip-originate"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	gws, err := db.LoadGateways(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := db.TariffVersion(context.Background())
	if len(gws) != 1 || !gws[0].BillVoIPOriginate || gws[0].DefaultPlanID.Valid || v2 != v1+1 {
		t.Fatalf("gateways %+v, version %d→%d", gws, v1, v2)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
