package radiusd

import (
	"net/netip"
	"testing"
)

func jobFrom(source string, n int) job {
	return job{source: netip.AddrPortFrom(netip.MustParseAddr(source), uint16(n)), wire: []byte{byte(n)}}
}

// TestFairQueueTakesSourcesInTurn: a source with many packets queued does
// not delay another's: they are served alternately, each in its order.
func TestFairQueueTakesSourcesInTurn(t *testing.T) {
	q := newFairQueue(100)
	for n := range 5 {
		q.push(jobFrom("192.0.2.1", n)) // the flood arrives first
	}
	q.push(jobFrom("192.0.2.2", 0))
	q.push(jobFrom("192.0.2.2", 1))
	var order []string
	for range 7 {
		j, ok := q.pop()
		if !ok {
			t.Fatal("queue ended early")
		}
		order = append(order, j.source.String())
	}
	want := []string{"192.0.2.1:0", "192.0.2.2:0", "192.0.2.1:1", "192.0.2.2:1", "192.0.2.1:2", "192.0.2.1:3", "192.0.2.1:4"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("served %v, want %v", order, want)
		}
	}
	if q.len() != 0 {
		t.Fatalf("%d left", q.len())
	}
}

// TestFairQueueFullDropsFromTheLongest: when full, the longest source
// queue gives up its oldest packet, so a newcomer still gets in; the
// longest source's own new packet is the one refused.
func TestFairQueueFullDropsFromTheLongest(t *testing.T) {
	q := newFairQueue(4)
	for n := range 3 {
		if _, full := q.push(jobFrom("192.0.2.1", n)); full {
			t.Fatal("dropped before the queue was full")
		}
	}
	q.push(jobFrom("192.0.2.2", 0))
	dropped, full := q.push(jobFrom("192.0.2.3", 0))
	if !full || dropped.source.String() != "192.0.2.1:0" {
		t.Fatalf("dropped %v (full %v), want the flood's oldest", dropped.source, full)
	}
	// The flood's queue is the longest: its own new packet is refused.
	dropped, full = q.push(jobFrom("192.0.2.1", 9))
	if !full || dropped.source.String() != "192.0.2.1:9" {
		t.Fatalf("dropped %v (full %v), want the flood's new packet", dropped.source, full)
	}
	if q.len() != 4 {
		t.Fatalf("%d queued, want the limit 4", q.len())
	}
	var served []string
	for range 4 {
		j, _ := q.pop()
		served = append(served, j.source.String())
	}
	if want := []string{"192.0.2.1:1", "192.0.2.2:0", "192.0.2.3:0", "192.0.2.1:2"}; served[0] != want[0] || served[1] != want[1] || served[2] != want[2] || served[3] != want[3] {
		t.Fatalf("served %v, want %v", served, want)
	}
}

// TestFairQueueCloseDrains: after close the workers get what is queued,
// then false; a waiting worker is woken.
func TestFairQueueCloseDrains(t *testing.T) {
	q := newFairQueue(10)
	done := make(chan bool)
	go func() {
		_, ok := q.pop() // waits: nothing queued yet
		done <- ok
	}()
	q.push(jobFrom("192.0.2.1", 0))
	if !<-done {
		t.Fatal("the waiting worker got nothing")
	}
	q.push(jobFrom("192.0.2.1", 1))
	q.close()
	if _, ok := q.pop(); !ok {
		t.Fatal("a queued job was lost at close")
	}
	if _, ok := q.pop(); ok {
		t.Fatal("pop after close and drain returned a job")
	}
}
