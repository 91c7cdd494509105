package radiusd

import (
	"net"
	"net/netip"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/net/ipv4"
)

// outbox sends a listener's replies. They come in bursts — every request
// of a committed batch is answered at once — and one sendmmsg(2) for a
// burst costs far less than a sendto(2) per reply (20 replies on loopback:
// 46–54 µs against 120–130 µs on the development machine). A goroutine
// per listener sends whatever has queued up since its last send; on
// systems without sendmmsg, x/net writes the messages one by one.
type outbox struct {
	conn *ipv4.PacketConn // its batch calls suit IPv6 sockets as well: each message carries its address
	log  *zap.Logger
	name string

	mu      sync.Mutex
	pending []ipv4.Message
	closed  bool
	wake    chan struct{} // holds a token while pending is not empty
	done    chan struct{}
}

func newOutbox(conn *net.UDPConn, name string, log *zap.Logger) *outbox {
	o := &outbox{conn: ipv4.NewPacketConn(conn), log: log, name: name, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go o.run()
	return o
}

// send queues a datagram. After close it is sent at once by the caller.
func (o *outbox) send(wire []byte, to netip.AddrPort) {
	m := ipv4.Message{Buffers: [][]byte{wire}, Addr: net.UDPAddrFromAddrPort(to)}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		o.write([]ipv4.Message{m})
		return
	}
	o.pending = append(o.pending, m)
	o.mu.Unlock()
	o.nudge()
}

// nudge wakes the sender, unless a token is there already.
func (o *outbox) nudge() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *outbox) run() {
	defer close(o.done)
	var batch []ipv4.Message
	for range o.wake {
		o.mu.Lock()
		batch, o.pending = o.pending, batch[:0]
		closed := o.closed
		o.mu.Unlock()
		o.write(batch)
		clear(batch) // the datagrams may be collected
		if closed {
			return
		}
	}
}

func (o *outbox) write(batch []ipv4.Message) {
	for len(batch) > 0 {
		n, err := o.conn.WriteBatch(batch, 0)
		if err != nil {
			// The error is the first unsent message's; the rest still go.
			o.log.Warn("reply not sent", zap.String("listener", o.name), zap.Stringer("to", batch[0].Addr), zap.Error(err))
			n = 1
		}
		batch = batch[n:]
	}
}

// close sends what is queued and returns once it is sent.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.nudge()
	<-o.done
}
