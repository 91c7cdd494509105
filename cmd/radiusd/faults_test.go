//go:build faults || galera

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/store"
)

// Fault tests (make test-faults): real radiusd processes on MariaDB under
// load from radload, with faults injected. Each ends by comparing the
// acknowledged Stops with the database: 0 lost, 0 duplicated, and every
// Stop debited once to the prepaid card they are charged to, whose balance
// equals its ledger.

// radiusdProcess starts bin/radiusd on the given ports, database, spool
// directory (a restarted server reuses its spool) and writer mode. The tests' ports (port,
// +1, +2) stay below 32768, where Linux takes no ephemeral ports from.
func radiusdProcess(t *testing.T, bin string, b testdb.Backend, port int, spoolDir, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "radiusd"))
	cmd.Env = append(os.Environ(), "RADBILL_WRITER_MODE="+mode,
		"RADBILL_DATABASE_DRIVER="+b.Driver, "RADBILL_DATABASE_DSN="+b.DSN, "RADBILL_DICTIONARIES=../../dictionaries", "RADBILL_SPOOL_DIR="+spoolDir,
		fmt.Sprintf("RADBILL_LISTEN_AUTH=127.0.0.1:%d", port), fmt.Sprintf("RADBILL_LISTEN_ACCT=127.0.0.1:%d", port+1),
		fmt.Sprintf("RADBILL_LISTEN_METRICS=127.0.0.1:%d", port+2),
		"RADBILL_CLIENTS=[{name: load, address: 127.0.0.1, secret: \""+secret+"\"}]", "RADBILL_LOG_LEVEL=warn")
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

// assertAccounted ends every fault test: each acknowledged Stop stored once
// and debited once to the card.
func assertAccounted(t *testing.T, b testdb.Backend, ids []string) {
	t.Helper()
	db := testdb.Open(t, b)
	assertStoredOnce(t, db, ids)
	assertCardDebitedOnce(t, db, len(ids))
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
	l.cmd = exec.Command(filepath.Join(bin, "radload"), "-addr", addrs, "-secret", secret, "-n", fmt.Sprint(n), "-c", "32",
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

// writerModes are the writer modes the fault tests run in: direct
// (acknowledged once committed) and journal (once journalled, loaded
// later), each on ports of its own.
var writerModes = []struct {
	name string
	port int
}{{"direct", 0}, {"journal", 50}}

// waitLoaded waits until the radiusd with metrics on port has nothing in
// its spool or journal.
func waitLoaded(t *testing.T, metricsPort int) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	for deadline := time.Now().Add(2 * time.Minute); metricValue(t, url, "radbill_spool_records ") != 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the spool or journal was not loaded")
		}
	}
}

// kill9 kills radiusd as a power cut would, and reaps it.
func kill9(t *testing.T, server *exec.Cmd) {
	t.Helper()
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = server.Process.Wait()
}

// finishLoad waits for the load to end and the radiusd with metrics on
// metricsPorts to load what they journalled or spooled, then checks that
// every acknowledged Stop is in the database once.
func finishLoad(t *testing.T, l *load, b testdb.Backend, metricsPorts ...int) {
	t.Helper()
	ids := l.wait(t)
	for _, port := range metricsPorts {
		waitLoaded(t, port)
	}
	assertAccounted(t, b, ids)
}

// TestFaultKill9 kills radiusd -9 in the middle of a load and restarts it:
// the generator retransmits what was not answered, like a gateway.
func TestFaultKill9(t *testing.T) {
	bin := buildBinaries(t)
	for _, mode := range writerModes {
		t.Run(mode.name, func(t *testing.T) {
			b := testdb.MySQL(t)
			withCard(t, b)
			spoolDir := t.TempDir()
			port := 25812 + mode.port
			server := radiusdProcess(t, bin, b, port, spoolDir, mode.name)
			load := startLoad(t, bin, fmt.Sprintf("127.0.0.1:%d", port+1), 40000)
			time.Sleep(1500 * time.Millisecond)
			kill9(t, server)
			t.Log("radiusd killed with -9; restarting in 1 s")
			time.Sleep(time.Second)
			radiusdProcess(t, bin, b, port, spoolDir, mode.name)
			finishLoad(t, load, b, port+2)
		})
	}
}

