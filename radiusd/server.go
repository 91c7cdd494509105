package radiusd

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/net/ipv4"
	"layeh.com/radius"

	"github.com/radbill/radbill/internal/fairqueue"
)

// Request is a verified request from a known client.
type Request struct {
	*radius.Packet
	Wire     []byte // the datagram as received
	Client   *Client
	Source   netip.AddrPort
	Received time.Time
}

// ResponseWriter answers one request, exactly once, possibly after
// ServeRADIUS has returned (accounting answers after the database commit).
type ResponseWriter interface {
	// Reply sends resp (built with req.Response); Proxy-State is echoed and,
	// on Access-* replies, a Message-Authenticator is added first.
	Reply(resp *radius.Packet)
	// Drop sends nothing and counts the request under reason.
	Drop(reason string)
}

// Handler serves the requests of one listener.
type Handler interface {
	ServeRADIUS(w ResponseWriter, r *Request)
}

// Config sizes the server.
type Config struct {
	AuthAddr  string
	AcctAddr  string
	Workers   int
	QueueSize int
	// QueueTimeout drops a packet that waited longer than this for a worker:
	// under overload the server sheds rather than answering late.
	QueueTimeout  time.Duration
	ReplyCacheTTL time.Duration
	// MaxInFlightPerSource drops a packet whose source address already has
	// this many requests taken by workers and not yet answered; 0: no limit.
	MaxInFlightPerSource int
	// TCPAddr serves RADIUS over TCP (RFC 6613) and TLSAddr RADIUS over
	// TLS (RadSec, RFC 6614) with TLS, both carrying access and
	// accounting; "" for none.
	TCPAddr, TLSAddr string
	TLS              *tls.Config
}

// Server reads RADIUS datagrams and runs them through the pipeline described
// in the package documentation.
type Server struct {
	cfg     Config
	clients atomic.Pointer[Clients]
	log     *zap.Logger
	drops   *dropLog
	metrics *metrics
	cache   *replyCache
	// queue holds the packets waiting for a worker, per source address
	// served round robin, so a flooding NAS waits behind its own packets.
	queue    *fairqueue.Queue[netip.Addr, job]
	inFlight *inFlight
	auth     *listener
	acct     *listener
	stopping atomic.Bool
	// streams are the RADIUS over TCP and TLS listeners, conns their open
	// connections.
	streams []*streamListener
	conns   connSet
}

type listener struct {
	name    string
	conn    *net.UDPConn // nil on a stream connection
	out     sender
	udp     *outbox // out on a UDP listener
	handler Handler
	// requestCode is the request this port serves besides Status-Server.
	requestCode radius.Code
	// statusReply is the reply code to Status-Server on this port (RFC 5997).
	statusReply radius.Code
}

type job struct {
	l        *listener
	client   *Client
	wire     []byte
	source   netip.AddrPort
	received time.Time
}

// New binds the listeners. Serve starts reading.
func New(cfg Config, clients *Clients, auth, accounting Handler, reg prometheus.Registerer, log *zap.Logger) (*Server, error) {
	s := &Server{
		cfg:      cfg,
		log:      log,
		drops:    newDropLog(log, 10*time.Second),
		cache:    newReplyCache(cfg.ReplyCacheTTL),
		queue:    fairqueue.New[netip.Addr, job](cfg.QueueSize),
		inFlight: newInFlight(cfg.MaxInFlightPerSource),
	}
	s.clients.Store(clients)
	s.metrics = newMetrics(reg, func() float64 { return float64(s.queue.Len()) }, func() float64 { return float64(s.cache.len()) })
	var err error
	if s.auth, err = listen("auth", cfg.AuthAddr, auth, radius.CodeAccessRequest, radius.CodeAccessAccept); err != nil {
		return nil, err
	}
	if s.acct, err = listen("acct", cfg.AcctAddr, accounting, radius.CodeAccountingRequest, radius.CodeAccountingResponse); err != nil {
		s.auth.conn.Close()
		return nil, err
	}
	for _, l := range []*listener{s.auth, s.acct} {
		l.udp = newOutbox(l.conn, l.name, log)
		l.out = l.udp
	}
	if err := s.listenStreams(cfg); err != nil {
		s.auth.conn.Close()
		s.acct.conn.Close()
		return nil, err
	}
	return s, nil
}

// sender sends a reply to where its request came from.
type sender interface {
	send(wire []byte, to netip.AddrPort)
}

