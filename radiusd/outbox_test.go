package radiusd

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestOutboxDeliversEveryDatagram sends from several goroutines at once
// and after close, from IPv4, IPv6 and dual-stack sockets (an IPv4 peer of
// a dual-stack socket has an IPv4-mapped address): every datagram arrives
// once, including those still queued when close is called.
func TestOutboxDeliversEveryDatagram(t *testing.T) {
	cases := []struct{ name, from, to string }{
		{"ipv4", "127.0.0.1:0", "127.0.0.1:0"},
		{"ipv6", "[::1]:0", "[::1]:0"},
		{"dual-stack to ipv4", ":0", "127.0.0.1:0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			receiver := listenUDP(t, c.to)
			sender := listenUDP(t, c.from)
			to := receiver.LocalAddr().(*net.UDPAddr).AddrPort()
			if c.from == ":0" {
				to = netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port()) // as a dual-stack socket reads it
			}
			const senders, each = 4, 100
			got := make(chan string, senders*each+1)
			go func() {
				buf := make([]byte, 64)
				for {
					n, _, err := receiver.ReadFromUDPAddrPort(buf)
					if err != nil {
						return
					}
					got <- string(buf[:n])
				}
			}()

			o := newOutbox(sender, "test", zap.NewNop())
			var wg sync.WaitGroup
			for g := range senders {
				wg.Go(func() {
					for i := range each {
						o.send(fmt.Appendf(nil, "%d/%d", g, i), to)
					}
				})
			}
			wg.Wait()
			o.close()
			o.send([]byte("after close"), to)

			want := map[string]bool{"after close": true}
			for g := range senders {
				for i := range each {
					want[fmt.Sprintf("%d/%d", g, i)] = true
				}
			}
			timeout := time.After(10 * time.Second)
			for len(want) > 0 {
				select {
				case d := <-got:
					if !want[d] {
						t.Fatalf("datagram %q unexpected or repeated", d)
					}
					delete(want, d)
				case <-timeout:
					t.Fatalf("%d datagrams never arrived", len(want))
				}
			}
		})
	}
}

func listenUDP(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	t.Cleanup(func() { conn.Close() })
	return conn
}
