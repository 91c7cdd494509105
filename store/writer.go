package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/fairqueue"
	"github.com/radbill/radbill/internal/jsontext"
	"github.com/radbill/radbill/spool"
)

// Outcome says what became of one submitted record.
type Outcome int

const (
	// Stored: the record is committed.
	Stored Outcome = iota
	// Duplicate: an identical event (same DedupKey) was already committed;
	// nothing was written, and the packet may be acknowledged.
	Duplicate
	// Failed: nothing was committed; the packet must not be acknowledged.
	Failed
	// Spooled: the database could not take it; it is durable in the local
	// spool and will be replayed into the database.
	Spooled
)

func (o Outcome) String() string {
	return [...]string{"stored", "duplicate", "failed", "spooled"}[o]
}

// WriterConfig sets the group-commit policy.
type WriterConfig struct {
	// BatchSize is the most records one transaction commits.
	BatchSize int
	// FlushDelay is how long a batch that did not fill from the queue waits
	// for more records before it commits; 0 commits at once.
	FlushDelay time.Duration
	// Writers is how many writer lines run (SQLite: 1); the records of one
	// NAS always go through the same line. On MySQL a line has up to two
	// batches in flight: one committing, the next being written.
	Writers int
	// QueueSize bounds the records waiting for each writer. When a queue
	// is full, the NAS with the most records in it loses its oldest (or the
	// new one, if it is that NAS's), which fails with ErrBusy.
	QueueSize int
	// CommitTimeout bounds one attempt to write and commit a batch.
	CommitTimeout time.Duration
	// Spool, when set, takes the batches the database cannot (see spooling.go).
	Spool *spool.Spool
	// Journal (journal mode; needs Spool): every batch is acknowledged
	// once it is fsync'd to the spool, the journal, and a loader moves the
	// journal into the database in transactions of up to LoadBatch
	// records. Past MaxLagRecords records or MaxLag behind (0: no bound),
	// batches are refused (ErrJournalBehind) — not acknowledged, so the
	// gateways send them again — until the loader catches up.
	Journal       bool
	LoadBatch     int
	MaxLagRecords int
	MaxLag        time.Duration
	// Settler, when set, charges stored Stops to their owners.
	Settler Settler
}

// Writer commits accounting records in groups: many packets per transaction,
// flushed by size or after FlushDelay, so throughput does not hinge on one
// fsync per packet. Each record's done callback runs after its transaction
// commits (or fails), so a reply is never sent for an uncommitted record.
type Writer struct {
	// db begins the writer's transactions with BeginTogether, so that the
	// Settler can send its statements in groups; prepared statements work
	// on that pool as on any.
	db  *DB
	cfg WriterConfig
	log *zap.Logger
	// queues has one queue per writer goroutine. A NAS's records always go
	// to the same queue, so they commit in the order they arrived: a Start
	// before its Stop, an Accounting-On after the calls it closes.
	// Within a queue each NAS has its own line, and batches take the NAS
	// in turn, so that a NAS sending far more than the others does not
	// delay their records by whole batches.
	queues  []*fairqueue.Queue[string, pending]
	wg      sync.WaitGroup
	metrics writerMetrics
	spooler *spooler // nil without a spool
	stmts   *statements
}

type pending struct {
	rec  *cdr.Record
	done func(Outcome, error)
	// The record's keys, hashed once on submission.
	legKey, dedupKey string
	// row holds the values of the record's cdr row (a Stop) or
	// active_call row (a Start or Interim-Update). A direct writer's
	// packet worker renders them on submission, so that the writer line,
	// through which every batch passes one at a time, only sends them; a
	// journal's records are rendered by its loader.
	row []any
}

// newPending makes the record's pending write, with its row when
// withRow.
func newPending(rec *cdr.Record, done func(Outcome, error), withRow bool) pending {
	p := pending{rec: rec, done: done, legKey: rec.LegKey(), dedupKey: rec.DedupKey()}
	if !withRow {
		return p
	}
	switch rec.Status {
	case cdr.StatusStop:
		p.row = cdrValues(&p)
	case cdr.StatusStart, cdr.StatusInterimUpdate:
		p.row = activeCallValues(&p)
	}
	return p
}

type writerMetrics struct {
	batchSize     prometheus.Histogram
	commitSeconds prometheus.Histogram
	records       *prometheus.CounterVec
	queueDepth    prometheus.GaugeFunc
}

