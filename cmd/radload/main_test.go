package main

import (
	"net"
	"sync"
	"testing"
	"time"

	"layeh.com/radius"
)

const testSecret = "radload-test"

// fakeServer answers Accounting-Requests on loopback. It ignores the first
// copy of every request whose Acct-Session-Id is in drop, so the generator
// must retransmit it; before each genuine answer it sends one with a wrong
// authenticator, which the generator must not count, and requests in
// forgedOnly get only that one.
type fakeServer struct {
	conn             *net.UDPConn
	mu               sync.Mutex
	seen             map[string]int // copies received per Acct-Session-Id
	drop, forgedOnly map[string]bool
}

func startFakeServer(t *testing.T, drop, forgedOnly map[string]bool) *fakeServer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{conn: conn, seen: map[string]int{}, drop: drop, forgedOnly: forgedOnly}
	t.Cleanup(func() { conn.Close() })
	go s.serve(t)
	return s
}

func (s *fakeServer) serve(t *testing.T) {
	buf := make([]byte, radius.MaxPacketLength)
	for {
		n, from, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p, err := radius.Parse(buf[:n], []byte(testSecret))
		if err != nil || !radius.IsAuthenticRequest(buf[:n], []byte(testSecret)) {
			t.Errorf("generator sent an unauthentic or malformed request: %v", err)
			continue
		}
		session := string(p.Get(44))
		s.mu.Lock()
		s.seen[session]++
		first := s.seen[session] == 1
		s.mu.Unlock()
		if first && s.drop[session] {
			continue
		}
		forged, _ := p.Response(radius.CodeAccountingResponse).Encode()
		forged[4] ^= 0xff // a wrong Response Authenticator
		_, _ = s.conn.WriteToUDP(forged, from)
		if s.forgedOnly[session] {
			continue
		}
		reply, _ := p.Response(radius.CodeAccountingResponse).Encode()
		_, _ = s.conn.WriteToUDP(reply, from)
	}
}

func TestGeneratorCountsOnlyAuthenticAnswersAndRetransmits(t *testing.T) {
	const total = 200
	g := &generator{secret: []byte(testSecret), total: total, timeout: 200 * time.Millisecond, retries: 2,
		nasIP: net.IPv4(192, 0, 2, 10).To4(), gateways: 4, runID: "0a0b0c0d"}
	drop, forgedOnly := map[string]bool{}, map[string]bool{}
	for i := int64(0); i < total; i += 20 {
		drop[g.sessionID(i)] = true
	}
	forgedOnly[g.sessionID(7)] = true
	s := startFakeServer(t, drop, forgedOnly)
	g.addrs = []string{s.conn.LocalAddr().String()}
	if err := g.prepare(); err != nil {
		t.Fatal(err)
	}
	results := g.run(8)
	for i, r := range results {
		if r.sessionID != g.sessionID(int64(i)) || r.answered == forgedOnly[r.sessionID] {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
	// One per request whose first copy was ignored, and all the retries
	// of the one that only got forged answers.
	if got, want := g.retransmits.Load(), int64(len(drop)+g.retries); got != want {
		t.Errorf("%d retransmissions, want %d", got, want)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) != total {
		t.Fatalf("server saw %d distinct Stops, want %d", len(s.seen), total)
	}
	for session, copies := range s.seen {
		want := 1
		switch {
		case drop[session]:
			want = 2
		case forgedOnly[session]:
			want = 1 + g.retries
		}
		if copies != want {
			t.Errorf("%s sent %d times, want %d", session, copies, want)
		}
	}
}

func TestGeneratorGivesUpAfterRetries(t *testing.T) {
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	g := &generator{addrs: []string{silent.LocalAddr().String()}, secret: []byte(testSecret), total: 3, timeout: 50 * time.Millisecond,
		retries: 2, nasIP: net.IPv4(192, 0, 2, 10).To4(), gateways: 1, runID: "0a0b0c0d"}
	if err := g.prepare(); err != nil {
		t.Fatal(err)
	}
	for i, r := range g.run(3) {
		if r.answered {
			t.Errorf("request %d counted as answered by a server that never answers", i)
		}
	}
	if got := g.retransmits.Load(); got != 3*2 {
		t.Errorf("%d retransmissions, want 6", got)
	}
}
