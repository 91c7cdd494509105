package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTripAcrossSegmentRollsAndReopen(t *testing.T) {
	dir := t.TempDir()
	s, rec := openTest(t, dir, 1<<30, 512)
	assertClean(t, rec)

	var want [][]byte
	for i := 0; i < 300; {
		n := 1 + i%7
		batch := testRecords(i, i+n)
		mustAppend(t, s, batch)
		want = append(want, batch...)
		i += n
	}
	// Edge sizes: empty, and a maximal record far bigger than a segment.
	edge := [][]byte{{}, bytes.Repeat([]byte{0xA5}, MaxRecordSize)}
	mustAppend(t, s, edge)
	want = append(want, edge...)

	var wantBytes int64
	for _, r := range want {
		wantBytes += int64(len(specFrame(r)))
	}
	if n, b := s.Depth(); n != len(want) || b != wantBytes {
		t.Fatalf("Depth = %d records %d bytes, want %d, %d", n, b, len(want), wantBytes)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if segs := filesWithSuffix(t, dir, segmentSuffix); len(segs) < 10 {
		t.Fatalf("want many segments with 512-byte rolls, got %v", segs)
	}

	s, rec = openTest(t, dir, 1<<30, 512)
	assertClean(t, rec)
	if rec.Records != len(want) {
		t.Fatalf("Recovery.Records = %d, want %d", rec.Records, len(want))
	}
	assertRecords(t, drain(t, s, 16), want)
	if n, b := s.Depth(); n != 0 || b != 0 {
		t.Fatalf("Depth after replay = %d, %d", n, b)
	}
	if got := segmentBytesOnDisk(t, dir); got != 0 {
		t.Fatalf("%d segment bytes left on disk after full replay", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, rec = openTest(t, dir, 1<<30, 512)
	assertClean(t, rec)
	if got := drain(t, s, 16); len(got) != 0 {
		t.Fatalf("reopen after full replay re-delivered %d records", len(got))
	}
}

func TestAppendFsyncsOncePerBatch(t *testing.T) {
	s, _ := openTest(t, t.TempDir(), 1<<30, defaultSegmentSize)
	before := s.fsyncs.Load()
	mustAppend(t, s, testRecords(0, 64))
	if got := s.fsyncs.Load() - before; got != 1 {
		t.Fatalf("Append of 64 records did %d fsyncs, want 1", got)
	}
}

// buildSpool writes records through a real Spool and returns the bytes of
// its single segment file.
func buildSpool(t *testing.T, batches ...[][]byte) []byte {
	t.Helper()
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, defaultSegmentSize)
	for _, b := range batches {
		mustAppend(t, s, b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return readFile(t, filepath.Join(dir, segmentName(1)))
}

// checkRecoversOldRecords opens a spool whose only segment is seg, expects
// the bytes from cutAt on to be reported and cut off, then checks that the
// intact records before it and a new append replay in order.
func checkRecoversOldRecords(t *testing.T, seg []byte, cutAt int, old [][]byte) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, segmentName(1)), seg)
	s, rec := openTest(t, dir, 1<<30, defaultSegmentSize)
	if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0], fmt.Sprintf("%s offset %d:", segmentName(1), cutAt)) {
		t.Fatalf("Problems = %q, want one naming %s offset %d", rec.Problems, segmentName(1), cutAt)
	}
	if rec.TruncatedBytes != int64(len(seg)-cutAt) || rec.Records != len(old) {
		t.Fatalf("Recovery = %+v, want %d bytes cut and %d records", rec, len(seg)-cutAt, len(old))
	}
	saved := filesWithSuffix(t, dir, ".corrupt")
	if len(saved) != 1 || !bytes.Equal(readFile(t, filepath.Join(dir, saved[0])), seg[cutAt:]) {
		t.Fatalf("cut bytes not saved intact in a .corrupt file: %v", saved)
	}
	fresh := []byte("appended after recovery")
	mustAppend(t, s, [][]byte{fresh})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, rec = openTest(t, dir, 1<<30, defaultSegmentSize)
	assertClean(t, rec)
	assertRecords(t, drain(t, s, 4), append(old[:len(old):len(old)], fresh))
}

