package spool

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"runtime"
	"testing"
)

// FuzzOpen opens a spool whose only segment holds arbitrary bytes. Open must
// not fail or panic, must allocate no more than a fixed amount plus what the
// replayed records need, and must replay exactly the longest prefix of the
// bytes made of intact frames, cutting off and reporting the rest.
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, segment []byte) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, segmentName(1)), segment)

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, rec, err := Open(dir, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, s, 64)
		runtime.ReadMemStats(&after)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if grew, limit := after.TotalAlloc-before.TotalAlloc, uint64(4<<20+4*len(segment)); grew > limit {
			t.Fatalf("Open and Replay of a %d-byte segment allocated %d bytes, limit %d", len(segment), grew, limit)
		}

		// Each replayed record must be the intact frame, checksum included,
		// that starts where the previous one ended.
		off := 0
		for i, r := range got {
			frame := specFrame(r)
			if !bytes.HasPrefix(segment[off:], frame) {
				t.Fatalf("record %d (%d bytes) is not the intact frame at offset %d", i, len(r), off)
			}
			off += len(frame)
		}
		if rec.Records != len(got) || rec.TruncatedBytes != int64(len(segment)-off) {
			t.Fatalf("Recovery %+v, but replayed %d records ending at offset %d of %d", rec, len(got), off, len(segment))
		}
		if (rec.TruncatedBytes > 0) != (len(rec.Problems) > 0) {
			t.Fatalf("Recovery cut %d bytes but reported %q", rec.TruncatedBytes, rec.Problems)
		}
		if intactFrameAt(segment[off:]) {
			t.Fatalf("cut off an intact frame at offset %d", off)
		}
	})
}

// intactFrameAt reports whether b starts with a frame that doc.go calls
// intact.
func intactFrameAt(b []byte) bool {
	if len(b) < frameHeaderSize {
		return false
	}
	n := int(binary.LittleEndian.Uint32(b[4:8]))
	if n > MaxRecordSize || frameHeaderSize+n > len(b) {
		return false
	}
	return bytes.Equal(b[:frameHeaderSize+n], specFrame(b[frameHeaderSize:frameHeaderSize+n]))
}
