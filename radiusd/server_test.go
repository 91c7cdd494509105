package radiusd

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap/zaptest"
	"layeh.com/radius"
)

const testSecret = "radiusd-test"

// echoAccounting acknowledges every request, and panics on User-Name "boom".
type echoAccounting struct{}

func (echoAccounting) ServeRADIUS(w ResponseWriter, r *Request) {
	if string(r.Get(1)) == "boom" {
		panic("handler bug")
	}
	w.Reply(r.Response(radius.CodeAccountingResponse))
}

// startTestServer serves on loopback with the given clients, by default one
// client for all of 127.0.0.0/8 with the default policies.
func startTestServer(t *testing.T, configs ...ClientConfig) *Server {
	t.Helper()
	return startServer(t, Config{}, echoAccounting{}, configs...)
}

// startServer is startTestServer with cfg's addresses (default loopback),
// MaxInFlightPerSource and stream listeners, and the accounting handler
// acct.
func startServer(t *testing.T, cfg Config, acct Handler, configs ...ClientConfig) *Server {
	t.Helper()
	if len(configs) == 0 {
		configs = []ClientConfig{{Name: "lo", Address: "127.0.0.0/8", Secret: testSecret}}
	}
	clients, err := NewClients(configs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{AuthAddr: cmp.Or(cfg.AuthAddr, "127.0.0.1:0"), AcctAddr: cmp.Or(cfg.AcctAddr, "127.0.0.1:0"), Workers: 2, QueueSize: 16, ReplyCacheTTL: time.Second,
		MaxInFlightPerSource: cfg.MaxInFlightPerSource, TCPAddr: cfg.TCPAddr, TLSAddr: cfg.TLSAddr, TLS: cfg.TLS},
		clients, RejectAccess{}, acct, prometheus.NewRegistry(), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	return s
}

func send(t *testing.T, to net.Addr, wire []byte) []byte {
	t.Helper()
	conn, err := net.Dial("udp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(wire); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// sendBurst sends n accounting requests at once from one socket, which it
// returns (closed when the test ends) to read the answers from.
func sendBurst(t *testing.T, to net.Addr, n int) net.Conn {
	t.Helper()
	conn, err := net.Dial("udp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for i := range n {
		if _, err := conn.Write(accountingRequest(t, fmt.Sprint("u", i))); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

func accountingRequest(t *testing.T, user string) []byte {
	p := radius.New(radius.CodeAccountingRequest, []byte(testSecret))
	p.Add(1, radius.Attribute(user))
	wire, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// TestIPv6AndDualStackListeners: the reader's batch reads and the outbox
// serve IPv6 sockets too. An IPv6 listener answers an IPv6 client; a
// dual-stack one (":port") answers an IPv4 client, whose address it reads
// IPv4-mapped and still matches to that client's entry.
func TestIPv6AndDualStackListeners(t *testing.T) {
	listenUDP(t, "[::1]:0") // skips the test where there is no IPv6 loopback
	clients := []ClientConfig{{Name: "v6", Address: "::1", Secret: testSecret}, {Name: "lo", Address: "127.0.0.0/8", Secret: testSecret}}
	for _, c := range []struct{ listen, client, name string }{{"[::1]:0", "::1", "v6"}, {":0", "127.0.0.1", "lo"}} {
		s := startServer(t, Config{AuthAddr: c.listen, AcctAddr: c.listen}, echoAccounting{}, clients...)
		to := &net.UDPAddr{IP: net.ParseIP(c.client), Port: s.AcctAddr().(*net.UDPAddr).Port}
		if send(t, to, accountingRequest(t, "v6")) == nil {
			t.Fatalf("listener %s: no answer to %s", c.listen, c.client)
		}
		if v := testutil.ToFloat64(s.metrics.packets.WithLabelValues("acct", "Accounting-Request", "Accounting-Response")); v != 1 {
			t.Fatalf("listener %s: %v answers counted, want 1", c.listen, v)
		}
	}
}

// slowAccounting answers after a delay, as accounting answers after its
// batch commits.
type slowAccounting struct{ delay time.Duration }

func (h slowAccounting) ServeRADIUS(w ResponseWriter, r *Request) {
	time.Sleep(h.delay)
	w.Reply(r.Response(radius.CodeAccountingResponse))
}

// TestReplyLatencyByClient: radbill_reply_seconds times a request from its
// arrival to its reply, under its client's name.
func TestReplyLatencyByClient(t *testing.T) {
	s := startServer(t, Config{}, slowAccounting{30 * time.Millisecond})
	if send(t, s.AcctAddr(), accountingRequest(t, "slow")) == nil {
		t.Fatal("no answer")
	}
	var m dto.Metric
	if err := s.metrics.replySeconds.WithLabelValues("acct", "lo").(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	h := m.GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() < 0.03 || h.GetSampleSum() > 1 {
		t.Fatalf("%d replies observed taking %.3f s in all, want 1 taking 0.03 s or a little more", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		switch ub, n := b.GetUpperBound(), b.GetCumulativeCount(); {
		case ub < 0.03 && n != 0:
			t.Fatalf("a 30 ms reply counted under le=%g", ub)
		case ub >= 1 && n != 1:
			t.Fatalf("bucket le=%g holds %d replies, want 1", ub, n)
		}
	}
}

func TestPanicInHandlerIsContained(t *testing.T) {
	// One request in flight per source: a panicked request must not keep
	// its source's place, or the next request would be dropped.
	s := startServer(t, Config{MaxInFlightPerSource: 1}, echoAccounting{})
	if send(t, s.AcctAddr(), accountingRequest(t, "boom")) != nil {
		t.Fatal("a panicking request was answered")
	}
	if send(t, s.AcctAddr(), accountingRequest(t, "fine")) == nil {
		t.Fatal("the server stopped answering after a panic")
	}
	if v := testutil.ToFloat64(s.metrics.drops.WithLabelValues("lo", "acct", DropPanic)); v != 1 {
		t.Fatalf("panics counted %v, want 1", v)
	}
	// The panicking request was forgotten by the reply cache, so its
	// retransmit is handled again rather than ignored as in flight.
	if send(t, s.AcctAddr(), accountingRequest(t, "boom")); testutil.ToFloat64(s.metrics.drops.WithLabelValues("lo", "acct", DropPanic)) != 2 {
		t.Fatal("retransmit of a panicked request was not processed again")
	}
}

func withMessageAuthenticator(t *testing.T, p *radius.Packet, corrupt bool) []byte {
	p.Attributes = append(radius.Attributes{{Type: attrMessageAuthenticator, Attribute: make([]byte, 16)}}, p.Attributes...)
	wire, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(md5.New, []byte(testSecret))
	mac.Write(wire)
	sum := mac.Sum(nil)
	if corrupt {
		sum[0] ^= 1
	}
	copy(wire[22:38], sum)
	return wire
}

func TestAccessReplyCarriesMessageAuthenticatorFirst(t *testing.T) {
	s := startTestServer(t)
	req := radius.New(radius.CodeAccessRequest, []byte(testSecret))
	req.Add(1, radius.Attribute("card"))
	if send(t, s.AuthAddr(), withMessageAuthenticator(t, req, true)) != nil {
		t.Fatal("answered a request whose Message-Authenticator is wrong")
	}
	req = radius.New(radius.CodeAccessRequest, []byte(testSecret))
	req.Add(1, radius.Attribute("card"))
	proxyState := radius.Attribute("proxy-1")
	req.Add(attrProxyState, proxyState)
	wire := withMessageAuthenticator(t, req, false)
	reply := send(t, s.AuthAddr(), wire)
	if reply == nil {
		t.Fatal("no reply")
	}
	if !radius.IsAuthenticResponse(reply, wire, []byte(testSecret)) || radius.Code(reply[0]) != radius.CodeAccessReject {
		t.Fatal("reply is not an authentic Access-Reject")
	}
	if reply[20] != attrMessageAuthenticator || reply[21] != 18 {
		t.Fatalf("first attribute is %d, want Message-Authenticator", reply[20])
	}
	check := append([]byte(nil), reply...)
	copy(check[4:20], wire[4:20])
	clear(check[22:38])
	mac := hmac.New(md5.New, []byte(testSecret))
	mac.Write(check)
	if !hmac.Equal(mac.Sum(nil), reply[22:38]) {
		t.Fatal("reply Message-Authenticator does not verify")
	}
	p, err := radius.Parse(reply, []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Get(attrProxyState)) != "proxy-1" {
		t.Error("Proxy-State not echoed")
	}
	vsa := p.Get(26)
	if len(vsa) < 6 || string(vsa[6:]) != "h323-return-code=8" {
		t.Errorf("return code VSA = %q", vsa)
	}
	if v := testutil.ToFloat64(s.metrics.drops.WithLabelValues("lo", "auth", DropBadMessageAuth)); v != 1 {
		t.Errorf("bad Message-Authenticator drops = %v", v)
	}
}

func TestStatusServer(t *testing.T) {
	s := startTestServer(t)
	p := radius.New(radius.CodeStatusServer, []byte(testSecret))
	if send(t, s.AcctAddr(), mustEncode(t, p)) != nil {
		t.Fatal("Status-Server without Message-Authenticator answered")
	}
	p = radius.New(radius.CodeStatusServer, []byte(testSecret))
	reply := send(t, s.AcctAddr(), withMessageAuthenticator(t, p, false))
	if reply == nil || radius.Code(reply[0]) != radius.CodeAccountingResponse {
		t.Fatalf("Status-Server on the accounting port: % x", reply)
	}
}

func mustEncode(t *testing.T, p *radius.Packet) []byte {
	wire, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

func TestClientsMostSpecificWins(t *testing.T) {
	cs, err := NewClients([]ClientConfig{
		{Name: "net", Address: "10.0.0.0/8", Secret: "a"},
		{Name: "host", Address: "10.1.2.3", Secret: "b"},
		{Name: "v6", Address: "2001:db8::/32", Secret: "c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"10.1.2.3": "host", "10.9.9.9": "net", "::ffff:10.1.2.3": "host", "2001:db8::1": "v6", "192.0.2.1": ""} {
		got := ""
		if c := cs.Lookup(netip.MustParseAddr(addr)); c != nil {
			got = c.Name
		}
		if got != want {
			t.Errorf("%s → %q, want %q", addr, got, want)
		}
	}
	for _, bad := range [][]ClientConfig{
		{{Name: "x", Address: "10.0.0.1"}},
		{{Name: "x", Address: "nope", Secret: "s"}},
		{{Name: "x", Address: "10.0.0.1", Secret: "s"}, {Name: "y", Address: "10.0.0.1/32", Secret: "t"}},
	} {
		if _, err := NewClients(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestReplyCache(t *testing.T) {
	c := newReplyCache(time.Second)
	k := replyKey{source: netip.MustParseAddrPort("127.0.0.1:5000"), identifier: 7}
	now := time.Now()
	if st, _ := c.begin(k, now); st != cacheNew {
		t.Fatal("first copy not new")
	}
	if st, _ := c.begin(k, now); st != cacheInFlight {
		t.Fatal("second copy while in flight not ignored")
	}
	c.answered(k, []byte("reply"), now)
	if st, r := c.begin(k, now.Add(500*time.Millisecond)); st != cacheAnswered || string(r) != "reply" {
		t.Fatal("answered request not replayed")
	}
	c.sweep(now.Add(2 * time.Second))
	if c.len() != 0 {
		t.Fatal("expired entry not swept")
	}
	k2 := k
	k2.authenticator[0] = 1 // same id, new authenticator: a new request
	if st, _ := c.begin(k2, now); st != cacheNew {
		t.Fatal("new authenticator treated as retransmit")
	}

	// An answer that expired and whose request came again is in flight
	// again: the sweep of the old answer must leave it.
	k3 := k
	k3.identifier = 8
	c.begin(k3, now)
	c.answered(k3, []byte("old"), now)
	if st, _ := c.begin(k3, now.Add(1500*time.Millisecond)); st != cacheNew {
		t.Fatal("request after its answer expired not processed anew")
	}
	c.sweep(now.Add(2 * time.Second))
	if st, _ := c.begin(k3, now.Add(2*time.Second)); st != cacheInFlight {
		t.Fatalf("the sweep removed a request in flight (state %v)", st)
	}
}

func TestBlastRADIUSPolicies(t *testing.T) {
	type request struct {
		messageAuth, proxyState bool
		want                    string
	}
	for _, c := range []struct {
		name           string
		require, limit Policy
		requests       []request
	}{
		{"require yes", Yes, No, []request{{false, false, DropMissingMessageAuth}, {true, false, ""}}},
		{"require no", No, No, []request{{true, false, ""}, {false, false, ""}}},
		// Old IOS doing PAP never sends one and keeps working; a client that
		// has sent one cannot be downgraded.
		{"require auto", Auto, No, []request{{false, false, ""}, {false, false, ""}, {true, false, ""}, {false, false, DropMissingMessageAuth}}},
		{"limit yes", No, Yes, []request{{false, true, DropProxyStateWithoutMessageAuth}, {true, true, ""}, {false, false, ""}}},
		{"limit auto, not a proxy", No, Auto, []request{{false, false, ""}, {false, true, DropProxyStateWithoutMessageAuth}}},
		{"limit auto, a proxy", No, Auto, []request{{false, true, ""}, {false, true, ""}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := &Client{RequireMessageAuthenticator: c.require, LimitProxyState: c.limit}
			for i, r := range c.requests {
				if got := client.checkBlastRADIUS(r.messageAuth, r.proxyState); got != r.want {
					t.Errorf("request %d (%+v): %q, want %q", i, r, got, r.want)
				}
			}
		})
	}
	if _, err := NewClients([]ClientConfig{{Name: "x", Address: "10.0.0.1", Secret: "s", LimitProxyState: "maybe"}}); err == nil {
		t.Error("policy maybe accepted")
	}
}

func TestRequireMessageAuthenticatorAutoOverUDP(t *testing.T) {
	s := startTestServer(t) // the test client has the default policies: auto
	plain := func() []byte {
		p := radius.New(radius.CodeAccessRequest, []byte(testSecret))
		p.Add(1, radius.Attribute("card"))
		return mustEncode(t, p)
	}
	signed := func() []byte {
		p := radius.New(radius.CodeAccessRequest, []byte(testSecret))
		p.Add(1, radius.Attribute("card"))
		return withMessageAuthenticator(t, p, false)
	}
	if send(t, s.AuthAddr(), plain()) == nil {
		t.Fatal("a client that never signed was refused")
	}
	if send(t, s.AuthAddr(), signed()) == nil {
		t.Fatal("signed request refused")
	}
	if send(t, s.AuthAddr(), plain()) != nil {
		t.Fatal("unsigned request answered after the client had signed one")
	}
	if v := testutil.ToFloat64(s.metrics.drops.WithLabelValues("lo", "auth", DropMissingMessageAuth)); v != 1 {
		t.Errorf("missing Message-Authenticator drops = %v", v)
	}
}

func TestRateLimitedClientIsShed(t *testing.T) {
	s := startTestServer(t, ClientConfig{Name: "noisy", Address: "127.0.0.1", Secret: testSecret, RateLimit: 5, RateBurst: 5})
	conn := sendBurst(t, s.AcctAddr(), 50)
	answered := 0
	buf := make([]byte, 4096)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := conn.Read(buf); err != nil {
			break
		}
		answered++
	}
	limited := testutil.ToFloat64(s.metrics.drops.WithLabelValues("noisy", "acct", DropRateLimited))
	if answered < 5 || answered > 8 || int(limited)+answered != 50 {
		t.Fatalf("answered %d, rate-limited %v of 50 sent at once with rate 5/s burst 5", answered, limited)
	}
}

// heldAccounting hands every request's ResponseWriter to held, unanswered.
type heldAccounting struct{ held chan ResponseWriter }

func (h heldAccounting) ServeRADIUS(w ResponseWriter, r *Request) { h.held <- w }

func TestSourceAtItsInFlightLimitIsShed(t *testing.T) {
	h := heldAccounting{held: make(chan ResponseWriter, 16)}
	s := startServer(t, Config{MaxInFlightPerSource: 3}, h)
	busy := func() float64 {
		return testutil.ToFloat64(s.metrics.drops.WithLabelValues("lo", "acct", DropSourceBusy))
	}
	flooder := sendBurst(t, s.AcctAddr(), 5)
	var taken []ResponseWriter
	for range 3 {
		select {
		case w := <-h.held:
			taken = append(taken, w)
		case <-time.After(2 * time.Second):
			t.Fatalf("the handler got %d requests, want 3", len(taken))
		}
	}
	for deadline := time.Now().Add(2 * time.Second); busy() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if v := busy(); v != 2 || len(h.held) != 0 {
		t.Fatalf("source_busy drops %v (want 2), %d more requests reached the handler", v, len(h.held))
	}

	// Another source address is not held back by the busy one.
	other, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.2:0")), s.AcctAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	handledFrom := func(conn net.Conn, what string) {
		t.Helper()
		if _, err := conn.Write(accountingRequest(t, what)); err != nil {
			t.Fatal(err)
		}
		select {
		case w := <-h.held:
			w.Drop(DropStoreFailed)
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: not handled", what)
		}
	}
	handledFrom(other, "a request from another source")

	// Answering frees the places: the busy source is served again.
	for _, w := range taken {
		w.Reply(radius.New(radius.CodeAccountingResponse, []byte(testSecret)))
	}
	handledFrom(flooder, "the busy source's request after its others were answered")
	if v := busy(); v != 2 {
		t.Fatalf("source_busy drops %v after the source's requests were answered, want 2", v)
	}
}

// TestClientMaxInFlightOverridesTheServers: a client's max_in_flight (a
// proxy speaking for many NAS) replaces server.max_in_flight_per_source
// for its addresses.
func TestClientMaxInFlightOverridesTheServers(t *testing.T) {
	h := heldAccounting{held: make(chan ResponseWriter, 16)}
	s := startServer(t, Config{MaxInFlightPerSource: 3}, h, ClientConfig{Name: "proxy", Address: "127.0.0.1", Secret: testSecret, MaxInFlight: 5})
	sendBurst(t, s.AcctAddr(), 7)
	for taken := 0; taken < 5; taken++ {
		select {
		case <-h.held:
		case <-time.After(2 * time.Second):
			t.Fatalf("the handler got %d requests, want 5", taken)
		}
	}
	busy := func() float64 {
		return testutil.ToFloat64(s.metrics.drops.WithLabelValues("proxy", "acct", DropSourceBusy))
	}
	for deadline := time.Now().Add(2 * time.Second); busy() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if v := busy(); v != 2 || len(h.held) != 0 {
		t.Fatalf("source_busy drops %v (want 2), %d more requests reached the handler", v, len(h.held))
	}
	if _, err := NewClients([]ClientConfig{{Name: "x", Address: "10.0.0.1", Secret: "s", MaxInFlight: -1}}); err == nil {
		t.Error("accepted a negative max_in_flight")
	}
}