// NewWriter starts the writer goroutines. Close stops them after draining.
func NewWriter(db *DB, cfg WriterConfig, reg prometheus.Registerer, log *zap.Logger) *Writer {
	if db.Driver == SQLite {
		cfg.Writers = 1 // SQLite has a single writer; more would only queue on its lock
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = 5 * time.Second
	}
	w := &Writer{db: db, cfg: cfg, log: log, queues: make([]*fairqueue.Queue[string, pending], cfg.Writers),
		stmts: newStatements(db.togetherPool().DB)}
	for i := range w.queues {
		w.queues[i] = fairqueue.New[string, pending](cfg.QueueSize)
	}
	w.metrics = writerMetrics{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "radbill_store_batch_size", Help: "Records per committed transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "radbill_store_commit_seconds", Help: "Time to write and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "radbill_store_records_total", Help: "Accounting records by status type and outcome.",
		}, []string{"status", "outcome"}),
		queueDepth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "radbill_store_queue_depth", Help: "Records waiting for a writer.",
		}, func() float64 {
			n := 0
			for _, q := range w.queues {
				n += q.Len()
			}
			return float64(n)
		}),
	}
	reg.MustRegister(w.metrics.batchSize, w.metrics.commitSeconds, w.metrics.records, w.metrics.queueDepth)
	if cfg.Journal && cfg.LoadBatch < 1 {
		cfg.LoadBatch = 4096
		w.cfg.LoadBatch = cfg.LoadBatch
	}
	if cfg.Spool != nil {
		w.spooler = newSpooler(w, cfg.Spool, reg)
	}
	for _, q := range w.queues {
		w.wg.Add(1)
		go w.run(q)
	}
	return w
}

// JournalLag is how far the journal's loader is behind (see
// WriterConfig.Journal); ok is false in direct mode.
func (w *Writer) JournalLag() (records int, oldest time.Duration, ok bool) {
	if w.spooler == nil || !w.spooler.journal {
		return 0, 0, false
	}
	records, oldest = w.spooler.Lag()
	return records, oldest, true
}

// ErrBusy: the record's writer queue was full and the record's NAS had
// the most records in it; it was not stored.
var ErrBusy = errors.New("writer queue full")

// Submit queues a record; done is called exactly once, from a writer
// goroutine, after the record's batch has committed or failed — or at once
// with Failed and ErrBusy, on this record or on the one it displaced, when
// the queue is full (see WriterConfig.QueueSize). Submit never waits: under
// overload the packet workers go on with other gateways' packets.
func (w *Writer) Submit(rec *cdr.Record, done func(Outcome, error)) {
	h := fnv.New32a()
	h.Write([]byte(rec.NASIP))
	queue := w.queues[h.Sum32()%uint32(len(w.queues))]
	p := newPending(rec, done, !w.cfg.Journal)
	if dropped, ok := queue.Push(rec.NASIP, p); !ok {
		dropped.done(Failed, ErrBusy)
	}
}

// Close stops accepting records, commits everything queued, and waits.
func (w *Writer) Close() {
	for _, q := range w.queues {
		q.Close()
	}
	w.wg.Wait()
	if w.spooler != nil {
		w.spooler.stop()
	}
	w.stmts.close()
}

func (w *Writer) run(queue *fairqueue.Queue[string, pending]) {
	defer w.wg.Done()
	var previous *committing
	for {
		if previous != nil && queue.Len() == 0 {
			// Nothing to write beside the previous batch's COMMIT: wait
			// for it here, so that a COMMIT that failed (a Galera
			// certification conflict, a timeout) is written again now —
			// its senders, waiting for their answers, may send nothing
			// that would bring the next batch.
			w.afterPrevious(previous)
			previous = nil
		}
		first, ok := queue.Pop()
		if !ok {
			w.afterPrevious(previous)
			return
		}
		// A new slice each time: the previous batch's records may still
		// be being answered.
		batch := append(make([]pending, 0, w.cfg.BatchSize), first)
		// Take what is already queued: while a batch commits, the next one
		// builds up, so batches grow with load and no time is spent waiting.
		w.drain(queue, &batch)
		if w.cfg.FlushDelay > 0 && len(batch) < w.cfg.BatchSize {
			// Optionally linger for more records when the queue ran dry.
			time.Sleep(w.cfg.FlushDelay)
			w.drain(queue, &batch)
		}
		previous = w.commit(batch, previous)
	}
}

