package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/internal/testdb"
	"github.com/radbill/radbill/store"
)

func newWriter(t *testing.T, db *store.DB, batch int) *store.Writer {
	t.Helper()
	w := store.NewWriter(db, store.WriterConfig{BatchSize: batch, FlushDelay: 5 * time.Millisecond, Writers: 2, QueueSize: 1024},
		prometheus.NewRegistry(), zaptest.NewLogger(t))
	return w
}

func stop(nas, session string, duration int64) *cdr.Record {
	connect := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &cdr.Record{
		ReceivedAt: time.Now().UTC(), ClientName: "gw1", Status: cdr.StatusStop,
		NASIP: nas, SessionID: session, ConfID: "931C146B 0F4411D6 AB5591F0 " + session,
		CallOrigin: "originate", CallType: "Telephony", CallingNumber: "1110001", CalledNumber: "35988123456",
		ConnectTime: &connect, SessionTime: &duration,
		Raw:    []cdr.Attribute{{Name: "Acct-Session-Id", Value: session}},
		Rating: cdr.Rating{Status: "unrated"},
	}
}

func withStatus(r *cdr.Record, s cdr.Status) *cdr.Record {
	c := *r
	c.Status = s
	return &c
}

// submitAll submits the records concurrently-safe and waits for every outcome.
func submitAll(w *store.Writer, recs ...*cdr.Record) []store.Outcome {
	out := make([]store.Outcome, len(recs))
	var wg sync.WaitGroup
	for i, r := range recs {
		wg.Add(1)
		w.Submit(r, func(o store.Outcome, _ error) { out[i] = o; wg.Done() })
	}
	wg.Wait()
	return out
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriterStoresEachStopOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		w := newWriter(t, db, 64)
		defer w.Close()

		var recs []*cdr.Record
		for i := range 200 {
			recs = append(recs, stop("192.0.2.1", fmt.Sprintf("%08X", i), int64(i)))
		}
		// The same Stop again in the same batch, with another Acct-Delay-Time.
		again := *recs[5]
		delay := int64(4)
		again.DelayTime = &delay
		recs = append(recs, &again)
		outcomes := submitAll(w, recs...)
		for i, o := range outcomes[:200] {
			if o != store.Stored {
				t.Fatalf("record %d: %v, want stored", i, o)
			}
		}
		if outcomes[200] != store.Duplicate {
			t.Fatalf("repeat in the same batch: %v, want duplicate", outcomes[200])
		}
		// Repeats in later batches: all duplicates, nothing written.
		outcomes = submitAll(w, recs[0], recs[199], stop("192.0.2.1", "00000007", 7))
		for i, o := range outcomes {
			if o != store.Duplicate {
				t.Fatalf("repeat %d: %v, want duplicate", i, o)
			}
		}
		// Same session id on another NAS is another leg.
		if o := submitAll(w, stop("192.0.2.2", "00000007", 7)); o[0] != store.Stored {
			t.Fatalf("other NAS: %v", o[0])
		}
		if n := count(t, db, "SELECT COUNT(*) FROM cdr"); n != 201 {
			t.Fatalf("cdr rows = %d, want 201", n)
		}
		if n := count(t, db, "SELECT COUNT(DISTINCT dedup_key) FROM cdr"); n != 201 {
			t.Fatalf("distinct keys = %d", n)
		}
	})
}

// failOnCalled666 makes the database refuse any CDR whose called number is
// 666, as a stand-in for a row the database cannot take.
func failOnCalled666(t *testing.T, db *store.DB) {
	t.Helper()
	stmt := `CREATE TRIGGER refuse_666 BEFORE INSERT ON cdr FOR EACH ROW WHEN NEW.called_number = '666' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`
	if db.Driver == store.MySQL {
		stmt = `CREATE TRIGGER refuse_666 BEFORE INSERT ON cdr FOR EACH ROW BEGIN IF NEW.called_number = '666' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test trigger'; END IF; END`
	}
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func TestWriterBadRowFailsAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		failOnCalled666(t, db)
		w := newWriter(t, db, 500)
		defer w.Close()
		var recs []*cdr.Record
		for i := range 20 {
			r := stop("192.0.2.1", fmt.Sprintf("%08X", i), 60)
			if i == 7 {
				r.CalledNumber = "666"
			}
			recs = append(recs, r)
		}
		outcomes := submitAll(w, recs...)
		for i, o := range outcomes {
			want := store.Stored
			if i == 7 {
				want = store.Failed
			}
			if o != want {
				t.Errorf("record %d: %v, want %v", i, o, want)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM cdr"); n != 19 {
			t.Fatalf("cdr rows = %d, want 19", n)
		}
	})
}

