package spool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

var (
	// ErrFull is returned by Append when the batch would take the spool's
	// segment files past maxBytes; nothing of the batch is written.
	ErrFull = errors.New("spool: full")
	// ErrRecordTooLarge is returned by Append for a record longer than
	// MaxRecordSize; nothing of the batch is written.
	ErrRecordTooLarge = errors.New("spool: record too large")
	// ErrClosed is returned by calls on a closed Spool.
	ErrClosed = errors.New("spool: closed")
	// ErrLocked is returned by Open when another Spool, in this process or
	// another, has the directory open.
	ErrLocked = errors.New("spool: directory is in use")
)

const (
	defaultSegmentSize = 16 << 20
	segmentSuffix      = ".spool"
	cursorName         = "cursor"
	cursorTempName     = "cursor.tmp"
	lockName           = "LOCK"
)

// Recovery is what Open found and repaired.
type Recovery struct {
	// Records is the number of intact records waiting to be replayed.
	Records int
	// TruncatedBytes is how many bytes were cut off segment files because
	// they were not intact records; they are kept in *.corrupt files.
	TruncatedBytes int64
	// Problems describes each defect found: file, offset and what was wrong.
	Problems []string
}

// segment is a live segment file; size is the length of its intact records.
type segment struct {
	id   uint64
	size int64
}

// Spool is a durable queue of records in one directory. Its methods are safe
// for concurrent use.
type Spool struct {
	dir         string
	maxBytes    int64
	segmentSize int64
	lock        *os.File

	// replayMu serialises Replay calls and lets Close wait for one to finish.
	replayMu sync.Mutex

	mu     sync.Mutex
	closed bool
	// failed is set when a write or fsync of the newest segment failed: its
	// end is then unknown, so appending more could hide acknowledged data
	// behind garbage.
	failed error
	segs   []segment // oldest first; the last one is the tail appends go to
	tail   *os.File
	head   position // first record not yet consumed
	// pendingRecords and pendingBytes count framed records from head on;
	// diskBytes counts all of every live segment, consumed or not.
	pendingRecords int
	pendingBytes   int64
	diskBytes      int64
	writeBuf       []byte

	fsyncs atomic.Int64 // lets tests check that one batch costs one fsync
}

// Open opens the spool in dir, creating the directory if needed, and repairs
// whatever a crash left behind (see the package documentation). maxBytes
// bounds the total size of the segment files, framing included; consumed
// records count until their segment is deleted, which happens as soon as
// Replay has consumed all of it.
func Open(dir string, maxBytes int64) (*Spool, Recovery, error) {
	return open(dir, maxBytes, defaultSegmentSize)
}

func open(dir string, maxBytes, segmentSize int64) (*Spool, Recovery, error) {
	if maxBytes <= 0 {
		return nil, Recovery{}, fmt.Errorf("spool: maxBytes must be positive, got %d", maxBytes)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, Recovery{}, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, Recovery{}, err
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, segmentSize: segmentSize, lock: lock}
	rec, err := s.recover()
	if err != nil {
		if s.tail != nil {
			s.tail.Close()
		}
		lock.Close()
		return nil, Recovery{}, err
	}
	return s, rec, nil
}