// committing is a batch whose COMMIT may still be under way.
type committing struct {
	batch     []pending
	start     time.Time
	done      chan struct{}
	committed bool // set before done is closed
}

// succeeded waits for the COMMIT and tells whether it succeeded; if not,
// the batch's records are not answered yet (see afterPrevious).
func (c *committing) succeeded() bool {
	if c == nil {
		return true
	}
	<-c.done
	return c.committed
}

// afterPrevious waits for the previous batch's COMMIT; when it failed, the
// batch is written again (or spooled) and answered now, before the batch
// after it.
func (w *Writer) afterPrevious(c *committing) {
	if !c.succeeded() {
		w.settle(c.batch, c.start, false)
	}
}

// drain appends queued records without blocking until the batch is full or
// the queue is empty.
func (w *Writer) drain(queue *fairqueue.Queue[string, pending], batch *[]pending) {
	for len(*batch) < w.cfg.BatchSize {
		p, ok := queue.TryPop()
		if !ok {
			return
		}
		*batch = append(*batch, p)
	}
}

// commit writes one batch in one transaction, retrying the whole
// transaction when it lost a deadlock. When the database cannot take the
// batch and a spool is configured, the batch goes to the spool instead —
// as do all batches after it until the spool is replayed, so each NAS's
// records stay in order.
//
// On MySQL the batch's statements run while the previous batch's COMMIT
// (its fsync) is still under way, and its own COMMIT is sent once that one
// succeeded: the writer never idles on a disk flush, and batches stay as
// large as one writer makes them (a row costs the server less in a large
// batch). A row the previous batch also touches is locked by it, so the
// statements that touch it wait for that COMMIT and apply in order. When
// the previous batch did not commit as written, this one is rolled back
// and written again after it.
func (w *Writer) commit(batch []pending, previous *committing) *committing {
	start := time.Now()
	duplicates := false
	if w.db.Driver == MySQL && (w.spooler == nil || !w.spooler.active()) {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.CommitTimeout)
		tx, outcomes, err := w.writeOnce(ctx, batch, false)
		if previous.succeeded() && err == nil {
			c := &committing{batch: batch, start: start, done: make(chan struct{})}
			w.wg.Add(1) // Close waits for the answers too
			go func() {
				defer w.wg.Done()
				defer cancel()
				if err := CommitWithin(ctx, tx); err != nil {
					w.log.Info("batch commit failed, the batch will be written again", zap.Int("records", len(batch)), zap.Error(err))
					close(c.done)
					return
				}
				c.committed = true
				// The next batch may commit while this one's records are
				// answered.
				close(c.done)
				w.finish(batch, outcomes, nil, start)
			}()
			return c
		}
		// Release this batch's locks first: writing the previous batch
		// again may need them.
		if tx != nil {
			_ = tx.Rollback()
		}
		cancel()
		duplicates = errors.Is(err, errDuplicatesPresent)
	}
	w.afterPrevious(previous)
	w.settle(batch, start, duplicates)
	return nil
}

// settle writes the batch with retries, or spools it, and answers its
// records. duplicates: the batch is known to hold records stored before
// (see write).
func (w *Writer) settle(batch []pending, start time.Time, duplicates bool) {
	var outcomes []Outcome
	var err error
	if w.spooler != nil && w.spooler.active() {
		if err = w.spooler.withinBounds(); err != nil {
			w.finish(batch, nil, err, start)
			return
		}
		outcomes, err = w.spooler.append(batch)
	} else {
		outcomes, err = w.write(batch, duplicates)
		if err != nil && w.spooler != nil {
			w.log.Warn("database cannot take a batch, spooling", zap.Int("records", len(batch)), zap.Error(err))
			outcomes, err = w.spooler.append(batch)
		}
	}
	if err != nil {
		w.log.Error("batch not stored, records will not be acknowledged", zap.Int("records", len(batch)), zap.Error(err))
	}
	w.finish(batch, outcomes, err, start)
}

// finish counts the batch and runs each record's callback.
func (w *Writer) finish(batch []pending, outcomes []Outcome, err error, start time.Time) {
	w.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	w.metrics.batchSize.Observe(float64(len(batch)))
	for i, p := range batch {
		o, rowErr := Failed, err
		if err == nil {
			o, rowErr = outcomes[i], nil
			if o == Failed {
				rowErr = errRowFailed
			}
		}
		w.metrics.records.WithLabelValues(p.rec.Status.String(), o.String()).Inc()
		w.deliver(p, o, rowErr)
	}
}

