package cdrimport

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/radbill/radbill/asterisk"
	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/cucm"
	"github.com/radbill/radbill/store"
)

// Format is the kind of file a command or watcher imports.
type Format struct {
	// Source is cdr.SourceCUCM or cdr.SourceAsteriskCSV.
	Source string
	// Columns is an Asterisk Master.csv's column list; nil: told by the
	// number of fields of its first line (16, 18 or 21).
	Columns asterisk.Profile
	// Location reads Asterisk's local times (UTC with usegmtime).
	Location *time.Location
}

// FileResult is what importing one file did.
type FileResult struct {
	Name   string
	Counts store.ImportCounts
	// Seen: the file's content had been imported before; nothing was read.
	Seen bool
}

// ImportFile imports the file at path and records its outcome in
// import_file. A command (watched false) reads the file whatever it holds;
// legs imported before are duplicates. A watcher (watched) does not read a
// file whose content was imported before (after a restart), and a file
// whose last row is cut off, or that changes while it is read, makes
// ErrIncomplete and is not recorded: it is still being written.
func (im *Importer) ImportFile(ctx context.Context, f Format, path string, watched bool, wrap func(io.Reader, int64) io.Reader) (FileResult, error) {
	result := FileResult{Name: path}
	info, err := os.Stat(path)
	if err != nil {
		return result, err
	}
	var sum string
	var endsInNewline bool
	size := info.Size()
	if watched {
		if sum, size, endsInNewline, err = fingerprint(path); err != nil {
			return result, err
		}
		seen, err := im.DB.FileImported(ctx, f.Source, sum)
		if err != nil || seen {
			result.Seen = seen
			return result, err
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return result, err
	}
	defer file.Close()
	// What is recorded is the content actually read, which a file still
	// being written may have changed since it was fingerprinted. Only the
	// fingerprinted bytes are read: a reader that went on past them into
	// what a writer appends meanwhile would take the cut-off row and its
	// rest for two bad rows.
	read := sha256.New()
	var in io.Reader = io.TeeReader(io.LimitReader(file, size), read)
	if wrap != nil {
		in = wrap(in, size)
	}
	r := im.start(ctx, f.Source, path)
	switch f.Source {
	case cdr.SourceCUCM:
		err = im.readCUCM(r, in, cucm.ClusterOfFileName(filepath.Base(path)))
	case cdr.SourceAsteriskCSV:
		err = im.readAsteriskCSV(r, in, f)
	default:
		err = fmt.Errorf("unknown file format %q", f.Source)
	}
	readSum := hex.EncodeToString(read.Sum(nil))
	rewritten := watched && readSum != sum
	cutOff := watched && !endsInNewline && r.lastRejected
	switch {
	case rewritten:
		r.dropRejects() // read from content that was changing; it is read again
	case cutOff:
		r.dropLastReject()
	}
	incomplete := rewritten || cutOff
	result.Counts, _ = r.finish()
	switch {
	case err != nil:
		return result, err
	case incomplete:
		return result, ErrIncomplete
	}
	return result, im.DB.RecordImportedFile(context.WithoutCancel(ctx), store.ImportedFile{Source: f.Source, Name: path, Size: size,
		SHA256: readSum, Counts: result.Counts, ImportedAt: im.now()})
}

// fingerprint hashes a file and tells its size and whether it ends with a
// newline.
func fingerprint(path string) (sum string, size int64, endsInNewline bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, false, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, false, err
	}
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return "", 0, false, err
		}
		endsInNewline = last[0] == '\n'
	}
	return hex.EncodeToString(h.Sum(nil)), size, endsInNewline, nil
}

func (im *Importer) readCUCM(r *run, in io.Reader, cluster string) error {
	reader, err := cucm.NewReader(in, cluster)
	if err != nil {
		r.reject(1, "", err.Error())
		return nil
	}
	decoder := cucm.Decoder{IsTrunk: im.isTrunk, Now: im.now}
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		row, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		r.read()
		if err != nil {
			r.reject(int64(row.Line), "", err.Error())
			continue
		}
		rec, err := decoder.Decode(reader, row)
		switch {
		case errors.Is(err, cucm.ErrSkipped):
			r.skip()
		case err != nil:
			r.reject(int64(row.Line), csvLine(row.Fields), err.Error())
		default:
			r.leg(int64(row.Line), func() string { return csvLine(row.Fields) }, rec)
		}
	}
}

func (im *Importer) readAsteriskCSV(r *run, in io.Reader, f Format) error {
	reader := csv.NewReader(in)
	reader.FieldsPerRecord = -1
	loc := f.Location
	if loc == nil {
		loc = time.Local
	}
	decoder := asterisk.Decoder{IsTrunk: im.isTrunk, Location: loc, Now: im.now}
	profile := f.Columns
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		fields, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		r.read()
		line, _ := reader.FieldPos(0)
		if err != nil {
			var parse *csv.ParseError
			if errors.As(err, &parse) {
				line = parse.Line
			}
			r.reject(int64(line), "", err.Error())
			continue
		}
		raw := csvLine(fields)
		if profile == nil {
			p, ok := asterisk.ProfileFor(len(fields))
			if !ok {
				r.reject(int64(line), raw, fmt.Sprintf("%d fields: a Master.csv has 16, 18 or 21 (give --columns for another layout)", len(fields)))
				continue
			}
			profile = p
		}
		rec, err := decoder.DecodeLine(profile, fields, raw)
		if err != nil {
			r.reject(int64(line), raw, err.Error())
			continue
		}
		r.leg(int64(line), func() string { return raw }, rec)
	}
}

// csvLine writes fields back as one CSV line, for the quarantine.
func csvLine(fields []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(fields)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}
