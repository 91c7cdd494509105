package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"layeh.com/radius"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/radiusd/cisco"
)

// dbProxy forwards TCP to the database and can cut it off, standing in for
// a database that goes away and comes back.
type dbProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newDBProxy(t *testing.T, target string) *dbProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

// cut drops every connection and refuses new ones until heal.
func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *dbProxy) heal() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestDatabaseOutageSpoolsAndReplays: while the database is away, Stops are
// acknowledged from the local spool; when it is back they are replayed in
// order, each exactly once, retransmits included.
func TestDatabaseOutageSpoolsAndReplays(t *testing.T) {
	b := testdb.MySQL(t)
	cfg, err := mysql.ParseDSN(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, cfg.Addr)
	viaProxy := *cfg
	viaProxy.Addr = proxy.ln.Addr().String()
	viaProxy.Timeout = time.Second
	h := startServer(t, testdb.Backend{Driver: b.Driver, DSN: viaProxy.FormatDSN()})
	h.db = testdb.Open(t, b) // assertions go straight to the database

	for i := range 20 {
		mustAck(t, h, encode(t, ciscoStop(t, fmt.Sprintf("UP%03d", i))))
	}
	proxy.cut()
	start := time.Now()
	var down [][]byte
	for i := range 30 {
		wire := encode(t, ciscoStop(t, fmt.Sprintf("DOWN%03d", i)))
		down = append(down, wire)
		mustAck(t, h, wire)
	}
	t.Logf("30 Stops acknowledged from the spool in %s with the database away", time.Since(start).Round(time.Millisecond))
	if n := h.count("SELECT COUNT(*) FROM cdr"); n != 20 {
		t.Fatalf("%d CDRs while the database was cut off, want 20", n)
	}
	resp, err := http.Get("http://" + h.metrics + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "spool: 30 records") {
		t.Fatalf("healthz during the outage: %d %s", resp.StatusCode, body)
	}
	if v := h.metric("radbill_spool_records"); v != 30 {
		t.Fatalf("radbill_spool_records = %v", v)
	}

	proxy.heal()
	for deadline := time.Now().Add(20 * time.Second); h.metric("radbill_spool_records") != 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("spool not replayed after the database came back")
		}
	}
	// Gateway retries of Stops that were spooled are duplicates now.
	for _, wire := range down[:5] {
		mustAck(t, h, wire)
	}
	if n := h.count("SELECT COUNT(*) FROM cdr"); n != 50 {
		t.Fatalf("%d CDRs after the replay, want 50", n)
	}
	if n := h.count("SELECT COUNT(DISTINCT acct_session_id) FROM cdr"); n != 50 {
		t.Fatalf("%d distinct legs, want 50", n)
	}
	if v := h.metric(`radbill_store_records_total{outcome="spooled",status="Stop"}`); v != 30 {
		t.Errorf("spooled records counted %v, want 30", v)
	}
}

// TestAuthorizationDuringOutage: with the database away, fail closed rejects
// with code 8; fail open accepts a card known before the outage with the
// configured credit time, and still rejects an unknown one.
func TestAuthorizationDuringOutage(t *testing.T) {
	b := testdb.MySQL(t)
	cfg, err := mysql.ParseDSN(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []string{"closed", "open"} {
		t.Run(policy, func(t *testing.T) {
			proxy := newDBProxy(t, cfg.Addr)
			viaProxy := *cfg
			viaProxy.Addr = proxy.ln.Addr().String()
			h := startServer(t, testdb.Backend{Driver: b.Driver, DSN: viaProxy.FormatDSN()}, func(c *config.Config) {
				c.Authorize.OutagePolicy, c.Authorize.OutageCreditTime = policy, 90*time.Second
			})
			h.db = testdb.Open(t, b)
			ctx := context.Background()
			if policy == "closed" {
				if err := h.db.ImportTariffs(ctx, flatTariff()); err != nil {
					t.Fatal(err)
				}
				plan, _ := h.db.PlanID(ctx, "cards")
				if _, err := limits.New(h.db, limits.Options{}).CreateAccount(ctx, limits.NewAccount{Number: "5550002", PIN: "1234", PlanID: plan,
					Currency: "EUR", InitialBalance: 5_000_000, MaxConcurrentCalls: 1}); err != nil {
					t.Fatal(err)
				}
			}
			h.publishTables()
			proxy.cut()

			code, vsas := h.access(accessRequest(t, "5550002", "1234", "35988123456", "931C146B 0F4411D6 AB5591F0 0000000A"))
			switch policy {
			case "closed":
				if code != radius.CodeAccessReject || vsas[cisco.AttrReturnCode] != "8" {
					t.Fatalf("fail closed: %v %v", code, vsas)
				}
			case "open":
				if code != radius.CodeAccessAccept || vsas[cisco.AttrCreditTime] != "90" {
					t.Fatalf("fail open, known card: %v %v", code, vsas)
				}
				if code, vsas := h.access(accessRequest(t, "5559999", "1234", "35988123456", "931C146B 0F4411D6 AB5591F0 0000000B")); code != radius.CodeAccessReject || vsas[cisco.AttrReturnCode] != "8" {
					t.Fatalf("fail open, unknown card: %v %v", code, vsas)
				}
			}
		})
	}
}
