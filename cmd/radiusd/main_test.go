package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"layeh.com/radius"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/org"
	"github.com/radbill/radbill/radiusd/cisco"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/rating/tariffcsv"
	"github.com/radbill/radbill/report"
	"github.com/radbill/radbill/store"
)

const secret = "s3cret-for-tests"

// harness is a radiusd started in-process on loopback with free ports.
type harness struct {
	t       *testing.T
	in      *instance
	db      *store.DB
	acct    string
	auth    string
	metrics string
}

// startServer runs radiusd on backend b with free ports; tweaks adjust the
// configuration first.
func startServer(t *testing.T, b testdb.Backend, tweaks ...func(*config.Config)) *harness {
	t.Helper()
	return startServerLogging(t, b, zaptest.NewLogger(t), tweaks...)
}

// startServerLogging is startServer with the server's logger.
func startServerLogging(t *testing.T, b testdb.Backend, log *zap.Logger, tweaks ...func(*config.Config)) *harness {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen.Auth, cfg.Listen.Acct, cfg.Listen.Metrics = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Database.Driver, cfg.Database.DSN = b.Driver, b.DSN
	cfg.Dictionaries = "../../dictionaries"
	cfg.Rating.ReloadInterval = 50 * time.Millisecond
	cfg.Spool.Dir = t.TempDir()
	for _, tweak := range tweaks {
		tweak(cfg)
	}
	cfg.Clients = []map[string]any{{"name": "gw-test", "address": "127.0.0.1", "secret": secret}}
	in, err := start(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	db := testdb.Open(t, b) // a second handle for assertions
	return &harness{t: t, in: in, db: db, acct: in.server.AcctAddr().String(), auth: in.server.AuthAddr().String(), metrics: in.metricsAddr.String()}
}

// ciscoStop builds the reference Stop of leg 2 with the given session id.
func ciscoStop(t *testing.T, sessionID string, extra ...func(*radius.Packet)) *radius.Packet {
	t.Helper()
	p := radius.New(radius.CodeAccountingRequest, []byte(secret))
	p.Add(40, radius.NewInteger(2))
	p.Add(1, []byte("1110001"))
	p.Add(44, []byte(sessionID))
	p.Add(31, []byte("1110001"))
	p.Add(30, []byte("2210001"))
	p.Add(4, radius.Attribute(net.ParseIP("192.168.81.101").To4()))
	p.Add(46, radius.NewInteger(99))
	p.Add(41, radius.NewInteger(0))
	addCisco(t, p, cisco.AttrConfID, "931C146B 0F4411D6 AB5591F0 CBF3D765")
	addCisco(t, p, cisco.AttrAVPair, "h323-incoming-conf-id=931C146B 0F4411D6 AB5591F0 CBF3D765")
	addCisco(t, p, cisco.AttrCallOrigin, "originate")
	addCisco(t, p, cisco.AttrCallType, "VoIP")
	addCisco(t, p, cisco.AttrSetupTime, "14:30:25.441 GMT Wed Jan 23 2002")
	addCisco(t, p, cisco.AttrConnectTime, "14:30:31.002 GMT Wed Jan 23 2002")
	addCisco(t, p, cisco.AttrDisconnectTime, "14:32:10.118 GMT Wed Jan 23 2002")
	addCisco(t, p, cisco.AttrDisconnectCause, "10")
	addCisco(t, p, cisco.AttrVoiceQuality, "0")
	addCisco(t, p, cisco.AttrRemoteAddress, "10.0.0.2")
	addCisco(t, p, cisco.AttrGatewayID, "OrigGW.")
	for _, f := range extra {
		f(p)
	}
	return p
}

func addCisco(t *testing.T, p *radius.Packet, attr byte, value string) {
	t.Helper()
	vsa, err := cisco.NewVSA(attr, value)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(26, vsa)
}

func setCisco(attr byte, value string) func(*radius.Packet) {
	return func(p *radius.Packet) {
		for _, a := range p.Attributes {
			if a.Type == 26 && len(a.Attribute) > 4 && a.Attribute[4] == attr {
				vsa, _ := cisco.NewVSA(attr, value)
				a.Attribute = vsa
			}
		}
	}
}

func encode(t *testing.T, p *radius.Packet) []byte {
	t.Helper()
	wire, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// exchange sends wire from a fresh socket (bound to from, "" for any) and
// returns the reply, or nil when none arrives within wait.
func exchange(t *testing.T, from, to string, wire []byte, wait time.Duration) []byte {
	t.Helper()
	var laddr *net.UDPAddr
	if from != "" {
		laddr = &net.UDPAddr{IP: net.ParseIP(from)}
	}
	raddr, _ := net.ResolveUDPAddr("udp", to)
	conn, err := net.DialUDP("udp", laddr, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return roundTrip(t, conn, wire, wait)
}

func roundTrip(t *testing.T, conn *net.UDPConn, wire []byte, wait time.Duration) []byte {
	t.Helper()
	if _, err := conn.Write(wire); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

func mustAck(t *testing.T, h *harness, wire []byte) []byte {
	t.Helper()
	return mustAckOn(t, h.dial(), wire)
}

// dial opens a client socket to the accounting port, as a gateway keeps one.
func (h *harness) dial() *net.UDPConn {
	h.t.Helper()
	raddr, _ := net.ResolveUDPAddr("udp", h.acct)
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { conn.Close() })
	return conn
}

func mustAckOn(t *testing.T, conn *net.UDPConn, wire []byte) []byte {
	t.Helper()
	reply := roundTrip(t, conn, wire, 3*time.Second)
	if reply == nil {
		t.Fatal("no Accounting-Response")
	}
	if radius.Code(reply[0]) != radius.CodeAccountingResponse || reply[1] != wire[1] || !radius.IsAuthenticResponse(reply, wire, []byte(secret)) {
		t.Fatalf("bad Accounting-Response % x", reply)
	}
	return reply
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(query, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// metric returns the value of the first sample whose line starts with prefix.
func (h *harness) metric(prefix string) float64 {
	h.t.Helper()
	return metricValue(h.t, "http://"+h.metrics+"/metrics", prefix)
}

// metricValue reads the Prometheus text at url and returns the value of the
// first sample whose line starts with prefix, or 0.
func metricValue(t *testing.T, url, prefix string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}

func TestAccountingStopIsStoredOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		wire := encode(t, ciscoStop(t, "000B5572"))
		gateway := h.dial()
		first := mustAckOn(t, gateway, wire)

		var c store.CDR
		if err := h.db.Get(&c, `SELECT id, call_time, client_name, nas_ip, acct_session_id, conf_id, call_origin, call_type,
			calling_number, called_number, called_number_norm, setup_time, connect_time, disconnect_time, duration_s, disconnect_cause,
			gw_id, clock_unsynced, parse_errors, direction, billed, zone, cost_micros, currency, rating_status FROM cdr`); err != nil {
			t.Fatal(err)
		}
		want := store.CDR{ID: c.ID, CallTime: "2002-01-23 14:30:31.002", ClientName: "gw-test", NASIP: "192.168.81.101",
			AcctSessionID: "000B5572", ConfID: "931C146B 0F4411D6 AB5591F0 CBF3D765", CallOrigin: "originate", CallType: "VoIP",
			CallingNumber: "1110001", CalledNumber: "2210001", CalledNorm: "2210001", GatewayID: "OrigGW.", Direction: "outgoing", RatingStatus: "not_billed"}
		if got := fmt.Sprintf("%+v", withoutPointers(c)); got != fmt.Sprintf("%+v", want) {
			t.Errorf("stored\n %s\nwant\n %s", got, fmt.Sprintf("%+v", want))
		}
		if *c.SetupTime != "2002-01-23 14:30:25.441" || *c.DisconnectTime != "2002-01-23 14:32:10.118" || *c.DurationS != 99 || *c.DisconnectCause != 16 {
			t.Errorf("times/duration/cause: %s %s %d %d", *c.SetupTime, *c.DisconnectTime, *c.DurationS, *c.DisconnectCause)
		}
		var raw string
		if err := h.db.Get(&raw, "SELECT raw FROM cdr"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{`["Acct-Status-Type","Stop"]`, `["h323-setup-time","h323-setup-time=14:30:25.441 GMT Wed Jan 23 2002"]`, `["Cisco-AVPair","h323-incoming-conf-id=931C146B 0F4411D6 AB5591F0 CBF3D765"]`} {
			if !strings.Contains(raw, s) {
				t.Errorf("raw lacks %s: %s", s, raw)
			}
		}

		// A retransmit (same identifier and authenticator) gets the same reply from the cache.
		if again := mustAckOn(t, gateway, wire); string(again) != string(first) {
			t.Error("retransmit answered with a different reply")
		}
		if v := h.metric(`radbill_retransmits_replayed_total{listener="acct"}`); v != 1 {
			t.Errorf("replayed = %v, want 1", v)
		}
		// The gateway's retry after a timeout: new identifier, new Acct-Delay-Time.
		retry := ciscoStop(t, "000B5572")
		retry.Set(41, radius.NewInteger(5))
		mustAck(t, h, encode(t, retry))
		if n := h.count("SELECT COUNT(*) FROM cdr"); n != 1 {
			t.Fatalf("%d CDRs after retransmit and retry, want 1", n)
		}
		if v := h.metric(`radbill_store_records_total{outcome="duplicate",status="Stop"}`); v != 1 {
			t.Errorf("duplicates counted %v, want 1", v)
		}
		// Another leg of the same call (answer leg, another session) is a new row.
		mustAck(t, h, encode(t, ciscoStop(t, "000B5571", setCisco(cisco.AttrCallOrigin, "answer"))))
		if n := h.count("SELECT COUNT(*) FROM cdr WHERE conf_id = '931C146B 0F4411D6 AB5591F0 CBF3D765'"); n != 2 {
			t.Fatalf("%d legs of the call stored, want 2", n)
		}
	})
}

func withoutPointers(c store.CDR) store.CDR {
	c.SetupTime, c.ConnectTime, c.DisconnectTime, c.DurationS, c.DisconnectCause, c.Zone, c.CostMicros, c.Currency = nil, nil, nil, nil, nil, nil, nil, nil
	return c
}

func TestAccountingKeepsUnparsableValuesAndClockFlags(t *testing.T) {
	h := startServer(t, testdb.SQLite(t))
	p := ciscoStop(t, "0000AAAA",
		setCisco(cisco.AttrSetupTime, "*14:30:25.441 GMT Wed Jan 23 2002"),
		setCisco(cisco.AttrConnectTime, "not a time"),
		setCisco(cisco.AttrDisconnectCause, "zz"))
	p.Add(31, []byte("evil'; DROP TABLE cdr; --\x00\xff"))
	mustAck(t, h, encode(t, p))
	var row struct {
		Unsynced    bool    `db:"clock_unsynced"`
		Errors      string  `db:"parse_errors"`
		Connect     *string `db:"connect_time"`
		Cause       *int64  `db:"disconnect_cause"`
		Setup       *string `db:"setup_time"`
		Raw         string  `db:"raw"`
		CallingLast string  `db:"calling_number"`
	}
	if err := h.db.Get(&row, "SELECT clock_unsynced, parse_errors, connect_time, disconnect_cause, setup_time, raw, calling_number FROM cdr"); err != nil {
		t.Fatal(err)
	}
	if !row.Unsynced || row.Connect != nil || row.Cause != nil || row.Setup == nil {
		t.Errorf("flags/values wrong: %+v", row)
	}
	if row.Errors != "h323-connect-time,h323-disconnect-cause" {
		t.Errorf("parse_errors = %q", row.Errors)
	}
	if !strings.Contains(row.Raw, `"h323-connect-time=not a time"`) || !strings.Contains(row.Raw, `"0x6576696c273b2044524f50205441424c45206364723b202d2d00ff"`) {
		t.Errorf("raw does not keep the bad values: %s", row.Raw)
	}
	if row.CallingLast != "evil'; DROP TABLE cdr; --\x00\xff" {
		t.Errorf("calling number not stored verbatim: %q", row.CallingLast)
	}
}

func TestActiveCallsFollowStartInterimStopAndAccountingOn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		status := func(s uint32) func(*radius.Packet) {
			return func(p *radius.Packet) { p.Set(40, radius.NewInteger(s)) }
		}
		mustAck(t, h, encode(t, ciscoStop(t, "00000001", status(1))))
		mustAck(t, h, encode(t, ciscoStop(t, "00000002", status(1))))
		mustAck(t, h, encode(t, ciscoStop(t, "00000001", status(3))))
		if n := h.count("SELECT COUNT(*) FROM active_call"); n != 2 {
			t.Fatalf("%d active calls, want 2", n)
		}
		mustAck(t, h, encode(t, ciscoStop(t, "00000001")))
		if n := h.count("SELECT COUNT(*) FROM active_call WHERE acct_session_id = '00000002'"); n != 1 || h.count("SELECT COUNT(*) FROM active_call") != 1 {
			t.Fatal("Stop did not end exactly its own leg")
		}
		on := radius.New(radius.CodeAccountingRequest, []byte(secret))
		on.Add(40, radius.NewInteger(7))
		on.Add(4, radius.Attribute(net.ParseIP("192.168.81.101").To4()))
		mustAck(t, h, encode(t, on))
		if n := h.count("SELECT COUNT(*) FROM active_call"); n != 0 {
			t.Fatalf("Accounting-On left %d calls open", n)
		}
		if n := h.count("SELECT COUNT(*) FROM cdr"); n != 1 {
			t.Fatalf("%d CDRs, want 1", n)
		}
	})
}