func TestTornFinalRecordAtEveryOffset(t *testing.T) {
	old := testRecords(0, 5)
	last := []byte("the final record, torn by a crash")
	seg := buildSpool(t, old, [][]byte{last})
	lastStart := len(seg) - len(specFrame(last))

	for cut := lastStart + 1; cut < len(seg); cut++ {
		t.Run(fmt.Sprintf("truncated_to_%d", cut), func(t *testing.T) {
			checkRecoversOldRecords(t, seg[:cut], lastStart, old)
		})
	}
	t.Run("cut_at_record_boundary_is_clean", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, segmentName(1)), seg[:lastStart])
		s, rec := openTest(t, dir, 1<<30, defaultSegmentSize)
		assertClean(t, rec)
		assertRecords(t, drain(t, s, 4), old)
	})
}

func TestDamagedFinalRecordAtEveryByte(t *testing.T) {
	old := testRecords(0, 5)
	last := []byte("the final record, damaged on disk")
	seg := buildSpool(t, old, [][]byte{last})
	lastStart := len(seg) - len(specFrame(last))

	for i := lastStart; i < len(seg); i++ {
		for _, mask := range []byte{0x01, 0xFF} {
			t.Run(fmt.Sprintf("byte_%d_xor_%02x", i, mask), func(t *testing.T) {
				damaged := bytes.Clone(seg)
				damaged[i] ^= mask
				checkRecoversOldRecords(t, damaged, lastStart, old)
			})
		}
	}
}

func TestCorruptionInTheMiddleOfASegment(t *testing.T) {
	// Records of one size: 32-byte frames, 10 to a 320-byte segment, so
	// records 0-9 fill segment 1 and 10-14 go to segment 2.
	record := func(i int) []byte { return fmt.Appendf(nil, "mid-%016d", i) }
	const frame, perSegment, bad = 32, 10, 4
	tests := map[string]func(seg []byte, at int){
		"payload_bit_flip": func(seg []byte, at int) { seg[at+frameHeaderSize+3] ^= 0x10 },
		"huge_length":      func(seg []byte, at int) { copy(seg[at+4:], []byte{0xff, 0xff, 0xff, 0xff}) },
		"shrunk_length":    func(seg []byte, at int) { seg[at+4] = 3 },
		"zeroed_sector":    func(seg []byte, at int) { clear(seg[at : at+frame+5]) },
	}
	for name, damage := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := openTest(t, dir, 1<<30, perSegment*frame)
			var all [][]byte
			for i := range 15 {
				all = append(all, record(i))
				mustAppend(t, s, [][]byte{record(i)})
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, segmentName(1))
			seg := readFile(t, path)
			if len(seg) != perSegment*frame {
				t.Fatalf("segment 1 is %d bytes, want %d", len(seg), perSegment*frame)
			}
			damage(seg, bad*frame)
			writeFile(t, path, seg)

			s, rec := openTest(t, dir, 1<<30, perSegment*frame)
			if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0], fmt.Sprintf("%s offset %d:", segmentName(1), bad*frame)) {
				t.Fatalf("Problems = %q", rec.Problems)
			}
			if rec.TruncatedBytes != int64(len(seg)-bad*frame) {
				t.Fatalf("TruncatedBytes = %d, want %d", rec.TruncatedBytes, len(seg)-bad*frame)
			}
			// The undamaged records after the defect in segment 1 are kept
			// for an operator, not replayed.
			saved := filesWithSuffix(t, dir, ".corrupt")
			if len(saved) != 1 || !bytes.Equal(readFile(t, filepath.Join(dir, saved[0])), seg[bad*frame:]) {
				t.Fatalf(".corrupt files %v do not hold the cut bytes", saved)
			}
			fresh := []byte("after the repair")
			mustAppend(t, s, [][]byte{fresh})
			want := append(append(all[:bad:bad], all[perSegment:]...), fresh)
			assertRecords(t, drain(t, s, 3), want)
		})
	}
}

