package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/spool"
	"github.com/radbill/radbill/store"
)

// TestJournalMode: every batch is acknowledged once journalled, the loader
// moves the journal into the database in large batches with each Stop
// once (repeats too), and while the loader is held up the journal grows
// only to its bound: past it, records are refused, not acknowledged.
func TestJournalMode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		db := testdb.Open(t, b)
		sp, _, err := spool.Open(t.TempDir(), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		w := store.NewWriter(db, store.WriterConfig{BatchSize: 64, Writers: 2, QueueSize: 4096, Spool: sp,
			Journal: true, LoadBatch: 1000, MaxLagRecords: 3000}, prometheus.NewRegistry(), zaptest.NewLogger(t))
		defer w.Close()
		loaded := func(want int) {
			t.Helper()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				records, _, ok := w.JournalLag()
				if n := count(t, db, "SELECT COUNT(*) FROM cdr"); n == want && records == 0 && ok {
					return
				} else if time.Now().After(deadline) {
					t.Fatalf("%d CDRs loaded, want %d; %d journalled records waiting", n, want, records)
				}
			}
		}

		var recs []*cdr.Record
		for i := range 2500 {
			recs = append(recs, stop("192.0.2.1", fmt.Sprintf("%08X", i), int64(i)))
		}
		for i, o := range submitAll(w, recs...) {
			if o != store.Spooled {
				t.Fatalf("record %d: %v, want journalled", i, o)
			}
		}
		// Repeats, while some may still wait in the journal: loaded once.
		submitAll(w, recs[:500]...)
		loaded(2500)
		if n := count(t, db, "SELECT COUNT(DISTINCT dedup_key) FROM cdr"); n != 2500 {
			t.Fatalf("distinct keys = %d", n)
		}

		// Hold the loader up: another transaction keeps the cdr table.
		hold, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hold.Exec("UPDATE cdr SET rating_status = rating_status WHERE dedup_key = ?", recs[0].DedupKey()); err != nil {
			t.Fatal(err)
		}
		if b.Driver == store.MySQL {
			if _, err := hold.Exec("LOCK TABLES cdr WRITE"); err != nil {
				t.Fatal(err)
			}
		}
		var more []*cdr.Record
		for i := range 4000 {
			more = append(more, stop("192.0.2.2", fmt.Sprintf("%08X", i), int64(i)))
		}
		journalled, refused := 0, 0
		for _, r := range more {
			done := make(chan error, 1)
			var o store.Outcome
			w.Submit(r, func(got store.Outcome, err error) { o = got; done <- err })
			err := <-done
			switch {
			case o == store.Spooled:
				journalled++
			case o == store.Failed && errors.Is(err, store.ErrJournalBehind):
				refused++
			default:
				t.Fatalf("record past the bound: %v, %v", o, err)
			}
		}
		if journalled < 3000 || journalled > 3100 || refused == 0 {
			t.Fatalf("with the loader held up: %d journalled, %d refused; want the bound, 3000, then refusals", journalled, refused)
		}
		records, oldest, _ := w.JournalLag()
		if records < 3000 || oldest <= 0 {
			t.Fatalf("lag while held up: %d records, oldest %s", records, oldest)
		}
		if b.Driver == store.MySQL {
			if _, err := hold.Exec("UNLOCK TABLES"); err != nil {
				t.Fatal(err)
			}
		}
		if err := hold.Rollback(); err != nil {
			t.Fatal(err)
		}
		loaded(2500 + journalled)
		// Caught up, the refused records are taken again (a gateway sends them again).
		for i, o := range submitAll(w, more[journalled:]...) {
			if o != store.Spooled {
				t.Fatalf("record %d after catching up: %v", i, o)
			}
		}
		loaded(2500 + len(more))
	})
}

// TestSpooledRecordForms: a spool written before records were kept in
// binary holds them in JSON; after an upgrade they are loaded like the new
// ones.
func TestSpooledRecordForms(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t))
	sp, _, err := spool.Open(t.TempDir(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	// Two records no radbill wrote: a binary one cut short, and bytes
	// that are neither form. They are logged and counted, not loaded, and
	// do not hold up the records after them.
	old := [][]byte{{0x01, 0x80}, []byte("not a record")}
	for i := range 10 {
		b, err := json.Marshal(stop("192.0.2.3", fmt.Sprintf("%08X", i), int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, b)
	}
	if err := sp.Append(old); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	w := store.NewWriter(db, store.WriterConfig{BatchSize: 64, Writers: 1, QueueSize: 64, Spool: sp,
		Journal: true, LoadBatch: 1000, MaxLagRecords: 3000}, reg, zaptest.NewLogger(t))
	defer w.Close()
	var recs []*cdr.Record
	for i := 10; i < 20; i++ {
		recs = append(recs, stop("192.0.2.3", fmt.Sprintf("%08X", i), int64(i)))
	}
	submitAll(w, recs...)
	for deadline := time.Now().Add(20 * time.Second); count(t, db, "SELECT COUNT(*) FROM cdr WHERE nas_ip = '192.0.2.3'") != 20; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the spool's JSON and binary records were not all loaded")
		}
	}
	if n := count(t, db, "SELECT SUM(duration_s) FROM cdr WHERE nas_ip = '192.0.2.3'"); n != 190 {
		t.Fatalf("the records' durations add up to %d, want 0+1+…+19 = 190", n)
	}
	if n := counterValue(t, reg, "radbill_spool_refused_total"); n != 2 {
		t.Fatalf("radbill_spool_refused_total = %v, want the 2 unreadable records", n)
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
