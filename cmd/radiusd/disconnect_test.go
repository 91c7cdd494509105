package main

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/config"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/radiusd/cisco"
)

// podListener plays a gateway's `aaa pod server`: it checks every
// Disconnect-Request it receives (signed with the client's secret, naming
// the call) and answers per answer: "" stays silent, else ACK or NAK.
type podListener struct {
	conn     *net.UDPConn
	requests chan *radius.Packet
	answers  chan radius.Code
}

func startPodListener(t *testing.T) *podListener {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	l := &podListener{conn: conn, requests: make(chan *radius.Packet, 16), answers: make(chan radius.Code, 16)}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			wire := append([]byte(nil), buf[:n]...)
			if !radius.IsAuthenticRequest(wire, []byte(secret)) {
				t.Errorf("a Disconnect-Request not signed with the client's secret")
				continue
			}
			p, err := radius.Parse(wire, []byte(secret))
			if err != nil || p.Code != radius.CodeDisconnectRequest {
				t.Errorf("not a Disconnect-Request: %v %v", p, err)
				continue
			}
			l.requests <- p
			code := <-l.answers
			if code == 0 {
				continue // no answer: the sender must try again
			}
			reply := p.Response(code)
			if code == radius.CodeDisconnectNAK {
				reply.Add(101, radius.NewInteger(503)) // Error-Cause: Session Context Not Found
			}
			out, err := reply.Encode()
			if err != nil {
				t.Error(err)
				continue
			}
			_, _ = conn.WriteToUDP(out, from)
		}
	}()
	return l
}

func (l *podListener) port() int { return l.conn.LocalAddr().(*net.UDPAddr).Port }

// next waits for the next request and answers it with code (0: none).
func (l *podListener) next(t *testing.T, code radius.Code) *radius.Packet {
	t.Helper()
	select {
	case p := <-l.requests:
		l.answers <- code
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no Disconnect-Request arrived")
		return nil
	}
}

// Blocking a card disconnects its call in progress: the gateway's pod
// server gets a signed Disconnect-Request naming the call, again after an
// attempt it did not answer, until it acknowledges; a NAK is kept too.
func TestDisconnectOnBlock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		pod := startPodListener(t)
		h := startServer(t, b, func(c *config.Config) {
			c.Disconnect.Port, c.Disconnect.PollInterval, c.Disconnect.Timeout = pod.port(), 20*time.Millisecond, 200*time.Millisecond
			c.Authorize.MaxCreditTime = time.Minute // each call holds a minute's credit, so two fit
		})
		ctx := context.Background()
		plan, svc := h.cardsTariff()
		if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: "5550001", PIN: "4321", PlanID: plan, Currency: "EUR", InitialBalance: 5_000_000, MaxConcurrentCalls: 2}); err != nil {
			t.Fatal(err)
		}
		h.publishTables()
		calls := []struct{ session, conf string }{{"POD-1", "11111111 22222222 33333333 44444444"}, {"POD-2", "11111111 22222222 33333333 55555555"}}
		for _, c := range calls {
			if code, vsas := h.access(accessRequest(t, "5550001", "4321", "35988123456", c.conf)); code != radius.CodeAccessAccept {
				t.Fatalf("stage 2: %v %v", code, vsas)
			}
			start := ciscoStop(t, c.session, setCisco(cisco.AttrConfID, c.conf), func(p *radius.Packet) {
				p.Set(40, radius.NewInteger(1)) // Start
				p.Set(1, radius.Attribute("5550001"))
				p.Set(4, radius.Attribute(net.IPv4(127, 0, 0, 1).To4()))
			})
			mustAck(t, h, encode(t, start))
		}
		if n := h.count("SELECT COUNT(*) FROM active_call"); n != 2 {
			t.Fatalf("%d calls in progress, want 2", n)
		}
		if err := svc.SetAccountStatus(ctx, "5550001", limits.AccountBlocked); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		answers := []radius.Code{0, radius.CodeDisconnectACK, radius.CodeDisconnectNAK}
		for i := 0; i < 3; i++ {
			p := pod.next(t, answers[i])
			session := string(p.Get(44))
			if string(p.Get(1)) != "5550001" || net.IP(p.Get(4)).String() != "127.0.0.1" {
				t.Errorf("request %d names %q %v", i, p.Get(1), net.IP(p.Get(4)))
			}
			seen[session]++
		}
		if seen["POD-1"]+seen["POD-2"] != 3 {
			t.Fatalf("requests for %v", seen)
		}
		deadline := time.Now().Add(5 * time.Second)
		for h.count("SELECT COUNT(*) FROM disconnect_request WHERE status IN ('acked', 'nacked')") != 2 {
			if time.Now().After(deadline) {
				t.Fatal("the answers were not recorded")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := h.count("SELECT COUNT(*) FROM disconnect_request WHERE status = 'nacked' AND last_error = 'Error-Cause 503'"); n != 1 {
			t.Errorf("%d NAKs recorded with their cause", n)
		}
		if n := h.count("SELECT SUM(attempts) FROM disconnect_request"); n != 3 {
			t.Errorf("%d attempts, want 3 (one unanswered)", n)
		}
		if got := h.metric(`radbill_disconnect_total{outcome="no_answer"}`); got != 1 {
			t.Errorf("no_answer counted %v", got)
		}
		if got := h.metric(`radbill_disconnect_total{outcome="acked"}`); got != 1 {
			t.Errorf("acked counted %v", got)
		}
		if err := svc.SetAccountStatus(ctx, "5550001", limits.AccountBlocked); err != nil {
			t.Fatal(err)
		}
		if n := h.count("SELECT COUNT(*) FROM disconnect_request"); n != 2 {
			t.Errorf("blocking again queued the calls again: %d requests", n)
		}

		// A debit past the credit its call holds: refused, unless it
		// disconnects the call.
		if _, err := svc.CreateAccount(ctx, limits.NewAccount{Number: "5550002", PIN: "4321", PlanID: plan, Currency: "EUR", InitialBalance: 1_000_000}); err != nil {
			t.Fatal(err)
		}
		h.publishTables()
		const conf = "11111111 22222222 33333333 66666666"
		if code, vsas := h.access(accessRequest(t, "5550002", "4321", "35988123456", conf)); code != radius.CodeAccessAccept {
			t.Fatalf("stage 2: %v %v", code, vsas)
		}
		mustAck(t, h, encode(t, ciscoStop(t, "POD-3", setCisco(cisco.AttrConfID, conf), func(p *radius.Packet) {
			p.Set(40, radius.NewInteger(1))
			p.Set(1, radius.Attribute("5550002"))
			p.Set(4, radius.Attribute(net.IPv4(127, 0, 0, 1).To4()))
		})))
		cut := limits.Posting{Kind: limits.KindAdjustment, Amount: -900_000, Reason: "chargeback"}
		if _, err := svc.Post(ctx, "5550002", cut); !errors.Is(err, limits.ErrInsufficientCredit) {
			t.Fatalf("a debit past the held credit: %v", err)
		}
		cut.DisconnectCalls = true
		if _, err := svc.Post(ctx, "5550002", cut); err != nil {
			t.Fatal(err)
		}
		if p := pod.next(t, radius.CodeDisconnectACK); string(p.Get(44)) != "POD-3" {
			t.Fatalf("the cut disconnected %q", p.Get(44))
		}
		if n := h.count("SELECT COUNT(*) FROM disconnect_request WHERE acct_session_id = 'POD-3' AND reason = ?", limits.DisconnectCreditCut); n != 1 {
			t.Errorf("%d requests for the cut call", n)
		}
	})
}
