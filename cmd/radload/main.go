// Command radload is radbill's load generator: it sends N distinct Cisco
// accounting Stops (four-leg style h323 VSAs, unique Acct-Session-Id and
// h323-conf-id each) with C requests in flight, retransmits unanswered ones
// like a gateway does, and prints answered/s, unanswered and latency
// percentiles. With -acked it writes the Acct-Session-Id of every
// acknowledged Stop, one per line, so a test can compare them with the CDRs.
package main

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/radiusd/cisco"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:1813", "radiusd accounting address; several, comma-separated, get every Stop (Cisco broadcast accounting) and a Stop counts as acknowledged when all have answered")
	secret := flag.String("secret", "testing123", "shared secret")
	total := flag.Int("n", 100000, "Stops to send")
	inFlight := flag.Int("c", 64, "requests in flight")
	timeout := flag.Duration("timeout", 2*time.Second, "wait for a reply before retransmitting")
	retries := flag.Int("retries", 3, "retransmissions before giving up on a request")
	nasIP := flag.String("nas", "192.0.2.10", "NAS-IP-Address of the first gateway")
	gateways := flag.Int("gateways", 1, "spread the Stops over this many NAS-IP-Addresses, counting up from -nas")
	ackedPath := flag.String("acked", "", "write acknowledged Acct-Session-Ids to this file")
	flood := flag.Int("flood", 0, "instead: offer this many Stops per second without waiting for replies (overload test)")
	bind := flag.String("bind", "", "local IP address to send from")
	authCards := flag.Int("auth-cards", 0, "instead: send stage-2 Access-Requests (call authorization) for this many prepaid cards numbered from -auth-first, PIN -auth-pin, to auth port -addr")
	authFirst := flag.Int("auth-first", 8800000, "first card number for -auth-cards")
	authPIN := flag.String("auth-pin", "1234", "PIN of the cards for -auth-cards")
	authCalls := flag.Int("auth-calls", 0, "with -auth-cards: cycle through this many h323-conf-ids per card, so that each card holds at most this many reservations (calls in progress) and later requests re-authorize them; 0: a fresh conf-id per request")
	authStops := flag.String("auth-stops", "", "with -auth-cards: after each Access-Accept send the call's Stop (the card as User-Name, the same h323-conf-id, up to 600 s long) to this accounting address, so that every authorized call is settled")
	authStopEvery := flag.Int("auth-stop-every", 1, "with -auth-stops: only every Nth accepted call ends (sends its Stop) during the run; the others stay in progress, holding their reservations")
	userName := flag.String("user", "", "User-Name of every Stop (e.g. a prepaid account, so each Stop debits it); default a number per Stop")
	flag.Parse()

	run := make([]byte, 4)
	_, _ = rand.Read(run)
	g := &generator{
		addrs: strings.Split(*addr, ","), secret: []byte(*secret), total: int64(*total), timeout: *timeout, retries: *retries,
		nasIP: net.ParseIP(*nasIP).To4(), gateways: max(*gateways, 1), runID: hex.EncodeToString(run), userName: *userName,
	}
	if *bind != "" {
		g.local = &net.UDPAddr{IP: net.ParseIP(*bind)}
	}
	if *flood > 0 {
		g.flood(*flood)
		return
	}
	if *authStops != "" && *authCalls > 0 {
		fmt.Fprintln(os.Stderr, "radload: -auth-stops settles every call: it needs a fresh conf-id per call (-auth-calls 0)")
		os.Exit(2)
	}
	if *authCards > 0 {
		g.authorization = &authorization{cards: *authCards, first: *authFirst, pin: *authPIN, callsPerCard: *authCalls, stopsTo: *authStops, stopEvery: max(*authStopEvery, 1)}
	}
	// SIGINT stops sending new Stops; those in flight finish, and the
	// figures and -acked file are written for what was sent.
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	go func() {
		<-interrupt
		g.next.Store(g.total)
	}()
	if err := g.prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "radload:", err)
		os.Exit(1)
	}
	start := time.Now()
	results := g.run(*inFlight)
	elapsed := time.Since(start)

	var latencies []time.Duration
	var acked []string
	for _, r := range results {
		if r.answered {
			latencies = append(latencies, r.latency)
			acked = append(acked, r.sessionID)
		}
	}
	slices.Sort(latencies)
	fmt.Printf("sent %d requests with %d in flight in %.2fs\n", *total, *inFlight, elapsed.Seconds())
	fmt.Printf("answered %d (%.0f/s), unanswered %d, retransmissions %d\n",
		len(latencies), float64(len(latencies))/elapsed.Seconds(), *total-len(latencies), g.retransmits.Load())
	if g.authorization != nil {
		fmt.Printf("Access-Accept %d, Access-Reject %d\n", g.accepted.Load(), int64(len(latencies))-g.accepted.Load())
	}
	if len(latencies) > 0 {
		fmt.Printf("latency p50 %s  p99 %s  max %s\n", pct(latencies, 50), pct(latencies, 99), latencies[len(latencies)-1])
	}
	if g.authorization != nil && g.authorization.stopsTo != "" {
		var stopLatencies []time.Duration
		for _, r := range g.stops {
			if r.answered {
				stopLatencies = append(stopLatencies, r.latency)
			}
		}
		slices.Sort(stopLatencies)
		fmt.Printf("Stops of the ended calls acknowledged %d (%.0f/s)\n", len(stopLatencies), float64(len(stopLatencies))/elapsed.Seconds())
		if len(stopLatencies) > 0 {
			fmt.Printf("Stop latency p50 %s  p99 %s  max %s\n", pct(stopLatencies, 50), pct(stopLatencies, 99), stopLatencies[len(stopLatencies)-1])
		}
	}
	if *ackedPath != "" {
		if err := writeLines(*ackedPath, acked); err != nil {
			fmt.Fprintln(os.Stderr, "radload:", err)
			os.Exit(1)
		}
	}
	if len(latencies) != *total {
		os.Exit(3)
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100].Round(10 * time.Microsecond)
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type generator struct {
	addrs    []string
	secret   []byte
	total    int64
	timeout  time.Duration
	retries  int
	nasIP    net.IP
	gateways int
	local    *net.UDPAddr
	userName string
	// authorization, when set, makes the requests stage-2 Access-Requests.
	authorization *authorization
	// requests are the run's requests, built by prepare; stopRequests the
	// Stops of the calls that end (-auth-stops), nil for the others;
	// sessionIDs their Acct-Session-Ids.
	requests, stopRequests [][]byte
	sessionIDs             []string
	// stops are the results of the authorized calls' Stops (-auth-stops).
	stops       []result
	runID       string
	next        atomic.Int64
	retransmits atomic.Int64
	accepted    atomic.Int64
}