func listen(name, addr string, h Handler, request, statusReply radius.Code) (*listener, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen.%s %q: %w", name, addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("listen.%s: %w", name, err)
	}
	// A large receive buffer absorbs bursts while workers catch up.
	_ = conn.SetReadBuffer(8 << 20)
	return &listener{name: name, conn: conn, handler: h, requestCode: request, statusReply: statusReply}, nil
}

// AuthAddr and AcctAddr return the bound addresses (useful with port 0).
func (s *Server) AuthAddr() net.Addr { return s.auth.conn.LocalAddr() }
func (s *Server) AcctAddr() net.Addr { return s.acct.conn.LocalAddr() }

// SetClients replaces the client table; requests in flight keep the old one.
func (s *Server) SetClients(c *Clients) { s.clients.Store(c) }

// Clients are the NAS clients in force.
func (s *Server) Clients() *Clients { return s.clients.Load() }

// Serve reads both listeners until ctx is done, then stops reading and
// returns once every queued packet has been handed to its handler. Replies
// still pending (accounting batches) can be sent until Close.
func (s *Server) Serve(ctx context.Context) {
	var workers, readers sync.WaitGroup
	for range s.cfg.Workers {
		workers.Go(s.work)
	}
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
	for _, l := range []*listener{s.auth, s.acct} {
		readers.Go(func() { s.read(l) })
	}
	for _, sl := range s.streams {
		readers.Go(func() { s.acceptStreams(sl) })
	}
	func() {
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-sweep.C:
				s.cache.sweep(now)
			}
		}
	}()
	s.stopping.Store(true)
	for _, l := range []*listener{s.auth, s.acct} {
		_ = l.conn.SetReadDeadline(time.Now()) // unblocks the reader
	}
	s.stopStreams()
	readers.Wait()
	s.queue.Close()
	workers.Wait()
}

// Close sends the replies queued and closes the sockets. Call it after the
// handlers have given their pending replies.
func (s *Server) Close() {
	for _, l := range []*listener{s.auth, s.acct} {
		l.udp.close()
		l.conn.Close()
	}
	s.closeStreams()
}

// readBatch is how many datagrams one recvmmsg(2) may return: under load
// the socket holds several, and a system call each cost more than the
// checks below.
const readBatch = 32

func (s *Server) read(l *listener) {
	conn := ipv4.NewPacketConn(l.conn) // its batch calls suit IPv6 sockets as well
	msgs := make([]ipv4.Message, readBatch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, radius.MaxPacketLength+1)}
	}
	for {
		n, err := conn.ReadBatch(msgs, 0)
		if err != nil {
			if s.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("read failed", zap.String("listener", l.name), zap.Error(err))
			continue
		}
		received := time.Now()
		for _, m := range msgs[:n] {
			if src, ok := m.Addr.(*net.UDPAddr); ok { // as x/net gives every IPv4 and IPv6 source
				s.accept(l, m.Buffers[0][:m.N], src.AddrPort(), received)
			}
		}
	}
}

// accept queues a datagram for the workers, or sheds it.
func (s *Server) accept(l *listener, datagram []byte, src netip.AddrPort, received time.Time) {
	// Unknown and over-limit clients are shed here, before they take a
	// place in the queue that known gateways need.
	client := s.clients.Load().Lookup(src.Addr())
	if client == nil {
		s.drop(l, DropUnknownClient, src, nil)
		return
	}
	s.enqueue(job{l: l, client: client, wire: datagram, source: src, received: received}, true)
}

// enqueue queues a known client's packet for the workers (a copy of it
// when copyWire: the reader reuses its buffers), or sheds it: a client
// over its rate limit, a source with too many requests in flight, a full
// queue.
func (s *Server) enqueue(j job, copyWire bool) {
	if !j.client.allow() {
		s.drop(j.l, DropRateLimited, j.source, j.client)
		return
	}
	if s.inFlight.full(j.source.Addr(), j.client) {
		s.drop(j.l, DropSourceBusy, j.source, j.client)
		return
	}
	if copyWire {
		j.wire = append([]byte(nil), j.wire...)
	}
	if dropped, ok := s.queue.Push(j.source.Addr(), j); !ok {
		s.drop(dropped.l, DropQueueFull, dropped.source, dropped.client)
	}
}

func (s *Server) work() {
	for {
		j, ok := s.queue.Pop()
		if !ok {
			return
		}
		if s.cfg.QueueTimeout > 0 && time.Since(j.received) > s.cfg.QueueTimeout {
			s.drop(j.l, DropQueueTimeout, j.source, j.client)
			continue
		}
		if !s.inFlight.acquire(j.source.Addr(), j.client) {
			s.drop(j.l, DropSourceBusy, j.source, j.client)
			continue
		}
		s.handle(j)
	}
}