func TestBadPacketsAreDroppedAndCounted(t *testing.T) {
	h := startServer(t, testdb.SQLite(t))
	good := encode(t, ciscoStop(t, "0000BEEF"))

	if exchange(t, "127.0.0.2", h.acct, good, 300*time.Millisecond) != nil {
		t.Error("answered a packet from an unknown client")
	}
	wrong := ciscoStop(t, "0000BEEF")
	wrong.Secret = []byte("not-the-secret")
	if exchange(t, "", h.acct, encode(t, wrong), 300*time.Millisecond) != nil {
		t.Error("answered a packet with a wrong Request Authenticator")
	}
	garbage := make([]byte, 64)
	_, _ = rand.Read(garbage)
	garbage[2], garbage[3] = 0x0f, 0xff // length lies
	if exchange(t, "", h.acct, garbage, 300*time.Millisecond) != nil {
		t.Error("answered garbage")
	}
	lying := append([]byte(nil), good...)
	lying[21] = 250 // first attribute claims to run past the end
	if exchange(t, "", h.acct, lying, 300*time.Millisecond) != nil {
		t.Error("answered a packet with a lying attribute length")
	}
	access := radius.New(radius.CodeAccessRequest, []byte(secret))
	if exchange(t, "", h.acct, encode(t, access), 300*time.Millisecond) != nil {
		t.Error("answered an Access-Request on the accounting port")
	}
	mustAck(t, h, good) // the server is still fine

	for labels, want := range map[string]float64{
		`client="",listener="acct",reason="unknown_client"`:           1,
		`client="gw-test",listener="acct",reason="bad_authenticator"`: 1,
		`client="gw-test",listener="acct",reason="malformed"`:         2,
		`client="gw-test",listener="acct",reason="unexpected_code"`:   1,
	} {
		if v := h.metric(`radbill_drops_total{` + labels + `}`); v != want {
			t.Errorf("drops {%s} = %v, want %v", labels, v, want)
		}
	}
	if n := h.count("SELECT COUNT(*) FROM cdr"); n != 1 {
		t.Fatalf("%d CDRs, want 1", n)
	}
}

