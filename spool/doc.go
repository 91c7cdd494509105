// Package spool is a local, append-only, fsync'd, checksummed queue of opaque
// records. radbill writes accounting records here when the database is
// unreachable, acknowledges them from here, and replays them into the
// database when it is back. The promise it keeps: a record whose Append
// returned nil is never lost, and nothing that is not a complete record
// written by Append is ever replayed.
//
// # Files
//
// A spool directory holds:
//
//	00000001.spool ...   segment files, replayed in numeric order
//	cursor               where replay resumes (written atomically)
//	LOCK                 flock'd by the one Spool that has the directory open
//	*.corrupt            bytes cut off by Open, kept for an operator; never read
//
// Appends go to the newest segment. A new segment is started when a batch
// would push the newest one past 16 MiB (a batch is never split, so one
// large batch can make a segment bigger), and when Replay has consumed all of
// the newest segment, so that its space can be given back.
//
// # Record format
//
// A segment is a sequence of frames, all integers little-endian:
//
//	offset 0  4 bytes  magic "RBS" + format version 0x01
//	offset 4  uint32   payload length, at most MaxRecordSize
//	offset 8  uint32   CRC-32C (Castagnoli) of bytes 4..7 followed by the payload
//	offset 12 payload
//
// The length is checked against MaxRecordSize and against the bytes left in
// the file before anything is allocated, so a corrupt length costs nothing.
//
// The cursor file is 24 bytes: magic "RBC" + version 0x01, uint64 segment
// number, uint64 byte offset of the first record not yet consumed, CRC-32C of
// the preceding 20 bytes. Segments numbered below the cursor's are consumed.
//
// # Durability
//
// Append writes every frame of a batch with one write and makes them durable
// with one fsync before returning; a new segment file is made durable (fsync
// of the directory) before anything is written to it. A failed write or fsync
// leaves the end of the newest segment in an unknown state, so the Spool then
// refuses further appends until it is closed and opened again, which cuts off
// whatever partial data the failure left.
//
// Replay hands a batch to its callback and, only after the callback returned
// nil, records the consumption: a new cursor is written to a temporary file,
// fsync'd, renamed over the old one and the directory fsync'd; only then are
// fully consumed segments deleted. Delivery is therefore at-least-once: if
// the process dies after the callback succeeded but before the cursor rename
// is durable, that batch is delivered again after restart. The database's
// unique key per record makes the repeat harmless; skipping it would not be.
//
// # Crash recovery
//
// Open validates every frame of every segment that is not yet consumed. The
// first frame that is incomplete, has a bad magic, an impossible length or a
// checksum mismatch ends that segment: everything from there to the end of
// the file is copied to "<segment>.at-<offset>-<random>.corrupt", the copy is
// fsync'd, the segment is truncated to its last intact frame, and the cut is
// reported in Recovery.Problems. Every intact frame before the cut is kept.
//
// A crash in the middle of an Append leaves such a partial frame at the end
// of the newest segment; that batch was never acknowledged, so cutting it
// loses nothing that was promised.
//
// Damage in the middle of a segment (media corruption) also ends the segment
// there. Records after it in the same segment are not replayed, even if some
// of them are intact: once a length field is untrustworthy, every later record
// boundary in that segment is a guess, and a guess that happens to pass the
// checksum would bill a phantom record. They are kept in the .corrupt file for
// manual recovery. Later segments start at their own offset 0, so their
// boundaries are certain and they are kept and replayed normally.
//
// A cursor file that fails its checksum is reported and ignored: replay then
// starts at the oldest segment, re-delivering records that may already have
// been consumed, which is harmless, rather than guessing and losing some.
package spool