func TestReplayKeepsTheBatchFnFailedOn(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, 256)
	all := testRecords(0, 10)
	mustAppend(t, s, all)

	dbDown := errors.New("database unreachable")
	calls := 0
	n, err := s.Replay(context.Background(), 3, func(batch [][]byte) error {
		calls++
		if calls == 2 {
			assertRecords(t, batch, all[3:6])
			return dbDown
		}
		return nil
	})
	if !errors.Is(err, dbDown) || n != 3 {
		t.Fatalf("Replay = %d, %v; want 3, %v", n, err, dbDown)
	}
	if records, _ := s.Depth(); records != 7 {
		t.Fatalf("Depth = %d records, want 7", records)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, rec := openTest(t, dir, 1<<30, 256)
	assertClean(t, rec)
	if rec.Records != 7 {
		t.Fatalf("Recovery.Records = %d, want 7", rec.Records)
	}
	assertRecords(t, drain(t, s, 3), all[3:])
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, _ = openTest(t, dir, 1<<30, 256)
	if got := drain(t, s, 3); len(got) != 0 {
		t.Fatalf("consumed records delivered again: %d", len(got))
	}
}

// A crash after fn succeeded but before the cursor was written re-delivers
// that batch and no earlier one. The crash is simulated by copying the
// directory from inside fn, which is the state the disk has at that moment.
func TestCrashBeforeConsumptionIsDurableRedeliversOnlyThatBatch(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, defaultSegmentSize)
	all := testRecords(0, 6)
	mustAppend(t, s, all)

	crashed := t.TempDir()
	calls := 0
	drainWith := func(batch [][]byte) error {
		calls++
		if calls == 2 {
			copyDir(t, dir, crashed)
		}
		return nil
	}
	if _, err := s.Replay(context.Background(), 2, drainWith); err != nil {
		t.Fatal(err)
	}

	after, rec := openTest(t, crashed, 1<<30, defaultSegmentSize)
	assertClean(t, rec)
	assertRecords(t, drain(t, after, 2), all[2:])
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != lockName {
			writeFile(t, filepath.Join(to, e.Name()), readFile(t, filepath.Join(from, e.Name())))
		}
	}
}