// Append durably writes records, in order, as one group: after it returns
// nil they survive kill -9 and power loss. An empty batch is a no-op.
func (s *Spool) Append(records [][]byte) error {
	var size int64
	for i, r := range records {
		if len(r) > MaxRecordSize {
			return fmt.Errorf("%w: record %d is %d bytes, maximum %d", ErrRecordTooLarge, i, len(r), MaxRecordSize)
		}
		size += frameSize(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return fmt.Errorf("spool: appends refused after an earlier write failure, reopen to recover: %w", s.failed)
	}
	if len(records) == 0 {
		return nil
	}
	if s.diskBytes+size > s.maxBytes {
		return ErrFull
	}
	tail := &s.segs[len(s.segs)-1]
	if tail.size > 0 && tail.size+size > s.segmentSize {
		if err := s.roll(); err != nil {
			return err
		}
		tail = &s.segs[len(s.segs)-1]
	}
	s.writeBuf = s.writeBuf[:0]
	for _, r := range records {
		s.writeBuf = appendFrame(s.writeBuf, r)
	}
	if err := s.writeTail(tail.size); err != nil {
		s.failed = err
		// Best effort only: Open cuts any partial frame this leaves.
		s.tail.Truncate(tail.size)
		return err
	}
	tail.size += size
	s.diskBytes += size
	s.pendingBytes += size
	s.pendingRecords += len(records)
	return nil
}

func (s *Spool) writeTail(at int64) error {
	if _, err := s.tail.WriteAt(s.writeBuf, at); err != nil {
		return err
	}
	return s.sync(s.tail)
}

// roll starts a new, empty tail segment. The caller holds s.mu.
func (s *Spool) roll() error {
	last := s.segs[len(s.segs)-1].id
	if last == math.MaxUint64 {
		return errors.New("spool: segment numbers exhausted")
	}
	f, err := s.createSegment(last + 1)
	if err != nil {
		return err
	}
	s.tail.Close() // every byte in it was fsync'd by the Append that wrote it
	s.tail = f
	s.segs = append(s.segs, segment{id: last + 1})
	return nil
}

// createSegment creates segment id and makes its directory entry durable
// before anything is written to it, so an fsync'd record can never vanish
// with a file that was not.
func (s *Spool) createSegment(id uint64) (*os.File, error) {
	path := filepath.Join(s.dir, segmentName(id))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := s.syncDir(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// Depth reports the records, and their bytes on disk including framing,
// waiting to be replayed.
func (s *Spool) Depth() (records int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingRecords, s.pendingBytes
}

// DirBytes is what the segment files in dir hold on disk, for a process
// other than the spool's owner (the web console's dashboard), which cannot
// open it: a spool is locked by the one server that uses it. A missing
// dir holds nothing.
func DirBytes(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), segmentSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // replayed and removed meanwhile
		}
		total += info.Size()
	}
	return total, nil
}

// Replay hands waiting records to fn in append order, oldest first, in
// batches of at most batchSize. A batch is consumed, durably, only after fn
// returns nil for it; if fn returns an error Replay stops, returns it, and
// the batch stays in the spool. Records appended while Replay runs are
// replayed too or left for the next call. Delivery is at-least-once: after a
// crash, a batch for which fn had returned nil may be handed out again.
//
// fn may keep the slices it is given. It must not call Close or Replay. Replay returns
// how many records it consumed, also when it returns an error. A record
// damaged on disk after Open makes Replay fail with an error matching
// ErrCorrupt until the spool is reopened, which cuts the damage off.
func (s *Spool) Replay(ctx context.Context, batchSize int, fn func(batch [][]byte) error) (int, error) {
	if batchSize < 1 {
		return 0, fmt.Errorf("spool: batchSize must be positive, got %d", batchSize)
	}
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	consumed := 0
	for {
		if err := ctx.Err(); err != nil {
			return consumed, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return consumed, ErrClosed
		}
		head, segs := s.head, slices.Clone(s.segs)
		s.mu.Unlock()

		batch, bytes, end, err := s.readBatch(segs, head, batchSize)
		if err != nil || len(batch) == 0 {
			return consumed, err
		}
		if err := fn(batch); err != nil {
			return consumed, err
		}
		if err := s.consume(end, len(batch), bytes); err != nil {
			return consumed, err
		}
		consumed += len(batch)
		if err := s.reclaim(); err != nil {
			return consumed, err
		}
	}
}

