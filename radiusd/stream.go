package radiusd

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"layeh.com/radius"
)

// RADIUS over TCP (RFC 6613) and over TLS (RadSec, RFC 6614): one port
// carries access and accounting requests, each packet framed by its own
// Length field, several in flight on a connection. A connection's packets
// take the UDP path's pipeline — client table, queue, workers, checks,
// reply cache, handlers — and its replies go back on it. A connection is
// read by a goroutine of its own, so a slow or half-open peer holds no
// worker: a packet must arrive whole within streamPacketTimeout of its
// first byte, an idle connection is closed after streamIdleTimeout, and
// replies a peer does not read fill its queue and close it.
const (
	streamHandshakeTimeout = 10 * time.Second
	streamPacketTimeout    = 10 * time.Second
	streamIdleTimeout      = 5 * time.Minute
	streamWriteTimeout     = 10 * time.Second
	streamReplyQueue       = 256
)

// radsecSecret is the shared secret of RADIUS over TLS (RFC 6614 §2.3):
// TLS protects the packets, the secret is fixed.
var radsecSecret = []byte("radsec")

type streamListener struct {
	name string // "tcp" or "tls"
	ln   net.Listener
	tls  bool
}

// listenStreams binds the stream listeners of cfg.
func (s *Server) listenStreams(cfg Config) error {
	if cfg.TCPAddr != "" {
		ln, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			return fmt.Errorf("listen.tcp: %w", err)
		}
		s.streams = append(s.streams, &streamListener{name: "tcp", ln: ln})
	}
	if cfg.TLSAddr != "" {
		if cfg.TLS == nil {
			s.closeStreams()
			return errors.New("listen.radsec: no TLS configuration (radsec.cert_file, key_file, client_ca_file)")
		}
		ln, err := tls.Listen("tcp", cfg.TLSAddr, cfg.TLS)
		if err != nil {
			s.closeStreams()
			return fmt.Errorf("listen.radsec: %w", err)
		}
		s.streams = append(s.streams, &streamListener{name: "tls", ln: ln, tls: true})
	}
	return nil
}

// StreamAddr is the bound address of the "tcp" or "tls" listener, or nil.
func (s *Server) StreamAddr(name string) net.Addr {
	for _, sl := range s.streams {
		if sl.name == name {
			return sl.ln.Addr()
		}
	}
	return nil
}