// drop counts a packet dropped from client (nil: no client matched its
// source) and logs it, rate-limited.
func (s *Server) drop(l *listener, reason string, src netip.AddrPort, client *Client, extra ...zap.Field) {
	name := ""
	if client != nil {
		name = client.Name
	}
	s.metrics.drops.WithLabelValues(name, l.name, reason).Inc()
	skipped, due := s.drops.due(reason)
	if !due {
		return
	}
	if client != nil {
		extra = append(extra, zap.String("client", name))
	}
	s.drops.warn(reason, l.name, skipped, append(extra, zap.Stringer("source", src))...)
}

// handle runs one packet through the pipeline. The packet counts as in
// flight for its source until its responder answers or drops it, or, when
// it never reaches one, until handle returns.
func (s *Server) handle(j job) {
	var key replyKey
	var keyed bool
	var w *responder
	defer func() {
		release := w == nil
		if p := recover(); p != nil {
			if keyed {
				s.cache.forget(key)
			}
			if w != nil && !w.done.Swap(true) {
				release = true // the handler will not answer it now
			}
			s.metrics.drops.WithLabelValues(j.client.Name, j.l.name, DropPanic).Inc()
			s.log.Error("panic while handling a packet", zap.Any("panic", p), zap.String("listener", j.l.name),
				zap.Stringer("source", j.source), zap.String("packet_hex", hex.EncodeToString(j.wire)), zap.ByteString("stack", debug.Stack()))
		}
		if release {
			s.inFlight.release(j.source.Addr())
		}
	}()
	client := j.client
	p, wire, err := parse(j.wire, client.Secret)
	if err != nil {
		s.drop(j.l, DropMalformed, j.source, client, zap.Error(err))
		return
	}
	if p.Code != j.l.requestCode && p.Code != radius.CodeStatusServer {
		s.drop(j.l, DropUnexpectedCode, j.source, client, zap.Stringer("code", p.Code))
		return
	}
	if reason := verify(p.Code, wire, client); reason != "" {
		s.drop(j.l, reason, j.source, client)
		return
	}
	key = replyKey{source: j.source, identifier: p.Identifier, authenticator: p.Authenticator}
	state, cached := s.cache.begin(key, j.received)
	switch state {
	case cacheInFlight:
		s.metrics.drops.WithLabelValues(client.Name, j.l.name, DropRetransmitInFlight).Inc()
		return
	case cacheAnswered:
		s.metrics.replayed.WithLabelValues(j.l.name).Inc()
		j.l.out.send(cached, j.source)
		return
	}
	keyed = true
	req := &Request{Packet: p, Wire: wire, Client: client, Source: j.source, Received: j.received}
	w = &responder{s: s, l: j.l, req: req, key: key}
	if p.Code == radius.CodeStatusServer {
		w.Reply(p.Response(j.l.statusReply))
		return
	}
	j.l.handler.ServeRADIUS(w, req)
}

// parse decodes the datagram into layeh's Packet, with the checks of
// layeh's Parse, but the attribute values are slices of the datagram (each
// job owns its copy) rather than one allocation per attribute. Bytes past
// the RADIUS Length field are padding (RFC 2865 §3) and are cut off.
func parse(datagram, secret []byte) (*radius.Packet, []byte, error) {
	if len(datagram) > radius.MaxPacketLength {
		return nil, nil, errors.New("datagram longer than 4096 bytes")
	}
	if len(datagram) < 20 {
		return nil, nil, errors.New("packet not at least 20 bytes long")
	}
	length := int(binary.BigEndian.Uint16(datagram[2:4]))
	if length < 20 || length > len(datagram) {
		return nil, nil, errors.New("invalid packet length")
	}
	wire := datagram[:length]
	n := 0
	for b := wire[20:]; len(b) > 0; n++ {
		if len(b) < 2 || b[1] < 2 || int(b[1]) > len(b) {
			return nil, nil, errors.New("invalid attribute length")
		}
		b = b[b[1]:]
	}
	avps := make([]radius.AVP, n)
	attrs := make(radius.Attributes, n)
	for i, b := 0, wire[20:]; i < n; i++ {
		end := int(b[1])
		// Capped, so that appending to a value cannot overwrite the next attribute.
		avps[i] = radius.AVP{Type: radius.Type(b[0]), Attribute: radius.Attribute(b[2:end:end])}
		attrs[i] = &avps[i]
		b = b[end:]
	}
	p := &radius.Packet{Code: radius.Code(wire[0]), Identifier: wire[1], Secret: secret, Attributes: attrs}
	copy(p.Authenticator[:], wire[4:20])
	return p, wire, nil
}