func TestWriterActiveCalls(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		w := newWriter(t, db, 100)
		defer w.Close()
		a := stop("192.0.2.1", "0000000A", 0)
		bb := stop("192.0.2.1", "0000000B", 0)
		other := stop("192.0.2.9", "0000000C", 0)
		submitAll(w, withStatus(a, cdr.StatusStart), withStatus(bb, cdr.StatusStart), withStatus(other, cdr.StatusStart))
		if n := count(t, db, "SELECT COUNT(*) FROM active_call"); n != 3 {
			t.Fatalf("after Starts: %d active, want 3", n)
		}
		interim := withStatus(a, cdr.StatusInterimUpdate)
		thirty := int64(30)
		interim.SessionTime = &thirty
		submitAll(w, interim)
		if n := count(t, db, "SELECT COUNT(*) FROM active_call WHERE status = 'interim' AND session_time_s = 30"); n != 1 {
			t.Fatalf("interim not recorded")
		}
		submitAll(w, a)
		if n := count(t, db, "SELECT COUNT(*) FROM active_call WHERE leg_key = ?", a.LegKey()); n != 0 {
			t.Fatalf("Stop did not end the active call")
		}
		// A late Interim-Update or Start of the finished leg must not revive it.
		for _, late := range []*cdr.Record{interim, withStatus(a, cdr.StatusStart)} {
			submitAll(w, late)
			if n := count(t, db, "SELECT COUNT(*) FROM active_call WHERE leg_key = ?", a.LegKey()); n != 0 {
				t.Fatalf("late %v revived a finished leg", late.Status)
			}
		}
		// Accounting-On of NAS 192.0.2.1, then a new Start there, in one batch:
		// the On closes bb only; the Start after it stays.
		on := &cdr.Record{ReceivedAt: time.Now(), ClientName: "gw1", Status: cdr.StatusAccountingOn, NASIP: "192.0.2.1", Rating: cdr.Rating{Status: "unrated"}}
		fresh := withStatus(stop("192.0.2.1", "0000000D", 0), cdr.StatusStart)
		outcomes := submitAll(w, on, fresh)
		if outcomes[0] != store.Stored || outcomes[1] != store.Stored {
			t.Fatalf("outcomes %v", outcomes)
		}
		rows := map[string]bool{}
		var keys []string
		if err := db.Select(&keys, "SELECT leg_key FROM active_call"); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			rows[k] = true
		}
		if len(rows) != 2 || !rows[other.LegKey()] || !rows[fresh.LegKey()] {
			t.Fatalf("active calls after Accounting-On: %v, want the other NAS's call and the new Start", keys)
		}
	})
}

// TestWriterStopsEndEveryLegOfTheirBatch ends batches of 1 to 9 legs
// with one statement each (its key list padded to a power of two): every
// leg of the batch leaves active_call, and the calls of another NAS stay.
func TestWriterStopsEndEveryLegOfTheirBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		w := newWriter(t, db, 100)
		defer w.Close()
		bystander := stop("192.0.2.9", "BYSTANDER", 0)
		submitAll(w, withStatus(bystander, cdr.StatusStart))
		for n := 1; n <= 9; n++ {
			var starts, stops []*cdr.Record
			for i := range n {
				leg := stop("192.0.2.1", fmt.Sprintf("N%dL%d", n, i), 10)
				starts, stops = append(starts, withStatus(leg, cdr.StatusStart)), append(stops, leg)
			}
			submitAll(w, starts...)
			if got := count(t, db, "SELECT COUNT(*) FROM active_call"); got != n+1 {
				t.Fatalf("%d legs started: %d active, want %d", n, got, n+1)
			}
			submitAll(w, stops...)
			if got := count(t, db, "SELECT COUNT(*) FROM active_call"); got != 1 {
				t.Fatalf("%d legs ended: %d active, want only the other NAS's", n, got)
			}
		}
	})
}

