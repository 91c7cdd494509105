package radiusd

import (
	"net/netip"
	"slices"
	"sync"
)

// fairQueue holds the packets waiting for a worker, one queue per source
// address, served round robin: a flooding NAS waits behind its own
// packets, not in front of every other gateway's (a client entry with a
// CIDR may cover many NAS). It holds at most limit packets; when
// full, the longest queue loses its oldest packet to make room, so a flood
// cannot take the places of well-behaved gateways either.
type fairQueue struct {
	mu     sync.Mutex
	more   *sync.Cond // signalled when a job arrives or the queue closes
	queues map[netip.Addr]*sourceJobs
	ready  []*sourceJobs // sources with jobs, in serving order
	total  int
	limit  int
	closed bool
}

type sourceJobs struct {
	source netip.Addr
	jobs   []job
}

func newFairQueue(limit int) *fairQueue {
	q := &fairQueue{queues: map[netip.Addr]*sourceJobs{}, limit: limit}
	q.more = sync.NewCond(&q.mu)
	return q
}

// push queues j behind its source's packets. When the queue is full it
// makes room by dropping the oldest packet of the longest source queue —
// j itself when its own queue is that one — and returns the dropped job.
func (q *fairQueue) push(j job) (dropped job, full bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	source := j.source.Addr()
	cq := q.queues[source]
	if cq == nil {
		cq = &sourceJobs{source: source}
		q.queues[source] = cq
	}
	if q.total >= q.limit {
		longest := cq
		for _, other := range q.ready {
			if len(other.jobs) > len(longest.jobs) {
				longest = other
			}
		}
		if longest == cq {
			return j, true
		}
		dropped = q.take(longest)
		full = true
	}
	if len(cq.jobs) == 0 {
		q.ready = append(q.ready, cq)
	}
	cq.jobs = append(cq.jobs, j)
	q.total++
	q.more.Signal()
	return dropped, full
}

// pop returns the next job, taking sources in turn; it waits while the
// queue is empty, and reports false once it is closed and empty.
func (q *fairQueue) pop() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 {
		if q.closed {
			return job{}, false
		}
		q.more.Wait()
	}
	cq := q.ready[0]
	j := q.take(cq)
	if len(cq.jobs) > 0 { // the source's next job goes to the back of the line
		q.ready = append(q.ready[1:], cq)
	}
	return j, true
}

// take removes cq's oldest job; a source left without jobs leaves the
// queue.
func (q *fairQueue) take(cq *sourceJobs) job {
	j := cq.jobs[0]
	cq.jobs[0] = job{} // let the datagram go
	cq.jobs = cq.jobs[1:]
	q.total--
	if len(cq.jobs) == 0 {
		q.ready = slices.DeleteFunc(q.ready, func(r *sourceJobs) bool { return r == cq })
		delete(q.queues, cq.source)
	}
	return j
}

// len is how many jobs wait.
func (q *fairQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// close lets the workers drain what is queued, then stop.
func (q *fairQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.more.Broadcast()
}