// deliver runs a record's callback; a panic in it (a reply that cannot be
// encoded, say) is logged and does not take the writer down with the other
// records of the batch.
func (w *Writer) deliver(p pending, o Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic in a record's completion", zap.Any("panic", r), zap.String("acct_session_id", p.rec.SessionID))
		}
	}()
	p.done(o, err)
}

// write commits a batch to the database, retrying a transaction that lost
// a deadlock or a race with another server. With duplicates (an earlier
// attempt found records stored before) it writes one row at a time from the
// start rather than trying the whole batch again only to find them again.
func (w *Writer) write(batch []pending, duplicates bool) ([]Outcome, error) {
	var outcomes []Outcome
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
		}
		outcomes, err = w.commitOnce(batch, duplicates)
		if !duplicates && errors.Is(err, errDuplicatesPresent) {
			outcomes, err = w.commitOnce(batch, true)
		}
		if err == nil || !isTransient(err) {
			return outcomes, err
		}
		if IsDeadlock(err) {
			TransactionRetries.WithLabelValues("writer").Inc()
		}
		w.log.Info("batch transaction retried", zap.Int("records", len(batch)), zap.Int("attempt", attempt+1), zap.Error(err))
	}
	return outcomes, err
}

var errRowFailed = errors.New("record could not be stored")

func (w *Writer) commitOnce(batch []pending, oneByOne bool) ([]Outcome, error) {
	// A batch larger than the writer's own (a journal's load) gets
	// proportionally longer.
	timeout := w.cfg.CommitTimeout * time.Duration(max(1, len(batch)/max(1, w.cfg.BatchSize)))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tx, outcomes, err := w.writeOnce(ctx, batch, oneByOne)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := CommitWithin(ctx, tx); err != nil {
		return nil, err
	}
	return outcomes, nil
}

// writeOnce runs the batch's statements in a new transaction and leaves it
// open; on error the transaction is rolled back.
func (w *Writer) writeOnce(ctx context.Context, batch []pending, oneByOne bool) (_ *sqlx.Tx, _ []Outcome, err error) {
	tx, err := w.db.BeginTogether(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	bt := &batchTx{tx: tx, ctx: ctx, driver: w.db.Driver, log: w.log, outcomes: make([]Outcome, len(batch)), oneByOne: oneByOne, settler: w.cfg.Settler, stmts: w.stmts}
	// Accounting-On/Off close the NAS's open calls as of their place in the
	// stream, so the batch is written in segments split at those packets.
	segStart := 0
	for i, p := range batch {
		if s := p.rec.Status; s == cdr.StatusAccountingOn || s == cdr.StatusAccountingOff {
			if err := bt.writeSegment(batch, segStart, i); err != nil {
				return nil, nil, err
			}
			if err := bt.closeNAS(i, p.rec); err != nil {
				return nil, nil, err
			}
			segStart = i + 1
		}
	}
	if err := bt.writeSegment(batch, segStart, len(batch)); err != nil {
		return nil, nil, err
	}
	// Last, so that the summary rows — which concurrent batches share —
	// are locked for the shortest time before the commit.
	if err := bt.addToSummaries(); err != nil {
		return nil, nil, err
	}
	return tx.Tx, bt.outcomes, nil
}

// CommitWithin commits tx, or gives up when ctx ends first. The driver's
// COMMIT takes no context: sent to a database that froze (SIGSTOP, a
// stalled disk) it waited for ever and held its goroutine — a writer, so
// no batch after it was spooled. The caller must treat a give-up as "may
// or may not have committed": the writer spools the batch, and replaying
// the spool finds records that did commit as duplicates, so nothing is
// stored or charged twice.
func CommitWithin(ctx context.Context, tx *sqlx.Tx) error {
	committed := make(chan error, 1)
	go func() { committed <- tx.Commit() }()
	select {
	case err := <-committed:
		return err
	case <-ctx.Done():
		return fmt.Errorf("commit: %w", ctx.Err())
	}
}

// rawJSON renders the packet's attributes as [["name","value"], ...]. The
// decoder hands over valid UTF-8 only; it is written without reflection
// because every CDR carries it.
func rawJSON(attrs []cdr.Attribute) string {
	size := 2
	for _, a := range attrs {
		size += len(a.Name) + len(a.Value) + 8
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, a := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = jsontext.AppendString(b, a.Name)
		b = append(b, ',')
		b = jsontext.AppendString(b, a.Value)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}