// TestWriterBatchesOfAnySize writes batches of 1 to 40 Stops and as many
// Starts of other legs, which the writer splits into statements of powers
// of two rows: every record is stored once, none lost between chunks.
func TestWriterBatchesOfAnySize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		w := newWriter(t, db, 100)
		defer w.Close()
		cdrs, active := 0, 0
		for n := 1; n <= 40; n++ {
			var recs []*cdr.Record
			for i := range n {
				recs = append(recs, stop("192.0.2.1", fmt.Sprintf("S%dL%d", n, i), 10),
					withStatus(stop("192.0.2.1", fmt.Sprintf("A%dL%d", n, i), 10), cdr.StatusStart))
			}
			for i, o := range submitAll(w, recs...) {
				if o != store.Stored {
					t.Fatalf("batch of %d: record %d %v", n, i, o)
				}
			}
			cdrs, active = cdrs+n, active+n
			if got := count(t, db, "SELECT COUNT(*) FROM cdr"); got != cdrs {
				t.Fatalf("after a batch of %d: %d CDRs, want %d", n, got, cdrs)
			}
			if got := count(t, db, "SELECT COUNT(*) FROM active_call"); got != active {
				t.Fatalf("after a batch of %d: %d active calls, want %d", n, got, active)
			}
		}
	})
}

// TestWriterConsecutiveBatchesApplyInOrder: each batch's statements run
// while the batch before it commits (on MySQL). A leg's Start and Stop in
// consecutive batches of one record: the Stop waits for the Start, still
// committing, and ends it. Start, Stop and a late copy of the Start in
// batches of two: they still apply in order. No call stays active.
func TestWriterConsecutiveBatchesApplyInOrder(t *testing.T) {
	for _, tc := range []struct {
		batch    int
		lateCopy bool
	}{{1, false}, {2, true}} {
		t.Run(fmt.Sprintf("batches of %d", tc.batch), func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, b testdb.Backend) {
				db := testdb.Open(t, b)
				w := store.NewWriter(db, store.WriterConfig{BatchSize: tc.batch, Writers: 1, QueueSize: 4096}, prometheus.NewRegistry(), zaptest.NewLogger(t))
				defer w.Close()
				const legs = 300
				var recs []*cdr.Record
				for i := range legs {
					leg := stop("192.0.2.1", fmt.Sprintf("P%07X", i), 10)
					recs = append(recs, withStatus(leg, cdr.StatusStart), leg)
					if tc.lateCopy {
						recs = append(recs, withStatus(leg, cdr.StatusStart))
					}
				}
				for i, o := range submitAll(w, recs...) {
					if o != store.Stored {
						t.Fatalf("record %d: %v", i, o)
					}
				}
				if n := count(t, db, "SELECT COUNT(*) FROM cdr"); n != legs {
					t.Fatalf("%d CDRs, want %d", n, legs)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM active_call"); n != 0 {
					t.Fatalf("%d of %d legs left active after their Stops", n, legs)
				}
			})
		})
	}
}

func TestWriterCloseCommitsQueued(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t))
	w := newWriter(t, db, 8)
	var wg sync.WaitGroup
	stored := 0
	var mu sync.Mutex
	for i := range 100 {
		wg.Add(1)
		w.Submit(stop("192.0.2.1", fmt.Sprintf("%08X", i), 1), func(o store.Outcome, _ error) {
			mu.Lock()
			if o == store.Stored {
				stored++
			}
			mu.Unlock()
			wg.Done()
		})
	}
	w.Close()
	wg.Wait()
	if stored != 100 || count(t, db, "SELECT COUNT(*) FROM cdr") != 100 {
		t.Fatalf("stored %d callbacks, want 100 rows committed before Close returns", stored)
	}
}

// eachBackend runs a benchmark on a fresh database of each backend.
func eachBackend(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	backends := map[string]func(testing.TB) testdb.Backend{store.SQLite: testdb.SQLite, store.MySQL: testdb.MySQL}
	for _, driver := range []string{store.SQLite, store.MySQL} {
		b.Run(driver, func(b *testing.B) { fn(b, testdb.Open(b, backends[driver](b))) })
	}
}

