package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/spool"
)

// spooler keeps accounting flowing while the database is unreachable or
// slow: batches the database cannot take are appended to the local spool
// (fsync'd) and acknowledged from there, and a replayer drains the spool
// into the database, in order and idempotently (the unique dedup_key makes a
// replayed record that was already stored a duplicate), when it answers
// again. While the spool holds records every new batch goes there too, so
// nothing overtakes what is waiting.
//
// In journal mode (WriterConfig.Journal) every batch goes there, and the
// replayer is the journal's loader: it never switches back, takes larger
// batches, and is woken by each append.
type spooler struct {
	w     *Writer
	spool *spool.Spool
	// journal: the spool is the journal (see WriterConfig.Journal).
	journal bool
	wake    chan struct{}
	backlog backlog
	behind  prometheus.Counter
	// mode guards switching back to direct writes: appends hold it shared,
	// the replayer takes it exclusively to see an empty spool and switch.
	mode     sync.RWMutex
	spooling atomic.Bool
	cancel   context.CancelFunc
	done     chan struct{}
	replayed prometheus.Counter
	refused  prometheus.Counter
	// lastWarned limits the warnings while the database stays away.
	lastWarned time.Time
}

func newSpooler(w *Writer, sp *spool.Spool, reg prometheus.Registerer) *spooler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &spooler{w: w, spool: sp, cancel: cancel, done: make(chan struct{}), journal: w.cfg.Journal, wake: make(chan struct{}, 1),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "radbill_spool_replayed_total", Help: "Spooled records written to the database."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "radbill_spool_refused_total",
			Help: "Spooled records that could not be read or that the database refused for their data when replayed (logged with the record)."}),
	}
	reg.MustRegister(s.replayed, s.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radbill_spool_records", Help: "Records in the spool waiting for the database."},
			func() float64 { n, _ := sp.Depth(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radbill_spool_bytes", Help: "Bytes in the spool."},
			func() float64 { _, b := sp.Depth(); return float64(b) }))
	if n, _ := sp.Depth(); n > 0 {
		s.spooling.Store(true) // left from before a restart
		s.backlog.add(n, time.Now())
	}
	if s.journal {
		s.spooling.Store(true)
		s.behind = prometheus.NewCounter(prometheus.CounterOpts{Name: "radbill_journal_refused_total",
			Help: "Records refused (not acknowledged) because the journal's loader was behind its bound."})
		reg.MustRegister(s.behind,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radbill_journal_lag_records", Help: "Journalled records not yet loaded into the database."},
				func() float64 { n, _ := s.Lag(); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radbill_journal_lag_seconds", Help: "How long the oldest journalled record not yet loaded has waited."},
				func() float64 { _, age := s.Lag(); return age.Seconds() }))
	}
	go s.replay(ctx)
	return s
}

func (s *spooler) active() bool { return s.spooling.Load() }

// append makes the batch durable in the spool; every record is then Spooled.
func (s *spooler) append(batch []pending) ([]Outcome, error) {
	records := make([][]byte, len(batch))
	for i, p := range batch {
		var err error
		if records[i], err = p.rec.AppendBinary(nil); err != nil {
			return nil, fmt.Errorf("encode record for the spool: %w", err)
		}
	}
	s.mode.RLock()
	defer s.mode.RUnlock()
	s.spooling.Store(true)
	if err := s.spool.Append(records); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.backlog.add(len(records), time.Now())
	select {
	case s.wake <- struct{}{}:
	default:
	}
	outcomes := make([]Outcome, len(batch))
	for i := range outcomes {
		outcomes[i] = Spooled
	}
	return outcomes, nil
}

// replay drains the spool whenever it holds records, until stopped.
func (s *spooler) replay(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	batchSize := s.w.cfg.BatchSize
	if s.journal {
		batchSize = s.w.cfg.LoadBatch
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
		}
		if !s.spooling.Load() {
			continue
		}
		n, err := s.spool.Replay(ctx, batchSize, s.writeSpooled)
		if n > 0 && !s.journal {
			s.w.log.Info("spooled records written to the database", zap.Int("records", n))
		}
		if err != nil {
			// The database is still away; try again at the next tick.
			if time.Since(s.lastWarned) > 10*time.Second {
				waiting, _ := s.spool.Depth()
				s.w.log.Warn("spool replay waiting for the database", zap.Int("spooled", waiting), zap.Error(err))
				s.lastWarned = time.Now()
			}
			continue
		}
		if s.journal {
			continue
		}
		s.mode.Lock()
		if waiting, _ := s.spool.Depth(); waiting == 0 {
			s.spooling.Store(false)
			s.w.log.Info("spool empty, writing to the database directly again")
		}
		s.mode.Unlock()
	}
}