func (s *Server) acceptStreams(sl *streamListener) {
	for {
		conn, err := sl.ln.Accept()
		if err != nil {
			if s.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept failed", zap.String("listener", sl.name), zap.Error(err))
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go s.serveStream(sl, conn)
	}
}

// stopStreams stops accepting and reading: the connections' queued
// packets are still answered, until closeStreams.
func (s *Server) stopStreams() {
	for _, sl := range s.streams {
		sl.ln.Close()
	}
	s.conns.each(func(c *streamConn) { _ = c.conn.SetReadDeadline(time.Now()) })
}

func (s *Server) closeStreams() {
	for _, sl := range s.streams {
		sl.ln.Close()
	}
	s.conns.each(func(c *streamConn) { c.close() })
}

// streamConn is one connection: its replies are written in order by a
// goroutine of its own.
type streamConn struct {
	conn    net.Conn
	replies chan []byte
	once    sync.Once
	done    chan struct{}
}

func (c *streamConn) send(wire []byte, _ netip.AddrPort) {
	select {
	case c.replies <- wire:
	case <-c.done:
	default:
		c.close() // the peer does not read its replies
	}
}

func (c *streamConn) close() {
	c.once.Do(func() {
		close(c.done)
		c.conn.Close()
	})
}

func (c *streamConn) write() {
	for {
		select {
		case wire := <-c.replies:
			_ = c.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
			if _, err := c.conn.Write(wire); err != nil {
				c.close()
				return
			}
		case <-c.done:
			return
		}
	}
}

func (s *Server) serveStream(sl *streamListener, conn net.Conn) {
	src, err := netip.ParseAddrPort(conn.RemoteAddr().String())
	if err != nil {
		conn.Close()
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	auth := &listener{name: s.auth.name, handler: s.auth.handler, requestCode: s.auth.requestCode, statusReply: s.auth.statusReply}
	acct := &listener{name: s.acct.name, handler: s.acct.handler, requestCode: s.acct.requestCode, statusReply: s.acct.statusReply}
	client := s.clients.Load().Lookup(src.Addr())
	if client == nil {
		s.drop(auth, DropUnknownClient, src, nil, zap.String("transport", sl.name))
		conn.Close()
		return
	}
	if sl.tls {
		var reason string
		if client, reason = s.tlsClient(conn.(*tls.Conn), client); reason != "" {
			s.drop(auth, reason, src, client, zap.String("transport", sl.name))
			conn.Close()
			return
		}
	}
	c := &streamConn{conn: conn, replies: make(chan []byte, streamReplyQueue), done: make(chan struct{})}
	auth.out, acct.out = c, c
	s.conns.add(c)
	defer s.conns.remove(c)
	go c.write()
	header := make([]byte, 4)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(streamIdleTimeout))
		if _, err := io.ReadFull(conn, header[:1]); err != nil {
			break // closed, idle or stopping: the replies queued still go out
		}
		_ = conn.SetReadDeadline(time.Now().Add(streamPacketTimeout))
		if _, err := io.ReadFull(conn, header[1:]); err != nil {
			break
		}
		length := int(binary.BigEndian.Uint16(header[2:4]))
		if length < 20 || length > radius.MaxPacketLength {
			s.drop(auth, DropMalformed, src, client, zap.String("transport", sl.name), zap.Int("length", length))
			break // the stream has lost its framing
		}
		wire := make([]byte, length)
		copy(wire, header)
		if _, err := io.ReadFull(conn, wire[4:]); err != nil {
			break
		}
		l := auth
		if radius.Code(wire[0]) == radius.CodeAccountingRequest {
			l = acct
		}
		s.enqueue(job{l: l, client: client, wire: wire, source: src, received: time.Now()}, false)
	}
	// Let the workers answer what was read, then close.
	go func() {
		time.Sleep(streamWriteTimeout)
		c.close()
	}()
}

// Drop reasons of TLS connections.
const (
	DropTLSHandshake = "tls_handshake"
	DropTLSName      = "tls_name_mismatch"
)

// tlsClient completes the handshake and checks the peer's certificate
// against the client's tls_name; the client it returns signs with the
// RadSec secret.
func (s *Server) tlsClient(conn *tls.Conn, client *Client) (*Client, string) {
	_ = conn.SetDeadline(time.Now().Add(streamHandshakeTimeout))
	if err := conn.Handshake(); err != nil {
		return client, DropTLSHandshake
	}
	_ = conn.SetDeadline(time.Time{})
	state := conn.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return client, DropTLSHandshake
	}
	if client.TLSName != "" && !certificateNames(state.PeerCertificates[0], client.TLSName) {
		return client, DropTLSName
	}
	return client.radsec, ""
}

// certificateNames tells whether the certificate is issued to name: one
// of its DNS names, or its common name.
func certificateNames(cert *x509.Certificate, name string) bool {
	return slices.Contains(cert.DNSNames, name) || cert.Subject.CommonName == name
}

// TLSConfig is the RadSec listener's TLS: TLS 1.2 or later, the server's
// certificate, and client certificates required and verified against the
// CA file.
func TLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("radsec certificate: %w", err)
	}
	pem, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("radsec.client_ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("radsec.client_ca_file %s: no certificate", clientCAFile)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert}, nil
}

// connSet is the open stream connections.
type connSet struct {
	mu    sync.Mutex
	conns map[*streamConn]struct{}
}

func (cs *connSet) add(c *streamConn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.conns == nil {
		cs.conns = map[*streamConn]struct{}{}
	}
	cs.conns[c] = struct{}{}
}

func (cs *connSet) remove(c *streamConn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.conns, c)
}

func (cs *connSet) each(fn func(*streamConn)) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for c := range cs.conns {
		fn(c)
	}
}
