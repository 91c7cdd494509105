package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// MaxRecordSize is the largest record payload Append accepts. It is also the
// most a corrupt length field can make a reader allocate.
const MaxRecordSize = 64 << 10

const (
	frameHeaderSize = 12
	cursorSize      = 24
)

var (
	frameMagic  = [4]byte{'R', 'B', 'S', 1}
	cursorMagic = [4]byte{'R', 'B', 'C', 1}
	castagnoli  = crc32.MakeTable(crc32.Castagnoli)
)

// ErrCorrupt matches errors about bytes that are not an intact record.
var ErrCorrupt = errors.New("spool: corrupt record")

// defect says why bytes at some offset are not an intact frame. It is kept
// apart from I/O errors: a defect is cut off, an I/O error must never be.
type defect string

func (d defect) Error() string        { return string(d) }
func (d defect) Is(target error) bool { return target == ErrCorrupt }

func frameChecksum(lengthField, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, lengthField), castagnoli, payload)
}

func frameSize(payload []byte) int64 { return frameHeaderSize + int64(len(payload)) }

// appendFrame appends payload, framed, to dst.
func appendFrame(dst, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, frameMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, frameChecksum(dst[start+4:start+8], payload))
	return append(dst, payload...)
}

// readFrame reads the next frame from r, which has exactly remaining bytes
// left. It returns io.EOF when remaining is 0, a defect when the bytes are
// not an intact frame, or an I/O error. The payload is read into scratch when
// it is large enough, otherwise into a new slice of exactly the payload size.
func readFrame(r *bufio.Reader, remaining int64, scratch []byte) ([]byte, error) {
	if remaining == 0 {
		return nil, io.EOF
	}
	if remaining < frameHeaderSize {
		return nil, defect(fmt.Sprintf("partial record header: %d of %d bytes", remaining, frameHeaderSize))
	}
	var hdr [frameHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, shrunk(err)
	}
	if [4]byte(hdr[0:4]) != frameMagic {
		return nil, defect(fmt.Sprintf("bad magic %x", hdr[0:4]))
	}
	n := binary.LittleEndian.Uint32(hdr[4:8])
	if n > MaxRecordSize {
		return nil, defect(fmt.Sprintf("record length %d exceeds maximum %d", n, MaxRecordSize))
	}
	if frameHeaderSize+int64(n) > remaining {
		return nil, defect(fmt.Sprintf("partial record: %d-byte payload, %d bytes left", n, remaining-frameHeaderSize))
	}
	payload := scratch
	if uint32(cap(payload)) < n {
		payload = make([]byte, n)
	}
	payload = payload[:n]
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, shrunk(err)
	}
	if got, want := frameChecksum(hdr[4:8], payload), binary.LittleEndian.Uint32(hdr[8:12]); got != want {
		return nil, defect(fmt.Sprintf("checksum mismatch: stored %08x, computed %08x", want, got))
	}
	return payload, nil
}

// shrunk keeps a file that ended before its known size from looking like a
// clean end of records to readFrame's callers.
func shrunk(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// position is where a record starts: a segment number and a byte offset.
type position struct {
	seg uint64
	off int64
}

func encodeCursor(p position) []byte {
	b := make([]byte, cursorSize)
	copy(b[0:4], cursorMagic[:])
	binary.LittleEndian.PutUint64(b[4:12], p.seg)
	binary.LittleEndian.PutUint64(b[12:20], uint64(p.off))
	binary.LittleEndian.PutUint32(b[20:24], crc32.Checksum(b[:20], castagnoli))
	return b
}

func decodeCursor(b []byte) (position, error) {
	if len(b) != cursorSize {
		return position{}, defect(fmt.Sprintf("cursor is %d bytes, want %d", len(b), cursorSize))
	}
	if [4]byte(b[0:4]) != cursorMagic {
		return position{}, defect(fmt.Sprintf("cursor has bad magic %x", b[0:4]))
	}
	if got, want := crc32.Checksum(b[:20], castagnoli), binary.LittleEndian.Uint32(b[20:24]); got != want {
		return position{}, defect("cursor checksum mismatch")
	}
	off := binary.LittleEndian.Uint64(b[12:20])
	if off > 1<<62 {
		return position{}, defect(fmt.Sprintf("cursor offset %d is impossible", off))
	}
	return position{seg: binary.LittleEndian.Uint64(b[4:12]), off: int64(off)}, nil
}