// TestFaultBroadcastToTwoServers sends every Stop to two radiusd sharing one
// database, as Cisco broadcast accounting does.
func TestFaultBroadcastToTwoServers(t *testing.T) {
	bin := buildBinaries(t)
	for _, mode := range writerModes {
		t.Run(mode.name, func(t *testing.T) {
			b := testdb.MySQL(t)
			withCard(t, b)
			first, second := 26812+mode.port, 27812+mode.port
			radiusdProcess(t, bin, b, first, t.TempDir(), mode.name)
			radiusdProcess(t, bin, b, second, t.TempDir(), mode.name)
			load := startLoad(t, bin, fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", first+1, second+1), 20000)
			finishLoad(t, load, b, first+2, second+2)
		})
	}
}

// TestFaultDatabaseStopped freezes MariaDB (SIGSTOP: connections hang, as
// with a dead or overloaded server) for 30 s in the middle of a load, then
// lets it go on: Stops are acknowledged from the spool meanwhile and replayed
// afterwards, each exactly once. Half way through the outage radiusd is
// killed -9; it is restarted on the same spool once the database is back
// (radiusd needs the database to start): what it had spooled survives.
func TestFaultDatabaseStopped(t *testing.T) {
	bin := buildBinaries(t)
	testdb.MySQL(t) // skips loudly without MariaDB
	out, err := exec.Command("pidof", "mariadbd", "mysqld").Output()
	fields := strings.Fields(string(out))
	if err != nil || len(fields) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no local mariadbd process to stop")
		}
		testdb.SkipLoudly(t, "fault tests: no local mariadbd process to stop")
	}
	pid, _ := strconv.Atoi(fields[0])
	for _, mode := range writerModes {
		t.Run(mode.name, func(t *testing.T) {
			b := testdb.MySQL(t)
			withCard(t, b)
			spoolDir := t.TempDir()
			port := 28812 + mode.port
			server := radiusdProcess(t, bin, b, port, spoolDir, mode.name)
			load := startLoad(t, bin, fmt.Sprintf("127.0.0.1:%d", port+1), 60000)
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
			before := metricValue(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port+2), "radbill_spool_records ")
			kill9(t, server)
			t.Logf("radiusd killed -9 with %v records spooled", before)
			if before == 0 {
				t.Error("nothing was spooled during the outage")
			}
			time.Sleep(15 * time.Second)
			resume()
			t.Log("MariaDB resumed; restarting radiusd on the same spool")
			radiusdProcess(t, bin, b, port, spoolDir, mode.name)
			finishLoad(t, load, b, port+2)
		})
	}
}

// TestFaultPrepaidOnThreeServers: three radiusd on one MariaDB, 500
// concurrent authorize + Stop sequences over 10 cards. Each call is
// authorized on one server and its Stop goes to the next two (broadcast
// accounting), so servers race on every card and every Stop arrives twice.
// No card may end below its floor (0), every card's balance must equal its
// ledger, and each Stop must be debited exactly once.
func TestFaultPrepaidOnThreeServers(t *testing.T) {
	b := testdb.MySQL(t)
	prepaidOnThreeServers(t, [3]testdb.Backend{b, b, b}, []int{29812, 30812, 31812})
}

