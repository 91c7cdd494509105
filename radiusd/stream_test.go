package radiusd

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/internal/testpki"
)

// streamExchange writes the packets on conn and reads as many replies.
func streamExchange(t *testing.T, conn net.Conn, packets ...[]byte) [][]byte {
	t.Helper()
	for _, p := range packets {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	var replies [][]byte
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	for range packets {
		header := make([]byte, 4)
		if _, err := io.ReadFull(conn, header); err != nil {
			return replies
		}
		reply := make([]byte, int(header[2])<<8|int(header[3]))
		copy(reply, header)
		if _, err := io.ReadFull(conn, reply[4:]); err != nil {
			return replies
		}
		replies = append(replies, reply)
	}
	return replies
}

func signedAccounting(t *testing.T, secret, user string) []byte {
	p := radius.New(radius.CodeAccountingRequest, []byte(secret))
	p.Add(1, radius.Attribute(user))
	wire, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// RADIUS over TCP: several packets in flight on one connection, each
// answered on it; a half-open connection holds no worker.
func TestRADIUSOverTCP(t *testing.T) {
	s := startServer(t, Config{TCPAddr: "127.0.0.1:0"}, echoAccounting{})
	addr := s.StreamAddr("tcp").String()
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte{4, 1, 0}); err != nil { // three bytes of a header, then nothing
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	requests := [][]byte{signedAccounting(t, testSecret, "a"), signedAccounting(t, testSecret, "b"), signedAccounting(t, testSecret, "c")}
	replies := streamExchange(t, conn, requests...)
	if len(replies) != 3 {
		t.Fatalf("%d replies to 3 requests", len(replies))
	}
	answered := map[byte]bool{}
	for _, r := range replies {
		for _, q := range requests {
			if r[1] == q[1] && radius.IsAuthenticResponse(r, q, []byte(testSecret)) {
				answered[q[1]] = true
			}
		}
	}
	if len(answered) != 3 {
		t.Fatalf("authentic replies to %d of 3 requests", len(answered))
	}
	if got := streamExchange(t, conn, signedAccounting(t, "wrong secret", "d")); len(got) != 0 {
		t.Fatal("a request signed with the wrong secret was answered")
	}
	if got := send(t, s.AcctAddr(), signedAccounting(t, testSecret, "udp")); got == nil {
		t.Fatal("UDP stopped answering")
	}
}

// RadSec: mutual certificates, the client matched by its address and its
// certificate's name, the RADIUS secret "radsec"; a certificate of another
// CA or of another name is refused.
func TestRadSec(t *testing.T) {
	pki := testpki.New(t)
	server := pki.Issue(t, "127.0.0.1", true)
	gateway := pki.Issue(t, "gw1.example.net", false)
	stranger := pki.Issue(t, "gw2.example.net", false)
	s := startServer(t, Config{TLSAddr: "127.0.0.1:0", TLS: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{server},
		ClientCAs: pki.Pool, ClientAuth: tls.RequireAndVerifyClientCert}}, echoAccounting{},
		ClientConfig{Name: "gw1", Address: "127.0.0.0/8", Secret: testSecret, TLSName: "gw1.example.net"})
	addr := s.StreamAddr("tls").String()
	dial := func(cert tls.Certificate, version uint16) (*tls.Conn, error) {
		return tls.Dial("tcp", addr, &tls.Config{RootCAs: pki.Pool, Certificates: []tls.Certificate{cert}, MinVersion: version, MaxVersion: version, ServerName: "127.0.0.1"})
	}
	conn, err := dial(gateway, tls.VersionTLS13)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	request := signedAccounting(t, "radsec", "over-tls")
	replies := streamExchange(t, conn, request)
	if len(replies) != 1 || !radius.IsAuthenticResponse(replies[0], request, []byte("radsec")) {
		t.Fatalf("RadSec replies: %d", len(replies))
	}
	if conn, err := dial(stranger, tls.VersionTLS12); err == nil {
		if got := streamExchange(t, conn, signedAccounting(t, "radsec", "x")); len(got) != 0 {
			t.Fatal("a certificate of another name was served")
		}
		conn.Close()
	}
	other := testpki.New(t)
	if conn, err := dial(other.Issue(t, "gw1.example.net", false), tls.VersionTLS12); err == nil {
		if got := streamExchange(t, conn, signedAccounting(t, "radsec", "x")); len(got) != 0 {
			t.Fatal("a certificate of another CA was served")
		}
		conn.Close()
	}
	if _, err := dial(gateway, tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
}
