package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// specFrame encodes payload as doc.go specifies, independently of
// appendFrame, so the tests also pin the on-disk format.
func specFrame(payload []byte) []byte {
	b := []byte{'R', 'B', 'S', 1}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	crc := crc32.Checksum(append(b[4:8:8], payload...), crc32.MakeTable(crc32.Castagnoli))
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(b, payload...)
}

// testRecord is a deterministic record whose length varies with i.
func testRecord(i int) []byte {
	head := fmt.Sprintf("record-%06d|", i)
	return append([]byte(head), bytes.Repeat([]byte{byte('a' + i%26)}, i%97)...)
}

func testRecords(from, to int) [][]byte {
	var rs [][]byte
	for i := from; i < to; i++ {
		rs = append(rs, testRecord(i))
	}
	return rs
}

func openTest(t testing.TB, dir string, maxBytes, segmentSize int64) (*Spool, Recovery) {
	t.Helper()
	s, rec, err := open(dir, maxBytes, segmentSize)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

func mustAppend(t testing.TB, s *Spool, records [][]byte) {
	t.Helper()
	if err := s.Append(records); err != nil {
		t.Fatalf("Append(%d records): %v", len(records), err)
	}
}

// drain replays everything waiting and returns it.
func drain(t testing.TB, s *Spool, batchSize int) [][]byte {
	t.Helper()
	var got [][]byte
	n, err := s.Replay(context.Background(), batchSize, func(batch [][]byte) error {
		if len(batch) == 0 || len(batch) > batchSize {
			t.Errorf("batch of %d records, batchSize %d", len(batch), batchSize)
		}
		got = append(got, batch...)
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if n != len(got) {
		t.Fatalf("Replay consumed %d, handed out %d", n, len(got))
	}
	return got
}

func assertRecords(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d = %.40q, want %.40q", i, got[i], want[i])
		}
	}
}

func assertClean(t testing.TB, rec Recovery) {
	t.Helper()
	if len(rec.Problems) != 0 || rec.TruncatedBytes != 0 {
		t.Fatalf("unexpected recovery problems: %+v", rec)
	}
}

// filesWithSuffix lists the names in dir ending in suffix, sorted.
func filesWithSuffix(t testing.TB, dir, suffix string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), suffix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

func segmentBytesOnDisk(t testing.TB, dir string) int64 {
	t.Helper()
	var total int64
	for _, name := range filesWithSuffix(t, dir, segmentSuffix) {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
	}
	return total
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