// writeSpooled commits one batch of spooled records. A record that cannot
// be read (written by a later radbill, or damaged past its checksum) or
// that the database refuses for its data cannot be fixed by waiting: it is
// logged whole and counted, and the replay goes on.
func (s *spooler) writeSpooled(records [][]byte) error {
	batch := make([]pending, 0, len(records))
	for _, b := range records {
		var rec cdr.Record
		if err := decodeSpooled(b, &rec); err != nil {
			s.refused.Inc()
			s.w.log.Error("spooled record cannot be read", zap.Binary("record", b), zap.Error(err))
			continue
		}
		batch = append(batch, newPending(&rec, nil, true))
	}
	var outcomes []Outcome
	if len(batch) > 0 {
		var err error
		if outcomes, err = s.w.write(batch, false); err != nil {
			return err
		}
	}
	for i, o := range outcomes {
		if o == Failed {
			s.refused.Inc()
			s.w.log.Error("spooled record refused by the database", zap.Any("record", batch[i].rec))
		}
	}
	s.replayed.Add(float64(len(records)))
	s.backlog.take(len(records))
	return nil
}

// decodeSpooled reads a spooled record: binary, or JSON as spools written
// before the binary form hold them.
func decodeSpooled(b []byte, rec *cdr.Record) error {
	switch {
	case cdr.IsBinary(b):
		return rec.UnmarshalBinary(b)
	case len(b) > 0 && b[0] == '{':
		return json.Unmarshal(b, rec)
	}
	return errors.New("neither a binary call record nor a JSON one")
}

// ErrJournalBehind: the journal's loader is further behind than its bound
// (WriterConfig.MaxLagRecords, MaxLag); the batch was not journalled.
var ErrJournalBehind = errors.New("the journal's loader is behind its bound")

// Lag is how far the journal's loader is behind: the records not loaded
// yet and how long the oldest of them has waited (approximately, for those
// left from before a restart: since the start).
func (s *spooler) Lag() (records int, oldest time.Duration) {
	records, _ = s.spool.Depth()
	if records == 0 {
		return 0, 0
	}
	return records, s.backlog.oldest()
}

// withinBounds refuses a batch in journal mode while the loader is behind
// its bound.
func (s *spooler) withinBounds() error {
	if !s.journal {
		return nil
	}
	records, oldest := s.Lag()
	cfg := s.w.cfg
	if (cfg.MaxLagRecords == 0 || records < cfg.MaxLagRecords) && (cfg.MaxLag == 0 || oldest < cfg.MaxLag) {
		return nil
	}
	s.behind.Inc()
	if time.Since(s.lastWarned) > 10*time.Second {
		s.w.log.Warn("journal loader behind its bound: refusing records until it catches up", zap.Int("records", records),
			zap.Duration("oldest", oldest), zap.Int("max_lag_records", cfg.MaxLagRecords), zap.Duration("max_lag", cfg.MaxLag))
		s.lastWarned = time.Now()
	}
	return fmt.Errorf("%w: %d records, oldest %s", ErrJournalBehind, records, oldest.Round(time.Millisecond))
}

// backlog remembers when the spooled records were appended, a run of
// records per batch in the spool's order, so that the age of the oldest
// one not yet replayed is known.
type backlog struct {
	mu   sync.Mutex
	runs []backlogRun
}

type backlogRun struct {
	records int
	at      time.Time
}

func (b *backlog) add(records int, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runs = append(b.runs, backlogRun{records, at})
}

// take forgets the n oldest records.
func (b *backlog) take(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for n > 0 && len(b.runs) > 0 {
		if b.runs[0].records > n {
			b.runs[0].records -= n
			return
		}
		n -= b.runs[0].records
		b.runs = b.runs[1:]
	}
}

func (b *backlog) oldest() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.runs) == 0 {
		return 0
	}
	return time.Since(b.runs[0].at)
}

func (s *spooler) stop() {
	s.cancel()
	<-s.done
}