func TestHealthz(t *testing.T) {
	h := startServer(t, testdb.SQLite(t))
	resp, err := http.Get("http://" + h.metrics + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok; spool: 0 records, 0 bytes" {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	h.in.db.Close() // the database goes away
	resp, err = http.Get("http://" + h.metrics + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d, want 503", resp.StatusCode)
	}
}

// lookRadclient finds FreeRADIUS's radclient: required under CI, else the
// test is skipped loudly.
func lookRadclient(t *testing.T) string {
	t.Helper()
	radclient, err := exec.LookPath("radclient")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("radclient not installed under CI (apt-get install freeradius-utils)")
		}
		testdb.SkipLoudly(t, "radclient tests: radclient is not installed (apt-get install freeradius-utils)")
	}
	return radclient
}

// TestRadclient sends the README's demo Stop with FreeRADIUS's radclient.
func TestRadclient(t *testing.T) {
	radclient := lookRadclient(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		packets, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo", "stop.txt"))
		if err != nil {
			t.Fatal(err)
		}
		// Send the same Stop twice (radclient -n 2 would reuse nothing): two
		// separate runs are a gateway retrying with a new packet id.
		for range 2 {
			cmd := exec.Command(radclient, "-x", "-r", "1", "-t", "3", h.acct, "acct", secret)
			cmd.Stdin = strings.NewReader(string(packets))
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Accounting-Response") {
				t.Fatalf("radclient: %v\n%s", err, out)
			}
		}
		var called, conf, gw string
		var duration int
		if err := h.db.QueryRow("SELECT called_number, conf_id, gw_id, duration_s FROM cdr").Scan(&called, &conf, &gw, &duration); err != nil {
			t.Fatal(err)
		}
		if called != "35988123456" || conf != "931C146B 0F4411D6 AB5591F0 CBF3D765" || gw != "OrigGW." || duration != 99 {
			t.Errorf("stored %q %q %q %d", called, conf, gw, duration)
		}
		if n := h.count("SELECT COUNT(*) FROM cdr"); n != 1 {
			t.Fatalf("%d CDRs after the same Stop twice, want 1", n)
		}
	})
}

