package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radbill/radbill/internal/testdb"
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