// verify checks the packet's authenticators and returns a drop reason, or "".
func verify(code radius.Code, wire []byte, client *Client) string {
	present, valid := messageAuthenticatorValid(wire, client.Secret)
	if present && !valid {
		return DropBadMessageAuth
	}
	switch code {
	case radius.CodeAccountingRequest:
		if !requestAuthenticatorValid(wire, client.Secret) {
			return DropBadAuthenticator
		}
	case radius.CodeStatusServer:
		if !present {
			return DropMissingMessageAuth // RFC 5997 §3
		}
	case radius.CodeAccessRequest:
		return client.checkBlastRADIUS(present, hasAttribute(wire, attrProxyState))
	}
	return ""
}

// checkBlastRADIUS applies the client's BlastRADIUS policies to an
// Access-Request whose Message-Authenticator, if present, is valid. As in
// FreeRADIUS 3.2.5: require_message_authenticator "yes" drops a request
// without one, "auto" does so once the client has sent one (so an old IOS
// doing PAP without it keeps working, and a client that has shown it can
// sign cannot be downgraded). limit_proxy_state "yes" drops a request that
// carries Proxy-State without Message-Authenticator; "auto" does so unless
// the client's first request carried Proxy-State (it is a proxy).
func (c *Client) checkBlastRADIUS(hasMessageAuthenticator, hasProxyState bool) string {
	if !c.firstRequestSeen.Swap(true) {
		c.firstHadProxyState.Store(hasProxyState)
	}
	if hasMessageAuthenticator {
		c.sentMessageAuthenticator.Store(true)
		return ""
	}
	switch {
	case c.RequireMessageAuthenticator == Yes,
		c.RequireMessageAuthenticator == Auto && c.sentMessageAuthenticator.Load():
		return DropMissingMessageAuth
	case hasProxyState && (c.LimitProxyState == Yes || c.LimitProxyState == Auto && !c.firstHadProxyState.Load()):
		return DropProxyStateWithoutMessageAuth
	}
	return ""
}

func hasAttribute(wire []byte, t byte) bool {
	for off := 20; off+2 <= len(wire) && wire[off+1] >= 2; off += int(wire[off+1]) {
		if wire[off] == t {
			return true
		}
	}
	return false
}

type responder struct {
	s    *Server
	l    *listener
	req  *Request
	key  replyKey
	done atomic.Bool
}

const attrProxyState = 33

func (w *responder) Reply(resp *radius.Packet) {
	if w.done.Swap(true) {
		return
	}
	defer w.s.inFlight.release(w.req.Source.Addr())
	for _, a := range w.req.Attributes {
		if a.Type == attrProxyState {
			resp.Add(attrProxyState, a.Attribute)
		}
	}
	access := resp.Code == radius.CodeAccessAccept || resp.Code == radius.CodeAccessReject || resp.Code == radius.CodeAccessChallenge
	wire, err := signResponse(resp, w.req.Packet, access || w.req.Code == radius.CodeStatusServer)
	if err != nil {
		w.s.cache.forget(w.key)
		w.s.drop(w.l, DropReplyFailed, w.req.Source, w.req.Client, zap.Error(err))
		return
	}
	now := time.Now()
	w.s.cache.answered(w.key, wire, now)
	// Counted before it leaves, so a client that has its answer finds it
	// counted.
	w.s.metrics.packets.WithLabelValues(w.l.name, codeLabel(w.req.Code), codeLabel(resp.Code)).Inc()
	w.s.metrics.replySeconds.WithLabelValues(w.l.name, w.req.Client.Name).Observe(now.Sub(w.req.Received).Seconds())
	w.l.out.send(wire, w.req.Source)
}

func (w *responder) Drop(reason string) {
	if w.done.Swap(true) {
		return
	}
	defer w.s.inFlight.release(w.req.Source.Addr())
	w.s.cache.forget(w.key)
	w.s.drop(w.l, reason, w.req.Source, w.req.Client)
}

func codeLabel(c radius.Code) string {
	switch c {
	case radius.CodeAccessRequest, radius.CodeAccessAccept, radius.CodeAccessReject, radius.CodeAccountingRequest,
		radius.CodeAccountingResponse, radius.CodeAccessChallenge, radius.CodeStatusServer:
		return c.String()
	}
	return strconv.Itoa(int(c))
}