func BenchmarkWriter(b *testing.B) {
	eachBackend(b, func(b *testing.B, db *store.DB) {
		// Room for every record: a full queue would shed them.
		w := store.NewWriter(db, store.WriterConfig{BatchSize: 256, FlushDelay: 2 * time.Millisecond, Writers: 2, QueueSize: b.N},
			prometheus.NewRegistry(), zaptest.NewLogger(b))
		var wg sync.WaitGroup
		b.ResetTimer()
		for i := range b.N {
			wg.Add(1)
			w.Submit(stop("192.0.2.1", fmt.Sprintf("B%07X", i), 60), func(o store.Outcome, err error) {
				if o != store.Stored {
					b.Error(o, err)
				}
				wg.Done()
			})
		}
		wg.Wait()
		b.StopTimer()
		w.Close()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkWriterInFlight is the accounting bench (scripts/bench.sh) without
// UDP: rated Stops as radload's, 64 in flight, the writer as radiusd
// configures it by default. What it gets is the most the database path
// lets the whole server acknowledge.
func BenchmarkWriterInFlight(b *testing.B) {
	eachBackend(b, func(b *testing.B, db *store.DB) {
		w := store.NewWriter(db, store.WriterConfig{BatchSize: 256, Writers: 1, QueueSize: 1024},
			prometheus.NewRegistry(), zaptest.NewLogger(b))
		defer w.Close()
		inFlight := make(chan struct{}, 64)
		var wg sync.WaitGroup
		b.ResetTimer()
		for i := range b.N {
			inFlight <- struct{}{}
			wg.Add(1)
			w.Submit(ratedStop(i), func(o store.Outcome, err error) {
				if o != store.Stored {
					b.Error(o, err)
				}
				<-inFlight
				wg.Done()
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// ratedStop is a Stop as radload sends it, decoded and rated: every
// attribute in Raw and every rating column set.
func ratedStop(i int) *cdr.Record {
	session := fmt.Sprintf("fac7e922%08X", i)
	conf := fmt.Sprintf("FAC7E922 %08X 0F4411D6 CBF3D765", i)
	r := stop(fmt.Sprintf("192.0.2.%d", 10+i%8), session, int64(i%600))
	setup, disconnect := r.ConnectTime.Add(-5*time.Second), r.ConnectTime.Add(time.Duration(i%600)*time.Second)
	cause, quality, delay := int64(16), int64(0), int64(0)
	r.SetupTime, r.DisconnectTime, r.DisconnectCause, r.VoiceQuality, r.DelayTime = &setup, &disconnect, &cause, &quality, &delay
	r.ConfID, r.IncomingConfID, r.UserName = conf, conf, fmt.Sprint(1000000+i)
	r.CalledNumber, r.RemoteAddress, r.GatewayID = fmt.Sprintf("35988%06d", i%1000000), "192.0.2.20", "LoadGW."
	r.Raw = nil
	for _, a := range [][2]string{
		{"Acct-Status-Type", "Stop"}, {"User-Name", r.UserName}, {"Acct-Session-Id", session},
		{"Calling-Station-Id", r.CallingNumber}, {"Called-Station-Id", r.CalledNumber}, {"NAS-IP-Address", r.NASIP},
		{"Acct-Session-Time", fmt.Sprint(*r.SessionTime)}, {"Acct-Delay-Time", "0"},
		{"h323-conf-id", "h323-conf-id=" + conf}, {"Cisco-AVPair", "h323-incoming-conf-id=" + conf},
		{"h323-call-origin", "h323-call-origin=originate"}, {"h323-call-type", "h323-call-type=Telephony"},
		{"h323-setup-time", "h323-setup-time=09:59:55.000 UTC Mon Nov 23 2026"},
		{"h323-connect-time", "h323-connect-time=10:00:00.000 UTC Mon Nov 23 2026"},
		{"h323-disconnect-time", "h323-disconnect-time=10:01:00.000 UTC Mon Nov 23 2026"},
		{"h323-disconnect-cause", "h323-disconnect-cause=10"}, {"h323-voice-quality", "h323-voice-quality=0"},
		{"h323-remote-address", "h323-remote-address=192.0.2.20"}, {"h323-gw-id", "h323-gw-id=LoadGW."},
	} {
		r.Raw = append(r.Raw, cdr.Attribute{Name: a[0], Value: a[1]})
	}
	cost, plan, billed := int64(220000), int64(1), int64(60)
	rated := time.Now().UTC()
	r.Rating = cdr.Rating{Status: "ok", Zone: "Bulgaria mobile", CostMicros: &cost, Currency: "EUR", RatedAt: &rated,
		CallingNorm: r.CallingNumber, CalledNorm: r.CalledNumber, Direction: "outgoing", Billed: true, PlanID: &plan,
		Prefix: "35988", BilledSeconds: &billed,
		Detail: `{"rate_id":5,"connect_fee":"0.100000","parts":[{"band":"peak","start":"2026-11-23T12:00:00+02:00","seconds":60,"billed_seconds":60,"amount":"0.120000"}]}`}
	return r
}

// TestWriterFullQueueSheds: while the database holds the writer up
// (another connection keeps SQLite's write lock) and the queue is full, a
// record of a NAS with fewer records queued displaces the oldest of the NAS
// with the most, and that NAS's own new record is refused — both with
// ErrBusy, at once, so no packet worker waits; what stayed queued commits
// once the database is back.
func TestWriterFullQueueSheds(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t))
	w := store.NewWriter(db, store.WriterConfig{BatchSize: 1, Writers: 1, QueueSize: 2, CommitTimeout: 30 * time.Second},
		prometheus.NewRegistry(), zaptest.NewLogger(t))
	lock, err := db.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	outcomes := map[string]error{}
	var wg sync.WaitGroup
	submit := func(nas, session string) {
		wg.Add(1)
		w.Submit(stop(nas, session, 1), func(_ store.Outcome, err error) {
			mu.Lock()
			outcomes[session] = err
			mu.Unlock()
			wg.Done()
		})
	}
	submit("192.0.2.1", "A0")
	time.Sleep(50 * time.Millisecond) // the writer takes A0 and waits for the lock
	submit("192.0.2.1", "A1")
	submit("192.0.2.1", "A2") // the queue is full
	submit("192.0.2.2", "B0") // displaces A1
	submit("192.0.2.1", "A3") // A has as many queued as B: refused
	mu.Lock()
	busy := len(outcomes)
	mu.Unlock()
	if busy != 2 {
		t.Fatalf("%d records answered while the database is held, want A1 and A3 refused at once", busy)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	w.Close()
	for session, want := range map[string]error{"A0": nil, "A1": store.ErrBusy, "A2": nil, "B0": nil, "A3": store.ErrBusy} {
		if !errors.Is(outcomes[session], want) {
			t.Errorf("%s: %v, want %v", session, outcomes[session], want)
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM cdr"); n != 3 {
		t.Fatalf("%d CDRs, want A0, A2 and B0", n)
	}
}

// TestWriterTakesNASInTurn: records of a NAS that sends far more than the
// others do not delay the others by whole batches: each batch takes the
// NAS in turn, each NAS's records still in their order.
func TestWriterTakesNASInTurn(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t))
	w := store.NewWriter(db, store.WriterConfig{BatchSize: 4, Writers: 1, QueueSize: 64, CommitTimeout: 30 * time.Second},
		prometheus.NewRegistry(), zaptest.NewLogger(t))
	lock, err := db.BeginTx(context.Background(), nil) // holds the writer on its first batch
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var committed []string
	var wg sync.WaitGroup
	submit := func(nas, session string) {
		wg.Add(1)
		w.Submit(stop(nas, session, 1), func(o store.Outcome, err error) {
			if o != store.Stored {
				t.Errorf("%s: %v %v", session, o, err)
			}
			mu.Lock()
			committed = append(committed, session)
			mu.Unlock()
			wg.Done()
		})
	}
	submit("192.0.2.1", "A00")
	time.Sleep(50 * time.Millisecond) // the writer takes it and waits for the lock
	for i := 1; i <= 12; i++ {
		submit("192.0.2.1", fmt.Sprintf("A%02d", i))
	}
	submit("192.0.2.2", "B01")
	submit("192.0.2.2", "B02")
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	w.Close()
	position := map[string]int{}
	for i, session := range committed {
		position[session] = i
	}
	// Batches: [A00], then A01 B01 A02 B02, then A03…: B's records are in
	// the first batch after the one that waited.
	if position["B02"] > 4 {
		t.Errorf("B's records committed at %d and %d of %d: %v", position["B01"], position["B02"], len(committed), committed)
	}
	for i := 1; i < 12; i++ {
		if position[fmt.Sprintf("A%02d", i)] > position[fmt.Sprintf("A%02d", i+1)] {
			t.Fatalf("A's records out of order: %v", committed)
		}
	}
}