type result struct {
	sessionID string
	answered  bool
	latency   time.Duration
}

func (g *generator) run(workers int) []result {
	results := make([]result, g.total)
	g.stops = make([]result, g.total)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var conns []*net.UDPConn
			for _, addr := range g.addrs {
				conn, err := g.dial(addr)
				if err != nil {
					fmt.Fprintln(os.Stderr, "radload:", err)
					return
				}
				defer conn.Close()
				conns = append(conns, conn)
			}
			var acct *net.UDPConn
			if g.authorization != nil && g.authorization.stopsTo != "" {
				var err error
				if acct, err = g.dial(g.authorization.stopsTo); err != nil {
					fmt.Fprintln(os.Stderr, "radload:", err)
					return
				}
				defer acct.Close()
			}
			reply := make([]byte, radius.MaxPacketLength)
			for {
				i := g.next.Add(1) - 1
				if i >= g.total {
					return
				}
				results[i] = g.exchange(conns, reply, g.sessionIDs[i], g.requests[i])
				if acct != nil && results[i].answered && radius.Code(reply[0]) == radius.CodeAccessAccept && g.stopRequests[i] != nil {
					g.stops[i] = g.exchange([]*net.UDPConn{acct}, reply, g.sessionIDs[i], g.stopRequests[i])
				}
			}
		})
	}
	wg.Wait()
	return results
}

