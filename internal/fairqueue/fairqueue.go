// Package fairqueue is a bounded queue with one FIFO per key, served round
// robin: a key that floods waits behind its own items, not in front of
// every other key's. When full, the longest key queue loses its oldest
// item, so a flood cannot take the places of the others either.
package fairqueue

import (
	"slices"
	"sync"
)

// Queue is safe for concurrent use.
type Queue[K comparable, T any] struct {
	mu     sync.Mutex
	more   *sync.Cond // signalled when an item arrives or the queue closes
	queues map[K]*keyQueue[K, T]
	ready  []*keyQueue[K, T] // keys with items, in serving order
	total  int
	limit  int
	closed bool
}

type keyQueue[K comparable, T any] struct {
	key   K
	items []T
}

// New returns a queue of at most limit items.
func New[K comparable, T any](limit int) *Queue[K, T] {
	q := &Queue[K, T]{queues: map[K]*keyQueue[K, T]{}, limit: limit}
	q.more = sync.NewCond(&q.mu)
	return q
}

// Push queues item behind key's. When the queue is full it makes room by
// dropping the oldest item of the longest key queue — or refuses item
// itself when its own key's queue is that one — and returns what it
// dropped with ok false.
func (q *Queue[K, T]) Push(key K, item T) (dropped T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	kq := q.queues[key]
	if kq == nil {
		kq = &keyQueue[K, T]{key: key}
		q.queues[key] = kq
	}
	ok = true
	if q.total >= q.limit {
		longest := kq
		for _, other := range q.ready {
			if len(other.items) > len(longest.items) {
				longest = other
			}
		}
		if longest == kq {
			if len(kq.items) == 0 {
				delete(q.queues, key)
			}
			return item, false
		}
		dropped, ok = q.take(longest), false
	}
	if len(kq.items) == 0 {
		q.ready = append(q.ready, kq)
	}
	kq.items = append(kq.items, item)
	q.total++
	q.more.Signal()
	return dropped, ok
}

// Pop returns the next item, taking keys in turn; it waits while the
// queue is empty, and reports false once it is closed and empty.
func (q *Queue[K, T]) Pop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 {
		if q.closed {
			var none T
			return none, false
		}
		q.more.Wait()
	}
	return q.next(), true
}

// TryPop is Pop without the wait: false when nothing is queued.
func (q *Queue[K, T]) TryPop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ready) == 0 {
		var none T
		return none, false
	}
	return q.next(), true
}

func (q *Queue[K, T]) next() T {
	kq := q.ready[0]
	item := q.take(kq)
	if len(kq.items) > 0 { // the key's next item goes to the back of the line
		q.ready = append(q.ready[1:], kq)
	}
	return item
}

// take removes kq's oldest item; a key left without items leaves the
// queue.
func (q *Queue[K, T]) take(kq *keyQueue[K, T]) T {
	item := kq.items[0]
	var none T
	kq.items[0] = none // let it go
	kq.items = kq.items[1:]
	q.total--
	if len(kq.items) == 0 {
		q.ready = slices.DeleteFunc(q.ready, func(r *keyQueue[K, T]) bool { return r == kq })
		delete(q.queues, kq.key)
	}
	return item
}

// Len is how many items wait.
func (q *Queue[K, T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// Close lets Pop drain what is queued, then report false. No Push may
// follow.
func (q *Queue[K, T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.more.Broadcast()
}