// prepaidOnThreeServers authorizes 500 calls of 10 cards through three
// radiusd, each on its backend (one database, or the nodes of a cluster),
// broadcasting each call's Stop to the two others: no card goes below
// zero, every Stop is debited once and every balance equals its ledger.
func prepaidOnThreeServers(t *testing.T, backends [3]testdb.Backend, ports []int) {
	bin := buildBinaries(t)
	b := backends[0]
	db := testdb.Open(t, b)
	ctx := context.Background()
	if err := db.ImportTariffs(ctx, flatTariff()); err != nil {
		t.Fatal(err)
	}
	plan, _ := db.PlanID(ctx, "cards")
	svc := limits.New(db, limits.Options{})
	const cards = 10
	for c := range cards {
		if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: fmt.Sprintf("77700%02d", c), PIN: "2468", PlanID: plan,
			Currency: "EUR", InitialBalance: 5 * rating.MicrosPerUnit, MaxConcurrentCalls: 3}); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range ports {
		radiusdProcess(t, bin, backends[i], p, t.TempDir(), "direct")
	}
	var mu sync.Mutex
	granted, stops := 0, map[string]int{}
	var wg sync.WaitGroup
	for call := range 500 {
		wg.Go(func() {
			account := fmt.Sprintf("77700%02d", call%cards)
			confID := fmt.Sprintf("A0000000 00000000 00000000 %08X", call)
			auth := fmt.Sprintf("127.0.0.1:%d", ports[call%3])
			wire := accessRequest(t, account, "2468", "35988123456", confID)
			reply := exchangeRetrying(t, auth, wire)
			if reply == nil {
				t.Errorf("call %d: no answer to the authorization", call)
				return
			}
			if radius.Code(reply[0]) != radius.CodeAccessAccept {
				return // refused: the card's credit is held by other calls or spent
			}
			p, _ := radius.Parse(reply, []byte(secret))
			credit := creditTime(t, p)
			talk := min(credit, int64(30+call%240))
			stop := telephonyStop(t, fmt.Sprintf("S%05d", call), "35988123456", "10:00:00.000 UTC Wed Nov 25 2026", uint32(talk),
				func(p *radius.Packet) { p.Set(1, radius.Attribute(account)) }, setCisco(cisco.AttrConfID, confID))
			for _, next := range []int{1, 2} { // broadcast to the two other servers
				if exchangeRetrying(t, fmt.Sprintf("127.0.0.1:%d", ports[(call+next)%3]+1), stop) == nil {
					t.Errorf("call %d: Stop not acknowledged", call)
				}
			}
			mu.Lock()
			granted++
			stops[account]++
			mu.Unlock()
		})
	}
	wg.Wait()
	t.Logf("%d of 500 calls authorized", granted)
	if granted == 0 {
		t.Fatal("no call was authorized")
	}
	for c := range cards {
		account := fmt.Sprintf("77700%02d", c)
		card, err := svc.Account(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		var debits, distinct int
		var ledger int64
		if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT reference), COALESCE(SUM(amount_micros), 0) FROM ledger_entry WHERE account_id = ?`, card.ID).Scan(&debits, &distinct, &ledger); err != nil {
			t.Fatal(err)
		}
		// The ledger holds the initial top-up (no reference) and one debit, with
		// its own reference, per Stop.
		if card.Balance < 0 || card.Balance != rating.Money(ledger) || debits != stops[account]+1 || distinct != stops[account] || card.Reserved != 0 {
			t.Errorf("card %s: balance %s, ledger %s, %d entries for %d Stops, reserved %s", account, card.Balance, rating.Money(ledger), debits, stops[account], card.Reserved)
		}
	}
}

// exchangeRetrying sends wire and retransmits it from the same socket, as a
// gateway does, until an answer comes or 20 attempts of 2 s have passed.
func exchangeRetrying(t *testing.T, to string, wire []byte) []byte {
	t.Helper()
	raddr, _ := net.ResolveUDPAddr("udp", to)
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer conn.Close()
	for range 20 {
		if reply := roundTrip(t, conn, wire, 2*time.Second); reply != nil {
			return reply
		}
	}
	return nil
}

// creditTime reads h323-credit-time from an Access-Accept.
func creditTime(t *testing.T, p *radius.Packet) int64 {
	t.Helper()
	for _, a := range p.Attributes {
		if a.Type != 26 {
			continue
		}
		_, subs, err := cisco.ParseVendorSpecific(nil, a.Attribute)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			if s.Type == cisco.AttrCreditTime {
				n, err := strconv.ParseInt(cisco.StripName(cisco.AttrName(s.Type), string(s.Value)), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
	}
	t.Fatal("Access-Accept without h323-credit-time")
	return 0
}
