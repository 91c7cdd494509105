package limits

import (
	"cmp"
	"context"
	"sync"
	"time"
)

// BatcherConfig sizes a CardBatcher; zero fields take their defaults.
type BatcherConfig struct {
	// Workers is how many batches run at once (default 1). A second worker
	// halves the batches: on two cores it cost a fifth more CPU per call
	// and, with one Stop per ten calls, a sixth of the throughput.
	Workers int
	// MaxBatch caps the calls of one batch (default 64).
	MaxBatch int
	// QueueSize is how many calls wait for a worker before Submit blocks
	// (default 1024).
	QueueSize int
	// Timeout bounds one batch's transaction (default 2 s).
	Timeout time.Duration
}

// CardBatcher decides card calls submitted concurrently in shared
// transactions (AuthorizeCards). A worker takes every call waiting, up
// to MaxBatch, so batches grow with the load and a lone call goes alone,
// without waiting for company.
type CardBatcher struct {
	service *Service
	cfg     BatcherConfig
	queue   chan cardJob
	running sync.WaitGroup
}

type cardJob struct {
	call CardCall
	done func(Authorization, error)
}

// NewCardBatcher starts the workers; Close stops them.
func (s *Service) NewCardBatcher(cfg BatcherConfig) *CardBatcher {
	cfg.Workers = cmp.Or(cfg.Workers, 1)
	cfg.MaxBatch = cmp.Or(cfg.MaxBatch, 64)
	cfg.QueueSize = cmp.Or(cfg.QueueSize, 1024)
	cfg.Timeout = cmp.Or(cfg.Timeout, 2*time.Second)
	b := &CardBatcher{service: s, cfg: cfg, queue: make(chan cardJob, cfg.QueueSize)}
	b.running.Add(cfg.Workers)
	for range cfg.Workers {
		go b.work()
	}
	return b
}

// Submit queues a call; done is called once with its decision, on a
// worker goroutine. Submit blocks while the queue is full.
func (b *CardBatcher) Submit(call CardCall, done func(Authorization, error)) {
	b.queue <- cardJob{call: call, done: done}
}

// Close decides the calls already submitted and stops the workers. No
// Submit may follow.
func (b *CardBatcher) Close() {
	close(b.queue)
	b.running.Wait()
}

func (b *CardBatcher) work() {
	defer b.running.Done()
	jobs := make([]cardJob, 0, b.cfg.MaxBatch)
	calls := make([]CardCall, 0, b.cfg.MaxBatch)
	for first := range b.queue {
		jobs = append(jobs[:0], first)
	gather:
		for len(jobs) < b.cfg.MaxBatch {
			select {
			case job, ok := <-b.queue:
				if !ok {
					break gather
				}
				jobs = append(jobs, job)
			default:
				break gather
			}
		}
		calls = calls[:0]
		for _, job := range jobs {
			calls = append(calls, job.call)
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
		decided, err := b.service.AuthorizeCards(ctx, calls)
		cancel()
		for i, job := range jobs {
			if err != nil {
				job.done(Authorization{}, err)
			} else {
				job.done(decided[i], nil)
			}
		}
	}
}