// TestLimitsOfThePacketFormat: a full 4096-byte packet and 253-byte values
// are stored verbatim; a datagram over 4096 bytes and an unknown code are
// dropped and counted.
func TestLimitsOfThePacketFormat(t *testing.T) {
	h := startServer(t, testdb.SQLite(t))
	long := strings.Repeat("9", 253)
	p := ciscoStop(t, "BIG", func(p *radius.Packet) { p.Set(30, radius.Attribute(long)) })
	wire := encode(t, p)
	for len(wire) < 4096-255 {
		p.Add(18, radius.Attribute(strings.Repeat("r", 253))) // Reply-Message as filler
		wire = encode(t, p)
	}
	p.Add(18, radius.Attribute(strings.Repeat("r", 4096-len(wire)-2)))
	wire = encode(t, p)
	if len(wire) != 4096 {
		t.Fatalf("built a %d-byte packet", len(wire))
	}
	mustAck(t, h, wire)
	var called string
	if err := h.db.Get(&called, "SELECT called_number FROM cdr WHERE acct_session_id = 'BIG'"); err != nil || called != long {
		t.Fatalf("253-byte number stored as %q (%v)", called, err)
	}

	tooLong := append(append([]byte(nil), wire...), 0)
	if exchange(t, "", h.acct, tooLong, 300*time.Millisecond) != nil {
		t.Error("answered a 4097-byte datagram")
	}
	unknown := encode(t, ciscoStop(t, "X"))
	unknown[0] = 99
	if exchange(t, "", h.acct, unknown, 300*time.Millisecond) != nil {
		t.Error("answered code 99")
	}
	if v := h.metric(`radbill_drops_total{client="gw-test",listener="acct",reason="malformed"}`); v != 1 {
		t.Errorf("malformed drops %v", v)
	}
	if v := h.metric(`radbill_drops_total{client="gw-test",listener="acct",reason="unexpected_code"}`); v != 1 {
		t.Errorf("unexpected code drops %v", v)
	}
}