func TestErrFullWritesNothingAndReplayReclaimsSpace(t *testing.T) {
	dir := t.TempDir()
	record := func(i int) []byte { return fmt.Appendf(nil, "full-%015d", i) } // 32-byte frames
	const maxBytes = 10 * 32
	s, _ := openTest(t, dir, maxBytes, 4*32)

	var want [][]byte
	for i := range 9 {
		mustAppend(t, s, [][]byte{record(i)})
		want = append(want, record(i))
	}
	if err := s.Append([][]byte{record(100), record(101)}); !errors.Is(err, ErrFull) {
		t.Fatalf("Append over maxBytes = %v, want ErrFull", err)
	}
	if n, _ := s.Depth(); n != 9 {
		t.Fatalf("a refused batch changed Depth to %d", n)
	}
	mustAppend(t, s, [][]byte{record(9)})
	want = append(want, record(9))
	if err := s.Append([][]byte{record(102)}); !errors.Is(err, ErrFull) {
		t.Fatalf("Append at exactly maxBytes = %v, want ErrFull", err)
	}
	if got := segmentBytesOnDisk(t, dir); got != maxBytes {
		t.Fatalf("%d segment bytes on disk, want %d", got, maxBytes)
	}

	assertRecords(t, drain(t, s, 4), want)
	if got := segmentBytesOnDisk(t, dir); got != 0 {
		t.Fatalf("%d segment bytes on disk after replay, want 0", got)
	}
	for i := range 10 {
		mustAppend(t, s, [][]byte{record(200 + i)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, rec := openTest(t, dir, maxBytes, 4*32)
	assertClean(t, rec)
	if got := drain(t, s, 4); len(got) != 10 || !bytes.Equal(got[0], record(200)) {
		t.Fatalf("after reclaiming, replayed %d records starting %q", len(got), got[0])
	}
}

func TestAppendRefusesOversizedRecordAndWritesNothing(t *testing.T) {
	s, _ := openTest(t, t.TempDir(), 1<<30, defaultSegmentSize)
	err := s.Append([][]byte{[]byte("fine"), make([]byte, MaxRecordSize+1)})
	if !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("Append = %v, want ErrRecordTooLarge", err)
	}
	if n, b := s.Depth(); n != 0 || b != 0 {
		t.Fatalf("refused batch left Depth %d, %d", n, b)
	}
	mustAppend(t, s, [][]byte{make([]byte, MaxRecordSize)})
}

func TestConcurrentAppendAndReplay(t *testing.T) {
	const writers, batchesPerWriter = 4, 150
	dir := t.TempDir()
	// Small segments and a small cap so rolls, eager rolls, reclaiming
	// and ErrFull back-off all happen while both sides run.
	s, _ := openTest(t, dir, 8<<10, 1<<10)

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			seq := 0
			for b := range batchesPerWriter {
				var batch [][]byte
				for range 1 + b%5 {
					batch = append(batch, fmt.Appendf(nil, "w%d-%08d", w, seq))
					seq++
				}
				for {
					err := s.Append(batch)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					runtime.Gosched()
				}
			}
		})
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	next := make([]int, writers)
	check := func(batch [][]byte) error {
		for _, r := range batch {
			var w, seq int
			if _, err := fmt.Sscanf(string(r), "w%d-%d", &w, &seq); err != nil || w < 0 || w >= writers {
				return fmt.Errorf("garbage record %q", r)
			}
			if seq != next[w] {
				return fmt.Errorf("writer %d: got seq %d, want %d", w, seq, next[w])
			}
			next[w]++
		}
		return nil
	}
	for done := false; !done; {
		select {
		case <-writersDone:
			done = true // one more pass picks up the last appends
		default:
		}
		if _, err := s.Replay(context.Background(), 7, check); err != nil {
			t.Fatal(err)
		}
	}
	for w, n := range next {
		if want := wantSeqs(batchesPerWriter); n != want {
			t.Errorf("writer %d: replayed %d records, want %d", w, n, want)
		}
	}
	if n, b := s.Depth(); n != 0 || b != 0 {
		t.Fatalf("Depth after draining = %d, %d", n, b)
	}
	if segs := filesWithSuffix(t, dir, segmentSuffix); len(segs) != 1 {
		t.Fatalf("consumed segments left behind: %v", segs)
	}
}

func wantSeqs(batches int) int {
	n := 0
	for b := range batches {
		n += 1 + b%5
	}
	return n
}

func TestCorruptCursorReplaysFromTheOldestSegment(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, defaultSegmentSize)
	all := testRecords(0, 6)
	mustAppend(t, s, all)
	stop := errors.New("stop after the first batch")
	n, err := s.Replay(context.Background(), 2, func([][]byte) error {
		if records, _ := s.Depth(); records < len(all) {
			return stop
		}
		return nil
	})
	if n != 2 || !errors.Is(err, stop) {
		t.Fatalf("Replay = %d, %v; want 2, %v", n, err, stop)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cursor := readFile(t, filepath.Join(dir, cursorName))
	cursor[10] ^= 0x40
	writeFile(t, filepath.Join(dir, cursorName), cursor)

	s, rec := openTest(t, dir, 1<<30, defaultSegmentSize)
	if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0], "cursor") {
		t.Fatalf("Problems = %q, want one about the cursor", rec.Problems)
	}
	// At-least-once: the consumed records come again, nothing is lost.
	assertRecords(t, drain(t, s, 3), all)
}

