// Package cdrimport brings call legs from CDR files and tables — Cisco
// Unified CM flat files, Asterisk's Master.csv and cdr table — into radbill
// along the same path as a RADIUS Stop: each leg is rated by billing.Stage,
// written by the group-commit store.Writer, and charged to its owner in
// the transaction that stores it (billing.Settler). A leg imported again
// is a duplicate of the stored one (its cdr.Record.SourceKey makes the
// same UNIQUE dedup key) and charges nothing; a row that cannot be a leg is
// kept in the import_reject table with its file, line, text and reason.
package cdrimport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/radbill/radbill/billing"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/limits"
	"github.com/radbill/radbill/store"
)

// Importer imports into one database.
type Importer struct {
	DB    *store.DB
	Stage *billing.Stage
	// Writers take the legs in turn.
	Writers []*store.Writer
	// InFlight bounds the legs handed to the writers and not yet
	// committed; it must stay below a writer's queue size.
	InFlight int
	// Progress, when set, is told the rows read so far, now and then.
	Progress func(rows int64)
	Now      func() time.Time
}

// ErrIncomplete says a file ends in the middle of a row: it is still
// being written. A watcher tries it again later.
var ErrIncomplete = errors.New("the file ends in the middle of a row")

// run is the import of one file or one pass over a table.
type run struct {
	im           *Importer
	source, name string
	ctx          context.Context
	slots        chan struct{}
	wg           sync.WaitGroup
	mu           sync.Mutex
	counts       store.ImportCounts
	rejects      []store.Reject
	// lastRejected: the latest row was refused, which at the end of a
	// file still being written means it is not complete yet.
	lastRejected bool
	next         int // the writer the next leg goes to
}

func (im *Importer) start(ctx context.Context, source, name string) *run {
	return &run{im: im, source: source, name: name, ctx: ctx, slots: make(chan struct{}, max(im.InFlight, 1))}
}

// isTrunk tells the devices and peers that have a gateway row.
func (im *Importer) isTrunk(name string) bool {
	_, ok := im.Stage.Tables().Gateways[name]
	return ok && name != ""
}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

// read counts a row read.
func (r *run) read() {
	r.mu.Lock()
	r.counts.Read++
	n := r.counts.Read
	r.mu.Unlock()
	if r.im.Progress != nil && n%1000 == 0 {
		r.im.Progress(n)
	}
}

// leg rates rec and hands it to the writer; its outcome is counted when
// its batch has committed. raw renders the row's text for the quarantine,
// only when the database refuses the leg.
func (r *run) leg(line int64, raw func() string, rec *cdr.Record) {
	r.lastRejected = false
	r.im.Stage.Process(rec)
	r.slots <- struct{}{}
	r.wg.Add(1)
	w := r.im.Writers[r.next%len(r.im.Writers)]
	r.next++
	w.Submit(rec, func(o store.Outcome, err error) {
		defer func() { <-r.slots; r.wg.Done() }()
		r.mu.Lock()
		defer r.mu.Unlock()
		switch o {
		case store.Stored:
			r.counts.Stored++
		case store.Duplicate:
			r.counts.Duplicate++
		default:
			r.counts.Rejected++
			r.rejects = append(r.rejects, store.Reject{Source: r.source, File: r.name, Line: line, Raw: raw(),
				Reason: fmt.Sprintf("the database refused it: %v", err)})
		}
	})
}

func (r *run) skip() {
	r.lastRejected = false
	r.mu.Lock()
	r.counts.Skipped++
	r.mu.Unlock()
}

func (r *run) reject(line int64, raw, reason string) {
	r.lastRejected = true
	r.mu.Lock()
	r.counts.Rejected++
	r.rejects = append(r.rejects, store.Reject{Source: r.source, File: r.name, Line: line, Raw: raw, Reason: reason})
	r.mu.Unlock()
}

// dropLastReject takes back the refusal of the last row: in a file still
// being written it is only incomplete.
func (r *run) dropLastReject() {
	r.mu.Lock()
	r.counts.Rejected--
	r.counts.Read--
	r.rejects = r.rejects[:len(r.rejects)-1]
	r.mu.Unlock()
}

// dropRejects takes back every refusal of a read whose file changed under
// it.
func (r *run) dropRejects() {
	r.mu.Lock()
	r.counts.Read -= int64(len(r.rejects))
	r.counts.Rejected = 0
	r.rejects = nil
	r.mu.Unlock()
}

// finish waits for every leg to commit and quarantines the refused rows.
func (r *run) finish() (store.ImportCounts, error) {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts, r.im.DB.Quarantine(context.WithoutCancel(r.ctx), r.rejects)
}

// New builds an importer with writers of its own (large batches, no
// spool: an import the database cannot take fails and is run again) that
// charge legs through billing.Settler. On MySQL two writers take the legs
// in turn, so that one batch is written while the other commits; SQLite
// has one. Their metrics are not exported. Close it when done.
func New(db *store.DB, money *limits.Service, stage *billing.Stage, log *zap.Logger) *Importer {
	const inFlight = 4096
	im := &Importer{DB: db, Stage: stage, InFlight: inFlight}
	lines := 2
	if db.Driver == store.SQLite {
		lines = 1
	}
	for range lines {
		im.Writers = append(im.Writers, store.NewWriter(db, store.WriterConfig{BatchSize: 500, Writers: 1, QueueSize: 2 * inFlight,
			CommitTimeout: 30 * time.Second, Settler: billing.Settler{Limits: money, Log: log}}, prometheus.NewRegistry(), log))
	}
	return im
}

// Close waits for the legs handed to the writers and stops them.
func (im *Importer) Close() {
	for _, w := range im.Writers {
		w.Close()
	}
}