// readBatch reads up to batchSize records starting at head from the segments
// in segs, all of whose bytes up to their size are durable and immutable.
// It returns the records, their framed size and the position after them.
func (s *Spool) readBatch(segs []segment, head position, batchSize int) ([][]byte, int64, position, error) {
	var batch [][]byte
	var bytes int64
	end := head
	first := slices.IndexFunc(segs, func(g segment) bool { return g.id == head.seg })
	for _, g := range segs[first:] {
		if len(batch) == batchSize {
			break
		}
		off := int64(0)
		if g.id == head.seg {
			off = head.off
		}
		if off == g.size {
			continue
		}
		f, err := os.Open(filepath.Join(s.dir, segmentName(g.id)))
		if err != nil {
			return nil, 0, end, err
		}
		r := bufio.NewReader(io.NewSectionReader(f, off, g.size-off))
		for off < g.size && len(batch) < batchSize {
			payload, err := readFrame(r, g.size-off, nil)
			if err != nil {
				f.Close()
				return nil, 0, end, fmt.Errorf("spool: %s offset %d: %w (reopen the spool to cut it off)", segmentName(g.id), off, err)
			}
			batch = append(batch, payload)
			bytes += frameSize(payload)
			off += frameSize(payload)
		}
		f.Close()
		end = position{seg: g.id, off: off}
	}
	return batch, bytes, end, nil
}

// consume durably moves the replay head to end, past records records of
// bytes framed bytes.
func (s *Spool) consume(end position, records int, bytes int64) error {
	s.mu.Lock()
	end = s.advancePastSegmentEnd(end)
	s.mu.Unlock()
	if err := s.writeCursor(end); err != nil {
		return err
	}
	s.mu.Lock()
	s.head = end
	s.pendingRecords -= records
	s.pendingBytes -= bytes
	s.mu.Unlock()
	return nil
}

// advancePastSegmentEnd turns a position at the end of a segment into the
// start of the next one, so the cursor stops referring to the consumed
// segment and it can be deleted. At the end of the tail it first starts a
// new tail. The caller holds s.mu.
func (s *Spool) advancePastSegmentEnd(p position) position {
	i := slices.IndexFunc(s.segs, func(g segment) bool { return g.id == p.seg })
	if p.off < s.segs[i].size || s.segs[i].size == 0 {
		return p
	}
	if i == len(s.segs)-1 {
		// Failing to roll only delays reclaiming this segment's space:
		// its records stay consumed and the next Append rolls or fails.
		if err := s.roll(); err != nil {
			return p
		}
	}
	return position{seg: s.segs[i+1].id}
}

// reclaim deletes the segments that are entirely before the replay head.
func (s *Spool) reclaim() error {
	s.mu.Lock()
	var consumed []segment
	for _, g := range s.segs {
		if g.id >= s.head.seg {
			break
		}
		consumed = append(consumed, g)
	}
	s.mu.Unlock()
	if len(consumed) == 0 {
		return nil
	}
	removed := 0
	var err error
	for _, g := range consumed {
		if err = os.Remove(filepath.Join(s.dir, segmentName(g.id))); err != nil && !errors.Is(err, os.ErrNotExist) {
			break
		}
		err = nil
		removed++
	}
	// Appends only add segments at the end, so the consumed ones are still
	// the first removed entries of s.segs.
	s.mu.Lock()
	for _, g := range s.segs[:removed] {
		s.diskBytes -= g.size
	}
	s.segs = slices.Delete(s.segs, 0, removed)
	s.mu.Unlock()
	return errors.Join(err, s.syncDir())
}

// writeCursor atomically replaces the cursor file with p.
func (s *Spool) writeCursor(p position) error {
	tmp := filepath.Join(s.dir, cursorTempName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(encodeCursor(p)); err != nil {
		f.Close()
		return err
	}
	if err := s.sync(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, cursorName)); err != nil {
		return err
	}
	return s.syncDir()
}

// Close waits for a running Replay to finish its current batch, then
// releases the directory. Calls after the first return nil.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.tail.Close(), s.lock.Close())
}

func (s *Spool) sync(f *os.File) error {
	s.fsyncs.Add(1)
	return f.Sync()
}

func (s *Spool) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	return errors.Join(s.sync(d), d.Close())
}

func segmentName(id uint64) string {
	return fmt.Sprintf("%08d%s", id, segmentSuffix)
}

// parseSegmentName reports the number of a segment file name; ok is false
// for names Open did not create as segments.
func parseSegmentName(name string) (id uint64, ok bool) {
	digits, found := strings.CutSuffix(name, segmentSuffix)
	if !found || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}