// TestReadmeTour runs the README's tour with radclient and the demo files:
// the demo tariff and rules, a prepaid card's two Access-Requests and its
// Stop, an enterprise user's Stop, with the figures the README shows.
func TestReadmeTour(t *testing.T) {
	radclient := lookRadclient(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		h := startServer(t, b)
		ctx := context.Background()
		var files []tariffcsv.File
		var rules []normalize.Rule
		paths, _ := filepath.Glob("../../scripts/demo/tariff/*.csv")
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if filepath.Base(p) == "rules.csv" {
				if rules, err = normalize.ReadCSV("rules.csv", f); err != nil {
					t.Fatal(err)
				}
				continue
			}
			files = append(files, tariffcsv.File{Name: filepath.Base(p), Reader: f})
		}
		var data rating.TariffData
		if err := tariffcsv.ReadAll(&data, files...); err != nil {
			t.Fatal(err)
		}
		if err := h.db.ImportTariffsAndRules(ctx, data, rules); err != nil {
			t.Fatal(err)
		}
		if err := h.db.SetGateway(ctx, "gw-test", "retail", false); err != nil {
			t.Fatal(err)
		}
		svc := limits.New(h.db, limits.Options{})
		retail, _ := h.db.PlanID(ctx, "retail")
		business, _ := h.db.PlanID(ctx, "business")
		if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: "5550001", PIN: "4321", PlanID: retail, InitialBalance: 10_000_000,
			MaxConcurrentCalls: 3, MaxCreditTime: 10 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		o := org.New(h.db)
		sofia, err := o.CreateBranch(ctx, "Sofia")
		if err != nil {
			t.Fatal(err)
		}
		sales, err := o.CreateDepartment(ctx, sofia.ID, "Sales")
		if err != nil {
			t.Fatal(err)
		}
		maria, err := svc.CreateUser(ctx, limits.NewUser{Name: "Maria Ivanova", Email: "maria@example.com", PlanID: business, Numbers: []string{"1110002"},
			DepartmentID: sales.ID, Limit: limits.Limit{Type: limits.LimitNotification, Amount: 1_250_000, WarningPercent: 80}})
		if err != nil {
			t.Fatal(err)
		}
		h.publishTables()
		send := func(file, addr, kind string) string {
			t.Helper()
			packets, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo", file))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(radclient, "-x", "-r", "1", "-t", "3", addr, kind, secret)
			cmd.Stdin = strings.NewReader(string(packets))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("radclient %s: %v\n%s", file, err, out)
			}
			return string(out)
		}
		send("stop.txt", h.acct, "acct")
		if out := send("card-auth1.txt", h.auth, "auth"); !strings.Contains(out, "Access-Accept") || !strings.Contains(out, `"h323-credit-amount=10.00"`) {
			t.Errorf("stage 1:\n%s", out)
		}
		if out := send("card-auth2.txt", h.auth, "auth"); !strings.Contains(out, "Access-Accept") || !strings.Contains(out, `"h323-credit-time=600"`) {
			t.Errorf("stage 2:\n%s", out)
		}
		send("card-stop.txt", h.acct, "acct")
		// The README puts the gateway in Sofia here: the calls before stay
		// in no branch.
		if err := o.SetGatewayBranch(ctx, "gw-test", sofia.ID); err != nil {
			t.Fatal(err)
		}
		h.publishTables()
		send("user-stop.txt", h.acct, "acct")
		card, err := svc.Account(ctx, "5550001")
		if err != nil || card.Balance != 9_270_000 || card.Reserved != 0 {
			t.Errorf("card: balance %s, reserved %s, %v; want 9.27, 0", card.Balance, card.Reserved, err)
		}
		usage, err := svc.UserUsage(ctx, maria.ID)
		if err != nil || usage.Spend != 1_070_000 {
			t.Errorf("Maria's spend %s, %v; want 1.07", usage.Spend, err)
		}
		if n := h.count("SELECT COUNT(*) FROM limit_notification WHERE user_id = ? AND threshold = 'warning' AND spend_micros = 1070000", maria.ID); n != 1 {
			t.Errorf("%d warnings for Maria, want 1", n)
		}
		var demo int64
		if err := h.db.Get(&demo, "SELECT cost_micros FROM cdr WHERE acct_session_id = '000B5572'"); err != nil || demo != 610_000 {
			t.Errorf("the demo Stop costs %d (%v), want 0.61", demo, err)
		}
		// The README's reports.
		january := time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)
		byBranch, err := report.Cost(ctx, h.db, report.CostQuery{By: report.ByBranch, From: january, To: january.AddDate(0, 1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(costLines(byBranch)); got != "[(no branch) 2 1.340000 Sofia 1 1.070000 TOTAL 3 2.410000]" {
			t.Errorf("cost by branch: %s", got)
		}
		split, err := report.InvoiceSplit(ctx, h.db, report.SplitQuery{Month: january, Total: 3_000_000, Decimals: 2, By: report.ByDepartment})
		if err != nil {
			t.Fatal(err)
		}
		if len(split.Lines) != 2 || split.Lines[0].Label != "(no department)" || split.Lines[0].Share != 1_670_000 ||
			split.Lines[1].Label != "Sofia/Sales" || split.Lines[1].Share != 1_330_000 || split.Difference != 590_000 {
			t.Errorf("invoice split: %+v", split)
		}
	})
}

// costLines are a cost report's lines and totals as label, calls, cost.
func costLines(r report.CostReport) []string {
	var out []string
	for _, l := range append(r.Lines, r.Totals...) {
		out = append(out, l.Label, strconv.FormatInt(l.Out.Calls+l.In.Calls, 10), l.Cost().String())
	}
	return out
}