func TestCursorInsideARecordResumesAtThatRecord(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, defaultSegmentSize)
	all := testRecords(0, 4)
	mustAppend(t, s, all)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	second := int64(len(specFrame(all[0])))
	writeFile(t, filepath.Join(dir, cursorName), encodeCursor(position{seg: 1, off: second + 5}))

	s, rec := openTest(t, dir, 1<<30, defaultSegmentSize)
	if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0], fmt.Sprintf("resuming at offset %d", second)) {
		t.Fatalf("Problems = %q", rec.Problems)
	}
	assertRecords(t, drain(t, s, 3), all[1:])
}

func TestOpenRefusesADirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir, 1<<30, defaultSegmentSize)
	if _, _, err := Open(dir, 1<<30); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
}

func TestReplayStopsOnCancelledContext(t *testing.T) {
	s, _ := openTest(t, t.TempDir(), 1<<30, defaultSegmentSize)
	mustAppend(t, s, testRecords(0, 3))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := s.Replay(ctx, 10, func([][]byte) error { t.Fatal("fn called"); return nil })
	if n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	if records, _ := s.Depth(); records != 3 {
		t.Fatalf("Depth = %d, want 3", records)
	}
}

func TestAppendFailureRefusesAppendsUntilReopen(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, defaultSegmentSize)
	acked := testRecords(0, 3)
	mustAppend(t, s, acked)
	s.tail.Close() // every later write to the segment fails
	if err := s.Append(testRecords(3, 4)); err == nil {
		t.Fatal("Append on a broken segment file succeeded")
	}
	if err := s.Append(testRecords(4, 5)); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("Append after a write failure = %v, want a refusal", err)
	}
	s.Close()

	s, rec := openTest(t, dir, 1<<30, defaultSegmentSize)
	assertClean(t, rec)
	assertRecords(t, drain(t, s, 10), acked)
	mustAppend(t, s, testRecords(5, 6))
}

func TestCloseWaitsForTheRunningReplayBatch(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTest(t, dir, 1<<30, defaultSegmentSize)
	mustAppend(t, s, testRecords(0, 4))

	inFn, release := make(chan struct{}), make(chan struct{})
	type result struct {
		n   int
		err error
	}
	replayed := make(chan result)
	go func() {
		n, err := s.Replay(context.Background(), 2, func([][]byte) error {
			close(inFn)
			<-release
			return nil
		})
		replayed <- result{n, err}
	}()
	<-inFn
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while fn was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := <-replayed; r.n != 2 || !errors.Is(r.err, ErrClosed) {
		t.Fatalf("Replay = %d, %v; want 2, ErrClosed", r.n, r.err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

	s, _ = openTest(t, dir, 1<<30, defaultSegmentSize)
	assertRecords(t, drain(t, s, 10), testRecords(2, 4))
}

func TestClosedSpoolRefusesWork(t *testing.T) {
	s, _ := openTest(t, t.TempDir(), 1<<30, defaultSegmentSize)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append([][]byte{[]byte("x")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
	if _, err := s.Replay(context.Background(), 1, func([][]byte) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Replay after Close = %v", err)
	}
}

// A length field claiming 4 GiB must cost no more than a record's worth of
// memory.
func TestHugeLengthFieldDoesNotAllocate(t *testing.T) {
	dir := t.TempDir()
	seg := append(specFrame([]byte("good")), 'R', 'B', 'S', 1, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	seg = append(seg, make([]byte, 1000)...)
	writeFile(t, filepath.Join(dir, segmentName(1)), seg)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, rec, err := Open(dir, 1<<30)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("Open allocated %d bytes", grew)
	}
	if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0], "exceeds maximum") {
		t.Fatalf("Problems = %q", rec.Problems)
	}
	assertRecords(t, drain(t, s, 1), [][]byte{[]byte("good")})
}
