package radiusd

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// replyCache remembers requests by (source, identifier, authenticator), as
// FreeRADIUS does: a retransmit of a request still in flight is ignored (the
// first copy will be answered), and a retransmit of an answered request gets
// the same reply again without being processed twice. Entries of answered
// requests expire after ttl; in-flight entries live until answered or dropped.
// Every answer gets the same ttl, so answers expire in the order they were
// given: each shard keeps them in that order, and a sweep looks only at
// those that are due instead of at every entry.
type replyCache struct {
	ttl    time.Duration
	seed   maphash.Seed
	shards [32]replyShard
}

type replyShard struct {
	mu      sync.Mutex
	entries map[replyKey]replyEntry
	// due lists the answered entries oldest first; one whose entry was
	// answered again, forgotten or replaced since is skipped by the sweep.
	due []dueEntry
}

type dueEntry struct {
	key     replyKey
	expires time.Time
}

type replyKey struct {
	source        netip.AddrPort
	identifier    byte
	authenticator [16]byte
}

type replyEntry struct {
	reply   []byte // nil while in flight
	expires time.Time
}

// cacheState says what the cache knows of a request.
type cacheState int

const (
	cacheNew      cacheState = iota // first copy: process it
	cacheInFlight                   // a copy is being processed: ignore this one
	cacheAnswered                   // answered before: resend the cached reply
)

func newReplyCache(ttl time.Duration) *replyCache {
	c := &replyCache{ttl: ttl, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].entries = map[replyKey]replyEntry{}
	}
	return c
}

func (c *replyCache) shard(k replyKey) *replyShard {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(k.authenticator[:])
	return &c.shards[h.Sum64()%uint64(len(c.shards))]
}

// begin registers a request. For cacheAnswered it returns the reply to resend.
func (c *replyCache) begin(k replyKey, now time.Time) (cacheState, []byte) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[k]; ok {
		if e.reply == nil {
			return cacheInFlight, nil
		}
		if now.Before(e.expires) {
			return cacheAnswered, e.reply
		}
	}
	s.entries[k] = replyEntry{}
	return cacheNew, nil
}

// answered stores the reply sent for a request.
func (c *replyCache) answered(k replyKey, reply []byte, now time.Time) {
	s := c.shard(k)
	expires := now.Add(c.ttl)
	s.mu.Lock()
	s.entries[k] = replyEntry{reply: reply, expires: expires}
	s.due = append(s.due, dueEntry{key: k, expires: expires})
	s.mu.Unlock()
}

// forget removes a request that was dropped, so a retransmit is processed anew.
func (c *replyCache) forget(k replyKey) {
	s := c.shard(k)
	s.mu.Lock()
	delete(s.entries, k)
	s.mu.Unlock()
}

// sweep removes expired answered entries.
func (c *replyCache) sweep(now time.Time) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n := 0
		for ; n < len(s.due) && now.After(s.due[n].expires); n++ {
			k := s.due[n].key
			if e, ok := s.entries[k]; ok && e.reply != nil && now.After(e.expires) {
				delete(s.entries, k)
			}
		}
		s.due = s.due[n:]
		s.mu.Unlock()
	}
}

func (c *replyCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}
