//go:build faults

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// Fault tests (make test-faults): real radiusd processes on MariaDB under
// load from radload, with faults injected. Each ends by comparing the
// acknowledged Stops with the database: 0 lost, 0 duplicated, and every
// Stop debited once to the prepaid card they are charged to, whose balance
// equals its ledger.

// radiusdProcess starts bin/radiusd on the given ports, database and spool
// directory (a restarted server reuses its spool).
func radiusdProcess(t *testing.T, bin string, b testdb.Backend, port int, spoolDir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "radiusd"))
	cmd.Env = append(os.Environ(),
		"RADBILL_DATABASE_DRIVER="+b.Driver, "RADBILL_DATABASE_DSN="+b.DSN, "RADBILL_DICTIONARIES=../../dictionaries", "RADBILL_SPOOL_DIR="+spoolDir,
		fmt.Sprintf("RADBILL_LISTEN_AUTH=127.0.0.1:%d", port), fmt.Sprintf("RADBILL_LISTEN_ACCT=127.0.0.1:%d", port+1),
		fmt.Sprintf("RADBILL_LISTEN_METRICS=127.0.0.1:%d", port+2),
		"RADBILL_CLIENTS=[{name: load, address: 127.0.0.1, secret: faults}]", "RADBILL_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitHealthy(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", port+2))
	return cmd
}

// load is a radload run of n Stops that retransmits for up to 40 s, like
// a patient gateway.
type load struct {
	cmd   *exec.Cmd
	acked string
	n     int
}

// faultCard is the prepaid card every fault-test Stop is debited to, so each
// test can also check that the card's balance equals its ledger and that
// each acknowledged Stop was debited exactly once.
const faultCard = "9990001"

// withCard puts the flat tariff and a prepaid card with a large balance in
// the database, before any radiusd starts.
func withCard(t *testing.T, b testdb.Backend) {
	t.Helper()
	db := testdb.Open(t, b)
	ctx := context.Background()
	if err := db.ImportTariffs(ctx, flatTariff()); err != nil {
		t.Fatal(err)
	}
	plan, _ := db.PlanID(ctx, "cards")
	if _, err := limits.New(db, limits.Options{}).CreateAccount(ctx, limits.NewAccount{Number: faultCard, PIN: "1234", PlanID: plan,
		Currency: "EUR", InitialBalance: 10_000_000 * rating.MicrosPerUnit, MaxConcurrentCalls: 1}); err != nil {
		t.Fatal(err)
	}
}

