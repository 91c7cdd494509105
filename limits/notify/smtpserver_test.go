package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailbox is an in-memory SMTP backend: it keeps what it accepts and can
// answer RCPT with a temporary refusal, as a greylisting server does.
type mailbox struct {
	mu sync.Mutex
	// refusals is how many more RCPTs to refuse with 451.
	refusals int
	// rcpts counts RCPT commands, refused ones included: delivery attempts.
	rcpts int
	// username and password, when set, are required (AUTH PLAIN).
	username, password string
	messages           []received
}

type received struct {
	from     string
	to       []string
	data     []byte
	tls      bool
	authUser string
}

func (m *mailbox) delivered() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.messages...)
}

func (m *mailbox) attempts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rcpts
}

func (m *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{box: m, conn: c}, nil
}

type session struct {
	box     *mailbox
	conn    *smtp.Conn
	user    string
	pending received
}

func (s *session) AuthMechanisms() []string {
	if s.box.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.box.username || password != s.box.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.box.username != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.pending = received{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.rcpts++
	if s.box.refusals > 0 {
		s.box.refusals--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
	}
	s.pending.to = append(s.pending.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.pending.data, s.pending.tls, s.pending.authUser = data, isTLS, s.user
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.messages = append(s.box.messages, s.pending)
	return nil
}

func (s *session) Reset()        { s.pending = received{} }
func (s *session) Logout() error { return nil }

// startSMTP serves box on a free loopback port until the test ends, with
// STARTTLS when tlsConfig is set.
func startSMTP(t *testing.T, box *mailbox, tlsConfig *tls.Config) (host string, port int) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := smtp.NewServer(box)
	server.Domain = "localhost"
	server.TLSConfig = tlsConfig
	server.ReadTimeout, server.WriteTimeout = 10*time.Second, 10*time.Second
	server.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan error, 1)
	go func() { done <- server.Serve(listener) }()
	t.Cleanup(func() {
		server.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp server: %v", err)
		}
	})
	host, portText, _ := net.SplitHostPort(listener.Addr().String())
	port, _ = strconv.Atoi(portText)
	return host, port
}

// selfSignedTLS returns a server configuration with a certificate for
// 127.0.0.1 and a pool that trusts it.
func selfSignedTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test SMTP server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
