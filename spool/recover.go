package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// recover loads the directory's state into s, deleting consumed segments and
// cutting off anything that is not an intact record.
func (s *Spool) recover() (Recovery, error) {
	var rec Recovery
	if err := os.Remove(filepath.Join(s.dir, cursorTempName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rec, err
	}
	cur, haveCursor, err := s.readCursor(&rec)
	if err != nil {
		return rec, err
	}
	ids, err := s.listSegments(&rec)
	if err != nil {
		return rec, err
	}
	var highest uint64
	if haveCursor {
		highest = cur.seg
	}
	scratch := make([]byte, MaxRecordSize)
	for _, id := range ids {
		highest = max(highest, id)
		if haveCursor && id < cur.seg {
			if err := os.Remove(filepath.Join(s.dir, segmentName(id))); err != nil {
				return rec, err
			}
			continue
		}
		resumeAt := int64(0)
		if haveCursor && id == cur.seg {
			resumeAt = cur.off
		}
		scan, err := s.scanSegment(id, resumeAt, scratch, &rec)
		if err != nil {
			return rec, err
		}
		if len(s.segs) == 0 {
			s.head = position{seg: id, off: scan.resumeAt}
		}
		s.segs = append(s.segs, segment{id: id, size: scan.size})
		s.diskBytes += scan.size
		s.pendingBytes += scan.size - scan.resumeAt
		s.pendingRecords += scan.recordsAfterResume
	}
	if err := s.syncDir(); err != nil {
		return rec, err
	}
	if len(s.segs) == 0 {
		// Numbered above everything seen and above the cursor's segment, so
		// the cursor can never point into the new file.
		if highest == math.MaxUint64 {
			return rec, errors.New("spool: segment numbers exhausted")
		}
		f, err := s.createSegment(highest + 1)
		if err != nil {
			return rec, err
		}
		s.tail = f
		s.segs = []segment{{id: highest + 1}}
		s.head = position{seg: highest + 1}
	} else {
		f, err := os.OpenFile(filepath.Join(s.dir, segmentName(s.segs[len(s.segs)-1].id)), os.O_RDWR, 0)
		if err != nil {
			return rec, err
		}
		s.tail = f
	}
	rec.Records = s.pendingRecords
	return rec, nil
}

// readCursor returns the cursor if there is a valid one. An invalid cursor
// is reported and ignored, which replays from the oldest segment.
func (s *Spool) readCursor(rec *Recovery) (position, bool, error) {
	f, err := os.Open(filepath.Join(s.dir, cursorName))
	if errors.Is(err, os.ErrNotExist) {
		return position{}, false, nil
	}
	if err != nil {
		return position{}, false, err
	}
	defer f.Close()
	var buf [cursorSize + 1]byte // one spare byte detects a file that is too long
	n, err := io.ReadFull(f, buf[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return position{}, false, err
	}
	cur, err := decodeCursor(buf[:n])
	if err != nil {
		rec.Problems = append(rec.Problems, fmt.Sprintf("%s: %v; replaying from the oldest segment, consumed records may be delivered again", cursorName, err))
		return position{}, false, nil
	}
	return cur, true, nil
}

// listSegments returns the segment numbers in the directory, ascending.
func (s *Spool) listSegments(rec *Recovery) ([]uint64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range entries {
		id, ok := parseSegmentName(e.Name())
		switch {
		case ok && e.Type().IsRegular():
			ids = append(ids, id)
		case filepath.Ext(e.Name()) == segmentSuffix:
			rec.Problems = append(rec.Problems, fmt.Sprintf("%s: not a segment file name or not a regular file; ignored", e.Name()))
		}
	}
	slices.Sort(ids)
	return ids, nil
}

type segmentScan struct {
	size               int64 // bytes of intact records; the file is cut to this
	resumeAt           int64 // record boundary replay resumes from
	recordsAfterResume int
}

// scanSegment validates every frame of segment id, cuts off everything from
// the first defect on, and finds the record boundary to resume replay from:
// wantResume if it is one, otherwise the nearest one before it, so that a
// doubtful cursor re-delivers a record rather than skipping one.
func (s *Spool) scanSegment(id uint64, wantResume int64, scratch []byte, rec *Recovery) (segmentScan, error) {
	name := segmentName(id)
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR, 0)
	if err != nil {
		return segmentScan{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return segmentScan{}, err
	}
	fileSize := info.Size()
	var scan segmentScan
	r := bufio.NewReader(io.NewSectionReader(f, 0, fileSize))
	for {
		if scan.size <= wantResume {
			scan.resumeAt = scan.size
			scan.recordsAfterResume = 0
		}
		payload, err := readFrame(r, fileSize-scan.size, scratch)
		if err == io.EOF {
			break
		}
		var d defect
		if errors.As(err, &d) {
			saved, err := s.cutTail(f, name, scan.size, fileSize)
			if err != nil {
				return segmentScan{}, fmt.Errorf("spool: %s offset %d: %v, and saving the rest failed: %w", name, scan.size, d, err)
			}
			rec.TruncatedBytes += fileSize - scan.size
			rec.Problems = append(rec.Problems, fmt.Sprintf("%s offset %d: %v; cut %d bytes, saved in %s", name, scan.size, d, fileSize-scan.size, saved))
			break
		}
		if err != nil {
			return segmentScan{}, fmt.Errorf("spool: reading %s: %w", name, err)
		}
		scan.size += frameSize(payload)
		scan.recordsAfterResume++
	}
	if scan.resumeAt != wantResume {
		rec.Problems = append(rec.Problems, fmt.Sprintf("%s: cursor offset %d is not the end of an intact record; resuming at offset %d, a consumed record may be delivered again", name, wantResume, scan.resumeAt))
	}
	return scan, nil
}

// cutTail saves f's bytes from validEnd to fileSize in a new .corrupt file,
// makes the copy durable, and only then truncates f to validEnd.
func (s *Spool) cutTail(f *os.File, name string, validEnd, fileSize int64) (string, error) {
	q, err := os.CreateTemp(s.dir, fmt.Sprintf("%s.at-%d-*.corrupt", name, validEnd))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(q, io.NewSectionReader(f, validEnd, fileSize-validEnd))
	if err == nil {
		err = s.sync(q)
	}
	if cerr := q.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.syncDir()
	}
	if err != nil {
		os.Remove(q.Name())
		return "", err
	}
	if err := f.Truncate(validEnd); err != nil {
		return "", err
	}
	return filepath.Base(q.Name()), s.sync(f)
}
