package radiusd

import (
	"net/netip"
	"sync"
)

// inFlight counts, per source address, the requests a worker has taken and
// that are not yet answered or dropped — accounting requests stay counted
// until their batch commits. A source at its limit has its next packets
// dropped before they are parsed: a flood is then shed at the cost of a
// map lookup, instead of being parsed, decoded and rated only to find the
// writer's queue full, which used the CPU that gateways' packets needed.
type inFlight struct {
	limit int // the default; 0: no limit
	mu    sync.Mutex
	n     map[netip.Addr]int
}

func newInFlight(limit int) *inFlight {
	return &inFlight{limit: limit, n: map[netip.Addr]int{}}
}

// limitOf is the limit of a source of client c.
func (f *inFlight) limitOf(c *Client) int {
	if c.MaxInFlight > 0 {
		return c.MaxInFlight
	}
	return f.limit
}

// full tells whether source a of client c is at its limit now.
func (f *inFlight) full(a netip.Addr, c *Client) bool {
	limit := f.limitOf(c)
	if limit <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n[a] >= limit
}

// acquire counts one more request of source a of client c, unless a is at
// its limit.
func (f *inFlight) acquire(a netip.Addr, c *Client) bool {
	limit := f.limitOf(c)
	f.mu.Lock()
	defer f.mu.Unlock()
	if limit > 0 && f.n[a] >= limit {
		return false
	}
	f.n[a]++
	return true
}

// release ends one request of a.
func (f *inFlight) release(a netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[a] <= 1 {
		delete(f.n, a)
		return
	}
	f.n[a]--
}
