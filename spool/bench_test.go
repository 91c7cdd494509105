package spool

import (
	"bytes"
	"testing"
)

// BenchmarkAppend appends batches of 64 records of 1 KiB. Append is bound by
// its one fsync per batch, so records/s is mostly 64 / fsync latency.
func BenchmarkAppend(b *testing.B) {
	const recordsPerBatch = 64
	s, _ := openTest(b, b.TempDir(), 1<<30, defaultSegmentSize)
	batch := make([][]byte, recordsPerBatch)
	for i := range batch {
		batch[i] = bytes.Repeat([]byte{byte(i)}, 1<<10)
	}
	b.SetBytes(recordsPerBatch << 10)

	fsyncsBefore := s.fsyncs.Load()
	var drainFsyncs int64
	for b.Loop() {
		if err := s.Append(batch); err != nil {
			b.Fatal(err)
		}
		// Keep the disk footprint to a few segments however large b.N gets.
		if records, _ := s.Depth(); records >= 4*defaultSegmentSize/(1<<10) {
			b.StopTimer()
			before := s.fsyncs.Load()
			drain(b, s, 1024)
			drainFsyncs += s.fsyncs.Load() - before
			b.StartTimer()
		}
	}
	appendFsyncs := s.fsyncs.Load() - fsyncsBefore - drainFsyncs
	b.ReportMetric(float64(b.N*recordsPerBatch)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(appendFsyncs)/float64(b.N), "fsyncs/op")
}