// assertCardDebitedOnce checks that every acknowledged Stop debited the
// card once and its balance equals its ledger.
func assertCardDebitedOnce(t *testing.T, db *store.DB, acked int) {
	t.Helper()
	var debits, distinct int
	var ledger, balance int64
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT reference), COALESCE(SUM(amount_micros), 0) FROM ledger_entry
		WHERE account_id = (SELECT id FROM prepaid_account WHERE account_number = ?) AND kind = 'call_debit'`, faultCard).Scan(&debits, &distinct, &ledger); err != nil {
		t.Fatal(err)
	}
	var all int64
	if err := db.QueryRow(`SELECT COALESCE(SUM(amount_micros), 0) FROM ledger_entry WHERE account_id = (SELECT id FROM prepaid_account WHERE account_number = ?)`, faultCard).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT balance_micros FROM prepaid_account WHERE account_number = ?", faultCard).Scan(&balance); err != nil {
		t.Fatal(err)
	}
	t.Logf("card %s: %d call debits (%d distinct) totalling %s, balance %s, ledger sum %s", faultCard, debits, distinct,
		rating.Money(-ledger), rating.Money(balance), rating.Money(all))
	if debits != acked || distinct != acked || balance != all {
		t.Fatalf("card: %d debits for %d acknowledged Stops, balance %d vs ledger %d", debits, acked, balance, all)
	}
}

func startLoad(t *testing.T, bin, addrs string, n int) *load {
	t.Helper()
	l := &load{acked: filepath.Join(t.TempDir(), "acked"), n: n}
	l.cmd = exec.Command(filepath.Join(bin, "radload"), "-addr", addrs, "-secret", "faults", "-n", fmt.Sprint(n), "-c", "32",
		"-gateways", "4", "-timeout", "500ms", "-retries", "80", "-user", faultCard, "-acked", l.acked)
	l.cmd.Stdout, l.cmd.Stderr = os.Stderr, os.Stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return l
}

// wait waits for the run to end and returns the acknowledged session ids,
// failing the test unless every Stop was acknowledged.
func (l *load) wait(t *testing.T) []string {
	t.Helper()
	if err := l.cmd.Wait(); err != nil {
		t.Fatalf("radload: %v (some Stops never answered)", err)
	}
	ids := readLines(t, l.acked)
	if len(ids) != l.n {
		t.Fatalf("%d of %d Stops acknowledged", len(ids), l.n)
	}
	return ids
}

// TestFaultKill9 kills radiusd -9 in the middle of a load and restarts it:
// the generator retransmits what was not answered, like a gateway.
func TestFaultKill9(t *testing.T) {
	bin := buildBinaries(t)
	b := testdb.MySQL(t)
	withCard(t, b)
	spoolDir := t.TempDir()
	server := radiusdProcess(t, bin, b, 31812, spoolDir)
	load := startLoad(t, bin, "127.0.0.1:31813", 40000)
	time.Sleep(1500 * time.Millisecond)
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = server.Process.Wait()
	t.Log("radiusd killed with -9; restarting in 1 s")
	time.Sleep(time.Second)
	radiusdProcess(t, bin, b, 31812, spoolDir)
	ids := load.wait(t)
	db := testdb.Open(t, b)
	assertStoredOnce(t, db, ids)
	assertCardDebitedOnce(t, db, len(ids))
}

// TestFaultBroadcastToTwoServers sends every Stop to two radiusd sharing one
// database, as Cisco broadcast accounting does.
func TestFaultBroadcastToTwoServers(t *testing.T) {
	bin := buildBinaries(t)
	b := testdb.MySQL(t)
	withCard(t, b)
	radiusdProcess(t, bin, b, 32812, t.TempDir())
	radiusdProcess(t, bin, b, 33812, t.TempDir())
	load := startLoad(t, bin, "127.0.0.1:32813,127.0.0.1:33813", 20000)
	ids := load.wait(t)
	db := testdb.Open(t, b)
	assertStoredOnce(t, db, ids)
	assertCardDebitedOnce(t, db, len(ids))
}

// TestFaultDatabaseStopped freezes MariaDB (SIGSTOP: connections hang, as
// with a dead or overloaded server) for 30 s in the middle of a load, then
// lets it go on: Stops are acknowledged from the spool meanwhile and replayed
// afterwards, each exactly once. Half way through the outage radiusd is
// killed -9; it is restarted on the same spool once the database is back
// (radiusd needs the database to start): what it had spooled survives.
func TestFaultDatabaseStopped(t *testing.T) {
	bin := buildBinaries(t)
	b := testdb.MySQL(t)
	out, err := exec.Command("pidof", "mariadbd", "mysqld").Output()
	fields := strings.Fields(string(out))
	if err != nil || len(fields) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no local mariadbd process to stop")
		}
		t.Skip("SKIPPING: no local mariadbd process to stop")
	}
	pid, _ := strconv.Atoi(fields[0])
	withCard(t, b)
	spoolDir := t.TempDir()
	server := radiusdProcess(t, bin, b, 34812, spoolDir)
	load := startLoad(t, bin, "127.0.0.1:34813", 60000)
	time.Sleep(1500 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop mariadbd: %v", err)
	}
	t.Log("MariaDB stopped for 30 s")
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	defer resume()
	time.Sleep(15 * time.Second)
	before := metricValue(t, "http://127.0.0.1:34814/metrics", "radbill_spool_records ")
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = server.Process.Wait()
	t.Logf("radiusd killed -9 with %v records spooled", before)
	if before == 0 {
		t.Error("nothing was spooled during the outage")
	}
	time.Sleep(15 * time.Second)
	resume()
	t.Log("MariaDB resumed; restarting radiusd on the same spool")
	radiusdProcess(t, bin, b, 34812, spoolDir)
	ids := load.wait(t)
	for deadline := time.Now().Add(2 * time.Minute); metricValue(t, "http://127.0.0.1:34814/metrics", "radbill_spool_records ") != 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the spool was not replayed")
		}
	}
	db := testdb.Open(t, b)
	assertStoredOnce(t, db, ids)
	assertCardDebitedOnce(t, db, len(ids))
}
