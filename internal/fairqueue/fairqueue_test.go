package fairqueue

import (
	"slices"
	"testing"
)

func popAll(t *testing.T, q *Queue[string, string], n int) []string {
	t.Helper()
	var got []string
	for range n {
		item, ok := q.Pop()
		if !ok {
			t.Fatal("queue ended early")
		}
		got = append(got, item)
	}
	return got
}

// TestKeysTakeTurns: a key with many items queued does not delay another's:
// they are served alternately, each in its order.
func TestKeysTakeTurns(t *testing.T) {
	q := New[string, string](100)
	for _, item := range []string{"f0", "f1", "f2", "f3", "f4"} {
		q.Push("flood", item) // the flood arrives first
	}
	q.Push("gw", "g0")
	q.Push("gw", "g1")
	if got, want := popAll(t, q, 7), []string{"f0", "g0", "f1", "g1", "f2", "f3", "f4"}; !slices.Equal(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
	if _, ok := q.TryPop(); ok || q.Len() != 0 {
		t.Fatalf("%d left", q.Len())
	}
}

// TestFullDropsFromTheLongest: when full, the longest key queue gives up
// its oldest item, so a newcomer still gets in; the longest key's own new
// item is the one refused.
func TestFullDropsFromTheLongest(t *testing.T) {
	q := New[string, string](4)
	for _, item := range []string{"f0", "f1", "f2"} {
		if _, ok := q.Push("flood", item); !ok {
			t.Fatal("dropped before the queue was full")
		}
	}
	q.Push("a", "a0")
	if dropped, ok := q.Push("b", "b0"); ok || dropped != "f0" {
		t.Fatalf("dropped %q (ok %v), want the flood's oldest", dropped, ok)
	}
	if dropped, ok := q.Push("flood", "f9"); ok || dropped != "f9" {
		t.Fatalf("dropped %q (ok %v), want the flood's new item", dropped, ok)
	}
	if got, want := popAll(t, q, 4), []string{"f1", "a0", "b0", "f2"}; !slices.Equal(got, want) || q.Len() != 0 {
		t.Fatalf("served %v, want %v", got, want)
	}
}

// TestCloseDrains: after Close, Pop returns what is queued, then false; a
// waiting Pop is woken by a Push.
func TestCloseDrains(t *testing.T) {
	q := New[string, string](10)
	done := make(chan bool)
	go func() {
		_, ok := q.Pop() // waits: nothing queued yet
		done <- ok
	}()
	q.Push("k", "x")
	if !<-done {
		t.Fatal("the waiting Pop got nothing")
	}
	q.Push("k", "y")
	q.Close()
	if item, ok := q.Pop(); !ok || item != "y" {
		t.Fatal("a queued item was lost at Close")
	}
	if _, ok := q.Pop(); ok {
		t.Fatal("Pop after Close and drain returned an item")
	}
}