// prepare builds every request, and the Stop of every call that is to end,
// with their session ids, before the clock starts (about 350 bytes a
// request): building them during the run cost the generator a tenth to a
// fifth of its CPU, which the server on the same machine then lacked.
// Request i has the identifier byte(i), so a worker's consecutive requests
// differ in it.
func (g *generator) prepare() error {
	g.requests, g.sessionIDs = make([][]byte, g.total), make([]string, g.total)
	build := g.request()
	var stop builder
	if a := g.authorization; a != nil && a.stopsTo != "" {
		g.stopRequests = make([][]byte, g.total)
		stop = a.stop(g)
	}
	builders := runtime.GOMAXPROCS(0)
	errs := make([]error, builders)
	var wg sync.WaitGroup
	for b := range builders {
		wg.Go(func() {
			for i := int64(b); i < g.total; i += int64(builders) {
				g.sessionIDs[i] = g.sessionID(i)
				var err error
				if g.requests[i], err = build(i, g.sessionIDs[i], byte(i)); err == nil && stop != nil && i%int64(g.authorization.stopEvery) == 0 {
					g.stopRequests[i], err = stop(i, g.sessionIDs[i], byte(i))
				}
				if err != nil {
					errs[b] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// builder builds request i with its Acct-Session-Id and identifier.
type builder func(i int64, sessionID string, id byte) ([]byte, error)

// request is the builder of the run's requests: Stops, or stage-2
// Access-Requests with -auth-cards.
func (g *generator) request() builder {
	if g.authorization != nil {
		return g.authorization.request(g)
	}
	return func(i int64, sessionID string, id byte) ([]byte, error) {
		return g.stop(i, sessionID, g.stopUser(i), id)
	}
}

// sessionID is the Acct-Session-Id of request i: unique to the run.
func (g *generator) sessionID(i int64) string { return fmt.Sprintf("%s%08X", g.runID, i) }

// stopUser is the User-Name of Stop i: -user, or a number per Stop.
func (g *generator) stopUser(i int64) string {
	if g.userName != "" {
		return g.userName
	}
	return fmt.Sprintf("1%06d", i%1000000)
}

// exchange sends a request and awaits its answers.
func (g *generator) exchange(conns []*net.UDPConn, reply []byte, sessionID string, wire []byte) result {
	start := time.Now()
	for _, conn := range conns {
		_, _ = conn.Write(wire) // a lost send is retransmitted by await
	}
	for _, conn := range conns {
		if !g.await(conn, wire, reply) {
			return result{sessionID: sessionID}
		}
	}
	return result{sessionID: sessionID, answered: true, latency: time.Since(start)}
}

// await waits for the answer to wire on conn, retransmitting it after each
// timeout like a gateway, up to g.retries times.
func (g *generator) await(conn *net.UDPConn, wire, reply []byte) bool {
	for attempt := 0; ; attempt++ {
		deadline := time.Now().Add(g.timeout)
		_ = conn.SetReadDeadline(deadline)
		for {
			n, err := conn.Read(reply)
			if err != nil {
				// A timeout, or the ICMP refusal of a server that is down:
				// either way wait out the timeout before retransmitting.
				time.Sleep(time.Until(deadline))
				break
			}
			// Ignore late replies to an earlier request of this socket.
			if n >= 20 && reply[1] == wire[1] && radius.IsAuthenticResponse(reply[:n], wire, g.secret) {
				if radius.Code(reply[0]) == radius.CodeAccessAccept {
					g.accepted.Add(1)
				}
				return true
			}
		}
		if attempt == g.retries {
			return false
		}
		g.retransmits.Add(1)
		_, _ = conn.Write(wire)
	}
}

// stop builds the Stop of call i, lasting 1 to 600 s.
func (g *generator) stop(i int64, sessionID, userName string, id byte) ([]byte, error) {
	p := radius.New(radius.CodeAccountingRequest, g.secret)
	p.Identifier = id
	add := func(t radius.Type, v []byte) { p.Add(t, v) }
	u32 := radius.NewInteger
	now := time.Now().UTC()
	connect := now.Add(-time.Duration(i%600+1) * time.Second)
	ciscoTime := func(t time.Time) string { return t.Format("15:04:05.000 MST Mon Jan 2 2006") }
	add(40, u32(2)) // Acct-Status-Type = Stop
	add(1, []byte(userName))
	add(44, []byte(sessionID))
	add(31, []byte(fmt.Sprintf("1110%03d", i%1000)))
	add(30, []byte(fmt.Sprintf("35988%06d", i%1000000)))
	nas := append(net.IP(nil), g.nasIP...)
	nas[3] += byte(i % int64(g.gateways))
	add(4, radius.Attribute(nas))
	add(46, u32(uint32(now.Sub(connect).Seconds())))
	add(41, u32(0))
	confID := fmt.Sprintf("%s %08X 0F4411D6 CBF3D765", g.runID, uint32(i))
	for _, v := range []struct {
		t     byte
		value string
	}{
		{cisco.AttrConfID, confID},
		{cisco.AttrAVPair, "h323-incoming-conf-id=" + confID},
		{cisco.AttrCallOrigin, "originate"},
		{cisco.AttrCallType, "Telephony"},
		{cisco.AttrSetupTime, ciscoTime(connect.Add(-5 * time.Second))},
		{cisco.AttrConnectTime, ciscoTime(connect)},
		{cisco.AttrDisconnectTime, ciscoTime(now)},
		{cisco.AttrDisconnectCause, "10"},
		{cisco.AttrVoiceQuality, "0"},
		{cisco.AttrRemoteAddress, "192.0.2.20"},
		{cisco.AttrGatewayID, "LoadGW."},
	} {
		vsa, err := cisco.NewVSA(v.t, v.value)
		if err != nil {
			return nil, err
		}
		add(26, vsa)
	}
	return p.Encode()
}

func (g *generator) dial(addr string) (*net.UDPConn, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	return net.DialUDP("udp", g.local, raddr)
}

// flood offers perSecond Stops per second for g.total Stops, from four
// sockets, counting the replies that come back but never waiting for them.
func (g *generator) flood(perSecond int) {
	const senders = 4
	var sent, answered atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for s := range senders {
		conn, err := g.dial(g.addrs[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "radload:", err)
			os.Exit(1)
		}
		go func() {
			buf := make([]byte, radius.MaxPacketLength)
			for {
				if _, err := conn.Read(buf); err != nil {
					return
				}
				answered.Add(1)
			}
		}()
		wg.Go(func() {
			defer func() { time.Sleep(time.Second); conn.Close() }()
			// One Stop is built per sender and the others patched from it
			// (Acct-Session-Id, identifier, authenticator): building each
			// from scratch cost the generator a core of this 2-core box,
			// which the flood measurement then took away from the server.
			first := int64(s)
			template, err := g.stop(first, g.sessionID(first), g.stopUser(first), 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, "radload:", err)
				return
			}
			sessionAt := bytes.Index(template, fmt.Appendf(nil, "%s%08X", g.runID, first)) + len(g.runID)
			wire := make([]byte, len(template), len(template)+len(g.secret))
			interval := time.Second * senders / time.Duration(perSecond)
			next := time.Now()
			for i := first; i < g.total; i += senders {
				copy(wire, template)
				copy(wire[sessionAt:], fmt.Appendf(nil, "%08X", i))
				wire[1] = byte(i)
				clear(wire[4:20])
				sum := md5.Sum(append(wire, g.secret...))
				copy(wire[4:20], sum[:])
				if _, err := conn.Write(wire); err == nil {
					sent.Add(1)
				}
				// Sleep in steps of a millisecond or more: a timer per
				// packet costs more than the packet.
				if next = next.Add(interval); time.Until(next) > time.Millisecond {
					time.Sleep(time.Until(next))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("flood: offered %d Stops in %.1fs (%.0f/s), answered %d (%.0f/s)\n",
		sent.Load(), elapsed.Seconds(), float64(sent.Load())/elapsed.Seconds(), answered.Load(), float64(answered.Load())/elapsed.Seconds())
}

// authorization builds the Cisco debit-card flow's Access-Request #2:
// account, PIN (PAP), destination and an h323-conf-id per call.
type authorization struct {
	cards, first int
	pin          string
	callsPerCard int
	stopsTo      string
	stopEvery    int
}

func (a *authorization) card(i int64) string { return strconv.Itoa(a.first + int(i%int64(a.cards))) }

// stop builds the Stop of an authorized call, for -auth-stops.
func (a *authorization) stop(g *generator) builder {
	return func(i int64, sessionID string, id byte) ([]byte, error) { return g.stop(i, sessionID, a.card(i), id) }
}

func (a *authorization) request(g *generator) builder {
	return func(i int64, _ string, id byte) ([]byte, error) {
		p := radius.New(radius.CodeAccessRequest, g.secret)
		p.Identifier = id
		if a.callsPerCard > 0 {
			i %= int64(a.cards * a.callsPerCard) // the card is still i % cards
		}
		p.Add(1, []byte(a.card(i)))
		password := make([]byte, 16)
		copy(password, a.pin)
		h := md5.New()
		h.Write(g.secret)
		h.Write(p.Authenticator[:])
		for j, b := range h.Sum(nil) {
			password[j] ^= b
		}
		p.Add(2, password)
		p.Add(30, []byte(fmt.Sprintf("35988%06d", i%1000000)))
		p.Add(31, []byte("1110001"))
		vsa, err := cisco.NewVSA(cisco.AttrConfID, fmt.Sprintf("%s %08X 0F4411D6 CBF3D765", g.runID, uint32(i)))
		if err != nil {
			return nil, err
		}
		p.Add(26, vsa)
		return p.Encode()
	}
}
